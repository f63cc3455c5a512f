/** API Gateway: every stage logged, throttled, measured and traced; every method validated; no body logging. */
import { block, refersTo, type ResourceFacts, type TerraformModel } from '../terraform-model';
import { constant, finding, isSet, type PolicyRule, show } from './rule';
import { isTraced, stageTracing } from './tracing';

/** The stage's method settings for every method (method_path "*\/*"): throttling, metrics, logging. */
function allMethodSettings(model: TerraformModel, stage: ResourceFacts): Record<string, any> | undefined {
  const settings = model
    .ofType('aws_api_gateway_method_settings')
    .find((ms) => ms.config.method_path === '*/*' && refersTo(ms.config.stage_name, stage, 'stage_name'));
  return block(settings?.config.settings);
}

export const apiAccessLogging: PolicyRule = {
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
};

export const apiThrottling: PolicyRule = {
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
        ? [
            finding(
              stage,
              `is not throttled: its "*/*" method settings need positive ${problems.join(' and ')} (got ${problems.map((k) => show(settings?.[k])).join(', ')})`,
            ),
          ]
        : [];
    }),
};

export const apiMetricsAndLogging: PolicyRule = {
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
};

export const apiNoDataTrace: PolicyRule = {
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
      .map((ms) =>
        finding(
          ms,
          `data_trace_enabled is ${show(block(ms.config.settings)?.data_trace_enabled)}; data trace logs would hold webhook bodies and signatures`,
        ),
      ),
};

export const apiTracing: PolicyRule = {
  id: 'api-tracing',
  requirement: 'Every API Gateway stage traces with X-Ray: `xray_tracing_enabled` is `true` or `${<switch>}` for any boolean expression.',
  scanners: ['CKV_AWS_73', 'AVD-AWS-0003'],
  check: (model) =>
    model
      .ofType('aws_api_gateway_stage')
      .filter((stage) => !isTraced(stageTracing(stage)))
      .map((stage) =>
        finding(stage, `xray_tracing_enabled is ${show(stage.config.xray_tracing_enabled)}; it must be true or \${<switch>}`),
      ),
};

export const apiRequestValidation: PolicyRule = {
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
};
