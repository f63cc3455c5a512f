/**
 * The ESM runner's semantics on moto, with a tiny function created through the SDK (no
 * Terraform): partial batch failures, whole-batch failures (a throw, a malformed response), the
 * function timeout, redrive after maxReceiveCount, the package check and the mappings it takes
 * over. Visibility timeout 2 s, maxReceiveCount 2, function timeout 1 s keep it quick.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { EsmRunner } from '../../scripts/lib/esm-runner';
import { localClientConfig } from '../../scripts/lib/local-resources';
import { type MotoServer, startMoto } from '../support/moto';

jest.setTimeout(120_000);

/** Acts on each record's body prefix: ok, fail (listed), hang (times out), crash (throws), bogus (names a record not in the batch). */
const HANDLER = `
exports.handler = async (event, context) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    console.log(JSON.stringify({ seen: record.body, receive: Number(record.attributes.ApproximateReceiveCount),
      remainingMs: context.getRemainingTimeInMillis(), greeting: process.env.GREETING, endpoint: process.env.AWS_ENDPOINT_URL,
      taskRoot: process.env.LAMBDA_TASK_ROOT }));
    const kind = record.body.split(':')[0];
    if (kind === 'hang') await new Promise(() => undefined);
    if (kind === 'crash') throw new Error('crash');
    if (kind === 'fail') batchItemFailures.push({ itemIdentifier: record.messageId });
    if (kind === 'bogus') return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
  }
  return { batchItemFailures };
};`;

let moto: MotoServer;
let workDir: string;
let zipPath: string;
let sqs: SQSClient;
let lambda: LambdaClient;
let queueUrl: string;
let dlqUrl: string;
let mappingUuid: string;
let runner: EsmRunner | undefined;
const FUNCTION = 'esm-runner-probe';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seen = () =>
  runner!
    .jsonLines(FUNCTION)
    .filter((line) => 'seen' in line)
    .map((line) => line as { seen: string; receive: number; remainingMs: number; greeting: string; endpoint: string; taskRoot: string });

async function send(...bodies: string[]): Promise<void> {
  await sqs.send(
    new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }),
  );
}

async function deadLetters(): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < 5; i += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }),
    );
    if (Messages.length === 0) break;
    bodies.push(...Messages.map((m) => m.Body!));
  }
  return bodies;
}

/** Waits (bounded) until the queue holds nothing, visible or in flight. */
async function drained(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    if (Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) === 0) return;
    if (Date.now() > deadline) throw new Error(`queue not drained within ${timeoutMs} ms: ${JSON.stringify(Attributes)}`);
    await delay(250);
  }
}

beforeAll(async () => {
  moto = await startMoto();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-runner-'));
  const config = localClientConfig(moto.endpoint);
  sqs = new SQSClient(config);
  lambda = new LambdaClient(config);
  const iam = new IAMClient(config);

  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'probe-dlq' }));
  dlqUrl = dlq.QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'probe',
      Attributes: {
        VisibilityTimeout: '2',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 2 }),
      },
    }),
  );
  queueUrl = queue.QueueUrl!;

  const zip = zipSync({ 'index.js': strToU8(HANDLER) });
  zipPath = path.join(workDir, 'probe.zip');
  fs.writeFileSync(zipPath, zip);
  const { Role } = await iam.send(
    new CreateRoleCommand({ RoleName: 'probe-role', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }),
  );
  iam.destroy();
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: FUNCTION,
      Runtime: 'nodejs22.x',
      Role: Role!.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: zip },
      Timeout: 1,
      Environment: { Variables: { GREETING: 'hello from the deployed environment' } },
    }),
  );
  const mapping = await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: FUNCTION,
      EventSourceArn: `arn:aws:sqs:us-east-1:123456789012:probe`,
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    }),
  );
  mappingUuid = mapping.UUID!;
});

afterAll(async () => {
  await runner?.stop();
  sqs?.destroy();
  lambda?.destroy();
  await moto?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test('refuses a package that is not the deployed one', async () => {
  const other = path.join(workDir, 'other.zip');
  fs.writeFileSync(other, zipSync({ 'index.js': strToU8('exports.handler = async () => ({})') }));
  await expect(
    EsmRunner.start({ endpoint: moto.endpoint, functionNames: [FUNCTION], codeFiles: { [FUNCTION]: other }, workDir }),
  ).rejects.toThrow(/is not the package deployed as esm-runner-probe/);
});

test('takes the mapping over: disabled on the endpoint while the runner polls', async () => {
  runner = await EsmRunner.start({ endpoint: moto.endpoint, functionNames: [FUNCTION], codeFiles: { [FUNCTION]: zipPath }, workDir });
  expect(runner.consumers[0]).toMatchObject({
    timeoutSeconds: 1,
    codeSha256: createHash('sha256').update(fs.readFileSync(zipPath)).digest('base64'),
    mappings: [
      { uuid: mappingUuid, batchSize: 10, batchWindowSeconds: 1, reportBatchItemFailures: true, queueUrl, visibilityTimeoutSeconds: 2 },
    ],
  });
  expect(runner.consumers[0].reservedConcurrency).toBeUndefined();
  const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingUuid }));
  expect(State).toBe('Disabled');
});

