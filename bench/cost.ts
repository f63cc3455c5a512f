import { execFileSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { awsClients, createIdempotencyTable, createQueue, putSecureString } from '../__tests__/support/aws-resources';
import { FAKE_AWS_CREDENTIALS, startMoto } from '../__tests__/support/moto';
import { toSqsRecord } from '../__tests__/support/sqs-records';
import { githubWebhook, type IngestWebhook } from '../__tests__/support/webhooks';
import type { HandlerBundle } from '../src/bundling/handler-bundle';
import { DEFAULT_BATCH_SIZE, DEFAULT_BATCH_WINDOW_SECONDS, DEFAULT_MEMORY_MB } from '../src/constructs/pipeline-function';
import { FUNCTION_NAMES, type FunctionName } from '../src/contract';
import {
  ARCHIVE_PREFIXES,
  type ArchiveKind,
  archiveObjectText,
  isGzip,
  parseArchiveLines,
  webhookIdOf,
} from '../src/history/archive-records';
import { type ActionCount, type AwsProxy, dynamoItemBytes, sqsMessageBytes, startAwsProxy } from './aws-proxy';
import type { CostWorkerRequest, Invocation } from './cost-worker';
import { extract } from './handlers';
import { onInterrupt } from './lifecycle';
import { stats, type Stats, withTimeout } from './measure';
import { startReceiver } from '../__tests__/support/receiver';
import { pipelineEnv, type PipelineEndpoints, type PipelineSettings } from './pipeline-env';

/**
 * What a webhook costs us, measured: the bundled handlers of one checkout (this one, or the
 * baseline's worktree) run as Lambda runs them, on the real chain — signed webhooks on the ingest
 * queue → validator → its own messages on the process queue → processor → deliver queue →
 * dispatcher → an HTTP destination — each handler's AWS SDK pointed at a counting proxy that adds
 * a fixed latency to every call. Per handler: AWS requests by service and action, the Lambda
 * milliseconds per record, its log bytes; the processor's records/s; the dispatcher's time for a
 * batch of ten to a destination that answers after a second. The event archive is on: the
 * processor and the dispatcher write to two Firehose streams on moto, whose S3 objects are read
 * back after each run (every accepted webhook and every attempt archived once; the bytes Firehose
 * bills and S3 stores). docs/COST.md turns these into dollars; bench/prices.ts holds the prices.
 */

/** Where the before-figures live (committed; bench/results/ is not). */
export const COST_BASELINE_FILE = path.join(__dirname, 'baselines', 'cost-a0f8222.json');

export interface CostBenchOptions {
  /** Checkout whose `src/handlers` are bundled (with that checkout's own `src/bundling/bundle-handler.ts`). */
  readonly root: string;
  readonly workDir: string;
  /** Signed webhooks put on the ingest queue. */
  readonly webhooks: number;
  /** Added to every AWS call by the proxy. */
  readonly awsLatencyMs: number;
  /** How long the destination takes to answer. */
  readonly targetDelayMs: number;
  /**
   * Dispatcher containers running side by side, as the event source mapping scales out on a
   * backlog (fewer when there are not four batches for each).
   */
  readonly dispatcherContainers: number;
  /**
   * Whether the processor and the dispatcher archive to Firehose (default true, as a default
   * deployment does); false (`--no-archive`) runs them with the archive off, to tell its share.
   */
  readonly archive?: boolean;
}

/** How one run drives the chain. */
export interface ChainRunOptions {
  readonly webhooks: number;
  /** Containers per handler, side by side. */
  readonly containers: Readonly<Record<FunctionName, number>>;
  /**
   * False: one handler after another, each draining its queue before the next starts (the cost
   * step, whose per-handler timings want no contention). True: all three at once, each polling
   * its queue until the stage before it is done and the queue is empty (the load step), with the
   * event source mapping's batching window.
   */
  readonly pipelined: boolean;
}

export const COST_DEFAULTS = { webhooks: 200, awsLatencyMs: 15, targetDelayMs: 1000, dispatcherContainers: 5 } as const;

export interface HandlerCost {
  readonly name: FunctionName;
  /** Containers (forked workers) that ran the handler; each one's first invocation is its cold one. */
  readonly containers: number;
  readonly invocations: number;
  readonly records: number;
  readonly failedRecords: number;
  /** Every AWS request the handler made, by service and action, through the proxy. */
  readonly actions: readonly ActionCount[];
  /** HTTP requests to AWS. */
  readonly calls: number;
  /**
   * Billed requests: SQS in 64 KiB chunks, DynamoDB in request units (WRU + RRU), SSM
   * GetParameter(s) on standard throughput not at all (free), Firehose puts not at all (billed by
   * the bytes: the run's `archive`), anything else per call.
   */
  readonly billedRequests: number;
  /** Billed requests by kind, for the breakdown. */
  readonly billed: { readonly sqs: number; readonly dynamoWru: number; readonly dynamoRru: number; readonly other: number };
  /** Warm invocations only (each container's first excluded): wall ms per record. */
  readonly msPerRecord: number;
  /** As Lambda bills: each warm invocation rounded up to the millisecond, per record. */
  readonly billedMsPerRecord: number;
  /** This process's CPU (user + system) per record, warm invocations. */
  readonly cpuMsPerRecord: number;
  /** Wall ms of each container's first invocation (SDK connections, first secret read). */
  readonly coldInvocationMs: readonly number[];
  /** Wall ms of the warm invocations of a full batch. */
  readonly batchMs: Stats | null;
  /** Bytes and lines the handler wrote to stdout (what Lambda ships to CloudWatch Logs). */
  readonly logBytes: number;
  readonly logLines: number;
}

/** One archive stream's traffic in a run: what its writer sent Firehose, and what landed in S3. */
export interface ArchiveKindFigures {
  /** S3 objects written (moto writes one per PutRecordBatch call, its records concatenated as sent: GZIP members). */
  readonly objects: number;
  /** Archive lines in them (parseArchiveLines). */
  readonly lines: number;
  /** The objects' lines' bytes, uncompressed. */
  readonly rawBytes: number;
  /** The objects' bytes as stored: the writers' GZIP records (an uncompressed object, from a writer that sent text, GZIP'd at level 6). */
  readonly gzipBytes: number;
  /** All the objects as one, GZIP level 6: what Firehose's larger objects at volume compress to (sensitivity). */
  readonly gzipBytesOneObject: number;
  /** The writer's PutRecord(Batch) calls, records, decoded data bytes and billed bytes (each record rounded up to 5 KB), through the proxy. */
  readonly calls: number;
  readonly records: number;
  readonly dataBytes: number;
  readonly billedBytes: number;
}

/** The event archive after a run (absent for a generation of the handlers that has none). */
export interface ArchiveFigures {
  /** `webhook`: the processor's stream; `attempt`: the dispatcher's. */
  readonly kinds: Readonly<Record<ArchiveKind, ArchiveKindFigures>>;
  /** Distinct webhooks of the run with a webhook line, and those with more than one. */
  readonly webhooksArchived: number;
  readonly webhooksArchivedTwice: number;
  /** Distinct attempts (webhook id, destination, attempt number) of delivered webhooks with a line, and those with more than one. */
  readonly attemptsArchived: number;
  readonly attemptsArchivedTwice: number;
  /** Lines that are not JSON, or of an id the run did not send. */
  readonly strayLines: number;
}

export interface CostRun {
  readonly label: string;
  readonly generatedAt: string;
  /** `git describe`-style: the checkout's commit, `+dirty` when its tree differs from it. */
  readonly commit: string;
  /** 1-, 5- and 15-minute load averages at the start and the end: timings from a busy machine are slower. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly options: Omit<CostBenchOptions, 'root' | 'workDir'>;
  /** The stack's function sizing the cost model applies. */
  readonly sizing: { readonly memoryMb: number; readonly architecture: 'arm64' | 'x86_64'; readonly batchSize: number };
  readonly webhooks: number;
  /** Webhooks the validator forwarded (records that reached the processor). */
  readonly accepted: number;
  /** Requests the destination received. */
  readonly delivered: number;
  /** Distinct webhooks (`webhook-id`) among them: equal to `delivered` when none arrived twice. */
  readonly deliveredDistinct?: number;
  /** From starting the handlers to the chain drained, ms (the load step's end-to-end rate). */
  readonly wallMs?: number;
  /** Containers per handler. */
  readonly containers?: Readonly<Record<FunctionName, number>>;
  readonly deliveryBytes: number;
  /** Mean SQS payload (body + attributes) of one message on each queue. */
  readonly messageBytes: { readonly ingest: number; readonly process: number; readonly deliver: number };
  /** Largest idempotency item in the table afterwards, and the items there. */
  readonly dynamoMaxItemBytes: number;
  readonly dynamoItems: number;
  /** Messages left on any queue or DLQ afterwards (should be 0). */
  readonly leftOver: number;
  /** moto's own time per call, without the added latency. */
  readonly motoMsPerCall: Stats | null;
  readonly handlers: readonly HandlerCost[];
  /** Processor: warm records per second of invocation time, one invocation at a time. */
  readonly processorRecordsPerSecond: number;
  /** Dispatcher: wall time of a warm invocation with a full batch, to a destination answering after `targetDelayMs`. */
  readonly dispatcherBatchMs: Stats | null;
  /** The event archive as the run left it; absent in runs from before it (the baseline). */
  readonly archive?: ArchiveFigures;
}

const SOURCE = 'github';
const SECRETS_PATH = '/webhook-pipeline/bench/sources/';
const DELIVERY_SECRET_PARAMETER = '/webhook-pipeline/bench/delivery/signing-secret';
const TABLE = 'webhook-idempotency-cost-bench';
const ARCHIVE_BUCKET = 'webhook-history-cost-bench';
/** The two Firehose streams, by the kind of line each takes (the processor's and the dispatcher's). */
export const ARCHIVE_STREAMS: Readonly<Record<ArchiveKind, string>> = {
  webhook: 'webhook-archive-webhooks-cost',
  attempt: 'webhook-archive-attempts-cost',
};
/** Which handler writes each kind. */
const ARCHIVE_WRITERS: Readonly<Record<ArchiveKind, FunctionName>> = { webhook: 'processor', attempt: 'dispatcher' };
const ARCHIVE_KINDS = Object.keys(ARCHIVE_PREFIXES) as ArchiveKind[];
/** The stack's defaults (FUNCTION_TIMEOUT_DEFAULTS, deliveryTimeoutMs(60, 10) in src/webhook-pipeline.ts). */
const FUNCTION_TIMEOUT_SECONDS: Record<FunctionName, number> = { validator: 10, processor: 15, dispatcher: 60 };
const DELIVERY_TIMEOUT_MS = 4800;
/** The stack's default `architecture` (FunctionSizing in src/constructs/pipeline-function.ts). */
const ARCHITECTURE = 'arm64';
const PHASE_TIMEOUT_MS = 600_000;
/** The load step's webhooks waiting on the three queues at most, before more are sent. */
const LOAD_BACKLOG = 200;
/** How long a stage's pollers leave a queue they found empty before receiving again. */
const IDLE_POLL_MS = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A GitHub `push` of one commit, about 2 KB: the shape and size of a typical webhook body. */
function pushBody(deliveryId: string): string {
  const sha = (seed: string) => Buffer.from(`${seed}${deliveryId}`).toString('hex').padEnd(40, '0').slice(0, 40);
  const person = { name: 'Octo Cat', email: 'octocat@example.com', username: 'octocat' };
  const commit = {
    id: sha('c'),
    tree_id: sha('t'),
    distinct: true,
    message: 'Fix the retry schedule of failed deliveries\n\nThe dispatcher now backs off as documented.',
    timestamp: '2026-01-01T12:00:00Z',
    url: `https://github.com/octo-org/webhook-pipeline/commit/${sha('c')}`,
    author: person,
    committer: person,
    added: [],
    removed: [],
    modified: ['src/handlers/dispatcher/index.ts', 'docs/RUNBOOK.md'],
  };
  return JSON.stringify({
    ref: 'refs/heads/main',
    before: sha('b'),
    after: sha('c'),
    repository: {
      id: 123456789,
      node_id: 'R_kgDOHlH0bQ',
      name: 'webhook-pipeline',
      full_name: 'octo-org/webhook-pipeline',
      private: true,
      owner: { login: 'octo-org', id: 9919, type: 'Organization', html_url: 'https://github.com/octo-org' },
      html_url: 'https://github.com/octo-org/webhook-pipeline',
      default_branch: 'main',
      pushed_at: 1767268800,
    },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 583231, type: 'User', html_url: 'https://github.com/octocat' },
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.com/octo-org/webhook-pipeline/compare/${sha('b').slice(0, 12)}...${sha('c').slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
  });
}

/** Bundles `name` with the checkout's own bundler, as that version's stack would. */
function bundleOf(root: string, name: FunctionName): HandlerBundle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the other checkout's module, transpiled by esbuild-register
  const { bundleHandler } = require(path.join(root, 'src', 'bundling', 'bundle-handler.ts')) as {
    bundleHandler: (handler: string, options: { root: string }) => HandlerBundle;
  };
  return bundleHandler(name, { root });
}

