import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { awsProviderFeaturesOf, describeProvider } from '../config/aws-provider';
import { ResourceNames } from '../config/naming';
import { isToken, isWholeNumberIn, requirePlain } from '../core/values';
import { denyInsecureTransport, IGrantable, policyDocument } from '../iam/policy-document';
import { MetricSpec, sqsMetric } from '../metrics/metric';

/** A dead letter must outlive the main queue's retention so it can be inspected and redriven. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
export const MAIN_QUEUE_RETENTION_SECONDS = 4 * 24 * 60 * 60;
export const MAX_RECEIVE_COUNT = 5;
/** AWS's advice for Lambda event sources: a visibility timeout of at least 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface QueueWithDlqProps {
  /** Short name, e.g. `ingest`; the queues are `<prefix>-<name>-<suffix>` and `<prefix>-<name>-dlq-<suffix>`. */
  readonly name: string;
  /**
   * Physical names' prefix and suffix.
   * @default webhook-…-dev
   */
  readonly names?: ResourceNames;
  /**
   * Visibility timeout of the main queue, in seconds (a number or a plan-time token). Keep it at
   * least 6 × the consumer's timeout, as AWS advises for Lambda event source mappings.
   * @default 30 × 6 (a consumer timeout of 30 s)
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Receives before a message moves to the DLQ (a number or a plan-time token).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the main queue keeps a message, in seconds (a number or a plan-time token); at most
   * the DLQ's 14 days.
   * @default 345600 (4 days)
   */
  readonly retentionSeconds?: number;
  /**
   * Whether its consumer sets failed messages' next visibility from a retry schedule, so an old
   * oldest message is expected rather than a backlog (the alarm catalogue skips its age alarm).
   * @default false
   */
  readonly backsOff?: boolean;
  /**
   * Largest message, in bytes (1024 up to what the stack's AWS provider allows). Set explicitly
   * rather than left to the provider's default: the handlers split batches and the validator
   * rejects bodies by the same limit, and a provider upgrade must not move one without the others.
   * @default the provider's limit: 1048576 (1 MiB) on hashicorp/aws 6.8 and later, else 262144
   */
  readonly maxMessageBytes?: number;
}

/** An encrypted, TLS-only SQS queue with its dead-letter queue and redrive policies. */
export class QueueWithDlq extends Construct {
  public readonly name: string;
  public readonly backsOff: boolean;
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  /** Largest message either queue takes, in bytes. */
  public readonly maxMessageBytes: number;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    this.name = props.name;
    this.backsOff = props.backsOff ?? false;
    const names = props.names ?? new ResourceNames();
    const maxReceiveCount = props.maxReceiveCount ?? MAX_RECEIVE_COUNT;
    const provider = awsProviderFeaturesOf(this);
    this.maxMessageBytes = props.maxMessageBytes ?? provider.maxMessageBytes;
    requirePlain(
      `QueueWithDlq ${id}`,
      'maxMessageBytes',
      props.maxMessageBytes,
      isWholeNumberIn(1024, provider.maxMessageBytes),
      `a whole number of bytes from 1024 to ${provider.maxMessageBytes}, the most ${describeProvider(provider)} lets a queue take`,
    );
    requirePlain(`QueueWithDlq ${id}`, 'maxReceiveCount', maxReceiveCount, isWholeNumberIn(1, 1000), 'a whole number from 1 to 1000');
    requirePlain(
      `QueueWithDlq ${id}`,
      'visibilityTimeoutSeconds',
      props.visibilityTimeoutSeconds,
      isWholeNumberIn(0, 43200),
      'a whole number of seconds from 0 to 43200',
    );
    requirePlain(
      `QueueWithDlq ${id}`,
      'retentionSeconds',
      props.retentionSeconds,
      isWholeNumberIn(60, DLQ_RETENTION_SECONDS),
      `a whole number of seconds from 60 to ${DLQ_RETENTION_SECONDS}`,
    );

    // Setup the dead-letter queue
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: names.of(props.name, 'dlq'),
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      maxMessageSize: this.maxMessageBytes,
      sqsManagedSseEnabled: true,
    });

    // Setup the main queue
    this.queue = new SqsQueue(this, 'queue', {
      name: names.of(props.name),
      messageRetentionSeconds: props.retentionSeconds ?? MAIN_QUEUE_RETENTION_SECONDS,
      maxMessageSize: this.maxMessageBytes,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? 30 * VISIBILITY_TIMEOUT_FACTOR,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      // JSON text even when the count is decided at plan time (an unquoted `${…}`), so the policy
      // check can read it; a lower bound (`max(5, …)`) keeps its minimum provable.
      redrivePolicy: isToken(maxReceiveCount)
        ? `{"deadLetterTargetArn":"${this.deadLetterQueue.arn}","maxReceiveCount":${Token.asString(maxReceiveCount)}}`
        : JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount }),
    });

    // A separate resource: inline on the DLQ it would form a cycle with the main queue's redrive policy.
    new SqsQueueRedriveAllowPolicy(this, 'dlq-redrive-allow', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });

    // Setup TLS-only access
    for (const [policyId, q] of [
      ['queue-policy', this.queue],
      ['dlq-policy', this.deadLetterQueue],
    ] as const) {
      new SqsQueuePolicy(this, policyId, {
        queueUrl: q.url,
        policy: policyDocument(denyInsecureTransport('sqs:*', q.arn)),
      });
    }
  }

  /** Lets `grantee` send to the main queue. */
  grantSend(grantee: IGrantable, sid = 'SendToNextQueue'): void {
    grantee.addToPrincipalPolicy({ Sid: sid, Effect: 'Allow', Action: 'sqs:SendMessage', Resource: this.queue.arn });
  }

  /** Lets `grantee` send to the dead-letter queue (a consumer that dead-letters a message itself). */
  grantSendToDeadLetterQueue(grantee: IGrantable, sid = 'SendToDeadLetterQueue'): void {
    grantee.addToPrincipalPolicy({ Sid: sid, Effect: 'Allow', Action: 'sqs:SendMessage', Resource: this.deadLetterQueue.arn });
  }

  /** Lets `grantee` consume the main queue as a Lambda event source does. */
  grantConsume(grantee: IGrantable, sid = 'ConsumeSourceQueue'): void {
    grantee.addToPrincipalPolicy({
      Sid: sid,
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      Resource: this.queue.arn,
    });
  }

  /** Messages waiting on the main queue. */
  metricVisibleMessages(): MetricSpec {
    return sqsMetric(this.queue.name, 'ApproximateNumberOfMessagesVisible');
  }

  /** Age of the oldest message on the main queue, in seconds. */
  metricAgeOfOldestMessage(): MetricSpec {
    return sqsMetric(this.queue.name, 'ApproximateAgeOfOldestMessage');
  }

  /** Messages in the dead-letter queue. */
  metricDeadLetters(): MetricSpec {
    return sqsMetric(this.deadLetterQueue.name, 'ApproximateNumberOfMessagesVisible');
  }
}
