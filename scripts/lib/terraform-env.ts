/**
 * How this project runs the real `terraform` binary without the internet: providers come from a
 * local filesystem mirror through a CLI config file written at run time, never from the registry.
 * Shared by the local deploy scripts and the Terraform test suites (`__tests__/support/terraform.ts`).
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const AWS_PROVIDER = { namespace: 'hashicorp', type: 'aws', version: '5.100.0' } as const;

/** Environment variable naming the mirror explicitly; otherwise {@link MIRROR_CANDIDATES} are searched. */
export const PROVIDER_MIRROR_ENV = 'TF_PROVIDER_MIRROR';

/** Where provider mirrors usually live, searched in order. */
export const MIRROR_CANDIDATES: readonly string[] = [
  '/opt/tf-plugins',
  path.join(os.homedir(), '.terraform.d', 'plugins'),
  path.join(os.homedir(), '.local', 'share', 'terraform', 'plugins'),
  '/usr/local/share/terraform/plugins',
  '/usr/share/terraform/plugins',
];

const hasAwsProvider = (dir: string) =>
  fs.existsSync(path.join(dir, 'registry.terraform.io', AWS_PROVIDER.namespace, AWS_PROVIDER.type, AWS_PROVIDER.version));

/**
 * The filesystem mirror holding hashicorp/aws {@link AWS_PROVIDER}: `TF_PROVIDER_MIRROR` when set
 * (and it must hold the provider), else the first candidate that does; undefined when none does.
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env[PROVIDER_MIRROR_ENV];
  if (explicit) {
    if (!hasAwsProvider(explicit)) {
      throw new Error(`${PROVIDER_MIRROR_ENV}=${explicit} holds no hashicorp/aws ${AWS_PROVIDER.version}`);
    }
    return explicit;
  }
  return MIRROR_CANDIDATES.find(hasAwsProvider);
}

/** `terraform version -json`, or undefined when the binary is not on PATH. */
export function terraformVersion(): string | undefined {
  try {
    return execFileSync('terraform', ['version', '-json'], {
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return undefined;
  }
}

/** A CLI config that installs providers only from the mirror, with a shared plugin cache. */
export function writeCliConfig(dir: string, mirror: string): string {
  const cacheDir = path.join(os.tmpdir(), 'webhook-pipeline-tf-plugin-cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(dir, 'terraform.rc');
  fs.writeFileSync(
    file,
    [
      `plugin_cache_dir = ${JSON.stringify(cacheDir)}`,
      'provider_installation {',
      `  filesystem_mirror {`,
      `    path    = ${JSON.stringify(mirror)}`,
      `    include = ["registry.terraform.io/*/*"]`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

/** Environment for a non-interactive terraform run with the given CLI config and fake AWS credentials. */
export function terraformEnv(cliConfigFile: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the run was killed for exceeding its time limit. */
  readonly timedOut: boolean;
}

export interface RunTerraformOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Called with each complete line of stdout and stderr as it arrives. */
  readonly onLine?: (line: string) => void;
}

/** Runs terraform; never rejects on a non-zero exit or a timeout, so callers decide what failed. */
export function runTerraform(args: readonly string[], options: RunTerraformOptions): Promise<TerraformResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'terraform',
      [...args],
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGTERM', maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const timedOut = Boolean(error && (error as { killed?: boolean }).killed);
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, timedOut });
      },
    );
    if (options.onLine) {
      const onLine = options.onLine;
      for (const stream of [child.stdout, child.stderr]) {
        let pending = '';
        stream?.on('data', (chunk: Buffer | string) => {
          const lines = (pending + chunk.toString()).split('\n');
          pending = lines.pop() ?? '';
          lines.forEach(onLine);
        });
      }
    }
  });
}