test('a partial batch failure deletes the rest; the failed record is retried, then dead-lettered after maxReceiveCount', async () => {
  await send('ok:1', 'fail:1', 'ok:2');
  await drained();
  const records = seen();
  expect(
    records
      .filter((r) => r.seen.startsWith('ok:'))
      .map((r) => r.seen)
      .sort(),
  ).toEqual(['ok:1', 'ok:2']);
  expect(records.filter((r) => r.seen === 'fail:1').map((r) => r.receive)).toEqual([1, 2]);
  expect(await deadLetters()).toEqual(['fail:1']);
  // The function ran with its deployed environment, from the unzipped package, against moto.
  expect(records[0]).toMatchObject({ greeting: 'hello from the deployed environment', endpoint: moto.endpoint });
  expect(records[0].taskRoot.startsWith(path.join(workDir, 'functions', FUNCTION))).toBe(true);
  expect(records[0].remainingMs).toBeLessThanOrEqual(1000);
});

test('a throw, or a response naming a record not in the batch, fails the whole batch', async () => {
  // Each pair is one batch (sent together, gathered within the 1 s window); the ok record comes first.
  await send('ok:3', 'crash:1');
  await drained();
  await send('ok:4', 'bogus:1');
  await drained();
  const receives = (body: string) =>
    seen()
      .filter((r) => r.seen === body)
      .map((r) => r.receive);
  expect(Object.fromEntries(['ok:3', 'crash:1', 'ok:4', 'bogus:1'].map((body) => [body, receives(body)]))).toEqual({
    'ok:3': [1, 2],
    'crash:1': [1, 2],
    'ok:4': [1, 2],
    'bogus:1': [1, 2],
  });
  expect((await deadLetters()).sort()).toEqual(['bogus:1', 'crash:1', 'ok:3', 'ok:4']);
  const outcomes = runner!.invocations.filter((i) => i.messageIds.length === 2).map((i) => [i.outcome, i.notDeleted.length]);
  expect(outcomes).toEqual([
    ['error', 2],
    ['error', 2],
    ['ok', 2],
    ['ok', 2],
  ]);
});

test('an invocation past the function timeout fails, and its environment is replaced', async () => {
  const coldStartsBefore = runner!.stats[FUNCTION].coldStarts;
  await send('hang:1');
  await drained();
  expect(
    seen()
      .filter((r) => r.seen === 'hang:1')
      .map((r) => r.receive),
  ).toEqual([1, 2]);
  expect(await deadLetters()).toEqual(['hang:1']);
  const timeouts = runner!.invocations.filter((i) => i.outcome === 'timeout');
  expect(timeouts).toHaveLength(2);
  expect(timeouts.every((i) => i.durationMs === 1000 && i.notDeleted.length === 1)).toBe(true);
  // Each timeout discarded the environment: the invocation after it started a fresh one.
  expect(runner!.stats[FUNCTION].coldStarts).toBe(coldStartsBefore + 1);
  await send('ok:5');
  await drained();
  expect(seen().some((r) => r.seen === 'ok:5')).toBe(true);
  expect(runner!.stats[FUNCTION].coldStarts).toBe(coldStartsBefore + 2);
});

test('a package that fails at init fails the invocation, and its records stay on the queue', async () => {
  const name = 'esm-runner-broken';
  const broken = zipSync({ 'index.js': strToU8("throw new Error('boom at init');") });
  const brokenZip = path.join(workDir, 'broken.zip');
  fs.writeFileSync(brokenZip, broken);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'broken', Attributes: { VisibilityTimeout: '30' } }));
  const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }));
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: Configuration!.Role,
      Handler: 'index.handler',
      Code: { ZipFile: broken },
      Timeout: 1,
    }),
  );
  await lambda.send(
    new CreateEventSourceMappingCommand({ FunctionName: name, EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:broken', BatchSize: 10 }),
  );
  const brokenRunner = await EsmRunner.start({ endpoint: moto.endpoint, functionNames: [name], codeFiles: { [name]: brokenZip }, workDir });
  try {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: '1', MessageBody: 'never handled' }] }));
    const deadline = Date.now() + 20_000;
    while (brokenRunner.invocations.length === 0 && Date.now() < deadline) await delay(100);
  } finally {
    await brokenRunner.stop();
  }
  expect(brokenRunner.invocations[0]).toMatchObject({ outcome: 'init-error', notDeleted: [expect.any(String)] });
  expect(brokenRunner.invocations[0].error).toMatch(/boom at init/);
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
  );
  expect(Attributes.ApproximateNumberOfMessagesNotVisible).toBe('1');
});

test('stopping re-enables the mapping it took over', async () => {
  await runner!.stop();
  runner = undefined;
  const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingUuid }));
  expect(State).toBe('Enabled');
});
