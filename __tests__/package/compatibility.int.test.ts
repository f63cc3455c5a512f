/**
 * The compatibility matrix: the package as a user gets it (`npm pack`, which builds lib/, the CDK
 * Terrain tree and the handler zips), installed with a plain `npm install` into an app of each
 * supported line — CDKTF with @cdktf/provider-aws 21.x (hashicorp/aws 6.x) and 20.x (5.x), and CDK
 * Terrain with @cdktn/provider-aws 25.x — where the examples are type-checked, synthesized and
 * tested as their users run them. The apps synthesize the same pipeline: the same resources, and
 * the same attributes but for what the provider's version decides (docs/COMPATIBILITY.md).
 *
 * `terraform validate` runs where this machine has the provider binary (only hashicorp/aws
 * 5.100.0 is in its mirror); elsewhere the test says so by name and version, and checks every
 * attribute against the schema the app's provider bindings were generated from.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AWS_PROVIDER } from '../../scripts/lib/terraform-env';
import { describeIfTerraform, TerraformRunner, writeCliConfig } from '../support/terraform';
import { bindingSource, COMPAT_APPS, type CompatApp, npm, prepareApp, writeExamples } from './compat-apps';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '..', '..');
const META_ARGUMENTS = new Set(['//', 'count', 'for_each', 'depends_on', 'lifecycle', 'provider']);

interface AppRun {
  readonly app: CompatApp;
  readonly dir: string;
  readonly json: any;
  readonly timings: Record<string, number>;
}

const seconds = async <T>(timings: Record<string, number>, step: string, fn: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[step] = (Date.now() - started) / 1000;
  }
};

const hasProvider = (mirror: string, version: string) =>
  fs.existsSync(path.join(mirror, 'registry.terraform.io', AWS_PROVIDER.namespace, AWS_PROVIDER.type, version));

/** The JSON with every reference to data.aws_region's name written one way, so 5.x and 6.x compare. */
const regionNeutral = (json: any) =>
  JSON.parse(JSON.stringify(json).replace(/(data\.aws_region\.[\w-]+)\.(?:name|region)\b/g, '$1.<region>'));

