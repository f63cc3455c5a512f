import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type Answer, type Received, type Receiver, startReceiver } from '../__tests__/support/receiver';
import { type MotoServer, startMoto } from '../__tests__/support/moto';
import { EsmRunner } from '../scripts/lib/esm-runner';
import { bundleHandler } from '../src/bundling/bundle-handler';
import { DEFAULT_LAMBDA_RUNTIME } from '../src/config/aws-provider';
import { destinationsJson, retryRetentionSeconds, scheduleAsString } from '../src/config/delivery';
import { DRAIN_MAPPING_CONCURRENCY, laneSettings, validateLaneConcurrency } from '../src/config/lanes';
import { ResourceNames } from '../src/config/naming';
import type { LaneSettings } from '../src/constructs/delivery-lanes';
import { DEFAULT_BATCH_SIZE, DEFAULT_BATCH_WINDOW_SECONDS, DEFAULT_MEMORY_MB } from '../src/constructs/pipeline-function';
import { DLQ_RETENTION_SECONDS, VISIBILITY_TIMEOUT_FACTOR } from '../src/constructs/queue-with-dlq';
import {
  DEFAULT_DELIVERY_RETRY_SCHEDULE,
  HANDLER_ENV,
  LANE_DLQ_STEM,
  LANE_NAME_PLACEHOLDER,
  LANE_QUEUE_STEM,
  METRICS_NAMESPACE,
} from '../src/contract';
import { signingKey, standardWebhooksSignature } from '../src/handlers/dispatcher/signing';
import { type BatchSender, createBatchSender, type OutgoingMessage } from '../src/handlers/shared/batch-sender';
import { createLaneSender } from '../src/handlers/shared/lane-sender';
import type { ProcessEnvelope } from '../src/handlers/shared/process-envelope';
import { deriveEventType, normalizeEvent } from '../src/handlers/processor/normalize-event';
import { deliveryTimeoutMs } from '../src/webhook-pipeline';
import type { Target } from './report';

/**
 * Issue 19, item 6: does a destination hanging past its delivery timeout slow a healthy one?
 *
 * The real dispatcher bundle (`bundleHandler('dispatcher')`) runs under the ESM runner
 * (scripts/lib/esm-runner.ts) on moto, as a function with a reserved concurrency and the event
 * source mappings the pipeline gives it, all derived by the pipeline's own code: the lanes'
 * batch size and maximum concurrency from `laneSettings` (`defaultLaneConcurrency`: an equal share
 * of the reserve after the shared queue's drain), queue names from `ResourceNames`, the dispatcher's
 * environment from `destinationsJson` and HANDLER_ENV, its delivery timeout from `deliveryTimeoutMs`
 * of its function timeout, visibility timeouts from VISIBILITY_TIMEOUT_FACTOR. Deliveries are put on
 * the queues as the processor puts them: `normalizeEvent` for the body, `createLaneSender` (the
 * processor's own sender) for the lanes. Two loopback receivers: `fast` answers 200 at once,
 * `slow` answers 200 in the healthy run and never answers in the hung run (the dispatcher gives up
 * after DELIVERY_TIMEOUT_MS and backs the record off on the pipeline's retry schedule).
 *
 * Each design runs twice on one runner, after a warm-up that starts an environment for each
 * invocation it may run at once: both destinations healthy, then `slow` hung. A delivery's
 * latency is from just before its SendMessage to its first arrival at the receiver; each run's
 * load goes on for one batching window past the timed events (`tailEvents`).
 * - `lanes`: a lane (queue + mapping) per destination, and the shared queue's drain mapping.
 * - `shared`: 0.2.0's design, for comparison: the lanes' mappings paused and every delivery on
 *   the one shared deliver queue, whose mapping gets the lanes' combined concurrency.
 *
 * Defaults (reserve 6, so the lanes get (6 − 2) / 2 = 2 each and the shared design 4 — the
 * concurrency the issue's 4.7 × was measured at; dispatcher timeout 5 s, so DELIVERY_TIMEOUT_MS
 * 2000; batches of 10 within 1 s; 10 events/s to each destination): an invocation holding a hung
 * delivery lasts the 2 s timeout, so a mapping of c invocations gets through at most 10 c / 2 =
 * 5 c hung records a second. The hung destination alone offers 10 first attempts a second, then
 * as many retries (the schedule's first step is 5 s): more than its lane's 2 invocations take
 * (10/s), and, with the healthy destination's 10/s, more than the shared mapping's 4 take (20/s).
 * The load fills the concurrency in both designs; only in the shared one is it the healthy
 * destination's concurrency too.
 *
 * Queues, as few as the measurement needs: the shared deliver queue, both lanes, and the hung
 * lane's DLQ (the one lane whose deliveries fail). The healthy lane's DLQ and the shared queue's
 * are left out: nothing here can reach them (the healthy receiver answers 200; a record backs off
 * twice at most in a run, far from the 8 receives the schedule allows).
 */

export type Design = 'lanes' | 'shared';
export type Neighbour = 'healthy' | 'hung';
export const DESTINATIONS = ['fast', 'slow'] as const;
export type Destination = (typeof DESTINATIONS)[number];

export const ISOLATION_DEFAULTS = {
  /** Events per run, each to both destinations. */
  events: 120,
  /** Events per second, each to both destinations. */
  ratePerSecond: 10,
  reservedConcurrency: 6,
  /** DELIVERY_TIMEOUT_MS follows it as the stack derives it: 5 s → 2000 ms. */
  dispatcherTimeoutSeconds: 5,
  /** How long a run may take to deliver what it sent before it is reported as not delivered. */
  settleTimeoutMs: 90_000,
} as const;

