/**
 * AWS list prices the cost model (bench/cost-model.ts, docs/COST.md) applies: us-east-1, USD, the
 * first (highest) tier of each, free tiers ignored. Dated: when AWS changes a price, change it
 * here and the date with it; every cost the bench prints, before and after, is recomputed from
 * this file.
 */

export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  /** The AWS pricing page the figure is from. */
  readonly source: string;
  readonly note?: string;
}

export const PRICES_REGION = 'us-east-1';
/** When these figures were taken from the pages named (transcribed, not fetched by the bench). */
export const PRICES_TAKEN_ON = '2026-11-27';
/** When the event archive's (Firehose, S3, KMS) were added from their pages. */
export const ARCHIVE_PRICES_TAKEN_ON = '2026-12-01';

/**
 * What the event archive costs beyond the priced lines, left out on purpose: Athena ($5 per TB
 * scanned, and only when someone queries: the CLI's `events`, `replay`, an analyst's SQL; a query
 * filtered on the `dt` hour partition scans only those hours' GZIP objects) and the Glue Data Catalog
 * (two tables and a database, no crawler, partition projection: within the free first million
 * objects stored and requests a month). S3 GET requests happen only when reading, likewise.
 */
export const ARCHIVE_EXCLUDED = [
  { item: 'Athena queries', usd: 5, per: 'TB scanned (10 MB minimum a query)', source: 'https://aws.amazon.com/athena/pricing/' },
  { item: 'Glue Data Catalog', usd: 0, per: 'first million objects and requests a month', source: 'https://aws.amazon.com/glue/pricing/' },
] as const;

export const PRICES = {
  apiGatewayRestRequest: {
    usd: 3.5,
    per: 'million REST API requests',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    note: 'first 333 million a month',
  },
  sqsStandardRequest: {
    usd: 0.4,
    per: 'million standard-queue requests',
    source: 'https://aws.amazon.com/sqs/pricing/',
    note: 'each 64 KB chunk of a request’s payload is billed as one request; a batch of up to 10 messages is one request',
  },
  dynamoWriteRequestUnit: {
    usd: 0.625,
    per: 'million write request units (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    note: 'one unit per item write of up to 1 KB; two in a transaction',
  },
  dynamoReadRequestUnit: {
    usd: 0.125,
    per: 'million read request units (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    note: 'one unit per strongly consistent read of up to 4 KB; half for an eventually consistent one',
  },
  lambdaRequest: { usd: 0.2, per: 'million invocations', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaGbSecondArm64: {
    usd: 0.0000133334,
    per: 'GB-second (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    note: 'first 7.5 billion GB-s a month; billed per millisecond',
  },
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    per: 'GB-second (x86_64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    note: 'first 6 billion GB-s a month; billed per millisecond',
  },
  ssmStandardParameterRead: {
    usd: 0,
    per: 'GetParameter request (standard parameter, standard throughput)',
    source: 'https://aws.amazon.com/systems-manager/pricing/',
    note: 'no charge for standard parameters at standard throughput',
  },
  cloudWatchLogsIngestion: {
    usd: 0.5,
    per: 'GB ingested (Standard log class)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
  xrayTraceRecorded: {
    usd: 5,
    per: 'million traces recorded',
    source: 'https://aws.amazon.com/xray/pricing/',
    note: 'first 100,000 a month free; retrieving or scanning traces is billed apart ($0.50 per million)',
  },
  firehoseDirectPutIngestion: {
    usd: 0.029,
    per: 'GB ingested (Direct PUT; each record rounded up to 5 KB)',
    source: 'https://aws.amazon.com/firehose/pricing/',
    note:
      'first 500 TB a month; the page: "billed per GB ingested in 5KB increments (a 3KB record is billed as 5KB, a 12KB record is billed as 15KB, etc.)", ' +
      'the rounding per record, not per API call (a PutRecordBatch of two 1 KB records is 10 KB); delivery to S3 with GZIP costs nothing more',
  },
  s3StandardStorage: {
    usd: 0.023,
    per: 'GB-month (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
    note: 'first 50 TB a month; no minimum object size or duration in Standard',
  },
  s3PutRequest: {
    usd: 5,
    per: 'million PUT, COPY, POST or LIST requests (S3 Standard; $0.005 per 1,000)',
    source: 'https://aws.amazon.com/s3/pricing/',
  },
  kmsCustomerManagedKey: {
    usd: 1,
    per: 'customer managed KMS key a month',
    source: 'https://aws.amazon.com/kms/pricing/',
    note:
      'prorated hourly; rotation adds $1 a month for each of the first two rotations kept; requests $0.03 per 10,000, ' +
      'and the S3 bucket key makes them a handful per hour, not one per object',
  },
  dataTransferOut: {
    usd: 0.09,
    per: 'GB out to the internet',
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/',
    note: 'first 10 TB a month; a destination in the same region costs less or nothing',
  },
} as const satisfies Record<string, Price>;
