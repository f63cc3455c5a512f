import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP proxy in front of moto that records every AWS request (by its `X-Amz-Target`
 * operation, e.g. `SendMessageBatch`, `PutItem`, `GetParameter`) and injects faults on demand, so
 * that the real SDK, with its real retries, meets real moto except where a test says otherwise.
 *
 * Point a handler at it with `AWS_ENDPOINT_URL` (and, for SQS, use queue URLs on the proxy's
 * origin: the SQS client sends to the QueueUrl's host). Queue URLs keep moto's path, which is all
 * moto reads.
 */
export interface ProxiedRequest {
  /** The operation: the part of `X-Amz-Target` after the dot. */
  readonly operation: string;
  /** The JSON request body. */
  readonly input: Record<string, unknown>;
}

export interface BatchEntry {
  readonly Id: string;
  readonly MessageBody: string;
}

export type Fault =
  /** Answer the whole request with this error instead of forwarding it. */
  | { readonly error: { readonly status: number; readonly code: string; readonly message?: string } }
  /**
   * SendMessageBatch only: forward the other entries, and report these in `Failed[]` as SQS does
   * for a per-entry error.
   */
  | { readonly failEntries: (entry: BatchEntry) => boolean; readonly code?: string; readonly senderFault?: boolean };

/** Decides, per request, whether to inject a fault; `undefined` forwards it untouched. */
export type FaultRule = (request: ProxiedRequest) => Fault | undefined;

export interface AwsFaultProxy {
  readonly endpoint: string;
  /** Every request received, in order, faulted or not. */
  readonly requests: readonly ProxiedRequest[];
  /** How many requests of `operation` were received. */
  count(operation: string): number;
  /** Replaces the fault rule (none: forward everything). */
  inject(rule: FaultRule | undefined): void;
  /** Forgets the recorded requests and the rule. */
  reset(): void;
  /** The queue URL on the proxy's origin for a queue URL on moto's. */
  viaProxy(queueUrl: string): string;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<AwsFaultProxy> {
  const target = new URL(upstream);
  const requests: ProxiedRequest[] = [];
  let rule: FaultRule | undefined;

  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const raw = Buffer.concat(chunks);
      const targetHeader = String(incoming.headers['x-amz-target'] ?? '');
      const operation = targetHeader.slice(targetHeader.indexOf('.') + 1);
      let input: Record<string, unknown> = {};
      try {
        input = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // Not a JSON-protocol request (moto's own API): forwarded as is.
      }
      const proxied = { operation, input };
      if (operation) requests.push(proxied);
      let fault: Fault | undefined;
      try {
        fault = operation ? rule?.(proxied) : undefined;
      } catch (error) {
        // A broken rule must fail the test, not hang the SDK call.
        fault = { error: { status: 400, code: 'FaultRuleError', message: (error as Error).message } };
      }

      if (fault && 'error' in fault) {
        const { status, code, message = code } = fault.error;
        outgoing.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${code};Sender` });
        outgoing.end(JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }));
        return;
      }

      let body = raw;
      let failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
      if (fault && operation === 'SendMessageBatch') {
        const entries = (input.Entries ?? []) as BatchEntry[];
        const failing = entries.filter(fault.failEntries);
        failed = failing.map((entry) => ({
          Id: entry.Id,
          SenderFault: fault.senderFault ?? false,
          Code: fault.code ?? 'InternalError',
          Message: 'injected by the test proxy',
        }));
        const kept = entries.filter((entry) => !failing.includes(entry));
        if (kept.length === 0) {
          outgoing.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(JSON.stringify({ Successful: [], Failed: failed }));
          return;
        }
        body = Buffer.from(JSON.stringify({ ...input, Entries: kept }), 'utf8');
      }
      forward(target, incoming.method ?? 'POST', incoming.url ?? '/', incoming.headers, body, (status, headers, answer) => {
        let text = answer;
        if (failed.length > 0 && status === 200) {
          const parsed = JSON.parse(answer.toString('utf8')) as { Successful?: unknown[]; Failed?: unknown[] };
          text = Buffer.from(JSON.stringify({ ...parsed, Failed: [...(parsed.Failed ?? []), ...failed] }), 'utf8');
        }
        outgoing.writeHead(status, { ...withoutFraming(headers), 'content-length': String(text.length) });
        outgoing.end(text);
      }).catch((error: Error) => {
        outgoing.writeHead(502);
        outgoing.end(error.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    requests,
    count: (operation) => requests.filter((request) => request.operation === operation).length,
    inject: (next) => {
      rule = next;
    },
    reset: () => {
      requests.length = 0;
      rule = undefined;
    },
    viaProxy: (queueUrl) => `${endpoint}${new URL(queueUrl).pathname}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function forward(
  target: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  answer: (status: number, headers: IncomingHttpHeaders, body: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method,
        path,
        headers: { ...withoutFraming(headers), host: target.host, 'content-length': String(body.length) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          answer(response.statusCode ?? 502, response.headers, Buffer.concat(chunks));
          resolve();
        });
        response.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** The headers without those describing the body's framing, which the proxy sets itself. */
function withoutFraming(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const rest = { ...headers };
  delete rest['content-length'];
  delete rest['transfer-encoding'];
  delete rest.connection;
  return rest;
}
