import { createHash } from 'node:crypto';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable, type GlueCatalogTableStorageDescriptorColumns } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { Fn, Op, type TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULT_HISTORY_RETENTION_DAYS, historyEnabled, validateHistoryRetention } from '../config/history';
import { validateLogRetentionDays } from '../config/aws-limits';
import { ResourceNames } from '../config/naming';
import { HANDLER_METRICS, METRICS_NAMESPACE } from '../contract';
import { isToken, type Switch } from '../core/values';
import {
  ARCHIVE_PARTITION_COLUMN,
  ARCHIVE_PARTITION_FORMAT,
  ARCHIVE_PREFIXES,
  ARCHIVE_TABLES,
  type ArchiveKind,
  type ArchivedAttempt,
  type ArchivedWebhook,
} from '../history/archive-records';
import { type IGrantable, policyDocument, type PolicyStatement } from '../iam/policy-document';
import { handlerMetric, type MetricSpec } from '../metrics/metric';

export const ARCHIVE_KINDS: readonly ArchiveKind[] = ['webhook', 'attempt'];
/** Where Athena writes query results, in the archive's own bucket (expired after 7 days). */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
export const ATHENA_RESULTS_RETENTION_DAYS = 7;
/** Where Firehose writes what it could not deliver under a kind's prefix (Firehose appends the error type and hour). */
export const ARCHIVE_ERROR_PREFIXES: Readonly<Record<ArchiveKind, string>> = {
  webhook: `errors/${ARCHIVE_PREFIXES.webhook}`,
  attempt: `errors/${ARCHIVE_PREFIXES.attempt}`,
};
/**
 * Firehose flushes a stream's buffer every 60 s or at 64 MB, whichever comes first: an event shows
 * up in the history within about a minute, and a quiet stream writes at most one object a minute
 * (about 1,440 a day per stream), few enough for Athena to list and read cheaply.
 */
export const ARCHIVE_BUFFERING = { intervalSeconds: 60, sizeMb: 64 } as const;
/** S3's limit on bucket names. */
export const MAX_BUCKET_NAME = 63;

/** Glue column types of each field of an archived line: a column per field, nothing else. */
export const ARCHIVE_COLUMNS: {
  readonly webhook: Readonly<Record<keyof ArchivedWebhook, string>>;
  readonly attempt: Readonly<Record<keyof ArchivedAttempt, string>>;
} = {
  webhook: {
    v: 'int',
    kind: 'string',
    webhook_id: 'string',
    source: 'string',
    delivery_id: 'string',
    event_type: 'string',
    received_at: 'string',
    processed_at: 'string',
    request_id: 'string',
    headers: 'map<string,string>',
    body: 'string',
    destinations: 'array<string>',
  },
  attempt: {
    v: 'int',
    kind: 'string',
    webhook_id: 'string',
    source: 'string',
    delivery_id: 'string',
    event_type: 'string',
    destination: 'string',
    attempt: 'int',
    outcome: 'string',
    last: 'boolean',
    status: 'int',
    reason: 'string',
    duration_ms: 'bigint',
    at: 'string',
    replay_id: 'string',
  },
};

/** What the operator policy may reach besides the archive: replay, redrive, pause and resume. */
export interface ArchiveOperatorAccess {
  /** Queues a replay or redrive sends to: the delivery lanes (by pattern) and the pipeline's queues. */
  readonly sendQueueArns?: readonly string[];
  /** Dead-letter queues a redrive reads and deletes from (the pipeline's and the lanes'). */
  readonly deadLetterQueueArns?: readonly string[];
  /** Functions whose event source mappings an operator pauses and resumes (their ARNs). */
  readonly eventSourceFunctionArns?: readonly string[];
}

export interface EventArchiveProps {
  /**
   * Days an archived line is kept: a plain number or a plan-time token. A plain 0 builds nothing;
   * a token gives every resource `count = days > 0 ? 1 : 0`.
   * @default 30
   */
  readonly retentionDays?: number;
  /** The account that owns the archive: its root administers the key; part of the bucket's name. */
  readonly accountId: string;
  /** The region the archive lives in: part of the bucket's name and of the ARNs. */
  readonly region: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: usually `DataAwsPartition.partition`. */
  readonly partition: string;
  /**
   * Physical names' prefix and suffix: `<prefix>-history-<suffix>-<account>-<region>` (the bucket),
   * `<prefix>-archive-<kind>-<suffix>` (the streams), `<prefix>_history_<suffix>` (the database).
   * @default webhook-…-dev
   */
  readonly names?: ResourceNames;
  /**
   * Retention of the streams' error log group, in days (a value CloudWatch Logs allows).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Whether `terraform destroy` empties the bucket first. Off, a destroy fails on an archive that
   * holds anything: history is deleted on purpose, never as a side effect.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * What the operator policy may reach besides the archive.
   * @default the archive only
   */
  readonly operator?: ArchiveOperatorAccess;
}

