import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { Fn, type IResolvable, type MapTerraformIterator, Op, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DESTINATION_DIMENSION, HANDLER_METRICS, LANE_DLQ_STEM, LANE_QUEUE_STEM } from '../contract';
import { ResourceNames } from '../config/naming';
import { isToken, type Switch } from '../core/values';
import { suppressPolicyRule } from '../policy/suppressions';
import { denyInsecureTransport, type IGrantable, policyDocument } from '../iam/policy-document';
import { type DeliveryMetrics } from '../metrics/delivery-metrics';
import { DLQ_RETENTION_SECONDS } from './queue-with-dlq';

/** SQS queue names are at most 80 characters. */
const MAX_QUEUE_NAME = 80;
/** As every queue of the pipeline: throttled and transient failures never reach a DLQ. */
const MIN_LANE_RECEIVES = 5;

/** One lane's settings, all decided before the lane is built (plain numbers, or plan-time expressions). */
export interface LaneSettings {
  /** Seconds before each retry: the destination's own schedule, or the pipeline's. */
  readonly retrySchedule: readonly number[];
  /** Receives before a delivery moves to the lane's DLQ: one per retry step plus the first. */
  readonly maxReceiveCount: number;
  /** How long the lane keeps a delivery: twice its retry schedule. */
  readonly retentionSeconds: number;
  /** Records per dispatcher invocation. */
  readonly batchSize: number;
  /** Concurrent dispatcher invocations the lane's mapping may start. */
  readonly maximumConcurrency: number;
}

export interface DeliveryLanesProps {
  /**
   * Destination name → its lane's settings: a plain record, or a plan-time map of objects with
   * the same keys. Each key gets its own queue, DLQ and event source mapping, addressed by the key.
   */
  readonly lanes: Readonly<Record<string, LaneSettings>> | IResolvable;
  /**
   * Whether the lanes' values are decided at plan time (then Terraform's preconditions check what
   * the policy check cannot read at synth).
   * @default whether `lanes` is a token
   */
  readonly planTime?: boolean;
  readonly names: ResourceNames;
  /** The dispatcher function every lane's mapping invokes (its ARN). */
  readonly dispatcherArn: string;
  /** Resources the mappings wait for: the dispatcher's role policy, which Lambda checks on creation. */
  readonly dependsOn: readonly { readonly fqn: string }[];
  /** `local.<name>`: the lanes as Terraform reads them, for checks across every lane. */
  readonly lanesExpression: string;
  readonly dispatcherReservedConcurrency: number;
  /** The shared deliver queue's mapping's concurrency, which the lanes share the reserve with. */
  readonly drainConcurrency: number;
  /** The dispatcher's visibility timeout: 6 × its timeout, as for every consumer. */
  readonly visibilityTimeoutSeconds: number;
  readonly maxMessageBytes: number;
  /** `arn:<partition>:sqs:<region>:<account>:` — lane grants name the lanes by pattern, so adding one changes no policy. */
  readonly sqsArnPrefix: string;
  readonly alarms: {
    readonly enabled: Switch;
    readonly topicArn: string;
    readonly deliveries: DeliveryMetrics;
    /** Percent of a destination's attempts failing, for three 5-minute periods. */
    readonly failureRatePercent: number;
  };
}

/**
 * A delivery lane per destination: its own queue, dead-letter queue and event source mapping onto
 * the dispatcher, so a slow or failing receiver holds only its own lane's concurrency, and a
 * destination can be paused (its mapping disabled) without touching the others. Every resource
 * is one `for_each` over the destinations, so adding or removing a destination adds or removes
 * only its own instances. Terraform ignores the mappings' `enabled`: `webhook-pipeline
 * destinations pause` survives the next apply.
 */
