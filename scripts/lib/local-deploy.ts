/**
 * Deploys the synthesized stack to a local AWS API (moto server on loopback) and destroys it
 * again: the code behind `npm run deploy:local` / `npm run destroy:local`, and what the deploy
 * integration suite calls.
 *
 * The product JSON stays untouched. Everything local lives in `local_override.tf.json` beside it
 * (provider endpoints, fake credentials, `skip_*` flags, a state file under the work directory,
 * and the few allowances moto needs, each explained in {@link localOverride}), in a Terraform CLI
 * config generated at run time (the provider comes from a local filesystem mirror), and in the
 * work directory (`.build/local` by default): state, logs, outputs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { LOCAL_ENDPOINT_SERVICES, LOCAL_OVERRIDE_FILE, localOverride } from '../../src/config/local-endpoint';
import { readSynthSettings } from '../../src/config/settings';

export { LOCAL_ENDPOINT_SERVICES, LOCAL_OVERRIDE_FILE, localOverride };
import { STACK_NAME, WebhookPipelineStack } from '../../stacks/webhook-pipeline-stack';
import { type LocalResources, listLocalResources, nonEmpty } from './local-resources';
import { DEFAULT_MOTO_PORT, ensureMoto, motoAnswers, motoEndpoint, stopMoto } from './moto-server';
import {
  AWS_PROVIDER,
  findProviderMirror,
  PROVIDER_MIRROR_ENV,
  runTerraform,
  terraformEnv,
  TerraformResult,
  terraformVersion,
  writeCliConfig,
} from './terraform-env';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_WORK_DIR = path.join(PROJECT_ROOT, '.build', 'local');
export const OUTPUTS_FILE = 'outputs.json';
export const SESSION_FILE = 'session.json';
/** Moto's default account; every ARN it hands out carries it. */
export const MOTO_ACCOUNT_ID = '123456789012';
/** The region of a local deployment unless `aws_region` is given. */
export const DEFAULT_LOCAL_REGION = 'us-east-1';


/** Terraform variables for one apply: strings pass as they are, anything else as JSON (valid HCL). */
export type TerraformVars = Readonly<Record<string, string | number | boolean | object>>;

export interface LocalOptions {
  /** State, logs, outputs and the synthesized stack live here. @default `.build/local` */
  readonly workDir?: string;
  /** Loopback port of the moto server, reused when one already answers there. @default env MOTO_PORT or 5055 */
  readonly motoPort?: number;
  /** Progress lines (steps, timings). @default silent */
  readonly log?: (line: string) => void;
  /** Terraform's own progress lines (resource by resource). @default silent */
  readonly terraformLog?: (line: string) => void;
  /** Bound on each terraform command. @default 15 minutes */
  readonly terraformTimeoutMs?: number;
  /** Whether a moto server started here outlives this process (see `ensureMoto`). @default 'detached' */
  readonly motoLifetime?: 'detached' | 'process';
}

export interface DeployOptions extends LocalOptions {
  readonly vars?: TerraformVars;
}

/** What `session.json` records about the last deploy, for destroy and for tests. */
export interface LocalSession {
  readonly endpoint: string;
  readonly port: number;
  readonly stackDir: string;
  readonly statePath: string;
  readonly varArgs: readonly string[];
  /** The `aws_region` the deployment lives in (moto keeps each region apart). */
  readonly region?: string;
  /** Pid of the moto server a deploy of this work directory started (destroy stops it), if any. */
  readonly motoPid?: number;
  readonly deployedAt: string;
}

export interface LocalDeployment {
  readonly workDir: string;
  readonly endpoint: string;
  readonly motoPort: number;
  readonly stackDir: string;
  readonly statePath: string;
  readonly outputsFile: string;
  /** `terraform output -json`, flattened to name → value. */
  readonly outputs: Record<string, unknown>;
  readonly motoStarted: boolean;
  /** Milliseconds per step. */
  readonly timings: Record<string, number>;
}