/** The issue's target: the healthy destination's p95 under a hung neighbour, over its p95 alone. */
export const MAX_ISOLATION_RATIO = 1.5;

/**
 * Below this a p95 counts as this in the ratio: half the mappings' batching window (1 s), 500 ms.
 * Alone, a delivery already waits a random part of the window: a mapping's pollers compete for a
 * trickle (at 10/s, one delivery every 100 ms), and a batch is held open until its poller wins
 * the next one or the window closes, so a healthy p95 moves between 0.3 and 0.5 s from one run to
 * the next with nothing else going on. What a hung neighbour does to a shared mapping is make
 * batches wait for an invocation held for the delivery timeout (2 s): 1.5 × the floor (750 ms)
 * stays well below it, so the floor cannot hide that (and a floor that could is refused).
 */
export const jitterFloorMs = (deliveryTimeout: number): number => {
  const floor = (DEFAULT_BATCH_WINDOW_SECONDS * 1000) / 2;
  if (MAX_ISOLATION_RATIO * floor >= deliveryTimeout) {
    throw new Error(`a jitter floor of ${floor} ms would hide a wait of a whole ${deliveryTimeout} ms delivery timeout`);
  }
  return floor;
};

/**
 * Events sent after the measured ones, a batching window's worth: without them the last measured
 * deliveries would each wait out the whole window (no later delivery comes to close their batch),
 * which says nothing about a neighbour. They are delivered and accounted for, not timed.
 */
export const tailEvents = (ratePerSecond: number): number => Math.ceil(ratePerSecond * DEFAULT_BATCH_WINDOW_SECONDS);

/** The healthy destination's p95 under a hung neighbour over its p95 alone, the latter at least the floor. */
export function isolationRatio(healthyP95Ms: number, hungP95Ms: number, floorMs: number): number {
  return hungP95Ms / Math.max(healthyP95Ms, floorMs);
}

export interface IsolationOptions {
  /** Unpacked bundles and the runner's logs go here. */
  readonly workDir: string;
  /** A local AWS API already running; by default a moto server is started (and stopped). */
  readonly endpoint?: string;
  /** @default ISOLATION_DEFAULTS.events */
  readonly events?: number;
  /** @default ISOLATION_DEFAULTS.ratePerSecond */
  readonly ratePerSecond?: number;
  /** @default ISOLATION_DEFAULTS.reservedConcurrency */
  readonly reservedConcurrency?: number;
  /** @default ISOLATION_DEFAULTS.dispatcherTimeoutSeconds */
  readonly dispatcherTimeoutSeconds?: number;
  /** @default both, lanes first */
  readonly designs?: readonly Design[];
  /** @default 'dev' on a moto of its own, a random one on `endpoint` */
  readonly environmentSuffix?: string;
  /** @default ISOLATION_DEFAULTS.settleTimeoutMs */
  readonly settleTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Called with a cleanup for an interrupted run (the bench's `onInterrupt`); returns its unregister function. */
  readonly registerCleanup?: (cleanup: () => Promise<void>) => () => void;
}

export interface LatencyFigures {
  /** The deliveries timed: the run's events but the tail (`tailEvents`). */
  readonly measured: number;
  /** Of those, the ones with at least one arrival at the receiver. */
  readonly arrived: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Every delivery's, in ascending order. */
  readonly sortedMs: readonly number[];
}

export interface DestinationRun {
  /** Measured and tail events. */
  readonly sent: number;
  /** From enqueue to its first arrival at the receiver (for the hung destination: its first attempt). */
  readonly latency: LatencyFigures;
  /** Distinct deliveries the receiver answered 2xx. */
  readonly delivered: number;
  /** Deliveries answered 2xx more than once. */
  readonly deliveredTwice: number;
  /** Every request the receiver got, retries included. */
  readonly attempts: number;
  /** Requests whose `webhook-signature` did not verify with the destination's secret from SSM. */
  readonly badSignatures: number;
}

export interface MappingRun {
  /** The mapping's queue. */
  readonly queue: string;
  readonly maximumConcurrency: number;
  readonly invocations: number;
  readonly records: number;
  /** Records the invocations left on the queue (failed deliveries backing off). */
  readonly recordsFailed: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  /** Invocation time over the run's wall time: how many of its invocations ran, on average. */
  readonly occupancy: number;
}

export interface Accounting {
  readonly sent: number;
  readonly delivered: number;
  /** Left on the run's queues after the runner stopped: backing off, or not yet received. */
  readonly waiting: number;
  readonly deadLettered: number;
  /** sent − delivered − waiting − deadLettered. */
  readonly lost: number;
}

export interface IsolationRun {
  readonly design: Design;
  readonly neighbour: Neighbour;
  readonly wallMs: number;
  readonly destinations: Readonly<Record<Destination, DestinationRun>>;
  /** Mappings that invoked during the run. */
  readonly mappings: readonly MappingRun[];
  /** The hung run's is counted once the runner stopped; the healthy run ends once its queues are empty. */
  readonly accounting: Accounting;
  readonly throttles: number;
  readonly invocationTimeouts: number;
  readonly invocationErrors: number;
}

export interface DesignResult {
  readonly design: Design;
  /** Each polled mapping: queue → batch size and maximum concurrency. */
  readonly mappings: readonly { readonly queue: string; readonly batchSize: number; readonly maximumConcurrency: number }[];
  readonly healthy: IsolationRun;
  readonly hung: IsolationRun;
  /** `isolationRatio` of the fast destination's p95. */
  readonly ratio: number;
}

export interface IsolationResult {
  readonly settings: {
    readonly events: number;
    /** Sent after the measured events in each run, not timed. */
    readonly tailEvents: number;
    readonly ratePerSecond: number;
    readonly reservedConcurrency: number;
    readonly dispatcherTimeoutSeconds: number;
    readonly deliveryTimeoutMs: number;
    readonly retrySchedule: readonly number[];
    readonly jitterFloorMs: number;
    readonly setupMs: number;
  };
  readonly designs: readonly DesignResult[];
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * The runner's ReceiveMessage wait. Moto goes on serving a long poll whose client went away, so
 * after a runner stops, its receives still take (and hide for a visibility timeout) what arrives
 * for this long: the next design waits it out before sending anything.
 */
const LONG_POLL_SECONDS = 5;

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await delay(intervalMs);
  }
}

/** Nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

interface Arrival {
  readonly run: string;
  readonly seq: number;
  readonly at: number;
  readonly answered: boolean;
  readonly signatureOk: boolean;
}

/**
 * A loopback destination recording every arrival, and whether its `webhook-signature` verifies
 * with the destination's secret (the one put in SSM); `hang` makes it never answer.
 */
class LoopbackDestination {
  readonly arrivals: Arrival[] = [];
  hang = false;
  private server: Receiver | undefined;

  private constructor(
    readonly name: Destination,
    private readonly secret: { readonly value: string; readonly parameter: string },
  ) {}

  static async start(name: Destination, secret: { readonly value: string; readonly parameter: string }): Promise<LoopbackDestination> {
    const destination = new LoopbackDestination(name, secret);
    destination.server = await startReceiver((request) => destination.arrive(request));
    return destination;
  }

  get receiver(): Receiver {
    return this.server!;
  }

  private arrive(request: Received): Answer | 'hang' {
    const at = Date.now();
    let run = '';
    let seq = -1;
    try {
      ({ run, seq } = JSON.parse(request.body) as { run: string; seq: number });
    } catch {
      // Not ours: answered, never counted.
    }
    const id = String(request.headers['webhook-id'] ?? '');
    const timestamp = Number(request.headers['webhook-timestamp']);
    const expected = standardWebhooksSignature([signingKey(this.secret.value, this.secret.parameter)], id, timestamp, request.body);
    this.arrivals.push({ run, seq, at, answered: !this.hang, signatureOk: request.headers['webhook-signature'] === expected });
    return this.hang ? 'hang' : { status: 200 };
  }

  of(run: string): Arrival[] {
    return this.arrivals.filter((arrival) => arrival.run === run);
  }
}

/** Everything one measurement created, and how to take it down. */
interface Setup {
  readonly endpoint: string;
  readonly names: ResourceNames;
  readonly functionName: string;
  readonly zipPath: string;
  readonly deliveryTimeoutMs: number;
  readonly lanes: Readonly<Record<Destination, LaneSettings>>;
  readonly queueUrls: { readonly shared: string; readonly lanes: Readonly<Record<Destination, string>>; readonly slowDlq: string };
  /** DELIVERY_LANE_QUEUE_URL: the lanes' URL template the processor sends by. */
  readonly laneQueueUrlTemplate: string;
  readonly mappingUuids: { readonly drain: string; readonly lanes: Readonly<Record<Destination, string>> };
  readonly destinations: Readonly<Record<Destination, LoopbackDestination>>;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  teardown(): Promise<void>;
}

const queueName = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

