/**
 * The policy rule catalogue: what every synthesized stack must satisfy. Each rule reads the
 * whole {@link TerraformModel}, so rules that span resources (a queue and its consumer, a
 * function and its role) are as easy to write as single-resource ones. The README's
 * "Policy checks" table lists the same rules with their public scanner equivalents.
 */
import { atLeast, describeLinear, linear } from './expressions';
import { isAllow, isWildcardPrincipal, listOf, type Statement, statementName, statementsOf } from './policy-documents';
import { block, type ProviderFacts, refersTo, type ResourceFacts, type TerraformModel } from './terraform-model';

export interface Finding {
  /** The resource or provider block to fix. */
  readonly subject: ResourceFacts | ProviderFacts;
  readonly message: string;
}

export interface PolicyRule {
  /** Stable id, printed in every violation. */
  readonly id: string;
  /** What the rule requires, in one line. */
  readonly requirement: string;
  /** Public scanner checks that test the same thing (checkov `CKV_*`, tfsec/trivy `AVD-AWS-*`). */
  readonly scanners: readonly string[];
  check(model: TerraformModel): Finding[];
}

/**
 * The only actions an identity policy may grant on `Resource: "*"`: their APIs take no resource
 * ARN, so AWS authorizes them against "*" alone. The README lists each with this reason.
 */
export const WILDCARD_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray trace segments are not resources; the action supports only "*"',
  'xray:PutTelemetryRecords': 'X-Ray telemetry is not a resource; the action supports only "*"',
  'cloudwatch:PutMetricData': 'metrics are not resources; scope them with the cloudwatch:namespace condition key instead',
};

/** Tags the provider's `default_tags` must put on every taggable resource. */
export const DEFAULT_TAG_KEYS = ['Project', 'Environment', 'ManagedBy'] as const;
export const MIN_MAX_RECEIVE_COUNT = 5;
/** AWS's advice for SQS event sources: visibility timeout ≥ 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_MULTIPLE = 6;
const TRACING_FROM_VARIABLE = /^\$\{\s*var\.enable_xray\s*\?\s*"Active"\s*:\s*"PassThrough"\s*\}$/;
const STAGE_XRAY_FROM_VARIABLE = /^\$\{\s*var\.enable_xray\s*\}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;

/** AWS defaults for attributes a resource may leave unset. */
const DEFAULTS = { sqsVisibilityTimeout: 30, sqsRetention: 345_600, lambdaTimeout: 3 } as const;

const finding = (subject: ResourceFacts | ProviderFacts, message: string): Finding => ({ subject, message });
const isSet = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
const show = (value: unknown): string => (value === undefined ? 'unset' : JSON.stringify(value));
const constant = (value: unknown): number | undefined => {
  const parsed = linear(value);
  return parsed && parsed.term === undefined ? parsed.factor : undefined;
};

// ---------------------------------------------------------------------------------------------
// Relations between resources

/** A queue is named by its URL (`url`, or `id`, which is the URL too). */
const refersToQueue = (value: unknown, queue: ResourceFacts): boolean => refersTo(value, queue, 'url') || refersTo(value, queue, 'id');

function redriveSource(model: TerraformModel, queue: ResourceFacts): unknown {
  if (isSet(queue.config.redrive_policy)) return queue.config.redrive_policy;
  const separate = model
    .ofType('aws_sqs_queue_redrive_policy')
    .find((p) => refersToQueue(p.config.queue_url, queue));
  return separate?.config.redrive_policy;
}

interface Redrive {
  readonly deadLetterQueue?: ResourceFacts;
  readonly maxReceiveCount: unknown;
}

/** The queue's redrive policy: `undefined` when it has none, `'unreadable'` when it is not literal JSON. */
function redriveOf(model: TerraformModel, queue: ResourceFacts): Redrive | 'unreadable' | undefined {
  const source = redriveSource(model, queue);
  if (!isSet(source)) return undefined;
  try {
    const policy = JSON.parse(String(source)) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    return {
      deadLetterQueue: model.referenced(policy.deadLetterTargetArn, 'aws_sqs_queue', 'arn')[0],
      maxReceiveCount: policy.maxReceiveCount,
    };
  } catch {
    return 'unreadable';
  }
}

