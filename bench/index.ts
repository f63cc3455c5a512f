import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchHandlers } from './handlers';
import { onInterrupt } from './lifecycle';
import { RSS_SOURCE } from './measure';
import { type BenchResults, evaluateTargets, renderReport } from './report';
import { benchSynth } from './synth';
import { createPhaseSampler } from './synth-phases';
import { benchSuite } from './tests';

/**
 * `npm run bench [-- --quick] [-- --runs N]`: synthesis against the stock CDKTF path, the handler
 * bundles, and the test suites. Prints a Markdown table and PASS/FAIL per target, and writes the
 * same figures to bench/results/latest.json. `--quick` skips the full suite (minutes).
 */

const ROOT = path.resolve(__dirname, '..');
const load = (loads: readonly number[]) => loads.map((value) => value.toFixed(2)).join(' ');

function parseArgs(argv: readonly string[]): { quick: boolean; runs: number } {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 5) throw new Error('--runs takes a whole number ≥ 5 (medians of at least 5 runs)');
  return { quick: argv.includes('--quick'), runs };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-bench-'));
  onInterrupt(async () => fs.rmSync(workDir, { recursive: true, force: true }));
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    loadAverage: os.loadavg(),
    rssSource: RSS_SOURCE,
  };
  log(`${machine.cpus} CPUs, Node ${machine.node}, load average ${load(machine.loadAverage)}; peak RSS from ${RSS_SOURCE}`);

  try {
    const phases = createPhaseSampler(ROOT, path.join(workDir, 'phases'));
    const synth = await benchSynth(ROOT, path.join(workDir, 'synth'), options.runs, log, phases.sampleRound);
    const synthPhases = phases.results();
    const handlers = await benchHandlers(
      { root: ROOT, workDir: path.join(workDir, 'handlers'), loadRuns: Math.max(7, options.runs), throughputRounds: options.runs },
      log,
    );
    const unit = await benchSuite(ROOT, 'test:unit', 2, log);
    const full = options.quick ? undefined : await benchSuite(ROOT, 'test', 1, log);
    const results: BenchResults = { synth, synthPhases, handlers, unit, full };
    const targets = evaluateTargets(results);

    const loadAtEnd = os.loadavg();
    const context = `${machine.cpus} × ${machine.cpuModel ?? 'CPU'}, Node ${machine.node}; load average ${load(machine.loadAverage)} at start, ${load(loadAtEnd)} at end; peak RSS${RSS_SOURCE === 'gnu-time' ? ' and CPU' : ''} from ${RSS_SOURCE}.`;
    process.stdout.write(`${renderReport(results, targets, context)}\n`);
    const outFile = path.join(ROOT, 'bench', 'results', 'latest.json');
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(
      outFile,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: loadAtEnd }, options, ...results, targets }, null, 2)}\n`,
    );
    log(`figures written to ${path.relative(ROOT, outFile)}`);
    for (const suite of [unit, full]) if (suite?.failure) log(`npm run ${suite.script} failed:\n${suite.failure}`);
    if (targets.some((target) => !target.pass)) process.exitCode = 1;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