async function createSetup(
  options: Required<Pick<IsolationOptions, 'reservedConcurrency' | 'dispatcherTimeoutSeconds' | 'workDir'>> & {
    endpoint: string;
    suffix: string;
    ownEndpoint: boolean;
  },
  log: (line: string) => void,
): Promise<Setup> {
  const { endpoint, suffix, reservedConcurrency, dispatcherTimeoutSeconds } = options;
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const sqs = new SQSClient(config);
  const lambda = new LambdaClient(config);
  const ssm = new SSMClient(config);
  const iam = new IAMClient(config);
  const undo: (() => Promise<unknown>)[] = [];
  const destinations: Partial<Record<Destination, LoopbackDestination>> = {};
  const teardown = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
    await Promise.all(Object.values(destinations).map((destination) => destination.receiver.close()));
    for (const client of [sqs, lambda, ssm, iam]) client.destroy();
  };
  // On a moto of its own, stopping moto takes everything down; on another endpoint, each resource is deleted.
  const created = (step: () => Promise<unknown>) => {
    if (!options.ownEndpoint) undo.push(step);
  };
  try {
    const names = new ResourceNames({ suffix });
    const secretsPath = `/${names.prefix}-pipeline/${suffix}`;
    const destinationSecretsPrefix = `${secretsPath}/delivery/destinations/`;
    const secrets = Object.fromEntries(
      DESTINATIONS.map((name) => [
        name,
        { value: `whsec_${randomBytes(24).toString('base64')}`, parameter: `${destinationSecretsPrefix}${name}` },
      ]),
    ) as Record<Destination, { value: string; parameter: string }>;
    for (const name of DESTINATIONS) destinations[name] = await LoopbackDestination.start(name, secrets[name]);
    const props = Object.fromEntries(DESTINATIONS.map((name) => [name, { url: destinations[name]!.receiver.url }]));

    // The pipeline's own arithmetic for the lanes and the dispatcher.
    const lanes = laneSettings({
      destinations: props,
      deliveryUrl: '',
      retrySchedule: DEFAULT_DELIVERY_RETRY_SCHEDULE,
      dispatcherReservedConcurrency: reservedConcurrency,
    }) as Record<Destination, LaneSettings>;
    validateLaneConcurrency('isolation', lanes, reservedConcurrency);
    const visibility = dispatcherTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;
    const timeoutMs = deliveryTimeoutMs(dispatcherTimeoutSeconds);

    await Promise.all(
      DESTINATIONS.map((name) =>
        ssm.send(
          new PutParameterCommand({ Name: secrets[name].parameter, Value: secrets[name].value, Type: 'SecureString', Overwrite: true }),
        ),
      ),
    );
    created(() => ssm.send(new DeleteParametersCommand({ Names: DESTINATIONS.map((name) => secrets[name].parameter) })));

    const createQueue = async (name: string, attributes: Record<string, string>) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
      created(() => sqs.send(new DeleteQueueCommand({ QueueUrl })));
      return QueueUrl;
    };
    const laneAttributes = (lane: LaneSettings) => ({
      MessageRetentionPeriod: String(lane.retentionSeconds),
      VisibilityTimeout: String(visibility),
      ReceiveMessageWaitTimeSeconds: '20',
      SqsManagedSseEnabled: 'true',
    });
    const started = Date.now();
    // The hung lane's DLQ first (its ARN must exist for the redrive policy), then the rest at once.
    const slowDlq = await createQueue(names.of(LANE_DLQ_STEM, 'slow'), {
      MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
      SqsManagedSseEnabled: 'true',
    });
    const arnOf = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const slowDlqArn = await arnOf(slowDlq);
    const [shared, fastLane, slowLane] = await Promise.all([
      createQueue(names.of('deliver'), {
        MessageRetentionPeriod: String(retryRetentionSeconds(DEFAULT_DELIVERY_RETRY_SCHEDULE)),
        VisibilityTimeout: String(visibility),
        ReceiveMessageWaitTimeSeconds: '20',
        SqsManagedSseEnabled: 'true',
      }),
      createQueue(names.of(LANE_QUEUE_STEM, 'fast'), laneAttributes(lanes.fast)),
      createQueue(names.of(LANE_QUEUE_STEM, 'slow'), {
        ...laneAttributes(lanes.slow),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: slowDlqArn, maxReceiveCount: lanes.slow.maxReceiveCount }),
      }),
    ]);
    log(`isolation: 4 queues created in ${Date.now() - started} ms`);
    // A URL of the shared queue's form with another name, as the stack builds the lane templates.
    const withName = (name: string) => `${shared.slice(0, shared.lastIndexOf('/') + 1)}${name}`;

    const bundle = bundleHandler('dispatcher');
    const functionName = names.of('dispatcher');
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: `${functionName}-role`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    created(() => iam.send(new DeleteRoleCommand({ RoleName: `${functionName}-role` })));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: functionName,
        Runtime: DEFAULT_LAMBDA_RUNTIME,
        Role: Role!.Arn,
        Handler: 'index.handler',
        Code: { ZipFile: fs.readFileSync(bundle.zipPath) },
        Timeout: dispatcherTimeoutSeconds,
        MemorySize: DEFAULT_MEMORY_MB,
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: functionName,
            POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
            POWERTOOLS_LOG_LEVEL: 'INFO',
            // No X-Ray daemon here (the stack's default is tracing on).
            POWERTOOLS_TRACE_ENABLED: 'false',
            [HANDLER_ENV.deliveryDestinations]: destinationsJson({
              destinations: props,
              deliveryUrl: '',
              defaultSecretParameter: `${secretsPath}/delivery/signing-secret`,
              destinationSecretsPrefix,
            }),
            [HANDLER_ENV.deliveryRetrySchedule]: scheduleAsString(DEFAULT_DELIVERY_RETRY_SCHEDULE),
            [HANDLER_ENV.sourceQueueUrl]: shared,
            [HANDLER_ENV.deadLetterQueueUrl]: withName(names.of('deliver', 'dlq')),
            [HANDLER_ENV.laneQueueUrl]: withName(names.of(LANE_QUEUE_STEM, LANE_NAME_PLACEHOLDER)),
            [HANDLER_ENV.laneDeadLetterQueueUrl]: withName(names.of(LANE_DLQ_STEM, LANE_NAME_PLACEHOLDER)),
            [HANDLER_ENV.deliveryTimeoutMs]: String(timeoutMs),
          },
        },
      }),
    );
    created(() => lambda.send(new DeleteFunctionCommand({ FunctionName: functionName })));
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: reservedConcurrency }));
    const mapping = async (queueUrl: string, batchSize: number, maximumConcurrency: number) => {
      const { UUID } = await lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: functionName,
          EventSourceArn: await arnOf(queueUrl),
          BatchSize: batchSize,
          MaximumBatchingWindowInSeconds: DEFAULT_BATCH_WINDOW_SECONDS,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: maximumConcurrency },
        }),
      );
      created(() => lambda.send(new DeleteEventSourceMappingCommand({ UUID })));
      return UUID!;
    };
    // The lanes' mappings have a 1 s window as the shared queue's (src/constructs/delivery-lanes.ts).
    const drain = await mapping(shared, DEFAULT_BATCH_SIZE, DRAIN_MAPPING_CONCURRENCY);
    const fastMapping = await mapping(fastLane, lanes.fast.batchSize, lanes.fast.maximumConcurrency);
    const slowMapping = await mapping(slowLane, lanes.slow.batchSize, lanes.slow.maximumConcurrency);
    return {
      endpoint,
      names,
      functionName,
      zipPath: bundle.zipPath,
      deliveryTimeoutMs: timeoutMs,
      lanes,
      queueUrls: { shared, lanes: { fast: fastLane, slow: slowLane }, slowDlq },
      laneQueueUrlTemplate: withName(names.of(LANE_QUEUE_STEM, LANE_NAME_PLACEHOLDER)),
      mappingUuids: { drain, lanes: { fast: fastMapping, slow: slowMapping } },
      destinations: destinations as Record<Destination, LoopbackDestination>,
      sqs,
      lambda,
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** The processor's messages for one event: one per destination, its body `normalizeEvent`'s. */
function deliveriesOf(run: string, seq: number): OutgoingMessage[] {
  const body = JSON.stringify({ action: 'isolation', run, seq });
  const envelope: ProcessEnvelope = {
    version: 2,
    source: 'github',
    scheme: 'github',
    deliveryId: `${run}-${seq}-${randomUUID()}`,
    eventType: 'push',
    receivedAt: new Date().toISOString(),
    requestId: null,
    body,
  };
  const type = deriveEventType(envelope);
  return DESTINATIONS.map((destination) => ({
    lane: destination,
    body: JSON.stringify(normalizeEvent(envelope, { destination, type, processedAt: new Date() })),
  }));
}

interface Phase {
  readonly design: Design;
  readonly setup: Setup;
  readonly runner: EsmRunner;
  readonly send: BatchSender;
  /** The queues this design's deliveries go to. */
  readonly queues: readonly string[];
  readonly settleTimeoutMs: number;
  readonly log: (line: string) => void;
}

/**
 * Sends `events` events (each to both destinations) at `rate` a second; resolves to each
 * delivery's enqueue time and the SQS message ids of the run.
 */
async function feed(
  phase: Phase,
  run: string,
  events: number,
  rate: number,
): Promise<{ sentAt: Map<string, number>; messageIds: Set<string> }> {
  const sentAt = new Map<string, number>();
  const messageIds = new Set<string>();
  const start = Date.now();
  const sends: Promise<void>[] = [];
  for (let seq = 0; seq < events; seq += 1) {
    const due = start + (seq * 1000) / rate;
    if (due > Date.now()) await delay(due - Date.now());
    const messages = deliveriesOf(run, seq);
    const at = Date.now();
    for (const destination of DESTINATIONS) sentAt.set(`${destination}:${seq}`, at);
    sends.push(
      phase.send(messages).then((results) => {
        for (const result of results) {
          if (!result.sent) throw new Error(`${run}: a delivery of event ${seq} was not sent: ${JSON.stringify(result.failure)}`);
          if (result.messageId) messageIds.add(result.messageId);
        }
      }),
    );
  }
  await Promise.all(sends);
  return { sentAt, messageIds };
}

function destinationFigures(
  destination: LoopbackDestination,
  run: string,
  sentAt: ReadonlyMap<string, number>,
  events: number,
  total: number,
): DestinationRun {
  const arrivals = destination.of(run);
  const first = new Map<number, number>();
  const answered = new Map<number, number>();
  for (const arrival of arrivals) {
    if (!first.has(arrival.seq)) first.set(arrival.seq, arrival.at);
    if (arrival.answered) answered.set(arrival.seq, (answered.get(arrival.seq) ?? 0) + 1);
  }
  const latencies = [...first].filter(([seq]) => seq < events).map(([seq, at]) => at - sentAt.get(`${destination.name}:${seq}`)!);
  return {
    sent: total,
    latency: {
      measured: events,
      arrived: latencies.length,
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      maxMs: Math.max(...latencies),
      sortedMs: [...latencies].sort((a, b) => a - b),
    },
    delivered: answered.size,
    deliveredTwice: [...answered.values()].filter((count) => count > 1).length,
    attempts: arrivals.length,
    badSignatures: arrivals.filter((arrival) => !arrival.signatureOk).length,
  };
}

async function measureRun(phase: Phase, neighbour: Neighbour, events: number, rate: number, stop: boolean): Promise<IsolationRun> {
  const { setup, runner, design } = phase;
  const run = `${design}-${neighbour}`;
  const { fast, slow } = setup.destinations;
  slow.hang = neighbour === 'hung';
  const firstInvocation = runner.invocations.length;
  const started = Date.now();
  const total = events + tailEvents(rate);
  const { sentAt, messageIds } = await feed(phase, run, total, rate);
  const fastArrived = () => new Set(fast.of(run).map((arrival) => arrival.seq)).size >= total;
  const settled =
    neighbour === 'healthy'
      ? async () =>
          fastArrived() &&
          new Set(slow.of(run).map((arrival) => arrival.seq)).size >= total &&
          (await Promise.all(phase.queues.map((url) => queueDepth(setup.sqs, url)))).every((depth) => depth === 0)
      : fastArrived;
  if (!(await waitUntil(settled, phase.settleTimeoutMs, 200))) {
    phase.log(`isolation: ${run}: not everything arrived within ${phase.settleTimeoutMs} ms; reported as it stands`);
  }
  const wallMs = Date.now() - started;
  // The hung run's figures are final once the runner stopped: no invocation in flight, every delete done.
  if (stop) await runner.stop();
  const spanMs = Date.now() - started;
  // This run's invocations only (one of the previous run's may have been recorded late).
  const invocations = runner.invocations
    .slice(firstInvocation)
    .filter((invocation) => invocation.messageIds.some((id) => messageIds.has(id)));
  const polled = runner.consumers[0].mappings;
  const mappings = polled
    .map((mapping) => {
      const own = invocations.filter((invocation) => invocation.mappingUuid === mapping.uuid && invocation.outcome !== 'throttled');
      const busyMs = own.reduce((sum, invocation) => sum + invocation.durationMs, 0);
      return {
        queue: queueName(mapping.queueUrl),
        maximumConcurrency: mapping.maximumConcurrency ?? 0,
        invocations: own.length,
        records: own.reduce((sum, invocation) => sum + invocation.messageIds.length, 0),
        recordsFailed: own.reduce((sum, invocation) => sum + invocation.notDeleted.length, 0),
        minDurationMs: Math.min(...own.map((invocation) => invocation.durationMs)),
        maxDurationMs: Math.max(...own.map((invocation) => invocation.durationMs)),
        occupancy: busyMs / spanMs,
      };
    })
    .filter((mapping) => mapping.invocations > 0);
  const destinations = {
    fast: destinationFigures(fast, run, sentAt, events, total),
    slow: destinationFigures(slow, run, sentAt, events, total),
  };
  const depths = await Promise.all(phase.queues.map((url) => queueDepth(setup.sqs, url)));
  const deadLettered = design === 'lanes' ? await queueDepth(setup.sqs, setup.queueUrls.slowDlq) : 0;
  const delivered = destinations.fast.delivered + destinations.slow.delivered;
  const waiting = depths.reduce((sum, depth) => sum + depth, 0);
  return {
    design,
    neighbour,
    wallMs,
    destinations,
    mappings,
    accounting: { sent: 2 * total, delivered, waiting, deadLettered, lost: 2 * total - delivered - waiting - deadLettered },
    throttles: invocations.filter((invocation) => invocation.outcome === 'throttled').length,
    invocationTimeouts: invocations.filter((invocation) => invocation.outcome === 'timeout').length,
    invocationErrors: invocations.filter((invocation) => invocation.outcome === 'error' || invocation.outcome === 'init-error').length,
  };
}

/**
 * Starts an environment for each invocation the design may run at once: a burst of full batches
 * on each polled queue, delivered before the measured runs begin, so that no measured delivery
 * waits for a cold start.
 */
async function warmUp(phase: Phase, batches: number): Promise<void> {
  const { setup } = phase;
  const events = batches * DEFAULT_BATCH_SIZE;
  const run = `${phase.design}-warm`;
  await Promise.all(Array.from({ length: events }, (_, seq) => phase.send(deliveriesOf(run, seq))));
  const done = await waitUntil(
    async () =>
      DESTINATIONS.every((name) => new Set(setup.destinations[name].of(run).map((arrival) => arrival.seq)).size >= events) &&
      (await Promise.all(phase.queues.map((url) => queueDepth(setup.sqs, url)))).every((depth) => depth === 0),
    phase.settleTimeoutMs,
    200,
  );
  if (!done) throw new Error(`isolation: the ${phase.design} warm-up was not delivered within ${phase.settleTimeoutMs} ms`);
}

const setEnabled = (setup: Setup, uuid: string, enabled: boolean) =>
  setup.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));

