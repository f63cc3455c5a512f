/**
 * Runs the real `terraform` binary against synthesized JSON, offline: providers come from a local
 * filesystem mirror through a CLI config file of our own, and credentials are fake. Mirror
 * discovery, the CLI config and the environment are shared with the local deploy scripts
 * (`scripts/lib/terraform-env.ts`). Everything test-only (mirror config, `skip_*` flags, state location) lives beside the synthesized JSON in
 * files the product never ships.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OFFLINE_PROVIDER_SETTINGS } from '../../src/config/local-endpoint';
import { AWS_PROVIDER, findProviderMirror, terraformEnv, terraformVersion, writeCliConfig } from '../../scripts/lib/terraform-env';

export { AWS_PROVIDER, findProviderMirror, terraformVersion, writeCliConfig };

/**
 * Whether the Terraform suites can run. They say so loudly when they cannot, and under CI=true
 * they fail instead of skipping: a green CI must mean the plans really ran.
 */
export function terraformAvailability(): { ok: true; mirror: string } | { ok: false; reason: string } {
  if (!terraformVersion()) return { ok: false, reason: 'the terraform binary is not on PATH' };
  const mirror = findProviderMirror();
  if (!mirror) {
    return { ok: false, reason: `no filesystem mirror with hashicorp/aws ${AWS_PROVIDER.version}; set TF_PROVIDER_MIRROR` };
  }
  return { ok: true, mirror };
}

export function describeIfTerraform(name: string, body: (mirror: string) => void): void {
  const availability = terraformAvailability();
  if (availability.ok) {
    describe(name, () => body(availability.mirror));
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has terraform and the provider mirror', () => {
        throw new Error(`Terraform tests cannot run under CI: ${availability.reason}`);
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPING "${name}": ${availability.reason} ***\n`);
  describe.skip(name, () => body(''));
}

export interface OfflineOverrideOptions {
  /** Extra provider settings, e.g. endpoints of a local AWS API. */
  readonly provider?: Record<string, unknown>;
}

/**
 * Test-only `*_override.tf.json`: fake credentials, the provider's `skip_*` flags and a local
 * backend inside the working copy, so plans never touch AWS or the product's state path.
 */
export function writeOfflineOverride(stackDir: string, options: OfflineOverrideOptions = {}): void {
  fs.writeFileSync(
    path.join(stackDir, 'offline_override.tf.json'),
    JSON.stringify(
      {
        terraform: { backend: { local: { path: 'test.tfstate' } } },
        provider: {
          aws: [{ ...OFFLINE_PROVIDER_SETTINGS, ...options.provider }],
        },
      },
      null,
      2,
    ),
  );
}

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class TerraformRunner {
  constructor(
    readonly dir: string,
    readonly cliConfigFile: string,
    readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {}

  get env(): NodeJS.ProcessEnv {
    return terraformEnv(this.cliConfigFile, this.extraEnv);
  }

  /** Runs terraform; never throws on a non-zero exit, so tests can assert on failures. */
  run(args: string[], timeoutMs = 300_000): Promise<TerraformResult> {
    return new Promise((resolve) => {
      execFile(
        'terraform',
        [...args],
        { cwd: this.dir, env: this.env, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async runOrThrow(args: string[], timeoutMs?: number): Promise<string> {
    const result = await this.run(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(`terraform ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
    }
    return result.stdout;
  }

  init(): Promise<string> {
    return this.runOrThrow(['init', '-input=false', '-no-color'], 300_000);
  }

  /** Evaluates one expression (e.g. `local.x`) with the given variables, as JSON. */
  async evaluate(expression: string, vars: Record<string, string> = {}): Promise<unknown> {
    const result = await new Promise<TerraformResult>((resolve) => {
      const child = execFile(
        'terraform',
        ['console', '-no-color', ...planVarArgs(vars)],
        { cwd: this.dir, env: this.env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
      child.stdin!.end(`jsonencode(${expression})\n`);
    });
    if (result.code !== 0) throw new Error(`terraform console ${expression} failed:\n${result.stderr}\n${result.stdout}`);
    return JSON.parse(JSON.parse(result.stdout.trim()) as string);
  }

  /** Plans with the given variables and returns `terraform show -json` of the plan. */
  async plan(vars: Record<string, string> = {}, planName = 'tfplan'): Promise<PlanJson> {
    const varArgs = planVarArgs(vars);
    await this.runOrThrow(['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false', `-out=${planName}`, ...varArgs]);
    return JSON.parse(await this.runOrThrow(['show', '-json', '-no-color', planName])) as PlanJson;
  }

  /** Plans expecting failure; returns the error output. */
  async planFailure(vars: Record<string, string>): Promise<string> {
    const varArgs = planVarArgs(vars);
    const result = await this.run(['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false', ...varArgs]);
    if (result.code === 0) throw new Error(`plan with ${JSON.stringify(vars)} unexpectedly succeeded`);
    return `${result.stderr}\n${result.stdout}`;
  }
}

/**
 * The region every offline plan here targets unless a test names another: `aws_region` is
 * required (no default), as it must be on every real command too.
 */
export const TEST_REGION = 'us-east-1';

/** `-var` arguments, with `aws_region` added when the test did not give it. */
export function planVarArgs(vars: Record<string, string>): string[] {
  return Object.entries({ aws_region: TEST_REGION, ...vars }).flatMap(([k, v]) => ['-var', `${k}=${v}`]);
}

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index?: number | string;
  readonly values: Record<string, any>;
}

export interface PlanJson {
  readonly planned_values: { readonly root_module: { readonly resources?: PlannedResource[] } };
  readonly resource_changes: { address: string; type: string; change: { actions: string[] } }[];
}

export function plannedResources(plan: PlanJson, type?: string): PlannedResource[] {
  const all = plan.planned_values.root_module.resources ?? [];
  return type ? all.filter((r) => r.type === type) : all;
}

/** Copies a synthesized stack folder to a fresh temporary working copy. */
export function copyStack(stackDir: string, prefix = 'webhook-tf-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(stackDir, dir, { recursive: true });
  return dir;
}
