/**
 * Pointing Terraform at a local AWS API (moto on loopback) without touching the product JSON:
 * `local_override.tf.json` beside it, which Terraform merges over `cdk.tf.json`. Written by synth
 * when `WEBHOOK_LOCAL_ENDPOINT` is set (plain `cdktf deploy` / `cdktf diff`), and by
 * `npm run deploy:local`; removed by the next synth without the setting.
 */
export const LOCAL_OVERRIDE_FILE = 'local_override.tf.json';

/**
 * Services the stack's resources call, pointed at the local API. Anything missing here would go to
 * the real AWS endpoint with fake credentials and fail, never succeed against a real account.
 */
export const LOCAL_ENDPOINT_SERVICES = [
  'apigateway',
  'athena',
  'cloudwatch',
  'dynamodb',
  'events',
  'firehose',
  'glue',
  'iam',
  'kms',
  'lambda',
  'logs',
  's3',
  'secretsmanager',
  'sns',
  'sqs',
  'ssm',
  'sts',
  'xray',
] as const;

/**
 * Provider settings for a run that must never reach AWS: fake credentials, and the provider's
 * checks that would call STS or the metadata API skipped.
 */
export const OFFLINE_PROVIDER_SETTINGS = {
  access_key: 'test',
  secret_key: 'test',
  skip_credentials_validation: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
  skip_requesting_account_id: true,
} as const;

export interface LocalOverrideOptions {
  /**
   * Whether the endpoint answers. False for a plan that must never call it (an offline plan over a
   * saved state): the provider then does not ask moto's STS for the account id.
   * @default true
   */
  readonly endpointAnswers?: boolean;
}

/**
 * The override for a synthesized stack JSON. Besides endpoints and fake credentials it carries
 * three allowances for what moto 5.2 does not model, all local-only (and buckets, the event
 * archive's, get `force_destroy`, so `destroy:local` removes an archive that holds objects, and
 * no TLS-only bucket policy, which refuses every read over the local API's plain HTTP):
 * - `aws_sqs_queue_redrive_allow_policy` gets `count = 0`: moto never returns `RedriveAllowPolicy`
 *   from GetQueueAttributes, so the provider would wait for it forever (and moto's
 *   SetQueueAttributes drops a queue's `Policy` whenever another attribute is set);
 * - functions ignore changes to `logging_config`: moto does not store `LoggingConfig`;
 * - queues ignore changes to `redrive_policy`: moto re-serializes the JSON with spaces, which
 *   the provider reads as a change.
 * Without the last two every plan after an apply would show six in-place updates that AWS would
 * not show. `statePath`, when given, replaces the backend's state file.
 */
export function localOverride(
  stackJson: { resource?: Record<string, Record<string, unknown>> },
  endpoint: string,
  statePath?: string,
  options: LocalOverrideOptions = {},
): object {
  const names = (type: string) => Object.keys(stackJson.resource?.[type] ?? {});
  const each = (type: string, body: object | ((config: Record<string, unknown>) => object)) =>
    Object.fromEntries(
      names(type).map((name) => [
        name,
        typeof body === 'function' ? body(stackJson.resource![type]![name] as Record<string, unknown>) : body,
      ]),
    );
  const resource: Record<string, object> = {
    // A delivery lane's policy is one for_each, which cannot take a count: it gets no instances instead.
    aws_sqs_queue_redrive_allow_policy: each('aws_sqs_queue_redrive_allow_policy', (config) =>
      config.for_each === undefined ? { count: 0 } : { for_each: {} },
    ),
    aws_lambda_function: each('aws_lambda_function', { lifecycle: { ignore_changes: ['logging_config'] } }),
    aws_sqs_queue: each('aws_sqs_queue', { lifecycle: { ignore_changes: ['redrive_policy'] } }),
    // A local archive is emptied by destroy:local (a real one must be emptied on purpose).
    aws_s3_bucket: each('aws_s3_bucket', { force_destroy: true }),
    // The archive's TLS-only policy: moto enforces it, and the local API is plain HTTP, so it
    // would refuse every read of the history (the CLI's, a test's); Firehose writes past it.
    aws_s3_bucket_policy: each('aws_s3_bucket_policy', { count: 0 }),
  };
  return {
    '//': `Local AWS API ${endpoint} only (src/config/local-endpoint.ts); never part of a real deployment.`,
    ...(statePath ? { terraform: { backend: { local: { path: statePath } } } } : {}),
    provider: {
      aws: [
        {
          ...OFFLINE_PROVIDER_SETTINGS,
          // The account id from moto's STS (the endpoint below): the provider builds some ARNs from
          // it (an Athena workgroup's, to read its tags), which without it lack the account.
          skip_requesting_account_id: options.endpointAnswers === false,
          s3_use_path_style: true,
          endpoints: [Object.fromEntries(LOCAL_ENDPOINT_SERVICES.map((service) => [service, endpoint]))],
        },
      ],
    },
    resource: Object.fromEntries(Object.entries(resource).filter(([, byName]) => Object.keys(byName).length > 0)),
  };
}
