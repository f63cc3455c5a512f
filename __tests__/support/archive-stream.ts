import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { type ArchiveRecord, archiveObjectText, parseArchiveLines } from '../../src/history/archive-records';
import { FAKE_AWS_CREDENTIALS } from './moto';

/**
 * An archive stream on moto: a bucket and an `ExtendedS3` Firehose delivery stream into it, as the
 * history infrastructure builds them: moto writes each PutRecordBatch call's concatenated record
 * data (the writers' GZIP members) at once, as one object under `<prefix>YYYY/MM/DD/HH/`.
 *
 * The bucket is read with plain S3 REST calls: moto checks no signature, only that a request names
 * its service, so the test support needs no S3 client.
 */

export interface ArchiveStream {
  readonly streamName: string;
  readonly bucket: string;
  readonly prefix: string;
  /** Keys of the objects Firehose wrote, sorted. */
  keys(): Promise<string[]>;
  /** Every object's text, in key order. */
  objects(): Promise<{ key: string; text: string }[]>;
  /** The lines of every object, parsed with `parseArchiveLines`; `badLines` collects any that is not JSON. */
  records(badLines?: string[]): Promise<ArchiveRecord[]>;
}

const REGION = 'us-east-1';
/** What moto takes for an S3 request: any SigV4 header naming the service. */
const S3_AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=${FAKE_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID}/20260101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`;

async function s3Bytes(endpoint: string, path: string, method = 'GET'): Promise<Buffer> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { authorization: S3_AUTHORIZATION },
    signal: AbortSignal.timeout(5_000),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`S3 ${method} ${path} answered ${response.status}: ${bytes.toString('utf8').slice(0, 300)}`);
  return bytes;
}
const s3 = async (endpoint: string, path: string, method = 'GET') => (await s3Bytes(endpoint, path, method)).toString('utf8');

/** Creates the bucket and the delivery stream on `endpoint` (moto). */
export async function createArchiveStream(
  endpoint: string,
  options: { readonly streamName: string; readonly bucket: string; readonly prefix: string },
): Promise<ArchiveStream> {
  const { streamName, bucket, prefix } = options;
  await s3(endpoint, `/${bucket}`, 'PUT');
  const firehose = new FirehoseClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: FAKE_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
  try {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: streamName,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::123456789012:role/webhook-history-firehose',
          BucketARN: `arn:aws:s3:::${bucket}`,
          Prefix: prefix,
          ErrorOutputPrefix: 'errors/',
        },
      }),
    );
  } finally {
    firehose.destroy();
  }

  const keys = async () => {
    const listing = await s3(endpoint, `/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
    return [...listing.matchAll(/<Key>([^<]+)<\/Key>/g)].map((match) => match[1]!).sort();
  };
  const objects = async () =>
    Promise.all((await keys()).map(async (key) => ({ key, text: archiveObjectText(await s3Bytes(endpoint, `/${bucket}/${key}`)) })));
  return {
    streamName,
    bucket,
    prefix,
    keys,
    objects,
    records: async (badLines) => (await objects()).flatMap(({ text }) => parseArchiveLines(text, (line) => badLines?.push(line))),
  };
}
