import { TerraformProvider, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';

/**
 * What the stack's hashicorp/aws provider supports, by version. Every choice the construct makes
 * from the provider's version is decided here, and docs/COMPATIBILITY.md lists the same table.
 */
export interface AwsProviderFeatures {
  /** The hashicorp/aws version, e.g. `5.100.0`. */
  readonly version: string;
  /** Where the version was read: the stack's `AwsProvider`, or the installed bindings' package. */
  readonly readFrom: 'stack provider' | 'provider bindings';
  /** The largest SQS message the provider lets a queue take: 1 MiB from 6.8.0 on, 256 KiB before. */
  readonly maxMessageBytes: number;
  /** `data.aws_region`'s attribute holding the region's name: 6.0 deprecated `name` for `region`. */
  readonly regionAttribute: 'name' | 'region';
  /** The Node.js Lambda runtimes this pipeline may run on with this provider, oldest first. */
  readonly lambdaRuntimes: readonly LambdaRuntime[];
}

/** Node.js runtimes the handlers are built for; nodejs20.x left Lambda's support on 2026-04-30. */
export const LAMBDA_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];
/** The default runtime: Node.js 22, an LTS release every supported provider version knows. */
export const DEFAULT_LAMBDA_RUNTIME: LambdaRuntime = 'nodejs22.x';

/** SQS's message size limit before AWS raised it (and on every 5.x provider). */
export const CLASSIC_MAX_MESSAGE_BYTES = 262_144;
/** SQS's message size limit since August 2025. */
export const MAX_MESSAGE_BYTES_1_MIB = 1_048_576;

/** The first provider version of each feature the construct switches on. */
export const FEATURE_VERSIONS = {
  /** `data.aws_region.region` (and `name` deprecated). */
  regionAttribute: '6.0.0',
  /** `max_message_size` up to 1048576 on `aws_sqs_queue`. */
  oneMibMessages: '6.8.0',
  /** `runtime = "nodejs24.x"` on `aws_lambda_function`. */
  nodejs24: '6.19.0',
} as const;

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b` (`major.minor.patch`, pre-release ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) =>
    version
      .split(/[-+]/)[0]!
      .split('.')
      .map((part) => Number(part) || 0);
  const [left, right] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

const atLeast = (version: string, minimum: string) => compareVersions(version, minimum) >= 0;

/** The features of hashicorp/aws `version`. */
export function awsProviderFeatures(version: string, readFrom: AwsProviderFeatures['readFrom'] = 'stack provider'): AwsProviderFeatures {
  if (!/^\d+\.\d+\.\d+/.test(version)) throw new Error(`the AWS provider's version must look like 6.25.0, got ${JSON.stringify(version)}`);
  return {
    version,
    readFrom,
    maxMessageBytes: atLeast(version, FEATURE_VERSIONS.oneMibMessages) ? MAX_MESSAGE_BYTES_1_MIB : CLASSIC_MAX_MESSAGE_BYTES,
    regionAttribute: atLeast(version, FEATURE_VERSIONS.regionAttribute) ? 'region' : 'name',
    lambdaRuntimes: LAMBDA_RUNTIMES.filter((runtime) => runtime !== 'nodejs24.x' || atLeast(version, FEATURE_VERSIONS.nodejs24)),
  };
}

/** The provider version the installed bindings generate for: their package's `cdktf.provider.version`. */
function bindingsProviderVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- read once, only when the stack has no AWS provider yet
  const manifest = require('@cdktf/provider-aws/package.json') as { cdktf?: { provider?: { version?: string } } };
  const version = manifest.cdktf?.provider?.version;
  if (!version) throw new Error('@cdktf/provider-aws/package.json names no provider version (cdktf.provider.version)');
  return version;
}

/**
 * The features of the AWS provider `scope`'s stack runs with. The stack's `AwsProvider` decides:
 * its bindings write their own version into `required_providers`. A stack whose provider is added
 * later (or a `Testing.synthScope` scope with none) gets the installed bindings' version, which is
 * the same package.
 */
export function awsProviderFeaturesOf(scope: IConstruct): AwsProviderFeatures {
  const stack = TerraformStack.of(scope);
  const provider = stack.node
    .findAll()
    .find(
      (node): node is TerraformProvider =>
        node instanceof TerraformProvider && node.terraformResourceType === 'aws' && !!node.terraformGeneratorMetadata?.providerVersion,
    );
  const fromStack = provider?.terraformGeneratorMetadata?.providerVersion;
  return fromStack ? awsProviderFeatures(fromStack, 'stack provider') : awsProviderFeatures(bindingsProviderVersion(), 'provider bindings');
}

/** One line naming the provider, for errors: `hashicorp/aws 5.100.0 (from the stack provider)`. */
export const describeProvider = (features: AwsProviderFeatures) => `hashicorp/aws ${features.version} (from the ${features.readFrom})`;
