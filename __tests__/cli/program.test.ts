/**
 * The program in-process, with an in-memory Lambda and SQS: what each command prints, on which
 * stream, with which exit code. The spawned CLI on moto is in destinations.int.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AwsConfig, LaneApi } from '../../src/cli/lanes';
import { type CliIo, packageVersion, run } from '../../src/cli/program';
import { counts, type FakeLaneApi, fakeLaneApi, lane, lanesOutput } from './fake-lanes';

const billing = lane('billing');
const crm = lane('crm');

let dir: string;
let outputsFile: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-program-'));
  outputsFile = writeOutputs('outputs.json', { delivery_lanes: lanesOutput(billing, crm) });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeOutputs(name: string, outputs: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ 'webhook-pipeline': outputs }));
  return file;
}

/** A stream that keeps what is written; `tty` makes it look like a terminal. */
function capture(tty = false) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (tty) Object.assign(stream, { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  configs: AwsConfig[];
}

const defaultApi = () =>
  fakeLaneApi({
    states: { 'uuid-billing': ['Enabled'], 'uuid-crm': ['Disabled'] },
    queues: { [billing.queueUrl]: counts(3, 1, 0), [crm.queueUrl]: counts(40, 0, 2, 1_209_600), [crm.deadLetterQueueUrl]: counts(1) },
  });

async function cli(
  args: string[],
  options: { api?: LaneApi; env?: NodeJS.ProcessEnv; tty?: boolean; io?: Partial<CliIo> } = {},
): Promise<Ran> {
  const stdout = capture();
  const stderr = capture(options.tty);
  const api = options.api ?? defaultApi();
  const configs: AwsConfig[] = [];
  let clock = 0;
  const code = await run(args, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: options.env ?? {},
    cwd: dir,
    laneApi: (config) => {
      configs.push(config);
      return api;
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    ...options.io,
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout.text(), stderr: stderr.text(), configs };
}

const withOutputs = (...args: string[]) => ['--outputs', outputsFile, ...args];

describe('destinations list', () => {
  test('a table on stdout, nothing on stderr, the clients closed', async () => {
    const api = defaultApi();
    const { code, stdout, stderr } = await cli(withOutputs('destinations', 'list'), { api });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n').slice(0, 3)).toEqual([
      'DESTINATION  STATE   QUEUED  IN FLIGHT  DELAYED  DLQ  KEEPS MESSAGES',
      'billing      active       3          1        0    0  4 days',
      'crm          paused      40          0        2    1  14 days',
    ]);
    expect(stdout).toContain('crm is paused: nothing is delivered to it; its lane keeps messages 14 days');
    expect(api.closed).toBe(1);
  });

  test('--json: one document, options after the command too', async () => {
    const { code, stdout, stderr } = await cli(['destinations', 'list', '--json', '--outputs', outputsFile]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout).lanes.map((l: { destination: string; state: string }) => `${l.destination} ${l.state}`)).toEqual([
      'billing active',
      'crm paused',
    ]);
  });

  test('--verbose says where the outputs and AWS settings came from, on stderr', async () => {
    const { stderr } = await cli(withOutputs('--verbose', 'destinations', 'list'));
    expect(stderr.split('\n')).toEqual([
      `outputs: --outputs ${outputsFile}`,
      'lanes: billing, crm',
      'AWS: endpoint default (AWS), region us-east-1 (the lanes’ queue ARNs), credentials the SDK’s chain',
      '',
    ]);
  });

  test('a deployment without destinations', async () => {
    const empty = writeOutputs('empty.json', { delivery_lanes: {} });
    const { code, stdout, stderr } = await cli(['--outputs', empty, '--verbose', 'destinations', 'list']);
    expect(code).toBe(0);
    expect(stdout).toBe('No delivery lanes: the deployment has no destinations.\n');
    expect(stderr).toContain('lanes: none');
  });

  test('an AWS failure: one line, exit 1; --verbose adds the cause', async () => {
    const api = defaultApi();
    api.queueCounts = async () => {
      throw Object.assign(new Error('The security token included in the request is invalid.'), { name: 'UnrecognizedClientException' });
    };
    const plain = await cli(withOutputs('destinations', 'list'), { api });
    expect(plain).toMatchObject({ code: 1, stdout: '' });
    expect(plain.stderr).toMatch(
      /^error: reading billing's queue \S+ failed: AWS rejected the credentials \(UnrecognizedClientException\); check AWS_PROFILE or the access key\n$/,
    );
    const verbose = await cli(withOutputs('--verbose', 'destinations', 'list'), { api });
    expect(verbose.stderr).toContain('  cause: UnrecognizedClientException: The security token included in the request is invalid.\n');
    expect(api.closed).toBe(2);
  });
});

