/**
 * A local stand-in for Lambda's SQS event source mappings, for a stack deployed on moto (which
 * stores functions and mappings but cannot run them without Docker).
 *
 * For each deployed function it reads the function (GetFunction, GetFunctionConcurrency) and all
 * of its SQS mappings (ListEventSourceMappings) back from the endpoint and gives every enabled
 * mapping Lambda's semantics:
 * - long-poll ReceiveMessage on the mapping's queue, and gather a batch of up to `BatchSize`
 *   records for up to `MaximumBatchingWindowInSeconds`; each mapping has its own pollers (capped
 *   by its `ScalingConfig.MaximumConcurrency`), batch size, window and response types;
 * - invoke the function's handler, loaded from the exact zip Terraform deployed (its SHA-256 must
 *   equal the function's `CodeSha256`), in a child process whose environment is the function's
 *   deployed `Environment.Variables` plus what the Lambda runtime sets, with the AWS SDK pointed
 *   at the local endpoint; the invocation is bounded by the function's `Timeout` (a timed-out
 *   environment is discarded, as Lambda does);
 * - the mappings of one function share its execution environments, as they share its
 *   concurrency on AWS: with a reserved concurrency, no more invocations run at once, and a batch
 *   that finds no free environment before its messages would reappear (the queue's visibility
 *   timeout) is throttled: not invoked, not deleted, so it comes back with one more receive on its
 *   count, as a throttled batch does on AWS when lanes outgrow the function's concurrency;
 * - with `ReportBatchItemFailures`, delete every record not listed in `batchItemFailures`; a
 *   failed or timed-out invocation, or a response naming a record that is not in the batch,
 *   deletes nothing. Records not deleted are left alone: they reappear after the queue's
 *   visibility timeout, and the queue's redrive policy moves them to the DLQ after
 *   `maxReceiveCount` receives.
 *
 * Moto emulates mappings itself on SendMessage: it receives the new message (one receive on its
 * count), tries to run the function in Docker, fails, and makes it visible again. So that a
 * message's receive count means what it means on AWS, the runner disables each mapping on the
 * endpoint while it polls in its place, and re-enables it when it stops.
 *
 * Because the runner's own writes disable mappings, a user's pause (UpdateEventSourceMapping
 * Enabled=false, as `webhook-pipeline destinations pause` does) is told apart by what the runner
 * last wrote: it remembers the State and LastModified of each of its writes, re-reads the mappings
 * every `watchIntervalMs`, and takes any other State or LastModified as the user's. A mapping
 * Disabled at start, or Disabled with a LastModified the runner did not write, is paused: its
 * pollers stop after the batch in flight and it is left disabled at stop. A mapping found Enabled
 * is resumed: disabled again on the endpoint (the runner polls it) and polled. At stop the runner
 * re-enables exactly the mappings it disabled and the user did not pause since.
 * Known edges: LastModified has one-second resolution on moto, so a pause issued in the same
 * second as the runner's own write to that mapping (its takeover at start, or after a resume) is
 * not seen, and that mapping is polled on and re-enabled at stop; for up to `watchIntervalMs`
 * after a resume the mapping is enabled on moto, so a message sent then may take one receive from
 * moto's emulation; a mapping created while the runner runs (a lane added by a re-apply) is not
 * picked up until it is started again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { unzipSync } from 'fflate';

/** Lambda limits the init phase of an on-demand environment to 10 s. */
export const INIT_TIMEOUT_MS = 10_000;
const SANDBOX_SCRIPT = path.join(__dirname, 'lambda-sandbox.js');

export interface EsmRunnerOptions {
  /** The local AWS API, e.g. `http://127.0.0.1:5055`. */
  readonly endpoint: string;
  readonly region?: string;
  /** Deployed functions whose mappings to run (every SQS mapping of each). */
  readonly functionNames: readonly string[];
  /** The package each function was deployed from: function name → zip path. */
  readonly codeFiles: Readonly<Record<string, string>>;
  /** Unzipped packages and the functions' logs go here. */
  readonly workDir: string;
  /** Added to every function's environment (e.g. `NODE_EXTRA_CA_CERTS`). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /**
   * Concurrent pollers per mapping; capped by the mapping's `ScalingConfig.MaximumConcurrency`.
   * Every poller invokes in one of the function's execution environments.
   * @default 1
   */
  readonly pollersPerMapping?: number;
  /**
   * How often the mappings are re-read to notice a pause or a resume.
   * @default 2000
   */
  readonly watchIntervalMs?: number;
  /**
   * The WaitTimeSeconds of each ReceiveMessage (Lambda's pollers use 20). Shorter, because a
   * pause takes effect only once the receive in progress returns: moto keeps serving a receive
   * whose client went away, so aborting it would hide the next message for a visibility timeout.
   * @default 5
   */
  readonly longPollSeconds?: number;
  readonly log?: (line: string) => void;
}

