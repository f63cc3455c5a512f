/**
 * Every physical name the stack derives from `environment_suffix`, with the AWS limit that name
 * must fit. The suffix's maximum length is computed from this table, so adding a longer name
 * tightens the `environment_suffix` validation instead of failing at apply time.
 */
export const NAME_PREFIX = 'webhook';

interface NamedResourceKind {
  /** Longest name of this kind the stack builds, without the `-<suffix>` tail. */
  readonly longestStem: string;
  /** The AWS limit on the whole name. */
  readonly limit: number;
}

const NAMED_KINDS: Record<string, NamedResourceKind> = {
  'IAM role': { longestStem: `${NAME_PREFIX}-dispatcher-role`, limit: 64 },
  'IAM role (API Gateway)': { longestStem: `${NAME_PREFIX}-apigw-cloudwatch`, limit: 64 },
  'Lambda function': { longestStem: `${NAME_PREFIX}-dispatcher`, limit: 64 },
  'SQS queue': { longestStem: `${NAME_PREFIX}-deliver-dlq`, limit: 80 },
  'CloudWatch alarm': { longestStem: `${NAME_PREFIX}-dispatcher-concurrency`, limit: 255 },
  'SNS topic': { longestStem: `${NAME_PREFIX}-alarms`, limit: 256 },
  'DynamoDB table': { longestStem: `${NAME_PREFIX}-idempotency`, limit: 255 },
  'KMS alias': { longestStem: `alias/${NAME_PREFIX}-alarms`, limit: 256 },
};

/** The longest `environment_suffix` for which every derived name still fits its AWS limit. */
export const MAX_SUFFIX_LENGTH = Math.min(
  ...Object.values(NAMED_KINDS).map(({ longestStem, limit }) => limit - longestStem.length - 1),
  // Kept well below the computed bound so names stay readable in the console.
  24,
);

export function namedKinds(): ReadonlyArray<[string, NamedResourceKind]> {
  return Object.entries(NAMED_KINDS);
}

/**
 * Joins name parts and the environment suffix (a Terraform expression) into a physical name,
 * e.g. `resourceName('ingest', 'dlq')` → `webhook-ingest-dlq-${var.environment_suffix}`.
 */
export function resourceName(...parts: string[]): string {
  return [NAME_PREFIX, ...parts, '${var.environment_suffix}'].join('-');
}