function commitOf(root: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src').length > 0 ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

interface PhaseOutput {
  readonly invocations: Invocation[][];
  readonly logBytes: number;
  readonly logLines: number;
}

/**
 * Runs one handler in `containers` forked containers until its queue is empty, doing what the
 * event source mapping does: one poller receives up to ten messages at a time (receives are
 * serialized, so no message goes to two containers), hands the batch to an idle container, and
 * deletes the records the invocation did not report as failed. Its calls go straight to moto.
 */
async function runPhase(
  name: FunctionName,
  dir: string,
  env: NodeJS.ProcessEnv,
  containers: number,
  queueUrl: string,
  sqs: SQSClient,
  /** Whether the stage feeding this queue has finished; always true when stages run one after another. */
  upstreamDone: () => boolean = () => true,
  timeoutMs = PHASE_TIMEOUT_MS,
): Promise<PhaseOutput> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn ?? 'arn:aws:sqs:us-east-1:123456789012:unknown';
  let polling: Promise<unknown> = Promise.resolve();
  // A queue found empty is not asked again for a while, by any of the stage's containers: moto
  // answers one request at a time, and idle polls would slow the stages that have work.
  let foundEmptyAt = -Infinity;
  const receive = (max = DEFAULT_BATCH_SIZE) => {
    const next = polling.then(async () => {
      const wait = foundEmptyAt + IDLE_POLL_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 300,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (!received.Messages?.length) foundEmptyAt = performance.now();
      return received;
    });
    polling = next.catch(() => undefined);
    return next;
  };

  let logBytes = 0;
  let logLines = 0;
  const container = async (): Promise<Invocation[]> => {
    const child = fork(path.join(__dirname, 'cost-worker.ts'), [], {
      execArgv: ['-r', 'esbuild-register'],
      env: {
        ...env,
        BENCH_HANDLER_DIR: dir,
        BENCH_HANDLER: name,
        BENCH_FUNCTION_TIMEOUT_MS: String(FUNCTION_TIMEOUT_SECONDS[name] * 1000),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'], // stdout: the handler's log lines, counted
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      logBytes += chunk.length;
      for (const byte of chunk) if (byte === 0x0a) logLines += 1;
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const reply = <T>() =>
      new Promise<T>((resolve, reject) => {
        const onMessage = (message: unknown) => {
          child.off('exit', onExit);
          resolve(message as T);
        };
        const onExit = (code: number | null) => {
          child.off('message', onMessage);
          reject(new Error(`${name} container exited with ${code}:\n${stderr}`));
        };
        child.once('message', onMessage);
        child.once('exit', onExit);
      });
    try {
      await reply(); // loaded: the init phase is over
      const invocations: Invocation[] = [];
      for (;;) {
        // Read before receiving: a receive that found nothing proves the queue drained only if the stage before had already finished.
        const finished = upstreamDone();
        const { Messages = [] } = await receive();
        if (Messages.length === 0) {
          if (finished) break;
          continue; // the next receive waits out the idle interval
        }
        // The mapping's batching window: while the stage before still produces, fill the batch for up to a window.
        const windowEnds = performance.now() + DEFAULT_BATCH_WINDOW_SECONDS * 1000;
        while (Messages.length < DEFAULT_BATCH_SIZE && !upstreamDone() && performance.now() < windowEnds) {
          await sleep(IDLE_POLL_MS);
          const more = await receive(DEFAULT_BATCH_SIZE - Messages.length);
          Messages.push(...(more.Messages ?? []));
        }
        const event: SQSEvent = { Records: Messages.map((message) => toSqsRecord(message, queueArn)) };
        child.send({ event } satisfies CostWorkerRequest);
        const invocation = await reply<Invocation>();
        invocations.push(invocation);
        const done = event.Records.filter((record) => !invocation.failedIds.includes(record.messageId));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
            }),
          );
        }
      }
      child.send({ done: true } satisfies CostWorkerRequest);
      await exited;
      return invocations;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  };
  const invocations = await withTimeout(`${name} phase`, timeoutMs, Promise.all(Array.from({ length: containers }, container)));
  return { invocations, logBytes, logLines };
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

function summarize(
  name: FunctionName,
  phase: PhaseOutput,
  actions: ActionCount[],
  writeUnitsPerItem: number,
  readUnitsPerItem: number,
  batchSize: number,
): HandlerCost {
  const all = phase.invocations.flat();
  const warm = phase.invocations.flatMap((container) => container.slice(1));
  const warmRecords = sum(warm.map((invocation) => invocation.records));
  const sqs = sum(actions.filter((action) => action.service === 'sqs').map((action) => action.sqsChunks));
  const dynamoWru = sum(actions.map((action) => (action.dynamoWriteItems + 2 * action.dynamoTransactWriteItems) * writeUnitsPerItem));
  const dynamoRru = sum(actions.map((action) => (action.dynamoStrongReadItems + 0.5 * action.dynamoEventualReadItems) * readUnitsPerItem));
  const freeSsm = (action: ActionCount) => action.service === 'ssm' && /^GetParameters?(ByPath)?$/.test(action.action);
  // Firehose bills the bytes ingested, not requests: priced by the archive's line of the model.
  const byVolume = (action: ActionCount) => action.service === 'firehose' && /^PutRecord(Batch)?$/.test(action.action);
  const other = sum(
    actions
      .filter((action) => action.service !== 'sqs' && action.service !== 'dynamodb' && !freeSsm(action) && !byVolume(action))
      .map((action) => action.calls),
  );
  const fullBatches = warm.filter((invocation) => invocation.records === batchSize).map((invocation) => invocation.ms);
  return {
    name,
    containers: phase.invocations.length,
    invocations: all.length,
    records: sum(all.map((invocation) => invocation.records)),
    failedRecords: sum(all.map((invocation) => invocation.failedIds.length)),
    actions: [...actions].sort((a, b) => `${a.service}:${a.action}`.localeCompare(`${b.service}:${b.action}`)),
    calls: sum(actions.map((action) => action.calls)),
    billedRequests: sqs + dynamoWru + dynamoRru + other,
    billed: { sqs, dynamoWru, dynamoRru, other },
    msPerRecord: warmRecords ? sum(warm.map((invocation) => invocation.ms)) / warmRecords : NaN,
    billedMsPerRecord: warmRecords ? sum(warm.map((invocation) => Math.ceil(invocation.ms))) / warmRecords : NaN,
    cpuMsPerRecord: warmRecords ? sum(warm.map((invocation) => invocation.cpuMs)) / warmRecords : NaN,
    coldInvocationMs: phase.invocations.filter((container) => container.length > 0).map((container) => container[0].ms),
    batchMs: fullBatches.length ? stats(fullBatches) : null,
    logBytes: phase.logBytes,
    logLines: phase.logLines,
  };
}

/** The archive on moto: the bucket and a Direct PUT stream per kind, as the stack configures them (GZIP, 60 s / 64 MB). */
async function createArchive(s3: S3Client, firehose: FirehoseClient): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: ARCHIVE_BUCKET }));
  for (const kind of ARCHIVE_KINDS) {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: ARCHIVE_STREAMS[kind],
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::123456789012:role/webhook-archive-cost-bench',
          BucketARN: `arn:aws:s3:::${ARCHIVE_BUCKET}`,
          Prefix: ARCHIVE_PREFIXES[kind],
          CompressionFormat: 'GZIP', // moto writes the records as they came, uncompressed: the bench compresses them itself
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
        },
      }),
    );
  }
}

