import { FUNCTION_NAMES, type FunctionName } from '../src/contract';
import { type CostRun, startChain } from './cost';
import { type CostLine, costModel, LOG_EVENT_OVERHEAD_BYTES } from './cost-model';
import type { Target } from './report';

/**
 * The load step: thousands of signed webhooks through the same local chain as the cost step
 * (bench/cost.ts: the bundled handlers, each behind its counting proxy in front of moto, a loopback
 * destination), but with the three stages running at once, several containers each, as the event
 * source mappings scale out on a backlog. It checks that nothing is lost or delivered twice at
 * volume, measures the chain's end-to-end rate, and prices a webhook at two volumes to show the
 * cost per webhook does not grow with the volume.
 *
 * The rate is the local chain's, not AWS's: moto answers one request at a time, so it is the bound
 * here (docs/CAPACITY.md models the deployed limits).
 */

export const LOAD_DEFAULTS = {
  /** Webhooks in the large run (`--load N`). */
  webhooks: 5000,
  /** Webhooks in the small run it is compared with. */
  small: 500,
  /** Containers per handler: invocations side by side. */
  containers: { validator: 2, processor: 3, dispatcher: 5 } satisfies Record<FunctionName, number>,
  /** The destination answers at once, give or take this: the dispatcher's wait is the cost step's to measure. */
  targetDelayMs: 100,
  awsLatencyMs: 15,
  /** Cost per million at the large volume, over the small's, at most this. */
  maxCostGrowth: 0.05,
} as const;

export interface LoadSection {
  /** Smallest volume first. */
  readonly runs?: readonly CostRun[];
  readonly error?: string;
}

export interface LoadOptions {
  readonly root: string;
  readonly workDir: string;
  /** Volumes, run one after another on one chain. */
  readonly volumes: readonly number[];
}

export async function benchLoad(options: LoadOptions, log: (line: string) => void): Promise<LoadSection> {
  let chain;
  const runs: CostRun[] = [];
  try {
    chain = await startChain(
      {
        root: options.root,
        workDir: options.workDir,
        awsLatencyMs: LOAD_DEFAULTS.awsLatencyMs,
        targetDelayMs: LOAD_DEFAULTS.targetDelayMs,
      },
      'load',
      log,
    );
    for (const webhooks of [...options.volumes].sort((a, b) => a - b)) {
      runs.push(await chain.run({ webhooks, containers: LOAD_DEFAULTS.containers, pipelined: true }, `load ${webhooks}`));
    }
    return { runs };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`load: the chain could not be driven: ${message}`);
    // The runs that finished are still reported; the targets fail for want of the others.
    return { runs, error: message.replace(/\s+/g, ' ').slice(0, 300) };
  } finally {
    await chain?.stop();
  }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const usd = (value: number) => `$${value.toFixed(2)}`;
const concurrency = (run: CostRun) => sum(FUNCTION_NAMES.map((name) => run.containers?.[name] ?? 0));
const rate = (run: CostRun) => (run.wallMs ? run.accepted / (run.wallMs / 1000) : NaN);
const failedRecords = (run: CostRun) => sum(run.handlers.map((handler) => handler.failedRecords));
const invocationsPerWebhook = (run: CostRun) => sum(run.handlers.map((handler) => handler.invocations)) / run.accepted;
const logBytesPerWebhook = (run: CostRun) =>
  sum(run.handlers.map((handler) => handler.logBytes + LOG_EVENT_OVERHEAD_BYTES * handler.logLines)) / run.accepted;

/** Sent, accepted, delivered once each, none twice, none failed or left on a queue or DLQ. */
export function lostOrDuplicated(run: CostRun): { readonly lost: number; readonly duplicated: number } {
  const distinct = run.deliveredDistinct ?? run.delivered;
  return { lost: run.webhooks - distinct + run.leftOver, duplicated: run.delivered - distinct };
}

/** The model's lines that moved between two runs by more than a cent per million, largest first. */
function movedLines(small: CostRun, large: CostRun): string {
  const before = new Map(costModel(small).lines.map((line) => [line.item, line]));
  const moved = costModel(large)
    .lines.filter((line) => line.inTotal)
    .map((line) => ({ line, delta: line.usdPerMillion - (before.get(line.item) as CostLine).usdPerMillion }))
    .filter(({ delta }) => Math.abs(delta) >= 0.01)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
  return moved.length
    ? moved.map(({ line, delta }) => `${line.item.split(' (')[0]} ${delta > 0 ? '+' : '−'}${usd(Math.abs(delta))}`).join(', ')
    : 'no line moved by a cent per million';
}

