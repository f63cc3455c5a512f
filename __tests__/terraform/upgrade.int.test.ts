/**
 * Upgrading from 0.1.0 replaces and moves nothing it should not: `terraform plan` of today's JSON over a state that 0.1.0
 * wrote (applied on moto with its default variables, `__tests__/fixtures/terraform-state-0.1.0.json`)
 * plans only what a release is meant to change — new handler code, and a new API deployment when
 * the ingest template changes, and for 0.2.0 the alarm that replaces the deliver queue's age
 * alarm — and no other create, update, replace or delete. The construct
 * refactor alone planned no change at all. The three account-logging resources that gained a
 * `count` (manage_api_gateway_account) move to instance 0, which Terraform does by itself.
 * `-refresh=false`: the state is compared with the configuration, offline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCAL_OVERRIDE_FILE, localOverride } from '../../src/config/local-endpoint';
import { synthToDirectory } from '../support/stack';
import { copyStack, describeIfTerraform, planVarArgs, TerraformRunner, writeCliConfig } from '../support/terraform';
import { ARCHIVE_ADDRESSES_LOCAL, ARCHIVE_ALARM_ADDRESSES } from '../support/archive-addresses';

jest.setTimeout(300_000);

const STATE_FIXTURE = path.join(__dirname, '..', 'fixtures', 'terraform-state-0.1.0.json');

interface ResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly mode: string;
  readonly change: { readonly actions: string[] };
}

describeIfTerraform('upgrading a 0.1.0 deployment (terraform plan over its state)', (mirror) => {
  let changes: ResourceChange[] = [];

  beforeAll(async () => {
    const dir = copyStack(synthToDirectory(), 'webhook-upgrade-');
    const statePath = path.join(dir, 'state-0.1.0.tfstate');
    fs.copyFileSync(STATE_FIXTURE, statePath);
    // The state was written on moto, with the local allowances (src/config/local-endpoint.ts); the
    // endpoint is never called: -refresh=false.
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
    fs.writeFileSync(
      path.join(dir, LOCAL_OVERRIDE_FILE),
      JSON.stringify(localOverride(json, 'http://127.0.0.1:9', statePath, { endpointAnswers: false })),
    );
    const tf = new TerraformRunner(dir, writeCliConfig(dir, mirror));
    await tf.init();
    await tf.runOrThrow(['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false', '-out=upgrade.tfplan', ...planVarArgs({})]);
    changes = JSON.parse(await tf.runOrThrow(['show', '-json', '-no-color', 'upgrade.tfplan'])).resource_changes ?? [];
  });

  test('the state holds the whole 0.1.0 deployment', () => {
    const state = JSON.parse(fs.readFileSync(STATE_FIXTURE, 'utf8'));
    expect(state.terraform_version).toMatch(/^1\./);
    // 87 resources less the e-mail subscription (no address by default) and the three redrive
    // allow policies moto cannot hold (count = 0 locally).
    expect(state.resources.filter((r: { mode: string }) => r.mode === 'managed').length).toBe(83);
  });

  test('plans exactly what 0.2.0 changes, each in place or create-before-delete: no stateful resource is replaced or deleted', () => {
    const managed = changes.filter((c) => c.mode === 'managed');
    // The 83 resources of 0.1.0, plus the delivery failure rate alarm, plus 0.3.0's event archive
    // (19 here: its TLS-only bucket policy has no instance locally) and its 2 alarms.
    expect(managed.length).toBe(105);
    const acting = Object.fromEntries(
      managed
        .filter((c) => !(c.change.actions.length === 1 && c.change.actions[0] === 'no-op'))
        .map((c) => [c.address.replace(/_[0-9A-F]{8}(?=$|\[)/, ''), c.change.actions.join(',')]),
    );
    expect(acting).toEqual({
      // New handler code and environment (destinations, retry schedule, source options): in place.
      'aws_lambda_function.validator_function': 'update',
      'aws_lambda_function.processor_function': 'update',
      'aws_lambda_function.dispatcher_function': 'update',
      // The dispatcher may dead-letter (410) and read every delivery secret; the processor's claim
      // needs only PutItem and DeleteItem.
      'aws_iam_role_policy.dispatcher_policy': 'update',
      'aws_iam_role_policy.processor_policy': 'update',
      // The ingest template forwards per scheme and refuses unknown sources; the 4xx answer says
      // so. Updated in place, and a new deployment is created before the old one goes
      // (create_before_destroy), which the stage then points at. The API and queues stay.
      'aws_api_gateway_integration.api_sqs-integration': 'update',
      'aws_api_gateway_integration_response.api_integration-response-400': 'update',
      'aws_api_gateway_deployment.api_deployment': 'create,delete',
      'aws_api_gateway_stage.api_stage': 'update',
      // The deliver queue's messages now back off by design: its age alarm gives way to a delivery
      // failure rate alarm; the dashboard charts deliveries by destination.
      'aws_cloudwatch_metric_alarm.alarms_deliver-age[0]': 'delete',
      'aws_cloudwatch_metric_alarm.alarms_dispatcher-delivery-failure-rate[0]': 'create',
      'aws_cloudwatch_dashboard.dashboard': 'update',
      // 0.3.0: the shared deliver queue only drains what was queued before the delivery lanes, at
      // the least concurrency; the lanes (none without a destination) take the rest of the reserve.
      'aws_lambda_event_source_mapping.dispatcher_event-source': 'update',
      // 0.3.0: the event archive and its alarms, new.
      ...Object.fromEntries([...ARCHIVE_ADDRESSES_LOCAL, ...ARCHIVE_ALARM_ADDRESSES].map((address) => [address, 'create'])),
    });
  });

  test("the deliver queue's maxReceiveCount follows the retry schedule: an in-place update AWS shows (the moto override hides it)", () => {
    // The state's redrive policy says 5; the configuration says max(5, steps + 1) = 8 by default.
    // Locally, queues ignore redrive_policy changes (moto re-serializes the JSON), so the plan above
    // cannot show the update; on AWS it is an in-place update of the queue attribute.
    const state = JSON.parse(fs.readFileSync(STATE_FIXTURE, 'utf8'));
    const deliver = state.resources.find(
      (r: { type: string; name: string }) => r.type === 'aws_sqs_queue' && r.name.startsWith('deliver_queue'),
    );
    expect(JSON.parse(deliver.instances[0].attributes.redrive_policy).maxReceiveCount).toBe(5);
    const json = JSON.parse(fs.readFileSync(path.join(synthToDirectory(), 'cdk.tf.json'), 'utf8'));
    expect(json.resource.aws_sqs_queue[deliver.name].redrive_policy).toContain(
      '"maxReceiveCount":${max(5, sum([length(var.delivery_retry_schedule), 1]))}',
    );
    expect(json.resource.aws_sqs_queue[deliver.name].message_retention_seconds).toMatch(/^\$\{min\(1036800, max\(345600, /);
  });

  test('only the account-logging resources move, to instance 0', () => {
    const moved = changes.filter((c) => c.previous_address !== undefined).map((c) => [c.previous_address, c.address]);
    expect(moved.sort()).toEqual(
      [
        'aws_api_gateway_account.api_account-logging_account_20A805C2',
        'aws_iam_role.api_account-logging_role_592D0454',
        'aws_iam_role_policy.api_account-logging_policy_655027BA',
      ].map((address) => [address, `${address}[0]`]),
    );
  });
});
