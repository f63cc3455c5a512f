import { isToken } from '../core/values';

/**
 * Physical names: `<prefix>-<parts>-<suffix>`, e.g. `webhook-ingest-dlq-dev`. The suffix may be a
 * plan-time token (the stack passes `var.environment_suffix`), so one JSON serves every workspace.
 */
export const DEFAULT_NAME_PREFIX = 'webhook';
export const DEFAULT_ENVIRONMENT_SUFFIX = 'dev';

interface NamedResourceKind {
  /** Longest name of this kind the pipeline builds, without the `<prefix>-` head and `-<suffix>` tail. */
  readonly longestStem: string;
  /** The AWS limit on the whole name. */
  readonly limit: number;
}

const NAMED_KINDS: Record<string, NamedResourceKind> = {
  'IAM role': { longestStem: 'dispatcher-role', limit: 64 },
  'IAM role (API Gateway)': { longestStem: 'apigw-cloudwatch', limit: 64 },
  'Lambda function': { longestStem: 'dispatcher', limit: 64 },
  'SQS queue': { longestStem: 'deliver-dlq', limit: 80 },
  'CloudWatch alarm': { longestStem: 'dispatcher-concurrency', limit: 255 },
  'SNS topic': { longestStem: 'alarms', limit: 256 },
  'DynamoDB table': { longestStem: 'idempotency', limit: 255 },
  'KMS alias': { longestStem: 'alarms', limit: 256 - 'alias/'.length },
};

/** Kept well below the computed bound so names stay readable in the console. */
const READABLE_SUFFIX_LENGTH = 24;

/** The longest suffix for which every name derived with `prefix` still fits its AWS limit. */
export function maxSuffixLength(prefix: string = DEFAULT_NAME_PREFIX): number {
  return Math.min(
    ...Object.values(NAMED_KINDS).map(({ longestStem, limit }) => limit - prefix.length - longestStem.length - 2),
    READABLE_SUFFIX_LENGTH,
  );
}

/** The longest `environment_suffix` the stack's variable allows (with the default prefix). */
export const MAX_SUFFIX_LENGTH = maxSuffixLength();

export function namedKinds(): ReadonlyArray<[string, NamedResourceKind]> {
  return Object.entries(NAMED_KINDS);
}

const NAME_PART = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Longest prefix: leaves every kind room for a suffix of at least 8 characters. */
export const MAX_PREFIX_LENGTH = 24;

export interface ResourceNamesProps {
  /**
   * First part of every physical name.
   * @default 'webhook'
   */
  readonly prefix?: string;
  /**
   * Last part of every physical name: the environment. A plain string or a plan-time token.
   * @default 'dev'
   */
  readonly suffix?: string;
}

/** Derives every physical name of one pipeline from its prefix and environment suffix. */
export class ResourceNames {
  public readonly prefix: string;
  public readonly suffix: string;

  constructor(props: ResourceNamesProps = {}) {
    this.prefix = props.prefix ?? DEFAULT_NAME_PREFIX;
    this.suffix = props.suffix ?? DEFAULT_ENVIRONMENT_SUFFIX;
    if (isToken(this.prefix) || !NAME_PART.test(this.prefix) || this.prefix.length > MAX_PREFIX_LENGTH) {
      throw new Error(
        `namePrefix must be 1-${MAX_PREFIX_LENGTH} lowercase letters, digits or inner hyphens (a plain string, not a token), got ${JSON.stringify(this.prefix)}`,
      );
    }
    const maxSuffix = maxSuffixLength(this.prefix);
    if (!isToken(this.suffix) && (!NAME_PART.test(this.suffix) || this.suffix.length > maxSuffix)) {
      throw new Error(
        `environmentSuffix must be 1-${maxSuffix} lowercase letters, digits or inner hyphens so that every name fits AWS limits, got ${JSON.stringify(this.suffix)}`,
      );
    }
  }

  /** `of('ingest', 'dlq')` → `webhook-ingest-dlq-<suffix>`. */
  of(...parts: string[]): string {
    return [this.prefix, ...parts, this.suffix].join('-');
  }
}