/**
 * The event archive: every first-seen webhook and every delivery attempt as newline-delimited
 * JSON in S3 (through a Firehose stream per kind), queryable with Athena through Glue tables
 * whose partitions are projected from Firehose's hour folders, and an IAM policy for operators
 * who read it, replay and redrive. The layout is `src/history/archive-records.ts`'s contract.
 */
export class EventArchive extends Construct {
  /** Days an archived line is kept (a number or a plan-time token). */
  public readonly retentionDays: number;
  /** Whether the archive exists: a boolean, or a plan-time expression (`days > 0`). */
  public readonly enabled: Switch;
  // Every resource is absent for a plain retention of 0 (`enabled` is then `false`).
  public readonly key?: KmsKey;
  public readonly bucket?: S3Bucket;
  /** The role both streams write with. */
  public readonly role?: IamRole;
  /** The streams' error log group. */
  public readonly logGroup?: CloudwatchLogGroup;
  public readonly streams?: Readonly<Record<ArchiveKind, KinesisFirehoseDeliveryStream>>;
  public readonly database?: GlueCatalogDatabase;
  public readonly tables?: Readonly<Record<ArchiveKind, GlueCatalogTable>>;
  public readonly workgroup?: AthenaWorkgroup;
  /** The policy an operator attaches to read the archive, replay and redrive. */
  public readonly operatorPolicy?: IamPolicy;
  private readonly props: EventArchiveProps;
  private readonly names: ResourceNames;
  private readonly counted: boolean;

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    const owner = `EventArchive ${id}`;
    this.props = props;
    const days = (this.retentionDays = props.retentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS);
    validateHistoryRetention(owner, days, 'retentionDays');
    validateLogRetentionDays(owner, props.logRetentionDays);
    const names = (this.names = props.names ?? new ResourceNames());
    this.counted = isToken(days);
    if (historyEnabled(days) === false) {
      this.enabled = false;
      return;
    }
    // A plan-time retention switches every resource at once: `count = days > 0 ? 1 : 0`, written
    // as raw HCL (cdktf's Op.gt(x, 0) renders the 0 as `undefined`).
    // `enabled` is a real expression (other switches combine with it): `days >= 1`, the same as
    // `> 0` for the whole numbers the variable admits, with no falsy literal for cdktf to drop.
    this.enabled = this.counted ? Op.gte(days, 1) : true;
    const count = this.counted ? Token.asNumber(`\${${Token.asString(days)} > 0 ? 1 : 0}`) : undefined;
    const attr = (resource: TerraformResource, name: string) => this.attribute(resource, name);
    const accountRoot = `arn:${props.partition}:iam::${props.accountId}:root`;

    // Setup the key: the bucket's default encryption and Athena's results.
    const key = (this.key = new KmsKey(this, 'key', {
      count,
      description: 'Encrypts the webhook pipeline event archive and its Athena results',
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument({
        Sid: 'AccountAdministers',
        Effect: 'Allow',
        Principal: { AWS: accountRoot },
        Action: 'kms:*',
        Resource: '*',
      }),
    }));
    new KmsAlias(this, 'key-alias', { count, name: `alias/${names.of('history')}`, targetKeyId: attr(key, 'key_id') });
    const keyArn = attr(key, 'arn');