/** Queues that are dead-letter queues: the target of a redrive policy, or declared one by a redrive allow policy. */
function deadLetterQueues(model: TerraformModel): Set<ResourceFacts> {
  const queues = model.ofType('aws_sqs_queue');
  const allowPolicies = model.ofType('aws_sqs_queue_redrive_allow_policy');
  const dlqs = new Set<ResourceFacts>(
    queues.filter((queue) => isSet(queue.config.redrive_allow_policy) || allowPolicies.some((p) => refersToQueue(p.config.queue_url, queue))),
  );
  for (const queue of queues) {
    const redrive = redriveOf(model, queue);
    if (redrive !== undefined && redrive !== 'unreadable' && redrive.deadLetterQueue) dlqs.add(redrive.deadLetterQueue);
  }
  return dlqs;
}

interface EventSource {
  readonly mapping: ResourceFacts;
  readonly queue?: ResourceFacts;
  readonly fn?: ResourceFacts;
}

function eventSources(model: TerraformModel): EventSource[] {
  return model.ofType('aws_lambda_event_source_mapping').map((mapping) => ({
    mapping,
    queue: model.referenced(mapping.config.event_source_arn, 'aws_sqs_queue', 'arn')[0],
    fn: model.referenced(mapping.config.function_name, 'aws_lambda_function')[0],
  }));
}

/** Groups `items` by the resource `keyOf` returns, skipping items without one. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => ResourceFacts | undefined): Map<ResourceFacts, T[]> {
  const groups = new Map<ResourceFacts, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key) groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

/** Each function with what `find` says it owns, reporting missing and shared ones. */
function ownership(
  model: TerraformModel,
  what: string,
  find: (fn: ResourceFacts) => ResourceFacts | undefined,
  missing: string,
): Finding[] {
  const functions = model.ofType('aws_lambda_function');
  const owners = groupBy(functions, find);
  return functions.flatMap((fn) => {
    const owned = find(fn);
    if (!owned) return [finding(fn, missing)];
    const others = owners.get(owned)!.filter((other) => other !== fn);
    return others.length === 0
      ? []
      : [finding(fn, `shares its ${what} ${owned.path} with ${others.map((o) => o.path).join(', ')}; each function needs its own`)];
  });
}

// ---------------------------------------------------------------------------------------------
// Policy documents

interface PolicySource {
  readonly subject: ResourceFacts;
  readonly attribute: string;
  readonly policy: unknown;
}

const IDENTITY_POLICY_TYPES = ['aws_iam_role_policy', 'aws_iam_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'];
const RESOURCE_POLICY_TYPES = ['aws_sqs_queue_policy', 'aws_sns_topic_policy', 'aws_sqs_queue', 'aws_sns_topic'];

function identityPolicies(model: TerraformModel): PolicySource[] {
  const standalone = IDENTITY_POLICY_TYPES.flatMap((type) =>
    model.ofType(type).map((subject) => ({ subject, attribute: 'policy', policy: subject.config.policy })),
  );
  const inline = model.ofType('aws_iam_role').flatMap((subject) =>
    Array.isArray(subject.config.inline_policy)
      ? subject.config.inline_policy.map((p: Record<string, unknown>) => ({ subject, attribute: 'inline_policy', policy: p.policy }))
      : [],
  );
  return [...standalone, ...inline];
}

function resourcePolicies(model: TerraformModel): PolicySource[] {
  return RESOURCE_POLICY_TYPES.flatMap((type) =>
    model
      .ofType(type)
      .filter((subject) => isSet(subject.config.policy))
      .map((subject) => ({ subject, attribute: 'policy', policy: subject.config.policy })),
  );
}