describe('destinations pause and resume', () => {
  test('pause: one line of what changed and what waits', async () => {
    const api = defaultApi();
    const { code, stdout, stderr } = await cli(withOutputs('destinations', 'pause', 'billing'), { api });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      'billing paused (was active, 1 s): 3 queued, 1 in flight, 0 delayed wait in its lane, which keeps messages 4 days; 0 in its DLQ.\n',
    );
    expect(api.updates).toEqual([{ uuid: 'uuid-billing', enabled: false }]);
  });

  test('pause of a paused lane: says so, no update, exit 0', async () => {
    const api = defaultApi();
    const { code, stdout } = await cli(withOutputs('destinations', 'pause', 'crm'), { api });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^crm is already paused: nothing changed; 40 queued/);
    expect((api as FakeLaneApi).updates).toEqual([]);
  });

  test('resume --json', async () => {
    const { code, stdout, stderr } = await cli(withOutputs('--json', 'destinations', 'resume', 'crm'));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({
      action: 'resume',
      changed: true,
      before: 'paused',
      destination: 'crm',
      state: 'active',
      mappingState: 'Enabled',
    });
  });

  test('on a terminal, a progress line on stderr while AWS settles the mapping, cleared at the end', async () => {
    const api = fakeLaneApi({ states: { 'uuid-billing': ['Enabled'] }, afterUpdate: ['Disabling', 'Disabling', 'Disabled'] });
    const { code, stdout, stderr } = await cli(withOutputs('destinations', 'pause', 'billing'), { api, tty: true });
    expect(code).toBe(0);
    expect(stderr).toContain('pausing billing: event source mapping Disabling');
    expect(stdout).toMatch(/^billing paused \(was active, 3 s\)/);
  });

  test('--json on a terminal prints no progress', async () => {
    const api = fakeLaneApi({ states: { 'uuid-billing': ['Enabled'] }, afterUpdate: ['Disabling', 'Disabled'] });
    const { stderr } = await cli(withOutputs('--json', 'destinations', 'pause', 'billing'), { api, tty: true });
    expect(stderr).toBe('');
  });

  test('a mapping that does not settle within --wait: exit 1, the progress line gone', async () => {
    const api = fakeLaneApi({ states: { 'uuid-billing': ['Enabled'] }, afterUpdate: ['Disabling'] });
    const { code, stdout, stderr } = await cli(withOutputs('destinations', 'pause', 'billing', '--wait', '3'), { api });
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      'error: billing: the event source mapping is still Disabling after 3 s; run destinations list to see when it settles, or retry pause with a longer --wait\n',
    );
  });

  test('an unknown destination: exit 2, naming the known ones', async () => {
    const { code, stdout, stderr } = await cli(withOutputs('destinations', 'resume', 'biling'));
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: no destination named "biling"; known destinations: billing, crm\n',
    });
  });

  test('a destination named in a deployment without any', async () => {
    const empty = writeOutputs('empty.json', { delivery_lanes: {} });
    const { code, stderr } = await cli(['--outputs', empty, 'destinations', 'pause', 'billing']);
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'error: no destination named "billing"; the deployment has no destinations\n' });
  });

  test.each([['0'], ['1.5'], ['901'], ['soon']])('--wait %s is refused, exit 2', async (wait) => {
    const { code, stderr } = await cli(withOutputs('destinations', 'pause', 'billing', '--wait', wait));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: option '--wait <seconds>' argument .* is invalid\. a whole number of seconds from 1 to 900\n$/);
  });
});