    // Setup the bucket: private, TLS-only, SSE-KMS with a bucket key, objects expiring with the retention.
    const bucket = (this.bucket = new S3Bucket(this, 'bucket', {
      count,
      bucket: bucketName(names, props.accountId, props.region),
      forceDestroy: props.forceDestroy ?? false,
    }));
    const bucketId = attr(bucket, 'id');
    const bucketArn = attr(bucket, 'arn');
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      count,
      bucket: bucketId,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }],
    });
    new S3BucketPublicAccessBlock(this, 'public-access-block', {
      count,
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { count, bucket: bucketId, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketPolicy(this, 'bucket-policy', {
      count,
      bucket: bucketId,
      policy: policyDocument({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    });
    const expire = (ruleId: string, prefix: string, expirationDays: number) => ({
      id: ruleId,
      status: 'Enabled',
      filter: [{ prefix }],
      expiration: [{ days: expirationDays }],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      count,
      bucket: bucketId,
      rule: [
        ...ARCHIVE_KINDS.map((kind) => expire(`expire-${ARCHIVE_PREFIXES[kind].replace('/', '')}`, ARCHIVE_PREFIXES[kind], days)),
        ...ARCHIVE_KINDS.map((kind) => expire(`expire-errors-${kind}`, ARCHIVE_ERROR_PREFIXES[kind], days)),
        expire('expire-athena-results', ATHENA_RESULTS_PREFIX, ATHENA_RESULTS_RETENTION_DAYS),
        {
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });

    // Setup the streams' role: write objects under the archive's prefixes, nothing else (never delete).
    const logGroup = (this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      count,
      name: `/aws/kinesisfirehose/${names.of('archive')}`,
      retentionInDays: props.logRetentionDays ?? 30,
    }));
    const logGroupName = attr(logGroup, 'name');
    const role = (this.role = new IamRole(this, 'role', {
      count,
      name: names.of('archive-role'),
      assumeRolePolicy: policyDocument({
        Effect: 'Allow',
        Principal: { Service: 'firehose.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': props.accountId } },
      }),
    }));
    const writablePrefixes = ARCHIVE_KINDS.flatMap((kind) => [ARCHIVE_PREFIXES[kind], ARCHIVE_ERROR_PREFIXES[kind]]);
    const rolePolicy = new IamRolePolicy(this, 'role-policy', {
      count,
      role: attr(role, 'name'),
      name: 'write-archive',
      policy: policyDocument(
        {
          Sid: 'FindBucket',
          Effect: 'Allow',
          Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
          Resource: bucketArn,
        },
        {
          Sid: 'WriteArchiveObjects',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
          Resource: writablePrefixes.map((prefix) => `${bucketArn}/${prefix}*`),
        },
        {
          Sid: 'EncryptArchiveObjects',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: keyArn,
          Condition: { StringEquals: { 'kms:ViaService': `s3.${props.region}.amazonaws.com` } },
        },
        {
          Sid: 'LogDeliveryErrors',
          Effect: 'Allow',
          Action: 'logs:PutLogEvents',
          Resource: `arn:${props.partition}:logs:${props.region}:${props.accountId}:log-group:${logGroupName}:log-stream:*`,
        },
      ),
    });

    // Setup the streams: one per kind, objects under the kind's prefix and Firehose's own UTC hour
    // folders (a prefix without `!{…}` expressions: Firehose appends `YYYY/MM/DD/HH/`). The writers
    // GZIP each record, since Firehose bills the bytes it ingests before its own compression: the
    // streams store records as they come, in `.gz` objects that are series of GZIP members.
    const stream = (kind: ArchiveKind) => {
      const logStream = new CloudwatchLogStream(this, `${kind}-log-stream`, { count, name: kind, logGroupName });
      return new KinesisFirehoseDeliveryStream(this, `${kind}-stream`, {
        count,
        name: this.streamNameOf(kind),
        destination: 'extended_s3',
        serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
        extendedS3Configuration: {
          roleArn: attr(role, 'arn'),
          bucketArn,
          prefix: ARCHIVE_PREFIXES[kind],
          errorOutputPrefix: ARCHIVE_ERROR_PREFIXES[kind],
          compressionFormat: 'UNCOMPRESSED',
          fileExtension: '.gz',
          bufferingInterval: ARCHIVE_BUFFERING.intervalSeconds,
          bufferingSize: ARCHIVE_BUFFERING.sizeMb,
          cloudwatchLoggingOptions: { enabled: true, logGroupName, logStreamName: attr(logStream, 'name') },
        },
        // Firehose checks its role when the stream is created.
        dependsOn: [rolePolicy],
      });
    };
    this.streams = { webhook: stream('webhook'), attempt: stream('attempt') };

    // Setup the catalogue: one table per kind, partitions projected from the hour folders (no
    // crawler, no partition to add), over a range that covers the retention and a day of
    // lifecycle lag (S3 expires objects within about a day of their date).
    const database = (this.database = new GlueCatalogDatabase(this, 'database', {
      count,
      // Athena's database names take letters, digits and underscores.
      name: isToken(names.suffix) ? Fn.replace(names.of('history'), '-', '_') : names.of('history').replace(/-/g, '_'),
      description: 'The webhook pipeline event archive: webhooks and delivery attempts (src/history/archive-records.ts).',
    }));
    const databaseName = attr(database, 'name');
    const rangeDays = isToken(days) ? `\${${Token.asString(days)} + 1}` : String(days + 1);
    const table = (kind: ArchiveKind) => {
      const location = `s3://${bucketId}/${ARCHIVE_PREFIXES[kind]}`;
      return new GlueCatalogTable(this, `${kind}-table`, {
        count,
        databaseName,
        name: ARCHIVE_TABLES[kind],
        description: `Archived ${kind} lines (newline-delimited JSON, GZIP), one partition per UTC hour.`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          [`projection.${ARCHIVE_PARTITION_COLUMN}.type`]: 'date',
          [`projection.${ARCHIVE_PARTITION_COLUMN}.format`]: ARCHIVE_PARTITION_FORMAT,
          [`projection.${ARCHIVE_PARTITION_COLUMN}.range`]: `NOW-${rangeDays}DAYS,NOW`,
          [`projection.${ARCHIVE_PARTITION_COLUMN}.interval`]: '1',
          [`projection.${ARCHIVE_PARTITION_COLUMN}.interval.unit`]: 'HOURS',
          // `$${…}` is Terraform's escape: the table stores a literal `${dt}`, which Athena fills in.
          'storage.location.template': `${location}$\${${ARCHIVE_PARTITION_COLUMN}}/`,
        },
        partitionKeys: [
          { name: ARCHIVE_PARTITION_COLUMN, type: 'string', comment: `UTC hour the line arrived, ${ARCHIVE_PARTITION_FORMAT}` },
        ],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serDeInfo: {
            name: 'json',
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // A torn line reads as nulls instead of failing the query.
            parameters: { 'ignore.malformed.json': 'true' },
          },
          columns: Object.entries(ARCHIVE_COLUMNS[kind]).map(([name, type]): GlueCatalogTableStorageDescriptorColumns => ({ name, type })),
        },
      });
    };
    this.tables = { webhook: table('webhook'), attempt: table('attempt') };

    // Setup Athena: results in the archive's bucket, encrypted with its key, whatever a client asks.
    const workgroup = (this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      count,
      name: names.of('history'),
      description: 'Queries over the webhook pipeline event archive.',
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${bucketId}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: keyArn },
        },
      },
    }));

    // Setup the operator's policy: read the archive, query it, replay and redrive, pause and resume.
    this.operatorPolicy = new IamPolicy(this, 'operator-policy', {
      count,
      name: names.of('history-operator'),
      description: 'Read the webhook event archive (S3, Glue, Athena), replay and redrive deliveries, pause and resume lanes.',
      policy: policyDocument(...this.operatorStatements({ bucketArn, keyArn, databaseName, workgroupName: attr(workgroup, 'name') })),
    });
  }

  /** The stream of `kind`'s name: what the processor (webhooks) and dispatcher (attempts) write to; '' while the archive is off. */
  streamName(kind: ArchiveKind): string {
    return this.whenOn(this.streams?.[kind], 'name');
  }

  /** The bucket's name; '' while the archive is off. */
  get bucketName(): string {
    return this.whenOn(this.bucket, 'bucket');
  }

  /** The Glue database's name; '' while the archive is off. */
  get databaseName(): string {
    return this.whenOn(this.database, 'name');
  }

  /** The Athena workgroup's name; '' while the archive is off. */
  get workgroupName(): string {
    return this.whenOn(this.workgroup, 'name');
  }

  /** The operator policy's ARN; '' while the archive is off. */
  get operatorPolicyArn(): string {
    return this.whenOn(this.operatorPolicy, 'arn');
  }

  /** The retention, as the `history_retention_days` output shows it. */
  get retentionDaysAsString(): string {
    return isToken(this.retentionDays) ? Token.asString(this.retentionDays) : String(this.retentionDays);
  }

  /**
   * Lets `grantee` put records on the stream of `kind` only. By ARN from the stream's name, so a
   * grant needs no instance of a stream switched at plan time.
   */
  grantWrite(grantee: IGrantable, kind: ArchiveKind): void {
    if (this.enabled === false) return;
    const { partition, region, accountId } = this.props;
    grantee.addToPrincipalPolicy({
      Sid: kind === 'webhook' ? 'ArchiveWebhooks' : 'ArchiveAttempts',
      Effect: 'Allow',
      Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
      Resource: `arn:${partition}:firehose:${region}:${accountId}:deliverystream/${this.streamNameOf(kind)}`,
    });
  }

  /** Archive lines the writer of service `serviceName` could not hand to Firehose (`ArchiveWriteFailed`, Sum). */
  static metricArchiveWriteFailed(serviceName: string): MetricSpec {
    return handlerMetric(METRICS_NAMESPACE, serviceName, HANDLER_METRICS.archiveWriteFailed);
  }

  private streamNameOf(kind: ArchiveKind): string {
    return this.names.of('archive', kind);
  }

  /** An attribute of one of the archive's resources: instance 0 when a plan-time retention gives them a count. */
  private attribute(resource: TerraformResource, name: string): string {
    return this.counted
      ? `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}[0].${name}}`
      : resource.getStringAttribute(name);
  }

  private whenOn(resource: TerraformResource | undefined, name: string): string {
    if (resource === undefined) return '';
    if (!this.counted) return resource.getStringAttribute(name);
    return Token.asString(
      `\${${Token.asString(this.retentionDays)} > 0 ? ${resource.terraformResourceType}.${resource.friendlyUniqueId}[0].${name} : ""}`,
    );
  }

  private operatorStatements(archive: {
    bucketArn: string;
    keyArn: string;
    databaseName: string;
    workgroupName: string;
  }): PolicyStatement[] {
    const { partition, region, accountId } = this.props;
    const operator = this.props.operator ?? {};
    const glue = (resource: string) => `arn:${partition}:glue:${region}:${accountId}:${resource}`;
    const statements: PolicyStatement[] = [
      {
        Sid: 'ListArchive',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation'],
        Resource: archive.bucketArn,
      },
      { Sid: 'ReadArchive', Effect: 'Allow', Action: 's3:GetObject', Resource: `${archive.bucketArn}/*` },
      {
        Sid: 'WriteQueryResults',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: `${archive.bucketArn}/${ATHENA_RESULTS_PREFIX}*`,
      },
      { Sid: 'UseArchiveKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: archive.keyArn },
      {
        Sid: 'ReadArchiveTables',
        Effect: 'Allow',
        Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
        Resource: [glue('catalog'), glue(`database/${archive.databaseName}`), glue(`table/${archive.databaseName}/*`)],
      },
      {
        Sid: 'QueryArchive',
        Effect: 'Allow',
        Action: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        Resource: `arn:${partition}:athena:${region}:${accountId}:workgroup/${archive.workgroupName}`,
      },
    ];
    if (operator.sendQueueArns?.length) {
      statements.push({ Sid: 'ReplayAndRedrive', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [...operator.sendQueueArns] });
    }
    if (operator.deadLetterQueueArns?.length) {
      statements.push({
        Sid: 'ReadDeadLetters',
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
        ],
        Resource: [...operator.deadLetterQueueArns],
      });
    }
    if (operator.eventSourceFunctionArns?.length) {
      const mappings = `arn:${partition}:lambda:${region}:${accountId}:event-source-mapping:*`;
      statements.push(
        // ListEventSourceMappings takes no resource ARN: AWS authorizes it against "*" only.
        { Sid: 'ListMappings', Effect: 'Allow', Action: 'lambda:ListEventSourceMappings', Resource: '*' },
        { Sid: 'ReadMappings', Effect: 'Allow', Action: 'lambda:GetEventSourceMapping', Resource: mappings },
        {
          Sid: 'PauseAndResumeMappings',
          Effect: 'Allow',
          Action: 'lambda:UpdateEventSourceMapping',
          Resource: mappings,
          Condition: { ArnLike: { 'lambda:FunctionArn': [...operator.eventSourceFunctionArns] } },
        },
      );
    }
    return statements;
  }
}

