/**
 * What the pipeline synthesizes for the AWS provider in its stack. This repository's bindings are
 * @cdktf/provider-aws 20.1.0 (hashicorp/aws 5.100.0); a stack whose provider says 6.x is built here
 * with a provider element carrying that version, as the 21.x and 25.x bindings' AwsProvider does
 * (their own output is proven in __tests__/package/compatibility.int.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TerraformProvider, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { bundleHandler } from '../../../src/bundling/bundle-handler';
import {
  awsProviderFeatures,
  awsProviderFeaturesOf,
  CLASSIC_MAX_MESSAGE_BYTES,
  compareVersions,
  FEATURE_VERSIONS,
  MAX_MESSAGE_BYTES_1_MIB,
} from '../../../src/config/aws-provider';
import { QueueWithDlq } from '../../../src/constructs/queue-with-dlq';
import { WebhookPipeline, type WebhookPipelineProps } from '../../../src/webhook-pipeline';
import { COMPAT_APPS } from '../../package/compat-apps';
import { bareStack, resourcesOfType } from '../../support/construct';

/** hashicorp/aws at `version`, as a generated provider binding declares itself. */
class AwsProviderAt extends TerraformProvider {
  constructor(scope: Construct, version: string) {
    super(scope, 'aws', {
      terraformResourceType: 'aws',
      terraformGeneratorMetadata: { providerName: 'aws', providerVersion: version, providerVersionConstraint: '~> 6.0' },
      terraformProviderSource: 'aws',
    });
  }
  protected synthesizeAttributes(): Record<string, unknown> {
    return { region: 'eu-west-1' };
  }
}

const stackWithProvider = (version: string) => {
  const stack = new TerraformStack(Testing.app(), 'app');
  new AwsProviderAt(stack, version);
  return stack;
};
const synthPipeline = (stack: TerraformStack, props: WebhookPipelineProps = {}) => {
  const pipeline = new WebhookPipeline(stack, 'hooks', { bundle: bundleHandler, ...props });
  return { pipeline, json: JSON.parse(Testing.synth(stack)) };
};
const validatorEnv = (json: any) =>
  resourcesOfType(json, 'aws_lambda_function').find((fn) => fn.function_name.includes('validator')).environment.variables;

describe('compareVersions', () => {
  test.each([
    ['6.8.0', '6.8.0', 0],
    ['6.10.0', '6.8.0', 1],
    ['5.100.0', '6.0.0', -1],
    ['6.8.0-beta1', '6.8.0', 0],
    ['6.25', '6.25.0', 0],
  ])('%s against %s is %i', (a, b, expected) => expect(compareVersions(a, b)).toBe(expected));
});

describe('awsProviderFeatures', () => {
  test.each([
    ['5.100.0', CLASSIC_MAX_MESSAGE_BYTES, 'name', ['nodejs22.x']],
    ['6.0.0', CLASSIC_MAX_MESSAGE_BYTES, 'region', ['nodejs22.x']],
    ['6.7.9', CLASSIC_MAX_MESSAGE_BYTES, 'region', ['nodejs22.x']],
    ['6.8.0', MAX_MESSAGE_BYTES_1_MIB, 'region', ['nodejs22.x']],
    ['6.19.0', MAX_MESSAGE_BYTES_1_MIB, 'region', ['nodejs22.x', 'nodejs24.x']],
    ['6.66.0', MAX_MESSAGE_BYTES_1_MIB, 'region', ['nodejs22.x', 'nodejs24.x']],
  ])('hashicorp/aws %s: messages up to %i bytes, data.aws_region.%s, runtimes %j', (version, bytes, attribute, runtimes) => {
    expect(awsProviderFeatures(version)).toMatchObject({ maxMessageBytes: bytes, regionAttribute: attribute, lambdaRuntimes: runtimes });
  });

  test('a version that is not one names itself', () => {
    expect(() => awsProviderFeatures('latest')).toThrow('the AWS provider\'s version must look like 6.25.0, got "latest"');
  });

  test("reads the stack's AwsProvider, else the installed bindings' own version", () => {
    expect(awsProviderFeaturesOf(bareStack())).toMatchObject({ version: '5.100.0', readFrom: 'stack provider' });
    expect(awsProviderFeaturesOf(stackWithProvider('6.25.0'))).toMatchObject({ version: '6.25.0', readFrom: 'stack provider' });
    expect(awsProviderFeaturesOf(new TerraformStack(Testing.app(), 'bare'))).toMatchObject({
      version: '5.100.0',
      readFrom: 'provider bindings',
    });
  });
});

