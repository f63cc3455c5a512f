import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { resourceName } from '../config/naming';
import { denyInsecureTransport, policyDocument } from '../iam/policy-document';

export interface AlarmTopicProps {
  readonly accountId: string;
  readonly partition: string;
  /** Terraform expression (without `${}`) for the e-mail address; empty means no subscription. */
  readonly emailExpression: string;
}

/**
 * The SNS topic alarms notify. It is encrypted with a customer-managed key because CloudWatch
 * cannot publish to a topic under the AWS-managed `aws/sns` key (its key policy excludes it).
 */
export class AlarmTopic extends Construct {
  public readonly topic: SnsTopic;
  public readonly key: KmsKey;
  public readonly emailSubscription: SnsTopicSubscription;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
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
    new KmsAlias(this, 'key-alias', { name: `alias/${resourceName('alarms')}`, targetKeyId: this.key.keyId });

    // Setup the topic
    this.topic = new SnsTopic(this, 'topic', {
      name: resourceName('alarms'),
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

    // Setup the optional e-mail subscription
    this.emailSubscription = new SnsTopicSubscription(this, 'email', {
      count: Token.asNumber(`\${${props.emailExpression} == "" ? 0 : 1}`),
      topicArn: this.topic.arn,
      protocol: 'email',
      endpoint: `\${${props.emailExpression}}`,
    });
  }
}
