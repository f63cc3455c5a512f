/**
 * The README's walkthrough, run exactly as written: every command between the walkthrough markers,
 * in order, through `bash` in the repository's root, as a user types them (a trailing `&` runs in
 * the background, a `# …` comment is the reader's). What each step must have done is checked in
 * between, from what the user sees (the commands' output) and what the receiver got: every
 * delivery verifies with `standardwebhooks` against the secret in the local SSM.
 *
 * The local deployment lives in `.build/local`, as for a user; one already there is moved aside
 * for the run and put back after. The moto server is the deploy's own, on a free port (MOTO_PORT).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Webhook } from 'standardwebhooks';
import { freeLoopbackPort } from '../../scripts/lib/moto-server';
import { localClientConfig } from '../../scripts/lib/local-resources';
import { describeIfTerraform } from '../support/terraform';

const ROOT = path.resolve(__dirname, '..', '..');
const LOCAL_DIR = path.join(ROOT, '.build', 'local');
const ASIDE_DIR = path.join(ROOT, '.build', 'local.before-walkthrough');
const DELIVERIES = path.join(LOCAL_DIR, 'receiver', 'deliveries.jsonl');
const JOURNALS = path.join(ROOT, '.webhook-pipeline', 'replays');

jest.setTimeout(20 * 60_000);

/** The README's commands between the markers: one per line, comments dropped. */
export function walkthroughCommands(readme: string): string[] {
  const block = /<!-- walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  if (!block) throw new Error('README.md has no walkthrough block between <!-- walkthrough:start --> and <!-- walkthrough:end -->');
  return block[1]
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '');
}

interface Delivery {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}
const deliveries = (): Delivery[] =>
  fs.existsSync(DELIVERIES)
    ? fs
        .readFileSync(DELIVERIES, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Delivery)
    : [];
const idsAt = (destinationPath: string) =>
  deliveries()
    .filter((d) => d.path === destinationPath)
    .map((d) => d.headers['webhook-id'])
    .sort();