export interface DestroyResult {
  readonly timings: Record<string, number>;
  /** What the endpoint still held after `terraform destroy`, kinds with nothing left omitted. */
  readonly leftovers: Partial<LocalResources>;
  /** The pid of the moto server stopped, when this work directory had started it. */
  readonly stoppedMotoPid?: number;
}

/** A step that failed: `step` names it, the message says why. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`step "${step}" failed: ${reason}`, options);
    this.name = 'StepError';
  }
}

const workDirOf = (options: LocalOptions) => path.resolve(options.workDir ?? DEFAULT_WORK_DIR);

export function motoPortOf(options: LocalOptions, env: NodeJS.ProcessEnv = process.env): number {
  if (options.motoPort !== undefined) return options.motoPort;
  const raw = env.MOTO_PORT?.trim();
  if (!raw) return DEFAULT_MOTO_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StepError('settings', `MOTO_PORT must be a port number, got "${raw}"`);
  return port;
}

/** `-var` arguments: strings as they are; numbers, booleans and objects as JSON, which HCL reads. */
export function varArgs(vars: TerraformVars = {}): string[] {
  return Object.entries(vars).flatMap(([name, value]) => ['-var', `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`]);
}

/** Flattens `terraform output -json` to name → value. */
export function flattenOutputs(outputJson: string): Record<string, unknown> {
  const parsed = JSON.parse(outputJson) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, output.value]));
}

export function readSession(workDir: string): LocalSession | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(workDir, SESSION_FILE), 'utf8')) as LocalSession;
  } catch {
    return undefined;
  }
}

export function readOutputs(workDir: string = DEFAULT_WORK_DIR): Record<string, unknown> {
  const file = path.join(workDir, OUTPUTS_FILE);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run npm run deploy:local first`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Runs one named step, timing it and wrapping any failure in a {@link StepError}. */
async function step<T>(name: string, timings: Record<string, number>, log: (line: string) => void, body: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  log(`▶ ${name}`);
  try {
    const result = await body();
    timings[name] = Date.now() - started;
    log(`✔ ${name} (${(timings[name] / 1000).toFixed(1)} s)`);
    return result;
  } catch (error) {
    timings[name] = Date.now() - started;
    if (error instanceof StepError) throw error;
    throw new StepError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** The provider mirror, or an error saying how to provide one; checks terraform is on PATH too. */
function requireMirror(): string {
  if (!terraformVersion()) throw new Error('the terraform binary is not on PATH');
  const mirror = findProviderMirror();
  if (!mirror) throw new Error(`no filesystem mirror holds hashicorp/aws ${AWS_PROVIDER.version}; set ${PROVIDER_MIRROR_ENV}`);
  return mirror;
}

/**
 * Terraform's environment for a local run: the mirror-only CLI config, the data directory outside
 * the (re-synthesized) stack folder, fake credentials, and none of the caller's AWS profile or
 * session settings, so real credentials never reach the local endpoint.
 */
function localTerraformEnv(workDir: string, mirror: string): NodeJS.ProcessEnv {
  const env = terraformEnv(writeCliConfig(workDir, mirror), { TF_DATA_DIR: path.join(workDir, 'terraform-data') });
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) {
    delete env[name];
  }
  return env;
}

/** Terraform in the work directory: mirror-only CLI config, data dir outside the stack folder. */
class LocalTerraform {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly workDir: string,
    private readonly stackDir: string,
    private readonly options: LocalOptions,
  ) {
    this.env = localTerraformEnv(workDir, requireMirror());
  }

  /** Runs terraform, keeps its whole output in `logs/<name>.log`, throws with its tail on failure. */
  async run(name: string, args: string[]): Promise<TerraformResult> {
    const logDir = path.join(this.workDir, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    const timeoutMs = this.options.terraformTimeoutMs ?? 15 * 60_000;
    const result = await runTerraform(args, { cwd: this.stackDir, env: this.env, timeoutMs, onLine: this.options.terraformLog });
    const logFile = path.join(logDir, `${name}.log`);
    fs.writeFileSync(logFile, `$ terraform ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
    if (result.code !== 0) {
      const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-40).join('\n');
      const why = result.timedOut ? `terraform ${args[0]} did not finish within ${timeoutMs / 1000} s` : `terraform ${args[0]} exited with ${result.code}`;
      throw new Error(`${why}; full log: ${logFile}\n${tail}`);
    }
    return result;
  }
}

