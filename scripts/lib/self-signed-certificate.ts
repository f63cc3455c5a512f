import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * A throwaway certificate for 127.0.0.1 and localhost, valid for a day, made by `openssl` at test
 * time: `delivery_url` must be `https://`, so the dispatcher talks TLS to a loopback receiver for
 * real, trusting it through `NODE_EXTRA_CA_CERTS=<certFile>`.
 */
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
