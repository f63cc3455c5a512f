/**
 * Upgrading from 0.1.0 replaces and moves nothing it should not: `terraform plan` of today's JSON over a state that 0.1.0
 * wrote (applied on moto with its default variables, `__tests__/fixtures/terraform-state-0.1.0.json`)
 * plans only what a release is meant to change — new handler code, and a new API deployment when
 * the ingest template changes — and no other create, update, replace or delete. The construct
 * refactor alone planned no change at all. The three account-logging resources that gained a
 * `count` (manage_api_gateway_account) move to instance 0, which Terraform does by itself.
 * `-refresh=false`: the state is compared with the configuration, offline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCAL_OVERRIDE_FILE, localOverride } from '../../src/config/local-endpoint';
import { synthToDirectory } from '../support/stack';
import { copyStack, describeIfTerraform, planVarArgs, TerraformRunner, writeCliConfig } from '../support/terraform';

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
    fs.writeFileSync(path.join(dir, LOCAL_OVERRIDE_FILE), JSON.stringify(localOverride(json, 'http://127.0.0.1:9', statePath)));
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

  test('plans only new code and a new API deployment: nothing else is created, updated, replaced or deleted', () => {
    const managed = changes.filter((c) => c.mode === 'managed');
    expect(managed.length).toBe(83);
    const acting = managed
      .filter((c) => !(c.change.actions.length === 1 && c.change.actions[0] === 'no-op'))
      .map((c) => `${c.address.replace(/\..*/, '')}: ${c.change.actions.join(',')}`);
    const allowed = new Set([
      // New handler code (0.2.0 adds the standard-webhooks scheme): an in-place update.
      'aws_lambda_function: update',
      // The ingest template forwards the Standard Webhooks headers: the integration is updated in
      // place and a new deployment is created before the old one goes (create_before_destroy),
      // which the stage then points at. Queues, their messages and the API itself stay.
      'aws_api_gateway_integration: update',
      'aws_api_gateway_deployment: create,delete',
      'aws_api_gateway_stage: update',
    ]);
    expect(acting.filter((change) => !allowed.has(change))).toEqual([]);
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