export function evaluateLoadTargets(load: LoadSection | undefined): Target[] {
  if (!load) return [];
  const unmeasured = `not measured: ${load.error ?? 'no runs'}`;
  const runs = load.runs ?? [];
  const large = runs[runs.length - 1];
  const small = runs[0];
  const deliveredName = `load: ≥ ${LOAD_DEFAULTS.webhooks} webhooks through the chain, invocations side by side, each delivered exactly once (0 lost, 0 twice)`;
  const flatName = `load: cost per webhook flat with volume (large run within ${LOAD_DEFAULTS.maxCostGrowth * 100} % of the small)`;
  if (!large || !small || runs.length < 2 || load.error) {
    return [
      { name: deliveredName, pass: false, detail: unmeasured },
      { name: flatName, pass: false, detail: unmeasured },
    ];
  }
  const perRun = runs.map((run) => {
    const { lost, duplicated } = lostOrDuplicated(run);
    return `${run.webhooks}: ${run.delivered} delivered, ${lost} lost, ${duplicated} twice, ${failedRecords(run)} failed records`;
  });
  const clean = runs.every((run) => {
    const { lost, duplicated } = lostOrDuplicated(run);
    return lost === 0 && duplicated === 0 && run.accepted === run.webhooks && failedRecords(run) === 0;
  });
  const [smallCost, largeCost] = [costModel(small).usdPerMillion, costModel(large).usdPerMillion];
  const growth = largeCost / smallCost - 1;
  return [
    {
      name: deliveredName,
      pass: clean && large.webhooks >= LOAD_DEFAULTS.webhooks,
      detail: `${perRun.join('; ')}; ${concurrency(large)} containers (${FUNCTION_NAMES.map((name) => `${name} ${large.containers?.[name]}`).join(', ')}), ${rate(large).toFixed(0)} webhooks/s end to end on the local chain`,
      bound:
        large.webhooks < LOAD_DEFAULTS.webhooks
          ? `--load ${large.webhooks} is below ${LOAD_DEFAULTS.webhooks}`
          : 'every webhook is delivered, in a DLQ, or rejected with a logged reason',
    },
    {
      name: flatName,
      pass: Number.isFinite(growth) && growth <= LOAD_DEFAULTS.maxCostGrowth,
      detail: `${usd(smallCost)} at ${small.webhooks}, ${usd(largeCost)} at ${large.webhooks} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %); moved: ${movedLines(small, large)}`,
      bound: 'the Lambda duration grows with moto’s latency under load, not with the volume',
    },
  ];
}

export function renderLoad(load: LoadSection | undefined): string[] {
  if (!load) return [];
  if (!load.runs?.length) return [`Load: not measured (${load.error ?? 'no runs'}).`, ''];
  const runs = load.runs;
  const column = (run: CostRun) => `${run.webhooks} webhooks`;
  const row = (label: string, value: (run: CostRun) => string) => `| ${label} | ${runs.map(value).join(' | ')} |`;
  const first = runs[0];
  return [
    ...(load.error ? [`Load: stopped after ${runs.length} run${runs.length > 1 ? 's' : ''} (${load.error}).`, ''] : []),
    `Load: the three stages at once on the cost step's chain, ${FUNCTION_NAMES.map((name) => `${first.containers?.[name]} ${name}`).join(', ')} containers, ` +
      `every AWS call +${first.options.awsLatencyMs} ms, the destination answering after ${first.options.targetDelayMs} ms, the mappings' 1 s batching window; the rate is moto's bound, not AWS's (docs/CAPACITY.md).`,
    '',
    `| load | ${runs.map(column).join(' | ')} |`,
    `|---|${runs.map(() => '---:').join('|')}|`,
    row('delivered / distinct / lost', (run) => {
      const { lost } = lostOrDuplicated(run);
      return `${run.delivered} / ${run.deliveredDistinct ?? '?'} / ${lost}`;
    }),
    row('end to end, drained in', (run) => `${((run.wallMs ?? NaN) / 1000).toFixed(1)} s`),
    row('webhooks/s end to end', (run) => rate(run).toFixed(0)),
    row('invocations per webhook', (run) => invocationsPerWebhook(run).toFixed(3)),
    ...FUNCTION_NAMES.map((name) =>
      row(`${name}: Lambda ms per record`, (run) => (run.handlers.find((entry) => entry.name === name)?.msPerRecord ?? NaN).toFixed(1)),
    ),
    row("moto's own ms per call (median)", (run) => (run.motoMsPerCall?.median ?? NaN).toFixed(1)),
    row('handler log bytes per webhook', (run) => logBytesPerWebhook(run).toFixed(0)),
    row('**cost per million webhooks**', (run) => `**${usd(costModel(run).usdPerMillion)}**`),
    '',
  ];
}
