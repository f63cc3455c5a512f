import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * Creating, through the AWS SDK, the resources the handlers use, on whatever endpoint the clients
 * point at (moto in these tests).
 */

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
}

/** Clients for `endpoint` with moto's fake credentials, independent of the handlers' own. */
export function awsClients(endpoint: string, region = 'us-east-1'): AwsClients {
  const config = {
    endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  return { sqs: new SQSClient(config), ssm: new SSMClient(config), dynamodb: new DynamoDBClient(config) };
}

export interface QueueOptions {
  readonly visibilityTimeoutSeconds?: number;
  /** Dead-letter queue URL and maxReceiveCount. */
  readonly deadLetter?: { readonly queueUrl: string; readonly maxReceiveCount: number };
}

export async function createQueue(sqs: SQSClient, name: string, options: QueueOptions = {}): Promise<string> {
  const attributes: Record<string, string> = {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
  };
  if (options.deadLetter) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: options.deadLetter.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: Attributes?.QueueArn,
      maxReceiveCount: options.deadLetter.maxReceiveCount,
    });
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return QueueUrl;
}

export async function putSecureString(ssm: SSMClient, name: string, value: string): Promise<void> {
  await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
}

/** The table Powertools idempotency expects: partition key `id` (S), TTL on `expiration`. */
export async function createIdempotencyTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    }),
  );
}
