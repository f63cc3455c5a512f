import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A running moto server, as returned by {@link startMoto}. */
export interface MotoServer {
  /** Base URL of the server, e.g. `http://127.0.0.1:54321`; use it as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  /** The loopback port the server listens on. */
  readonly port: number;
  /**
   * Environment for an AWS SDK or CLI pointed at this server: endpoint, region and the fake
   * credentials. Spread it into `process.env` or a child process's `env`.
   */
  readonly awsEnv: Readonly<Record<string, string>>;
  /** Drops every resource the server holds, so one server can serve several independent tests. */
  reset(): Promise<void>;
  /** Stops the server; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer before giving up. */
  readonly startTimeoutMs?: number;
  /** Region written into {@link MotoServer.awsEnv} and `process.env.AWS_REGION`. */
  readonly region?: string;
  /** Python interpreter with moto[server] installed; defaults to `$MOTO_PYTHON`, else `python3`. */
  readonly python?: string;
}

/** Credentials moto accepts; real ones must never reach a local endpoint. */
export const FAKE_AWS_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
} as const;

/**
 * Starts `python3 -m moto.server` (moto's standalone server, `pip install 'moto[server]'`) on a
 * free loopback port and waits until it answers.
 *
 * The fake credentials and the region are written into `process.env` as well, because the SDK
 * would otherwise go looking for real ones (and find them on a developer's machine). The
 * endpoint is not: callers decide which clients talk to moto by setting `AWS_ENDPOINT_URL`.
 *
 * Rejects, with moto's own output in the message, when python or moto is missing or the server
 * does not answer within `startTimeoutMs`: a suite that needs moto fails instead of skipping.
 *
 * @example
 * ```ts
 * let moto: MotoServer;
 * beforeAll(async () => {
 *   moto = await startMoto();
 *   process.env.AWS_ENDPOINT_URL = moto.endpoint;
 * });
 * afterAll(() => moto?.stop());
 * ```
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const region = options.region ?? 'us-east-1';
  const port = await findFreeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const awsEnv = { ...FAKE_AWS_CREDENTIALS, AWS_REGION: region, AWS_DEFAULT_REGION: region, AWS_ENDPOINT_URL: endpoint };
  Object.assign(process.env, FAKE_AWS_CREDENTIALS, { AWS_REGION: region, AWS_DEFAULT_REGION: region });

  const python = options.python ?? process.env.MOTO_PYTHON ?? 'python3';
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...FAKE_AWS_CREDENTIALS },
  });
  const output = collectOutput(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill('SIGTERM');
    const escalation = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(escalation);
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`moto could not be started (${python} -m moto.server): ${spawnError.message}`);
    if (child.exitCode !== null) {
      throw new Error(`moto server exited with code ${child.exitCode} before answering:\n${output()}`);
    }
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto server did not answer on ${endpoint} within ${startTimeoutMs} ms:\n${output()}`);
    }
    await delay(100);
  }

  return {
    endpoint,
    port,
    awsEnv,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop,
  };
}

/** Asks the OS for a free port; the tiny race until moto binds it is acceptable for tests. */
async function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Keeps the last few kilobytes of moto's output for error messages. */
function collectOutput(child: ChildProcess): () => string {
  let text = '';
  const append = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => text;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
