/**
 * scripts/synth.js runs the app from a cached bundle. Its cache is tried on a small project of its
 * own (a copy of the launcher beside a main.ts that prints what its modules say), so editing a
 * source shows at once whether the next run ran the edit or a stale bundle; the checkout's own
 * sources and cache are never touched. The real app then runs through it once, in the checkout.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SETTING } from '../../src/config/settings';

jest.setTimeout(60_000);

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const KEPT_ENTRIES = 4;

const PROJECT: Record<string, string> = {
  'tsconfig.json': '{ "compilerOptions": { "target": "ES2022", "module": "commonjs", "strict": true } }\n',
  'main.ts': [
    "import { message } from './src/message';",
    "import { where } from './src/where';",
    "if (process.env.FAIL) throw new Error('failed on purpose');",
    'console.log(`${message} from ${where()}`);',
    '',
  ].join('\n'),
  'src/message.ts': "export const message: string = 'first';\n",
  // Read as the handler bundler reads the project root: the source's folder, not the bundle's.
  'src/where.ts': "import * as path from 'node:path';\nexport const where = () => path.relative(process.cwd(), __dirname);\n",
  'src/unused.ts': 'export const unused = 1;\n',
};

let root: string;
let cacheDir: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-cache-'));
  for (const [file, text] of Object.entries(PROJECT)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'synth.js'), path.join(root, 'scripts', 'synth.js'));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules')); // esbuild
  cacheDir = path.join(root, '.build', 'synth');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function launch(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, ['scripts/synth.js'], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const entries = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((name) => !name.startsWith('.')) : []);
const bundleOf = (entry: string) => path.join(cacheDir, entry, 'main.js');
const setMessage = (message: string) =>
  fs.writeFileSync(path.join(root, 'src', 'message.ts'), `export const message: string = '${message}';\n`);

describe('scripts/synth.js', () => {
  test('npm run synth and cdktf.json run the app through it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    const cdktf = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdktf.json'), 'utf8'));
    expect(pkg.scripts.synth).toBe('node scripts/synth.js');
    expect(cdktf.app).toBe('node scripts/synth.js');
  });

  test('a first run bundles main.ts; the next reuses the bundle and does the same', () => {
    const first = launch(root);
    expect(first).toEqual({ status: 0, stdout: 'first from src\n', stderr: '' });
    expect(entries()).toHaveLength(1);
    const [entry] = entries();
    const built = fs.statSync(bundleOf(entry)).mtimeMs;

    expect(launch(root)).toEqual(first);
    expect(entries()).toEqual([entry]);
    expect(fs.statSync(bundleOf(entry)).mtimeMs).toBe(built);
  });

  test('an edited source is what the next run runs, not the cached bundle', () => {
    setMessage('second');
    expect(launch(root).stdout).toBe('second from src\n');
    expect(entries()).toHaveLength(2);

    // Back to the first source: the first bundle fits it again and is used as it was.
    setMessage('first');
    expect(launch(root).stdout).toBe('first from src\n');
    expect(entries()).toHaveLength(2);
  });

  test('tsconfig.json is part of the key: it shapes the transpile', () => {
    const before = entries();
    fs.appendFileSync(path.join(root, 'tsconfig.json'), '\n');
    expect(launch(root).stdout).toBe('first from src\n');
    expect(entries()).toHaveLength(before.length + 1);
  });

  test('a file the app does not bundle leaves the cached bundle in use', () => {
    const before = entries().sort();
    fs.appendFileSync(path.join(root, 'src', 'unused.ts'), 'export const edited = 2;\n');
    expect(launch(root).stdout).toBe('first from src\n');
    expect(entries().sort()).toEqual(before);
  });

  test(`keeps the ${KEPT_ENTRIES} most recently used bundles`, () => {
    for (let edit = 1; edit <= KEPT_ENTRIES; edit += 1) {
      setMessage(`edit ${edit}`);
      expect(launch(root).stdout).toBe(`edit ${edit} from src\n`);
    }
    expect(entries()).toHaveLength(KEPT_ENTRIES);
  });

  test("an error at run time is told to be the bundle's, and maps to the .ts source on request", () => {
    const plain = launch(root, { FAIL: '1' });
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(
      /^The stack trace below is of the cached bundle \.build\/synth\/\w+\/main\.js; NODE_OPTIONS=--enable-source-maps/,
    );
    expect(plain.stderr).toContain('Error: failed on purpose');

    const mapped = launch(root, { FAIL: '1', NODE_OPTIONS: '--enable-source-maps' });
    expect(mapped.status).toBe(1);
    expect(mapped.stderr).not.toContain('cached bundle');
    expect(mapped.stderr).toContain(`${path.join(root, 'main.ts')}:3:`);
  });

  test('a source esbuild cannot parse fails the run with file and line, and caches nothing', () => {
    const before = entries().sort();
    fs.appendFileSync(path.join(root, 'src', 'message.ts'), 'export const broken = ;\n');
    const { status, stderr } = launch(root);
    expect(status).toBe(1);
    expect(stderr).toMatch(/src\/message\.ts:2:\d+:/);
    expect(entries().sort()).toEqual(before);
  });

  test('the app through it: a bad setting is one line naming it, exit code 2', () => {
    const env: NodeJS.ProcessEnv = { CDKTF_OUTDIR: path.join(root, 'cdktf.out'), [SETTING.cloudOrganization]: 'acme' };
    for (const name of Object.values(SETTING)) if (!(name in env)) env[name] = '';
    const { status, stderr } = launch(PROJECT_ROOT, env);
    expect({ status, stderr }).toEqual({ status: 2, stderr: expect.stringMatching(/^Invalid synth setting TF_WORKSPACE: [^\n]*\n$/) });
    expect(fs.existsSync(path.join(root, 'cdktf.out'))).toBe(false);
  });
});
