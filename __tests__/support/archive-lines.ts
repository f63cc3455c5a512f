import { ARCHIVE_RECORD_VERSION, type ArchivedAttempt, type ArchivedWebhook } from '../../src/history/archive-records';

/** Archive line `n` of a GitHub push, every field given; `fields` overrides any of them. */
export function archivedWebhook(n: number, fields: Partial<ArchivedWebhook> = {}): ArchivedWebhook {
  return {
    v: ARCHIVE_RECORD_VERSION,
    kind: 'webhook',
    webhook_id: `gh:d-${n}`,
    source: 'gh',
    delivery_id: `d-${n}`,
    event_type: 'push',
    received_at: '2026-01-01T00:00:00.000Z',
    processed_at: '2026-01-01T00:00:01.000Z',
    request_id: `req-${n}`,
    headers: { 'x-github-event': 'push' },
    body: `{"n":${n}}`,
    destinations: ['ci'],
    ...fields,
  };
}

/** A first attempt, delivered, at that push's destination `ci`; `fields` overrides any field. */
export function archivedAttempt(n: number, fields: Partial<ArchivedAttempt> = {}): ArchivedAttempt {
  return {
    v: ARCHIVE_RECORD_VERSION,
    kind: 'attempt',
    webhook_id: `gh:d-${n}`,
    source: 'gh',
    delivery_id: `d-${n}`,
    event_type: 'push',
    destination: 'ci',
    attempt: 1,
    outcome: 'delivered',
    last: false,
    status: 200,
    reason: null,
    duration_ms: 12,
    at: '2026-01-01T00:00:02.000Z',
    replay_id: null,
    ...fields,
  };
}
