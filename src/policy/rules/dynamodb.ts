/** DynamoDB: tables recoverable to any second of the last 35 days. */
import { block } from '../terraform-model';
import { finding, type PolicyRule } from './rule';

export const dynamodbPitr: PolicyRule = {
  id: 'dynamodb-pitr',
  requirement: 'Every DynamoDB table has point-in-time recovery.',
  scanners: ['CKV_AWS_28', 'AVD-AWS-0024'],
  check: (model) =>
    model
      .ofType('aws_dynamodb_table')
      .filter((table) => block(table.config.point_in_time_recovery)?.enabled !== true)
      .map((table) => finding(table, 'has no point-in-time recovery: set point_in_time_recovery { enabled = true }')),
};
