import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { awsClients, createIdempotencyTable, createQueue, putSecureString } from '../__tests__/support/aws-resources';
import { startReceiver } from '../__tests__/support/receiver';
import { FAKE_AWS_CREDENTIALS, startMoto } from '../__tests__/support/moto';
import { bundleHandler } from '../src/bundling/bundle-handler';
import { FUNCTION_NAMES, type FunctionName } from '../src/contract';
import { onInterrupt } from './lifecycle';
import { checked, runCommand, stats, type Stats, withTimeout } from './measure';
import type { WorkerReport } from './handler-worker';
import { pipelineEnv, type PipelineEndpoints, type PipelineSettings } from './pipeline-env';

/**
 * Per handler, measured on the bundled zip (the artifact Lambda runs): its size, its cold module
 * load in a fresh `node`, and records/s through it with its AWS calls on a local moto server.
 */

export interface HandlerResult {
  readonly name: FunctionName;
  readonly zipBytes: number;
  /** The zip came from the content-hashed cache rather than a fresh esbuild run. */
  readonly bundleReused: boolean;
  /** `require()` of the handler module in a fresh process: the Lambda init phase's module load. */
  readonly coldLoadMs: Stats;
  /** `require()` of only the AWS SDK packages the bundle leaves external (the runtime provides them). */
  readonly sdkLoadMs: Stats;
  readonly externals: readonly string[];
  /** Records per second through the handler, batches of 10, one invocation at a time. */
  readonly recordsPerSecond: Stats;
  /** The handler process's CPU time per record; the rest of a record's time is waiting on moto or the target. */
  readonly cpuMsPerRecord: number;
  /** Records the handler reported as failed during the throughput runs (should be 0). */
  readonly failedRecords: number;
}

export interface HandlerBenchOptions {
  readonly root: string;
  readonly workDir: string;
  readonly loadRuns: number;
  readonly throughputRounds: number;
}

const SOURCE = 'github';
const SOURCE_SECRET = `bench-${randomUUID()}`;
const SECRETS_PATH = '/webhook-pipeline/bench/sources/';
const DELIVERY_SECRET_PARAMETER = '/webhook-pipeline/bench/delivery/signing-secret';
const TABLE = 'webhook-idempotency-bench';
const WORKER_TIMEOUT_MS = 180_000;

const SETTINGS: PipelineSettings = {
  sources: { [SOURCE]: 'github' },
  sourceSecretsPath: SECRETS_PATH,
  deliverySecretParameter: DELIVERY_SECRET_PARAMETER,
  idempotencyTable: TABLE,
  deliveryTimeoutMs: 5000,
};

/** The environment the stack gives each function (src/webhook-pipeline.ts), on the given endpoints. */
const handlerEnv = (name: FunctionName, endpoints: PipelineEndpoints) => pipelineEnv(name, endpoints, SETTINGS);

