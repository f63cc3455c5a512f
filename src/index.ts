/**
 * The package's public API: the pipeline construct, the deployable stack around it, the building
 * blocks it is made of, and the policy check. Import provider classes by deep path in your own
 * code too (`@cdktf/provider-aws/lib/sqs-queue`): the provider's barrel costs seconds and memory.
 *
 * `webhook-pipeline` is the entry point for CDKTF apps, `webhook-pipeline/cdktn` for CDK Terrain
 * apps: the same construct built from the same sources (docs/COMPATIBILITY.md).
 */
import { requireFramework } from './framework/require-framework';

// First, so a missing framework is named before any module asks for it.
requireFramework();

export {
  COMPOSED_STACK_RULES,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  DEFAULT_WEBHOOK_SOURCES,
  deliveryTimeoutMs,
  FUNCTION_TIMEOUT_DEFAULTS,
  WebhookPipeline,
  type WebhookPipelineProps,
  type WebhookSource,
} from './webhook-pipeline';
export { STACK_NAME, WebhookPipelineStack, type WebhookPipelineStackProps } from '../stacks/webhook-pipeline-stack';
export { PipelineVariables } from '../stacks/pipeline-variables';
export { readSynthSettings, SettingError, type BackendSetting, type SynthSettings } from './config/settings';
export { LOG_RETENTION_DAYS } from './config/aws-limits';
export {
  type AwsProviderFeatures,
  awsProviderFeatures,
  awsProviderFeaturesOf,
  DEFAULT_LAMBDA_RUNTIME,
  FEATURE_VERSIONS,
  LAMBDA_RUNTIMES,
  type LambdaRuntime,
} from './config/aws-provider';
export { CDK_TERRAIN, CDKTF, type Framework, FRAMEWORK } from './framework/framework';
export { DEFAULT_ENVIRONMENT_SUFFIX, DEFAULT_NAME_PREFIX, maxSuffixLength, ResourceNames, type ResourceNamesProps } from './config/naming';
export { FUNCTION_NAMES, type FunctionName, SIGNATURE_SCHEMES, type SignatureScheme } from './contract';
export { type Switch } from './core/values';

// Building blocks
export { AlarmTopic, type AlarmTopicProps } from './constructs/alarm-topic';
export { IDEMPOTENCY_ACTIONS, IdempotencyTable, type IdempotencyTableProps } from './constructs/idempotency-table';
export { PipelineDashboard, type PipelineDashboardProps } from './constructs/pipeline-dashboard';
export { type FunctionSizing, type LambdaArchitecture, PipelineFunction, type PipelineFunctionProps } from './constructs/pipeline-function';
export { QueueWithDlq, type QueueWithDlqProps } from './constructs/queue-with-dlq';
export { DeliveryLanes, type DeliveryLanesProps, type LaneSettings } from './constructs/delivery-lanes';
export { laneScaling, type LaneOptions } from './config/lanes';
export { WebhookApi, type WebhookApiProps } from './constructs/webhook-api';
export { type ArchiveOperatorAccess, EventArchive, type EventArchiveProps } from './constructs/event-archive';
export { DEFAULT_HISTORY_RETENTION_DAYS } from './config/history';
// The event archive's contract: what an archived line holds and where it lands (docs/HISTORY.md).
export {
  ARCHIVE_PREFIXES,
  ARCHIVE_TABLES,
  type ArchivedAttempt,
  type ArchivedWebhook,
  type ArchiveRecord,
  archiveObjectText,
  type AttemptOutcome,
  HISTORY_OUTPUTS,
  parseArchiveLines,
} from './history/archive-records';
export { AlarmFactory, type AlarmFactoryProps } from './alarms/alarm-factory';
export type { DeliveryDestinationProps, DeliveryDestinations } from './config/delivery';
export type { WebhookSources } from './config/webhook-sources';
export type { DeliveryMetrics } from './metrics/delivery-metrics';
export { ALARM_THRESHOLD_DEFAULTS, type AlarmDefinition, type AlarmThresholds, buildAlarmDefinitions } from './alarms/catalogue';
export type { MetricMathSpec, MetricSpec } from './metrics/metric';
export type { IGrantable, PolicyStatement } from './iam/policy-document';
export type { HandlerBundle } from './bundling/handler-bundle';

// HCL output (`cdktf synth --hcl`): cdktf 0.21 mis-escapes strings that mix text and references;
// override your stack's toHclTerraform with `renderWithHclSafeStrings(this, () => super.toHclTerraform())`.
export { renderWithHclSafeStrings } from './hcl/hcl-strings';

// Policy as code
export {
  formatSuppressed,
  formatViolation,
  MIN_REASON_LENGTH,
  PolicyCheck,
  type PolicyCheckOptions,
  type PolicyReport,
  type PolicyViolation,
  PolicyViolationError,
  suppressPolicyRule,
  type SuppressedViolation,
} from './policy/policy-check';
export { POLICY_RULES, type PolicyRule } from './policy/rules';
