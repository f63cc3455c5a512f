/**
 * The lifecycle on the local AWS API (moto): nothing a user runs as documented, or forgets a flag
 * on, leaves infrastructure running outside state.
 *
 * Two environments in one account and one region (eu-west-1), applied side by side:
 * - `blue`, the way a user deploys it: the real app synthesized with `WEBHOOK_LOCAL_ENDPOINT`
 *   (synth writes the local override; state beside the output folder), then terraform with a
 *   `blue.tfvars` file. It manages the account-wide API Gateway logging setting.
 * - `green`, through `deployLocal`, with `manage_api_gateway_account = false`.
 * Then: `rm -rf cdktf.out` + synth + plan shows no changes; a destroy that forgets the variables
 * fails naming `aws_region`, with state and resources intact; the documented destroy removes all
 * of green; blue still plans clean and its stage still logs through its role.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { APIGatewayClient, GetAccountCommand, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { deployLocal, destroyLocal, readSession, terraformLocal } from '../../scripts/lib/local-deploy';
import { listLocalResources, localClientConfig } from '../../scripts/lib/local-resources';
import { ensureMoto, freeLoopbackPort, stopMoto } from '../../scripts/lib/moto-server';
import { describeIfTerraform, TerraformRunner, writeCliConfig } from '../support/terraform';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '..', '..');
const REGION = 'eu-west-1';
const TERRAFORM_TIMEOUT_MS = 8 * 60_000;
const run = promisify(execFile);
/** Lighter deployments: the alarms are not what this suite is about. */
const COMMON_VARS = { aws_region: REGION, enable_alarms: 'false', enable_xray: 'false' };

interface StateFile {
  readonly resources: { mode: string; instances: unknown[] }[];
}
const managedInstances = (statePath: string): number =>
  (JSON.parse(fs.readFileSync(statePath, 'utf8')) as StateFile).resources
    .filter((r) => r.mode === 'managed')
    .reduce((n, r) => n + r.instances.length, 0);
const named = (names: string[], suffix: string) => names.filter((name) => name.includes(`-${suffix}`));

