/**
 * The throwaway apps of the compatibility matrix: one per supported framework and provider line,
 * each holding the two examples (examples/own-app's main.ts, examples/synthscope-test's Jest test),
 * moved to CDK Terrain by their imports alone where the app is a CDK Terrain app.
 *
 * An app's third-party packages are installed once per set of versions, in a cache outside the
 * clone (`~/.cache/webhook-pipeline/compat`, or WEBHOOK_COMPAT_CACHE), since the provider bindings
 * are hundreds of MB each; the packed package is then installed into it with a plain `npm install`
 * on every run, as a user would.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { migrateSourceToCdkTerrain } from '../../scripts/lib/framework-rewrite';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

export interface CompatApp {
  readonly id: string;
  readonly framework: 'cdktf' | 'cdktn';
  /** The provider bindings package and version. */
  readonly bindings: { readonly name: '@cdktf/provider-aws' | '@cdktn/provider-aws'; readonly version: string };
  /** The hashicorp/aws version those bindings pin. */
  readonly providerVersion: string;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** The test tooling every app has, as examples/synthscope-test and examples/own-app pin it. */
const DEV_DEPENDENCIES = {
  '@swc/core': '1.16.0',
  '@swc/jest': '0.2.39',
  '@types/jest': '29.5.14',
  '@types/node': '20.19.43',
  esbuild: '0.25.12',
  'esbuild-register': '3.6.0',
  jest: '29.7.0',
  typescript: '5.9.3',
};

export const COMPAT_APPS: readonly CompatApp[] = [
  {
    id: 'cdktf-aws21',
    framework: 'cdktf',
    bindings: { name: '@cdktf/provider-aws', version: '21.22.1' },
    providerVersion: '6.25.0',
    dependencies: { cdktf: '0.21.0', '@cdktf/provider-aws': '21.22.1', constructs: '10.4.2' },
  },
  {
    id: 'cdktf-aws20',
    framework: 'cdktf',
    bindings: { name: '@cdktf/provider-aws', version: '20.1.0' },
    providerVersion: '5.100.0',
    dependencies: { cdktf: '0.21.0', '@cdktf/provider-aws': '20.1.0', constructs: '10.4.2' },
  },
  {
    id: 'cdktn-aws25',
    framework: 'cdktn',
    bindings: { name: '@cdktn/provider-aws', version: '25.7.0' },
    providerVersion: '6.66.0',
    dependencies: { cdktn: '0.24.0', '@cdktn/provider-aws': '25.7.0', constructs: '10.7.0' },
  },
];

export const npm = (args: readonly string[], cwd: string) =>
  run('npm', [...args], {
    cwd,
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      // A user's plain install: none of the flags that would hide a peer conflict.
      npm_config_legacy_peer_deps: 'false',
      npm_config_force: 'false',
    },
    maxBuffer: 64 * 1024 * 1024,
  });

export const cacheRoot = () => process.env.WEBHOOK_COMPAT_CACHE ?? path.join(os.homedir(), '.cache', 'webhook-pipeline', 'compat');

function manifestOf(app: CompatApp) {
  return {
    name: `compat-${app.id}`,
    version: '1.0.0',
    private: true,
    dependencies: { ...app.dependencies },
    devDependencies: DEV_DEPENDENCIES,
  };
}

export interface PreparedApp {
  readonly dir: string;
  /** Seconds the third-party install took: 0 when the cache had it. */
  readonly cacheInstallSeconds: number;
}

/**
 * The app's folder, its third-party packages installed (from the cache when it has this set of
 * versions); older cached installs of the same app are removed.
 */
export async function prepareApp(app: CompatApp): Promise<PreparedApp> {
  const manifest = manifestOf(app);
  const key = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
  const root = cacheRoot();
  const dir = path.join(root, `${app.id}-${key}`);
  fs.mkdirSync(root, { recursive: true });
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith(`${app.id}-`) && entry !== path.basename(dir)) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
  const marker = path.join(dir, 'node_modules', '.compat-installed');
  let cacheInstallSeconds = 0;
  if (!fs.existsSync(marker)) {
    const started = Date.now();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    fs.writeFileSync(marker, new Date().toISOString());
    cacheInstallSeconds = (Date.now() - started) / 1000;
  }
  return { dir, cacheInstallSeconds };
}

/** The examples, as this app's framework imports them; a CDK Terrain app's differ by their imports only. */
export function writeExamples(app: CompatApp, dir: string): void {
  const migrate = (text: string) => (app.framework === 'cdktn' ? migrateSourceToCdkTerrain(text) : text);
  const copy = (from: string, to: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    const text = fs.readFileSync(path.join(ROOT, 'examples', from), 'utf8');
    fs.writeFileSync(path.join(dir, to), to.endsWith('.ts') ? migrate(text) : text);
  };
  copy('own-app/main.ts', 'main.ts');
  copy('own-app/cdktf.json', 'cdktf.json');
  copy('synthscope-test/webhooks.test.ts', 'webhooks.test.ts');
  copy('synthscope-test/setup.ts', 'setup.ts');
  copy('synthscope-test/jest.config.js', 'jest.config.js');
  copy('synthscope-test/__snapshots__/webhooks.test.ts.snap', '__snapshots__/webhooks.test.ts.snap');
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node',
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node', 'jest'],
      },
      include: ['main.ts', 'webhooks.test.ts', 'setup.ts'],
    }),
  );
  fs.rmSync(path.join(dir, 'cdktf.out'), { recursive: true, force: true });
}

/**
 * The binding package's source for one resource or data source type (`aws_sqs_queue` →
 * `lib/sqs-queue/index.js`, data `aws_region` → `lib/data-aws-region/index.js`): the attribute
 * names it writes are the provider schema of the version it was generated from.
 */
export function bindingSource(dir: string, app: CompatApp, kind: 'resource' | 'data', type: string): string | undefined {
  const name = type.replace(/^aws_/, '').replace(/_/g, '-');
  const file = path.join(dir, 'node_modules', app.bindings.name, 'lib', kind === 'data' ? `data-aws-${name}` : name, 'index.js');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}
