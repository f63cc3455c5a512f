import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchCost, COST_BASELINE_FILE, COST_DEFAULTS, type CostRun, readCostBaseline } from './cost';
import { type CostSection, evaluateCostTargets, renderCost } from './cost-report';
import { benchHandlers } from './handlers';
import { onInterrupt } from './lifecycle';
import { benchIsolation, renderIsolation } from './isolation';
import { benchLoad, evaluateLoadTargets, LOAD_DEFAULTS, type LoadSection, renderLoad } from './load';
import { RSS_SOURCE } from './measure';
import { type BenchResults, evaluateTargets, renderReport, renderTarget } from './report';
import { benchSynth } from './synth';
import { createPhaseSampler } from './synth-phases';
import { benchSuite } from './tests';

/**
 * `npm run bench [-- --quick] [-- --runs N] [-- --webhooks N] [-- --load N]`: synthesis against
 * the stock CDKTF path, the handler bundles, what a webhook costs (beside the recorded baseline),
 * the load step (`--load N` webhooks beside a tenth as many, default 5000; `--load 0` skips it),
 * the delivery lanes' isolation beside the shared 0.2.0 design (bench/isolation.ts), and the test suites. Prints a Markdown table and PASS/FAIL per target, and writes the same figures to
 * bench/results/latest.json. `--quick` skips the full suite (minutes).
 *
 * `-- --cost-only [--root DIR] [--save-baseline] [--no-archive]`: only the cost figures, of this checkout's
 * handlers or of another checkout's (a worktree of an older commit); `--save-baseline` records
 * them as the before-figures (bench/baselines/), which every later run prints beside its own;
 * `--no-archive` runs the handlers with the event archive off (its share of the Lambda time; the
 * archive target then fails). With `--load N` the load step runs after it.
 */

const ROOT = path.resolve(__dirname, '..');
const load = (loads: readonly number[]) => loads.map((value) => value.toFixed(2)).join(' ');

interface Options {
  readonly quick: boolean;
  readonly runs: number;
  readonly webhooks: number;
  readonly costOnly: boolean;
  /** Checkout whose handlers the cost figures are of. */
  readonly root: string;
  readonly saveBaseline: boolean;
  /** Webhooks in the load step's large run; 0: no load step. */
  readonly load: number;
  /** `--no-archive`: the cost step with the event archive off. */
  readonly noArchive: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const valueOf = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const runs = Number(valueOf('--runs') ?? 5);
  if (!Number.isInteger(runs) || runs < 5) throw new Error('--runs takes a whole number ≥ 5 (medians of at least 5 runs)');
  const webhooks = Number(valueOf('--webhooks') ?? COST_DEFAULTS.webhooks);
  if (!Number.isInteger(webhooks) || webhooks < 50 || webhooks % 10 !== 0) {
    throw new Error('--webhooks takes a multiple of 10, at least 50 (full batches, several warm invocations per container)');
  }
  const costOnly = argv.includes('--cost-only');
  const root = path.resolve(valueOf('--root') ?? ROOT);
  const saveBaseline = argv.includes('--save-baseline');
  if ((root !== ROOT || saveBaseline) && !costOnly) throw new Error('--root and --save-baseline go with --cost-only');
  if (!fs.existsSync(path.join(root, 'src', 'handlers'))) throw new Error(`--root ${root}: no src/handlers there`);
  const load = Number(valueOf('--load') ?? (costOnly ? 0 : LOAD_DEFAULTS.webhooks));
  if (!Number.isInteger(load) || load < 0 || (load > 0 && (load < 100 || load % 10 !== 0))) {
    throw new Error('--load takes 0 (no load step) or a multiple of 10, at least 100 (its small run is a tenth of it)');
  }
  if (load > 0 && saveBaseline) throw new Error('--load does not go with --save-baseline');
  const noArchive = argv.includes('--no-archive');
  if (noArchive && (!costOnly || saveBaseline)) throw new Error('--no-archive goes with --cost-only, not with --save-baseline');
  return { quick: argv.includes('--quick'), runs, webhooks, costOnly, root, saveBaseline, load, noArchive };
}

function costOptions(options: Options, workDir: string) {
  return {
    root: options.root,
    workDir,
    webhooks: options.webhooks,
    awsLatencyMs: COST_DEFAULTS.awsLatencyMs,
    targetDelayMs: COST_DEFAULTS.targetDelayMs,
    dispatcherContainers: COST_DEFAULTS.dispatcherContainers,
    archive: !options.noArchive,
  };
}

