import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * An HTTPS delivery target on a random loopback port, with a self-signed certificate made by
 * `openssl` at test time. `delivery_url` must be `https://`, so the dispatcher talks TLS to it for
 * real; a client trusts it through `NODE_EXTRA_CA_CERTS=<caFile>` (read when Node.js starts).
 */
export interface HttpsRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this request was answered with. */
  readonly status: number;
}

export interface HttpsTarget {
  /** e.g. `https://127.0.0.1:50123` */
  readonly url: string;
  /** The self-signed certificate, for `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string;
  readonly requests: HttpsRequest[];
  close(): Promise<void>;
}

/** A throwaway certificate for 127.0.0.1 and localhost, valid for a day. */
export function selfSignedCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe', timeout: 30_000 },
  );
  return { keyFile, certFile };
}

/** Starts the target; `answer` picks each request's status from its body and headers. */
export async function startHttpsTarget(answer: (request: Omit<HttpsRequest, 'status'>) => number): Promise<HttpsTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-https-target-'));
  const { keyFile, certFile } = selfSignedCertificate(dir);
  const requests: HttpsRequest[] = [];
  const server = createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = { path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      const status = answer(received);
      requests.push({ ...received, status });
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(`status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
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
