import * as fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { selfSignedCertificate } from '../support/self-signed-certificate';

/**
 * Loopback HTTPS webhook receivers for the deployed-stack scenario: one server (one self-signed
 * certificate, so the functions trust it through a single `NODE_EXTRA_CA_CERTS` file) whose paths
 * are the destinations. Each request is answered by a scripted status and headers (`Retry-After`),
 * and kept with its raw bytes, the answer, and when it arrived.
 */
export interface ReceivedDelivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body's bytes as they arrived. */
  readonly raw: Buffer;
  /** Epoch milliseconds the request's body had fully arrived. */
  readonly at: number;
  readonly status: number;
  readonly answerHeaders: Readonly<Record<string, string>>;
}

export interface ReceiverAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpsReceiver {
  /** e.g. `https://127.0.0.1:50123` */
  readonly url: string;
  /** The self-signed certificate, for `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string;
  readonly requests: ReceivedDelivery[];
  close(): Promise<void>;
}

/** Starts the receiver on `port` (0: any free one); `answer` decides each request's status and headers. */
export async function startHttpsReceiver(
  answer: (request: Pick<ReceivedDelivery, 'path' | 'headers' | 'raw'>) => ReceiverAnswer,
  port = 0,
): Promise<HttpsReceiver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-https-receiver-'));
  const { keyFile, certFile } = selfSignedCertificate(dir);
  const requests: ReceivedDelivery[] = [];
  const server = createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = { path: request.url ?? '', headers: request.headers, raw: Buffer.concat(chunks) };
      let chosen: ReceiverAnswer;
      try {
        chosen = answer(received);
      } catch {
        chosen = { status: 599 };
      }
      const answerHeaders = chosen.headers ?? {};
      requests.push({ ...received, at: Date.now(), status: chosen.status, answerHeaders });
      response.writeHead(chosen.status, { 'content-type': 'text/plain', ...answerHeaders });
      response.end(`status ${chosen.status}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${address.port}`,
    caFile: certFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