describeIfTerraform('the README walkthrough on the local AWS API', () => {
  const commands = walkthroughCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  let motoPort: number;
  let background: ChildProcess | undefined;
  let backgroundOutput = '';
  const timings: Record<string, string> = {};
  let destroyed = false;

  /** Runs one README line; resolves with its output once it exits 0, rejects with its output otherwise. */
  function run(command: string, timeoutMs = 8 * 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', command], { cwd: ROOT, env: { ...process.env, MOTO_PORT: String(motoPort), FORCE_COLOR: '0' } });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(output);
        else reject(new Error(`"${command}" exited ${code}:\n${output.slice(-4000)}`));
      });
    });
  }

  const step = (fragment: string, occurrence = 1): string => {
    const matching = commands.filter((command) => command.includes(fragment));
    if (matching.length < occurrence)
      throw new Error(`the walkthrough has no command #${occurrence} with "${fragment}": ${commands.join(' | ')}`);
    return matching[occurrence - 1];
  };
  let next = 0;
  /** Runs the README's commands in order up to and including `command`; resolves with the last one's output. */
  async function runThrough(command: string): Promise<string> {
    const until = commands.indexOf(command, next);
    if (until < 0) throw new Error(`"${command}" is not ahead in the walkthrough`);
    let output = '';
    for (; next <= until; next += 1) {
      const line = commands[next];
      if (line.endsWith('&')) {
        background = spawn('bash', ['-c', line.slice(0, -1)], { cwd: ROOT, env: process.env, detached: true });
        background.stdout!.on('data', (chunk: Buffer) => (backgroundOutput += chunk.toString()));
        background.stderr!.on('data', (chunk: Buffer) => (backgroundOutput += chunk.toString()));
        const deadline = Date.now() + 60_000;
        while (!backgroundOutput.includes('listening on')) {
          if (Date.now() > deadline || background.exitCode !== null) throw new Error(`"${line}" did not start:\n${backgroundOutput}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        continue;
      }
      const started = Date.now();
      output = await run(line);
      timings[line] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    }
    return output;
  }

  beforeAll(async () => {
    motoPort = await freeLoopbackPort();
    if (fs.existsSync(LOCAL_DIR)) fs.renameSync(LOCAL_DIR, ASIDE_DIR);
    fs.rmSync(JOURNALS, { recursive: true, force: true });
  });

  afterAll(async () => {
    if (!destroyed && fs.existsSync(path.join(LOCAL_DIR, 'session.json')))
      await run('npm run destroy:local', 5 * 60_000).catch(() => undefined);
    if (background?.pid !== undefined && background.exitCode === null) process.kill(-background.pid, 'SIGTERM');
    // Kept for inspection: the deploy's and the functions' logs, the receiver's deliveries.
    const kept = fs.mkdtempSync(path.join(os.tmpdir(), 'walkthrough-'));
    if (fs.existsSync(LOCAL_DIR)) fs.renameSync(LOCAL_DIR, path.join(kept, 'local'));
    fs.writeFileSync(path.join(kept, 'receiver.log'), backgroundOutput);
    if (fs.existsSync(ASIDE_DIR)) fs.renameSync(ASIDE_DIR, LOCAL_DIR);
    console.log(`walkthrough: its .build/local and the receiver's output are in ${kept}`);
    console.log(`walkthrough timings: ${JSON.stringify(timings, null, 1)}`);
  });

  test('the block is the documented walkthrough: receiver, deploy, send, history, pause, replay, destroy', () => {
    expect(commands[0]).toMatch(/^npm run receiver:local .*&$/);
    expect(commands.at(-1)).toBe('npm run destroy:local');
    for (const fragment of [
      'deploy:local',
      'send:local',
      'esm:local',
      'events list',
      'events show',
      'destinations pause',
      'destinations resume',
      'replay',
    ]) {
      expect(commands.some((command) => command.includes(fragment))).toBe(true);
    }
  });

  test('deploys, then three signed GitHub webhooks reach ledger once each and crm (Stripe only) not at all', async () => {
    await runThrough(step('esm:local'));
    expect(idsAt('/ledger')).toEqual(['github:walkthrough-1', 'github:walkthrough-2', 'github:walkthrough-3']);
    expect(idsAt('/crm')).toEqual([]);
  });

  test('events list and events show find them, with the body and ledger’s answer', async () => {
    const list = await runThrough(step('events list'));
    for (const n of [1, 2, 3]) expect(list).toContain(`walkthrough-${n}`);
    const started = Date.now();
    const show = await runThrough(step('events show'));
    timings['events show (measured alone)'] = `${Date.now() - started} ms`;
    expect(show).toContain('Sample issue 1');
    expect(show).toMatch(/ledger/);
    expect(show).toMatch(/delivered/);
    expect(show).toMatch(/200/);
  });

  test('a paused destination’s delivery waits in its lane and arrives once after the resume', async () => {
    await runThrough(step('esm:local', 2));
    expect(idsAt('/ledger')).not.toContain('github:while-paused');
    await runThrough(step('esm:local', 3));
    expect(idsAt('/ledger').filter((id) => id === 'github:while-paused')).toHaveLength(1);
  });

  test('replay --to crm backfills crm with every GitHub event, keeping each webhook-id, all signed with crm’s secret', async () => {
    const started = Date.now();
    const replay = await runThrough(step('replay'));
    timings['replay (measured alone)'] = `${Date.now() - started} ms`;
    expect(replay).toMatch(/4/);
    await runThrough(step('esm:local', 4));
    expect(idsAt('/crm')).toEqual(['github:walkthrough-1', 'github:walkthrough-2', 'github:walkthrough-3', 'github:while-paused']);
    expect(idsAt('/ledger')).toHaveLength(4);

    const session = JSON.parse(fs.readFileSync(path.join(LOCAL_DIR, 'session.json'), 'utf8')) as { endpoint: string; region?: string };
    const outputs = JSON.parse(fs.readFileSync(path.join(LOCAL_DIR, 'outputs.json'), 'utf8')) as Record<string, string>;
    const ssm = new SSMClient(localClientConfig(session.endpoint, session.region));
    for (const name of ['ledger', 'crm']) {
      const { Parameter } = await ssm.send(
        new GetParameterCommand({ Name: `${outputs.destination_secrets_path}${name}`, WithDecryption: true }),
      );
      const receiver = new Webhook(Parameter!.Value!);
      for (const delivery of deliveries().filter((d) => d.path === `/${name}`)) {
        expect(() => receiver.verify(delivery.body, delivery.headers)).not.toThrow();
      }
    }
    ssm.destroy();
    const show = await runThrough(step('events show', 2));
    expect(show).toMatch(/crm/);
  });

  test('destroy:local leaves nothing behind', async () => {
    await runThrough(step('destroy:local'));
    destroyed = true;
    expect(fs.existsSync(path.join(LOCAL_DIR, 'session.json'))).toBe(false);
  });
});
