import * as path from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext } from '../__tests__/support/lambda-context';

/**
 * Forked by bench/cost.ts: one Lambda container. It loads the bundled handler (the init phase),
 * then invokes it with each batch the bench's event source mapping sends over IPC and answers
 * with the invocation's wall and CPU time and its failed records. The handler's AWS calls go
 * through the counting proxy (`AWS_ENDPOINT_URL`); its log lines go to stdout, which the bench counts.
 */

export type CostWorkerRequest = { readonly event: SQSEvent } | { readonly done: true };

export interface Invocation {
  readonly records: number;
  readonly ms: number;
  readonly cpuMs: number;
  /** Message ids of the records the handler reported as failed. */
  readonly failedIds: readonly string[];
}

const name = process.env.BENCH_HANDLER ?? 'handler';
const timeoutMs = Number(process.env.BENCH_FUNCTION_TIMEOUT_MS ?? 30_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the unzipped bundle, loaded as Lambda loads it
const { handler } = require(path.join(process.env.BENCH_HANDLER_DIR ?? '.', 'index.js')) as {
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
};

async function invoke(event: SQSEvent): Promise<Invocation> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const response = await handler(event, lambdaContext(`webhook-${name}`, timeoutMs));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    records: event.Records.length,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    failedIds: (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier),
  };
}

process.once('disconnect', () => process.exit(1)); // the bench went away: do not linger
process.on('message', (request: CostWorkerRequest) => {
  if ('done' in request) process.exit(0); // stdout is a pipe, written synchronously: nothing is lost
  invoke(request.event).then(
    (invocation) => process.send?.(invocation),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ ready: true });
