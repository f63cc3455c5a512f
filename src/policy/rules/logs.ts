/** CloudWatch Logs: nothing kept (and billed) forever. */
import { constant, finding, isSet, type PolicyRule, show } from './rule';

export const logsRetention: PolicyRule = {
  id: 'logs-retention',
  requirement: 'Every CloudWatch log group sets a retention period.',
  scanners: ['CKV_AWS_66'],
  check: (model) =>
    model
      .ofType('aws_cloudwatch_log_group')
      // 0 is how the API spells "never expire".
      .filter((group) => !isSet(group.config.retention_in_days) || constant(group.config.retention_in_days) === 0)
      .map((group) =>
        finding(group, `retention_in_days is ${show(group.config.retention_in_days)}; logs would be kept (and billed) forever`),
      ),
};