describe('input errors: one line on stderr, exit 2', () => {
  test('no outputs found', async () => {
    const { code, stdout, stderr } = await cli(['destinations', 'list']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^error: no deployment outputs found in .*\n$/);
  });

  test('a deployment older than lanes; --verbose says which outputs were read', async () => {
    const old = writeOutputs('old.json', { dispatcher_function_name: 'd' });
    const { code, stderr } = await cli(['--outputs', old, '--verbose', 'destinations', 'list']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `outputs: --outputs ${old}\nerror: --outputs ${old} has no delivery_lanes output: this deployment predates delivery lanes; apply the stack from a webhook-pipeline version with lanes, then retry\n`,
    );
  });

  test('an unknown command or option, a missing argument, no command at all', async () => {
    expect(await cli(['destinations', 'lst'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: unknown command 'lst'/) });
    expect(await cli(['destinations', 'list', '--colour'])).toMatchObject({ code: 2, stderr: "error: unknown option '--colour'\n" });
    expect(await cli(['destinations', 'pause'])).toMatchObject({ code: 2, stderr: "error: missing required argument 'name'\n" });
    expect(await cli([])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: webhook-pipeline') });
  });
});

describe('help and version', () => {
  test.each([
    [['--help']],
    [['destinations', '--help']],
    [['destinations', 'list', '--help']],
    [['destinations', 'pause', '--help']],
    [['help', 'destinations']],
  ])('%j: usage and examples on stdout, exit 0', async (args) => {
    const { code, stdout } = await cli(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: webhook-pipeline/);
    expect(stdout).toContain('Examples:\n  $ webhook-pipeline destinations');
  });

  test('--version prints the package version', async () => {
    const { code, stdout } = await cli(['--version']);
    expect({ code, stdout }).toEqual({
      code: 0,
      stdout: `${JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version}\n`,
    });
  });

  test('packageVersion outside any webhook-pipeline package', () => {
    expect(packageVersion(dir)).toBe('unknown');
  });
});

describe('which endpoint, region and credentials the clients get', () => {
  const configOf = async (args: string[], env: NodeJS.ProcessEnv = {}) =>
    (await cli(withOutputs(...args, 'destinations', 'list'), { env })).configs[0];

  test('AWS itself: the lanes’ region, the SDK’s credentials', async () => {
    expect(await configOf([])).toEqual({ region: 'us-east-1' });
  });

  test('--region wins over the lanes', async () => {
    expect(await configOf(['--region', 'eu-west-1'])).toEqual({ region: 'eu-west-1' });
  });

  test('a local endpoint from --endpoint-url gets fake credentials unless the environment names some', async () => {
    expect(await configOf(['--endpoint-url', 'http://localhost:5055'])).toEqual({
      endpoint: 'http://localhost:5055',
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    expect(await configOf(['--endpoint-url', 'http://127.0.0.1:5055'], { AWS_PROFILE: 'local' })).toEqual({
      endpoint: 'http://127.0.0.1:5055',
      region: 'us-east-1',
    });
    expect(await configOf(['--endpoint-url', 'not a url'])).toEqual({ endpoint: 'not a url', region: 'us-east-1' });
  });

  test('AWS_ENDPOINT_URL when no flag', async () => {
    expect(await configOf([], { AWS_ENDPOINT_URL: 'https://aws.internal', AWS_ACCESS_KEY_ID: 'AKIA' })).toEqual({
      endpoint: 'https://aws.internal',
      region: 'us-east-1',
    });
  });

  test("the local deploy's session: its endpoint, and its region when the lanes do not agree on one", async () => {
    const mixed = { ...lanesOutput(billing), crm: { ...(lanesOutput(crm).crm as object), queue_arn: 'arn:aws:sqs:eu-west-1:1:lane-crm' } };
    fs.writeFileSync(path.join(dir, 'outputs.json'), '{}');
    const local = path.join(dir, '.build', 'local');
    fs.mkdirSync(local, { recursive: true });
    fs.writeFileSync(path.join(local, 'outputs.json'), JSON.stringify({ delivery_lanes: mixed }));
    fs.writeFileSync(path.join(local, 'session.json'), JSON.stringify({ endpoint: 'http://127.0.0.1:5055', region: 'ap-south-1' }));
    const { configs, stderr } = await cli(['--verbose', 'destinations', 'list']);
    expect(configs[0]).toEqual({
      endpoint: 'http://127.0.0.1:5055',
      region: 'ap-south-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    expect(stderr).toContain('(the local deploy’s session), region ap-south-1 (the local deploy’s session)');
    fs.writeFileSync(path.join(local, 'session.json'), '{}');
    expect((await cli(['--verbose', 'destinations', 'list'])).configs[0]).toEqual({});
  });
});

describe('failures nobody worded', () => {
  test('one line and exit 1; the stack only with --verbose', async () => {
    const io = {
      laneApi: () => {
        throw new TypeError('boom');
      },
    };
    const plain = await cli(withOutputs('destinations', 'list'), { io });
    expect(plain).toMatchObject({ code: 1, stderr: 'error: unexpected failure: boom (--verbose shows where)\n' });
    const verbose = await cli(withOutputs('--verbose', 'destinations', 'list'), { io });
    expect(verbose.stderr).toMatch(/TypeError: boom\n\s+at /);
  });

  test('a thrown non-error', async () => {
    const io = {
      laneApi: () => {
        throw 'just a string';
      },
    };
    expect((await cli(withOutputs('destinations', 'list'), { io })).stderr).toBe(
      'error: unexpected failure: just a string (--verbose shows where)\n',
    );
  });
});
