/** What `events`, `replay` and `dlq` print: tables and lines for people, documents for scripts. */
import type { ArchivedAttempt } from '../history/archive-records';
import type { ArchivedEvent, DestinationHistory } from './archive';
import { type DlqMessageInfo, type DlqSource, type LastFailure, sourceLabel } from './dlq';
import type { ReceivedMessage } from './queues';
import { table } from './format';
import { shortTime } from './time';

/** `crm failed ×3 (http-503)`: a destination's status, its attempts when more than one, its last reason unless delivered. */
export function destinationSummary(destination: DestinationHistory): string {
  const count = destination.attempts.length > 1 ? ` ×${destination.attempts.length}` : '';
  const last = destination.attempts[destination.attempts.length - 1];
  const reason = destination.status !== 'delivered' && last?.reason ? ` (${last.reason})` : '';
  return `${destination.name} ${destination.status}${count}${reason}`;
}

export function eventsTable(events: readonly ArchivedEvent[]): string {
  const rows = events.map(({ webhook, destinations }) => [
    shortTime(webhook.received_at),
    webhook.webhook_id,
    webhook.event_type ?? '-',
    destinations.length ? destinations.map(destinationSummary).join(', ') : 'unrouted',
  ]);
  return table(['RECEIVED', 'WEBHOOK ID', 'TYPE', 'DESTINATIONS'], rows);
}

const attemptJson = (attempt: ArchivedAttempt) => ({
  destination: attempt.destination,
  attempt: attempt.attempt,
  outcome: attempt.outcome,
  last: attempt.last,
  status: attempt.status,
  reason: attempt.reason,
  durationMs: attempt.duration_ms,
  at: attempt.at,
  webhookId: attempt.webhook_id,
  replayId: attempt.replay_id,
});

/** An event for `--json`: its webhook's metadata and each destination's status; `full` adds headers, body and attempts. */
export function eventJson(event: ArchivedEvent, full = false): object {
  const { webhook } = event;
  return {
    webhookId: webhook.webhook_id,
    source: webhook.source,
    deliveryId: webhook.delivery_id,
    type: webhook.event_type,
    receivedAt: webhook.received_at,
    processedAt: webhook.processed_at,
    requestId: webhook.request_id,
    destinations: event.destinations.map((d) => ({
      name: d.name,
      status: d.status,
      attempts: d.attempts.length,
      lastAttemptAt: d.attempts[d.attempts.length - 1]?.at ?? null,
      lastStatus: d.attempts[d.attempts.length - 1]?.status ?? null,
      lastReason: d.attempts[d.attempts.length - 1]?.reason ?? null,
    })),
    ...(full ? { headers: webhook.headers, body: webhook.body, attempts: event.attempts.map(attemptJson) } : {}),
  };
}

/** One event in full, for `events show`: metadata, headers, body, and every attempt in time order. */
export function eventDetail(event: ArchivedEvent): string {
  const { webhook } = event;
  const lines = [
    `${webhook.webhook_id}  ${webhook.event_type ?? '(no type)'}`,
    `  received   ${shortTime(webhook.received_at)}   processed ${shortTime(webhook.processed_at)}   request ${webhook.request_id ?? '-'}`,
    `  routed to  ${webhook.destinations.length ? webhook.destinations.join(', ') : 'nothing (unrouted)'}`,
    `  status     ${event.destinations.length ? event.destinations.map(destinationSummary).join(', ') : '-'}`,
    '',
    'Headers',
    ...Object.entries(webhook.headers)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `  ${name}: ${value}`),
    '',
    `Body (${Buffer.byteLength(webhook.body)} bytes)`,
    ...webhook.body.split('\n').map((line) => `  ${line}`),
    '',
  ];
  if (event.attempts.length === 0) {
    lines.push('Attempts: none yet');
  } else {
    lines.push('Attempts');
    const rows = event.attempts.map((a) => [
      shortTime(a.at),
      a.destination,
      String(a.attempt),
      a.last && a.outcome === 'failed' ? 'failed (last)' : a.outcome,
      a.status === null ? '-' : String(a.status),
      a.reason ?? '-',
      a.duration_ms === null ? '-' : String(a.duration_ms),
      a.replay_id ?? '-',
    ]);
    lines.push(
      table(['AT', 'DESTINATION', 'ATTEMPT', 'OUTCOME', 'STATUS', 'REASON', 'MS', 'REPLAY'], rows, new Set([2, 4, 6]))
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `503 http-503 (attempt 8)`, `destination-gone`, `-`. */
export function failureText(failure: LastFailure | undefined): string {
  if (!failure) return '-';
  const parts = [failure.status === null ? undefined : String(failure.status), failure.reason ?? undefined].filter(Boolean);
  const attempt = failure.attempt ? ` (attempt ${failure.attempt.attempt})` : '';
  return `${parts.join(' ') || '-'}${attempt}`;
}

export interface DlqRow {
  readonly source: DlqSource;
  readonly message: ReceivedMessage;
  readonly info: DlqMessageInfo;
  readonly failure?: LastFailure;
  /** Where a redrive sends it. */
  readonly target?: string;
}

const queueName = (url: string | undefined): string => (url ? url.slice(url.lastIndexOf('/') + 1) : '(none)');

export function dlqTable(rows: readonly DlqRow[], withTarget: boolean): string {
  const headers = ['DLQ', 'SENT', 'RECEIVES', 'WEBHOOK ID', 'DESTINATION', 'TYPE', 'LAST FAILURE', ...(withTarget ? ['TO'] : [])];
  const cells = rows.map((row) => [
    sourceLabel(row.source),
    shortTime(new Date(row.message.sentAt)),
    String(row.message.receiveCount),
    row.info.webhookId ?? (row.info.kind === 'unreadable' ? '(unreadable body)' : (row.info.deliveryId ?? '-')),
    row.info.destination ?? '-',
    row.info.type || '-',
    failureText(row.failure),
    ...(withTarget ? [queueName(row.target)] : []),
  ]);
  return table(headers, cells, new Set([2]));
}

export function dlqJson(row: DlqRow): object {
  return {
    dlq: sourceLabel(row.source),
    dlqUrl: row.source.url,
    messageId: row.message.messageId,
    sentAt: new Date(row.message.sentAt).toISOString(),
    receiveCount: row.message.receiveCount,
    kind: row.info.kind,
    webhookId: row.info.webhookId ?? null,
    source: row.info.source ?? null,
    deliveryId: row.info.deliveryId ?? null,
    destination: row.info.destination ?? null,
    type: row.info.type ?? null,
    lastFailure: row.failure
      ? {
          status: row.failure.status,
          reason: row.failure.reason,
          attempt: row.failure.attempt?.attempt ?? null,
          at: row.failure.attempt?.at ?? null,
        }
      : null,
    redriveTo: row.target ?? null,
    body: row.message.body,
  };
}
