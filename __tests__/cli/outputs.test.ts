import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deliveryLanes, findDeployment, parseOutputs, regionOfLanes, runTerraformOutput } from '../../src/cli/outputs';
import { lane, lanesOutput } from './fake-lanes';

const billing = lane('billing');
const crm = lane('crm');
const flat = { delivery_lanes: lanesOutput(crm, billing), dispatcher_function_name: 'webhook-pipeline-dispatcher-prod' };
const terraformJson = Object.fromEntries(Object.entries(flat).map(([name, value]) => [name, { sensitive: false, type: 'object', value }]));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-outputs-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (relative: string, content: unknown) => {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

describe('parseOutputs reads every shape to name → value', () => {
  test('terraform output -json', () => expect(parseOutputs(JSON.stringify(terraformJson), 'x')).toEqual(flat));
  test('a sensitive output in terraform output -json', () =>
    expect(parseOutputs(JSON.stringify({ secret: { sensitive: true, value: 's' } }), 'x')).toEqual({ secret: 's' }));
  test('a flat file (npm run deploy:local)', () => expect(parseOutputs(JSON.stringify(flat), 'x')).toEqual(flat));
  test('a flat file without any known output but with plain values', () =>
    expect(parseOutputs('{"api_id":"abc"}', 'x')).toEqual({ api_id: 'abc' }));
  test('cdktf deploy --outputs-file: keyed by stack', () =>
    expect(parseOutputs(JSON.stringify({ 'webhook-pipeline': flat }), 'x')).toEqual(flat));
  test('keyed by stack: the webhook-pipeline stack among others', () =>
    expect(parseOutputs(JSON.stringify({ other: { a: {} }, 'webhook-pipeline': flat }), 'x')).toEqual(flat));
  test('keyed by stack: the one stack with lanes', () =>
    expect(parseOutputs(JSON.stringify({ network: { vpc: {} }, 'pipeline-prod': flat }), 'x')).toEqual(flat));
  test('keyed by stack: the only stack, whatever its name', () =>
    expect(parseOutputs(JSON.stringify({ prod: { a: {} } }), 'x')).toEqual({ a: {} }));
  test('keyed by stack: --stack picks one', () =>
    expect(parseOutputs(JSON.stringify({ staging: flat, prod: { ...flat, api_id: 'p' } }), 'x', 'prod')).toMatchObject({ api_id: 'p' }));
});

describe('parseOutputs refuses what it cannot read, in one line', () => {
  test.each([
    ['not JSON', 'nope', /^f is not JSON \(.*\); expected terraform output -json or an outputs file$/],
    ['an array', '[]', /^f is not a JSON object of outputs$/],
    ['empty', '{}', /^f holds no outputs: has the stack been deployed/],
    ['two stacks with lanes', JSON.stringify({ a: flat, b: flat }), /^f holds the stacks a, b: pick one with --stack NAME$/],
  ])('%s', (_name, text, message) => {
    expect(() => parseOutputs(text, 'f')).toThrow(message);
  });

  test('--stack naming no stack', () =>
    expect(() => parseOutputs(JSON.stringify({ a: flat }), 'f', 'b')).toThrow('--stack b: f has no such stack; it has a'));
  test('--stack on a file of one stack', () =>
    expect(() => parseOutputs(JSON.stringify(flat), 'f', 'b')).toThrow("--stack b: f is not keyed by stack, it holds one stack's outputs"));
  test('errors are usage errors', () => expect(() => parseOutputs('{}', 'f')).toThrow(expect.objectContaining({ exitCode: 2 })));
});

describe('deliveryLanes', () => {
  const deployment = (outputs: Record<string, unknown>) => ({ origin: 'outputs.json', outputs });

  test('reads each lane, sorted by destination', () => expect(deliveryLanes(deployment(flat))).toEqual([billing, crm]));
  test('a stringified map is read too', () =>
    expect(deliveryLanes(deployment({ delivery_lanes: JSON.stringify(lanesOutput(billing)) }))).toEqual([billing]));
  test('no destinations: no lanes', () => expect(deliveryLanes(deployment({ delivery_lanes: {} }))).toEqual([]));
  test('no delivery_lanes: the deployment predates lanes', () =>
    expect(() => deliveryLanes(deployment({ dispatcher_function_name: 'd' }))).toThrow(
      'outputs.json has no delivery_lanes output: this deployment predates delivery lanes; apply the stack from a webhook-pipeline version with lanes, then retry',
    ));
  test.each([
    ['not a map', 'not json', 'outputs.json: delivery_lanes is not a map of destination name → lane'],
    ['a list', [], 'outputs.json: delivery_lanes is not a map of destination name → lane'],
    ['a lane that is not an object', { billing: 'x' }, 'outputs.json: delivery_lanes.billing is not an object'],
    [
      'a lane missing a field',
      { billing: { ...lanesOutput(billing).billing!, event_source_mapping_uuid: '' } },
      "outputs.json: delivery_lanes.billing has no event_source_mapping_uuid; these outputs do not match this CLI's version",
    ],
  ])('%s', (_name, value, message) => expect(() => deliveryLanes(deployment({ delivery_lanes: value }))).toThrow(message));
});

test('regionOfLanes: the region the queue ARNs agree on', () => {
  expect(regionOfLanes([billing, crm])).toBe('us-east-1');
  expect(regionOfLanes([billing, { ...crm, queueArn: 'arn:aws:sqs:eu-west-1:1:q' }])).toBeUndefined();
  expect(regionOfLanes([])).toBeUndefined();
});

describe('findDeployment looks in the documented order', () => {
  const terraformOutput = jest.fn(async (_dir: string) => JSON.stringify(terraformJson));
  const find = (options: Partial<Parameters<typeof findDeployment>[0]> = {}) =>
    findDeployment({ env: {}, cwd: dir, terraformOutput, ...options });
  beforeEach(() => terraformOutput.mockClear());

  test('--outputs first', async () => {
    write('mine.json', flat);
    write('.build/local/outputs.json', { other: 'x' });
    expect(await find({ outputs: 'mine.json', env: { WEBHOOK_PIPELINE_OUTPUTS: 'nope.json' } })).toEqual({
      origin: '--outputs mine.json',
      outputs: flat,
    });
  });

  test('--outputs and --terraform-dir together are refused', async () => {
    await expect(find({ outputs: 'a', terraformDir: 'b' })).rejects.toThrow('pass either --outputs or --terraform-dir, not both');
  });

  test('--outputs naming a missing or unreadable file', async () => {
    await expect(find({ outputs: 'missing.json' })).rejects.toThrow(
      `--outputs missing.json: ${path.join(dir, 'missing.json')} does not exist`,
    );
    fs.mkdirSync(path.join(dir, 'folder.json'));
    await expect(find({ outputs: 'folder.json' })).rejects.toThrow(/folder\.json cannot be read$/);
  });

  test('--terraform-dir runs terraform output there', async () => {
    fs.mkdirSync(path.join(dir, 'stack'));
    const found = await find({ terraformDir: 'stack' });
    expect(terraformOutput).toHaveBeenCalledWith(path.join(dir, 'stack'));
    expect(found).toEqual({ origin: `terraform output -json in ${path.join(dir, 'stack')}`, outputs: flat });
    await expect(find({ terraformDir: 'absent' })).rejects.toThrow(`--terraform-dir: ${path.join(dir, 'absent')} does not exist`);
  });

  test('then WEBHOOK_PIPELINE_OUTPUTS', async () => {
    write('env.json', { 'webhook-pipeline': flat });
    write('.build/local/outputs.json', { other: 'x' });
    expect(await find({ env: { WEBHOOK_PIPELINE_OUTPUTS: 'env.json' } })).toEqual({
      origin: 'WEBHOOK_PIPELINE_OUTPUTS=env.json',
      outputs: flat,
    });
  });

  test("then the local deploy's outputs, with its session's endpoint and region", async () => {
    write('.build/local/outputs.json', flat);
    write('.build/local/session.json', { endpoint: 'http://127.0.0.1:5055', region: 'eu-west-1', port: 5055 });
    fs.mkdirSync(path.join(dir, 'cdktf.out', 'stacks', 'webhook-pipeline'), { recursive: true });
    expect(await find()).toEqual({
      origin: '.build/local/outputs.json (npm run deploy:local)',
      outputs: flat,
      localEndpoint: 'http://127.0.0.1:5055',
      localRegion: 'eu-west-1',
    });
    expect(terraformOutput).not.toHaveBeenCalled();
  });

  test('a local deploy without a readable session still counts', async () => {
    write('.build/local/outputs.json', flat);
    expect(await find()).toEqual({ origin: '.build/local/outputs.json (npm run deploy:local)', outputs: flat });
    write('.build/local/session.json', '[1]');
    expect((await find()).localEndpoint).toBeUndefined();
    write('.build/local/session.json', { endpoint: 5055 });
    expect((await find()).localEndpoint).toBeUndefined();
  });

  test('then terraform output in the synthesized stack', async () => {
    fs.mkdirSync(path.join(dir, 'cdktf.out', 'stacks', 'webhook-pipeline'), { recursive: true });
    expect((await find()).origin).toBe(`terraform output -json in ${path.join(dir, 'cdktf.out', 'stacks', 'webhook-pipeline')}`);
  });

  test('nothing found: one line saying where it looked and what to pass', async () => {
    await expect(find()).rejects.toThrow(
      `no deployment outputs found in ${dir} (no .build/local/outputs.json, no cdktf.out/stacks/webhook-pipeline): pass --outputs FILE (from cdktf deploy --outputs-file or terraform output -json) or --terraform-dir DIR, or set WEBHOOK_PIPELINE_OUTPUTS`,
    );
  });
});

describe('runTerraformOutput', () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  /** A `terraform` on PATH that runs `script`. */
  const fakeTerraform = (script: string) => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'terraform'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    process.env.PATH = `${bin}:${savedPath}`;
  };

  test('resolves with its stdout, run in the folder', async () => {
    fakeTerraform('echo "{\\"cwd\\": \\"$(pwd)\\", \\"args\\": \\"$*\\"}"');
    expect(JSON.parse(await runTerraformOutput(dir))).toEqual({ cwd: fs.realpathSync(dir), args: 'output -json -no-color' });
  });

  test("a failure names terraform's first line of complaint", async () => {
    fakeTerraform(
      'printf "Some problems:\\n╷\\n│ Warning: no CLI configuration\\n╵\\n\\n╷\\n│ Error: Backend initialization required\\n│\\n╵\\n" >&2; exit 1',
    );
    await expect(runTerraformOutput(dir)).rejects.toThrow(
      `terraform output -json in ${dir} failed: Error: Backend initialization required; run terraform init there, or pass --outputs FILE`,
    );
  });

  test('a failure without an Error line names its first line', async () => {
    fakeTerraform('echo "something odd" >&2; exit 1');
    await expect(runTerraformOutput(dir)).rejects.toThrow(
      `terraform output -json in ${dir} failed: something odd; run terraform init there`,
    );
  });

  test('a failure with nothing on stderr', async () => {
    fakeTerraform('exit 3');
    await expect(runTerraformOutput(dir)).rejects.toThrow(/failed: exit code 3; run terraform init there/);
  });

  test('no terraform on PATH', async () => {
    process.env.PATH = path.join(dir, 'nothing-here');
    await expect(runTerraformOutput(dir)).rejects.toThrow(
      `terraform is not on PATH (needed to read the outputs in ${dir}): install it, or pass --outputs FILE`,
    );
  });
});
