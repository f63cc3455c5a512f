/**
 * The package as a user gets it: `npm pack` (which builds lib/ and the handler zips), the tarball
 * installed into temporary copies of `examples/own-app` and `examples/synthscope-test`, the first
 * type-checked against the package's declarations, synthesized and run through real
 * `terraform validate`, the second's Jest test run against its committed snapshot.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describeIfTerraform, TerraformRunner, writeCliConfig } from '../support/terraform';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES = ['own-app', 'synthscope-test'];
const run = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  run('npm', args, {
    cwd,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describeIfTerraform('the packed package in the examples', (mirror) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-examples-'));
  let tarball: string;
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    const { stdout } = await npm(['pack', '--pack-destination', work, '--silent'], ROOT);
    tarball = path.join(work, stdout.trim().split('\n').pop()!);
    // One npm workspace holding a copy of each example: one install serves both, each with its
    // own package.json, the package coming from the tarball instead of the registry.
    for (const example of EXAMPLES) {
      fs.cpSync(path.join(ROOT, 'examples', example), path.join(work, example), { recursive: true });
      const manifestPath = path.join(work, example, 'package.json');
      const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
      manifest.dependencies['webhook-pipeline'] = `file:${tarball}`;
      fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    }
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ private: true, workspaces: EXAMPLES }));
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], work);
  });

  test('the tarball holds the compiled package, its declarations and the prebuilt handler zips, and no sources or tests', () => {
    const installed = path.join(work, 'node_modules', 'webhook-pipeline');
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(fs.existsSync(path.join(installed, manifest.main))).toBe(true);
    expect(fs.existsSync(path.join(installed, manifest.types))).toBe(true);
    for (const name of ['validator', 'processor', 'dispatcher'])
      expect(fs.statSync(path.join(installed, 'lib', 'handlers', `${name}.zip`)).size).toBeGreaterThan(10_000);
    for (const absent of ['src', '__tests__', 'examples', 'lib/src/handlers'])
      expect(fs.existsSync(path.join(installed, absent))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'LICENSE'))).toBe(true);
  });

  describe('examples/own-app', () => {
    const app = () => path.join(work, 'own-app');
    const stackDir = () => path.join(app(), 'cdktf.out', 'stacks', 'payments');

    beforeAll(async () => {
      await npm(['run', 'synth', '--silent'], app());
    });

    test('type-checks against the package declarations', async () => {
      await expect(npm(['run', 'typecheck', '--silent'], app())).resolves.toBeDefined();
    });

    test("synthesizes the app's own resources beside the pipeline, deploying the package's prebuilt zips", () => {
      const json = JSON.parse(fs.readFileSync(path.join(stackDir(), 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(json.resource.aws_s3_bucket)).toHaveLength(1);
      const functions = Object.values<any>(json.resource.aws_lambda_function);
      expect(functions.map((fn) => fn.function_name).sort()).toEqual([
        'payments-dispatcher-prod',
        'payments-processor-prod',
        'payments-validator-prod',
      ]);
      const installed = path.join(work, 'node_modules', 'webhook-pipeline', 'lib', 'handlers');
      for (const fn of functions) {
        const name = fn.function_name.split('-')[1];
        expect(sha256(path.join(stackDir(), fn.filename))).toBe(sha256(path.join(installed, `${name}.zip`)));
      }
      expect(JSON.stringify(json)).not.toContain(work);
    });

    test('passes terraform validate', async () => {
      const tf = new TerraformRunner(stackDir(), writeCliConfig(stackDir(), mirror));
      await tf.runOrThrow(['init', '-backend=false', '-input=false', '-no-color']);
      const result = await tf.run(['validate', '-json', '-no-color']);
      expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, error_count: 0 });
    });
  });

  test("examples/synthscope-test: the user's Jest test passes against its committed snapshot", async () => {
    const { stdout, stderr } = await npm(['test', '--silent', '--', '--ci'], path.join(work, 'synthscope-test')).catch((error) => {
      throw new Error(`the example's tests failed:\n${error.stdout}\n${error.stderr}`);
    });
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+5 passed, 5 total/);
    expect(`${stdout}${stderr}`).toMatch(/Snapshots:\s+1 passed, 1 total/);
  });
});