async function measureDesign(
  design: Design,
  setup: Setup,
  options: { events: number; rate: number; settleTimeoutMs: number; workDir: string },
  log: (line: string) => void,
): Promise<DesignResult> {
  const { lanes, mappingUuids, queueUrls } = setup;
  const combined = DESTINATIONS.reduce((sum, name) => sum + lanes[name].maximumConcurrency, 0);
  // Lanes: every mapping the pipeline has. Shared (0.2.0): the lanes paused, and the one deliver
  // queue's mapping given the lanes' combined concurrency.
  for (const name of DESTINATIONS) await setEnabled(setup, mappingUuids.lanes[name], design === 'lanes');
  await setup.lambda.send(
    new UpdateEventSourceMappingCommand({
      UUID: mappingUuids.drain,
      Enabled: true,
      ScalingConfig: { MaximumConcurrency: design === 'lanes' ? DRAIN_MAPPING_CONCURRENCY : combined },
    }),
  );
  const runner = await EsmRunner.start({
    endpoint: setup.endpoint,
    functionNames: [setup.functionName],
    codeFiles: { [setup.functionName]: setup.zipPath },
    workDir: path.join(options.workDir, design),
    pollersPerMapping: Math.max(combined, DRAIN_MAPPING_CONCURRENCY),
    longPollSeconds: LONG_POLL_SECONDS,
    extraEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    log: (line) => log(`isolation: ${line}`),
  });
  try {
    const polled = runner.consumers[0].mappings.filter((mapping) => mapping.enabled);
    const expected =
      design === 'lanes' ? [DRAIN_MAPPING_CONCURRENCY, ...DESTINATIONS.map((name) => lanes[name].maximumConcurrency)] : [combined];
    const actual = polled.map((mapping) => mapping.maximumConcurrency);
    const sorted = (values: readonly (number | undefined)[]) => JSON.stringify([...values].sort((a, b) => (a ?? 0) - (b ?? 0)));
    if (sorted(actual) !== sorted(expected)) {
      throw new Error(
        `isolation: ${design}: the runner polls mappings of concurrency ${actual.join(', ')}, expected ${expected.join(', ')}`,
      );
    }
    const phase: Phase = {
      design,
      setup,
      runner,
      send: design === 'lanes' ? createLaneSender(setup.sqs, setup.laneQueueUrlTemplate) : createBatchSender(setup.sqs, queueUrls.shared),
      queues: design === 'lanes' ? DESTINATIONS.map((name) => queueUrls.lanes[name]) : [queueUrls.shared],
      settleTimeoutMs: options.settleTimeoutMs,
      log,
    };
    setup.destinations.slow.hang = false;
    // Batches of 10 per destination and invocation the design may run at once.
    await warmUp(phase, combined);
    log(`isolation: ${design}: warm; both destinations healthy`);
    const healthy = await measureRun(phase, 'healthy', options.events, options.rate, false);
    log(`isolation: ${design}: slow hangs`);
    const hung = await measureRun(phase, 'hung', options.events, options.rate, true);
    const ratio = isolationRatio(
      healthy.destinations.fast.latency.p95Ms,
      hung.destinations.fast.latency.p95Ms,
      jitterFloorMs(setup.deliveryTimeoutMs),
    );
    log(
      `isolation: ${design}: fast p95 ${healthy.destinations.fast.latency.p95Ms} ms healthy, ${hung.destinations.fast.latency.p95Ms} ms beside a hung slow: ${ratio.toFixed(2)} ×`,
    );
    return {
      design,
      mappings: polled.map((mapping) => ({
        queue: queueName(mapping.queueUrl),
        batchSize: mapping.batchSize,
        maximumConcurrency: mapping.maximumConcurrency ?? 0,
      })),
      healthy,
      hung,
      ratio,
    };
  } finally {
    await runner.stop();
    // The runner re-enabled what it polled; nothing polls it now.
    setup.destinations.slow.hang = false;
  }
}

