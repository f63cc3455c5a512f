/**
 * scripts/synth.js runs the app from a cached bundle. Here it runs in a copy of the project (its
 * own .build/synth, so the checkout's cache and sources are never touched), with a bad setting so
 * each synth stops after reading settings and takes a fraction of a second: the setting's message
 * comes from src/config/settings.ts inside the bundle, so editing that message shows whether the
 * next synth ran the edited source or a stale bundle.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SETTING } from '../../src/config/settings';

jest.setTimeout(60_000);

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** What the launcher bundles main.ts from; src/ includes the handlers, which it must not bundle. */
const COPIED = ['main.ts', 'tsconfig.json', 'package.json', 'src', 'stacks', path.join('scripts', 'synth.js')];
const KEPT_ENTRIES = 4;

let root: string;
let cacheDir: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-cache-'));
  for (const entry of COPIED) fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  cacheDir = path.join(root, '.build', 'synth');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** `npm run synth` in the copy, with an organization but no workspace: one line naming TF_WORKSPACE, exit 2. */
function synth(extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: path.join(root, 'cdktf.out'), ...extraEnv };
  for (const name of Object.values(SETTING)) delete env[name];
  env[SETTING.cloudOrganization] = 'acme';
  const result = spawnSync(process.execPath, ['scripts/synth.js'], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

const entries = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((name) => !name.startsWith('.')) : []);
const bundleOf = (entry: string) => path.join(cacheDir, entry, 'main.js');

/** Rewrites the settings error's wording in the copy's source. */
function rewordSettingError(from: string, to: string) {
  const file = path.join(root, 'src', 'config', 'settings.ts');
  const source = fs.readFileSync(file, 'utf8');
  expect(source).toContain(from);
  fs.writeFileSync(file, source.replace(from, to));
}

describe('scripts/synth.js', () => {
  test('npm run synth and cdktf.json run the app through it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    const cdktf = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdktf.json'), 'utf8'));
    expect(pkg.scripts.synth).toBe('node scripts/synth.js');
    expect(cdktf.app).toBe('node scripts/synth.js');
  });

  test('a first synth bundles the app; the next reuses the bundle and behaves the same', () => {
    const first = synth();
    expect(first).toEqual({ status: 2, stderr: expect.stringMatching(/^Invalid synth setting TF_WORKSPACE: [^\n]*\n$/) });
    expect(entries()).toHaveLength(1);
    const [entry] = entries();
    const built = fs.statSync(bundleOf(entry)).mtimeMs;

    expect(synth()).toEqual(first);
    expect(entries()).toEqual([entry]);
    expect(fs.statSync(bundleOf(entry)).mtimeMs).toBe(built);
  });

  test('an edited source is what the next synth runs, not the cached bundle', () => {
    rewordSettingError('Invalid synth setting ', 'Bad synth setting ');
    expect(synth().stderr).toMatch(/^Bad synth setting TF_WORKSPACE: /);
    expect(entries()).toHaveLength(2);

    // Back to the first source: the first entry fits it again, and is used as it was.
    rewordSettingError('Bad synth setting ', 'Invalid synth setting ');
    expect(synth().stderr).toMatch(/^Invalid synth setting TF_WORKSPACE: /);
    expect(entries()).toHaveLength(2);
  });

  test('a file the app does not bundle (a handler) leaves the cached bundle in use', () => {
    const before = entries();
    fs.appendFileSync(path.join(root, 'src', 'handlers', 'validator', 'index.ts'), '\n// edited\n');
    expect(synth().status).toBe(2);
    expect(entries().sort()).toEqual(before.sort());
  });

  test(`keeps the ${KEPT_ENTRIES} most recently used bundles`, () => {
    for (let edit = 1; edit <= KEPT_ENTRIES; edit += 1) {
      rewordSettingError(edit === 1 ? 'Invalid synth setting ' : `Edit ${edit - 1} synth setting `, `Edit ${edit} synth setting `);
      expect(synth().stderr).toMatch(new RegExp(`^Edit ${edit} synth setting TF_WORKSPACE: `));
    }
    expect(entries()).toHaveLength(KEPT_ENTRIES);
  });

  test('a source esbuild cannot parse fails the synth with file and line, and caches nothing', () => {
    const before = entries().sort();
    fs.appendFileSync(path.join(root, 'stacks', 'synth-app.ts'), '\nexport const broken = ;\n');
    const { status, stderr } = synth();
    expect(status).toBe(1);
    expect(stderr).toMatch(/stacks\/synth-app\.ts:\d+:\d+:/);
    expect(entries().sort()).toEqual(before);
  });
});
