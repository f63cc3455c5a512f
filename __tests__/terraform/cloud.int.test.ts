/**
 * Terraform Cloud: the JSON synthesized with TF_CLOUD_ORGANIZATION and TF_WORKSPACE has a `cloud`
 * block, no local backend, and passes `terraform validate` (init -backend=false: no login needed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSynthSettings } from '../../src/config/settings';
import { synthToDirectory } from '../support/stack';
import { copyStack, describeIfTerraform, TerraformRunner, writeCliConfig } from '../support/terraform';

jest.setTimeout(600_000);

describeIfTerraform('Terraform Cloud synth (terraform validate)', (mirror) => {
  let dir: string;
  let tf: TerraformRunner;

  beforeAll(async () => {
    const settings = readSynthSettings({ TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'webhooks-prod' });
    dir = copyStack(synthToDirectory(settings));
    // TF_WORKSPACE in the environment would select a workspace of its own; the block names it.
    tf = new TerraformRunner(dir, writeCliConfig(dir, mirror), { TF_WORKSPACE: undefined });
    await tf.runOrThrow(['init', '-backend=false', '-input=false', '-no-color']);
  });

  test('has a cloud block and no backend', () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.cloud).toEqual({ hostname: 'app.terraform.io', organization: 'acme', workspaces: { name: 'webhooks-prod' } });
    expect(json.terraform.backend).toBeUndefined();
  });

  test('the stack folder to upload holds the JSON and the Lambda zips it names', () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
    for (const fn of Object.values<any>(json.resource.aws_lambda_function)) {
      expect(fs.existsSync(path.join(dir, fn.filename))).toBe(true);
    }
  });

  test('terraform validate passes', async () => {
    const result = await tf.run(['validate', '-json', '-no-color']);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, error_count: 0 });
  });
});
