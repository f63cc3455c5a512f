import { type CostSection, evaluateCostTargets, renderCost } from './cost-report';
import type { HandlerResult } from './handlers';
import { evaluateLoadTargets, type LoadSection, renderLoad } from './load';
import type { Stats } from './measure';
import type { SynthResult, VariantResult } from './synth';
import { PHASE_LABELS, PHASES, type PhasesResult } from './synth-phases';
import type { SuiteResult } from './tests';

/** The figures as a Markdown table, and the issue's targets judged against them. */

export interface BenchResults {
  readonly synth: SynthResult;
  /** The same synthesis phase by phase, Node source maps on (as esbuild-register leaves them) and off. */
  readonly synthPhases: readonly PhasesResult[];
  readonly handlers: readonly HandlerResult[];
  readonly unit: SuiteResult;
  readonly full?: SuiteResult;
  /** What a webhook costs, before (the recorded baseline) and after (this checkout). */
  readonly cost?: CostSection;
  /** The load step: the chain at two volumes, stages side by side. */
  readonly load?: LoadSection;
}

export interface Target {
  readonly name: string;
  readonly pass: boolean;
  /** The figure against the limit. */
  readonly detail: string;
  /** What bounds the figure, when that is worth saying. */
  readonly bound?: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** A difference of two medians; one at or below zero is noise, not a saving. */
const adds = (what: string, ms: number, unit: (value: number) => string) =>
  ms > 0 ? `${what}: +${unit(ms)}` : `${what}: no measurable cost (${unit(ms)})`;
const millis = (ms: number) => `${ms.toFixed(0)} ms`;
const megabytes = (kib: number) => `${((kib * 1024) / 1e6).toFixed(0)} MB`;
const range = (s: Stats, unit: (value: number) => string) => `${unit(s.min)} – ${unit(s.max)}`;

const slowest = (suite: SuiteResult) => suite.slowestFiles.map((entry) => `${entry.file} ${seconds(entry.ms)}`).join(', ') || 'unknown';

function variant(results: BenchResults, key: string): VariantResult {
  const found = results.synth.variants.find((entry) => entry.key === key);
  if (!found) throw new Error(`no synth variant ${key}`);
  return found;
}

export function evaluateTargets(results: BenchResults): Target[] {
  const synth = variant(results, 'synth');
  const stock = variant(results, 'stock');
  const floor = variant(results, 'floor');
  const ratio = synth.wallMs.median / stock.wallMs.median;
  const [withMaps, withoutMaps] = results.synthPhases;
  const slowestPhases = [...PHASES].sort((a, b) => withMaps.phasesMs[b].median - withMaps.phasesMs[a].median).slice(0, 2);
  const aboveFloor =
    `of ${millis(withMaps.totalMs.median)} in phases, ${slowestPhases.map((phase) => `${PHASE_LABELS[phase]} ${millis(withMaps.phasesMs[phase].median)}`).join(', ')}; ` +
    `${adds('Node source maps', withMaps.totalMs.median - withoutMaps.totalMs.median, millis)}; the floor is ${seconds(floor.wallMs.median)}`;
  const targets: Target[] = [
    {
      name: 'synth ≤ 0.10 × stock',
      pass: ratio <= 0.1,
      detail: `${ratio.toFixed(3)} × (${seconds(synth.wallMs.median)} vs ${seconds(stock.wallMs.median)})`,
      bound: aboveFloor,
    },
    { name: 'synth ≤ 1.0 s', pass: synth.wallMs.median <= 1000, detail: seconds(synth.wallMs.median), bound: aboveFloor },
    synth.peakRssKb
      ? {
          name: 'synth peak RSS ≤ 200 MB',
          pass: (synth.peakRssKb.max * 1024) / 1e6 <= 200,
          detail: `${megabytes(synth.peakRssKb.max)} (worst run)`,
          bound: floor.peakRssKb ? `floor ${megabytes(floor.peakRssKb.median)}` : undefined,
        }
      : { name: 'synth peak RSS ≤ 200 MB', pass: false, detail: 'not measured (no /usr/bin/time, no /proc)' },
    {
      name: 're-synth reuses unchanged handler bundles',
      pass: results.synth.bundlesReused,
      detail: results.synth.bundlesReused ? 'yes' : 'no: a zip or cache manifest was rewritten',
    },
    {
      name: 'synthesized JSON byte-identical across runs',
      pass: results.synth.deterministic,
      detail: `deterministic: ${results.synth.deterministic ? 'yes' : 'no'}`,
    },
    {
      name: 'unit-test suite ≤ 20 s',
      pass: results.unit.passed && results.unit.wallMs.median <= 20_000,
      detail: `${seconds(results.unit.wallMs.median)}${results.unit.passed ? '' : ' (suite failed)'}`,
      bound: `slowest files ${slowest(results.unit)}`,
    },
  ];
  for (const handler of results.handlers) {
    targets.push({
      name: `${handler.name} zip ≤ 250 KB`,
      pass: handler.zipBytes <= 250_000,
      detail: `${(handler.zipBytes / 1000).toFixed(1)} KB`,
    });
    targets.push({
      name: `${handler.name} cold module load ≤ 150 ms`,
      pass: handler.coldLoadMs.median <= 150,
      detail: millis(handler.coldLoadMs.median),
      bound: `${millis(handler.sdkLoadMs.median)} of it is require() of the external ${handler.externals.join(', ')}`,
    });
  }
  targets.push(...evaluateCostTargets(results.cost));
  targets.push(...evaluateLoadTargets(results.load));
  return targets;
}

export const renderTarget = (target: Target) =>
  `${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.detail}${!target.pass && target.bound ? ` — bound: ${target.bound}` : ''}`;

export function renderReport(results: BenchResults, targets: readonly Target[], context: string): string {
  const synth = variant(results, 'synth');
  const stock = variant(results, 'stock');
  const note: Record<string, string> = {
    synth: `${(synth.wallMs.median / stock.wallMs.median).toFixed(3)} × stock${synth.cpuMs && stock.cpuMs ? ` (CPU ${(synth.cpuMs.median / stock.cpuMs.median).toFixed(3)} ×)` : ''}; deterministic: ${results.synth.deterministic ? 'yes' : 'no'}; bundles reused: ${results.synth.bundlesReused ? 'yes' : 'no'}`,
    npmSynth: adds('npm', variant(results, 'npmSynth').wallMs.median - synth.wallMs.median, millis),
    cliApp: adds('the CLI', variant(results, 'cliApp').wallMs.median - synth.wallMs.median, seconds),
    stock: `1 ×; same JSON as ours: ${results.synth.sameJsonEverywhere ? 'yes' : 'no'}`,
    tsNode: adds(
      'ts-node (type-checks) over our transpile-only path',
      variant(results, 'tsNode').wallMs.median - synth.wallMs.median,
      seconds,
    ),
    floor: `${results.synth.providerModules.length} modules derived from stacks/ and src/`,
    barrel: 'what one barrel import would cost instead',
  };
  const runs = synth.wallMs.n;
  const lines = [
    context,
    '',
    `| synthesis (median of ${runs}, interleaved) | wall | min – max | CPU | peak RSS | note |`,
    '|---|---:|---:|---:|---:|---|',
    ...results.synth.variants.map(
      (entry) =>
        `| ${entry.label} | ${seconds(entry.wallMs.median)} | ${range(entry.wallMs, seconds)} | ${entry.cpuMs ? seconds(entry.cpuMs.median) : 'n/a'} | ${entry.peakRssKb ? megabytes(entry.peakRssKb.median) : 'n/a'} | ${note[entry.key] ?? ''} |`,
    ),
    '',
    `| where synth's time goes (median of ${runs}) | ${results.synthPhases.map((entry) => `source maps ${entry.sourceMaps}`).join(' | ')} |`,
    `|---|${results.synthPhases.map(() => '---:').join('|')}|`,
    ...PHASES.map(
      (phase) => `| ${PHASE_LABELS[phase]} | ${results.synthPhases.map((entry) => millis(entry.phasesMs[phase].median)).join(' | ')} |`,
    ),
    `| total | ${results.synthPhases.map((entry) => millis(entry.totalMs.median)).join(' | ')} |`,
    '',
    `| handler (bundled zip) | zip | cold module load | min – max | of which AWS SDK | records/s on moto | min – max | CPU per record |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.handlers.map(
      (handler) =>
        `| ${handler.name} | ${(handler.zipBytes / 1000).toFixed(1)} KB | ${millis(handler.coldLoadMs.median)} | ${range(handler.coldLoadMs, millis)} | ${millis(handler.sdkLoadMs.median)} | ${handler.recordsPerSecond.median.toFixed(0)}${handler.failedRecords ? ` (${handler.failedRecords} failed)` : ''} | ${range(handler.recordsPerSecond, (value) => value.toFixed(0))} | ${handler.cpuMsPerRecord.toFixed(2)} ms |`,
    ),
    '',
    ...renderCost(results.cost),
    ...renderLoad(results.load),
    "| test suite | wall | runs | files | result | slowest files (Jest's time) |",
    '|---|---:|---:|---:|---|---|',
    ...[results.unit, results.full].flatMap((suite) =>
      suite
        ? [
            `| \`npm run ${suite.script}\` | ${seconds(suite.wallMs.median)} | ${suite.wallMs.n} | ${suite.testFiles ?? '?'} | ${suite.passed ? 'passed' : 'FAILED'} | ${slowest(suite)} |`,
          ]
        : [],
    ),
    ...(results.full ? [] : ['| `npm test` | skipped (--quick) | | | | |']),
    '',
    ...targets.map(renderTarget),
  ];
  return lines.join('\n');
}
