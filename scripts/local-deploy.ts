/**
 * `npm run deploy:local [-- --var name=value …]` and `npm run destroy:local`: the stack on a local
 * AWS API (moto server on 127.0.0.1:$MOTO_PORT, default 5055). See scripts/lib/local-deploy.ts.
 *
 * Exit code 0 on success; on failure, 1 and a message naming the step that failed and why.
 */
import { deployLocal, destroyLocal, StepError, TerraformVars } from './lib/local-deploy';

const USAGE = `usage: local-deploy.ts deploy [--var name=value]... | destroy
  env MOTO_PORT (default 5055), TF_PROVIDER_MIRROR (default: discovered)`;

/** Terraform's per-resource progress, without the plan's thousand-line diff. */
const PROGRESS =
  /(Creation|Destruction|Modifications) complete|Still (creating|destroying|modifying)|Apply complete|Destroy complete|^(Error|Warning):/;

function parseVars(args: readonly string[]): TerraformVars {
  const vars: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    const assignment = arg === '--var' ? args[++i] : arg.startsWith('--var=') ? arg.slice('--var='.length) : undefined;
    const match = assignment === undefined ? null : /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/s.exec(assignment);
    if (!match) throw new StepError('arguments', `expected --var name=value, got "${assignment ?? arg}"\n${USAGE}`);
    vars[match[1]] = match[2];
  }
  return vars;
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  const started = Date.now();
  const log = (line: string) => console.log(`[${command}:local] ${line}`);
  const terraformLog = (line: string) => {
    if (PROGRESS.test(line)) console.log(`    ${line}`);
  };
  if (command === 'deploy') {
    const deployment = await deployLocal({ vars: parseVars(rest), log, terraformLog });
    log(`deployed to ${deployment.endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s; outputs: ${deployment.outputsFile}`);
    console.log(JSON.stringify(deployment.outputs, null, 2));
  } else if (command === 'destroy') {
    if (rest.length > 0) throw new StepError('arguments', `destroy takes no arguments\n${USAGE}`);
    await destroyLocal({ log, terraformLog });
    log(`destroyed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    throw new StepError('arguments', `unknown command "${command ?? ''}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`\n${process.argv[2] ?? 'local-deploy'}:local failed: ${message}`);
    process.exit(1);
  },
);
