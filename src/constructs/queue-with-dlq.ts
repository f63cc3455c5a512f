import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { Construct } from 'constructs';
import { resourceName } from '../config/naming';
import { denyInsecureTransport, policyDocument } from '../iam/policy-document';

/** A dead letter must outlive the main queue's retention so it can be inspected and redriven. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
export const MAIN_QUEUE_RETENTION_SECONDS = 4 * 24 * 60 * 60;
export const MAX_RECEIVE_COUNT = 5;
/**
 * Largest message, set explicitly rather than left to the provider's default: the validator
 * rejects larger bodies with the same limit, and a provider upgrade must not move one without the other.
 */
export const MAX_MESSAGE_BYTES = 262144;

export interface QueueWithDlqProps {
  /** Short name, e.g. `ingest`; the queues are `webhook-<name>-<suffix>` and `webhook-<name>-dlq-<suffix>`. */
  readonly name: string;
  /**
   * Visibility timeout of the main queue, in seconds (a number or a plan-time token). Keep it at
   * least 6 × the consumer's timeout, as AWS advises for Lambda event source mappings.
   */
  readonly visibilityTimeoutSeconds: number;
  /**
   * Receives before a message moves to the DLQ.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/** An encrypted, TLS-only SQS queue with its dead-letter queue and redrive policies. */
export class QueueWithDlq extends Construct {
  public readonly name: string;
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    this.name = props.name;
    const maxReceiveCount = props.maxReceiveCount ?? MAX_RECEIVE_COUNT;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(`QueueWithDlq ${id}: maxReceiveCount must be a whole number from 1 to 1000, got ${maxReceiveCount}`);
    }

    // Setup the dead-letter queue
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: resourceName(props.name, 'dlq'),
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      maxMessageSize: MAX_MESSAGE_BYTES,
      sqsManagedSseEnabled: true,
    });

    // Setup the main queue
    this.queue = new SqsQueue(this, 'queue', {
      name: resourceName(props.name),
      messageRetentionSeconds: MAIN_QUEUE_RETENTION_SECONDS,
      maxMessageSize: MAX_MESSAGE_BYTES,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount }),
    });

    // A separate resource: inline on the DLQ it would form a cycle with the main queue's redrive policy.
    new SqsQueueRedriveAllowPolicy(this, 'dlq-redrive-allow', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });

    // Setup TLS-only access
    for (const [policyId, q] of [['queue-policy', this.queue], ['dlq-policy', this.deadLetterQueue]] as const) {
      new SqsQueuePolicy(this, policyId, {
        queueUrl: q.url,
        policy: policyDocument(denyInsecureTransport('sqs:*', q.arn)),
      });
    }
  }
}
