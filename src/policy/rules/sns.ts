/** SNS: topics encrypted with a key CloudWatch alarms can publish under. */
import { finding, isSet, type PolicyRule, show } from './rule';

export const snsEncrypted: PolicyRule = {
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
};
