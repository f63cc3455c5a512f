/**
 * The event archive on its own (`Testing.synthScope`): what it builds for a plain retention, the
 * count every resource gets for a plan-time one, nothing for a plain 0, and least-privilege grants.
 */
import { TerraformOutput, TerraformVariable, Testing, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ResourceNames } from '../../../src/config/naming';
import {
  ARCHIVE_COLUMNS,
  ATHENA_RESULTS_PREFIX,
  bucketName,
  EventArchive,
  type EventArchiveProps,
  MAX_BUCKET_NAME,
} from '../../../src/constructs/event-archive';
import { ARCHIVE_PARTITION_FORMAT, ARCHIVE_PREFIXES, ARCHIVE_TABLES } from '../../../src/history/archive-records';
import type { PolicyStatement } from '../../../src/iam/policy-document';
import { resourcesOfType } from '../../support/construct';

const BASE: EventArchiveProps = { accountId: '123456789012', region: 'eu-west-1', partition: 'aws' };
const synth = (build: (scope: Construct) => void) => JSON.parse(Testing.synthScope(build));
const only = (json: any, type: string) => {
  const found = resourcesOfType(json, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const statementsOf = (policy: string): PolicyStatement[] => JSON.parse(policy).Statement;
const ARCHIVE_TYPES = [
  'aws_athena_workgroup',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_log_stream',
  'aws_glue_catalog_database',
  'aws_glue_catalog_table',
  'aws_iam_policy',
  'aws_iam_role',
  'aws_iam_role_policy',
  'aws_kinesis_firehose_delivery_stream',
  'aws_kms_alias',
  'aws_kms_key',
  'aws_s3_bucket',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_policy',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_server_side_encryption_configuration',
];

describe('EventArchive with a plain retention', () => {
  const json = synth(
    (scope) =>
      new EventArchive(scope, 'history', {
        ...BASE,
        retentionDays: 90,
        logRetentionDays: 14,
        operator: {
          sendQueueArns: ['arn:aws:sqs:eu-west-1:123456789012:webhook-lane-*-dev'],
          deadLetterQueueArns: ['arn:aws:sqs:eu-west-1:123456789012:webhook-lanedlq-*-dev'],
          eventSourceFunctionArns: ['arn:aws:lambda:eu-west-1:123456789012:function:webhook-dispatcher-dev'],
        },
      }),
  );

  test('builds 20 resources, none with a count, naming no variable', () => {
    expect(Object.keys(json.resource).sort()).toEqual(ARCHIVE_TYPES);
    expect(Object.values<any>(json.resource).reduce((n, byName) => n + Object.keys(byName).length, 0)).toBe(20);
    expect(JSON.stringify(json)).not.toContain('"count"');
    expect(JSON.stringify(json)).not.toContain('var.');
  });

  test('a rotating key the account administers, and a private, TLS-only, SSE-KMS bucket named for the account and region', () => {
    const key = only(json, 'aws_kms_key');
    expect(key.enable_key_rotation).toBe(true);
    expect(statementsOf(key.policy)).toEqual([
      { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
    ]);
    expect(only(json, 'aws_kms_alias').name).toBe('alias/webhook-history-dev');
    expect(only(json, 'aws_s3_bucket')).toMatchObject({ bucket: 'webhook-history-dev-123456789012-eu-west-1', force_destroy: false });
    const [rule] = only(json, 'aws_s3_bucket_server_side_encryption_configuration').rule;
    expect(rule).toEqual({
      apply_server_side_encryption_by_default: {
        sse_algorithm: 'aws:kms',
        kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.history_key_\w+\.arn\}$/),
      },
      bucket_key_enabled: true,
    });
    expect(only(json, 'aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only(json, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    const [deny] = statementsOf(only(json, 'aws_s3_bucket_policy').policy);
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(deny.Resource).toHaveLength(2);
  });

  test('lifecycle: the archive and its errors expire with the retention, Athena results after 7 days, uploads abort after 1', () => {
    const rules = only(json, 'aws_s3_bucket_lifecycle_configuration').rule;
    const expiring = rules.filter((r: any) => r.expiration).map((r: any) => [r.filter[0].prefix, r.expiration[0].days, r.status]);
    expect(expiring).toEqual([
      ['webhooks/', 90, 'Enabled'],
      ['attempts/', 90, 'Enabled'],
      ['errors/webhooks/', 90, 'Enabled'],
      ['errors/attempts/', 90, 'Enabled'],
      [ATHENA_RESULTS_PREFIX, 7, 'Enabled'],
    ]);
    expect(rules.find((r: any) => r.abort_incomplete_multipart_upload).abort_incomplete_multipart_upload).toEqual([
      { days_after_initiation: 1 },
    ]);
  });

  test("one stream per kind: the contract's prefix with no expressions, records stored as the writers GZIP'd them in .gz objects, 60 s / 64 MB, encrypted, logging errors", () => {
    const streams = resourcesOfType(json, 'aws_kinesis_firehose_delivery_stream');
    expect(streams.map((s) => [s.name, s.extended_s3_configuration.prefix]).sort()).toEqual([
      ['webhook-archive-attempt-dev', ARCHIVE_PREFIXES.attempt],
      ['webhook-archive-webhook-dev', ARCHIVE_PREFIXES.webhook],
    ]);
    for (const stream of streams) {
      expect(stream.extended_s3_configuration.prefix).not.toContain('!{');
      expect(stream).toMatchObject({
        destination: 'extended_s3',
        server_side_encryption: { enabled: true, key_type: 'AWS_OWNED_CMK' },
        extended_s3_configuration: {
          compression_format: 'UNCOMPRESSED',
          file_extension: '.gz',
          buffering_interval: 60,
          buffering_size: 64,
          error_output_prefix: `errors/${stream.extended_s3_configuration.prefix}`,
          cloudwatch_logging_options: { enabled: true },
        },
      });
    }
    expect(only(json, 'aws_cloudwatch_log_group')).toMatchObject({
      name: '/aws/kinesisfirehose/webhook-archive-dev',
      retention_in_days: 14,
    });
  });

  test("the streams' role writes under the archive's prefixes only, never deletes, and uses the key only through S3", () => {
    const role = only(json, 'aws_iam_role');
    expect(statementsOf(role.assume_role_policy)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'firehose.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': '123456789012' } },
      },
    ]);
    const statements = statementsOf(only(json, 'aws_iam_role_policy').policy);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:PutLogEvents',
        's3:AbortMultipartUpload',
        's3:GetBucketLocation',
        's3:GetObject',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:PutObject',
      ].sort(),
    );
    expect(actions).not.toContain('s3:DeleteObject');
    const write = statements.find((s) => s.Sid === 'WriteArchiveObjects')!;
    expect((write.Resource as string[]).map((r) => r.replace(/^.*\.arn\}\//, ''))).toEqual([
      'webhooks/*',
      'errors/webhooks/*',
      'attempts/*',
      'errors/attempts/*',
    ]);
    expect(statements.find((s) => s.Sid === 'EncryptArchiveObjects')!.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
    });
  });

  test('Glue tables: external, JSON SerDe, a column per field of the record, dt projected by hour over the retention', () => {
    expect(only(json, 'aws_glue_catalog_database').name).toBe('webhook_history_dev');
    const tables = resourcesOfType(json, 'aws_glue_catalog_table');
    expect(tables.map((t) => t.name).sort()).toEqual([ARCHIVE_TABLES.attempt, ARCHIVE_TABLES.webhook]);
    tables.forEach((table) => {
      const kind = table.name === ARCHIVE_TABLES.webhook ? 'webhook' : 'attempt';
      expect(table.table_type).toBe('EXTERNAL_TABLE');
      expect(table.partition_keys).toEqual([expect.objectContaining({ name: 'dt', type: 'string' })]);
      expect(table.storage_descriptor).toMatchObject({
        input_format: 'org.apache.hadoop.mapred.TextInputFormat',
        ser_de_info: { serialization_library: 'org.openx.data.jsonserde.JsonSerDe' },
      });
      expect(Object.fromEntries(table.storage_descriptor.columns.map((c: any) => [c.name, c.type]))).toEqual(ARCHIVE_COLUMNS[kind]);
      expect(table.storage_descriptor.location).toMatch(
        new RegExp(`^s3://\\$\\{aws_s3_bucket\\.history_bucket_\\w+\\.id\\}/${ARCHIVE_PREFIXES[kind]}$`),
      );
      expect(table.parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': ARCHIVE_PARTITION_FORMAT,
        'projection.dt.range': 'NOW-91DAYS,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'HOURS',
      });
      // Terraform's escape: the table stores a literal ${dt}.
      expect(table.parameters['storage.location.template']).toBe(`${table.storage_descriptor.location}$\${dt}/`);
    });
    expect(Object.keys(ARCHIVE_COLUMNS.webhook)).toHaveLength(12);
    expect(ARCHIVE_COLUMNS.webhook).toMatchObject({ headers: 'map<string,string>', destinations: 'array<string>', v: 'int' });
    expect(ARCHIVE_COLUMNS.attempt).toMatchObject({ attempt: 'int', status: 'int', duration_ms: 'bigint', last: 'boolean' });
  });

  test('an Athena workgroup that enforces encrypted results in athena-results/', () => {
    const workgroup = only(json, 'aws_athena_workgroup');
    expect(workgroup.name).toBe('webhook-history-dev');
    expect(workgroup.configuration).toMatchObject({
      enforce_workgroup_configuration: true,
      result_configuration: {
        output_location: expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\.history_bucket_\w+\.id\}\/athena-results\/$/),
        encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: expect.stringContaining('aws_kms_key.history_key_') },
      },
    });
  });

  test('the operator policy: read and query the archive, replay, redrive, pause and resume the given functions', () => {
    const policy = only(json, 'aws_iam_policy');
    expect(policy.name).toBe('webhook-history-operator-dev');
    const statements = Object.fromEntries(statementsOf(policy.policy).map((s) => [s.Sid, s]));
    expect(Object.keys(statements)).toEqual([
      'ListArchive',
      'ReadArchive',
      'WriteQueryResults',
      'UseArchiveKey',
      'ReadArchiveTables',
      'QueryArchive',
      'ReplayAndRedrive',
      'ReadDeadLetters',
      'ListMappings',
      'ReadMappings',
      'PauseAndResumeMappings',
    ]);
    expect(statements.WriteQueryResults.Resource).toMatch(/\/athena-results\/\*$/);
    expect(statements.QueryArchive.Action).toEqual(
      expect.arrayContaining([
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ]),
    );
    expect(statements.QueryArchive.Resource).toMatch(/^arn:aws:athena:eu-west-1:123456789012:workgroup\/\$\{aws_athena_workgroup\./);
    expect(statements.ReadArchiveTables.Resource).toEqual([
      'arn:aws:glue:eu-west-1:123456789012:catalog',
      expect.stringMatching(/:database\/\$\{aws_glue_catalog_database\.history_database_\w+\.name\}$/),
      expect.stringMatching(/:table\/\$\{aws_glue_catalog_database\.history_database_\w+\.name\}\/\*$/),
    ]);
    expect(statements.ReplayAndRedrive).toMatchObject({
      Action: 'sqs:SendMessage',
      Resource: ['arn:aws:sqs:eu-west-1:123456789012:webhook-lane-*-dev'],
    });
    expect(statements.ReadDeadLetters.Action).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']),
    );
    expect(statements.ListMappings.Resource).toBe('*');
    expect(statements.PauseAndResumeMappings.Condition).toEqual({
      ArnLike: { 'lambda:FunctionArn': ['arn:aws:lambda:eu-west-1:123456789012:function:webhook-dispatcher-dev'] },
    });
    expect(JSON.stringify(statements)).not.toContain('s3:DeleteObject');
  });
});

