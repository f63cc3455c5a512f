/**
 * `npm run esm:local [-- --for SECONDS]`: runs the three deployed handlers against the queues of
 * the last `deploy:local`, with the event source mappings' semantics (scripts/lib/esm-runner.ts),
 * for SECONDS (default 300) or until Ctrl-C. Each function's output goes to
 * `.build/local/esm-runner/logs/<function>.log`. NODE_EXTRA_CA_CERTS, when set, is passed on to
 * the functions (a local HTTPS delivery target with a self-signed certificate), together with the
 * certificate of `npm run receiver:local` when it exists. A lane paused or
 * resumed meanwhile (`webhook-pipeline destinations pause|resume`) is noticed within 2 s and kept
 * as the user left it when this stops.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EsmRunner } from './lib/esm-runner';
import { DEFAULT_WORK_DIR, deployedCodeFiles, readOutputs, readSession } from './lib/local-deploy';

/**
 * The certificates the functions trust besides Node's own: NODE_EXTRA_CA_CERTS's, and the
 * certificate of `npm run receiver:local` when it exists, in one file (Node reads one).
 */
function trustedCertificates(runnerDir: string): string | undefined {
  const receiverCertificate = path.join(DEFAULT_WORK_DIR, 'receiver', 'cert.pem');
  const files = [process.env.NODE_EXTRA_CA_CERTS, receiverCertificate].filter((file): file is string => !!file && fs.existsSync(file));
  if (files.length <= 1) return files[0];
  const bundle = path.join(runnerDir, 'extra-ca-certificates.pem');
  fs.mkdirSync(runnerDir, { recursive: true });
  fs.writeFileSync(bundle, files.map((file) => fs.readFileSync(file, 'utf8').trimEnd()).join('\n') + '\n');
  return bundle;
}

async function main(argv: readonly string[]): Promise<void> {
  let seconds = 300;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--for' && /^\d+$/.test(argv[i + 1] ?? '')) seconds = Number(argv[++i]);
    else throw new Error(`usage: esm-local.ts [--for SECONDS]; got "${argv[i]}"`);
  }
  const session = readSession(DEFAULT_WORK_DIR);
  if (!session) throw new Error('no local deployment: run npm run deploy:local first');
  const outputs = readOutputs() as Record<string, string>;
  const runnerDir = path.join(DEFAULT_WORK_DIR, 'esm-runner');
  const certificates = trustedCertificates(runnerDir);
  const log = (line: string) => console.log(`[esm:local] ${line}`);
  const runner = await EsmRunner.start({
    endpoint: session.endpoint,
    functionNames: ['validator', 'processor', 'dispatcher'].map((name) => outputs[`${name}_function_name`]),
    codeFiles: deployedCodeFiles(DEFAULT_WORK_DIR),
    workDir: runnerDir,
    extraEnv: certificates ? { NODE_EXTRA_CA_CERTS: certificates } : {},
    log,
  });
  log(`running for ${seconds} s (Ctrl-C stops); send to ${outputs.ingest_queue_url}`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        clearTimeout(timer);
        resolve();
      });
    }
  });
  await runner.stop();
  log(`stopped: ${JSON.stringify(runner.stats)}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`esm:local failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