describeIfTerraform('lifecycle on a local AWS API (two environments, one account and region)', (mirror) => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-lifecycle-'));
  const greenDir = path.join(project, 'green-local');
  const outdir = path.join(project, 'cdktf.out');
  const stackDir = path.join(outdir, 'stacks', 'webhook-pipeline');
  const statePath = path.join(project, 'terraform.webhook-pipeline.local.tfstate');
  let endpoint = '';
  let motoPort = 0;
  let blue: TerraformRunner;
  let blueDestroyed = false;
  const synthOutput: string[] = [];

  /** `npm run synth` as a user runs it (the app's own entry point), into this project's cdktf.out. */
  const synthBlue = async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts', 'synth.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDKTF_OUTDIR: outdir,
        WEBHOOK_LOCAL_ENDPOINT: endpoint,
        TF_CLOUD_ORGANIZATION: '',
        TF_WORKSPACE: '',
        WEBHOOK_STATE_PATH: '',
      },
    });
    synthOutput.push(stdout);
    blue = new TerraformRunner(stackDir, writeCliConfig(project, mirror), { TF_DATA_DIR: path.join(project, 'blue-terraform-data') });
    await blue.runOrThrow(['init', '-input=false', '-no-color'], TERRAFORM_TIMEOUT_MS);
  };
  const blueVarFile = path.join(project, 'blue.tfvars');

  beforeAll(async () => {
    motoPort = await freeLoopbackPort();
    endpoint = (await ensureMoto({ port: motoPort, dir: project, lifetime: 'process' })).endpoint;
    fs.writeFileSync(
      blueVarFile,
      Object.entries({ ...COMMON_VARS, environment_suffix: 'blue' })
        .map(([name, value]) => `${name} = ${value === 'false' ? value : JSON.stringify(value)}`)
        .join('\n'),
    );
    await synthBlue();
    // Side by side: both applies at once, against the same account and region.
    await Promise.all([
      blue.runOrThrow(['apply', '-auto-approve', '-input=false', '-no-color', `-var-file=${blueVarFile}`], TERRAFORM_TIMEOUT_MS),
      deployLocal({
        workDir: greenDir,
        motoPort,
        vars: { ...COMMON_VARS, environment_suffix: 'green', manage_api_gateway_account: false },
        terraformTimeoutMs: TERRAFORM_TIMEOUT_MS,
        motoLifetime: 'process',
      }),
    ]);
  });

  afterAll(async () => {
    if (blue && !blueDestroyed) {
      await blue.run(['destroy', '-auto-approve', '-input=false', '-no-color', `-var-file=${blueVarFile}`], TERRAFORM_TIMEOUT_MS);
    }
    if (readSession(greenDir)) await destroyLocal({ workDir: greenDir, terraformTimeoutMs: TERRAFORM_TIMEOUT_MS }).catch(() => undefined);
    await stopMoto(project);
    fs.rmSync(project, { recursive: true, force: true });
  });

  test('synth says what it wrote, and keeps the state beside the output folder', () => {
    expect(synthOutput[0]).toMatch(/Synthesized 1\d\d resources into .*cdktf\.out\/stacks\/webhook-pipeline in \d+\.\d s/);
    expect(synthOutput[0]).toContain(`Local AWS API: ${endpoint}`);
    expect(fs.existsSync(path.join(stackDir, 'local_override.tf.json'))).toBe(true);
    expect(managedInstances(statePath)).toBeGreaterThan(50);
    expect(fs.readdirSync(stackDir).filter((name) => name.endsWith('.tfstate'))).toEqual([]);
  });

  test('rm -rf cdktf.out, synth again, plan: no changes', async () => {
    fs.rmSync(outdir, { recursive: true, force: true });
    await synthBlue();
    const plan = await blue.run(
      ['plan', '-detailed-exitcode', '-input=false', '-no-color', `-var-file=${blueVarFile}`],
      TERRAFORM_TIMEOUT_MS,
    );
    expect([plan.code, plan.stdout]).toEqual([0, expect.stringContaining('No changes.')]);
  });

  test('a destroy that forgets the variables fails naming aws_region; state and resources stay', async () => {
    const session = readSession(greenDir)!;
    const before = managedInstances(session.statePath);
    const forgetful = await terraformLocal(['destroy', '-auto-approve', '-input=false', '-no-color'], {
      workDir: greenDir,
      terraformTimeoutMs: TERRAFORM_TIMEOUT_MS,
    });
    expect(forgetful.code).not.toBe(0);
    expect(forgetful.stderr).toContain('No value for required variable');
    expect(forgetful.stderr).toContain('aws_region');
    expect(managedInstances(session.statePath)).toBe(before);
    const left = await listLocalResources(endpoint, REGION);
    expect(named(left.queues, 'green')).toHaveLength(6);
    expect(named(left.functions, 'green')).toHaveLength(3);
  });

  test('the documented destroy removes all of green and nothing of blue', async () => {
    const result = await destroyLocal({ workDir: greenDir, terraformTimeoutMs: TERRAFORM_TIMEOUT_MS });
    const left = await listLocalResources(endpoint, REGION);
    const green = Object.values(left).flatMap((names: string[]) => named(names, 'green'));
    expect(green).toEqual([]);
    expect(result.leftovers).toEqual(expect.not.objectContaining({ queues: expect.arrayContaining([expect.stringContaining('green')]) }));
    expect(named(left.queues, 'blue')).toHaveLength(6);
    expect(named(left.functions, 'blue')).toHaveLength(3);
  });

  test("blue still plans clean after green's destroy, and its stage logs through its own account role", async () => {
    const plan = await blue.run(
      ['plan', '-detailed-exitcode', '-input=false', '-no-color', `-var-file=${blueVarFile}`],
      TERRAFORM_TIMEOUT_MS,
    );
    expect([plan.code, plan.stdout]).toEqual([0, expect.stringContaining('No changes.')]);
    const config = localClientConfig(endpoint, REGION);
    const apigateway = new APIGatewayClient(config);
    const iam = new IAMClient(config);
    try {
      const account = await apigateway.send(new GetAccountCommand({}));
      expect(account.cloudwatchRoleArn).toMatch(/:role\/webhook-apigw-cloudwatch-blue$/);
      const role = await iam.send(new GetRoleCommand({ RoleName: 'webhook-apigw-cloudwatch-blue' }));
      expect(role.Role?.Arn).toBe(account.cloudwatchRoleArn);
      const outputs = JSON.parse((await blue.runOrThrow(['output', '-json', '-no-color'])) || '{}');
      const stage = await apigateway.send(new GetStageCommand({ restApiId: outputs.api_id.value, stageName: 'v1' }));
      expect(stage.accessLogSettings?.destinationArn).toMatch(/log-group:\/aws\/apigateway\/webhook-api-blue$/);
    } finally {
      apigateway.destroy();
      iam.destroy();
    }
  });

  test('the documented destroy of blue leaves nothing in the region and an empty state', async () => {
    await blue.runOrThrow(['destroy', '-auto-approve', '-input=false', '-no-color', `-var-file=${blueVarFile}`], TERRAFORM_TIMEOUT_MS);
    blueDestroyed = true;
    expect(managedInstances(statePath)).toBe(0);
    const left = await listLocalResources(endpoint, REGION);
    expect(Object.values(left).flatMap((names: string[]) => named(names, 'blue'))).toEqual([]);
  });
});