/** Findings for each Allow statement `judge` objects to; an unreadable policy is a finding too. */
function judgeStatements(
  sources: readonly PolicySource[],
  judge: (statement: Statement) => string | undefined,
  reportUnreadable: boolean,
): Finding[] {
  return sources.flatMap(({ subject, attribute, policy }) => {
    const statements = statementsOf(policy);
    if (!statements) {
      return reportUnreadable ? [finding(subject, `${attribute} is not a literal JSON policy document, so it cannot be checked at synth`)] : [];
    }
    return statements.flatMap((statement, index) => {
      const problem = isAllow(statement) ? judge(statement) : undefined;
      return problem ? [finding(subject, `${attribute} ${statementName(statement, index)} ${problem}`)] : [];
    });
  });
}

function deniesInsecureTransport(statement: Statement, service: string): boolean {
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  return (
    statement.Effect === 'Deny' &&
    isWildcardPrincipal(statement.Principal) &&
    listOf(statement.Action).some((action) => action === '*' || action === `${service}:*`) &&
    listOf(condition?.Bool?.['aws:SecureTransport']).includes('false')
  );
}

/** Keys of the literal map that wins a provider's `default_tags`: the map itself, or merge()'s last argument. */
function fixedTagKeys(tags: unknown): string[] {
  if (tags !== null && typeof tags === 'object') return Object.keys(tags);
  if (typeof tags !== 'string') return [];
  const lastLiteral = /,\s*\{([^{}]*)\}\s*\)\s*\}$/.exec(tags) ?? /^\$\{\s*\{([^{}]*)\}\s*\}$/.exec(tags);
  if (!lastLiteral) return [];
  return [...lastLiteral[1].matchAll(/(?:^|,)\s*"?([A-Za-z_][\w-]*)"?\s*=/g)].map((m) => m[1]);
}

// ---------------------------------------------------------------------------------------------
// The rules

