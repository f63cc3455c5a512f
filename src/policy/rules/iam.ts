/**
 * IAM policy documents: identity policies grant named actions on named resources, trust policies
 * admit only AWS services, and resource policies (SQS, SNS) are never public.
 */
import { isWildcardPrincipal, listOf } from '../policy-documents';
import type { TerraformModel } from '../terraform-model';
import { isSet, type PolicyRule } from './rule';
import { judgeStatements, type PolicySource } from './statements';

/**
 * The only actions an identity policy may grant on `Resource: "*"`: their APIs take no resource
 * ARN, so AWS authorizes them against "*" alone. docs/POLICY.md lists each with this reason (generated from this table).
 */
export const WILDCARD_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray trace segments are not resources; the action supports only "*"',
  'xray:PutTelemetryRecords': 'X-Ray telemetry is not a resource; the action supports only "*"',
  'cloudwatch:PutMetricData': 'metrics are not resources; scope them with the cloudwatch:namespace condition key instead',
  'lambda:ListEventSourceMappings':
    'listing event source mappings takes no resource ARN; the action supports only "*" (reading and updating one is scoped to its ARN)',
};

const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;
const IDENTITY_POLICY_TYPES = ['aws_iam_role_policy', 'aws_iam_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'];
const RESOURCE_POLICY_TYPES = ['aws_sqs_queue_policy', 'aws_sns_topic_policy', 'aws_sqs_queue', 'aws_sns_topic'];

function identityPolicies(model: TerraformModel): PolicySource[] {
  const standalone = IDENTITY_POLICY_TYPES.flatMap((type) =>
    model.ofType(type).map((subject) => ({ subject, attribute: 'policy', policy: subject.config.policy })),
  );
  const inline = model
    .ofType('aws_iam_role')
    .flatMap((subject) =>
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

export const iamNoWildcardActions: PolicyRule = {
  id: 'iam-no-wildcard-actions',
  requirement:
    'No identity policy allows a wildcard action (`*`, `service:*`, `service:Get*`) or uses NotAction; every policy is literal JSON.',
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
};

export const iamWildcardResource: PolicyRule = {
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
      // Reported once, by iam-no-wildcard-actions.
      false,
    ),
};

export const iamTrustPolicy: PolicyRule = {
  id: 'iam-trust-policy',
  requirement: 'A role trust policy lets only named AWS service principals `sts:AssumeRole` (no `*` principal, no accounts).',
  scanners: ['CKV_AWS_60', 'CKV_AWS_61'],
  check: (model) =>
    judgeStatements(
      model
        .ofType('aws_iam_role')
        .map((subject) => ({ subject, attribute: 'assume_role_policy', policy: subject.config.assume_role_policy })),
      (s) => {
        const actions = listOf(s.Action);
        if (actions.length !== 1 || actions[0] !== 'sts:AssumeRole')
          return `allows ${actions.join(', ')}; a trust policy allows only sts:AssumeRole`;
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
};

export const resourcePolicyNotPublic: PolicyRule = {
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
};
