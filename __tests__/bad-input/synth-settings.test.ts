/**
 * Bad synth-time settings, through the real app: `node scripts/synth.js` (what
 * `npm run synth` runs) must exit non-zero, name the setting on stderr, and write nothing.
 * src/config/settings.ts has the unit tests; this shows the app stops before the App exists.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SETTING } from '../../src/config/settings';

jest.setTimeout(120_000);

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

interface SynthRun {
  readonly status: number | null;
  readonly stderr: string;
  /** The fresh temporary folder the run's CDKTF_OUTDIR pointed into. */
  readonly workDir: string;
  readonly outdir: string;
}

/** Runs the app with exactly these settings (any inherited from this shell are removed). */
function synth(settings: Record<string, string>): Promise<SynthRun> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-setting-'));
  const outdir = path.join(workDir, 'cdktf.out');
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, ...settings };
  for (const name of Object.values(SETTING)) if (!(name in settings)) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/synth.js'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stderr, workDir, outdir }));
  });
}

const ORG = SETTING.cloudOrganization;
const WORKSPACE = SETTING.cloudWorkspace;
const HOST = SETTING.cloudHostname;
const STATE = SETTING.localStatePath;

/** [setting named in the error, settings given] */
const BAD: ReadonlyArray<[string, Record<string, string>]> = [
  [WORKSPACE, { [ORG]: 'acme' }],
  [ORG, { [WORKSPACE]: 'webhooks-prod' }],
  [ORG, { [ORG]: 'acme corp', [WORKSPACE]: 'webhooks-prod' }],
  [WORKSPACE, { [ORG]: 'acme', [WORKSPACE]: 'webhooks/prod' }],
  [HOST, { [ORG]: 'acme', [WORKSPACE]: 'webhooks-prod', [HOST]: 'https://tfe.example.com' }],
  [HOST, { [HOST]: 'tfe.example.com' }],
  [STATE, { [ORG]: 'acme', [WORKSPACE]: 'webhooks-prod', [STATE]: 'state/webhooks.tfstate' }],
  [STATE, { [STATE]: '/var/lib/terraform/webhooks.tfstate' }],
  [STATE, { [STATE]: 'C:\\terraform\\webhooks.tfstate' }],
];

// The runs are independent processes; start them together (each takes about a second).
const runs = new Map<number, Promise<SynthRun>>();
beforeAll(() => {
  BAD.forEach(([, settings], index) => runs.set(index, synth(settings)));
});

describe('a bad synth setting stops `npm run synth`', () => {
  test.each(BAD.map(([setting, settings], index) => [setting, JSON.stringify(settings), index] as const))(
    '%s named for %s; nothing written',
    async (setting, _settings, index) => {
      const run = await runs.get(index)!;
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(`Invalid synth setting ${setting}:`);
      expect(fs.existsSync(run.outdir)).toBe(false);
      expect(fs.readdirSync(run.workDir)).toEqual([]);
    },
  );

  test('control: with no settings the same command synthesizes the stack', async () => {
    const run = await synth({});
    expect(run.stderr).not.toContain('Invalid synth setting');
    expect(run.status).toBe(0);
    expect(fs.existsSync(path.join(run.outdir, 'stacks', 'webhook-pipeline', 'cdk.tf.json'))).toBe(true);
  });
});
