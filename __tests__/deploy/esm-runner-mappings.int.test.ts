/**
 * The ESM runner with several SQS mappings on one function, as the dispatcher has with delivery
 * lanes, on moto: every mapping delivers with its own batch size, the mappings share the
 * function's reserved concurrency, and a user's pause or resume (UpdateEventSourceMapping, as
 * `webhook-pipeline destinations pause|resume` does it) is noticed while the runner runs and at
 * stop, and survives it. Three queues: `a` and `b` polled, `c` paused before the runner starts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { EsmRunner } from '../../scripts/lib/esm-runner';
import { localClientConfig } from '../../scripts/lib/local-resources';
import { type MotoServer, startMoto } from '../support/moto';

jest.setTimeout(120_000);

/** Logs each batch it gets (bodies, source queue) and when it ran; 200 ms per batch, so that invocations overlap. */
const HANDLER = `
exports.handler = async (event) => {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log(JSON.stringify({ batch: event.Records.map((r) => ({ body: r.body, arn: r.eventSourceARN })), start, end: Date.now() }));
  return { batchItemFailures: [] };
};`;

const FUNCTION = 'esm-lanes-probe';
const RESERVED = 2;
const LANES = ['a', 'b', 'c'] as const;
type Lane = (typeof LANES)[number];

let moto: MotoServer;
let workDir: string;
let zipPath: string;
let sqs: SQSClient;
let lambda: LambdaClient;
const queueUrls = {} as Record<Lane, string>;
const uuids = {} as Record<Lane, string>;
let runner: EsmRunner | undefined;
const runnerLog: string[] = [];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const arnOf = (lane: Lane) => `arn:aws:sqs:us-east-1:123456789012:lane-${lane}`;

interface Batch {
  batch: { body: string; arn: string }[];
  start: number;
  end: number;
}
const batches = (): Batch[] =>
  runner!
    .jsonLines(FUNCTION)
    .filter((line) => 'batch' in line)
    .map((line) => line as unknown as Batch);
const seenBodies = () => new Set(batches().flatMap((b) => b.batch.map((record) => record.body)));

async function send(lane: Lane, ...bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrls[lane],
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await delay(100);
  }
}

async function depth(lane: Lane): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrls[lane],
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

const stateOf = async (lane: Lane) => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuids[lane] }))).State;
const setEnabled = (lane: Lane, enabled: boolean) =>
  lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuids[lane], Enabled: enabled }));
