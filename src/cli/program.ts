/**
 * `webhook-pipeline`, the operator CLI: its commands, options and help on commander, and the
 * glue from a parsed command line to the deployment, the AWS calls and what is printed.
 * Everything it touches outside the process comes in through {@link CliIo}, so a test can run
 * the real program in-process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CliError, EXIT, causes, usageError } from './errors';
import { changeJson, changeLine, laneTable, lanesJson } from './format';
import { type AwsConfig, type LaneApi, awsLaneApi, laneStatuses, setLaneEnabled } from './lanes';
import {
  type Deployment,
  type DeliveryLane,
  DEFAULT_TERRAFORM_DIR,
  LOCAL_OUTPUTS,
  OUTPUTS_ENV,
  deliveryLanes,
  findDeployment,
  regionOfLanes,
} from './outputs';
import { type ProgressStream, silentProgress, waitProgress } from './progress';
import type { ArchiveApi } from './archive';
import { addHistoryCommands } from './history-commands';
import type { QueueApi } from './queues';

export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Makes the AWS clients; the SDK's by default. */
  readonly laneApi?: (config: AwsConfig) => LaneApi;
  /** Runs `terraform output -json` in a folder. */
  readonly terraformOutput?: (dir: string) => Promise<string>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Milliseconds between polls of a mapping's state while waiting. */
  readonly pollMs?: number;
  /** Makes the history archive's S3 reader; the SDK's by default. */
  readonly archiveApi?: (config: AwsConfig, bucket: string) => ArchiveApi;
  /** Makes the SQS client of replay and dlq; the SDK's by default. */
  readonly queueApi?: (config: AwsConfig) => QueueApi;
}