/** One SQS event source mapping, as read back from the endpoint when the runner started. */
export interface DeployedMapping {
  readonly uuid: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  /** The queue's VisibilityTimeout: how long a throttled batch may wait for an environment. */
  readonly visibilityTimeoutSeconds: number;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maximumConcurrency?: number;
  /** False when it was disabled at start: paused by its user. */
  readonly enabled: boolean;
}

/** What was read back from the endpoint for one function and its SQS mappings. */
export interface DeployedConsumer {
  readonly functionName: string;
  readonly functionArn: string;
  readonly runtime: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly codeSha256: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly zipPath: string;
  /** The function's reserved concurrency: at most this many invocations at once over all its mappings. */
  readonly reservedConcurrency?: number;
  readonly mappings: readonly DeployedMapping[];
}

/** `throttled`: the batch found no free environment in time and was neither invoked nor deleted. */
export type InvocationOutcome = 'ok' | 'error' | 'timeout' | 'init-error' | 'throttled';

export interface InvocationRecord {
  readonly functionName: string;
  readonly mappingUuid: string;
  readonly outcome: InvocationOutcome;
  readonly durationMs: number;
  readonly messageIds: readonly string[];
  /** Records left on the queue (listed failures, or the whole batch when the invocation failed). */
  readonly notDeleted: readonly string[];
  readonly error?: string;
}

export interface FunctionStats {
  invocations: number;
  records: number;
  deleted: number;
  notDeleted: number;
  errors: number;
  timeouts: number;
  /** Batches that found every environment busy at the reserved concurrency until their messages reappeared. */
  throttles: number;
  coldStarts: number;
  maxDurationMs: number;
  maxInitMs: number;
}

/**
 * `polling`; `pausing`: paused by its user, a batch still in flight; `paused`; `gone`: deleted
 * from the endpoint while the runner ran.
 */
export type MappingStatus = 'polling' | 'pausing' | 'paused' | 'gone';

/** A mapping's State and LastModified (ms) on the endpoint. */
export interface MappingMark {
  readonly state: 'Enabled' | 'Disabled';
  readonly lastModified: number | undefined;
}

type InvokeResult =
  | { readonly ok: true; readonly response: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly kind: Exclude<InvocationOutcome, 'ok'>; readonly error: string; readonly durationMs: number };

const sha256Base64 = (data: Uint8Array) => createHash('sha256').update(data).digest('base64');
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `node_modules` exposing only what the Lambda Node.js runtime provides: AWS SDK v3 (and Smithy). */
function runtimeModules(workDir: string): string {
  const dir = path.join(workDir, 'runtime', 'node_modules');
  fs.mkdirSync(dir, { recursive: true });
  const projectModules = path.resolve(path.dirname(require.resolve('@aws-sdk/client-sqs/package.json')), '..', '..');
  for (const scope of ['@aws-sdk', '@smithy']) {
    const link = path.join(dir, scope);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(projectModules, scope), link, 'dir');
  }
  return dir;
}

