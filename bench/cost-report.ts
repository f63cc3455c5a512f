import { FUNCTION_NAMES } from '../src/contract';
import type { CostRun, HandlerCost } from './cost';
import { archiveBytesPerWebhook, costModel, LOG_EVENT_OVERHEAD_BYTES, requestsPerWebhook } from './cost-model';
import { ARCHIVE_PRICES_TAKEN_ON, PRICES_REGION, PRICES_TAKEN_ON } from './prices';
import type { Target } from './report';

/** The cost figures beside the recorded baseline's, and the issue's cost targets. */

export interface CostSection {
  /** This checkout's figures; absent when its handlers could not be run (see `error`). */
  readonly after?: CostRun;
  /** The recorded baseline (bench/baselines/), when there is one. */
  readonly before?: CostRun;
  readonly error?: string;
}

export const COST_TARGETS = {
  /** Billed AWS requests per accepted webhook, the three handlers together. */
  maxRequestsPerWebhook: 2.5,
  /** A dispatcher batch of ten to a destination answering in 1 s. */
  maxDispatcherBatchMs: 2000,
  /** Processor records/s at the modelled latency, over the baseline's. */
  minProcessorSpeedup: 3,
  /** The handlers' log lines and EMF documents, with CloudWatch's 26 bytes per event (issue 22). */
  maxLogBytesPerWebhook: 600,
  /** Dollars per million accepted webhooks, the model's total (issue 22). */
  maxUsdPerMillion: 5.75,
} as const;

const LOG_LINE = 'CloudWatch Logs: the handlers’ log lines and EMF metrics';
const LOG_TARGET = `handlers' log lines and EMF per accepted webhook ≤ ${COST_TARGETS.maxLogBytesPerWebhook} bytes`;
const USD_TARGET = `cost per million webhooks ≤ $${COST_TARGETS.maxUsdPerMillion.toFixed(2)}, everything a default deployment runs per webhook, the event archive included`;
const ARCHIVE_TARGET = 'archive: every accepted webhook and every attempt archived once';