export class DeliveryLanes extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  public readonly eventSourceMapping: LambdaEventSourceMapping;
  /** The lanes' alarms: dead letters, age of the oldest delivery, failure rate (absent when alarms are off). */
  public readonly alarms: readonly CloudwatchMetricAlarm[];
  private readonly props: DeliveryLanesProps;

  constructor(scope: Construct, id: string, props: DeliveryLanesProps) {
    super(scope, id);
    this.props = props;
    const { names } = props;
    const each = TerraformIterator.fromMap(props.lanes as Record<string, LaneSettings>);
    const setting = (key: keyof LaneSettings) => Token.asNumber(each.getNumber(key));
    const queueName = (stem: string) => names.of(stem, Token.asString(each.key));

    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      forEach: each,
      name: queueName(LANE_DLQ_STEM),
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      maxMessageSize: props.maxMessageBytes,
      sqsManagedSseEnabled: true,
    });
    const dlqArn = `\${aws_sqs_queue.${this.deadLetterQueue.friendlyUniqueId}[each.key].arn}`;
    this.queue = new SqsQueue(this, 'queue', {
      forEach: each,
      name: queueName(LANE_QUEUE_STEM),
      messageRetentionSeconds: setting('retentionSeconds'),
      maxMessageSize: props.maxMessageBytes,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      redrivePolicy: `{"deadLetterTargetArn":"${dlqArn}","maxReceiveCount":${Token.asString(setting('maxReceiveCount'))}}`,
      // What the policy check proves at synth for plain lanes, Terraform checks for each lane at plan time.
      lifecycle: {
        precondition: [
          {
            condition: `\${length("${names.of(LANE_DLQ_STEM, '${each.key}')}") <= ${MAX_QUEUE_NAME}}`,
            errorMessage: `delivery lane names must fit SQS's ${MAX_QUEUE_NAME} characters: shorten the destination's name (or the environment suffix).`,
          },
          {
            condition: `\${each.value.maxReceiveCount >= max(${MIN_LANE_RECEIVES}, length(each.value.retrySchedule) + 1)}`,
            errorMessage: `a delivery lane allows one receive per retry step plus the first attempt, and at least ${MIN_LANE_RECEIVES}.`,
          },
          {
            condition: `\${each.value.retentionSeconds >= 2 * sum(each.value.retrySchedule) && each.value.retentionSeconds <= ${DLQ_RETENTION_SECONDS}}`,
            errorMessage: `a delivery lane keeps deliveries twice its retry schedule, and no longer than its DLQ's ${DLQ_RETENTION_SECONDS} s: shorten the destination's retry_schedule.`,
          },
        ],
      },
    });
    const queueArn = `\${aws_sqs_queue.${this.queue.friendlyUniqueId}[each.key].arn}`;
    const instance = (resource: SqsQueue, attribute: string) => `\${aws_sqs_queue.${resource.friendlyUniqueId}[each.key].${attribute}}`;

    // A separate resource: inline on the DLQ it would form a cycle with the queue's redrive policy.
    new SqsQueueRedriveAllowPolicy(this, 'dlq-redrive-allow', {
      forEach: each,
      queueUrl: instance(this.deadLetterQueue, 'url'),
      redriveAllowPolicy: `{"redrivePermission":"byQueue","sourceQueueArns":["${queueArn}"]}`,
    });
    for (const [policyId, q] of [
      ['queue-policy', this.queue],
      ['dlq-policy', this.deadLetterQueue],
    ] as const) {
      new SqsQueuePolicy(this, policyId, {
        forEach: each,
        queueUrl: instance(q, 'url'),
        policy: policyDocument(denyInsecureTransport('sqs:*', instance(q, 'arn'))),
      });
    }

    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'event-source', {
      forEach: each,
      eventSourceArn: queueArn,
      functionName: props.dispatcherArn,
      batchSize: setting('batchSize'),
      maximumBatchingWindowInSeconds: 1,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: setting('maximumConcurrency') },
      // Paused and resumed by the operator CLI, outside Terraform. Together with the shared queue's
      // drain, the lanes stay within the dispatcher's reserve: a hung lane cannot starve another.
      lifecycle: {
        ignoreChanges: ['enabled'],
        // A reserve decided at plan time cannot be spliced into the condition's expression.
        precondition: isToken(props.dispatcherReservedConcurrency)
          ? undefined
          : [
              {
                condition: `\${sum(concat([${props.drainConcurrency}], [for lane in values(${props.lanesExpression}) : lane.maximumConcurrency])) <= ${props.dispatcherReservedConcurrency}}`,
                errorMessage:
                  "the delivery lanes' mappings together may run more dispatcher invocations than its reserved concurrency: lower destinations' max_in_flight or raise the dispatcher's reserved concurrency.",
              },
            ],
      },
      dependsOn: props.dependsOn as never,
    });

    this.alarms = this.buildAlarms(each);

    // Lanes decided at plan time have no values at synth for these rules to read: the
    // preconditions above check the same of every lane when Terraform plans it.
    if (props.planTime ?? isToken(props.lanes)) {
      const reason = 'lanes decided at plan time: each lane is checked by its preconditions when Terraform plans it';
      suppressPolicyRule(this.queue, 'sqs-redrive', reason);
      suppressPolicyRule(this.queue, 'sqs-retry-schedule-fits', reason);
      suppressPolicyRule(this.deadLetterQueue, 'sqs-dlq-retention', reason);
      suppressPolicyRule(this.eventSourceMapping, 'lambda-event-source-concurrency', reason);
    }
  }

  /**
   * Destination → its lane's queue and DLQ (URL and ARN) and event source mapping UUID: what the
   * operator CLI reads from the `delivery_lanes` output to pause, resume and redrive a lane.
   */
  get description(): string {
    const queues = `aws_sqs_queue.${this.queue.friendlyUniqueId}`;
    const dlqs = `aws_sqs_queue.${this.deadLetterQueue.friendlyUniqueId}`;
    const mappings = `aws_lambda_event_source_mapping.${this.eventSourceMapping.friendlyUniqueId}`;
    return `\${{ for name, lane in ${queues} : name => { queue_url = lane.url, queue_arn = lane.arn, dead_letter_queue_url = ${dlqs}[name].url, dead_letter_queue_arn = ${dlqs}[name].arn, event_source_mapping_uuid = ${mappings}[name].uuid } }}`;
  }

  /** The dispatcher may consume every lane and dead-letter into every lane's DLQ. */
  grantConsume(grantee: IGrantable): void {
    grantee.addToPrincipalPolicy({
      Sid: 'ConsumeDeliveryLanes',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      Resource: this.lanePattern(LANE_QUEUE_STEM),
    });
    grantee.addToPrincipalPolicy({
      Sid: 'SendToLaneDeadLetterQueues',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: this.lanePattern(LANE_DLQ_STEM),
    });
  }

  /** The processor may send to every lane. */
  grantSend(grantee: IGrantable): void {
    grantee.addToPrincipalPolicy({
      Sid: 'SendToDeliveryLanes',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: this.lanePattern(LANE_QUEUE_STEM),
    });
  }

  /** Every lane queue's ARN (or DLQ's), by name: `<prefix>-lane-*-<suffix>`. */
  private lanePattern(stem: string): string {
    return `${this.props.sqsArnPrefix}${this.props.names.of(stem, '*')}`;
  }

  private buildAlarms(each: MapTerraformIterator): CloudwatchMetricAlarm[] {
    const { alarms, names } = this.props;
    if (alarms.enabled === false) return [];
    // Alarms exist per lane while alarms are on: a for_each over the lanes, or over none (both
    // maps, so the conditional's two results have one type).
    const alarmLanes: MapTerraformIterator =
      alarms.enabled === true
        ? each
        : TerraformIterator.fromMap(
            Fn.conditional(alarms.enabled, Fn.tomap(this.props.lanes), Fn.tomap({})) as unknown as Record<string, LaneSettings>,
          );
    const key = Token.asString(alarmLanes.key);
    const laneName = (stem: string) => names.of(stem, key);
    const common = {
      forEach: alarmLanes,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [alarms.topicArn],
      okActions: [alarms.topicArn],
    };
    const dlq = new CloudwatchMetricAlarm(this, 'dlq-alarm', {
      ...common,
      alarmName: names.of('lane', key, 'dlq'),
      alarmDescription: `A delivery to ${key} reached its lane's dead-letter queue. First step: docs/RUNBOOK.md, "Redrive one lane's DLQ".`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: laneName(LANE_DLQ_STEM) },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
    });
    // A paused or stuck lane: its oldest delivery is half-way to expiry, with the other half left to act.
    const age = new CloudwatchMetricAlarm(this, 'age-alarm', {
      ...common,
      alarmName: names.of('lane', key, 'age'),
      alarmDescription: `The oldest delivery waiting for ${key} is half-way to its lane's retention: paused too long, or failing. First step: docs/RUNBOOK.md, "A lane's deliveries are getting old".`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: laneName(LANE_QUEUE_STEM) },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: Token.asNumber(Fn.floor(Op.div(alarmLanes.getNumber('retentionSeconds'), 2))),
    });
    const toDestination = (outcome: typeof HANDLER_METRICS.deliveryFailed | typeof HANDLER_METRICS.delivered) => {
      const metric = alarms.deliveries.metricOutcome(outcome);
      return { ...metric, dimensions: { ...metric.dimensions, [DESTINATION_DIMENSION]: key } };
    };
    const failed = toDestination(HANDLER_METRICS.deliveryFailed);
    const delivered = toDestination(HANDLER_METRICS.delivered);
    const rate = new CloudwatchMetricAlarm(this, 'failure-rate-alarm', {
      ...common,
      alarmName: names.of('lane', key, 'failure-rate'),
      alarmDescription: `More than the threshold share of delivery attempts to ${key} failed for 15 minutes. First step: docs/RUNBOOK.md, "delivery-failure-rate", for this destination.`,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: alarms.failureRatePercent,
      metricQuery: [
        {
          id: 'rate',
          expression: '100 * failed / MAX([failed + delivered, 1])',
          label: `${key} delivery failure rate (%)`,
          returnData: true,
        },
        ...(
          [
            ['failed', failed],
            ['delivered', delivered],
          ] as const
        ).map(([queryId, m]) => ({
          id: queryId,
          returnData: false,
          metric: { namespace: m.namespace, metricName: m.metricName, stat: m.stat, period: 300, dimensions: m.dimensions },
        })),
      ],
    });
    return [dlq, age, rate];
  }
}