/** What the writers sent Firehose, from their proxy's counts. */
export function firehoseTraffic(
  actions: readonly ActionCount[],
): Pick<ArchiveKindFigures, 'calls' | 'records' | 'dataBytes' | 'billedBytes'> {
  const puts = actions.filter((action) => action.service === 'firehose' && /^PutRecord(Batch)?$/.test(action.action));
  return {
    calls: sum(puts.map((action) => action.calls)),
    records: sum(puts.map((action) => action.firehoseRecords)),
    dataBytes: sum(puts.map((action) => action.firehoseDataBytes)),
    billedBytes: sum(puts.map((action) => action.firehoseBilledBytes)),
  };
}

/** The archive objects of one kind, as read back: their bytes as moto stored them. */
export interface ArchiveObject {
  readonly kind: ArchiveKind;
  readonly data: Buffer;
}

/**
 * Checks the archive against the run and sizes it: each object's lines by kind, the raw and the
 * stored (GZIP) bytes, and whether every webhook and every attempt has exactly one line.
 */
export function archiveFigures(
  objects: readonly ArchiveObject[],
  sent: Readonly<Record<ArchiveKind, ReturnType<typeof firehoseTraffic>>>,
  /** The `webhook-id` of every webhook put on the ingest queue. */
  webhookIds: ReadonlySet<string>,
  /** The `webhook-id`s the destination received. */
  deliveredIds: ReadonlySet<string>,
): ArchiveFigures {
  let strayLines = 0;
  const webhookLines = new Map<string, number>();
  const attemptLines = new Map<string, number>();
  const lines: Record<ArchiveKind, number> = { webhook: 0, attempt: 0 };
  for (const object of objects) {
    const records = parseArchiveLines(archiveObjectText(object.data), () => (strayLines += 1));
    lines[object.kind] += records.length;
    for (const record of records) {
      if (record.kind !== object.kind) strayLines += 1;
      else if (record.kind === 'webhook' && webhookIds.has(record.webhook_id)) {
        webhookLines.set(record.webhook_id, (webhookLines.get(record.webhook_id) ?? 0) + 1);
      } else if (record.kind === 'attempt' && deliveredIds.has(record.webhook_id)) {
        const key = `${record.webhook_id} ${record.destination} ${record.attempt}`;
        attemptLines.set(key, (attemptLines.get(key) ?? 0) + 1);
      } else strayLines += 1;
    }
  }
  const kindFigures = (kind: ArchiveKind): ArchiveKindFigures => {
    const mine = objects.filter((object) => object.kind === kind).map((object) => object.data);
    return {
      objects: mine.length,
      lines: lines[kind],
      rawBytes: sum(mine.map((data) => Buffer.byteLength(archiveObjectText(data)))),
      gzipBytes: sum(mine.map((data) => (isGzip(data) ? data.length : gzipSync(data, { level: 6 }).length))),
      gzipBytesOneObject: mine.length ? gzipSync(mine.map(archiveObjectText).join(''), { level: 6 }).length : 0,
      ...sent[kind],
    };
  };
  const twice = (counts: Map<string, number>) => [...counts.values()].filter((count) => count > 1).length;
  return {
    kinds: { webhook: kindFigures('webhook'), attempt: kindFigures('attempt') },
    webhooksArchived: webhookLines.size,
    webhooksArchivedTwice: twice(webhookLines),
    attemptsArchived: attemptLines.size,
    attemptsArchivedTwice: twice(attemptLines),
    strayLines,
  };
}