const fixed = (digits: number) => (value: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 100 ? 1 : 0)} ms` : 'n/a');
const seconds = (value: number) => (Number.isFinite(value) ? `${(value / 1000).toFixed(2)} s` : 'n/a');
const usd = (value: number) => (Number.isFinite(value) ? `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}` : 'n/a');
const ratio = (after: number, before: number) =>
  Number.isFinite(after) && Number.isFinite(before) && before !== 0 ? `${(after / before).toFixed(2)} ×` : '';

function handler(run: CostRun, name: string): HandlerCost {
  const found = run.handlers.find((entry) => entry.name === name);
  if (!found) throw new Error(`cost run ${run.label} has no ${name}`);
  return found;
}

/** `sqs:SendMessage 1.00, ssm:GetParameter 0.005` per accepted webhook. */
function callsOf(run: CostRun, name: string): string {
  return (
    handler(run, name)
      .actions.map(
        (action) => `${action.service}:${action.action} ${(action.calls / run.accepted).toFixed(action.calls < run.accepted ? 3 : 2)}`,
      )
      .join(', ') || 'none'
  );
}

export function evaluateCostTargets(cost: CostSection | undefined): Target[] {
  if (!cost) return [];
  const { after, before } = cost;
  const unmeasured = `not measured: ${cost.error ?? 'no figures'}`;
  if (!after) {
    return [
      { name: `billed AWS requests per accepted webhook ≤ ${COST_TARGETS.maxRequestsPerWebhook}`, pass: false, detail: unmeasured },
      { name: 'dispatcher batch of 10 to a 1 s destination ≤ 2 s', pass: false, detail: unmeasured },
      {
        name: `processor records/s at the modelled latency ≥ ${COST_TARGETS.minProcessorSpeedup} × baseline`,
        pass: false,
        detail: unmeasured,
      },
      { name: LOG_TARGET, pass: false, detail: unmeasured },
      { name: USD_TARGET, pass: false, detail: unmeasured },
      { name: ARCHIVE_TARGET, pass: false, detail: unmeasured },
    ];
  }
  const model = costModel(after);
  const logLine = model.lines.find((line) => line.item === LOG_LINE);
  const logBytes = logLine?.perWebhook ?? NaN;
  const byHandler = FUNCTION_NAMES.map((name) => {
    const entry = handler(after, name);
    return `${name} ${((entry.logBytes + LOG_EVENT_OVERHEAD_BYTES * entry.logLines) / after.accepted).toFixed(0)}`;
  }).join(', ');
  const biggest = [...model.lines]
    .filter((line) => line.inTotal)
    .sort((a, b) => b.usdPerMillion - a.usdPerMillion)
    .slice(0, 3)
    .map((line) => `${line.item.split(':')[0]} ${usd(line.usdPerMillion)}`)
    .join(', ');
  const notInTotal = model.lines
    .filter((line) => !line.inTotal && /X-Ray/.test(line.item))
    .map((line) => `X-Ray at 5 % sampling ${usd(line.usdPerMillion)}`)
    .join('');
  const archiveUsd = model.lines
    .filter((line) => line.inTotal && ARCHIVE_LINE.test(line.item))
    .reduce((total, line) => total + line.usdPerMillion, 0);
  const requests = requestsPerWebhook(after);
  const breakdown = FUNCTION_NAMES.map((name) => `${name} ${fixed(2)(requests.byHandler[name])}`).join(', ');
  const failed = after.handlers.reduce((total, entry) => total + entry.failedRecords, 0);
  const chainOk =
    after.accepted === after.webhooks &&
    after.delivered === after.accepted &&
    (after.deliveredDistinct ?? after.delivered) === after.delivered &&
    failed === 0 &&
    after.leftOver === 0;
  const batch = after.dispatcherBatchMs;
  const speedup = before ? after.processorRecordsPerSecond / before.processorRecordsPerSecond : NaN;
  return [
    {
      name: 'cost chain: every webhook accepted, delivered once, none failed or left queued',
      pass: chainOk,
      detail: `${after.webhooks} sent, ${after.accepted} accepted, ${after.delivered} delivered, ${failed} failed records, ${after.leftOver} left on queues`,
    },
    {
      name: `billed AWS requests per accepted webhook ≤ ${COST_TARGETS.maxRequestsPerWebhook}`,
      pass: requests.total <= COST_TARGETS.maxRequestsPerWebhook,
      detail: `${requests.total.toFixed(2)} (${breakdown})`,
      bound: FUNCTION_NAMES.map((name) => `${name}: ${callsOf(after, name)}`).join('; '),
    },
    {
      name: `dispatcher batch of 10 to a ${seconds(after.options.targetDelayMs)} destination ≤ ${seconds(COST_TARGETS.maxDispatcherBatchMs)}`,
      pass: batch !== null && after.options.targetDelayMs >= 1000 && batch.median <= COST_TARGETS.maxDispatcherBatchMs,
      detail: batch ? `${seconds(batch.median)} (median of ${batch.n}, max ${seconds(batch.max)})` : 'no warm full batch measured',
      bound: 'the dispatcher POSTs a batch’s records one after another',
    },
    {
      name: `processor records/s at the modelled latency ≥ ${COST_TARGETS.minProcessorSpeedup} × baseline`,
      pass: Number.isFinite(speedup) && speedup >= COST_TARGETS.minProcessorSpeedup,
      detail: before
        ? `${speedup.toFixed(2)} × (${after.processorRecordsPerSecond.toFixed(1)} vs ${before.processorRecordsPerSecond.toFixed(1)} records/s)`
        : 'no baseline recorded (bench/baselines/)',
      bound: `processor: ${callsOf(after, 'processor')} per record, each +${after.options.awsLatencyMs} ms`,
    },
    {
      name: LOG_TARGET,
      pass: Number.isFinite(logBytes) && logBytes <= COST_TARGETS.maxLogBytesPerWebhook,
      detail: `${fixed(0)(logBytes)} bytes (${byHandler}; ${after.handlers.reduce((total, entry) => total + entry.logLines, 0)} lines for ${after.accepted} webhooks)`,
      bound: 'one summary line and one EMF document per invocation and handler; failures log in full',
    },
    {
      name: USD_TARGET,
      pass: Number.isFinite(model.usdPerMillion) && model.usdPerMillion <= COST_TARGETS.maxUsdPerMillion,
      detail:
        `${usd(model.usdPerMillion)} (biggest: ${biggest}; archive ${usd(archiveUsd)}; not in it: ${notInTotal || 'X-Ray n/a'}, data transfer out` +
        `${model.fixedMonthly.length ? `, the archive's fixed ${usd(model.usdPerMonthFixed)} a month` : ''})`,
      bound: 'API Gateway’s $3.50 per million requests is fixed',
    },
    archiveTarget(after),
  ];
}

/** The archive's lines per million, in the total. */
const ARCHIVE_LINE = /^(Firehose|S3):/;

/** Every accepted webhook has one webhook line, every delivery one attempt line, nothing else. */
function archiveTarget(run: CostRun): Target {
  const archive = run.archive;
  if (!archive) return { name: ARCHIVE_TARGET, pass: false, detail: 'no archive read back (handlers without one?)' };
  const { webhook, attempt } = archive.kinds;
  const pass =
    webhook.lines === run.accepted &&
    archive.webhooksArchived === run.accepted &&
    archive.webhooksArchivedTwice === 0 &&
    attempt.lines === run.delivered &&
    archive.attemptsArchived === run.delivered &&
    archive.attemptsArchivedTwice === 0 &&
    archive.strayLines === 0;
  return {
    name: ARCHIVE_TARGET,
    pass,
    detail:
      `${webhook.lines} webhook lines for ${run.accepted} accepted (${archive.webhooksArchived} distinct, ${archive.webhooksArchivedTwice} twice), ` +
      `${attempt.lines} attempt lines for ${run.delivered} deliveries (${archive.attemptsArchived} distinct, ${archive.attemptsArchivedTwice} twice), ` +
      `${archive.strayLines} stray; ${webhook.objects + attempt.objects} objects from ${webhook.calls + attempt.calls} PutRecordBatch calls`,
  };
}

/** The archive's monthly part, beside the per-million total (prices of ARCHIVE_PRICES_TAKEN_ON). */
function fixedMonthlyTable(run: CostRun, model: ReturnType<typeof costModel>): string[] {
  if (model.fixedMonthly.length === 0) return [];
  const archive = run.archive!;
  const perKind = (Object.keys(archive.kinds) as (keyof typeof archive.kinds)[])
    .map((kind) => {
      const figures = archive.kinds[kind];
      return `${kind}s ${figures.records} records in ${figures.calls} calls, ${fixed(0)(figures.dataBytes / Math.max(1, figures.records))} B a record`;
    })
    .join('; ');
  return [
    `Not in the total: the archive's fixed part, ${usd(model.usdPerMonthFixed)} a month whatever the volume (prices of ${ARCHIVE_PRICES_TAKEN_ON}). Firehose: ${perKind}.`,
    '',
    '| fixed, per month | units | $ a month | why not per webhook |',
    '|---|---:|---:|---|',
    ...model.fixedMonthly.map(
      (line) => `| ${line.item} | ${line.unitsPerMonth.toLocaleString('en-US')} ${line.unit} | ${usd(line.usdPerMonth)} | ${line.why} |`,
    ),
    '',
  ];
}

