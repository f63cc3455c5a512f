/** Lambda: concurrency that cannot starve the account or drop messages, tracing, and one log group and role per function. */
import { block } from '../terraform-model';
import { constant, type Finding, finding, type PolicyRule, show } from './rule';
import { eventSources, groupBy, ownership } from './relations';
import { functionTracing, isTraced } from './tracing';

export const lambdaReservedConcurrency: PolicyRule = {
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
};

export const lambdaEventSourceConcurrency: PolicyRule = {
  id: 'lambda-event-source-concurrency',
  requirement:
    "Every SQS event source mapping caps `scaling_config.maximum_concurrency`, and a function's mappings together stay within its reserved concurrency.",
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
          findings.push(
            finding(
              mapping,
              `scaling_config.maximum_concurrency is ${show(raw)}; set a number so the mapping cannot outgrow ${fn.path}'s reserved concurrency and throttle messages into the DLQ`,
            ),
          );
        } else if (reserved !== undefined && maximum > reserved) {
          findings.push(
            finding(mapping, `scaling_config.maximum_concurrency ${maximum} exceeds ${fn.path}'s reserved concurrency ${reserved}`),
          );
        }
        total += maximum ?? 0;
      }
      if (mappings.length > 1 && reserved !== undefined && total > reserved) {
        findings.push(
          finding(
            fn,
            `its ${mappings.length} event source mappings may run ${total} concurrent invocations, more than its reserved concurrency ${reserved}`,
          ),
        );
      }
    }
    return findings;
  },
};

export const lambdaTracing: PolicyRule = {
  id: 'lambda-tracing',
  requirement:
    'Every Lambda function traces with X-Ray: `tracing_config.mode` is `"Active"`, or `${<switch> ? "Active" : "PassThrough"}` for any boolean expression.',
  scanners: ['CKV_AWS_50', 'AVD-AWS-0066'],
  check: (model) =>
    model
      .ofType('aws_lambda_function')
      .filter((fn) => !isTraced(functionTracing(fn)))
      .map((fn) =>
        finding(
          fn,
          `tracing_config.mode is ${show(block(fn.config.tracing_config)?.mode)}; it must be "Active" or \${<switch> ? "Active" : "PassThrough"}`,
        ),
      ),
};

export const lambdaLogGroup: PolicyRule = {
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
};

export const lambdaOwnRole: PolicyRule = {
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
};