/** Unzips a package into its own folder (named by its hash) and returns that task root. */
function unpack(zipPath: string, workDir: string, functionName: string, sha: string): string {
  const root = path.join(workDir, 'functions', functionName, sha.replace(/[^A-Za-z0-9]/g, '').slice(0, 16));
  if (!fs.existsSync(path.join(root, '.unpacked'))) {
    fs.rmSync(root, { recursive: true, force: true });
    for (const [name, content] of Object.entries(unzipSync(fs.readFileSync(zipPath)))) {
      if (name.endsWith('/')) continue;
      const file = path.resolve(root, name);
      if (!file.startsWith(root + path.sep)) throw new Error(`${zipPath}: entry ${name} escapes the package`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    fs.writeFileSync(path.join(root, '.unpacked'), '');
  }
  return root;
}

/** One execution environment: a child process that loaded the handler, serving one invocation at a time. */
class Sandbox {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly consumer: DeployedConsumer,
    private readonly env: NodeJS.ProcessEnv,
    private readonly taskRoot: string,
    private readonly onLine: (line: string) => void,
    private readonly stats: FunctionStats,
  ) {}

  private start(): Promise<void> {
    const child = fork(SANDBOX_SCRIPT, [], { cwd: this.taskRoot, env: this.env, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    // An environment that dies between invocations is replaced at the next one.
    child.once('exit', () => {
      if (this.child === child) this.discard();
    });
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        lines.forEach(this.onLine);
      });
    }
    this.stats.coldStarts += 1;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`init did not finish within ${INIT_TIMEOUT_MS} ms`), INIT_TIMEOUT_MS);
      const onInitMessage = (message: { type: string; initMs?: number; error?: { message: string } }) => {
        if (message.type === 'ready') {
          settle();
          this.stats.maxInitMs = Math.max(this.stats.maxInitMs, message.initMs ?? 0);
          resolve();
        } else if (message.type === 'init-error') {
          fail(`init failed: ${message.error?.message}`);
        }
      };
      const onInitExit = (code: number | null, signal: string | null) => fail(`the environment exited during init (${signal ?? code})`);
      const settle = () => {
        clearTimeout(timer);
        child.off('message', onInitMessage);
        child.off('exit', onInitExit);
      };
      const fail = (why: string) => {
        settle();
        if (this.child === child) this.discard();
        else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(new Error(why));
      };
      child.on('message', onInitMessage);
      child.once('exit', onInitExit);
    });
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const started = Date.now();
    if (!this.child) this.ready = this.start();
    try {
      await this.ready;
    } catch (error) {
      this.ready = undefined;
      return { ok: false, kind: 'init-error', error: (error as Error).message, durationMs: Date.now() - started };
    }
    const child = this.child!;
    const invokeStarted = Date.now();
    const timeoutMs = this.consumer.timeoutSeconds * 1000;
    const id = randomUUID();
    return new Promise<InvokeResult>((resolve) => {
      const done = (result: InvokeResult) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(result);
      };
      const timer = setTimeout(() => {
        // Lambda stops a timed-out invocation and discards its environment.
        this.discard();
        done({ ok: false, kind: 'timeout', error: `Task timed out after ${this.consumer.timeoutSeconds} seconds`, durationMs: timeoutMs });
      }, timeoutMs);
      const onMessage = (message: { type: string; id: string; ok: boolean; response?: unknown; error?: { name: string; message: string } }) => {
        if (message.type !== 'result' || message.id !== id) return;
        const durationMs = Date.now() - invokeStarted;
        done(message.ok ? { ok: true, response: message.response, durationMs } : { ok: false, kind: 'error', error: `${message.error?.name}: ${message.error?.message}`, durationMs });
      };
      const onExit = (code: number | null, signal: string | null) => {
        if (this.child === child) this.discard();
        done({ ok: false, kind: 'error', error: `the environment exited (${signal ?? code})`, durationMs: Date.now() - invokeStarted });
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      const traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
      try {
        child.send({ type: 'invoke', id, event, deadlineMs: invokeStarted + timeoutMs, awsRequestId: randomUUID(), traceId, functionArn: this.consumer.functionArn });
      } catch (error) {
        this.discard();
        done({ ok: false, kind: 'error', error: `the environment could not be reached: ${(error as Error).message}`, durationMs: 0 });
      }
    });
  }

  discard(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Shapes a received message as the event source mapping puts it in an SQS event. */
export function toSqsRecord(message: Message, queueArn: string, region: string): Record<string, unknown> {
  const system = message.Attributes ?? {};
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? String(Date.now()),
    SenderId: system.SenderId ?? 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  if (system.AWSTraceHeader) attributes.AWSTraceHeader = system.AWSTraceHeader;
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]: [string, MessageAttributeValue]) => [
      name,
      {
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(message.Body ?? '').digest('hex'),
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which records to delete after an invocation, as Lambda decides it: all of them after a
 * success without `ReportBatchItemFailures`; with it, all but the listed failures, unless the
 * response is malformed or names a record not in the batch, which fails the whole batch.
 */
export function recordsToDelete(messageIds: readonly string[], response: unknown, reportBatchItemFailures: boolean): string[] {
  if (!reportBatchItemFailures || response === null || response === undefined) return [...messageIds];
  if (typeof response !== 'object') return [...messageIds];
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [...messageIds];
  if (!Array.isArray(failures)) return [];
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !messageIds.includes(id)) return [];
    failed.add(id);
  }
  return messageIds.filter((id) => !failed.has(id));
}


