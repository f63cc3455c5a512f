/**
 * What the commands print: a table and a footnote for people, one JSON document for scripts,
 * one line per change.
 */
import type { ChangeResult, LaneStatus } from './lanes';

const UNITS: ReadonlyArray<readonly [seconds: number, name: string]> = [
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** A whole number of the largest unit that divides `seconds`: 345600 → "4 days", 5400 → "90 minutes". */
export function formatDuration(seconds: number): string {
  const [unit, name] = UNITS.find(([size]) => seconds >= size && seconds % size === 0) ?? [1, 'second'];
  const amount = Math.round(seconds / unit);
  return `${amount} ${name}${amount === 1 ? '' : 's'}`;
}

/** "3 queued, 1 in flight, 0 delayed": what waits in a lane. */
export function describeMessages({ messages }: LaneStatus): string {
  return `${messages.visible} queued, ${messages.inFlight} in flight, ${messages.delayed} delayed`;
}

/** Columns padded to their widest cell; `right` holds the columns aligned right. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (right.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const HEADERS = ['DESTINATION', 'STATE', 'QUEUED', 'IN FLIGHT', 'DELAYED', 'DLQ', 'KEEPS MESSAGES'] as const;
/** Counts read better right-aligned. */
const RIGHT = new Set([2, 3, 4, 5]);

/** The lanes as a table, with a footnote for the columns and for every lane that is not delivering. */
export function laneTable(statuses: readonly LaneStatus[]): string {
  if (statuses.length === 0) return 'No delivery lanes: the deployment has no destinations.\n';
  const rows = statuses.map((s) => [
    s.lane.name,
    s.state,
    String(s.messages.visible),
    String(s.messages.inFlight),
    String(s.messages.delayed),
    String(s.deadLetters),
    formatDuration(s.messages.retentionSeconds),
  ]);
  const notes = ['In flight: being delivered, or waiting out a retry backoff. DLQ: in the lane’s dead-letter queue.'];
  for (const s of statuses) {
    if (s.state === 'active') continue;
    notes.push(
      `${s.lane.name} is ${s.state}: nothing is delivered to it; its lane keeps messages ${formatDuration(s.messages.retentionSeconds)}, so resume it before its oldest message is that old.`,
    );
  }
  return [table(HEADERS, rows, RIGHT), '', ...notes, ''].join('\n');
}

/** The lanes for `--json`. */
export function lanesJson(statuses: readonly LaneStatus[]): object {
  return { lanes: statuses.map(statusJson) };
}

function statusJson(s: LaneStatus) {
  return {
    destination: s.lane.name,
    state: s.state,
    mappingState: s.mappingState,
    messages: { visible: s.messages.visible, inFlight: s.messages.inFlight, delayed: s.messages.delayed },
    deadLetterMessages: s.deadLetters,
    retentionSeconds: s.messages.retentionSeconds,
    queueUrl: s.lane.queueUrl,
    deadLetterQueueUrl: s.lane.deadLetterQueueUrl,
    eventSourceMappingUuid: s.lane.eventSourceMappingUuid,
  };
}

/** One line: what a pause or a resume changed (or that it changed nothing) and what is queued. */
export function changeLine(result: ChangeResult, action: 'pause' | 'resume'): string {
  const { after, before, changed, waitedMs } = result;
  const name = after.lane.name;
  const keeps = formatDuration(after.messages.retentionSeconds);
  const dlq = `${after.deadLetters} in its DLQ`;
  const done = action === 'pause' ? 'paused' : 'active';
  const waited = `${Math.round(waitedMs / 1000)} s`;
  if (!changed && before === done) {
    const waiting =
      action === 'pause' ? `${describeMessages(after)} wait in its lane, which keeps messages ${keeps}` : describeMessages(after);
    return `${name} is already ${done}: nothing changed; ${waiting}; ${dlq}.`;
  }
  const how = changed ? `was ${before}, ${waited}` : `was already ${before}, settled in ${waited}`;
  if (action === 'pause') {
    return `${name} paused (${how}): ${describeMessages(after)} wait in its lane, which keeps messages ${keeps}; ${dlq}.`;
  }
  return `${name} resumed (${how}): delivering ${describeMessages(after)}; ${dlq}.`;
}

/** A pause or resume for `--json`. */
export function changeJson(result: ChangeResult, action: 'pause' | 'resume'): object {
  return {
    action,
    changed: result.changed,
    before: result.before,
    waitedSeconds: Math.round(result.waitedMs / 100) / 10,
    ...statusJson(result.after),
  };
}