describe('EventArchive defaults and grants', () => {
  test('30 days, force_destroy false, an operator policy over the archive only', () => {
    const json = synth((scope) => new EventArchive(scope, 'history', BASE));
    expect(only(json, 'aws_s3_bucket_lifecycle_configuration').rule[0].expiration[0].days).toBe(30);
    expect(only(json, 'aws_cloudwatch_log_group').retention_in_days).toBe(30);
    expect(statementsOf(only(json, 'aws_iam_policy').policy).map((s) => s.Sid)).toEqual([
      'ListArchive',
      'ReadArchive',
      'WriteQueryResults',
      'UseArchiveKey',
      'ReadArchiveTables',
      'QueryArchive',
    ]);
  });

  test("grantWrite: PutRecord and PutRecordBatch on that kind's stream only, by ARN", () => {
    const statements: PolicyStatement[] = [];
    const grantee = { addToPrincipalPolicy: (s: PolicyStatement) => statements.push(s) };
    Testing.synthScope((scope) => {
      const archive = new EventArchive(scope, 'history', { ...BASE, names: new ResourceNames({ prefix: 'acme', suffix: 'prod' }) });
      archive.grantWrite(grantee, 'webhook');
      archive.grantWrite(grantee, 'attempt');
    });
    expect(statements).toEqual([
      {
        Sid: 'ArchiveWebhooks',
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/acme-archive-webhook-prod',
      },
      {
        Sid: 'ArchiveAttempts',
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/acme-archive-attempt-prod',
      },
    ]);
  });

  test('handles and names resolve to the resources', () => {
    const json = synth((scope) => {
      const archive = new EventArchive(scope, 'history', BASE);
      expect(archive.enabled).toBe(true);
      expect(archive.retentionDaysAsString).toBe('30');
      new TerraformOutput(scope, 'stream', { value: archive.streamName('attempt') });
      new TerraformOutput(scope, 'bucket', { value: archive.bucketName });
      new TerraformOutput(scope, 'database', { value: archive.databaseName });
      new TerraformOutput(scope, 'workgroup', { value: archive.workgroupName });
      new TerraformOutput(scope, 'policy', { value: archive.operatorPolicyArn });
    });
    expect(Object.fromEntries(Object.entries<any>(json.output).map(([k, v]) => [k, v.value]))).toEqual({
      stream: expect.stringMatching(/^\$\{aws_kinesis_firehose_delivery_stream\.history_attempt-stream_\w+\.name\}$/),
      bucket: expect.stringMatching(/^\$\{aws_s3_bucket\.history_bucket_\w+\.bucket\}$/),
      database: expect.stringMatching(/^\$\{aws_glue_catalog_database\.history_database_\w+\.name\}$/),
      workgroup: expect.stringMatching(/^\$\{aws_athena_workgroup\.history_workgroup_\w+\.name\}$/),
      policy: expect.stringMatching(/^\$\{aws_iam_policy\.history_operator-policy_\w+\.arn\}$/),
    });
  });

  test('the ArchiveWriteFailed metric of a writer service', () => {
    expect(EventArchive.metricArchiveWriteFailed('webhook-processor-dev')).toEqual({
      namespace: 'WebhookPipeline',
      metricName: 'ArchiveWriteFailed',
      stat: 'Sum',
      dimensions: { service: 'webhook-processor-dev' },
    });
  });

  test.each<[string, Partial<EventArchiveProps>, RegExp]>([
    [
      'a negative retention',
      { retentionDays: -1 },
      /EventArchive history: retentionDays must be a whole number of days: 0 \(no archive\) or 1-3650, got -1/,
    ],
    ['a fractional retention', { retentionDays: 1.5 }, /retentionDays must be .* got 1\.5/],
    [
      'a log retention CloudWatch does not offer',
      { logRetentionDays: 2 },
      /EventArchive history: logRetentionDays must be one of 1, 3, .* got 2/,
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => Testing.synthScope((scope) => new EventArchive(scope, 'history', { ...BASE, ...props }))).toThrow(message);
  });
});

