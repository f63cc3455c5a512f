/**
 * The event archive's resources as a plan over an older state creates them (instance 0 of each
 * `count`), without the TLS-only bucket policy, which has no instance on the local API
 * (src/config/local-endpoint.ts). The upgrade suites expect exactly these.
 */
export const ARCHIVE_ADDRESSES_LOCAL = [
  'aws_kms_key.history_key',
  'aws_kms_alias.history_key-alias',
  'aws_s3_bucket.history_bucket',
  'aws_s3_bucket_server_side_encryption_configuration.history_encryption',
  'aws_s3_bucket_public_access_block.history_public-access-block',
  'aws_s3_bucket_ownership_controls.history_ownership',
  'aws_s3_bucket_lifecycle_configuration.history_lifecycle',
  'aws_cloudwatch_log_group.history_log-group',
  'aws_cloudwatch_log_stream.history_webhook-log-stream',
  'aws_cloudwatch_log_stream.history_attempt-log-stream',
  'aws_iam_role.history_role',
  'aws_iam_role_policy.history_role-policy',
  'aws_kinesis_firehose_delivery_stream.history_webhook-stream',
  'aws_kinesis_firehose_delivery_stream.history_attempt-stream',
  'aws_glue_catalog_database.history_database',
  'aws_glue_catalog_table.history_webhook-table',
  'aws_glue_catalog_table.history_attempt-table',
  'aws_athena_workgroup.history_workgroup',
  'aws_iam_policy.history_operator-policy',
].map((address) => `${address}[0]`);

/** The archive's two alarms (instance 0 each, while alarms are on). */
export const ARCHIVE_ALARM_ADDRESSES = [
  'aws_cloudwatch_metric_alarm.alarms_processor-archive-write-failed',
  'aws_cloudwatch_metric_alarm.alarms_dispatcher-archive-write-failed',
].map((address) => `${address}[0]`);