describe('WebhookPipeline on hashicorp/aws 5.100.0', () => {
  const { json, pipeline } = synthPipeline(bareStack());

  test('every queue takes 256 KiB, and the validator and its batches use the same limit', () => {
    expect(new Set(resourcesOfType(json, 'aws_sqs_queue').map((q) => q.max_message_size))).toEqual(new Set([262_144]));
    expect(validatorEnv(json)).toMatchObject({ MAX_BODY_BYTES: '262144', MAX_MESSAGE_BYTES: '262144' });
    expect(pipeline.maxWebhookBytes).toBe(262_144);
  });

  test("reads the region from data.aws_region's name, and the edge's refusal states 256 KiB", () => {
    expect(JSON.stringify(json)).toMatch(/\$\{data\.aws_region\.[\w-]+\.name\}/);
    expect(JSON.stringify(json)).not.toMatch(/\$\{data\.aws_region\.[\w-]+\.region\}/);
    const refusal = resourcesOfType(json, 'aws_api_gateway_integration_response').find((r) => r.status_code === '400');
    expect(refusal.response_templates['application/json']).toContain('over 256 KiB with its headers');
  });

  test('runs nodejs22.x, and refuses nodejs24.x naming the prop and the provider version', () => {
    expect(new Set(resourcesOfType(json, 'aws_lambda_function').map((fn) => fn.runtime))).toEqual(new Set(['nodejs22.x']));
    expect(() => synthPipeline(bareStack(), { runtime: 'nodejs24.x' })).toThrow(
      'WebhookPipeline: runtime "nodejs24.x" needs hashicorp/aws 6.19.0 or later, and the stack has hashicorp/aws 5.100.0 (from the stack provider)',
    );
    expect(() => synthPipeline(bareStack(), { runtime: 'nodejs18.x' as never })).toThrow(
      'WebhookPipeline: runtime must be one of nodejs22.x, nodejs24.x, got "nodejs18.x"',
    );
  });

  test('refuses a 1 MiB maxWebhookBytes, naming the prop, the provider version and what allows it', () => {
    expect(() => synthPipeline(bareStack(), { maxWebhookBytes: 1_048_576 })).toThrow(
      'WebhookPipeline: maxWebhookBytes must be a whole number of bytes from 1024 to 262144, the largest message hashicorp/aws 5.100.0 (from the stack provider) lets a queue take (1 MiB needs hashicorp/aws 6.8 or later), got 1048576',
    );
  });

  test('a smaller maxWebhookBytes lowers only the validator body limit: the queues keep the provider limit', () => {
    const small = synthPipeline(bareStack(), { maxWebhookBytes: 65_536 }).json;
    expect(validatorEnv(small)).toMatchObject({ MAX_BODY_BYTES: '65536', MAX_MESSAGE_BYTES: '262144' });
    expect(new Set(resourcesOfType(small, 'aws_sqs_queue').map((q) => q.max_message_size))).toEqual(new Set([262_144]));
  });
});

describe('WebhookPipeline on hashicorp/aws 6.25.0', () => {
  const { json, pipeline } = synthPipeline(stackWithProvider('6.25.0'), { runtime: 'nodejs24.x' });

  test('every queue takes 1 MiB; the validator accepts 1 MiB bodies and splits batches at 1 MiB', () => {
    expect(new Set(resourcesOfType(json, 'aws_sqs_queue').map((q) => q.max_message_size))).toEqual(new Set([1_048_576]));
    expect(validatorEnv(json)).toMatchObject({ MAX_BODY_BYTES: '1048576', MAX_MESSAGE_BYTES: '1048576' });
    const processor = resourcesOfType(json, 'aws_lambda_function').find((fn) => fn.function_name.includes('processor'));
    expect(processor.environment.variables.MAX_MESSAGE_BYTES).toBe('1048576');
    expect(pipeline.awsProvider).toMatchObject({ version: '6.25.0', maxMessageBytes: 1_048_576 });
  });

  test("reads the region from data.aws_region's region (name is deprecated in 6.x); the edge states 1 MiB", () => {
    const text = JSON.stringify(json);
    expect(text).toMatch(/\$\{data\.aws_region\.[\w-]+\.region\}/);
    expect(text).not.toMatch(/\$\{data\.aws_region\.[\w-]+\.name\}/);
    const refusal = resourcesOfType(json, 'aws_api_gateway_integration_response').find((r) => r.status_code === '400');
    expect(refusal.response_templates['application/json']).toContain('over 1 MiB with its headers');
  });

  test('runs the runtime asked for', () => {
    expect(new Set(resourcesOfType(json, 'aws_lambda_function').map((fn) => fn.runtime))).toEqual(new Set(['nodejs24.x']));
  });

  test('below 6.8 the queues stay at 256 KiB, whatever the major version', () => {
    const older = synthPipeline(stackWithProvider('6.7.0')).json;
    expect(new Set(resourcesOfType(older, 'aws_sqs_queue').map((q) => q.max_message_size))).toEqual(new Set([262_144]));
  });
});

describe('QueueWithDlq on its own', () => {
  test("takes the provider's limit by default and refuses more, naming the prop and the provider", () => {
    const stack = stackWithProvider('6.8.0');
    const queue = new QueueWithDlq(stack, 'orders', { name: 'orders' });
    expect(queue.maxMessageBytes).toBe(1_048_576);
    expect(() => new QueueWithDlq(bareStack(), 'big', { name: 'big', maxMessageBytes: 1_048_576 })).toThrow(
      'QueueWithDlq big: maxMessageBytes must be a whole number of bytes from 1024 to 262144, the most hashicorp/aws 5.100.0 (from the stack provider) lets a queue take, got 1048576',
    );
  });
});

describe('docs/COMPATIBILITY.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'COMPATIBILITY.md'), 'utf8');

  test('lists the version each provider-dependent choice starts from', () => {
    for (const version of Object.values(FEATURE_VERSIONS)) expect(doc).toMatch(new RegExp(`\\| ${version.replace(/\./g, '\\.')} +\\|`));
    expect(doc).toContain(`${CLASSIC_MAX_MESSAGE_BYTES} bytes (256 KiB)`);
    expect(doc).toContain(`${MAX_MESSAGE_BYTES_1_MIB} bytes (1 MiB)`);
  });

  test('lists every combination the compatibility matrix installs', () => {
    for (const app of COMPAT_APPS) {
      expect(doc).toContain(`\`${app.id}\` app`);
      expect(doc).toContain(app.providerVersion);
      expect(doc).toContain(`${app.bindings.name}\` ${app.bindings.version.split('.')[0]}`);
    }
  });
});