describe('EventArchive switched off', () => {
  test('a plain 0 builds nothing: no resources, no grant, empty names', () => {
    const statements: PolicyStatement[] = [];
    const json = synth((scope) => {
      const archive = new EventArchive(scope, 'history', { ...BASE, retentionDays: 0 });
      archive.grantWrite({ addToPrincipalPolicy: (s) => statements.push(s) }, 'webhook');
      expect([archive.enabled, archive.bucket, archive.streams, archive.operatorPolicy]).toEqual([false, undefined, undefined, undefined]);
      expect([
        archive.streamName('webhook'),
        archive.bucketName,
        archive.databaseName,
        archive.workgroupName,
        archive.operatorPolicyArn,
      ]).toEqual(['', '', '', '', '']);
    });
    expect(json.resource).toBeUndefined();
    expect(statements).toEqual([]);
  });

  describe('a plan-time retention', () => {
    const json = synth((scope) => {
      const days = new TerraformVariable(scope, 'history_retention_days', { type: 'number' }).numberValue;
      const archive = new EventArchive(scope, 'history', {
        ...BASE,
        retentionDays: days,
        operator: { eventSourceFunctionArns: ['arn:f'] },
      });
      new TerraformOutput(scope, 'stream', { value: archive.streamName('webhook') });
      new TerraformOutput(scope, 'days', { value: archive.retentionDaysAsString });
      new TerraformOutput(scope, 'enabled', { value: Token.asString(archive.enabled) });
    });
    const all = Object.values<any>(json.resource).flatMap((byName) => Object.values<any>(byName));

    test('gives every resource count = days > 0 ? 1 : 0, written as one Terraform expression', () => {
      expect(all).toHaveLength(20);
      for (const resource of all) expect(resource.count).toBe('${var.history_retention_days > 0 ? 1 : 0}');
      expect(JSON.stringify(json)).not.toContain('undefined');
    });

    test('references between them go to instance 0; the lifecycle and projection follow the variable', () => {
      const stream = resourcesOfType(json, 'aws_kinesis_firehose_delivery_stream')[0];
      expect(stream.extended_s3_configuration.bucket_arn).toMatch(/^\$\{aws_s3_bucket\.history_bucket_\w+\[0\]\.arn\}$/);
      expect(stream.extended_s3_configuration.role_arn).toMatch(/\[0\]\.arn\}$/);
      expect(only(json, 'aws_s3_bucket_lifecycle_configuration').rule[0].expiration[0].days).toBe('${var.history_retention_days}');
      const table = resourcesOfType(json, 'aws_glue_catalog_table').find((t) => t.name === ARCHIVE_TABLES.webhook);
      expect(table.parameters['projection.dt.range']).toBe('NOW-${var.history_retention_days + 1}DAYS,NOW');
      expect(table.parameters['storage.location.template']).toMatch(
        /^s3:\/\/\$\{aws_s3_bucket\.history_bucket_\w+\[0\]\.id\}\/webhooks\/\$\$\{dt\}\/$/,
      );
    });

    test("names are '' while the archive is off: a conditional over instance 0", () => {
      expect(json.output.stream.value).toMatch(
        /^\$\{var\.history_retention_days > 0 \? aws_kinesis_firehose_delivery_stream\.history_webhook-stream_\w+\[0\]\.name : ""\}$/,
      );
      expect(json.output.days.value).toBe('${var.history_retention_days}');
      expect(json.output.enabled.value).toBe('${(var.history_retention_days >= 1)}');
    });
  });
});

