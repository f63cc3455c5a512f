import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killGroup, trackGroup } from './lifecycle';

/**
 * Timing and memory of one command: wall time measured here; peak RSS (the largest process of the
 * command's tree) and CPU time from GNU time's `%M %U %S`, or, where GNU time is missing, peak RSS
 * alone from polling the command's own `/proc/<pid>/status` VmHWM.
 */

const GNU_TIME = '/usr/bin/time';
export const RSS_SOURCE: 'gnu-time' | 'procfs' | 'none' = fs.existsSync(GNU_TIME)
  ? 'gnu-time'
  : fs.existsSync('/proc/self/status')
    ? 'procfs'
    : 'none';

/** GNU time's output files not yet read; removed if the bench exits early. */
const pendingTimeFiles = new Set<string>();
process.once('exit', () => pendingTimeFiles.forEach((file) => fs.rmSync(file, { force: true })));

export interface RunResult {
  readonly wallMs: number;
  /** Peak resident set size in KiB, when it could be measured. */
  readonly peakRssKb?: number;
  /** User + system CPU time of the command's tree (GNU time only): less sensitive to a busy machine than wall time. */
  readonly cpuMs?: number;
  readonly exitCode: number;
  /** The last few KiB of stdout and stderr, for error messages. */
  readonly output: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The command is killed (its whole process group) after this long. */
  readonly timeoutMs: number;
}

export function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  const [file, argv] = RSS_SOURCE === 'gnu-time' ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, [...args]];
  if (RSS_SOURCE === 'gnu-time') pendingTimeFiles.add(timeFile);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout ends everything it started
    });
    const release = child.pid ? trackGroup(child.pid) : () => undefined;
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8_192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let polledRssKb: number | undefined;
    const poller = RSS_SOURCE === 'procfs' ? setInterval(() => (polledRssKb = readVmHwm(child.pid) ?? polledRssKb), 20) : undefined;
    const timer = setTimeout(() => {
      output += `\n[bench] killed after ${options.timeoutMs} ms`;
      if (child.pid) killGroup(child.pid);
    }, options.timeoutMs);
    child.once('error', (error) => {
      release();
      clearTimeout(timer);
      clearInterval(poller);
      reject(error);
    });
    child.once('close', (code, signal) => {
      const wallMs = performance.now() - started;
      release();
      clearTimeout(timer);
      clearInterval(poller);
      const measured = RSS_SOURCE === 'gnu-time' ? readGnuTime(timeFile, (text) => (output += `\n${text}`)) : { peakRssKb: polledRssKb };
      resolve({ wallMs, ...measured, exitCode: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** GNU time writes "Command exited with non-zero status N" before the figures when the command fails. */
function readGnuTime(file: string, note: (text: string) => void): { peakRssKb?: number; cpuMs?: number } {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    if (lines.length > 1) note(lines.slice(0, -1).join('\n'));
    const [kb, user, system] = lines[lines.length - 1].split(' ').map(Number);
    return {
      peakRssKb: Number.isFinite(kb) && kb > 0 ? kb : undefined,
      cpuMs: Number.isFinite(user + system) ? (user + system) * 1000 : undefined,
    };
  } catch {
    return {};
  } finally {
    fs.rmSync(file, { force: true });
    pendingTimeFiles.delete(file);
  }
}

function readVmHwm(pid: number | undefined): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Throws with the command's output tail when it failed. */
export function checked(label: string, result: RunResult): RunResult {
  if (result.exitCode !== 0) throw new Error(`${label} exited with ${result.exitCode}:\n${result.output}`);
  return result;
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) throw new Error('stats of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** Rejects when `promise` has not settled within `ms`. */
export function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
