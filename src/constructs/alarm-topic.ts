import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { ResourceNames } from '../config/naming';
import { isToken, requirePlain } from '../core/values';
import { denyInsecureTransport, policyDocument } from '../iam/policy-document';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface AlarmTopicProps {
  /** The account that owns the topic: its root administers the key and topic. */
  readonly accountId: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: usually `DataAwsPartition.partition`. */
  readonly partition: string;
  /**
   * Physical names' prefix and suffix: the topic is `<prefix>-alarms-<suffix>`.
   * @default webhook-alarms-dev
   */
  readonly names?: ResourceNames;
  /**
   * E-mail address subscribed to the topic (a plain string or a plan-time token); empty for none.
   * @default no subscription
   */
  readonly alarmEmail?: string;
}

/**
 * The SNS topic alarms notify. It is encrypted with a customer-managed key because CloudWatch
 * cannot publish to a topic under the AWS-managed `aws/sns` key (its key policy excludes it).
 */
export class AlarmTopic extends Construct {
  public readonly topic: SnsTopic;
  public readonly key: KmsKey;
  /** The e-mail subscription; absent when `alarmEmail` is a plain empty string. */
  public readonly emailSubscription?: SnsTopicSubscription;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const names = props.names ?? new ResourceNames();
    const email = props.alarmEmail ?? '';
    requirePlain(`AlarmTopic ${id}`, 'alarmEmail', email, (e) => e === '' || EMAIL.test(e), 'empty or an e-mail address');
    const accountRoot = `arn:${props.partition}:iam::${props.accountId}:root`;

    // Setup the key
    this.key = new KmsKey(this, 'key', {
      description: 'Encrypts the webhook pipeline alarm topic',
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: policyDocument(
        { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: accountRoot }, Action: 'kms:*', Resource: '*' },
        {
          Sid: 'CloudWatchPublishes',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
      ),
    });
    new KmsAlias(this, 'key-alias', { name: `alias/${names.of('alarms')}`, targetKeyId: this.key.keyId });

    // Setup the topic
    this.topic = new SnsTopic(this, 'topic', {
      name: names.of('alarms'),
      kmsMasterKeyId: this.key.arn,
    });
    new SnsTopicPolicy(this, 'topic-policy', {
      arn: this.topic.arn,
      policy: policyDocument(
        {
          Sid: 'AccountManages',
          Effect: 'Allow',
          Principal: { AWS: accountRoot },
          Action: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:Subscribe', 'sns:ListSubscriptionsByTopic', 'sns:Publish'],
          Resource: this.topic.arn,
        },
        {
          Sid: 'CloudWatchAlarmsPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: this.topic.arn,
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
        denyInsecureTransport('sns:Publish', this.topic.arn),
      ),
    });

    // Setup the optional e-mail subscription: decided at plan time when the address is a token.
    if (isToken(email) || email !== '') {
      this.emailSubscription = new SnsTopicSubscription(this, 'email', {
        count: isToken(email) ? Token.asNumber(`\${${email} == "" ? 0 : 1}`) : undefined,
        topicArn: this.topic.arn,
        protocol: 'email',
        endpoint: email,
      });
    }
  }
}
