/**
 * Upgrading a running 0.2.0 deployment to the delivery lanes loses nothing, and adding a
 * destination afterwards adds only what belongs to it: real terraform over a state 0.2.0 applied
 * on moto, with deliveries in flight.
 *
 * 1. 0.2.0 (a worktree of its release commit, synthesized the way it synthesized: `main.ts` with
 *    `WEBHOOK_LOCAL_ENDPOINT`) is applied with two destinations, `a` and `b`, on one loopback HTTPS
 *    receiver. Its own handler packages run under scripts/lib/esm-runner.ts; the receiver answers
 *    503 with `Retry-After`, so every delivery backs off on the shared deliver queue, except one
 *    that `b` answers 410 Gone, which 0.2.0's dispatcher dead-letters at once to the shared DLQ.
 * 2. Today's JSON is planned and applied over the same state (the state path is shared: both stack
 *    folders sit side by side under one project folder): no queue is replaced or deleted, the
 *    shared queue's mapping keeps its UUID, the queued messages are still there, the lanes are new.
 * 3. The receiver answers 200; today's handlers run; the backing-off deliveries reappear after
 *    their `Retry-After`, and the shared DLQ's message is redriven to the shared queue (moto has no
 *    StartMessageMoveTask: receive, send with its attributes, delete). Every delivery queued before
 *    the upgrade reaches its destination exactly once, through the shared queue's mapping; new
 *    webhooks go through the lanes.
 * 4. `terraform plan` with `a` and `b` changes nothing; with a third destination `c`, it creates
 *    exactly `c`'s lane, deletes and replaces nothing, and updates in place the two functions'
 *    DELIVERY_DESTINATIONS and, for lanes without a max_in_flight, their mappings' equal share of
 *    the dispatcher's reserve.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type EventSourceMappingConfiguration, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EsmRunner } from '../../scripts/lib/esm-runner';
import { flattenOutputs, MOTO_ACCOUNT_ID, varArgs } from '../../scripts/lib/local-deploy';
import { localClientConfig } from '../../scripts/lib/local-resources';
import { ensureMoto, freeLoopbackPort, stopMoto } from '../../scripts/lib/moto-server';
import { addReleaseWorktree, type ReleaseWorktree } from '../support/release-worktree';
import { describeIfTerraform, TerraformRunner, writeCliConfig } from '../support/terraform';
import { githubWebhook, sendIngestMessage } from '../support/webhooks';
import { type HttpsReceiver, type ReceiverAnswer, startHttpsReceiver } from './https-receiver';
import { ARCHIVE_ADDRESSES_LOCAL } from '../support/archive-addresses';

jest.setTimeout(10 * 60_000);

const ROOT = path.resolve(__dirname, '..', '..');
/** The 0.2.0 release. */
const RELEASE_COMMIT = '83a558e';
const REGION = 'us-east-1';
const STACK = 'webhook-pipeline';
const TERRAFORM_TIMEOUT_MS = 5 * 60_000;
/**
 * A long schedule, so nothing retries on its own during the test; the receiver's `Retry-After`
 * (bounded by the schedule's longest step) sets the one backoff that matters: the deliveries
 * queued before the upgrade reappear this many seconds after their first attempt.
 */
const RETRY_SCHEDULE = [600, 600, 600, 600];
const BACKOFF_SECONDS = 60;
const SOURCE = 'github';
const SOURCE_SECRET = 'upgrade-github-secret';
/** Webhooks sent before the upgrade and after it; one of the first `b` answers 410 Gone. */
const BEFORE = ['before-1', 'before-2', 'before-3', 'before-4'];
const AFTER = ['after-1', 'after-2'];
const webhookIdOf = (deliveryId: string) => `${SOURCE}:${deliveryId}`;
/** Before the upgrade: `b` answers this one 410 Gone (to the shared DLQ at once), everything else 503. */
const GONE = webhookIdOf(BEFORE[0]);
/**
 * After the upgrade, two queued deliveries fail once more, so that the shared queue's records are
 * seen backing off and dead-lettering on the shared queue, as before the lanes: `a` answers this
 * one 503 (Retry-After 2 s) once, and `b` this one 410 Gone once.
 */