/**
 * A function's execution environments, shared by all of its mappings' pollers: an idle one is
 * reused whichever mapping ran in it last, a new one is started while fewer than `limit` are
 * busy, and past that a caller waits (first come, first served) until one is released, its
 * deadline passes or `signal` aborts; then it gets `undefined`.
 */
export class EnvironmentPool<T> {
  private readonly idle: T[] = [];
  private readonly created: T[] = [];
  private readonly waiters: ((environment: T | undefined) => void)[] = [];
  private busy = 0;

  constructor(
    readonly limit: number,
    private readonly create: () => T,
  ) {}

  acquire(deadlineMs: number, signal: AbortSignal): Promise<T | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.busy < this.limit) {
      this.busy += 1;
      return Promise.resolve(this.idle.pop() ?? this.make());
    }
    return new Promise((resolve) => {
      const waiter = (environment: T | undefined) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', giveUp);
        resolve(environment);
      };
      const giveUp = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        waiter(undefined);
      };
      const timer = setTimeout(giveUp, Math.max(0, deadlineMs - Date.now()));
      signal.addEventListener('abort', giveUp, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(environment: T): void {
    const next = this.waiters.shift();
    // Handed over while still counted busy, so that a newcomer cannot overtake the waiter.
    if (next) next(environment);
    else {
      this.busy -= 1;
      this.idle.push(environment);
    }
  }

  /** Every environment started so far. */
  all(): readonly T[] {
    return this.created;
  }

  private make(): T {
    const environment = this.create();
    this.created.push(environment);
    return environment;
  }
}

const markOf = (mapping: EventSourceMappingConfiguration): MappingMark => ({
  // Disabling is on its way to Disabled (AWS only; moto switches at once).
  state: mapping.State === 'Disabled' || mapping.State === 'Disabling' ? 'Disabled' : 'Enabled',
  lastModified: mapping.LastModified?.getTime(),
});

/**
 * What the user did to a mapping, from what the runner expects on the endpoint (its own last
 * write, or the last change it noticed) and what is there now: any other LastModified or State is
 * someone else's write, and the State says which. Both are compared because LastModified has
 * one-second resolution: a write in the same second as the runner's shows only in its State.
 */
export function mappingChange(expected: MappingMark, observed: MappingMark | undefined): 'none' | 'paused' | 'resumed' | 'gone' {
  if (!observed) return 'gone';
  if (observed.state === expected.state && observed.lastModified === expected.lastModified) return 'none';
  return observed.state === 'Disabled' ? 'paused' : 'resumed';
}

/** One mapping as the runner runs it. */
interface MappingRun {
  readonly consumer: DeployedConsumer;
  readonly mapping: DeployedMapping;
  readonly pollers: number;
  expected: MappingMark;
  /** The runner's write is what keeps it disabled: it owes the mapping a re-enable at stop. */
  disabledByUs: boolean;
  /** Pollers exit at their next turn. */
  paused: boolean;
  active: number;
  gone: boolean;
  running: Promise<void>[];
}

async function listMappings(lambda: LambdaClient): Promise<EventSourceMappingConfiguration[]> {
  // Listed unfiltered and matched on FunctionArn: moto filters by the exact string the mapping
  // was created with (a name or an ARN), where AWS accepts either.
  const mappings: EventSourceMappingConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListEventSourceMappingsCommand({ Marker: marker }));
    mappings.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  return mappings;
}

const queueNameOf = (queueArn: string) => queueArn.split(':')[5];

