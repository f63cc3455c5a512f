/**
 * The AWS calls behind the destination commands: a lane's event source mapping (its state, and
 * enabling or disabling it) and its queues' counts. {@link LaneApi} is the seam unit tests fill.
 */
import { GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsError, runtimeError } from './errors';
import type { DeliveryLane } from './outputs';

/** A lane as an operator sees it; AWS's mapping states map onto it in {@link laneState}. */
export type LaneState = 'active' | 'paused' | 'pausing' | 'resuming' | 'updating' | 'deleting';

export interface QueueCounts {
  /** Waiting to be received (ApproximateNumberOfMessages). */
  readonly visible: number;
  /** Received and not yet deleted: being delivered, or backing off before a retry (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Sent with a delay that has not passed (ApproximateNumberOfMessagesDelayed). */
  readonly delayed: number;
  /** How long the queue keeps a message after it was sent (MessageRetentionPeriod). */
  readonly retentionSeconds: number;
}

export interface LaneStatus {
  readonly lane: DeliveryLane;
  readonly state: LaneState;
  /** The mapping's State as AWS reports it: Enabled, Disabling, … */
  readonly mappingState: string;
  readonly messages: QueueCounts;
  /** Everything in the lane's DLQ, visible or not. */
  readonly deadLetters: number;
}

export interface LaneApi {
  /** The mapping's State: Creating, Enabling, Enabled, Disabling, Disabled, Updating or Deleting. */
  mappingState(uuid: string): Promise<string>;
  /** Enables or disables the mapping; resolves with the State the update returned. */
  setMappingEnabled(uuid: string, enabled: boolean): Promise<string>;
  queueCounts(queueUrl: string): Promise<QueueCounts>;
  close(): void;
}

export interface AwsConfig {
  readonly region?: string;
  readonly endpoint?: string;
  /** Static credentials (a local API's fake ones); otherwise the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const STATES: Readonly<Record<string, LaneState>> = {
  Enabled: 'active',
  Disabled: 'paused',
  Disabling: 'pausing',
  Enabling: 'resuming',
  Creating: 'updating',
  Updating: 'updating',
  Deleting: 'deleting',
};

/** Unknown states (a future AWS one) read as `updating`: in motion, neither paused nor active. */
export const laneState = (mappingState: string): LaneState => STATES[mappingState] ?? 'updating';

/** The lane is settled when its mapping is fully on or fully off. */
const settled = (mappingState: string): boolean => mappingState === 'Enabled' || mappingState === 'Disabled';

const count = (value: string | undefined): number => {
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : 0;
};

/**
 * Every CLI client's settings: the SDK's credential and region chains unless `config` says
 * otherwise, and few retries, enough for an interactive command.
 */
export function sdkClientConfig(config: AwsConfig) {
  return {
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 3,
  };
}

/** The SDK clients for the lanes. */
export function awsLaneApi(config: AwsConfig): LaneApi {
  const lambda = new LambdaClient(sdkClientConfig(config));
  const sqs = new SQSClient(sdkClientConfig(config));
  return {
    mappingState: async (uuid) => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State ?? 'Unknown',
    setMappingEnabled: async (uuid, enabled) =>
      (await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }))).State ?? 'Unknown',
    queueCounts: async (queueUrl) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
            'MessageRetentionPeriod',
          ],
        }),
      );
      return {
        visible: count(Attributes.ApproximateNumberOfMessages),
        inFlight: count(Attributes.ApproximateNumberOfMessagesNotVisible),
        delayed: count(Attributes.ApproximateNumberOfMessagesDelayed),
        retentionSeconds: count(Attributes.MessageRetentionPeriod),
      };
    },
    close: () => {
      lambda.destroy();
      sqs.destroy();
    },
  };
}

export interface CallContext {
  /** The endpoint the clients use, named in "cannot reach" errors. */
  readonly endpoint?: string;
}

/** One lane's mapping state and its queues' counts, read concurrently. */
export async function laneStatus(api: LaneApi, lane: DeliveryLane, context: CallContext = {}): Promise<LaneStatus> {
  const [mappingState, messages, deadLetters] = await Promise.all([
    guard(
      api.mappingState(lane.eventSourceMappingUuid),
      `reading ${lane.name}'s event source mapping ${lane.eventSourceMappingUuid}`,
      context,
    ),
    guard(api.queueCounts(lane.queueUrl), `reading ${lane.name}'s queue ${lane.queueUrl}`, context),
    guard(api.queueCounts(lane.deadLetterQueueUrl), `reading ${lane.name}'s dead-letter queue ${lane.deadLetterQueueUrl}`, context),
  ]);
  return {
    lane,
    mappingState,
    state: laneState(mappingState),
    messages,
    deadLetters: deadLetters.visible + deadLetters.inFlight + deadLetters.delayed,
  };
}