export const POLICY_RULES: readonly PolicyRule[] = [
  {
    id: 'sqs-encrypted',
    requirement: 'Every SQS queue is encrypted at rest (SSE-SQS or a KMS key).',
    scanners: ['CKV_AWS_27', 'AVD-AWS-0096'],
    check: (model) =>
      model
        .ofType('aws_sqs_queue')
        .filter((q) => q.config.sqs_managed_sse_enabled !== true && !isSet(q.config.kms_master_key_id))
        .map((q) => finding(q, 'is not encrypted at rest: set sqs_managed_sse_enabled = true or kms_master_key_id')),
  },
  {
    id: 'sqs-tls-only',
    requirement: 'Every SQS queue has a policy denying `sqs:*` to anyone when `aws:SecureTransport` is false.',
    scanners: [],
    check: (model) =>
      model.ofType('aws_sqs_queue').flatMap((queue) => {
        const policies = [
          queue.config.policy,
          ...model
            .ofType('aws_sqs_queue_policy')
            .filter((p) => refersToQueue(p.config.queue_url, queue))
            .map((p) => p.config.policy),
        ];
        const tlsOnly = policies.some((policy) => (statementsOf(policy) ?? []).some((s) => deniesInsecureTransport(s, 'sqs')));
        return tlsOnly
          ? []
          : [finding(queue, 'accepts requests without TLS: add a queue policy that denies sqs:* to "*" when aws:SecureTransport is "false"')];
      }),
  },
  {
    id: 'sqs-redrive',
    requirement: `Every queue that is not a dead-letter queue redrives to a DLQ of this stack after at least ${MIN_MAX_RECEIVE_COUNT} receives.`,
    scanners: [],
    check: (model) => {
      const dlqs = deadLetterQueues(model);
      return model
        .ofType('aws_sqs_queue')
        .filter((queue) => !dlqs.has(queue))
        .flatMap((queue) => {
          const redrive = redriveOf(model, queue);
          if (redrive === undefined) {
            return [finding(queue, 'has no redrive policy: a message that keeps failing would be retried until it expires instead of moving to a dead-letter queue')];
          }
          if (redrive === 'unreadable') {
            return [finding(queue, 'has a redrive policy that is not literal JSON, so its maxReceiveCount cannot be checked at synth')];
          }
          const problems: string[] = [];
          if (!redrive.deadLetterQueue) problems.push('its deadLetterTargetArn is not the ARN of a queue in this stack');
          const count = constant(redrive.maxReceiveCount);
          if (count === undefined || count < MIN_MAX_RECEIVE_COUNT) {
            problems.push(
              `maxReceiveCount is ${show(redrive.maxReceiveCount)}; it must be at least ${MIN_MAX_RECEIVE_COUNT}, or throttled and transient failures reach the DLQ`,
            );
          }
          return problems.map((problem) => finding(queue, problem));
        });
    },
  },
  {
    id: 'sqs-visibility-timeout',
    requirement: `A queue's visibility timeout is at least ${VISIBILITY_TIMEOUT_MULTIPLE} × the timeout of the function it feeds (numbers, or multiples of the same expression).`,
    scanners: [],
    check: (model) =>
      eventSources(model).flatMap(({ queue, fn }) => {
        if (!queue || !fn) return [];
        const visibilityRaw = queue.config.visibility_timeout_seconds ?? DEFAULTS.sqsVisibilityTimeout;
        const timeoutRaw = fn.config.timeout ?? DEFAULTS.lambdaTimeout;
        const visibility = linear(visibilityRaw);
        const timeout = linear(timeoutRaw);
        const verdict = atLeast(visibility, VISIBILITY_TIMEOUT_MULTIPLE, timeout);
        if (verdict === 'holds') return [];
        const comparison = `visibility timeout ${describeLinear(visibility, visibilityRaw)} and ${fn.path}'s timeout ${describeLinear(timeout, timeoutRaw)}`;
        return [
          finding(
            queue,
            verdict === 'fails'
              ? `${comparison}: the visibility timeout must be at least ${VISIBILITY_TIMEOUT_MULTIPLE} × the timeout, or messages are received again while still being processed`
              : `${comparison} cannot be compared at synth; write the visibility timeout as ${VISIBILITY_TIMEOUT_MULTIPLE} × the same expression as the timeout`,
          ),
        ];
      }),
  },
  {
    id: 'sqs-dlq-retention',
    requirement: 'A dead-letter queue keeps messages at least as long as the queue that feeds it.',
    scanners: [],
    check: (model) =>
      model.ofType('aws_sqs_queue').flatMap((queue) => {
        const redrive = redriveOf(model, queue);
        if (redrive === undefined || redrive === 'unreadable' || !redrive.deadLetterQueue) return [];
        const dlq = redrive.deadLetterQueue;
        const dlqRaw = dlq.config.message_retention_seconds ?? DEFAULTS.sqsRetention;
        const mainRaw = queue.config.message_retention_seconds ?? DEFAULTS.sqsRetention;
        const verdict = atLeast(linear(dlqRaw), 1, linear(mainRaw));
        if (verdict === 'holds') return [];
        return [
          finding(
            dlq,
            `keeps messages ${describeLinear(linear(dlqRaw), dlqRaw)} s, ${verdict === 'fails' ? 'less than' : 'not provably as long as'} its source queue ${queue.path} (${describeLinear(linear(mainRaw), mainRaw)} s): a dead letter could expire before anyone sees it`,
          ),
        ];
      }),
  },
  {
    id: 'lambda-reserved-concurrency',
    requirement: 'Every Lambda function reserves concurrency (a number ≥ 1).',
    scanners: ['CKV_AWS_115'],
    check: (model) =>
      model.ofType('aws_lambda_function').flatMap((fn) => {
        const reserved = constant(fn.config.reserved_concurrent_executions);
        return reserved !== undefined && reserved >= 1
          ? []
          : [
              finding(
                fn,
                `reserved_concurrent_executions is ${show(fn.config.reserved_concurrent_executions)}; reserve a number ≥ 1 so one function cannot starve the account's concurrency`,
              ),
            ];
      }),
  },
  {
    id: 'lambda-event-source-concurrency',
    requirement: "Every SQS event source mapping caps `scaling_config.maximum_concurrency`, and a function's mappings together stay within its reserved concurrency.",
    scanners: [],
    check: (model) => {
      const sources = eventSources(model).filter((source) => source.fn !== undefined);
      const findings: Finding[] = [];
      for (const [fn, mappings] of groupBy(sources, (source) => source.fn)) {
        const reserved = constant(fn.config.reserved_concurrent_executions);
        let total = 0;
        for (const { mapping } of mappings) {
          const raw = block(mapping.config.scaling_config)?.maximum_concurrency;
          const maximum = constant(raw);
          if (maximum === undefined) {
            findings.push(finding(mapping, `scaling_config.maximum_concurrency is ${show(raw)}; set a number so the mapping cannot outgrow ${fn.path}'s reserved concurrency and throttle messages into the DLQ`));
          } else if (reserved !== undefined && maximum > reserved) {
            findings.push(finding(mapping, `scaling_config.maximum_concurrency ${maximum} exceeds ${fn.path}'s reserved concurrency ${reserved}`));
          }
          total += maximum ?? 0;
        }
        if (mappings.length > 1 && reserved !== undefined && total > reserved) {
          findings.push(finding(fn, `its ${mappings.length} event source mappings may run ${total} concurrent invocations, more than its reserved concurrency ${reserved}`));
        }
      }
      return findings;
    },
  },
  {
    id: 'lambda-tracing',
    requirement: 'Every Lambda function traces as `var.enable_xray` says: `${var.enable_xray ? "Active" : "PassThrough"}`.',
    scanners: ['CKV_AWS_50', 'AVD-AWS-0066'],
    check: (model) =>
      model.ofType('aws_lambda_function').flatMap((fn) => {
        const mode = block(fn.config.tracing_config)?.mode;
        return typeof mode === 'string' && TRACING_FROM_VARIABLE.test(mode)
          ? []
          : [finding(fn, `tracing_config.mode is ${show(mode)}; it must follow the variable: \${var.enable_xray ? "Active" : "PassThrough"}`)];
      }),
  },
  {
    id: 'lambda-log-group',
    requirement: 'Every Lambda function logs to its own log group of this stack (retention: `logs-retention`).',
    scanners: [],
    check: (model) => {
      const groups = model.ofType('aws_cloudwatch_log_group');
      return ownership(
        model,
        'log group',
        (fn) =>
          model.referenced(block(fn.config.logging_config)?.log_group, 'aws_cloudwatch_log_group', 'name')[0] ??
          groups.find((g) => g.config.name === `/aws/lambda/${fn.config.function_name}`),
        'has no log group in this stack (logging_config.log_group or /aws/lambda/<function name>): Lambda would create one that never expires',
      );
    },
  },
  {
    id: 'lambda-own-role',
    requirement: 'Every Lambda function runs as its own IAM role of this stack; no two functions share one.',
    scanners: [],
    check: (model) =>
      ownership(
        model,
        'role',
        (fn) => model.referenced(fn.config.role, 'aws_iam_role', 'arn')[0],
        'runs as a role that is not an aws_iam_role of this stack (role must be its ARN)',
      ),
  },
  {
    id: 'iam-no-wildcard-actions',
    requirement: 'No identity policy allows a wildcard action (`*`, `service:*`, `service:Get*`) or uses NotAction; every policy is literal JSON.',
    scanners: ['CKV_AWS_62', 'CKV_AWS_63', 'AVD-AWS-0057'],
    check: (model) =>
      judgeStatements(
        identityPolicies(model),
        (s) => {
          if (s.NotAction !== undefined) return 'uses NotAction, which allows everything else';
          const wildcards = listOf(s.Action).filter((action) => action.includes('*'));
          return wildcards.length ? `allows wildcard actions ${wildcards.join(', ')}; name each action` : undefined;
        },
        true,
      ),
  },
  {
    id: 'iam-wildcard-resource',
    requirement: 'An identity policy allows `Resource: "*"` only for actions that take no resource ARN (listed below).',
    scanners: ['CKV_AWS_355', 'AVD-AWS-0057'],
    check: (model) =>
      judgeStatements(
        identityPolicies(model),
        (s) => {
          if (s.NotResource !== undefined) return 'uses NotResource, which allows every other resource';
          if (!listOf(s.Resource).includes('*')) return undefined;
          const restrictable = listOf(s.Action).filter((action) => !(action in WILDCARD_RESOURCE_ACTIONS));
          return restrictable.length
            ? `allows ${restrictable.join(', ')} on Resource "*"; only ${Object.keys(WILDCARD_RESOURCE_ACTIONS).join(', ')} may use "*" (they take no resource ARN)`
            : undefined;
        },
        false,
      ),
  },
  {
    id: 'iam-trust-policy',
    requirement: 'A role trust policy lets only named AWS service principals `sts:AssumeRole` (no `*` principal, no accounts).',
    scanners: ['CKV_AWS_60', 'CKV_AWS_61'],
    check: (model) =>
      judgeStatements(
        model.ofType('aws_iam_role').map((subject) => ({ subject, attribute: 'assume_role_policy', policy: subject.config.assume_role_policy })),
        (s) => {
          const actions = listOf(s.Action);
          if (actions.length !== 1 || actions[0] !== 'sts:AssumeRole') return `allows ${actions.join(', ')}; a trust policy allows only sts:AssumeRole`;
          const principal = s.Principal as Record<string, unknown> | undefined;
          const services = listOf(principal?.Service);
          const onlyServices =
            principal !== undefined && typeof principal === 'object' && Object.keys(principal).every((key) => key === 'Service');
          return onlyServices && services.length > 0 && services.every((service) => SERVICE_PRINCIPAL.test(service))
            ? undefined
            : `lets ${JSON.stringify(s.Principal)} assume the role; only AWS service principals (Principal.Service) may`;
        },
        true,
      ),
  },
  {
    id: 'kms-key-policy',
    requirement:
      'Every KMS key has a policy; no Allow to a `*` principal; `kms:*` only for the account root; service principals only with a condition. `Resource: "*"` is required in key policies (it means this key) and is not flagged.',
    scanners: ['CKV_AWS_33', 'CKV2_AWS_64'],
    check: (model) => {
      const keys = model.ofType('aws_kms_key');
      const withoutPolicy = keys
        .filter((key) => !isSet(key.config.policy))
        .map((key) => finding(key, 'has no key policy: the default policy lets any principal of the account that IAM allows use the key'));
      const judged = judgeStatements(
        keys.filter((key) => isSet(key.config.policy)).map((subject) => ({ subject, attribute: 'policy', policy: subject.config.policy })),
        (s) => {
          if (isWildcardPrincipal(s.Principal)) return 'allows a "*" principal';
          const principal = (s.Principal ?? {}) as Record<string, unknown>;
          const everything = listOf(s.Action).some((action) => action === '*' || action === 'kms:*');
          if (everything && !listOf(principal.AWS).every((arn) => arn.endsWith(':root'))) {
            return 'allows kms:* to a principal other than the account root';
          }
          if (listOf(principal.Service).length > 0 && s.Condition === undefined) {
            return 'allows a service principal without a condition (aws:SourceAccount or aws:SourceArn) against the confused deputy';
          }
          return undefined;
        },
        true,
      );
      return [...withoutPolicy, ...judged];
    },
  },
  {
    id: 'kms-rotation',
    requirement: 'Every customer-managed KMS key rotates automatically.',
    scanners: ['CKV_AWS_7', 'AVD-AWS-0065'],
    check: (model) =>
      model
        .ofType('aws_kms_key')
        .filter((key) => key.config.enable_key_rotation !== true)
        .map((key) => finding(key, `enable_key_rotation is ${show(key.config.enable_key_rotation)}; set it to true`)),
  },
  {
    id: 'resource-policy-not-public',
    requirement: 'No SQS or SNS resource policy allows a `*` principal or all actions.',
    scanners: ['CKV_AWS_168', 'CKV_AWS_169', 'CKV_AWS_72', 'AVD-AWS-0097'],
    check: (model) =>
      judgeStatements(
        resourcePolicies(model),
        (s) => {
          if (isWildcardPrincipal(s.Principal)) return 'allows a "*" principal: anyone could use the resource';
          const all = listOf(s.Action).filter((action) => action === '*' || action.endsWith(':*'));
          return all.length ? `allows all actions (${all.join(', ')})` : undefined;
        },
        true,
      ),
  },
  {
    id: 'api-access-logging',
    requirement: 'Every API Gateway stage writes an access log to a log group of this stack.',
    scanners: ['CKV_AWS_76', 'AVD-AWS-0001'],
    check: (model) =>
      model.ofType('aws_api_gateway_stage').flatMap((stage) => {
        const settings = block(stage.config.access_log_settings);
        const group = model.referenced(settings?.destination_arn, 'aws_cloudwatch_log_group', 'arn')[0];
        return group && isSet(settings?.format)
          ? []
          : [finding(stage, 'has no access log: set access_log_settings with a format and the ARN of a log group in this stack')];
      }),
  },
  {
    id: 'api-throttling',
    requirement: 'Every stage throttles all methods: `*/*` method settings with positive rate and burst limits.',
    scanners: [],
    check: (model) =>
      model.ofType('aws_api_gateway_stage').flatMap((stage) => {
        const settings = allMethodSettings(model, stage);
        const problems = ['throttling_rate_limit', 'throttling_burst_limit'].filter((key) => {
          const value = settings?.[key];
          const fixed = constant(value);
          return !isSet(value) || (fixed !== undefined && fixed <= 0);
        });
        return problems.length
          ? [finding(stage, `is not throttled: its "*/*" method settings need positive ${problems.join(' and ')} (got ${problems.map((k) => show(settings?.[k])).join(', ')})`)]
          : [];
      }),
  },
  {
    id: 'api-metrics-and-logging',
    requirement: 'Every stage has detailed CloudWatch metrics and execution logging at ERROR or INFO for all methods.',
    scanners: ['CKV2_AWS_4'],
    check: (model) =>
      model.ofType('aws_api_gateway_stage').flatMap((stage) => {
        const settings = allMethodSettings(model, stage);
        return settings?.metrics_enabled === true && ['ERROR', 'INFO'].includes(settings?.logging_level)
          ? []
          : [
              finding(
                stage,
                `its "*/*" method settings need metrics_enabled = true and logging_level ERROR or INFO (got ${show(settings?.metrics_enabled)}, ${show(settings?.logging_level)})`,
              ),
            ];
      }),
  },
  {
    id: 'api-no-data-trace',
    requirement: 'No method settings enable data trace logging (it writes full request bodies: webhook payloads and signatures).',
    scanners: ['CKV_AWS_276'],
    check: (model) =>
      model
        .ofType('aws_api_gateway_method_settings')
        .filter((ms) => {
          const value = block(ms.config.settings)?.data_trace_enabled;
          return value !== undefined && value !== false;
        })
        .map((ms) => finding(ms, `data_trace_enabled is ${show(block(ms.config.settings)?.data_trace_enabled)}; data trace logs would hold webhook bodies and signatures`)),
  },
  {
    id: 'api-tracing',
    requirement: 'Every stage traces with X-Ray as `var.enable_xray` says.',
    scanners: ['CKV_AWS_73', 'AVD-AWS-0003'],
    check: (model) =>
      model
        .ofType('aws_api_gateway_stage')
        .filter((stage) => !(typeof stage.config.xray_tracing_enabled === 'string' && STAGE_XRAY_FROM_VARIABLE.test(stage.config.xray_tracing_enabled)))
        .map((stage) => finding(stage, `xray_tracing_enabled is ${show(stage.config.xray_tracing_enabled)}; it must be \${var.enable_xray}`)),
  },
  {
    id: 'api-request-validation',
    requirement: 'Every API method has a request validator, and one that validates parameters when the method requires any.',
    scanners: ['CKV2_AWS_53'],
    check: (model) =>
      model.ofType('aws_api_gateway_method').flatMap((method) => {
        const validator = model.referenced(method.config.request_validator_id, 'aws_api_gateway_request_validator', 'id')[0];
        if (!validator) return [finding(method, 'has no request validator of this stack (request_validator_id)')];
        const required = Object.entries((method.config.request_parameters ?? {}) as Record<string, unknown>)
          .filter(([, isRequired]) => isRequired === true)
          .map(([name]) => name);
        return required.length && validator.config.validate_request_parameters !== true
          ? [finding(method, `requires ${required.join(', ')} but its validator ${validator.path} does not validate request parameters`)]
          : [];
      }),
  },
  {
    id: 'sns-encrypted',
    requirement: 'Every SNS topic is encrypted with a customer-managed KMS key of this stack (CloudWatch cannot publish under `aws/sns`).',
    scanners: ['CKV_AWS_26', 'AVD-AWS-0095', 'AVD-AWS-0136'],
    check: (model) =>
      model.ofType('aws_sns_topic').flatMap((topic) => {
        const key = topic.config.kms_master_key_id;
        if (model.referenced(key, 'aws_kms_key').length > 0) return [];
        return [
          finding(
            topic,
            isSet(key)
              ? `is encrypted with ${show(key)}, not a customer-managed key of this stack: CloudWatch alarms cannot publish to a topic under the AWS-managed aws/sns key`
              : 'is not encrypted: set kms_master_key_id to a customer-managed key',
          ),
        ];
      }),
  },
  {
    id: 'logs-retention',
    requirement: 'Every CloudWatch log group sets a retention period.',
    scanners: ['CKV_AWS_66'],
    check: (model) =>
      model
        .ofType('aws_cloudwatch_log_group')
        .filter((group) => !isSet(group.config.retention_in_days) || constant(group.config.retention_in_days) === 0)
        .map((group) => finding(group, `retention_in_days is ${show(group.config.retention_in_days)}; logs would be kept (and billed) forever`)),
  },
  {
    id: 'dynamodb-pitr',
    requirement: 'Every DynamoDB table has point-in-time recovery.',
    scanners: ['CKV_AWS_28', 'AVD-AWS-0024'],
    check: (model) =>
      model
        .ofType('aws_dynamodb_table')
        .filter((table) => block(table.config.point_in_time_recovery)?.enabled !== true)
        .map((table) => finding(table, 'has no point-in-time recovery: set point_in_time_recovery { enabled = true }')),
  },
  {
    id: 'tags-provider-defaults',
    requirement: `Every AWS provider block sets default_tags with ${DEFAULT_TAG_KEYS.join(', ')} in a literal map that wins over var.tags.`,
    scanners: ["checkov's provider default_tags check (its id differs between checkov releases)"],
    check: (model) =>
      model.providers
        .filter((provider) => provider.type === 'aws')
        .flatMap((provider) => {
          const keys = fixedTagKeys(block(provider.config.default_tags)?.tags);
          const missing = DEFAULT_TAG_KEYS.filter((key) => !keys.includes(key));
          return missing.length
            ? [finding(provider, `default_tags do not fix ${missing.join(', ')} (give them in a literal map, last in merge())`)]
            : [];
        }),
  },
  {
    id: 'tags-no-override',
    requirement: `No resource's own tags override the default tags ${DEFAULT_TAG_KEYS.join(', ')} (resource tags win over default_tags).`,
    scanners: [],
    check: (model) =>
      model.resources
        .filter((r) => isSet(r.config.tags))
        .flatMap((r) => {
          const tags = r.config.tags;
          if (typeof tags !== 'object') return [finding(r, `tags come from the expression ${show(tags)}, which could override the default tags`)];
          const overridden = DEFAULT_TAG_KEYS.filter((key) => key in tags);
          return overridden.length ? [finding(r, `tags override the default tag(s) ${overridden.join(', ')}`)] : [];
        }),
  },
];

/** The stage's method settings for every method (method_path "*\/*"): throttling, metrics, logging. */
function allMethodSettings(model: TerraformModel, stage: ResourceFacts): Record<string, any> | undefined {
  const settings = model
    .ofType('aws_api_gateway_method_settings')
    .find((ms) => ms.config.method_path === '*/*' && refersTo(ms.config.stage_name, stage, 'stage_name'));
  return block(settings?.config.settings);
}