/** Synthesizes the app into `<workDir>/cdktf.out` (fresh) and returns the stack folder. */
function synthesize(workDir: string): string {
  const outdir = path.join(workDir, 'cdktf.out');
  fs.rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir });
  // Local state always: a Terraform Cloud setting in the environment must not redirect a local deploy.
  new WebhookPipelineStack(app, STACK_NAME, { settings: readSynthSettings({}) });
  app.synth();
  return path.join(outdir, 'stacks', STACK_NAME);
}

/**
 * Starts (or reuses) moto, synthesizes, writes the local override, `terraform init` and `apply`,
 * and writes the flat outputs to `<workDir>/outputs.json`. Applying again with other variables
 * updates the same deployment.
 */
export async function deployLocal(options: DeployOptions = {}): Promise<LocalDeployment> {
  const log = options.log ?? (() => undefined);
  const workDir = workDirOf(options);
  const timings: Record<string, number> = {};
  // Everything that can be wrong before anything starts: the port, terraform, the mirror.
  const port = await step('settings', timings, log, () => {
    const motoPort = motoPortOf(options);
    log(`  terraform provider mirror: ${requireMirror()}`);
    return motoPort;
  });
  fs.mkdirSync(workDir, { recursive: true });

  const moto = await step('moto server', timings, log, async () => {
    const server = await ensureMoto({ port, dir: workDir, lifetime: options.motoLifetime });
    log(server.started ? `  started moto (pid ${server.pid}) on ${server.endpoint}` : `  reusing the moto server on ${server.endpoint}`);
    return server;
  });
  const stackDir = await step('synth', timings, log, () => synthesize(workDir));
  const statePath = path.join(workDir, 'terraform.tfstate');
  await step('local override', timings, log, () => {
    const stackJson = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    fs.writeFileSync(path.join(stackDir, LOCAL_OVERRIDE_FILE), `${JSON.stringify(localOverride(stackJson, moto.endpoint, statePath), null, 2)}\n`);
  });
  const tf = await step('terraform env', timings, log, () => new LocalTerraform(workDir, stackDir, options));
  await step('terraform init', timings, log, () => tf.run('init', ['init', '-input=false', '-no-color']));

  // The region is required on every command (no default in the JSON); locally it only names moto's
  // region, so the local loop gives one unless the caller chose another.
  const vars = { aws_region: DEFAULT_LOCAL_REGION, ...options.vars };
  const args = varArgs(vars);
  const session: LocalSession = {
    endpoint: moto.endpoint,
    port,
    stackDir,
    statePath,
    varArgs: args,
    region: String(vars.aws_region),
    motoPid: moto.pid,
    deployedAt: new Date().toISOString(),
  };
  // Written before apply: a half-finished apply still leaves destroy:local something to destroy.
  fs.writeFileSync(path.join(workDir, SESSION_FILE), `${JSON.stringify(session, null, 2)}\n`);
  await step('terraform apply', timings, log, () =>
    tf.run('apply', ['apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=60s', ...args]),
  );
  const outputsFile = path.join(workDir, OUTPUTS_FILE);
  const outputs = await step('outputs', timings, log, async () => {
    const flat = flattenOutputs((await tf.run('output', ['output', '-json', '-no-color'])).stdout);
    fs.writeFileSync(outputsFile, `${JSON.stringify(flat, null, 2)}\n`);
    log(`  ${Object.keys(flat).length} outputs written to ${outputsFile}`);
    return flat;
  });
  return { workDir, endpoint: moto.endpoint, motoPort: port, stackDir, statePath, outputsFile, outputs, motoStarted: moto.started, timings };
}

/**
 * Runs terraform (e.g. `plan -detailed-exitcode`) in the last deployment's stack folder with its
 * variables; resolves with the result whatever the exit code.
 */
