import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the target received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the target answers: a status code, or `'hang'` to never answer. */
export type TargetAnswer = number | 'hang';
/** One answer for every request, or an answer chosen per request. */
export type TargetBehaviour = TargetAnswer | ((request: ReceivedRequest) => TargetAnswer);

export interface HttpTarget {
  /** Base URL, e.g. `http://127.0.0.1:50123`; any path is accepted. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Changes how later requests are answered. */
  respondWith(behaviour: TargetBehaviour): void;
  /** Closes the server, dropping hung connections. */
  close(): Promise<void>;
}

/** A delivery target on a random loopback port that records what it is sent. */
export async function startHttpTarget(initial: TargetBehaviour = 200): Promise<HttpTarget> {
  let behaviour = initial;
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      const answer = typeof behaviour === 'function' ? behaviour(received) : behaviour;
      if (answer === 'hang') return;
      const redirect = answer >= 300 && answer < 400 ? { location: 'http://127.0.0.1:9/' } : {};
      response.writeHead(answer, { 'content-type': 'text/plain', ...redirect });
      response.end(`status ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (next) => {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