describe('bucketName', () => {
  const names = new ResourceNames({ prefix: 'webhook', suffix: 'dev' });

  test('prefix, history, suffix, account and region when they fit', () => {
    expect(bucketName(names, '123456789012', 'eu-west-1')).toBe('webhook-history-dev-123456789012-eu-west-1');
  });

  test('a name that would not fit is cut and hashed: 63 characters, deterministic, distinct per suffix', () => {
    const long = (suffix: string) => bucketName(new ResourceNames({ prefix: 'a'.repeat(24), suffix }), '123456789012', 'ap-southeast-1');
    const first = long('x'.repeat(22));
    expect(first).toHaveLength(MAX_BUCKET_NAME);
    expect(first).toMatch(/^a{24}-h-[0-9a-f]{8}-123456789012-ap-southeast-1$/);
    expect(long('x'.repeat(22))).toBe(first);
    expect(long(`${'x'.repeat(21)}y`)).not.toBe(first);
  });

  test('with plan-time parts, Terraform decides with the same rule', () => {
    const json = synth((scope) => {
      const suffix = new TerraformVariable(scope, 'suffix', { type: 'string' }).stringValue;
      new TerraformOutput(scope, 'name', { value: bucketName(new ResourceNames({ suffix }), '123456789012', 'eu-west-1') });
    });
    const expression: string = json.output.name.value;
    expect(expression).toMatch(/^\$\{\(length\(join\(""/);
    expect(expression).toContain('<= 63');
    expect(expression).toContain('sha1(join("-", ["webhook", "history", var.suffix]))');
  });
});
