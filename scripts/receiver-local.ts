/**
 * `npm run receiver:local [-- --port 8443] [--for SECONDS]`: a loopback HTTPS webhook receiver for
 * a local deployment's destinations (`https://127.0.0.1:8443/<anything>`). It answers 200 to every
 * POST, prints one line per delivery (path, `webhook-id`, body size) and appends each, with its
 * headers and raw body, to `.build/local/receiver/deliveries.jsonl`. Its self-signed certificate
 * is `.build/local/receiver/cert.pem`, which `npm run esm:local` trusts on its own.
 * Runs until Ctrl-C, or for SECONDS.
 */
import * as fs from 'node:fs';
import { createServer } from 'node:https';
import * as path from 'node:path';
import { DEFAULT_WORK_DIR } from './lib/local-deploy';
import { selfSignedCertificate } from './lib/self-signed-certificate';

export const RECEIVER_DIR = path.join(DEFAULT_WORK_DIR, 'receiver');

async function main(argv: readonly string[]): Promise<void> {
  let port = 8443;
  let seconds: number | undefined;
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--port' && Number.isInteger(value) && value > 0 && value < 65536) port = value;
    else if (argv[i] === '--for' && Number.isInteger(value) && value > 0) seconds = value;
    else throw new Error(`usage: npm run receiver:local -- [--port PORT] [--for SECONDS]; got "${argv[i]} ${argv[i + 1] ?? ''}"`);
  }
  fs.mkdirSync(RECEIVER_DIR, { recursive: true });
  const { keyFile, certFile } = selfSignedCertificate(RECEIVER_DIR);
  const log = path.join(RECEIVER_DIR, 'deliveries.jsonl');
  const server = createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const at = new Date().toISOString();
      fs.appendFileSync(
        log,
        `${JSON.stringify({ at, method: request.method, path: request.url, headers: request.headers, body: body.toString('utf8') })}\n`,
      );
      console.log(
        `[receiver:local] ${at} ${request.method} ${request.url} webhook-id=${request.headers['webhook-id'] ?? '-'} ${body.length} B → 200`,
      );
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  console.log(`[receiver:local] listening on https://127.0.0.1:${port}; deliveries → ${path.relative(process.cwd(), log)}`);
  await new Promise<void>((resolve) => {
    const timer = seconds === undefined ? undefined : setTimeout(resolve, seconds * 1000);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        clearTimeout(timer);
        resolve();
      });
    }
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`receiver:local failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
