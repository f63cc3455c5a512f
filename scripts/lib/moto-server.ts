/**
 * A moto server (the local AWS API) on a fixed loopback port that outlives the script that
 * started it, so `deploy:local` can exit and `destroy:local` can find it again. The pid of a
 * server this code started is written to a pid file; only that process is ever stopped.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MOTO_HOST = '127.0.0.1';
export const DEFAULT_MOTO_PORT = 5055;

export interface MotoProcessRecord {
  readonly pid: number;
  readonly port: number;
  readonly endpoint: string;
  readonly logFile: string;
  readonly startedAt: string;
}

export interface EnsureMotoOptions {
  readonly port: number;
  /** Where the pid file and moto's log go. */
  readonly dir: string;
  /** How long to wait for a server this call started to answer. */
  readonly startTimeoutMs?: number;
  /**
   * `detached` (default): the server outlives this process, as `deploy:local` needs.
   * `process`: it is also stopped when this process dies, even killed (Linux delivers SIGTERM to
   * it through PR_SET_PDEATHSIG), so an interrupted test run leaves no server behind.
   */
  readonly lifetime?: 'detached' | 'process';
}

/** `python3 -m moto.server HOST PORT`, asking the kernel first to SIGTERM it when its parent dies. */
const TIED_LAUNCHER = [
  'import ctypes, ctypes.util, runpy, signal, sys',
  'try:',
  '    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG',
  'except Exception:',
  '    pass',
  'sys.argv = ["moto.server", "-H", sys.argv[1], "-p", sys.argv[2]]',
  'runpy.run_module("moto.server", run_name="__main__", alter_sys=True)',
].join('\n');

export interface MotoEndpoint {
  readonly endpoint: string;
  readonly port: number;
  /** True when this call started the server; false when one already answered on the port. */
  readonly started: boolean;
  /** The server's pid when it was started here (now or by an earlier call with the same dir). */
  readonly pid?: number;
}

export const motoEndpoint = (port: number) => `http://${MOTO_HOST}:${port}`;
export const motoPidFile = (dir: string) => path.join(dir, 'moto.pid.json');

/** Whether a moto server answers on `endpoint` (its `/moto-api/` dashboard). */
export async function motoAnswers(endpoint: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function readRecord(dir: string): MotoProcessRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(motoPidFile(dir), 'utf8')) as MotoProcessRecord;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is a moto server (guards against a recycled pid). */
function isMotoProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('moto.server');
  } catch {
    // No /proc (macOS): trust the pid file, which only this code writes.
    return true;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reuses the moto server answering on `port`, or starts `python3 -m moto.server` there, detached,
 * with its output in `<dir>/moto.log`, and waits (bounded) until it answers.
 */
export async function ensureMoto(options: EnsureMotoOptions): Promise<MotoEndpoint> {
  const endpoint = motoEndpoint(options.port);
  const previous = readRecord(options.dir);
  if (await motoAnswers(endpoint)) {
    const ours = previous && previous.port === options.port && isMotoProcess(previous.pid);
    return { endpoint, port: options.port, started: false, pid: ours ? previous.pid : undefined };
  }

  fs.mkdirSync(options.dir, { recursive: true });
  const logFile = path.join(options.dir, 'moto.log');
  const log = fs.openSync(logFile, 'a');
  const tied = options.lifetime === 'process';
  const args = tied ? ['-c', TIED_LAUNCHER, MOTO_HOST, String(options.port)] : ['-m', 'moto.server', '-H', MOTO_HOST, '-p', String(options.port)];
  const child = spawn('python3', args, {
    detached: !tied,
    stdio: ['ignore', log, log],
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
  });
  fs.closeSync(log);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  child.unref();

  const tail = () => fs.readFileSync(logFile, 'utf8').slice(-2_000);
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new Error(`python3 -m moto.server could not be started: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`moto server exited with code ${child.exitCode} before answering:\n${tail()}`);
    if (await motoAnswers(endpoint)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint} within ${options.startTimeoutMs ?? 30_000} ms:\n${tail()}`);
    }
    await delay(150);
  }
  const record: MotoProcessRecord = { pid: child.pid!, port: options.port, endpoint, logFile, startedAt: new Date().toISOString() };
  fs.writeFileSync(motoPidFile(options.dir), `${JSON.stringify(record, null, 2)}\n`);
  return { endpoint, port: options.port, started: true, pid: child.pid };
}

/**
 * Stops the moto server whose pid file is in `dir`, if it is still running; waits (bounded) for it
 * to exit. Returns the pid it stopped, or undefined when there was none.
 */
export async function stopMoto(dir: string, timeoutMs = 10_000): Promise<number | undefined> {
  const record = readRecord(dir);
  if (!record) return undefined;
  fs.rmSync(motoPidFile(dir), { force: true });
  if (!isMotoProcess(record.pid)) return undefined;
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isMotoProcess(record.pid)) {
    if (Date.now() > deadline) {
      process.kill(record.pid, 'SIGKILL');
      break;
    }
    await delay(100);
  }
  return record.pid;
}

/** A loopback port nothing listens on right now (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, MOTO_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}
