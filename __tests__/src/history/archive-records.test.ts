import { gzipSync } from 'node:zlib';
import {
  type ArchivedAttempt,
  type ArchivedWebhook,
  archiveHourFolder,
  archiveLine,
  archiveObjectText,
  isGzip,
  parseArchiveLines,
  webhookIdOf,
} from '../../../src/history/archive-records';

const webhook: ArchivedWebhook = {
  v: 1,
  kind: 'webhook',
  webhook_id: webhookIdOf('stripe', 'evt_1'),
  source: 'stripe',
  delivery_id: 'evt_1',
  event_type: 'invoice.paid',
  received_at: '2026-12-01T10:00:00.000Z',
  processed_at: '2026-12-01T10:00:01.000Z',
  request_id: 'req-1',
  headers: { 'stripe-signature': 't=1,v1=ab' },
  body: '{"id":"evt_1","note":"ελληνικά\\n"}',
  destinations: ['ledger'],
};
const attempt: ArchivedAttempt = {
  v: 1,
  kind: 'attempt',
  webhook_id: 'stripe:evt_1',
  source: 'stripe',
  delivery_id: 'evt_1',
  event_type: 'invoice.paid',
  destination: 'ledger',
  attempt: 1,
  outcome: 'failed',
  last: false,
  status: 503,
  reason: 'http-503',
  duration_ms: 12,
  at: '2026-12-01T10:00:02.000Z',
  replay_id: null,
};

test('an object of GZIP members (one per Firehose record) reads as the lines of all of them, in order', () => {
  const object = Buffer.concat([gzipSync(archiveLine(webhook)), gzipSync(archiveLine(attempt) + archiveLine(attempt))]);
  expect(isGzip(object)).toBe(true);
  expect(parseArchiveLines(archiveObjectText(object))).toEqual([webhook, attempt, attempt]);
});

test('a plain object reads as UTF-8 text, whatever its key says', () => {
  const object = Buffer.from(archiveLine(webhook), 'utf8');
  expect(isGzip(object)).toBe(false);
  expect(parseArchiveLines(archiveObjectText(object))).toEqual([webhook]);
});

test('lines of another version or kind are skipped; a torn line is reported, not thrown', () => {
  const bad: string[] = [];
  const text = `${archiveLine(webhook)}{"v":2,"kind":"webhook"}\n{"v":1,"kind":"other"}\n{"v":1,"kind":"att\n\n${archiveLine(attempt)}`;
  expect(parseArchiveLines(text, (line) => bad.push(line))).toEqual([webhook, attempt]);
  expect(bad).toEqual(['{"v":1,"kind":"att']);
});

test("the hour folder is Firehose's UTC one", () => {
  expect(archiveHourFolder(new Date('2026-03-05T07:59:59.999+02:00'))).toBe('2026/03/05/05/');
});