/** Attribute paths (`type.name.a.b`) whose values differ between two synthesized stacks. */
function differingPaths(a: any, b: any, prefix = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => differingPaths(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

const resourcesOf = (json: any) =>
  regionNeutral({ resource: json.resource, data: json.data, output: json.output, variable: json.variable }) as any;
/** Attribute paths with the resources' hashed logical-id suffixes removed, for readable expectations. */
const readable = (paths: string[]) => paths.map((p) => p.replace(/_[0-9A-F]{8}(?=\.|$)/g, '')).sort();

describeIfTerraform('the packed package in an app of each supported framework and provider', (mirror) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-compat-'));
  const runs = new Map<string, AppRun>();
  let tarball = '';
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    const packed = Date.now();
    const { stdout } = await npm(['pack', '--pack-destination', work, '--silent'], ROOT);
    tarball = path.join(work, stdout.trim().split('\n').pop()!);
    console.log(`compatibility: npm pack ${((Date.now() - packed) / 1000).toFixed(1)} s`);
    for (const app of COMPAT_APPS) {
      const timings: Record<string, number> = {};
      const { dir, cacheInstallSeconds } = await prepareApp(app);
      timings['third-party install (0: cached)'] = cacheInstallSeconds;
      writeExamples(app, dir);
      fs.copyFileSync(tarball, path.join(dir, 'webhook-pipeline.tgz'));
      const install = await seconds(timings, 'npm install of the tarball', () =>
        npm(['install', '--no-audit', '--no-fund', './webhook-pipeline.tgz'], dir).catch((error) => {
          throw new Error(`${app.id}: npm install of the packed package failed:\n${error.stderr}`);
        }),
      );
      if (/ERESOLVE|legacy-peer-deps/.test(`${install.stdout}${install.stderr}`)) {
        throw new Error(`${app.id}: npm reported a peer conflict:\n${install.stderr}`);
      }
      await seconds(timings, 'synth', () => npm(['exec', '--', 'node', '-r', 'esbuild-register', 'main.ts'], dir));
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'cdktf.out', 'stacks', 'payments', 'cdk.tf.json'), 'utf8'));
      runs.set(app.id, { app, dir, json, timings });
    }
  });

  afterAll(() => {
    for (const { app, timings } of runs.values()) {
      const figures = Object.entries(timings).map(([step, s]) => `${step} ${s.toFixed(1)} s`);
      console.log(`compatibility: ${app.id} (${app.bindings.name} ${app.bindings.version}): ${figures.join(', ')}`);
    }
  });

  const each = (name: string, fn: (run: AppRun) => Promise<void> | void) =>
    test.each(COMPAT_APPS.map((app) => [app.id]))(`%s: ${name}`, async (id) => fn(runs.get(id)!));

  test('the tarball holds both frameworks’ builds, their declarations and the prebuilt handler zips, and no sources or tests', () => {
    const installed = path.join(runs.get('cdktf-aws20')!.dir, 'node_modules', 'webhook-pipeline');
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    for (const entry of [manifest.exports['.'], manifest.exports['./cdktn']]) {
      expect(fs.existsSync(path.join(installed, entry.default))).toBe(true);
      expect(fs.existsSync(path.join(installed, entry.types))).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(installed, 'cdktn', 'package.json'), 'utf8')).types).toBe('../lib/cdktn/src/index.d.ts');
    for (const name of ['validator', 'processor', 'dispatcher'])
      expect(fs.statSync(path.join(installed, 'lib', 'handlers', `${name}.zip`)).size).toBeGreaterThan(10_000);
    for (const absent of ['src', '__tests__', 'examples', 'lib/src/handlers', 'lib/cdktn/handlers', 'scripts'])
      expect(fs.existsSync(path.join(installed, absent))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'LICENSE'))).toBe(true);
  });

  each("installs without the other framework's packages", ({ app, dir }) => {
    const other = app.framework === 'cdktf' ? ['cdktn', '@cdktn/provider-aws'] : ['cdktf', '@cdktf/provider-aws'];
    for (const name of other) expect(fs.existsSync(path.join(dir, 'node_modules', name))).toBe(false);
    const bindings = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', app.bindings.name, 'package.json'), 'utf8'));
    expect(bindings.version).toBe(app.bindings.version);
    expect(bindings.cdktf.provider.version).toBe(app.providerVersion);
    // The package installed is this run's build, not one a cached app kept from an earlier run.
    const built = (tree: string) => fs.readFileSync(path.join(tree, 'lib', 'src', 'webhook-pipeline.js'), 'utf8');
    expect(built(path.join(dir, 'node_modules', 'webhook-pipeline'))).toBe(built(ROOT));
  });

  each("the wrong entry point fails naming the missing packages and the app's own entry point", async ({ app, dir }) => {
    const wrong = app.framework === 'cdktf' ? 'webhook-pipeline/cdktn' : 'webhook-pipeline';
    const error = await npm(['exec', '--', 'node', '-e', `require(${JSON.stringify(wrong)})`], dir).then(
      () => undefined,
      (failure: { stderr: string }) => failure.stderr,
    );
    expect(error).toContain(`${wrong} is the entry point for`);
    expect(error).toContain(`import from '${app.framework === 'cdktf' ? 'webhook-pipeline' : 'webhook-pipeline/cdktn'}'`);
  });

  each("type-checks the examples against the package's declarations and the app's own bindings", async ({ dir }) => {
    await expect(npm(['exec', '--', 'tsc', '-p', 'tsconfig.json'], dir)).resolves.toBeDefined();
  });

  each(
    "runs the synthscope example's Jest test (Testing.synthScope and the framework's matchers) against its committed snapshot",
    async ({ app, dir, timings }) => {
      const { stdout, stderr } = await seconds(timings, 'jest', () =>
        npm(['exec', '--', 'jest', '--ci'], dir).catch((error) => {
          throw new Error(`${app.id}: the example's tests failed:\n${error.stdout}\n${error.stderr}`);
        }),
      );
      expect(`${stdout}${stderr}`).toMatch(/Tests:\s+5 passed, 5 total/);
      expect(`${stdout}${stderr}`).toMatch(/Snapshots:\s+1 passed, 1 total/);
    },
  );

  each("pins its own provider and deploys the package's prebuilt zips", ({ app, dir, json }) => {
    expect(json.terraform.required_providers.aws.version).toBe(app.providerVersion);
    // The app's own asset bucket, besides the pipeline's event archive.
    expect(Object.keys(json.resource.aws_s3_bucket).filter((id) => !id.includes('history'))).toHaveLength(1);
    const functions = Object.values<any>(json.resource.aws_lambda_function);
    expect(functions.map((fn) => fn.function_name).sort()).toEqual([
      'payments-dispatcher-prod',
      'payments-processor-prod',
      'payments-validator-prod',
    ]);
    expect(JSON.stringify(json)).not.toContain(dir);
  });

  each('sizes the ingest for what its provider allows: 1 MiB on hashicorp/aws ≥ 6.8, 256 KiB on 5.x', ({ app, json }) => {
    const limit = app.providerVersion.startsWith('5.') ? 262_144 : 1_048_576;
    expect(new Set(Object.values<any>(json.resource.aws_sqs_queue).map((q) => q.max_message_size))).toEqual(new Set([limit]));
    const validator = Object.values<any>(json.resource.aws_lambda_function).find((fn) => fn.function_name === 'payments-validator-prod');
    expect(validator.environment.variables).toMatchObject({ MAX_BODY_BYTES: String(limit), MAX_MESSAGE_BYTES: String(limit) });
    const refusal = Object.values<any>(json.resource.aws_api_gateway_integration_response).find((r) => r.status_code === '400');
    expect(refusal.response_templates['application/json']).toContain(limit === 262_144 ? 'over 256 KiB' : 'over 1 MiB');
    // No attribute the provider deprecates: hashicorp/aws 6 reads the region from `region`.
    const text = JSON.stringify(json);
    const [used, deprecated] = app.providerVersion.startsWith('5.') ? ['name', 'region'] : ['region', 'name'];
    expect(text).toMatch(new RegExp(`data\\.aws_region\\.[\\w-]+\\.${used}\\b`));
    expect(text).not.toMatch(new RegExp(`data\\.aws_region\\.[\\w-]+\\.${deprecated}\\b`));
  });

  test('every app synthesizes the same resources; the attributes differ only where the provider version decides', () => {
    const [aws21, aws20, aws25] = ['cdktf-aws21', 'cdktf-aws20', 'cdktn-aws25'].map((id) => resourcesOf(runs.get(id)!.json));
    const addresses = (json: any) =>
      Object.entries<object>({ ...json.resource }).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`));
    expect(addresses(aws20)).toHaveLength(addresses(aws21).length);
    expect(new Set(addresses(aws20))).toEqual(new Set(addresses(aws21)));
    expect(new Set(addresses(aws25))).toEqual(new Set(addresses(aws21)));
    // CDK Terrain with hashicorp/aws 6.66.0 and CDKTF with 6.25.0: the same pipeline, attribute for attribute.
    expect(differingPaths(aws25, aws21)).toEqual([]);
    // 5.x against 6.x: the message size, what follows from it, and nothing else.
    expect(readable(differingPaths(aws20, aws21))).toEqual(
      readable([
        ...Object.keys(aws21.resource.aws_sqs_queue).map((name) => `resource.aws_sqs_queue.${name}.max_message_size`),
        ...Object.entries<any>(aws21.resource.aws_lambda_function).flatMap(([name, fn]) => {
          const vars = {
            'payments-validator-prod': ['MAX_BODY_BYTES', 'MAX_MESSAGE_BYTES'],
            'payments-processor-prod': ['MAX_MESSAGE_BYTES'],
          }[fn.function_name as string];
          return (vars ?? []).map((v) => `resource.aws_lambda_function.${name}.environment.variables.${v}`);
        }),
        `resource.aws_api_gateway_integration_response.${Object.keys(aws21.resource.aws_api_gateway_integration_response).find((n) => n.includes('400'))}.response_templates.application/json`,
        `resource.aws_api_gateway_deployment.${Object.keys(aws21.resource.aws_api_gateway_deployment)[0]}.triggers.redeployment`,
      ]),
    );
  });

  each(
    "passes terraform validate where this machine has its provider, else every attribute is one its bindings' schema knows",
    async ({ app, dir, json }) => {
      const stackDir = path.join(dir, 'cdktf.out', 'stacks', 'payments');
      if (hasProvider(mirror, app.providerVersion)) {
        const tf = new TerraformRunner(stackDir, writeCliConfig(stackDir, mirror));
        await tf.runOrThrow(['init', '-backend=false', '-input=false', '-no-color']);
        const result = await tf.run(['validate', '-json', '-no-color']);
        expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, error_count: 0 });
        return;
      }
      console.warn(
        `compatibility: ${app.id}: terraform validate NOT run — hashicorp/aws ${app.providerVersion} is not in this machine's provider mirror ` +
          `(it holds ${AWS_PROVIDER.version}); checked every resource and attribute against the ${app.bindings.name} ${app.bindings.version} bindings' schema instead`,
      );
      const unknown: string[] = [];
      let checked = 0;
      for (const kind of ['resource', 'data'] as const) {
        for (const [type, byName] of Object.entries<Record<string, object>>(json[kind] ?? {})) {
          const source = bindingSource(dir, app, kind, type);
          if (!source) {
            unknown.push(`${kind} ${type}: no such type in the bindings`);
            continue;
          }
          for (const [name, block] of Object.entries(byName)) {
            for (const attribute of Object.keys(block).filter((key) => !META_ARGUMENTS.has(key))) {
              checked += 1;
              if (!new RegExp(`\\b${attribute}: `).test(source)) unknown.push(`${kind} ${type}.${name}: ${attribute}`);
            }
          }
        }
      }
      expect(unknown).toEqual([]);
      expect(checked).toBeGreaterThan(500);
    },
  );
});
