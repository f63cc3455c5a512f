/**
 * `npm run esm:local [-- --for SECONDS]`: runs the three deployed handlers against the queues of
 * the last `deploy:local`, with the event source mappings' semantics (scripts/lib/esm-runner.ts),
 * for SECONDS (default 300) or until Ctrl-C. Each function's output goes to
 * `.build/local/esm-runner/logs/<function>.log`. NODE_EXTRA_CA_CERTS, when set, is passed on to
 * the functions (a local HTTPS delivery target with a self-signed certificate); unset, the
 * certificate of `npm run receiver:local` is, when it exists. A lane paused or
 * resumed meanwhile (`webhook-pipeline destinations pause|resume`) is noticed within 2 s and kept
 * as the user left it when this stops.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EsmRunner } from './lib/esm-runner';
import { DEFAULT_WORK_DIR, deployedCodeFiles, readOutputs, readSession } from './lib/local-deploy';

/** The receiver's certificate (`npm run receiver:local`), unless NODE_EXTRA_CA_CERTS names another. */
function trustedCertificate(): string | undefined {
  const receiverCertificate = path.join(DEFAULT_WORK_DIR, 'receiver', 'cert.pem');
  return process.env.NODE_EXTRA_CA_CERTS || (fs.existsSync(receiverCertificate) ? receiverCertificate : undefined);
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
  const log = (line: string) => console.log(`[esm:local] ${line}`);
  const runner = await EsmRunner.start({
    endpoint: session.endpoint,
    functionNames: ['validator', 'processor', 'dispatcher'].map((name) => outputs[`${name}_function_name`]),
    codeFiles: deployedCodeFiles(DEFAULT_WORK_DIR),
    workDir: path.join(DEFAULT_WORK_DIR, 'esm-runner'),
    extraEnv: trustedCertificate() ? { NODE_EXTRA_CA_CERTS: trustedCertificate()! } : {},
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