const bodies = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}:${i + 1}`);

beforeAll(async () => {
  moto = await startMoto();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-lanes-'));
  const config = localClientConfig(moto.endpoint);
  sqs = new SQSClient(config);
  lambda = new LambdaClient(config);
  const iam = new IAMClient(config);
  await Promise.all(
    LANES.map(async (lane) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `lane-${lane}` }));
      queueUrls[lane] = QueueUrl!;
    }),
  );
  const zip = zipSync({ 'index.js': strToU8(HANDLER) });
  zipPath = path.join(workDir, 'lanes.zip');
  fs.writeFileSync(zipPath, zip);
  const { Role } = await iam.send(
    new CreateRoleCommand({ RoleName: 'lanes-role', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }),
  );
  iam.destroy();
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: FUNCTION,
      Runtime: 'nodejs22.x',
      Role: Role!.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: zip },
      Timeout: 5,
    }),
  );
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: FUNCTION, ReservedConcurrentExecutions: RESERVED }));
  const specs: Record<
    Lane,
    { BatchSize: number; MaximumBatchingWindowInSeconds?: number; Enabled?: boolean; MaximumConcurrency?: number }
  > = {
    a: { BatchSize: 10, MaximumConcurrency: 2 },
    b: { BatchSize: 3, MaximumBatchingWindowInSeconds: 1 },
    c: { BatchSize: 10, Enabled: false },
  };
  for (const lane of LANES) {
    const { MaximumConcurrency, ...spec } = specs[lane];
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: FUNCTION,
        EventSourceArn: arnOf(lane),
        ...spec,
        ...(MaximumConcurrency ? { ScalingConfig: { MaximumConcurrency } } : {}),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    uuids[lane] = mapping.UUID!;
  }
  // Waiting on the paused lane before the runner starts: it must never be received.
  await send('c', 'c:1');
});

afterAll(async () => {
  await runner?.stop();
  sqs?.destroy();
  lambda?.destroy();
  await moto?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test('runs every SQS mapping of the function, each with its own settings; one disabled before start is left paused', async () => {
  runner = await EsmRunner.start({
    endpoint: moto.endpoint,
    functionNames: [FUNCTION],
    codeFiles: { [FUNCTION]: zipPath },
    workDir,
    pollersPerMapping: 2,
    log: (line) => runnerLog.push(line),
  });
  const [consumer] = runner.consumers;
  expect(consumer.reservedConcurrency).toBe(RESERVED);
  expect(
    Object.fromEntries(consumer.mappings.map((m) => [m.queueArn, [m.batchSize, m.batchWindowSeconds, m.maximumConcurrency, m.enabled]])),
  ).toEqual({
    [arnOf('a')]: [10, 0, 2, true],
    [arnOf('b')]: [3, 1, undefined, true],
    [arnOf('c')]: [10, 0, undefined, false],
  });
  expect(LANES.map((lane) => runner!.mappingStatus(uuids[lane]))).toEqual(['polling', 'polling', 'paused']);
  // Every mapping is disabled on moto: two by the runner, which polls them, and `c` by its user.
  expect(await Promise.all(LANES.map(stateOf))).toEqual(['Disabled', 'Disabled', 'Disabled']);
  // Two pollers on `a` (its maximum concurrency) and two on `b` share two environments.
  expect(runnerLog).toContain(
    `${FUNCTION}: 4 pollers over its mappings exceed its reserved concurrency ${RESERVED}: expect throttled batches`,
  );
});

test('both polled lanes deliver, never more than the reserved concurrency at once', async () => {
  await Promise.all([send('a', ...bodies('a', 20)), send('b', ...bodies('b', 12))]);
  // The handler logs a batch before the runner deletes it: wait for both, or the last batch's deletes race the check.
  await waitFor('all 32 records handled and deleted', () => seenBodies().size === 32 && runner!.stats[FUNCTION].deleted >= 32);
  const all = batches();
  const lanes = new Map(all.flatMap((b) => b.batch.map((record) => [record.body, record.arn] as const)));
  for (const [body, arn] of lanes) expect(arn).toBe(arnOf(body.split(':')[0] as Lane));
  // `b`'s batch size is its own.
  expect(Math.max(...all.filter((b) => b.batch[0].arn === arnOf('b')).map((b) => b.batch.length))).toBeLessThanOrEqual(3);
  const edges = all.flatMap((b) => [
    [b.start, 1],
    [b.end, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let running = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (running += step));
  expect(most).toBeLessThanOrEqual(RESERVED);
  expect(runner!.stats[FUNCTION]).toMatchObject({ records: 32, deleted: 32, throttles: 0 });
  expect(runner!.stats[FUNCTION].coldStarts).toBeLessThanOrEqual(RESERVED);
});

test('a lane paused while the runner runs keeps its new messages; the other lane goes on; resumed, they are delivered', async () => {
  await setEnabled('b', false);
  await waitFor('the runner to see the pause and its pollers to stop', () => runner!.mappingStatus(uuids.b) === 'paused', 15_000);
  expect(runnerLog.filter((line) => line.includes('was paused'))).toEqual([
    `${FUNCTION}: mapping ${uuids.b} on lane-b was paused (disabled on the endpoint); its pollers stop after the batch in flight, and it stays disabled`,
  ]);
  await Promise.all([send('b', ...bodies('b-paused', 4)), send('a', ...bodies('a-during', 5))]);
  await waitFor('a-during handled', () => bodies('a-during', 5).every((body) => seenBodies().has(body)));
  // Past one more look at the mappings, and past a long poll.
  await delay(2_500);
  expect(await depth('b')).toEqual({ visible: 4, inFlight: 0 });
  expect(bodies('b-paused', 4).some((body) => seenBodies().has(body))).toBe(false);
  expect(await stateOf('b')).toBe('Disabled');

  await setEnabled('b', true);
  await waitFor('b-paused handled after the resume', () => bodies('b-paused', 4).every((body) => seenBodies().has(body)), 15_000);
  expect(runner!.mappingStatus(uuids.b)).toBe('polling');
  expect(
    runnerLog.some(
      (line) =>
        line === `${FUNCTION}: mapping ${uuids.b} on lane-b was resumed on the endpoint; disabled there again while the runner polls it`,
    ),
  ).toBe(true);
  // Taken over again, so that moto's own emulation leaves the lane alone.
  expect(await stateOf('b')).toBe('Disabled');
  await waitFor('lane b drained', async () => (await depth('b')).inFlight === 0);
  expect(await depth('b')).toEqual({ visible: 0, inFlight: 0 });
});

test('stopping re-enables the lanes it took over, including the resumed one; the lane paused before start stays paused, its message unread', async () => {
  expect(runner!.mappingStatus(uuids.c)).toBe('paused');
  const finished = runner!;
  runner = undefined;
  await finished.stop();
  expect(await Promise.all(LANES.map(stateOf))).toEqual(['Enabled', 'Enabled', 'Disabled']);
  expect(await depth('c')).toEqual({ visible: 1, inFlight: 0 });
  expect(finished.invocations.every((i) => i.mappingUuid !== uuids.c)).toBe(true);
  expect(runnerLog.filter((line) => /throttled at/.test(line))).toEqual([]);
});

test('a pause made after the last look, just before stop, is noticed at stop and kept', async () => {
  const session = await EsmRunner.start({
    endpoint: moto.endpoint,
    functionNames: [FUNCTION],
    codeFiles: { [FUNCTION]: zipPath },
    workDir,
    // No look while it runs: only the one at stop can see the pause.
    watchIntervalMs: 600_000,
    log: (line) => runnerLog.push(line),
  });
  expect(LANES.map((lane) => session.mappingStatus(uuids[lane]))).toEqual(['polling', 'polling', 'paused']);
  // Into the next second: a pause in the second of the runner's own takeover would carry the
  // same LastModified and State, which is the documented edge the runner cannot see.
  await delay(1_100);
  await setEnabled('a', false);
  await session.stop();
  expect(await Promise.all(LANES.map(stateOf))).toEqual(['Disabled', 'Enabled', 'Disabled']);
  expect(runnerLog.at(-1)).toBe(
    `${FUNCTION}: mapping ${uuids.a} on lane-a was paused (disabled on the endpoint); its pollers stop after the batch in flight, and it stays disabled`,
  );
});
