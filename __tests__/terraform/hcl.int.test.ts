/**
 * The exit path off CDKTF: `npm run synth:hcl` (cdktf synth --hcl) writes cdk.tf, and Terraform
 * must read it as it reads cdk.tf.json: `terraform validate` passes with no warning of its own, and an
 * offline plan of the HCL plans exactly what a plan of the JSON does.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HCL_CONFIGURATION_FILE } from '../../src/hcl/configuration-files';
import { STACK_NAME } from '../../stacks/webhook-pipeline-stack';
import { synthToDirectory } from '../support/stack';
import {
  copyStack,
  describeIfTerraform,
  PlanJson,
  plannedResources,
  TerraformRunner,
  writeCliConfig,
  writeOfflineOverride,
} from '../support/terraform';

jest.setTimeout(600_000);

/** Runs `npm run synth:hcl`, writing into `outdir` instead of cdktf.out. */
function synthHcl(outdir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['run', 'synth:hcl', '--', '--output', outdir],
      { cwd: path.resolve(__dirname, '..', '..'), env: { ...process.env, CI: 'true' }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`npm run synth:hcl failed: ${error.message}\n${stderr}\n${stdout}`)) : resolve(stdout),
    );
  });
}

describeIfTerraform('HCL synth (terraform validate and plan)', (mirror) => {
  let synthesized: string;
  let hcl: TerraformRunner;
  let json: TerraformRunner;

  beforeAll(async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-hcl-'));
    // A JSON left over from an earlier synth must not survive beside the HCL.
    fs.mkdirSync(path.join(outdir, 'stacks', STACK_NAME), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'stacks', STACK_NAME, 'cdk.tf.json'), '{}');
    await synthHcl(outdir);
    synthesized = path.join(outdir, 'stacks', STACK_NAME);
    const hclDir = copyStack(synthesized);
    hcl = new TerraformRunner(hclDir, writeCliConfig(hclDir, mirror));
    const jsonDir = copyStack(synthToDirectory());
    json = new TerraformRunner(jsonDir, writeCliConfig(jsonDir, mirror));
    for (const runner of [hcl, json]) await runner.runOrThrow(['init', '-backend=false', '-input=false', '-no-color']);
  });

  test('writes cdk.tf, and only cdk.tf, beside the assets', () => {
    const files = fs.readdirSync(synthesized);
    expect(files).toContain(HCL_CONFIGURATION_FILE);
    expect(files).toContain('assets');
    expect(files).not.toContain('cdk.tf.json');
    expect(fs.readFileSync(path.join(synthesized, HCL_CONFIGURATION_FILE), 'utf8')).toMatch(/^terraform \{/);
  });

  test('terraform validate passes, with no warning the JSON does not have', async () => {
    const validate = async (runner: TerraformRunner) => {
      const result = JSON.parse((await runner.run(['validate', '-json', '-no-color'])).stdout);
      const warnings = result.diagnostics.map((d: { summary: string; address?: string }) => `${d.summary} ${d.address ?? ''}`);
      return { valid: result.valid, errors: result.error_count, warnings: warnings.sort() };
    };
    const [fromHcl, fromJson] = await Promise.all([validate(hcl), validate(json)]);
    expect(fromHcl).toMatchObject({ valid: true, errors: 0 });
    // e.g. cdktf's quoted depends_on references would show up here as "Quoted references are deprecated".
    expect(fromHcl.warnings).toEqual(fromJson.warnings);
  });

  test('an offline plan of the HCL equals the plan of the JSON, for each toggle', async () => {
    for (const runner of [hcl, json]) {
      writeOfflineOverride(runner.dir);
      await runner.init();
    }
    const resources = (plan: PlanJson) => Object.fromEntries(plannedResources(plan).map((r) => [r.address, r.values]));
    const scenarios: Record<string, string>[] = [{}, { enable_alarms: 'false', enable_xray: 'false', alarm_email: 'ops@example.com' }];
    for (const vars of scenarios) {
      const [fromHcl, fromJson] = await Promise.all([hcl.plan(vars), json.plan(vars)]);
      expect(Object.keys(resources(fromHcl)).length).toBeGreaterThan(50);
      expect(resources(fromHcl)).toEqual(resources(fromJson));
    }
  });
});