export class EsmRunner {
  readonly stats: Record<string, FunctionStats> = {};
  readonly invocations: InvocationRecord[] = [];
  /** Highest ApproximateReceiveCount seen per message id. */
  readonly receiveCounts = new Map<string, number>();
  private readonly lines: Record<string, string[]> = {};
  private readonly abort = new AbortController();
  private readonly runs: MappingRun[] = [];
  private readonly pools = new Map<string, EnvironmentPool<Sandbox>>();
  private watcher: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly options: EsmRunnerOptions,
    readonly consumers: readonly DeployedConsumer[],
    private readonly lambda: LambdaClient,
    private readonly sqs: SQSClient,
  ) {}

  /** Reads the deployed functions and mappings back, verifies each package, and starts polling. */
  static async start(options: EsmRunnerOptions): Promise<EsmRunner> {
    const region = options.region ?? 'us-east-1';
    const config = { endpoint: options.endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const lambda = new LambdaClient(config);
    const sqs = new SQSClient(config);
    const mappings = await listMappings(lambda);
    const consumers: DeployedConsumer[] = [];
    for (const functionName of options.functionNames) consumers.push(await readConsumer(lambda, sqs, options, functionName, mappings));
    const runner = new EsmRunner(options, consumers, lambda, sqs);
    try {
      await runner.run(mappings);
    } catch (error) {
      // Hands back the mappings taken over so far.
      await runner.stop();
      throw error;
    }
    return runner;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Where a mapping (by UUID) stands; undefined for one the runner does not run. */
  mappingStatus(uuid: string): MappingStatus | undefined {
    const run = this.runs.find((candidate) => candidate.mapping.uuid === uuid);
    if (!run) return undefined;
    if (run.gone) return 'gone';
    if (!run.paused) return 'polling';
    return run.active > 0 ? 'pausing' : 'paused';
  }

  private async run(listed: readonly EventSourceMappingConfiguration[]): Promise<void> {
    const modules = runtimeModules(this.options.workDir);
    const logDir = path.join(this.options.workDir, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    const localMajor = process.versions.node.split('.')[0];
    for (const consumer of this.consumers) {
      const { functionName } = consumer;
      const stats: FunctionStats = {
        invocations: 0,
        records: 0,
        deleted: 0,
        notDeleted: 0,
        errors: 0,
        timeouts: 0,
        throttles: 0,
        coldStarts: 0,
        maxDurationMs: 0,
        maxInitMs: 0,
      };
      this.stats[functionName] = stats;
      this.lines[functionName] = [];
      const runtimeMajor = /^nodejs(\d+)/.exec(consumer.runtime)?.[1];
      if (runtimeMajor !== localMajor) this.log(`${functionName}: deployed for ${consumer.runtime}, run locally on Node.js ${process.versions.node}`);
      const taskRoot = unpack(consumer.zipPath, this.options.workDir, functionName, consumer.codeSha256);
      const env = this.environmentOf(consumer, taskRoot, modules);
      const logFile = fs.openSync(path.join(logDir, `${functionName}.log`), 'a');
      const onLine = (line: string) => {
        this.lines[functionName].push(line);
        fs.writeSync(logFile, `${line}\n`);
      };
      this.pools.set(functionName, new EnvironmentPool(consumer.reservedConcurrency ?? Infinity, () => new Sandbox(consumer, env, taskRoot, onLine, stats)));

      let pollerTotal = 0;
      for (const mapping of consumer.mappings) {
        const pollers = Math.max(1, Math.min(this.options.pollersPerMapping ?? 1, mapping.maximumConcurrency ?? Infinity));
        const found = listed.find((candidate) => candidate.UUID === mapping.uuid);
        const run: MappingRun = {
          consumer,
          mapping,
          pollers,
          expected: found ? markOf(found) : { state: 'Enabled', lastModified: undefined },
          disabledByUs: false,
          paused: !mapping.enabled,
          active: 0,
          gone: false,
          running: [],
        };
        this.runs.push(run);
        if (!mapping.enabled) {
          this.log(`${functionName}: mapping ${mapping.uuid} on ${queueNameOf(mapping.queueArn)} is disabled (paused); not polling it`);
          continue;
        }
        await this.takeOver(run);
        this.startPollers(run);
        pollerTotal += pollers;
        const reserved = consumer.reservedConcurrency === undefined ? '' : `, reserved concurrency ${consumer.reservedConcurrency}`;
        this.log(
          `${functionName}: polling ${mapping.queueUrl} (batch ${mapping.batchSize}, window ${mapping.batchWindowSeconds} s, timeout ${consumer.timeoutSeconds} s, ${pollers} poller(s)${reserved})`,
        );
      }
      if (consumer.reservedConcurrency !== undefined && pollerTotal > consumer.reservedConcurrency) {
        this.log(`${functionName}: ${pollerTotal} pollers over its mappings exceed its reserved concurrency ${consumer.reservedConcurrency}: expect throttled batches`);
      }
    }
    this.watcher = this.watch();
  }

  /** Disables the mapping on the endpoint, so that moto's own emulation leaves its queue alone. */
  private async takeOver(run: MappingRun): Promise<void> {
    const updated = await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: run.mapping.uuid, Enabled: false }));
    run.expected = markOf(updated);
    run.disabledByUs = true;
  }

  private startPollers(run: MappingRun): void {
    run.paused = false;
    // Pollers still finishing a batch from before a pause carry on and count towards the cap.
    for (let i = run.active; i < run.pollers; i += 1) {
      run.active += 1;
      run.running.push(this.poll(run));
    }
  }

  private async watch(): Promise<void> {
    const interval = this.options.watchIntervalMs ?? 2_000;
    while (!this.abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.abort.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, interval);
        this.abort.signal.addEventListener('abort', done, { once: true });
      });
      if (this.abort.signal.aborted) return;
      await this.reconcile(false).catch((error: Error) => this.log(`could not re-read the event source mappings: ${error.message}`));
    }
  }

  /**
   * Notices what the user did to the mappings since the last look. `final` (at stop) only records
   * it: nothing is taken over or polled any more.
   */
  private async reconcile(final: boolean): Promise<void> {
    const listed = new Map((await listMappings(this.lambda)).map((mapping) => [mapping.UUID, mapping]));
    for (const run of this.runs) {
      if (run.gone) continue;
      const { functionName } = run.consumer;
      const where = `${functionName}: mapping ${run.mapping.uuid} on ${queueNameOf(run.mapping.queueArn)}`;
      const found = listed.get(run.mapping.uuid);
      const observed = found && found.State !== 'Deleting' ? markOf(found) : undefined;
      const change = mappingChange(run.expected, observed);
      if (change === 'none') continue;
      if (change === 'gone') {
        run.gone = true;
        run.paused = true;
        run.disabledByUs = false;
        this.log(`${where} was deleted; not polling it`);
        continue;
      }
      // Whoever wrote last decides its state at stop: the user, now.
      run.disabledByUs = false;
      if (change === 'paused') {
        run.expected = observed!;
        if (run.paused) continue;
        run.paused = true;
        this.log(`${where} was paused (disabled on the endpoint); its pollers stop after the batch in flight, and it stays disabled`);
        continue;
      }
      if (final) continue;
      // Should this fail, `expected` is left as it was, so that the next look tries again.
      await this.takeOver(run);
      this.log(`${where} was ${run.paused ? 'resumed' : 're-enabled'} on the endpoint; disabled there again while the runner polls it`);
      if (run.paused) this.startPollers(run);
    }
  }

  private environmentOf(consumer: DeployedConsumer, taskRoot: string, modules: string): NodeJS.ProcessEnv {
    const region = this.options.region ?? 'us-east-1';
    return {
      // The function's own variables first: Lambda's reserved ones cannot be overridden by them.
      ...consumer.environment,
      PATH: process.env.PATH,
      LANG: 'en_US.UTF-8',
      TZ: 'UTC',
      NODE_PATH: modules,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: taskRoot,
      _HANDLER: consumer.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${consumer.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: consumer.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(consumer.memorySize),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${consumer.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
      // Local only: the endpoint and moto's fake credentials instead of the execution role.
      AWS_ENDPOINT_URL: this.options.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      ...this.options.extraEnv,
    };
  }

  private async receive(queueUrl: string, max: number, waitSeconds: number): Promise<Message[]> {
    try {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      );
      return Messages;
    } catch (error) {
      if (this.abort.signal.aborted) return [];
      this.log(`ReceiveMessage on ${queueUrl} failed: ${(error as Error).message}; retrying in 1 s`);
      await delay(1_000);
      return [];
    }
  }

  /**
   * Long-polls for a first record, then fills the batch until it is full or the window closes;
   * a pause closes the window early (what was received is the batch in flight).
   */
  private async gather(run: MappingRun): Promise<{ messages: Message[]; receivedAt: number }> {
    const { queueUrl, batchSize, batchWindowSeconds } = run.mapping;
    const longPoll = this.options.longPollSeconds ?? 5;
    const messages = await this.receive(queueUrl, batchSize, longPoll);
    const receivedAt = Date.now();
    if (messages.length === 0) return { messages, receivedAt };
    const windowEnd = receivedAt + batchWindowSeconds * 1000;
    while (messages.length < batchSize && !this.abort.signal.aborted && !run.paused) {
      const remainingMs = windowEnd - Date.now();
      if (remainingMs <= 0) break;
      const more = await this.receive(queueUrl, batchSize - messages.length, Math.min(longPoll, Math.floor(remainingMs / 1000)));
      if (more.length === 0 && remainingMs < 1000) break;
      messages.push(...more);
    }
    return { messages, receivedAt };
  }

  private async poll(run: MappingRun): Promise<void> {
    const { consumer, mapping } = run;
    const { functionName } = consumer;
    const stats = this.stats[functionName];
    const pool = this.pools.get(functionName)!;
    const region = this.options.region ?? 'us-east-1';
    for (;;) {
      // Checked and counted in one synchronous step, so that a resume either keeps this poller or
      // sees it gone.
      if (this.abort.signal.aborted || run.paused) {
        run.active -= 1;
        return;
      }
      const { messages, receivedAt } = await this.gather(run);
      if (messages.length === 0) continue;
      const messageIds = messages.map((message) => message.MessageId!);
      for (const message of messages) {
        const count = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
        this.receiveCounts.set(message.MessageId!, Math.max(count, this.receiveCounts.get(message.MessageId!) ?? 0));
      }

      const sandbox = await pool.acquire(receivedAt + mapping.visibilityTimeoutSeconds * 1000, this.abort.signal);
      if (!sandbox) {
        // Stopping: the batch reappears after its visibility timeout, as after any stop.
        if (this.abort.signal.aborted) continue;
        stats.throttles += 1;
        stats.notDeleted += messageIds.length;
        this.log(`${functionName}: throttled at reserved concurrency ${pool.limit}: ${messageIds.length} record(s) from ${queueNameOf(mapping.queueArn)} left to reappear`);
        this.invocations.push({ functionName, mappingUuid: mapping.uuid, outcome: 'throttled', durationMs: 0, messageIds, notDeleted: messageIds });
        continue;
      }
      const records = messages.map((message) => toSqsRecord(message, mapping.queueArn, region));
      let result: InvokeResult;
      try {
        result = await sandbox.invoke({ Records: records });
      } finally {
        pool.release(sandbox);
      }
      stats.invocations += 1;
      stats.records += records.length;
      stats.maxDurationMs = Math.max(stats.maxDurationMs, result.durationMs);
      const toDelete = result.ok ? recordsToDelete(messageIds, result.response, mapping.reportBatchItemFailures) : [];
      if (!result.ok) {
        if (result.kind === 'timeout') stats.timeouts += 1;
        else stats.errors += 1;
        this.log(`${functionName}: invocation ${result.kind}: ${result.error}`);
      }
      const deleteSet = new Set(toDelete);
      const receipts = messages.filter((message) => deleteSet.has(message.MessageId!));
      for (let i = 0; i < receipts.length; i += 10) {
        const chunk = receipts.slice(i, i + 10);
        const { Failed = [] } = await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: mapping.queueUrl,
            Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
        for (const failure of Failed) this.log(`${functionName}: DeleteMessage failed: ${failure.Code} ${failure.Message}`);
      }
      stats.deleted += toDelete.length;
      stats.notDeleted += messageIds.length - toDelete.length;
      this.invocations.push({
        functionName,
        mappingUuid: mapping.uuid,
        outcome: result.ok ? 'ok' : result.kind,
        durationMs: result.durationMs,
        messageIds,
        notDeleted: messageIds.filter((id) => !deleteSet.has(id)),
        ...(result.ok ? {} : { error: result.error }),
      });
    }
  }

  /** Raw stdout/stderr lines of a function's environments. */
  logLines(functionName: string): readonly string[] {
    return this.lines[functionName] ?? [];
  }

  /** Every line of a function's output that is a JSON object (Powertools logs and EMF metrics). */
  jsonLines(functionName: string): Record<string, unknown>[] {
    return this.logLines(functionName).flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** Sum of an EMF metric over a function's output, optionally only documents matching `where`. */
  metricSum(functionName: string, metric: string, where: (document: Record<string, unknown>) => boolean = () => true): number {
    return this.jsonLines(functionName)
      .filter((document) => '_aws' in document && metric in document && where(document))
      .reduce((sum, document) => {
        const value = document[metric];
        return sum + (Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value));
      }, 0);
  }

  /**
   * Stops polling, waits (bounded) for invocations in flight, discards the environments, notices
   * a pause made since the last look, and re-enables the mappings it disabled and the user did
   * not pause. Safe to call twice.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.watcher;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.runs.flatMap((run) => run.running)),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    for (const pool of this.pools.values()) for (const sandbox of pool.all()) sandbox.discard();
    await this.reconcile(true).catch((error: Error) => this.log(`could not re-read the event source mappings at stop: ${error.message}`));
    for (const run of this.runs) {
      if (!run.disabledByUs) continue;
      run.disabledByUs = false;
      await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: run.mapping.uuid, Enabled: true })).catch((error: Error) => {
        this.log(`could not re-enable mapping ${run.mapping.uuid}: ${error.message}`);
      });
    }
    this.lambda.destroy();
    this.sqs.destroy();
  }
}

async function readConsumer(
  lambda: LambdaClient,
  sqs: SQSClient,
  options: EsmRunnerOptions,
  functionName: string,
  mappings: readonly EventSourceMappingConfiguration[],
): Promise<DeployedConsumer> {
  const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  const configuration: FunctionConfiguration = Configuration ?? {};
  const zipPath = options.codeFiles[functionName];
  if (!zipPath) throw new Error(`no deployment package given for ${functionName}`);
  const actual = sha256Base64(fs.readFileSync(zipPath));
  if (actual !== configuration.CodeSha256) {
    throw new Error(`${zipPath} (sha256 ${actual}) is not the package deployed as ${functionName} (CodeSha256 ${configuration.CodeSha256})`);
  }
  // Not GetFunction's Concurrency: moto leaves it out for a reserved concurrency of 0.
  const { ReservedConcurrentExecutions } = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
  const sqsMappings = mappings.filter((mapping) => mapping.FunctionArn === configuration.FunctionArn && mapping.EventSourceArn?.startsWith('arn:aws:sqs:'));
  if (sqsMappings.length === 0) throw new Error(`${functionName} has no SQS event source mapping`);
  const deployed: DeployedMapping[] = [];
  for (const mapping of sqsMappings) {
    const queueArn = mapping.EventSourceArn!;
    const [, , , , account, queueName] = queueArn.split(':');
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: account }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout'] }));
    deployed.push({
      uuid: mapping.UUID!,
      queueArn,
      queueUrl: QueueUrl!,
      visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
      batchSize: mapping.BatchSize ?? 10,
      batchWindowSeconds: mapping.MaximumBatchingWindowInSeconds ?? 0,
      reportBatchItemFailures: (mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      maximumConcurrency: mapping.ScalingConfig?.MaximumConcurrency,
      enabled: markOf(mapping).state === 'Enabled',
    });
  }
  return {
    functionName,
    functionArn: configuration.FunctionArn!,
    runtime: configuration.Runtime ?? 'nodejs',
    handler: configuration.Handler ?? 'index.handler',
    timeoutSeconds: configuration.Timeout ?? 3,
    memorySize: configuration.MemorySize ?? 128,
    codeSha256: actual,
    environment: configuration.Environment?.Variables ?? {},
    zipPath,
    ...(ReservedConcurrentExecutions === undefined || ReservedConcurrentExecutions === null ? {} : { reservedConcurrency: ReservedConcurrentExecutions }),
    mappings: deployed,
  };
}
