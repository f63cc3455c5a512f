import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback webhook receiver for the dispatcher's tests and the bench: answers each POST with a
 * chosen status, headers and delay, keeps the raw bytes it was sent, and records when each request
 * started and finished so tests can prove overlap (or its absence) from evidence rather than
 * wall-clock time.
 */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body's bytes as they arrived. */
  readonly raw: Buffer;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Milliseconds to wait before answering. */
  readonly delayMs?: number;
}

export type Behaviour = Answer | 'hang' | ((request: Received) => Answer | 'hang');

export interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** `start`/`end` of each request in the order they happened, with the request's `webhook-id`. */
  readonly timeline: { readonly at: 'start' | 'end'; readonly id: string }[];
  /** The most requests that were in flight (received, not yet answered) at one moment. */
  maxInFlight(): number;
  answer(behaviour: Behaviour): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startReceiver(initial: Behaviour = { status: 200 }): Promise<Receiver> {
  let behaviour = initial;
  const requests: Received[] = [];
  const timeline: { at: 'start' | 'end'; id: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const received: Received = { path: request.url ?? '', headers: request.headers, raw, body: raw.toString('utf8') };
      const id = String(request.headers['webhook-id'] ?? '');
      requests.push(received);
      timeline.push({ at: 'start', id });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chosen = typeof behaviour === 'function' ? behaviour(received) : behaviour;
      if (chosen === 'hang') return;
      setTimeout(() => {
        inFlight -= 1;
        timeline.push({ at: 'end', id });
        response.writeHead(chosen.status, { 'content-type': 'text/plain', ...chosen.headers });
        response.end(`status ${chosen.status}`);
      }, chosen.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    timeline,
    maxInFlight: () => maxInFlight,
    answer: (next) => {
      behaviour = next;
    },
    reset: () => {
      requests.length = 0;
      timeline.length = 0;
      inFlight = 0;
      maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Whether two requests with the same `webhook-id` were ever in flight at once. */
export function sameIdOverlapped(timeline: Receiver['timeline']): boolean {
  const open = new Set<string>();
  for (const { at, id } of timeline) {
    if (at === 'start') {
      if (open.has(id)) return true;
      open.add(id);
    } else open.delete(id);
  }
  return false;
}