/** Every lane's status, a few lanes at a time so a large deployment stays under the APIs' rate limits. */
export async function laneStatuses(
  api: LaneApi,
  lanes: readonly DeliveryLane[],
  context: CallContext = {},
  concurrency = 5,
): Promise<LaneStatus[]> {
  const results: LaneStatus[] = new Array(lanes.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lanes.length) {
      const index = next++;
      results[index] = await laneStatus(api, lanes[index], context);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, lanes.length) }, worker));
  return results;
}

export interface ChangeOptions extends CallContext {
  /** How long to wait for the mapping to settle, in milliseconds. */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Called with the mapping's State after every poll while waiting. */
  readonly onWait?: (mappingState: string, elapsedMs: number) => void;
}

export interface ChangeResult {
  /** False when the lane was already (or already becoming) what was asked: no update was made. */
  readonly changed: boolean;
  /** The lane's state before the command. */
  readonly before: LaneState;
  readonly after: LaneStatus;
  readonly waitedMs: number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Pauses (`enabled` false) or resumes a lane: updates its mapping unless it already is, or is
 * becoming, what was asked, then waits until AWS reports it settled. A mapping in another
 * transition (Updating, Creating, or turning the other way) is waited out first, because Lambda
 * refuses an update while one is in progress.
 */
export async function setLaneEnabled(api: LaneApi, lane: DeliveryLane, enabled: boolean, options: ChangeOptions): Promise<ChangeResult> {
  const { timeoutMs, pollMs = 1_000, sleep = sleepFor, now = Date.now, onWait } = options;
  const target = enabled ? 'Enabled' : 'Disabled';
  const arriving = enabled ? 'Enabling' : 'Disabling';
  const verb = enabled ? 'resume' : 'pause';
  const uuid = lane.eventSourceMappingUuid;
  const started = now();
  const doing = `reading ${lane.name}'s event source mapping ${uuid}`;

  const waitUntil = async (done: (state: string) => boolean, first: string): Promise<string> => {
    let state = first;
    while (!done(state)) {
      const elapsed = now() - started;
      if (elapsed >= timeoutMs) {
        throw runtimeError(
          `${lane.name}: the event source mapping is still ${state} after ${Math.round(elapsed / 1000)} s; run destinations list to see when it settles, or retry ${verb} with a longer --wait`,
        );
      }
      onWait?.(state, elapsed);
      await sleep(pollMs);
      state = await guard(api.mappingState(uuid), doing, options);
    }
    return state;
  };

  let state = await guard(api.mappingState(uuid), doing, options);
  if (state === 'Deleting')
    throw runtimeError(`${lane.name}: its event source mapping is being deleted; the lane is going away, nothing to ${verb}`);
  const before = laneState(state);
  let changed = false;
  if (state === target && options.endpoint !== undefined) {
    // On a local API the ESM runner (npm run esm:local) keeps every mapping it polls Disabled, so a
    // lane reading Disabled may be running: the same write again is how the runner learns of the
    // pause (AWS accepts it too; against AWS, with no endpoint, nothing is sent).
    state = await guard(
      api.setMappingEnabled(uuid, enabled),
      `${verb === 'pause' ? 'disabling' : 'enabling'} ${lane.name}'s event source mapping ${uuid}`,
      options,
    );
  }
  if (state !== target && state !== arriving) {
    if (!settled(state)) state = await waitUntil(settled, state);
    if (state !== target) {
      state = await guard(
        api.setMappingEnabled(uuid, enabled),
        `${enabled ? 'enabling' : 'disabling'} ${lane.name}'s event source mapping ${uuid}`,
        options,
      );
      changed = true;
    }
  }
  await waitUntil((current) => current === target, state);
  const waitedMs = now() - started;
  return { changed, before, after: await laneStatus(api, lane, options), waitedMs };
}

async function guard<T>(call: Promise<T>, doing: string, context: CallContext): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw awsError(error, doing, context.endpoint);
  }
}