const RETRIED = { destination: 'a', webhookId: webhookIdOf(BEFORE[1]), answer: { status: 503, headers: { 'Retry-After': '2' } } };
const GONE_AFTER = { destination: 'b', webhookId: webhookIdOf(BEFORE[2]), answer: { status: 410 } };

const run = promisify(execFile);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const timings: Record<string, number> = {};
const timed = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await body();
  } finally {
    timings[name] = Date.now() - started;
  }
};

/** Polls `check` every half second until it holds; fails naming `what` (and the last state) after `timeoutMs`. */
async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
  state: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${state() ? `: ${state()}` : ''}`);
    await delay(500);
  }
}

interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode: string;
  readonly change: {
    readonly actions: string[];
    readonly before?: Record<string, unknown> | null;
    readonly after?: Record<string, unknown> | null;
  };
}

/** Address (without the construct hash) → actions, for every managed resource the plan acts on. */
const acting = (changes: readonly ResourceChange[]) =>
  Object.fromEntries(
    changes
      .filter((c) => c.mode === 'managed' && c.change.actions.join(',') !== 'no-op')
      .map((c) => [c.address.replace(/_[0-9A-F]{8}(?=$|\[)/, ''), c.change.actions.join(',')]),
  );

/** The environment variables a function's planned update changes. */
const changedVariables = (change: ResourceChange): string[] => {
  const variables = (side: Record<string, unknown> | null | undefined) =>
    ((side?.environment as { variables?: Record<string, string> }[] | undefined)?.[0]?.variables ?? {}) as Record<string, string>;
  const before = variables(change.change.before);
  const after = variables(change.change.after);
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((name) => before[name] !== after[name]).sort();
};

/** Attributes of the change besides the environment, compared as JSON. */
const changedAttributes = (change: ResourceChange): string[] => {
  const before = change.change.before ?? {};
  const after = change.change.after ?? {};
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((name) => name in after && JSON.stringify(before[name]) !== JSON.stringify(after[name]))
    .sort();
};

interface StateFile {
  readonly resources?: { type: string; instances: { attributes: Record<string, unknown> }[] }[];
}

/** Function name → the zip it was deployed from, as the state records it (relative to the stack folder). */
function codeFilesOf(statePath: string, stackDir: string): Record<string, string> {
  const state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as StateFile;
  return Object.fromEntries(
    (state.resources ?? [])
      .filter((resource) => resource.type === 'aws_lambda_function')
      .flatMap((resource) => resource.instances)
      .map(({ attributes }) => [String(attributes.function_name), path.resolve(stackDir, String(attributes.filename))]),
  );
}

/** What the receiver saw of one request. */
interface Seen {
  readonly destination: string;
  readonly webhookId: string;
  readonly attempt: number;
  readonly status: number;
  readonly phase: 'before' | 'after';
}

interface Lane {
  readonly queue_url: string;
  readonly queue_arn: string;
  readonly dead_letter_queue_url: string;
  readonly dead_letter_queue_arn: string;
  readonly event_source_mapping_uuid: string;
}

describeIfTerraform('upgrading a running 0.2.0 deployment to delivery lanes (terraform and moto)', (mirror) => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-upgrade-0.2.0-'));
  // Side by side, so that both stack folders' default local state path (`../../..`) is the same file.
  const releaseOut = path.join(project, 'out-0.2.0');
  const headOut = path.join(project, 'out-head');
  const releaseStack = path.join(releaseOut, 'stacks', STACK);
  const headStack = path.join(headOut, 'stacks', STACK);
  const statePath = path.join(project, 'terraform.webhook-pipeline.local.tfstate');
  let worktree: ReleaseWorktree | undefined;
  let endpoint = '';
  let receiver: HttpsReceiver;
  let runner: EsmRunner | undefined;
  let release: TerraformRunner;
  let head: TerraformRunner;
  let sqs: SQSClient;
  let lambda: LambdaClient;
  let ssm: SSMClient;
  let completed = false;
  let phase: 'before' | 'after' = 'before';
  const seen: Seen[] = [];
  const runnerLog: string[] = [];
  /** 0.2.0's outputs. */
  let outputs: Record<string, string>;

  const destinations = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, { url: `${receiver.url}/${name}` }]));
  const vars = (names: readonly string[]) =>
    varArgs({
      aws_region: REGION,
      enable_alarms: false,
      delivery_retry_schedule: RETRY_SCHEDULE,
      delivery_destinations: destinations(names),
    });
  const synthEnv = () => ({
    ...process.env,
    CDKTF_OUTDIR: '',
    WEBHOOK_LOCAL_ENDPOINT: endpoint,
    TF_CLOUD_ORGANIZATION: '',
    TF_WORKSPACE: '',
    WEBHOOK_STATE_PATH: '',
  });
  const counts = async (url: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
  };
  const total = async (url: string) => {
    const { visible, inFlight } = await counts(url);
    return visible + inFlight;
  };
  const queueUrls = async () => ((await sqs.send(new ListQueuesCommand({ MaxResults: 1000 }))).QueueUrls ?? []).sort();
  const mappings = async () => {
    const all: EventSourceMappingConfiguration[] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListEventSourceMappingsCommand({ Marker: marker }));
      all.push(...(page.EventSourceMappings ?? []));
      marker = page.NextMarker;
    } while (marker);
    return all;
  };
  const arnOf = (queueUrl: string) => `arn:aws:sqs:${REGION}:${MOTO_ACCOUNT_ID}:${queueUrl.split('/').pop()}`;
  const startRunner = async (stackDir: string, functionOutputs: Record<string, string>, name: string) => {
    runner = await EsmRunner.start({
      endpoint,
      region: REGION,
      functionNames: ['validator', 'processor', 'dispatcher'].map((fn) => functionOutputs[`${fn}_function_name`]),
      codeFiles: codeFilesOf(statePath, stackDir),
      workDir: path.join(project, `esm-${name}`),
      extraEnv: { NODE_EXTRA_CA_CERTS: receiver.caFile },
      log: (line) => runnerLog.push(`[${name}] ${line}`),
    });
    return runner;
  };
  const terraformOutputs = async (tf: TerraformRunner) =>
    flattenOutputs(await tf.runOrThrow(['output', '-json', '-no-color'])) as Record<string, unknown>;
  const planJson = async (tf: TerraformRunner, name: string, args: string[]) => {
    await tf.runOrThrow(['plan', '-input=false', '-no-color', '-lock-timeout=60s', `-out=${name}`, ...args], TERRAFORM_TIMEOUT_MS);
    return (JSON.parse(await tf.runOrThrow(['show', '-json', '-no-color', name], TERRAFORM_TIMEOUT_MS)).resource_changes ??
      []) as ResourceChange[];
  };
  const sendWebhooks = async (deliveryIds: readonly string[]) => {
    for (const deliveryId of deliveryIds) {
      await sendIngestMessage(sqs, outputs.ingest_queue_url, githubWebhook({ source: SOURCE, secret: SOURCE_SECRET, deliveryId }));
    }
  };
  const seenOf = (destination: string, webhookId: string, where: (s: Seen) => boolean = () => true) =>
    seen.filter((s) => s.destination === destination && s.webhookId === webhookId && where(s));
  /**
   * Moves every message of the shared DLQ back to the shared queue as StartMessageMoveTask would
   * (moto has none): the same body and attributes, then deleted from the DLQ. Returns what moved.
   */
  const redriveSharedDlq = async (expected: number) => {
    const moved: { destination: string; webhookId: string; reason?: string }[] = [];
    const deadline = Date.now() + 10_000;
    while (moved.length < expected && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: outputs.deliver_dlq_url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: outputs.deliver_queue_url,
            MessageBody: message.Body!,
            MessageAttributes: message.MessageAttributes,
          }),
        );
        await sqs.send(new DeleteMessageCommand({ QueueUrl: outputs.deliver_dlq_url, ReceiptHandle: message.ReceiptHandle! }));
        const event = JSON.parse(message.Body!) as { destination: string; source: string; id: string };
        const attributes: Record<string, MessageAttributeValue> = message.MessageAttributes ?? {};
        moved.push({ destination: event.destination, webhookId: `${event.source}:${event.id}`, reason: attributes.reason?.StringValue });
      }
    }
    return moved;
  };

  beforeAll(async () => {
    receiver = await startHttpsReceiver((request) => {
      const destination = request.path.replace(/^\//, '');
      const webhookId = String(request.headers['webhook-id']);
      let answer: ReceiverAnswer;
      if (phase === 'before') {
        answer =
          destination === 'b' && webhookId === GONE
            ? { status: 410 }
            : { status: 503, headers: { 'Retry-After': String(BACKOFF_SECONDS) } };
      } else {
        const scripted = [RETRIED, GONE_AFTER].find((s) => s.destination === destination && s.webhookId === webhookId);
        answer = scripted && seenOf(destination, webhookId, (s) => s.phase === 'after').length === 0 ? scripted.answer : { status: 200 };
      }
      seen.push({ destination, webhookId, attempt: Number(request.headers['x-webhook-attempt']), status: answer.status, phase });
      return answer;
    });
    const port = await freeLoopbackPort();
    endpoint = (await ensureMoto({ port, dir: project, lifetime: 'process' })).endpoint;
    const config = localClientConfig(endpoint, REGION);
    sqs = new SQSClient(config);
    lambda = new LambdaClient(config);
    ssm = new SSMClient(config);
    const cliConfig = writeCliConfig(project, mirror);
    await timed('synth 0.2.0 and today', async () => {
      worktree = await addReleaseWorktree(RELEASE_COMMIT, path.join(project, 'release-0.2.0'));
      // 0.2.0's own app, as it ran: main.ts through esbuild-register (it had no cached launcher).
      await run(process.execPath, ['-r', 'esbuild-register', 'main.ts'], {
        cwd: worktree.dir,
        env: { ...synthEnv(), CDKTF_OUTDIR: releaseOut },
      });
      await run(process.execPath, [path.join(ROOT, 'scripts', 'synth.js')], { cwd: ROOT, env: { ...synthEnv(), CDKTF_OUTDIR: headOut } });
    });
    release = new TerraformRunner(releaseStack, cliConfig, { TF_DATA_DIR: path.join(project, 'tf-data-0.2.0') });
    head = new TerraformRunner(headStack, cliConfig, { TF_DATA_DIR: path.join(project, 'tf-data-head') });
    // One after the other: two inits at once race on the shared plugin cache.
    await timed('terraform init (both)', async () => {
      await release.init();
      await head.init();
    });
    await timed('apply 0.2.0', () =>
      release.runOrThrow(
        ['apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=60s', ...vars(['a', 'b'])],
        TERRAFORM_TIMEOUT_MS,
      ),
    );
    outputs = (await terraformOutputs(release)) as Record<string, string>;
    const put = (name: string, value: string) =>
      ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
    await put(`${outputs.source_secrets_path}${SOURCE}`, SOURCE_SECRET);
    for (const destination of ['a', 'b', 'c'])
      await put(`${outputs.destination_secrets_path}${destination}`, `upgrade-${destination}-signing-secret`);
  });

  afterAll(async () => {
    await runner?.stop().catch(() => undefined);
    sqs?.destroy();
    lambda?.destroy();
    ssm?.destroy();
    await stopMoto(project);
    await receiver?.close();
    await worktree?.remove();
    // Kept for inspection (state, plans, the functions' logs) unless every step completed.
    if (completed) fs.rmSync(project, { recursive: true, force: true });
    else console.log(`upgrade-0.2.0: kept ${project}; runner log:\n${runnerLog.slice(-60).join('\n')}`);
    const seconds = Object.fromEntries(Object.entries(timings).map(([name, ms]) => [name, `${(ms / 1000).toFixed(1)} s`]));
    console.log(`upgrade from 0.2.0 timings: ${JSON.stringify(seconds)}`);
  });

  /** Shared deliver queue and DLQ counts recorded with 0.2.0's deliveries in flight. */
  let queued: { shared: { visible: number; inFlight: number }; dlq: { visible: number; inFlight: number } };
  let sharedMappingUuid = '';
  let queuesBefore: string[] = [];
  let lanes: Record<string, Lane>;

  test("0.2.0's deliveries back off on the shared deliver queue, and one 410 Gone is in its DLQ", async () => {
    await timed('0.2.0 in flight', async () => {
      await startRunner(releaseStack, outputs, '0.2.0');
      await sendWebhooks(BEFORE);
      const expected = BEFORE.flatMap((id) => ['a', 'b'].map((d) => [d, webhookIdOf(id)] as const));
      await waitFor(
        'every first attempt of 0.2.0',
        90_000,
        () => expected.every(([d, id]) => seenOf(d, id).length > 0),
        () => JSON.stringify(seen),
      );
      await runner!.stop();
      runner = undefined;
    });
    // One attempt each, all failed: 503 (backing off), and the one 410 (dead-lettered).
    for (const id of BEFORE.map(webhookIdOf)) {
      for (const destination of ['a', 'b']) {
        expect(seenOf(destination, id).map((s) => [s.attempt, s.status])).toEqual([[1, id === GONE && destination === 'b' ? 410 : 503]]);
      }
    }
    queued = { shared: await counts(outputs.deliver_queue_url), dlq: await counts(outputs.deliver_dlq_url) };
    console.log(`upgrade-0.2.0: queued before the upgrade: ${JSON.stringify(queued)}`);
    expect(queued.shared.visible + queued.shared.inFlight).toBe(2 * BEFORE.length - 1);
    expect(queued.dlq).toEqual({ visible: 1, inFlight: 0 });
    // Nothing else is in flight anywhere: whatever is lost later was in these two queues.
    for (const name of ['ingest', 'process']) {
      expect(await total(outputs[`${name}_queue_url`])).toBe(0);
      expect(await total(outputs[`${name}_dlq_url`])).toBe(0);
    }
    queuesBefore = await queueUrls();
    expect(queuesBefore).toHaveLength(6);
    const shared = (await mappings()).filter((m) => m.EventSourceArn === arnOf(outputs.deliver_queue_url));
    expect(shared).toHaveLength(1);
    sharedMappingUuid = shared[0].UUID!;
  });

  test('the upgrade plan replaces and deletes no queue, keeps the shared mapping, and the queued messages stay', async () => {
    const changes = await timed('plan the upgrade', () => planJson(head, 'upgrade.tfplan', vars(['a', 'b'])));
    const actions = acting(changes);
    console.log(`upgrade-0.2.0: the upgrade plan acts on ${JSON.stringify(actions, null, 2)}`);
    // The whole upgrade (CHANGELOG.md, docs/UPGRADING.md), and nothing else.
    expect(actions).toEqual({
      // The lanes of a and b: queue, DLQ, their policies (the redrive allow policy has no
      // instances on moto: src/config/local-endpoint.ts), and the mapping onto the dispatcher.
      ...Object.fromEntries(
        ['a', 'b'].flatMap((name) =>
          [
            'aws_sqs_queue.lanes_queue',
            'aws_sqs_queue.lanes_dlq',
            'aws_sqs_queue_policy.lanes_queue-policy',
            'aws_sqs_queue_policy.lanes_dlq-policy',
            'aws_lambda_event_source_mapping.lanes_event-source',
          ].map((address) => [`${address}["${name}"]`, 'create']),
        ),
      ),
      // New code and environment (the lanes' URLs; MAX_MESSAGE_BYTES), and the grants on the lanes.
      'aws_lambda_function.validator_function': 'update',
      'aws_lambda_function.processor_function': 'update',
      'aws_lambda_function.dispatcher_function': 'update',
      'aws_iam_role_policy.processor_policy': 'update',
      'aws_iam_role_policy.dispatcher_policy': 'update',
      // The shared deliver queue's mapping stays, at the least concurrency.
      'aws_lambda_event_source_mapping.dispatcher_event-source': 'update',
      // The 400 answer's text: a new API deployment, created before the old one goes, for the stage.
      'aws_api_gateway_integration_response.api_integration-response-400': 'update',
      'aws_api_gateway_deployment.api_deployment': 'create,delete',
      'aws_api_gateway_stage.api_stage': 'update',
      // The dashboard's rows for the lanes (one search over their names each).
      'aws_cloudwatch_dashboard.dashboard': 'update',
      // The event archive, new (its TLS-only bucket policy has no instance on moto:
      // src/config/local-endpoint.ts; its alarms are off with the others here).
      ...Object.fromEntries([...ARCHIVE_ADDRESSES_LOCAL].map((address) => [address, 'create'])),
    });
    // No queue is replaced, deleted or even updated: the shared one and its DLQ keep what they hold.
    const queueChanges = changes.filter((c) => c.type === 'aws_sqs_queue' && !c.address.includes('.lanes_'));
    expect(queueChanges.map((c) => c.change.actions)).toEqual(Array(6).fill(['no-op']));
    const sharedMapping = changes.find((c) => c.address.startsWith('aws_lambda_event_source_mapping.dispatcher_event-source'))!;
    expect(changedAttributes(sharedMapping)).toEqual(['scaling_config']);
    expect(sharedMapping.change.after!.scaling_config).toEqual([{ maximum_concurrency: 2 }]);

    await timed('apply the upgrade', () =>
      head.runOrThrow(['apply', '-input=false', '-no-color', '-lock-timeout=60s', 'upgrade.tfplan'], TERRAFORM_TIMEOUT_MS),
    );
    const after = await terraformOutputs(head);
    lanes = after.delivery_lanes as Record<string, Lane>;
    expect(Object.keys(lanes).sort()).toEqual(['a', 'b']);
    // Same queue URLs (nothing recreated), and the lanes' four besides.
    const laneUrls = Object.values(lanes).flatMap((lane) => [lane.queue_url, lane.dead_letter_queue_url]);
    expect(await queueUrls()).toEqual([...queuesBefore, ...laneUrls].sort());
    for (const name of ['ingest', 'process', 'deliver']) {
      expect(after[`${name}_queue_url`]).toBe(outputs[`${name}_queue_url`]);
      expect(after[`${name}_dlq_url`]).toBe(outputs[`${name}_dlq_url`]);
    }
    // The queued messages are all still there.
    expect(await total(outputs.deliver_queue_url)).toBe(queued.shared.visible + queued.shared.inFlight);
    expect(await counts(outputs.deliver_dlq_url)).toEqual(queued.dlq);
    // The shared queue's mapping is the same one, drained at the least concurrency.
    const shared = (await mappings()).filter((m) => m.EventSourceArn === arnOf(outputs.deliver_queue_url));
    expect(shared.map((m) => [m.UUID, m.ScalingConfig?.MaximumConcurrency])).toEqual([[sharedMappingUuid, 2]]);
  });

  test('after the upgrade every delivery queued before it arrives exactly once, and new webhooks go through the lanes', async () => {
    phase = 'after';
    const headOutputs = (await terraformOutputs(head)) as Record<string, string>;
    const headRunner = await timed('start the runner on today', () => startRunner(headStack, headOutputs, 'head'));
    // The delivery 0.2.0's dispatcher dead-lettered (b said 410 Gone) goes back to the shared queue.
    expect(await timed('redrive the shared DLQ', () => redriveSharedDlq(queued.dlq.visible))).toEqual([
      { destination: 'b', webhookId: GONE, reason: 'destination-gone' },
    ]);
    // A queued delivery answered 410 Gone now is dead-lettered to the shared DLQ, not to a lane's.
    await timed('a queued delivery gone again', () =>
      waitFor(
        'the second 410 Gone to reach the shared DLQ',
        (BACKOFF_SECONDS + 60) * 1000,
        async () => (await total(outputs.deliver_dlq_url)) === 1,
      ),
    );
    for (const lane of Object.values(lanes)) expect(await total(lane.dead_letter_queue_url)).toBe(0);
    expect(await redriveSharedDlq(1)).toEqual([{ destination: 'b', webhookId: GONE_AFTER.webhookId, reason: 'destination-gone' }]);

    const before = BEFORE.flatMap((id) => ['a', 'b'].map((d) => [d, webhookIdOf(id)] as const));
    await timed('deliveries queued before the upgrade', () =>
      waitFor(
        'every delivery queued before the upgrade to be answered 200',
        (BACKOFF_SECONDS + 60) * 1000,
        () => before.every(([d, id]) => seenOf(d, id, (s) => s.status === 200).length > 0),
        () => JSON.stringify(seen.filter((s) => s.phase === 'after')),
      ),
    );
    await sendWebhooks(AFTER);
    const after = AFTER.flatMap((id) => ['a', 'b'].map((d) => [d, webhookIdOf(id)] as const));
    await timed('new deliveries', () =>
      waitFor(
        'every new delivery',
        60_000,
        () => after.every(([d, id]) => seenOf(d, id).length > 0),
        () => JSON.stringify(seen.filter((s) => s.phase === 'after')),
      ),
    );
    // Drained: nothing is left anywhere that could still be delivered (again).
    const allQueues = [
      ...['ingest', 'process', 'deliver'].flatMap((name) => [outputs[`${name}_queue_url`], outputs[`${name}_dlq_url`]]),
      ...Object.values(lanes).flatMap((lane) => [lane.queue_url, lane.dead_letter_queue_url]),
    ];
    await timed('drain', () =>
      waitFor('every queue to drain', 30_000, async () => (await Promise.all(allQueues.map(total))).every((n) => n === 0)),
    );
    await headRunner.stop();
    runner = undefined;

    // Exactly once each: one 200 per destination and webhook, and nothing else after the upgrade.
    for (const [destination, id] of before)
      expect([destination, id, seenOf(destination, id, (s) => s.status === 200).length]).toEqual([destination, id, 1]);
    for (const [destination, id] of after)
      expect([destination, id, seenOf(destination, id).map((s) => s.status)]).toEqual([destination, id, [200]]);
    expect(seen.filter((s) => s.phase === 'after')).toHaveLength(before.length + after.length + 2);

    // Which mapping delivered what: the queued ones through the shared queue's, the new ones through the lanes'.
    const dispatcher = headOutputs.dispatcher_function_name;
    const records = (uuid: string) =>
      headRunner.invocations.filter((i) => i.functionName === dispatcher && i.mappingUuid === uuid).flatMap((i) => i.messageIds);
    const notDeleted = headRunner.invocations.filter((i) => i.functionName === dispatcher).flatMap((i) => i.notDeleted);
    // Only RETRIED's 503 left a record on a queue (to back off); the 410s were dead-lettered and deleted.
    expect(notDeleted).toHaveLength(1);
    // The shared queue's mapping took the 7 queued deliveries, RETRIED once more, and the two redriven:
    // 9 messages, 10 records. Each lane's took only the new webhooks, one record each.
    expect(records(sharedMappingUuid)).toHaveLength(before.length + 2);
    expect(new Set(records(sharedMappingUuid)).size).toBe(before.length + 1);
    expect(notDeleted.every((id) => records(sharedMappingUuid).includes(id))).toBe(true);
    for (const name of ['a', 'b']) expect(records(lanes[name].event_source_mapping_uuid)).toHaveLength(AFTER.length);
    expect(headRunner.stats[dispatcher].errors).toBe(0);
    // What each destination saw of the scripted ones after the upgrade: a retry of the same
    // message (its receive count goes on), and a 410, then its redriven copy (a new message).
    const afterUpgrade = (d: string, id: string) => seenOf(d, id, (s) => s.phase === 'after').map((s) => s.status);
    expect(afterUpgrade(RETRIED.destination, RETRIED.webhookId)).toEqual([503, 200]);
    expect(afterUpgrade(GONE_AFTER.destination, GONE_AFTER.webhookId)).toEqual([410, 200]);
    const retriedAttempts = seenOf(RETRIED.destination, RETRIED.webhookId).map((s) => s.attempt);
    expect(retriedAttempts[2]).toBe(retriedAttempts[1] + 1);
    const attempts = Object.fromEntries(
      before.map(([d, id]) => [`${d} ${id}`, seenOf(d, id).map((s) => `${s.phase}:${s.attempt}:${s.status}`)]),
    );
    console.log(`upgrade-0.2.0: the queued deliveries, attempt by attempt: ${JSON.stringify(attempts, null, 2)}`);
  });

  test("with the same two destinations the plan is empty; a third creates only its own lane, and updates the functions' destinations and the other lanes' share", async () => {
    const same = await timed('plan, two destinations', () =>
      head.run(['plan', '-detailed-exitcode', '-input=false', '-no-color', '-lock-timeout=60s', ...vars(['a', 'b'])], TERRAFORM_TIMEOUT_MS),
    );
    expect([same.code, same.stdout]).toEqual([0, expect.stringContaining('No changes.')]);

    const changes = await timed('plan, a third destination', () => planJson(head, 'add-c.tfplan', vars(['a', 'b', 'c'])));
    const actions = acting(changes);
    console.log(`upgrade-0.2.0: adding destination c plans ${JSON.stringify(actions, null, 2)}`);
    const byAction = (action: string) =>
      Object.entries(actions)
        .filter(([, a]) => a === action)
        .map(([address]) => address)
        .sort();
    // c's lane: its queue, DLQ, their policies, its mapping (the redrive allow policy has no
    // instances on moto, and alarms are off).
    expect(byAction('create')).toEqual(
      [
        'aws_lambda_event_source_mapping.lanes_event-source["c"]',
        'aws_sqs_queue.lanes_dlq["c"]',
        'aws_sqs_queue.lanes_queue["c"]',
        'aws_sqs_queue_policy.lanes_dlq-policy["c"]',
        'aws_sqs_queue_policy.lanes_queue-policy["c"]',
      ].sort(),
    );
    expect(Object.values(actions).filter((a) => a !== 'create' && a !== 'update')).toEqual([]);
    // Updated in place: the two functions that read the destinations, in that variable only, and
    // the mappings of the lanes without a max_in_flight, whose equal share of the dispatcher's
    // reserve (100, less the shared queue's 2) shrinks from 98 / 2 to 98 / 3.
    expect(byAction('update')).toEqual([
      'aws_lambda_event_source_mapping.lanes_event-source["a"]',
      'aws_lambda_event_source_mapping.lanes_event-source["b"]',
      'aws_lambda_function.dispatcher_function',
      'aws_lambda_function.processor_function',
    ]);
    const updated = changes.filter((c) => c.change.actions.includes('update'));
    for (const change of updated.filter((c) => c.type === 'aws_lambda_function')) {
      expect([change.address, changedAttributes(change), changedVariables(change)]).toEqual([
        change.address,
        ['environment'],
        ['DELIVERY_DESTINATIONS'],
      ]);
      const variables = (change.change.after!.environment as { variables: Record<string, string> }[])[0].variables;
      expect(Object.keys(JSON.parse(variables.DELIVERY_DESTINATIONS)).sort()).toEqual(['a', 'b', 'c']);
    }
    for (const change of updated.filter((c) => c.type === 'aws_lambda_event_source_mapping')) {
      expect([
        change.address,
        changedAttributes(change),
        change.change.before!.scaling_config,
        change.change.after!.scaling_config,
      ]).toEqual([change.address, ['scaling_config'], [{ maximum_concurrency: 49 }], [{ maximum_concurrency: 32 }]]);
    }
    completed = true;
  });
});
