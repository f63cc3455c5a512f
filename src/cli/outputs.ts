/**
 * Finding the deployment: its Terraform outputs, from a file or from `terraform output -json`,
 * and the `delivery_lanes` output read into lanes.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from './errors';

/** The stack's name in this repository's app, and so in `cdktf deploy --outputs-file`'s file. */
export const DEFAULT_STACK = 'webhook-pipeline';
/** Where `npm run deploy:local` writes its flattened outputs, and its session beside them. */
export const LOCAL_OUTPUTS = path.join('.build', 'local', 'outputs.json');
const LOCAL_SESSION = 'session.json';
/** The synthesized stack this repository's `npm run synth` writes. */
export const DEFAULT_TERRAFORM_DIR = path.join('cdktf.out', 'stacks', DEFAULT_STACK);
export const OUTPUTS_ENV = 'WEBHOOK_PIPELINE_OUTPUTS';

/**
 * Outputs every webhook-pipeline stack has had; one of them at the top level means a flat
 * name → value document rather than one keyed by stack.
 */
const KNOWN_OUTPUTS = [
  'delivery_lanes',
  'dispatcher_function_name',
  'deliver_queue_url',
  'webhook_base_url',
  'dashboard_name',
  'alarm_topic_arn',
];

/** One destination's lane, as the `delivery_lanes` output describes it. */
export interface DeliveryLane {
  readonly name: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly eventSourceMappingUuid: string;
}

/** The contract's field names, in the output's snake case, for each lane property. */
const LANE_FIELDS = {
  queueUrl: 'queue_url',
  queueArn: 'queue_arn',
  deadLetterQueueUrl: 'dead_letter_queue_url',
  deadLetterQueueArn: 'dead_letter_queue_arn',
  eventSourceMappingUuid: 'event_source_mapping_uuid',
} as const;

export interface Deployment {
  /** Where the outputs came from, in words: `--outputs outputs.json`, `terraform output -json in …`. */
  readonly origin: string;
  /** Output name → value. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The local AWS API `npm run deploy:local` recorded beside its outputs, if that is where they came from. */
  readonly localEndpoint?: string;
  readonly localRegion?: string;
}

export interface FindOptions {
  readonly outputs?: string;
  readonly terraformDir?: string;
  readonly stack?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Runs `terraform output -json` in a folder and resolves with its stdout; injectable for tests. */
  readonly terraformOutput?: (dir: string) => Promise<string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Looks for the outputs in the documented order: `--outputs`, `--terraform-dir`, the
 * `WEBHOOK_PIPELINE_OUTPUTS` file, the local deploy's file, then `terraform output -json` in the
 * synthesized stack's folder.
 */
export async function findDeployment(options: FindOptions): Promise<Deployment> {
  const { cwd, env, stack } = options;
  const terraformOutput = options.terraformOutput ?? runTerraformOutput;
  if (options.outputs && options.terraformDir) throw usageError('pass either --outputs or --terraform-dir, not both');
  if (options.outputs) return fromFile(path.resolve(cwd, options.outputs), `--outputs ${options.outputs}`, stack);
  if (options.terraformDir) return fromTerraform(path.resolve(cwd, options.terraformDir), terraformOutput, stack);
  const fromEnv = env[OUTPUTS_ENV];
  if (fromEnv) return fromFile(path.resolve(cwd, fromEnv), `${OUTPUTS_ENV}=${fromEnv}`, stack);
  const local = path.join(cwd, LOCAL_OUTPUTS);
  if (fs.existsSync(local))
    return { ...fromFile(local, `${LOCAL_OUTPUTS} (npm run deploy:local)`, stack), ...localSession(path.dirname(local)) };
  const synthesized = path.join(cwd, DEFAULT_TERRAFORM_DIR);
  if (fs.existsSync(synthesized)) return fromTerraform(synthesized, terraformOutput, stack);
  throw usageError(
    `no deployment outputs found in ${cwd} (no ${LOCAL_OUTPUTS}, no ${DEFAULT_TERRAFORM_DIR}): pass --outputs FILE (from cdktf deploy --outputs-file or terraform output -json) or --terraform-dir DIR, or set ${OUTPUTS_ENV}`,
  );
}

function fromFile(file: string, origin: string, stack: string | undefined): Deployment {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw usageError(`${origin}: ${file} ${reason}`, error);
  }
  return { origin, outputs: parseOutputs(text, origin, stack) };
}

async function fromTerraform(
  dir: string,
  terraformOutput: (dir: string) => Promise<string>,
  stack: string | undefined,
): Promise<Deployment> {
  if (!fs.existsSync(dir)) throw usageError(`--terraform-dir: ${dir} does not exist`);
  const origin = `terraform output -json in ${dir}`;
  return { origin, outputs: parseOutputs(await terraformOutput(dir), origin, stack) };
}