/** Unzips the bundle and links the project's node_modules, where the external AWS SDK resolves. */
export function extract(root: string, zipPath: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, data] of Object.entries(unzipSync(fs.readFileSync(zipPath)))) fs.writeFileSync(path.join(dir, file), data);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function externalsOf(dir: string): string[] {
  const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
  return [...new Set([...code.matchAll(/require\("((?:@aws-sdk|@smithy)\/[^"]+)"\)/g)].map((match) => match[1]))].sort();
}

/** Milliseconds `require()` of `modules` takes in a fresh `node` started in `dir`. */
async function timeRequire(dir: string, modules: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const script = `const t=performance.now();for(const m of JSON.parse(process.argv[1]))require(m);process.stdout.write('BENCH_MS='+(performance.now()-t))`;
  const result = checked(
    `require(${modules.join(', ')})`,
    await runCommand('node', ['-e', script, JSON.stringify(modules)], { cwd: dir, env, timeoutMs: 30_000 }),
  );
  const match = /BENCH_MS=([\d.]+)/.exec(result.output);
  if (!match) throw new Error(`no timing from require(${modules.join(', ')}):\n${result.output}`);
  return Number(match[1]);
}

function runWorker(name: FunctionName, dir: string, env: NodeJS.ProcessEnv, rounds: number): Promise<WorkerReport> {
  const child = fork(path.join(__dirname, 'handler-worker.ts'), [], {
    execArgv: ['-r', 'esbuild-register'],
    env: {
      ...env,
      BENCH_HANDLER_DIR: dir,
      BENCH_HANDLER: name,
      BENCH_ROUNDS: String(rounds),
      BENCH_SOURCE: SOURCE,
      BENCH_SOURCE_SECRET: SOURCE_SECRET,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'], // stdout: the handler's own log lines
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.once('message', (message) => resolve(message as WorkerReport));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} worker exited with ${code} before reporting:\n${stderr}`)));
  });
  return withTimeout(`${name} throughput`, WORKER_TIMEOUT_MS, report).finally(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
}

export async function benchHandlers(options: HandlerBenchOptions, log: (line: string) => void): Promise<HandlerResult[]> {
  const { root, workDir } = options;
  const bundles = FUNCTION_NAMES.map((name) => {
    const bundle = bundleHandler(name, { root });
    return { name, bundle, dir: extract(root, bundle.zipPath, path.join(workDir, name)) };
  });

  const placeholder = (queue: string) => `http://127.0.0.1:9/123456789012/${queue}`;
  const placeholders: PipelineEndpoints = {
    ingestQueueUrl: placeholder('ingest'),
    processQueueUrl: placeholder('process'),
    deliverQueueUrl: placeholder('deliver'),
    deadLetterQueueUrls: {
      validator: placeholder('ingest-dlq'),
      processor: placeholder('process-dlq'),
      dispatcher: placeholder('deliver-dlq'),
    },
    deliveryUrl: 'https://127.0.0.1:9/hook',
  };
  const loads = new Map<FunctionName, { cold: number[]; sdk: number[] }>();
  for (const { name, dir } of bundles) {
    log(`handlers: cold module load of ${name}`);
    const env = { ...process.env, ...handlerEnv(name, placeholders) };
    const samples = { cold: [] as number[], sdk: [] as number[] };
    await timeRequire(dir, ['./index.js'], env); // warms the page cache; every timed run is a fresh process
    for (let run = 0; run < options.loadRuns; run += 1) {
      samples.cold.push(await timeRequire(dir, ['./index.js'], env));
      samples.sdk.push(await timeRequire(dir, externalsOf(dir), env));
    }
    loads.set(name, samples);
  }

  log('handlers: starting moto and the delivery target');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const moto = await startMoto();
  const aws = awsClients(moto.endpoint);
  const target = await startReceiver({ status: 200 });
  const stop = async () => {
    await target.close();
    Object.values(aws).forEach((client) => client.destroy());
    await moto.stop();
  };
  const unregister = onInterrupt(stop);
  try {
    const deadLetter = await createQueue(aws.sqs, 'webhook-dlq-bench');
    const endpoints: PipelineEndpoints = {
      ingestQueueUrl: await createQueue(aws.sqs, 'webhook-ingest-bench'),
      processQueueUrl: await createQueue(aws.sqs, 'webhook-process-bench'),
      deliverQueueUrl: await createQueue(aws.sqs, 'webhook-deliver-bench'),
      deadLetterQueueUrls: { validator: deadLetter, processor: deadLetter, dispatcher: deadLetter },
      deliveryUrl: `${target.url}/webhooks/inbound`,
    };
    await createIdempotencyTable(aws.dynamodb, TABLE);
    await putSecureString(aws.ssm, `${SECRETS_PATH}${SOURCE}`, SOURCE_SECRET);
    await putSecureString(aws.ssm, DELIVERY_SECRET_PARAMETER, `bench-${randomUUID()}`);

    const results: HandlerResult[] = [];
    for (const { name, bundle, dir } of bundles) {
      log(`handlers: throughput of ${name}`);
      const env = { ...process.env, ...FAKE_AWS_CREDENTIALS, AWS_ENDPOINT_URL: moto.endpoint, ...handlerEnv(name, endpoints) };
      const report = await runWorker(name, dir, env, options.throughputRounds);
      const { cold, sdk } = loads.get(name)!;
      results.push({
        name,
        zipBytes: bundle.sizeBytes,
        bundleReused: bundle.reused,
        coldLoadMs: stats(cold),
        sdkLoadMs: stats(sdk),
        externals: externalsOf(dir),
        recordsPerSecond: stats(report.recordsPerSecond),
        cpuMsPerRecord: report.cpuMsPerRecord,
        failedRecords: report.failedRecords,
      });
    }
    return results;
  } finally {
    unregister();
    await stop();
  }
}
