import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from '../__tests__/support/lambda-context';
import { buildSqsRecord } from '../__tests__/support/sqs-records';
import { githubWebhook } from '../__tests__/support/webhooks';
import type { FunctionName } from '../src/contract';

/**
 * Forked by bench/handlers.ts with a handler's environment: loads the bundled handler, feeds it
 * batches of fresh records (every delivery id new, so each record takes the full path: secret
 * read, idempotency record, forward or POST) and reports records/s per round over IPC.
 */

export interface WorkerReport {
  readonly recordsPerSecond: number[];
  /** CPU time (user + system) of this process per record: the handler's own cost, without waiting on AWS. */
  readonly cpuMsPerRecord: number;
  readonly failedRecords: number;
}

const BATCH_SIZE = 10; // the stack's event source mapping batch size

/**
 * The processor's and dispatcher's input as version 1 (0.2) wrote it: the shapes every version
 * since still reads (a message queued before an upgrade), so these records drive the handlers of
 * this checkout and of the baseline alike. The cost bench (bench/cost.ts) instead feeds each
 * handler what the one before it sent.
 */
interface ProcessEnvelopeV1 {
  readonly version: 1;
  readonly source: string;
  readonly scheme: string;
  readonly deliveryId: string;
  readonly eventType: string | null;
  readonly receivedAt: string;
  readonly requestId: string | null;
  readonly payload: unknown;
}
interface DeliveryEventV1 {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly receivedAt: string;
  readonly processedAt: string;
  readonly requestId: string | null;
  readonly data: unknown;
}
const BATCHES_PER_ROUND = 5;

const name = process.env.BENCH_HANDLER as FunctionName;
const source = process.env.BENCH_SOURCE ?? 'github';
const secret = process.env.BENCH_SOURCE_SECRET ?? '';

function record(): SQSRecord {
  const id = randomUUID();
  if (name === 'validator') {
    const webhook = githubWebhook({ source, secret, deliveryId: id, event: 'push' });
    return buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes });
  }
  if (name === 'processor') {
    const envelope: ProcessEnvelopeV1 = {
      version: 1,
      source,
      scheme: 'github',
      deliveryId: id,
      eventType: 'push',
      receivedAt: new Date().toISOString(),
      requestId: `req-${id}`,
      payload: { ref: 'refs/heads/main', commits: [{ id }] },
    };
    return buildSqsRecord({ body: JSON.stringify(envelope) });
  }
  const event: DeliveryEventV1 = {
    id,
    source,
    type: 'push',
    receivedAt: new Date().toISOString(),
    processedAt: new Date().toISOString(),
    requestId: `req-${id}`,
    data: { ref: 'refs/heads/main', commits: [{ id }] },
  };
  return buildSqsRecord({ body: JSON.stringify(event) });
}

const batch = (): SQSEvent => ({ Records: Array.from({ length: BATCH_SIZE }, record) });

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the unzipped bundle, loaded as Lambda loads it
  const { handler } = require(path.join(process.env.BENCH_HANDLER_DIR ?? '.', 'index.js')) as {
    handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
  };
  let failedRecords = 0;
  const invoke = async (event: SQSEvent) => {
    const response = await handler(event, lambdaContext(`webhook-${name}`));
    failedRecords += response.batchItemFailures.length;
  };

  await invoke(batch()); // warm: first SSM read, connection set-up
  failedRecords = 0;
  const recordsPerSecond: number[] = [];
  let cpuMicros = 0;
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 5); round += 1) {
    const batches = Array.from({ length: BATCHES_PER_ROUND }, batch); // built (and signed) outside the timing
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const event of batches) await invoke(event);
    recordsPerSecond.push((BATCHES_PER_ROUND * BATCH_SIZE * 1000) / (performance.now() - started));
    const cpu = process.cpuUsage(cpuBefore);
    cpuMicros += cpu.user + cpu.system;
  }
  const cpuMsPerRecord = cpuMicros / 1000 / (recordsPerSecond.length * BATCHES_PER_ROUND * BATCH_SIZE);
  process.send?.({ recordsPerSecond, cpuMsPerRecord, failedRecords } satisfies WorkerReport, () => process.exit(0));
}

process.once('disconnect', () => process.exit(1)); // the bench went away: do not linger
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