export interface GlobalOptions {
  readonly outputs?: string;
  readonly terraformDir?: string;
  readonly stack?: string;
  readonly endpointUrl?: string;
  readonly region?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** The deployment found, and the AWS settings for its clients. */
export interface Resolved {
  readonly deployment: Deployment;
  /** Its lanes; empty when a command that can do without them finds no delivery_lanes output. */
  readonly lanes: readonly DeliveryLane[];
  readonly config: AwsConfig;
  readonly endpoint?: string;
}

/** What a destination command works on once the deployment is found. */
interface Session {
  readonly lanes: readonly DeliveryLane[];
  readonly api: LaneApi;
  readonly endpoint?: string;
}

/** Moto and other local APIs accept any credentials; real ones have no business there. */
const LOCAL_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const DEFAULT_WAIT_SECONDS = 60;
const MAX_WAIT_SECONDS = 900;

const EXAMPLES = {
  root: `
Examples:
  $ webhook-pipeline destinations list
  $ webhook-pipeline destinations pause billing
  $ webhook-pipeline destinations resume billing --json
  $ webhook-pipeline --outputs outputs.json destinations list
  $ webhook-pipeline --endpoint-url http://127.0.0.1:5055 destinations list
  $ webhook-pipeline events list --since 2h --status failed
  $ webhook-pipeline replay --since 6h --destination billing --status dead-lettered --dry-run
  $ webhook-pipeline dlq list --destination billing

Finding the deployment, first found wins: --outputs FILE, --terraform-dir DIR, $${OUTPUTS_ENV},
${LOCAL_OUTPUTS} (npm run deploy:local), terraform output -json in ${DEFAULT_TERRAFORM_DIR}.
AWS: the SDK's credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, …); the region is
--region, else the lanes' queue ARNs', else the SDK's (AWS_REGION, the profile's).

Exit codes: 0 done (or nothing to do), 1 AWS or runtime failure, 2 wrong input.
Docs: docs/CLI.md in the webhook-pipeline package.`,
  destinations: `
Each destination has a delivery lane: its own queue, dead-letter queue and event source mapping
onto the dispatcher. Pausing a destination disables its mapping: deliveries wait in its lane,
none is attempted and none is lost while the lane's retention lasts. Terraform leaves a pause alone.

Examples:
  $ webhook-pipeline destinations list
  $ webhook-pipeline destinations pause billing
  $ webhook-pipeline destinations resume billing`,
  list: `
Columns: STATE active, paused, pausing, resuming (or updating, deleting); QUEUED waiting to be
delivered; IN FLIGHT being delivered or waiting out a retry backoff; DELAYED sent with a delay;
DLQ in the lane's dead-letter queue; KEEPS MESSAGES the lane's retention, which bounds a pause.

Examples:
  $ webhook-pipeline destinations list
  $ webhook-pipeline destinations list --json | jq '.lanes[] | select(.state == "paused")'`,
  pause: `
Disables the lane's event source mapping and waits until AWS reports it Disabled. Deliveries,
including retries backing off, wait in the lane until it is resumed; pausing a paused lane
changes nothing and exits 0.

Examples:
  $ webhook-pipeline destinations pause billing
  $ webhook-pipeline destinations pause billing --wait 180 --json`,
  resume: `
Enables the lane's event source mapping and waits until AWS reports it Enabled; what waited in
the lane is delivered in order of arrival, as the dispatcher's batches go. Resuming an active
lane changes nothing and exits 0.

Examples:
  $ webhook-pipeline destinations resume billing
  $ webhook-pipeline destinations resume billing --json`,
};

function parseWait(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    throw new InvalidArgumentError(`a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}

/** The package's version, from the package.json above this file in the source and the built tree alike. */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'webhook-pipeline' && manifest.version) return manifest.version;
    } catch {
      // No package.json here: keep walking up.
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

const isLoopback = (endpoint: string): boolean => {
  try {
    return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(new URL(endpoint).hostname);
  } catch {
    return false;
  }
};

export function createProgram(io: CliIo): Command {
  const print = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const json = (document: object) => print(JSON.stringify(document, null, 2));

  const program = new Command('webhook-pipeline')
    .description(
      'Operate a deployed webhook pipeline: its destinations’ delivery lanes, its event history, replays and dead-letter queues.',
    )
    .version(packageVersion(), '-V, --version')
    .option(
      '--outputs <file>',
      'the deployment’s outputs: cdktf deploy --outputs-file, terraform output -json, or a flat name → value file',
    )
    .option('--terraform-dir <dir>', 'run terraform output -json in this folder (the stack’s, e.g. cdktf.out/stacks/webhook-pipeline)')
    .option('--stack <name>', 'the stack to read when the outputs file holds several (default: webhook-pipeline)')
    .option('--endpoint-url <url>', 'a local AWS API such as moto (default: $AWS_ENDPOINT_URL, or the local deploy’s)')
    .option('--region <region>', 'AWS region (default: the lanes’ queue ARNs’, else the SDK’s: $AWS_REGION, the profile’s)')
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('--verbose', 'say where the outputs and AWS settings came from; add causes to errors')
    .addHelpText('after', EXAMPLES.root)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  const verbose = (options: GlobalOptions, line: string) => {
    if (options.verbose) io.stderr.write(`${line}\n`);
  };

  /** The deployment, its lanes and the AWS settings every command's clients use. */
  const resolve = async (options: GlobalOptions, needs: { lanes: boolean } = { lanes: true }): Promise<Resolved> => {
    const deployment: Deployment = await findDeployment({ ...options, env: io.env, cwd: io.cwd, terraformOutput: io.terraformOutput });
    verbose(options, `outputs: ${deployment.origin}`);
    const lanes = needs.lanes || deployment.outputs.delivery_lanes !== undefined ? deliveryLanes(deployment) : [];
    verbose(options, `lanes: ${lanes.map((lane) => lane.name).join(', ') || 'none'}`);
    const [endpoint, endpointFrom] = options.endpointUrl
      ? [options.endpointUrl, '--endpoint-url']
      : io.env.AWS_ENDPOINT_URL
        ? [io.env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL']
        : deployment.localEndpoint
          ? [deployment.localEndpoint, 'the local deploy’s session']
          : [undefined, 'AWS'];
    const lanesRegion = regionOfLanes(lanes);
    const [region, regionFrom] = options.region
      ? [options.region, '--region']
      : lanesRegion
        ? [lanesRegion, 'the lanes’ queue ARNs']
        : deployment.localRegion
          ? [deployment.localRegion, 'the local deploy’s session']
          : [undefined, 'the SDK’s chain'];
    const localCredentials = endpoint !== undefined && isLoopback(endpoint) && !io.env.AWS_ACCESS_KEY_ID && !io.env.AWS_PROFILE;
    verbose(
      options,
      `AWS: endpoint ${endpoint ?? 'default'} (${endpointFrom}), region ${region ?? 'from the SDK'} (${regionFrom}), credentials ${
        localCredentials ? 'fake ones for the local API' : 'the SDK’s chain'
      }`,
    );
    const config: AwsConfig = {
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
      ...(localCredentials ? { credentials: LOCAL_CREDENTIALS } : {}),
    };
    return { deployment, lanes, config, ...(endpoint ? { endpoint } : {}) };
  };

  const open = async (options: GlobalOptions): Promise<Session> => {
    const { lanes, config, endpoint } = await resolve(options);
    return { lanes, api: (io.laneApi ?? awsLaneApi)(config), endpoint };
  };

  const withSession = async (options: GlobalOptions, body: (session: Session) => Promise<void>): Promise<void> => {
    const session = await open(options);
    try {
      await body(session);
    } finally {
      session.api.close();
    }
  };

  const laneNamed = (lanes: readonly DeliveryLane[], name: string): DeliveryLane => {
    const lane = lanes.find((candidate) => candidate.name === name);
    if (lane) return lane;
    const known = lanes.length > 0 ? `known destinations: ${lanes.map((l) => l.name).join(', ')}` : 'the deployment has no destinations';
    throw usageError(`no destination named "${name}"; ${known}`);
  };

  const destinations = program
    .command('destinations')
    .description('List, pause and resume the destinations’ delivery lanes.')
    .addHelpText('after', EXAMPLES.destinations);

  destinations
    .command('list')
    .description('Every destination’s lane: its state, what is queued, its DLQ, how long it keeps messages.')
    .addHelpText('after', EXAMPLES.list)
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      await withSession(options, async ({ lanes, api, endpoint }) => {
        const statuses = await laneStatuses(api, lanes, { endpoint });
        if (options.json) json(lanesJson(statuses));
        else print(laneTable(statuses));
      });
    });

  for (const action of ['pause', 'resume'] as const) {
    const enabled = action === 'resume';
    destinations
      .command(`${action} <name>`)
      .description(
        enabled
          ? 'Resume a paused destination: re-enable its lane’s event source mapping.'
          : 'Pause a destination: disable its lane’s event source mapping.',
      )
      .option('--wait <seconds>', `how long to wait for AWS to settle the mapping (1–${MAX_WAIT_SECONDS})`, parseWait, DEFAULT_WAIT_SECONDS)
      .addHelpText('after', EXAMPLES[action])
      .action(async (name: string, _options: object, command: Command) => {
        const options = command.optsWithGlobals<GlobalOptions & { wait: number }>();
        await withSession(options, async ({ lanes, api, endpoint }) => {
          const lane = laneNamed(lanes, name);
          const timeoutMs = options.wait * 1000;
          const progress = options.json
            ? silentProgress
            : waitProgress(io.stderr, `${enabled ? 'resuming' : 'pausing'} ${name}`, timeoutMs);
          try {
            const result = await setLaneEnabled(api, lane, enabled, {
              endpoint,
              timeoutMs,
              pollMs: io.pollMs,
              sleep: io.sleep,
              now: io.now,
              onWait: (state, elapsed) => progress.update(state, elapsed),
            });
            progress.stop();
            if (options.json) json(changeJson(result, action));
            else print(changeLine(result, action));
          } finally {
            progress.stop();
          }
        });
      });
  }
  addHistoryCommands(program, { io, print, json, resolve, laneNamed, verbose });
  return program;
}

/** Runs the CLI on `argv` (the arguments after the program's name); resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message or the help already; its 1 is a usage error (2) here.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const verbose = program.opts<GlobalOptions>().verbose === true;
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      if (verbose) for (const cause of causes(error)) io.stderr.write(`  cause: ${cause}\n`);
      return error.exitCode;
    }
    io.stderr.write(`error: unexpected failure: ${error instanceof Error ? error.message : String(error)} (--verbose shows where)\n`);
    if (verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT.runtime;
  }
}
