/** KMS: keys with an explicit, narrow key policy, rotated automatically. */
import { isWildcardPrincipal, listOf } from '../policy-documents';
import { finding, isSet, type PolicyRule, show } from './rule';
import { judgeStatements } from './statements';

export const kmsKeyPolicy: PolicyRule = {
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
};

export const kmsRotation: PolicyRule = {
  id: 'kms-rotation',
  requirement: 'Every customer-managed KMS key rotates automatically.',
  scanners: ['CKV_AWS_7', 'AVD-AWS-0065'],
  check: (model) =>
    model
      .ofType('aws_kms_key')
      .filter((key) => key.config.enable_key_rotation !== true)
      .map((key) => finding(key, `enable_key_rotation is ${show(key.config.enable_key_rotation)}; set it to true`)),
};