/** Runs the measurement: each design healthy, then with `slow` hung. Throws when it cannot be set up or a warm-up fails. */
export async function measureIsolation(options: IsolationOptions): Promise<IsolationResult> {
  const log = options.log ?? (() => undefined);
  const events = options.events ?? ISOLATION_DEFAULTS.events;
  const rate = options.ratePerSecond ?? ISOLATION_DEFAULTS.ratePerSecond;
  const reservedConcurrency = options.reservedConcurrency ?? ISOLATION_DEFAULTS.reservedConcurrency;
  const dispatcherTimeoutSeconds = options.dispatcherTimeoutSeconds ?? ISOLATION_DEFAULTS.dispatcherTimeoutSeconds;
  const settleTimeoutMs = options.settleTimeoutMs ?? ISOLATION_DEFAULTS.settleTimeoutMs;
  const designs = options.designs ?? (['lanes', 'shared'] as const);
  fs.mkdirSync(options.workDir, { recursive: true });
  let moto: MotoServer | undefined;
  let setup: Setup | undefined;
  const cleanup = async () => {
    await setup?.teardown();
    await moto?.stop();
  };
  const unregister = options.registerCleanup?.(cleanup);
  try {
    const started = Date.now();
    if (!options.endpoint) moto = await startMoto();
    const endpoint = options.endpoint ?? moto!.endpoint;
    setup = await createSetup(
      {
        endpoint,
        suffix: options.environmentSuffix ?? (options.endpoint ? `iso${randomBytes(3).toString('hex')}` : 'dev'),
        ownEndpoint: !options.endpoint,
        reservedConcurrency,
        dispatcherTimeoutSeconds,
        workDir: options.workDir,
      },
      log,
    );
    const setupMs = Date.now() - started;
    const results: DesignResult[] = [];
    for (const design of designs) {
      if (results.length > 0) await delay((LONG_POLL_SECONDS + 1) * 1000);
      results.push(await measureDesign(design, setup, { events, rate, settleTimeoutMs, workDir: options.workDir }, log));
    }
    return {
      settings: {
        events,
        tailEvents: tailEvents(rate),
        ratePerSecond: rate,
        reservedConcurrency,
        dispatcherTimeoutSeconds,
        deliveryTimeoutMs: setup.deliveryTimeoutMs,
        retrySchedule: DEFAULT_DELIVERY_RETRY_SCHEDULE,
        jitterFloorMs: jitterFloorMs(setup.deliveryTimeoutMs),
        setupMs,
      },
      designs: results,
    };
  } finally {
    await cleanup();
    unregister?.();
  }
}