/** This checkout's cost figures beside the baseline's; a handler tree that does not build or run is reported, not thrown. */
async function benchCostSection(options: Options, workDir: string, log: (line: string) => void): Promise<CostSection> {
  const before = readCostBaseline();
  try {
    return { after: await benchCost(costOptions(options, workDir), 'after', log), before };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`cost: the handlers of ${options.root} could not be measured: ${message}`);
    return { before, error: message.replace(/\s+/g, ' ').slice(0, 300) };
  }
}

/** The load step: a tenth of `--load`, then `--load`, on one chain. */
function benchLoadSection(options: Options, workDir: string, log: (line: string) => void): Promise<LoadSection> {
  return benchLoad({ root: options.root, workDir, volumes: [options.load / 10, options.load] }, log);
}

/** Writes the baseline as Prettier formats JSON (bench/baselines/ is linted). */
async function writeBaseline(run: CostRun): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Prettier 3's CommonJS entry
  const prettier = require('prettier') as typeof import('prettier');
  const config = (await prettier.resolveConfig(COST_BASELINE_FILE)) ?? {};
  fs.mkdirSync(path.dirname(COST_BASELINE_FILE), { recursive: true });
  fs.writeFileSync(COST_BASELINE_FILE, await prettier.format(JSON.stringify(run), { ...config, filepath: COST_BASELINE_FILE }));
}

async function costOnly(options: Options, workDir: string, log: (line: string) => void, context: string): Promise<void> {
  let cost: CostSection;
  let targets;
  if (options.saveBaseline) {
    const run = await benchCost(costOptions(options, workDir), 'before', log); // a failure here is the bench's failure
    cost = { after: run };
    targets = evaluateCostTargets(cost).slice(0, 1); // the chain check; the others compare with a baseline
    if (targets[0].pass) {
      await writeBaseline(run);
      log(`baseline written to ${path.relative(ROOT, COST_BASELINE_FILE)}`);
    } else log('the chain did not deliver every webhook once: no baseline written');
  } else {
    cost = await benchCostSection(options, workDir, log);
    targets = evaluateCostTargets(cost);
  }
  const loadSection = options.load > 0 ? await benchLoadSection(options, path.join(workDir, 'load'), log) : undefined;
  targets = [...targets, ...evaluateLoadTargets(loadSection)];
  process.stdout.write(`${[context, '', ...renderCost(cost), ...renderLoad(loadSection), ...targets.map(renderTarget)].join('\n')}\n`);
  const outFile = path.join(ROOT, 'bench', 'results', 'cost-latest.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(
    outFile,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), options, ...cost, load: loadSection, targets }, null, 2)}\n`,
  );
  log(`figures written to ${path.relative(ROOT, outFile)}`);
  if (targets.some((target) => !target.pass)) process.exitCode = 1;
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
    if (options.costOnly) {
      const context = `${machine.cpus} × ${machine.cpuModel ?? 'CPU'}, Node ${machine.node}; load average ${load(machine.loadAverage)} at start.`;
      await costOnly(options, path.join(workDir, 'cost'), log, context);
      return;
    }
    const phases = createPhaseSampler(ROOT, path.join(workDir, 'phases'));
    const synth = await benchSynth(ROOT, path.join(workDir, 'synth'), options.runs, log, phases.sampleRound);
    const synthPhases = phases.results();
    const handlers = await benchHandlers(
      { root: ROOT, workDir: path.join(workDir, 'handlers'), loadRuns: Math.max(7, options.runs), throughputRounds: options.runs },
      log,
    );
    const cost = await benchCostSection(options, path.join(workDir, 'cost'), log);
    const loadSection = options.load > 0 ? await benchLoadSection(options, path.join(workDir, 'load'), log) : undefined;
    // Lanes against the shared 0.2.0 design: a hung destination beside a healthy one.
    const isolation = await benchIsolation({ workDir: path.join(workDir, 'isolation'), registerCleanup: onInterrupt }, log);
    const unit = await benchSuite(ROOT, 'test:unit', 2, log);
    const full = options.quick ? undefined : await benchSuite(ROOT, 'test', 1, log);
    const results: BenchResults = { synth, synthPhases, handlers, unit, full, cost, load: loadSection };
    const targets = [...evaluateTargets(results), ...isolation.targets];

    const loadAtEnd = os.loadavg();
    const context = `${machine.cpus} × ${machine.cpuModel ?? 'CPU'}, Node ${machine.node}; load average ${load(machine.loadAverage)} at start, ${load(loadAtEnd)} at end; peak RSS${RSS_SOURCE === 'gnu-time' ? ' and CPU' : ''} from ${RSS_SOURCE}.`;
    process.stdout.write(`${renderReport(results, targets, context)}\n\n${renderIsolation(isolation).join('\n')}\n`);
    const outFile = path.join(ROOT, 'bench', 'results', 'latest.json');
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(
      outFile,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: loadAtEnd }, options, ...results, isolation, targets }, null, 2)}\n`,
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