/** Reads the archive objects written since the last run (`seen` holds the keys read before, and is updated). */
async function readArchive(
  s3: S3Client,
  seen: Set<string>,
  actions: Readonly<Record<ArchiveKind, readonly ActionCount[]>>,
  webhookIds: ReadonlySet<string>,
  deliveredIds: ReadonlySet<string>,
): Promise<ArchiveFigures> {
  const objects: ArchiveObject[] = [];
  for (const kind of ARCHIVE_KINDS) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: ARCHIVE_BUCKET, Prefix: ARCHIVE_PREFIXES[kind], ContinuationToken: token }),
      );
      for (const { Key } of page.Contents ?? []) {
        if (!Key || seen.has(Key)) continue;
        seen.add(Key);
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: ARCHIVE_BUCKET, Key }));
        objects.push({ kind, data: Buffer.from((await Body?.transformToByteArray()) ?? []) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  const sent = { webhook: firehoseTraffic(actions.webhook), attempt: firehoseTraffic(actions.attempt) };
  return archiveFigures(objects, sent, webhookIds, deliveredIds);
}

/** moto, the counting proxies, the destination, the queues, the table and the secrets: set up once, driven by any number of runs. */
export interface Chain {
  run(run: ChainRunOptions, label: string): Promise<CostRun>;
  stop(): Promise<void>;
}

/**
 * Starts the chain for the handlers of `options.root`. Each handler reaches AWS through a proxy of
 * its own, so its requests are its own even when the three run at once. moto creates queues
 * slowly: the load step runs its volumes on one chain.
 */
export async function startChain(
  options: Omit<CostBenchOptions, 'webhooks' | 'dispatcherContainers'>,
  label: string,
  log: (line: string) => void,
): Promise<Chain> {
  const { root, workDir } = options;
  const archiveOn = options.archive !== false;
  const commit = commitOf(root);
  const say = (line: string) => log(`${label} (${commit}): ${line}`);
  say(`bundling the handlers of ${root}`);
  const bundles = FUNCTION_NAMES.map((name) => ({ name, dir: extract(root, bundleOf(root, name).zipPath, path.join(workDir, name)) }));

  say(`starting moto, the counting proxies (+${options.awsLatencyMs} ms a call) and the destination (${options.targetDelayMs} ms)`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const moto = await startMoto();
  const aws = awsClients(moto.endpoint);
  const clientConfig = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const firehose = new FirehoseClient(clientConfig);
  const proxies = Object.fromEntries(
    await Promise.all(FUNCTION_NAMES.map(async (name) => [name, await startAwsProxy(moto.endpoint, options.awsLatencyMs)] as const)),
  ) as Record<FunctionName, AwsProxy>;
  const target = await startReceiver({ status: 200, delayMs: options.targetDelayMs });
  const stop = async () => {
    await target.close();
    for (const proxy of Object.values(proxies)) await proxy.close();
    Object.values(aws).forEach((client) => client.destroy());
    s3.destroy();
    firehose.destroy();
    await moto.stop();
  };
  const unregister = onInterrupt(stop);
  try {
    const queue = async (name: string) => {
      const deadLetter = await createQueue(aws.sqs, `${name}-dlq`);
      const url = await createQueue(aws.sqs, name, {
        visibilityTimeoutSeconds: 300,
        deadLetter: { queueUrl: deadLetter, maxReceiveCount: 5 },
      });
      return { url, deadLetter };
    };
    const queues = {
      ingest: await queue('webhook-ingest-cost'),
      process: await queue('webhook-process-cost'),
      deliver: await queue('webhook-deliver-cost'),
    };
    // The handlers reach SQS through their proxy: their queue URLs name it, or the SDK would send to the URL's host.
    const endpointsOf = (name: FunctionName): PipelineEndpoints => {
      const viaProxy = (url: string) => `${proxies[name].url}${new URL(url).pathname}`;
      return {
        ingestQueueUrl: viaProxy(queues.ingest.url),
        processQueueUrl: viaProxy(queues.process.url),
        deliverQueueUrl: viaProxy(queues.deliver.url),
        deadLetterQueueUrls: {
          validator: viaProxy(queues.ingest.deadLetter),
          processor: viaProxy(queues.process.deadLetter),
          dispatcher: viaProxy(queues.deliver.deadLetter),
        },
        deliveryUrl: `${target.url}/webhooks/inbound`,
      };
    };
    const sourceSecret = `bench-${randomUUID()}`;
    const settings: PipelineSettings = {
      sources: { [SOURCE]: 'github' },
      sourceSecretsPath: SECRETS_PATH,
      deliverySecretParameter: DELIVERY_SECRET_PARAMETER,
      idempotencyTable: TABLE,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      ...(archiveOn ? { archiveStreams: ARCHIVE_STREAMS } : {}),
    };
    await createIdempotencyTable(aws.dynamodb, TABLE);
    if (archiveOn) await createArchive(s3, firehose);
    /** Archive objects read by an earlier run on this chain (the load step runs two volumes on one). */
    const archived = new Set<string>();
    await putSecureString(aws.ssm, `${SECRETS_PATH}${SOURCE}`, sourceSecret);
    await putSecureString(aws.ssm, DELIVERY_SECRET_PARAMETER, `bench-${randomUUID()}`);
    const source: Record<FunctionName, string> = {
      validator: queues.ingest.url,
      processor: queues.process.url,
      dispatcher: queues.deliver.url,
    };

    const run = async (runOptions: ChainRunOptions, runLabel: string): Promise<CostRun> => {
      const loadAtStart = os.loadavg();
      const tell = (line: string) => log(`${runLabel} (${commit}): ${line}`);
      tell(`${runOptions.webhooks} signed webhooks on the ingest queue`);
      const deliveryIds = Array.from({ length: runOptions.webhooks }, () => randomUUID());
      const webhooks: IngestWebhook[] = deliveryIds.map((deliveryId) =>
        githubWebhook({ source: SOURCE, secret: sourceSecret, deliveryId, event: 'push', body: pushBody(deliveryId) }),
      );
      const entries = webhooks.map((webhook, index) => ({
        Id: String(index),
        MessageBody: webhook.body,
        MessageAttributes: Object.fromEntries(
          Object.entries(webhook.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }));
      const sendBatch = async (start: number) => {
        const batch = entries.slice(start, start + 10).map((entry, index) => ({ ...entry, Id: String(index) }));
        const { Failed = [] } = await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: queues.ingest.url, Entries: batch }));
        if (Failed.length > 0) throw new Error(`putting webhooks on the ingest queue: ${JSON.stringify(Failed)}`);
      };
      // One after another the stages want the whole backlog first. At once, the webhooks arrive as
      // the chain takes them, a bounded backlog ahead: moto scans a queue's messages on every
      // receive and delete, so thousands waiting would make it, not the handlers, the subject.
      const backlog = async () => {
        let waiting = 0;
        for (const { url } of Object.values(queues)) {
          const { Attributes = {} } = await aws.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
          );
          waiting += Number(Attributes.ApproximateNumberOfMessages ?? 0);
        }
        return waiting;
      };
      let produced = false;
      const produce = async () => {
        for (let start = 0; start < entries.length;) {
          if (runOptions.pipelined && (await backlog()) >= LOAD_BACKLOG) {
            await sleep(IDLE_POLL_MS);
            continue;
          }
          const end = Math.min(entries.length, start + (runOptions.pipelined ? LOAD_BACKLOG / 2 : entries.length));
          while (start < end) {
            const calls = Math.ceil(Math.min(80, end - start) / 10);
            await Promise.all(Array.from({ length: calls }, (_, call) => sendBatch(start + call * 10)));
            start = Math.min(end, start + calls * 10);
          }
        }
        produced = true;
      };
      const production = runOptions.pipelined ? undefined : produce();
      await production;
      const ingestBytes = sum(entries.map(sqsMessageBytes)) / entries.length;

      const baseEnv = { ...process.env, ...FAKE_AWS_CREDENTIALS };
      target.reset();
      for (const proxy of Object.values(proxies)) proxy.takeCounts(); // set-up went straight to moto; start from zero
      const phases = new Map<FunctionName, { output: PhaseOutput; counts: ReturnType<AwsProxy['takeCounts']> }>();
      const started = performance.now();
      const runOne = async ({ name, dir }: (typeof bundles)[number], upstreamDone?: () => boolean) => {
        const containers = runOptions.containers[name];
        tell(`${name}, ${containers} container${containers > 1 ? 's' : ''}`);
        const env = { ...baseEnv, AWS_ENDPOINT_URL: proxies[name].url, ...pipelineEnv(name, endpointsOf(name), settings) };
        // A phase of the load step lasts as long as the whole run: allow a slow machine 100 ms a webhook.
        const timeoutMs = Math.max(PHASE_TIMEOUT_MS, runOptions.webhooks * 100);
        const output = await runPhase(name, dir, env, containers, source[name], aws.sqs, upstreamDone, timeoutMs);
        phases.set(name, { output, counts: proxies[name].takeCounts() });
      };
      if (runOptions.pipelined) {
        const done = new Set<FunctionName>();
        await Promise.all([
          produce(),
          ...bundles.map(async (bundle, index) => {
            const before = index === 0 ? undefined : bundles[index - 1].name;
            await runOne(bundle, before ? () => done.has(before) : () => produced);
            done.add(bundle.name);
          }),
        ]);
      } else {
        for (const bundle of bundles) await runOne(bundle);
      }
      const wallMs = performance.now() - started;
      tell(`drained in ${(wallMs / 1000).toFixed(1)} s: ${target.requests.length} deliveries`);

      // Request units per item: the idempotency items as the handlers left them (the largest, to be safe).
      const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: TABLE }));
      const putBytes = Math.max(
        0,
        ...[...phases.values()].flatMap((phase) => phase.counts.actions.map((action) => action.dynamoLargestPutItemBytes)),
      );
      const dynamoMaxItemBytes = Math.max(putBytes, ...Items.map((item) => dynamoItemBytes(item as Record<string, unknown>)));
      const writeUnitsPerItem = Math.max(1, Math.ceil(dynamoMaxItemBytes / 1024));
      const readUnitsPerItem = Math.max(1, Math.ceil(dynamoMaxItemBytes / 4096));

      let leftOver = 0;
      for (const url of Object.values(queues).flatMap((entry) => [entry.url, entry.deadLetter])) {
        const { Attributes = {} } = await aws.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        leftOver += Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
      }

      const handlers = FUNCTION_NAMES.map((name) => {
        const phase = phases.get(name)!;
        return summarize(name, phase.output, phase.counts.actions, writeUnitsPerItem, readUnitsPerItem, DEFAULT_BATCH_SIZE);
      });
      const byName = (name: FunctionName) => handlers.find((handler) => handler.name === name)!;
      const meanBytes = (name: FunctionName, queueName: string) => {
        const traffic = phases.get(name)!.counts.queues[queueName];
        return traffic && traffic.messages ? traffic.payloadBytes / traffic.messages : 0;
      };
      const motoMs = [...phases.values()].flatMap((phase) => phase.counts.motoMs);
      const archive = !archiveOn
        ? undefined
        : await readArchive(
            s3,
            archived,
            {
              webhook: phases.get(ARCHIVE_WRITERS.webhook)!.counts.actions,
              attempt: phases.get(ARCHIVE_WRITERS.attempt)!.counts.actions,
            },
            new Set(deliveryIds.map((deliveryId) => webhookIdOf(SOURCE, deliveryId))),
            new Set(target.requests.map((request) => String(request.headers['webhook-id']))),
          );
      const processor = byName('processor');
      const requests = target.requests;
      return {
        label: runLabel,
        generatedAt: new Date().toISOString(),
        commit,
        loadAverage: { start: loadAtStart, end: os.loadavg() },
        options: {
          webhooks: runOptions.webhooks,
          awsLatencyMs: options.awsLatencyMs,
          targetDelayMs: options.targetDelayMs,
          dispatcherContainers: runOptions.containers.dispatcher,
          archive: archiveOn,
        },
        sizing: { memoryMb: DEFAULT_MEMORY_MB, architecture: ARCHITECTURE, batchSize: DEFAULT_BATCH_SIZE },
        webhooks: runOptions.webhooks,
        accepted: processor.records,
        delivered: requests.length,
        deliveredDistinct: new Set(requests.map((request) => String(request.headers['webhook-id']))).size,
        deliveryBytes: requests.reduce((total, request) => total + request.raw.length, 0),
        wallMs,
        containers: runOptions.containers,
        messageBytes: {
          ingest: ingestBytes,
          process: meanBytes('validator', path.basename(queues.process.url)),
          deliver: meanBytes('processor', path.basename(queues.deliver.url)),
        },
        dynamoMaxItemBytes,
        dynamoItems: Items.length,
        leftOver,
        motoMsPerCall: motoMs.length ? stats(motoMs) : null,
        handlers,
        processorRecordsPerSecond: 1000 / processor.msPerRecord,
        dispatcherBatchMs: byName('dispatcher').batchMs,
        archive,
      };
    };
    return {
      run,
      stop: async () => {
        unregister();
        await stop();
      },
    };
  } catch (error) {
    unregister();
    await stop();
    throw error;
  }
}

/**
 * The cost step: `label` is `before` (the baseline) or `after` (this checkout), how the report
 * names the run. One handler after another; the validator and the processor in one container each,
 * the dispatcher in several (at least four batches each, so most invocations are warm ones).
 */
export async function benchCost(options: CostBenchOptions, label: string, log: (line: string) => void): Promise<CostRun> {
  const chain = await startChain(options, `cost (${label})`, log);
  try {
    const batches = Math.ceil(options.webhooks / DEFAULT_BATCH_SIZE);
    const containers = {
      validator: 1,
      processor: 1,
      dispatcher: Math.max(1, Math.min(options.dispatcherContainers, Math.floor(batches / 4))),
    };
    return { ...(await chain.run({ webhooks: options.webhooks, containers, pipelined: false }, `cost (${label})`)), label };
  } finally {
    await chain.stop();
  }
}

/** The recorded before-figures, or undefined when none were recorded. */
export function readCostBaseline(file = COST_BASELINE_FILE): CostRun | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CostRun;
}