/**
 * `<prefix>-history-<suffix>-<account>-<region>`, at most 63 characters: when a long prefix,
 * suffix and region would not fit, `<prefix>-history-<suffix>` is cut and followed by 8 hex
 * digits of its SHA-1, so the name stays deterministic and distinct per environment. Computed
 * here when every part is plain, else by Terraform (built with functions over the parts: cdktf
 * mangles strings with references inside a function's arguments).
 */
export function bucketName(names: ResourceNames, accountId: string, region: string): string {
  const hashLength = 8;
  const keep = (tailLength: number) => MAX_BUCKET_NAME - hashLength - 1 - tailLength;
  if (![names.suffix, accountId, region].some(isToken)) {
    const head = names.of('history');
    const tail = `-${accountId}-${region}`;
    if (head.length + tail.length <= MAX_BUCKET_NAME) return `${head}${tail}`;
    const hash = createHash('sha1').update(head).digest('hex').slice(0, hashLength);
    return `${head.slice(0, keep(tail.length))}-${hash}${tail}`;
  }
  const head = Fn.join('-', [names.prefix, 'history', names.suffix]);
  const tail = Fn.join('-', ['', accountId, region]);
  const full = Fn.join('', [head, tail]);
  const short = Fn.join('', [Fn.substr(head, 0, Op.sub(keep(0), Fn.lengthOf(tail))), '-', Fn.substr(Fn.sha1(head), 0, hashLength), tail]);
  return Token.asString(Fn.conditional(Op.lte(Fn.lengthOf(full), MAX_BUCKET_NAME), full, short));
}