// --- The bench's view ---------------------------------------------------------------------------

/** As {@link IsolationOptions}, but both designs always run, and the bench's log is passed apart. */
export type BenchIsolationOptions = Omit<IsolationOptions, 'log' | 'designs'>;

export interface IsolationSection {
  readonly result?: IsolationResult;
  readonly error?: string;
  readonly targets: readonly Target[];
  /** A Markdown table of the figures, then one PASS/FAIL line per target. */
  readonly lines: readonly string[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const times = (ratio: number) => `${ratio.toFixed(2)} ×`;

export const ISOLATION_TARGET_NAMES = {
  isolated: `isolation: healthy lane p95 under a hung neighbour ≤ ${MAX_ISOLATION_RATIO} × its p95 alone`,
  loadBites: `isolation: the load fills the concurrency (the 0.2.0 shared design > ${MAX_ISOLATION_RATIO} × under it)`,
  nothingLost: 'isolation: every delivery delivered once, or waiting on its lane or in its DLQ (0 lost, 0 twice)',
} as const;

function describeLoad(result: IsolationResult): string {
  const { settings } = result;
  const lanes = result.designs.find((entry) => entry.design === 'lanes');
  const laneShares = lanes?.mappings.map((mapping) => `${mapping.queue} ${mapping.maximumConcurrency}`).join(', ');
  return `${settings.events} events (+ ${settings.tailEvents} untimed) at ${settings.ratePerSecond}/s to each of fast and slow; dispatcher reserve ${settings.reservedConcurrency} (${laneShares ?? 'lanes not run'}), batches of 10 within 1 s; DELIVERY_TIMEOUT_MS ${settings.deliveryTimeoutMs}`;
}

const p95s = (design: DesignResult) =>
  `p95 ${seconds(design.hung.destinations.fast.latency.p95Ms)} hung vs ${seconds(design.healthy.destinations.fast.latency.p95Ms)} alone; p50 ${seconds(design.hung.destinations.fast.latency.p50Ms)} vs ${seconds(design.healthy.destinations.fast.latency.p50Ms)}`;

export function evaluateIsolationTargets(section: Pick<IsolationSection, 'result' | 'error'>): Target[] {
  const lanes = section.result?.designs.find((design) => design.design === 'lanes');
  const shared = section.result?.designs.find((design) => design.design === 'shared');
  const unmeasured = `not measured: ${section.error ?? 'no run'}`;
  const everyFastArrived = (design: DesignResult) =>
    [design.healthy, design.hung].every((run) => run.destinations.fast.latency.arrived === run.destinations.fast.latency.measured);
  const runs = section.result?.designs.flatMap((design) => [design.healthy, design.hung]) ?? [];
  const clean = (run: IsolationRun) =>
    run.accounting.lost === 0 &&
    DESTINATIONS.every((name) => run.destinations[name].deliveredTwice === 0 && run.destinations[name].badSignatures === 0) &&
    (run.neighbour === 'hung' || DESTINATIONS.every((name) => run.destinations[name].delivered === run.destinations[name].sent));
  return [
    lanes
      ? {
          name: ISOLATION_TARGET_NAMES.isolated,
          pass: lanes.ratio <= MAX_ISOLATION_RATIO && everyFastArrived(lanes),
          detail: `${times(lanes.ratio)} (${p95s(lanes)})${shared ? `; the 0.2.0 shared design ${times(shared.ratio)} (${p95s(shared)})` : ''}; ${describeLoad(section.result!)}`,
          bound: everyFastArrived(lanes)
            ? `a p95 under ${section.result!.settings.jitterFloorMs} ms counts as ${section.result!.settings.jitterFloorMs} ms (a tenth of the delivery timeout)`
            : 'some of the healthy destination’s deliveries did not arrive',
        }
      : { name: ISOLATION_TARGET_NAMES.isolated, pass: false, detail: unmeasured },
    shared
      ? {
          name: ISOLATION_TARGET_NAMES.loadBites,
          pass: shared.ratio > MAX_ISOLATION_RATIO,
          detail: `${times(shared.ratio)} (${p95s(shared)}); hung-run occupancy of ${shared.hung.mappings.map((mapping) => `${mapping.queue} ${mapping.occupancy.toFixed(1)} of ${mapping.maximumConcurrency}`).join(', ')}`,
          bound: 'a load the shared design absorbs says nothing about the lanes: raise ratePerSecond or lower reservedConcurrency',
        }
      : { name: ISOLATION_TARGET_NAMES.loadBites, pass: false, detail: unmeasured },
    runs.length
      ? {
          name: ISOLATION_TARGET_NAMES.nothingLost,
          pass: runs.every(clean),
          detail: runs
            .map(
              (run) =>
                `${run.design} ${run.neighbour}: ${run.accounting.delivered} delivered, ${run.accounting.waiting} waiting, ${run.accounting.deadLettered} dead-lettered, ${run.accounting.lost} lost of ${run.accounting.sent}`,
            )
            .join('; '),
        }
      : { name: ISOLATION_TARGET_NAMES.nothingLost, pass: false, detail: unmeasured },
  ];
}

const renderTargetLine = (target: Target) =>
  `${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.detail}${!target.pass && target.bound ? ` — bound: ${target.bound}` : ''}`;

export function renderIsolation(section: Pick<IsolationSection, 'result' | 'error'>): string[] {
  const { result } = section;
  if (!result) return [`Isolation: not measured (${section.error ?? 'no run'}).`, ''];
  const latency = (figures: LatencyFigures) =>
    `${seconds(figures.p50Ms)} / ${seconds(figures.p95Ms)} / ${seconds(figures.maxMs)}${figures.arrived < figures.measured ? ` (${figures.measured - figures.arrived} not tried)` : ''}`;
  const rows = result.designs.flatMap((design) =>
    [design.healthy, design.hung].map((run) => {
      const { fast, slow } = run.destinations;
      const concurrency = design.mappings
        .filter((mapping) => run.mappings.some((used) => used.queue === mapping.queue) || design.design === 'shared')
        .map((mapping) => `${mapping.queue} ${mapping.maximumConcurrency}`)
        .join(', ');
      const occupancy = run.mappings.map((mapping) => `${mapping.queue} ${mapping.occupancy.toFixed(2)}`).join(', ');
      return `| ${design.design} (${concurrency}) | slow ${run.neighbour} | ${latency(fast.latency)} | ${latency(slow.latency)}${run.neighbour === 'hung' ? ' (first attempt)' : ''} | ${run.accounting.delivered} / ${run.accounting.waiting} / ${run.accounting.lost} | ${occupancy} |`;
    }),
  );
  return [
    `Isolation: the dispatcher bundle under the ESM runner on moto; ${describeLoad(result)}; latency from enqueue to arrival at the receiver; after a warm-up.`,
    '',
    '| design (mapping concurrency) | neighbour | fast p50 / p95 / max | slow p50 / p95 / max | delivered / waiting / lost | invocations running (mean) |',
    '|---|---|---:|---:|---:|---|',
    ...rows,
    '',
    ...result.designs.map(
      (design) =>
        `${design.design}: fast p95 beside a hung slow over fast p95 alone = ${times(design.ratio)} (limit ${MAX_ISOLATION_RATIO} × for lanes)`,
    ),
    '',
  ];
}

/**
 * The bench's isolation step: both designs at the bench's full size. Never throws: a measurement
 * that cannot be made is reported, and its targets fail.
 */
export async function benchIsolation(options: BenchIsolationOptions, log: (line: string) => void): Promise<IsolationSection> {
  let result: IsolationResult | undefined;
  let error: string | undefined;
  try {
    result = await measureIsolation({ ...options, designs: ['lanes', 'shared'], log });
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught);
    log(`isolation: could not be measured: ${message}`);
    error = message.replace(/\s+/g, ' ').slice(0, 300);
  }
  const targets = evaluateIsolationTargets({ result, error });
  return { result, error, targets, lines: [...renderIsolation({ result, error }), ...targets.map(renderTargetLine)] };
}
