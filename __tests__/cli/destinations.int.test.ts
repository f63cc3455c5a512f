/**
 * The operator CLI as a user runs it: `webhook-pipeline destinations …` spawned as a process
 * against moto, on a minimal lane set made with the SDK (two lane queues sharing one DLQ, one
 * function, a mapping per lane) and an outputs file in `cdktf deploy --outputs-file`'s shape.
 * Messages are sent before the mappings exist: moto runs an enabled mapping on every SendMessage
 * (and, without Docker, fails), which would change the counts under test.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { run } from '../../src/cli/program';
import { FAKE_AWS_CREDENTIALS, type MotoServer, startMoto } from '../support/moto';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');
const REGISTER = require.resolve('esbuild-register');
const REGION = 'us-east-1';
const FOURTEEN_DAYS = String(14 * 86_400);

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let moto: MotoServer;
let workDir: string;
let outputsFile: string;
let sqs: SQSClient;
let lambda: LambdaClient;
const lanes: Record<string, { queueUrl: string; queueArn: string; uuid: string }> = {};
let dlq: { url: string; arn: string };

/** The CLI as a separate process, in `cwd`, with only the environment given (plus PATH). */
function cli(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; credentials?: false } = {}): Promise<Result> {
  const credentials = options.credentials === false ? {} : FAKE_AWS_CREDENTIALS;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', REGISTER, BIN, ...args],
      {
        cwd: options.cwd ?? workDir,
        env: { PATH: process.env.PATH ?? '', HOME: workDir, ...credentials, AWS_REGION: REGION, ...options.env },
        timeout: 90_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const withOutputs = (...args: string[]) => ['--outputs', outputsFile, '--endpoint-url', moto.endpoint, ...args];

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

async function mappingState(name: string): Promise<string | undefined> {
  return (await lambda.send(new GetEventSourceMappingCommand({ UUID: lanes[name].uuid }))).State;
}

async function counts(queueUrl: string): Promise<Record<string, string>> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return { visible: Attributes.ApproximateNumberOfMessages!, notVisible: Attributes.ApproximateNumberOfMessagesNotVisible! };
}

beforeAll(async () => {
  moto = await startMoto({ region: REGION });
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-destinations-'));
  const config = { endpoint: moto.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  sqs = new SQSClient(config);
  lambda = new LambdaClient(config);
  const iam = new IAMClient(config);

  // Queue creation is slow on moto: the three at once, beside the function.
  const zip = zipSync({ 'index.js': strToU8('exports.handler = async () => ({ batchItemFailures: [] });') });
  const functionReady = iam
    .send(
      new CreateRoleCommand({
        RoleName: 'cli-probe-role',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      }),
    )
    .then(({ Role }) =>
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'cli-probe-dispatcher',
          Runtime: 'nodejs22.x',
          Role: Role!.Arn,
          Handler: 'index.handler',
          Code: { ZipFile: zip },
        }),
      ),
    );
  const [billing, crm, deadLetters] = await Promise.all([
    createQueue('lane-billing', { MessageRetentionPeriod: FOURTEEN_DAYS }),
    createQueue('lane-crm'),
    createQueue('lanes-dlq'),
    functionReady,
  ]);
  iam.destroy();
  dlq = deadLetters;

  const send = (url: string, entries: { body: string; delay?: number }[]) =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: entries.map(({ body, delay }, i) => ({ Id: String(i), MessageBody: body, ...(delay ? { DelaySeconds: delay } : {}) })),
      }),
    );
  await Promise.all([
    send(billing.url, [{ body: 'b1' }, { body: 'b2' }, { body: 'b3' }, { body: 'b-delayed', delay: 900 }]),
    send(crm.url, [{ body: 'c1' }]),
    send(dlq.url, [{ body: 'd1' }, { body: 'd2' }]),
  ]);
  // One billing message in flight, as a delivery backing off would be.
  await sqs.send(new ReceiveMessageCommand({ QueueUrl: billing.url, MaxNumberOfMessages: 1, VisibilityTimeout: 900 }));

  for (const [name, queue] of [
    ['billing', billing],
    ['crm', crm],
  ] as const) {
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'cli-probe-dispatcher', EventSourceArn: queue.arn, BatchSize: 10 }),
    );
    lanes[name] = { queueUrl: queue.url, queueArn: queue.arn, uuid: mapping.UUID! };
  }

  const delivery_lanes = Object.fromEntries(
    Object.entries(lanes).map(([name, lane]) => [
      name,
      {
        queue_url: lane.queueUrl,
        queue_arn: lane.queueArn,
        dead_letter_queue_url: dlq.url,
        dead_letter_queue_arn: dlq.arn,
        event_source_mapping_uuid: lane.uuid,
      },
    ]),
  );
  outputsFile = path.join(workDir, 'outputs.json');
  fs.writeFileSync(
    outputsFile,
    JSON.stringify(
      { 'webhook-pipeline': { delivery_lanes, dispatcher_function_name: 'cli-probe-dispatcher', deliver_dlq_url: dlq.url } },
      null,
      2,
    ),
  );
});