export function renderCost(cost: CostSection | undefined): string[] {
  if (!cost) return [];
  const { after, before } = cost;
  if (!after) return [`Cost per webhook: not measured (${cost.error ?? 'no figures'}).`, ''];
  const runs = before ? [before, after] : [after];
  const column = (run: CostRun) => `${run.label} (${run.commit})`;
  const header = `| per accepted webhook | ${runs.map(column).join(' | ')} |${before ? ' after / before |' : ''}`;
  const align = `|---|${runs.map(() => '---:').join('|')}|${before ? '---:|' : ''}`;
  const row = (label: string, value: (run: CostRun) => number, format: (value: number) => string) =>
    `| ${label} | ${runs.map((run) => format(value(run))).join(' | ')} |${before ? ` ${ratio(value(after), value(before))} |` : ''}`;
  const models = new Map(runs.map((run) => [run, costModel(run)]));
  const { options } = after;
  const lines = [
    `Cost per webhook: ${after.webhooks} signed GitHub pushes (${(after.messageBytes.ingest / 1000).toFixed(1)} KB ingest messages) through the bundled handlers, ` +
      `every AWS call +${options.awsLatencyMs} ms (moto's own: median ${ms(after.motoMsPerCall?.median ?? NaN)}), the destination answering after ${seconds(options.targetDelayMs)}; ` +
      `${handler(after, 'dispatcher').containers} dispatcher containers side by side. Lambda ms are warm invocations' wall time; prices ${PRICES_REGION}, ${PRICES_TAKEN_ON} (bench/prices.ts, docs/COST.md).`,
    `Load average (1, 5, 15 min) at the start of each run: ${runs.map((run) => `${run.label} ${run.loadAverage.start.map((value) => value.toFixed(2)).join(' ')}`).join('; ')}.`,
    '',
    header,
    align,
    ...FUNCTION_NAMES.map((name) => row(`${name}: billed AWS requests`, (run) => requestsPerWebhook(run).byHandler[name], fixed(2))),
    row('**all three: billed AWS requests**', (run) => requestsPerWebhook(run).total, fixed(2)),
    ...FUNCTION_NAMES.map((name) => row(`${name}: Lambda ms per record`, (run) => handler(run, name).msPerRecord, ms)),
    ...FUNCTION_NAMES.map((name) => row(`${name}: CPU ms per record`, (run) => handler(run, name).cpuMsPerRecord, ms)),
    row('processor: records/s (one invocation at a time)', (run) => run.processorRecordsPerSecond, fixed(1)),
    row(
      `dispatcher: batch of 10, destination ${seconds(options.targetDelayMs)} (median)`,
      (run) => run.dispatcherBatchMs?.median ?? NaN,
      seconds,
    ),
    ...FUNCTION_NAMES.map((name) => row(`${name}: log bytes`, (run) => handler(run, name).logBytes / run.accepted, fixed(0))),
    row('archive: raw bytes (webhook + attempt lines)', (run) => archiveBytesPerWebhook(run)?.raw ?? NaN, fixed(0)),
    row('archive: GZIP bytes (level 6, per object)', (run) => archiveBytesPerWebhook(run)?.gzip ?? NaN, fixed(0)),
    row('archive: GZIP bytes, all objects as one (at volume)', (run) => archiveBytesPerWebhook(run)?.gzipOneObject ?? NaN, fixed(0)),
    row(
      'archive: Firehose billed bytes (records rounded up to 5 KB)',
      (run) => archiveBytesPerWebhook(run)?.firehoseBilled ?? NaN,
      fixed(0),
    ),
    row('**cost per million webhooks**', (run) => models.get(run)!.usdPerMillion, usd),
    '',
    `| AWS requests per accepted webhook, by action | ${runs.map(column).join(' | ')} |`,
    `|---|${runs.map(() => '---').join('|')}|`,
    ...FUNCTION_NAMES.map((name) => `| ${name} | ${runs.map((run) => callsOf(run, name)).join(' | ')} |`),
    '',
    `| cost per million webhooks | basis | ${runs.map((run) => `units per webhook, ${column(run)}`).join(' | ')} | ${runs.map(column).join(' | ')} |`,
    `|---|---|${runs.map(() => '---:').join('|')}|${runs.map(() => '---:').join('|')}|`,
    ...[...new Set(runs.flatMap((run) => models.get(run)!.lines.map((line) => line.item)))].map((item) => {
      const entries = runs.map((run) => models.get(run)!.lines.find((line) => line.item === item));
      const basis = entries.find((entry) => entry)!.basis;
      const units = entries.map((entry) =>
        entry ? `${entry.perWebhook < 10 ? entry.perWebhook.toFixed(3) : entry.perWebhook.toFixed(0)} ${entry.unit}` : '–',
      );
      const dollars = entries.map((entry) => (entry ? usd(entry.usdPerMillion) : '–'));
      return `| ${item} | ${basis} | ${units.join(' | ')} | ${dollars.join(' | ')} |`;
    }),
    `| **total** | | ${runs.map(() => '').join(' | ')} | ${runs.map((run) => `**${usd(models.get(run)!.usdPerMillion)}**`).join(' | ')} |`,
    '',
    ...fixedMonthlyTable(after, models.get(after)!),
  ];
  return lines;
}