/** `npm run deploy:local` records its endpoint and region beside the outputs. */
function localSession(workDir: string): Pick<Deployment, 'localEndpoint' | 'localRegion'> {
  try {
    const session = JSON.parse(fs.readFileSync(path.join(workDir, LOCAL_SESSION), 'utf8')) as unknown;
    if (!isRecord(session)) return {};
    return {
      ...(typeof session.endpoint === 'string' ? { localEndpoint: session.endpoint } : {}),
      ...(typeof session.region === 'string' ? { localRegion: session.region } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Reads any of the three shapes outputs come in to name → value: `terraform output -json`
 * (name → `{ value, type, sensitive }`), a flat name → value file (`npm run deploy:local`), or
 * `cdktf deploy --outputs-file`'s file (stack name → name → value).
 */
export function parseOutputs(text: string, origin: string, stack?: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw usageError(`${origin} is not JSON (${(error as Error).message}); expected terraform output -json or an outputs file`, error);
  }
  if (!isRecord(document)) throw usageError(`${origin} is not a JSON object of outputs`);
  if (Object.keys(document).length === 0) {
    throw usageError(`${origin} holds no outputs: has the stack been deployed (and is this its state)?`);
  }
  const entries = Object.values(document);
  if (entries.every((entry) => isRecord(entry) && 'value' in entry && ('type' in entry || 'sensitive' in entry))) {
    return Object.fromEntries(Object.entries(document).map(([name, entry]) => [name, (entry as { value: unknown }).value]));
  }
  if (KNOWN_OUTPUTS.some((name) => name in document) || !entries.every(isRecord)) {
    if (stack) throw usageError(`--stack ${stack}: ${origin} is not keyed by stack, it holds one stack's outputs`);
    return document;
  }
  return pickStack(document, origin, stack);
}

function pickStack(byStack: Record<string, unknown>, origin: string, stack: string | undefined): Record<string, unknown> {
  const names = Object.keys(byStack);
  if (stack) {
    if (!(stack in byStack)) throw usageError(`--stack ${stack}: ${origin} has no such stack; it has ${names.join(', ')}`);
    return byStack[stack] as Record<string, unknown>;
  }
  if (DEFAULT_STACK in byStack) return byStack[DEFAULT_STACK] as Record<string, unknown>;
  const withLanes = names.filter((name) => 'delivery_lanes' in (byStack[name] as Record<string, unknown>));
  const candidates = withLanes.length > 0 ? withLanes : names;
  if (candidates.length === 1) return byStack[candidates[0]] as Record<string, unknown>;
  throw usageError(`${origin} holds the stacks ${candidates.join(', ')}: pick one with --stack NAME`);
}

/** The lanes of the `delivery_lanes` output, sorted by destination name. */
export function deliveryLanes(deployment: Deployment): DeliveryLane[] {
  const { origin } = deployment;
  let value = deployment.outputs.delivery_lanes;
  if (value === undefined) {
    throw usageError(
      `${origin} has no delivery_lanes output: this deployment predates delivery lanes; apply the stack from a webhook-pipeline version with lanes, then retry`,
    );
  }
  // A map output read through a tool that stringifies complex values still names the lanes.
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      // Reported as the wrong shape just below.
    }
  }
  if (!isRecord(value)) throw usageError(`${origin}: delivery_lanes is not a map of destination name → lane`);
  return Object.entries(value)
    .map(([name, lane]) => readLane(name, lane, origin))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function readLane(name: string, lane: unknown, origin: string): DeliveryLane {
  if (!isRecord(lane)) throw usageError(`${origin}: delivery_lanes.${name} is not an object`);
  const read = (field: string): string => {
    const value = lane[field];
    if (typeof value !== 'string' || value === '') {
      throw usageError(`${origin}: delivery_lanes.${name} has no ${field}; these outputs do not match this CLI's version`);
    }
    return value;
  };
  return {
    name,
    queueUrl: read(LANE_FIELDS.queueUrl),
    queueArn: read(LANE_FIELDS.queueArn),
    deadLetterQueueUrl: read(LANE_FIELDS.deadLetterQueueUrl),
    deadLetterQueueArn: read(LANE_FIELDS.deadLetterQueueArn),
    eventSourceMappingUuid: read(LANE_FIELDS.eventSourceMappingUuid),
  };
}

/** The region in the lanes' queue ARNs (`arn:aws:sqs:REGION:ACCOUNT:NAME`), if they agree on one. */
export function regionOfLanes(lanes: readonly DeliveryLane[]): string | undefined {
  const regions = new Set(lanes.map((lane) => lane.queueArn.split(':')[3]).filter(Boolean));
  return regions.size === 1 ? [...regions][0] : undefined;
}

/** `terraform output -json` in `dir`; its failures say how to get the outputs another way. */
export function runTerraformOutput(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'terraform',
      ['output', '-json', '-no-color'],
      { cwd: dir, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CHECKPOINT_DISABLE: '1' } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            usageError(`terraform is not on PATH (needed to read the outputs in ${dir}): install it, or pass --outputs FILE`, error),
          );
        }
        // Terraform boxes its diagnostics and puts warnings first: its first Error line is the reason.
        const lines = stderr.split('\n').map((line) => line.replace(/^[╷│╵\s]+/, '').trim());
        const reason =
          lines.find((line) => line.startsWith('Error:')) ?? lines.find((line) => line !== '') ?? `exit code ${String(error.code)}`;
        reject(usageError(`terraform output -json in ${dir} failed: ${reason}; run terraform init there, or pass --outputs FILE`, error));
      },
    );
  });
}