afterAll(async () => {
  sqs?.destroy();
  lambda?.destroy();
  await moto?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test('list shows every lane active with its counts, its DLQ and its retention', async () => {
  const { code, stdout, stderr } = await cli(withOutputs('destinations', 'list'));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const rows = stdout.split('\n');
  expect(rows[0]).toMatch(/^DESTINATION\s+STATE\s+QUEUED\s+IN FLIGHT\s+DELAYED\s+DLQ\s+KEEPS MESSAGES$/);
  expect(rows[1].split(/\s{2,}/)).toEqual(['billing', 'active', '2', '1', '1', '2', '14 days']);
  expect(rows[2].split(/\s{2,}/)).toEqual(['crm', 'active', '1', '0', '0', '2', '4 days']);
});

test('list --json is one JSON document, found through the environment', async () => {
  const { code, stdout, stderr } = await cli(['destinations', 'list', '--json'], {
    env: { WEBHOOK_PIPELINE_OUTPUTS: outputsFile, AWS_ENDPOINT_URL: moto.endpoint },
  });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const document = JSON.parse(stdout);
  expect(document.lanes.map((lane: { destination: string; state: string }) => [lane.destination, lane.state])).toEqual([
    ['billing', 'active'],
    ['crm', 'active'],
  ]);
  expect(document.lanes[0]).toMatchObject({
    mappingState: 'Enabled',
    messages: { visible: 2, delayed: 1 },
    deadLetterMessages: 2,
    retentionSeconds: 14 * 86_400,
    eventSourceMappingUuid: lanes.billing.uuid,
  });
});

test('pause disables the mapping and loses nothing; a second pause says so and changes nothing; resume re-enables it', async () => {
  const before = await counts(lanes.billing.queueUrl);

  const paused = await cli(withOutputs('destinations', 'pause', 'billing'));
  expect(paused).toEqual({
    code: 0,
    stdout: expect.stringMatching(
      /^billing paused \(was active, \d+ s\): 2 queued, 1 in flight, 1 delayed wait in its lane, which keeps messages 14 days; 2 in its DLQ\.\n$/,
    ),
    stderr: '',
  });
  expect(await mappingState('billing')).toBe('Disabled');
  expect(await mappingState('crm')).toBe('Enabled');
  expect(await counts(lanes.billing.queueUrl)).toEqual(before);

  const listed = await cli(withOutputs('destinations', 'list'));
  expect(listed.stdout).toMatch(/^billing\s+paused\s+2\s+1\s+1\s+2\s+14 days$/m);
  expect(listed.stdout).toMatch(/^crm\s+active/m);
  expect(listed.stdout).toContain('billing is paused: nothing is delivered to it; its lane keeps messages 14 days');

  const again = await cli(withOutputs('destinations', 'pause', 'billing'));
  expect(again).toEqual({ code: 0, stdout: expect.stringMatching(/^billing is already paused: nothing changed; .*\n$/), stderr: '' });
  expect(await mappingState('billing')).toBe('Disabled');

  const resumed = await cli(withOutputs('--json', 'destinations', 'resume', 'billing'));
  expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(resumed.stdout)).toMatchObject({
    action: 'resume',
    changed: true,
    before: 'paused',
    destination: 'billing',
    state: 'active',
  });
  expect(await mappingState('billing')).toBe('Enabled');

  const activeAlready = await cli(withOutputs('destinations', 'resume', 'billing'));
  expect(activeAlready).toMatchObject({ code: 0, stdout: expect.stringMatching(/^billing is already active: nothing changed/) });
});

test('the SDK path in-process: the same list through awsLaneApi', async () => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io = {
    stdout: { write: (text: string) => stdout.push(text) } as unknown as NodeJS.WritableStream,
    stderr: { write: (text: string) => stderr.push(text) } as unknown as NodeJS.WritableStream,
    env: {},
    cwd: workDir,
  };
  expect(await run(withOutputs('--verbose', 'destinations', 'list', '--json'), io)).toBe(0);
  expect(JSON.parse(stdout.join('')).lanes).toHaveLength(2);
  expect(stderr.join('')).toContain(
    `endpoint ${moto.endpoint} (--endpoint-url), region us-east-1 (the lanes’ queue ARNs), credentials fake ones for the local API`,
  );
});

test('an unknown destination: exit 2, one line naming the known ones', async () => {
  const { code, stdout, stderr } = await cli(withOutputs('destinations', 'pause', 'billling'));
  expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
  expect(stderr).toBe('error: no destination named "billling"; known destinations: billing, crm\n');
});

test('no outputs anywhere: exit 2, one line saying how to point at them', async () => {
  const empty = fs.mkdtempSync(path.join(workDir, 'empty-'));
  const { code, stdout, stderr } = await cli(['destinations', 'list'], { cwd: empty });
  expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
  expect(stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^error: no deployment outputs found in .*: pass --outputs FILE/)]);
});

test('a deployment older than lanes: exit 2, saying it predates them', async () => {
  const old = path.join(workDir, 'old-outputs.json');
  fs.writeFileSync(old, JSON.stringify({ dispatcher_function_name: 'cli-probe-dispatcher', deliver_queue_url: dlq.url }));
  const { code, stdout, stderr } = await cli(['--outputs', old, 'destinations', 'list']);
  expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
  expect(stderr).toMatch(/^error: --outputs .* has no delivery_lanes output: this deployment predates delivery lanes; [^\n]*\n$/);
});

test('an AWS API that cannot be reached: exit 1, one line, no stack trace', async () => {
  const { code, stdout, stderr } = await cli(['--outputs', outputsFile, '--endpoint-url', 'http://127.0.0.1:9', 'destinations', 'list']);
  expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
  expect(stderr).toMatch(/^error: reading \S+ .* failed: cannot reach http:\/\/127\.0\.0\.1:9: is the local AWS API running\?\n$/);
});

test('no AWS credentials: exit 1, one line saying where they come from', async () => {
  // 127.0.0.2 is not taken for a local API, so the SDK's own chain applies, and finds nothing.
  const { code, stdout, stderr } = await cli(['--outputs', outputsFile, '--endpoint-url', 'http://127.0.0.2:9', 'destinations', 'list'], {
    credentials: false,
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
  });
  expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
  expect(stderr).toMatch(/^error: reading \S+ .* failed: no AWS credentials found; set AWS_PROFILE [^\n]*\n$/);
});