export async function terraformLocal(args: string[], options: LocalOptions = {}): Promise<TerraformResult> {
  const workDir = workDirOf(options);
  const session = readSession(workDir);
  if (!session) throw new Error(`no local deployment in ${workDir}`);
  const env = localTerraformEnv(workDir, requireMirror());
  return runTerraform([...args, ...(args[0] === 'plan' ? session.varArgs : [])], {
    cwd: session.stackDir,
    env,
    timeoutMs: options.terraformTimeoutMs ?? 15 * 60_000,
  });
}

/**
 * Destroys the last local deployment of the work directory (with the variables it was applied
 * with), removes its outputs, and stops the moto server if a deploy of this directory started it.
 */
export async function destroyLocal(options: LocalOptions = {}): Promise<DestroyResult> {
  const log = options.log ?? (() => undefined);
  const workDir = workDirOf(options);
  const timings: Record<string, number> = {};
  const stopStartedMoto = () =>
    step('stop moto', timings, log, async () => {
      const pid = await stopMoto(workDir);
      if (pid) log(`  stopped moto (pid ${pid})`);
      return pid;
    });
  const session = await step('session', timings, log, () => {
    const found = readSession(workDir);
    if (found && !fs.existsSync(path.join(found.stackDir, 'cdk.tf.json'))) {
      throw new Error(`the deployed stack folder ${found.stackDir} is gone; deploy:local again, then destroy:local`);
    }
    if (!found) log(`  no local deployment recorded in ${path.join(workDir, SESSION_FILE)}: nothing to destroy`);
    return found;
  });
  // A deploy that failed before recording its session may still have started moto.
  if (!session) return { timings, leftovers: {}, stoppedMotoPid: await stopStartedMoto() };

  await step('moto server', timings, log, async () => {
    if (await motoAnswers(session.endpoint)) return;
    // Moto keeps everything in memory: with the server gone, so are the resources. Destroying
    // against a fresh server empties the state cleanly.
    log(`  nothing answers on ${session.endpoint}; starting moto so that terraform can reconcile the state`);
    await ensureMoto({ port: session.port, dir: workDir, lifetime: options.motoLifetime });
  });
  const tf = await step('terraform env', timings, log, () => new LocalTerraform(workDir, session.stackDir, options));
  await step('terraform init', timings, log, () => tf.run('init', ['init', '-input=false', '-no-color']));
  await step('terraform destroy', timings, log, () =>
    tf.run('destroy', ['destroy', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=60s', ...session.varArgs]),
  );
  const leftovers = await step('check what is left', timings, log, async () => {
    const left = nonEmpty(await listLocalResources(session.endpoint, session.region ?? DEFAULT_LOCAL_REGION));
    log(Object.keys(left).length === 0 ? '  nothing left on the endpoint' : `  still on the endpoint: ${JSON.stringify(left)}`);
    return left;
  });
  await step('clean up', timings, log, () => {
    fs.rmSync(path.join(workDir, OUTPUTS_FILE), { force: true });
    fs.rmSync(path.join(workDir, SESSION_FILE), { force: true });
  });
  const stoppedMotoPid = await stopStartedMoto();
  if (!stoppedMotoPid) log(`  left the moto server on ${motoEndpoint(session.port)} running (deploy:local did not start it)`);
  return { timings, leftovers, stoppedMotoPid };
}

interface StateFile {
  readonly resources?: { type: string; instances: { attributes: Record<string, unknown> }[] }[];
}

/**
 * The package each deployed function was created from, as Terraform's state records it (the
 * function's `filename`, relative to the stack folder): function name → absolute zip path.
 */
export function deployedCodeFiles(workDir: string = DEFAULT_WORK_DIR): Record<string, string> {
  const session = readSession(path.resolve(workDir));
  if (!session) throw new Error(`no local deployment in ${workDir}`);
  const state = JSON.parse(fs.readFileSync(session.statePath, 'utf8')) as StateFile;
  const files: Record<string, string> = {};
  for (const resource of state.resources ?? []) {
    if (resource.type !== 'aws_lambda_function') continue;
    for (const { attributes } of resource.instances) {
      files[String(attributes.function_name)] = path.resolve(session.stackDir, String(attributes.filename));
    }
  }
  return files;
}
