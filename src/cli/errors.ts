/**
 * The CLI's failures: each says, in one line, what the user should fix. Exit code 2 means the
 * input was wrong (options, outputs, a destination's name); 1 means AWS or the runtime failed.
 */

/** Exit codes, as the docs (docs/CLI.md) promise them. */
export const EXIT = { ok: 0, runtime: 1, usage: 2 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, cause?: unknown): CliError => new CliError(message, EXIT.usage, { cause });
export const runtimeError = (message: string, cause?: unknown): CliError => new CliError(message, EXIT.runtime, { cause });

/** What the SDK's errors carry that the wording depends on. */
interface AwsErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** What the destination commands need; the history commands name their own (`needs`). */
const LANE_PERMISSIONS = 'lambda:GetEventSourceMapping, lambda:UpdateEventSourceMapping and sqs:GetQueueAttributes';
/** The permissions `events`, `replay` and `dlq` need: the operator policy the stack outputs grants them. */
export const ARCHIVE_PERMISSIONS = 's3:ListBucket and s3:GetObject on the history bucket (attach the history_operator_policy_arn policy)';
export const QUEUE_PERMISSIONS =
  'sqs:ReceiveMessage, sqs:SendMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes (attach the history_operator_policy_arn policy)';

/**
 * Words an AWS SDK failure as what to do about it. `doing` names the call in the user's terms
 * ("reading billing's event source mapping"), so the line makes sense without the cause; `needs`
 * names the permissions an access-denied answer means are missing.
 */
export function awsError(error: unknown, doing: string, endpoint?: string, needs: string = LANE_PERMISSIONS): CliError {
  if (error instanceof CliError) return error;
  const { name = '', code = '', message = String(error) } = (error ?? {}) as AwsErrorShape;
  const what = `${doing} failed`;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return runtimeError(
      `${what}: no AWS credentials found; set AWS_PROFILE (aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      error,
    );
  }
  if (/^Expired/i.test(name) || /ExpiredToken/i.test(code)) {
    return runtimeError(`${what}: the AWS credentials have expired; refresh them (aws sso login) and retry`, error);
  }
  if (['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch'].includes(name)) {
    return runtimeError(`${what}: AWS rejected the credentials (${name}); check AWS_PROFILE or the access key`, error);
  }
  if (/AccessDenied/i.test(name)) {
    return runtimeError(`${what}: access denied; the caller needs ${needs} (${message})`, error);
  }
  if (/Region is missing/i.test(message)) {
    return runtimeError(`${what}: no AWS region; pass --region or set AWS_REGION`, error);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(message)) {
    const target = endpoint ? `${endpoint}: is the local AWS API running` : 'AWS: check the network, or --endpoint-url';
    return runtimeError(`${what}: cannot reach ${target}?`, error);
  }
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist' || /NonExistentQueue/.test(`${name} ${code}`)) {
    return runtimeError(
      `${what}: it does not exist in this account and region; check --region and the credentials' account, or the outputs are stale`,
      error,
    );
  }
  return runtimeError(`${what}: ${name || 'error'}: ${message}`, error);
}

/** The cause chain of an error, one line each, for `--verbose`. */
export function causes(error: unknown): string[] {
  const lines: string[] = [];
  let current = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && lines.length < 5) {
    lines.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines;
}
