/**
 * The policy rule catalogue: what every synthesized stack must satisfy. Each rule reads the
 * whole {@link TerraformModel}, so rules that span resources (a queue and its consumer, a
 * function and its role) are as easy to write as single-resource ones. docs/POLICY.md's rule
 * table is generated from this list, in this order, with their public scanner equivalents.
 */
import { apiAccessLogging, apiMetricsAndLogging, apiNoDataTrace, apiRequestValidation, apiThrottling, apiTracing } from './api-gateway';
import { dynamodbPitr } from './dynamodb';
import { iamNoWildcardActions, iamTrustPolicy, iamWildcardResource, resourcePolicyNotPublic } from './iam';
import { kmsKeyPolicy, kmsRotation } from './kms';
import { lambdaEventSourceConcurrency, lambdaLogGroup, lambdaOwnRole, lambdaReservedConcurrency, lambdaTracing } from './lambda';
import { logsRetention } from './logs';
import type { PolicyRule } from './rule';
import { snsEncrypted } from './sns';
import { sqsDlqRetention, sqsEncrypted, sqsRedrive, sqsRetryScheduleFits, sqsTlsOnly, sqsVisibilityTimeout } from './sqs';
import { tagsNoOverride, tagsProviderDefaults } from './tags';
import { tracingConsistent } from './tracing';

export type { Finding, PolicyRule } from './rule';
export { WILDCARD_RESOURCE_ACTIONS } from './iam';
export { MIN_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_MULTIPLE } from './sqs';
export { DEFAULT_TAG_KEYS } from './tags';

export const POLICY_RULES: readonly PolicyRule[] = [
  sqsEncrypted,
  sqsTlsOnly,
  sqsRedrive,
  sqsVisibilityTimeout,
  sqsDlqRetention,
  sqsRetryScheduleFits,
  lambdaReservedConcurrency,
  lambdaEventSourceConcurrency,
  lambdaTracing,
  lambdaLogGroup,
  lambdaOwnRole,
  iamNoWildcardActions,
  iamWildcardResource,
  iamTrustPolicy,
  kmsKeyPolicy,
  kmsRotation,
  resourcePolicyNotPublic,
  apiAccessLogging,
  apiThrottling,
  apiMetricsAndLogging,
  apiNoDataTrace,
  apiTracing,
  tracingConsistent,
  apiRequestValidation,
  snsEncrypted,
  logsRetention,
  dynamodbPitr,
  tagsProviderDefaults,
  tagsNoOverride,
];
