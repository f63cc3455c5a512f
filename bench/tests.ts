import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand, stats, type Stats } from './measure';

/** Wall time of the test suites, run as a developer runs them, with Jest's own per-file times. */

export interface SuiteResult {
  readonly script: string;
  readonly wallMs: Stats;
  /** Every run exited 0. */
  readonly passed: boolean;
  /** The output tail of the first failing run. */
  readonly failure?: string;
  readonly testFiles?: number;
  /** The slowest test files of the last run, slowest first, as Jest timed them. */
  readonly slowestFiles: readonly { readonly file: string; readonly ms: number }[];
}

interface JestJson {
  readonly testResults: readonly { readonly name: string; readonly startTime: number; readonly endTime: number }[];
}

const SUITE_TIMEOUT_MS = 30 * 60_000;

export async function benchSuite(root: string, script: string, runs: number, log: (line: string) => void): Promise<SuiteResult> {
  const times: number[] = [];
  const jsonFile = path.join(os.tmpdir(), `bench-jest-${process.pid}.json`);
  let failure: string | undefined;
  let report: JestJson | undefined;
  for (let run = 1; run <= runs; run += 1) {
    log(`tests: npm run ${script} (${run}/${runs})`);
    fs.rmSync(jsonFile, { force: true });
    const result = await runCommand('npm', ['run', script, '--', '--json', `--outputFile=${jsonFile}`], {
      cwd: root,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_update_notifier: 'false' },
      timeoutMs: SUITE_TIMEOUT_MS,
    });
    times.push(result.wallMs);
    if (result.exitCode !== 0) failure ??= result.output.slice(-2_000);
    report = fs.existsSync(jsonFile) ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as JestJson) : undefined;
  }
  fs.rmSync(jsonFile, { force: true });
  const files = (report?.testResults ?? []).map((entry) => ({
    file: path.relative(root, entry.name),
    ms: entry.endTime - entry.startTime,
  }));
  return {
    script,
    wallMs: stats(times),
    passed: failure === undefined,
    failure,
    testFiles: report ? files.length : undefined,
    slowestFiles: files.sort((a, b) => b.ms - a.ms).slice(0, 3),
  };
}
