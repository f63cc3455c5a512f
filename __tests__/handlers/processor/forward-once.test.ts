import { DynamoDBClient, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_EXPIRY_ATTRIBUTE, IDEMPOTENCY_KEY_ATTRIBUTE } from '../../../src/constructs/idempotency-table';
import { CLAIM_ATTRIBUTES, createClaimStore } from '../../../src/handlers/processor/forward-once';

/**
 * The claim store's requests, with a DynamoDB client whose calls never leave the process. What
 * DynamoDB makes of them (the condition's semantics) is tested against moto in
 * forward-once.int.test.ts.
 */
function stubbedDynamoDb(answer: (input: PutItemCommandInput) => object | Error) {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const requests: { command: string; input: PutItemCommandInput }[] = [];
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as PutItemCommandInput;
      requests.push({ command: context.commandName as string, input });
      const result = answer(input);
      if (result instanceof Error) throw result;
      return { output: { $metadata: {}, ...result }, response: {} };
    },
    { step: 'initialize', name: 'answerFromStub' },
  );
  return { client, requests };
}

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);
const options = { tableName: 'claims', ttlSeconds: 600, now: () => NOW };

describe('createClaimStore', () => {
  it('uses the table’s key and TTL attributes', () => {
    expect(CLAIM_ATTRIBUTES.key).toBe(IDEMPOTENCY_KEY_ATTRIBUTE);
    expect(CLAIM_ATTRIBUTES.expiry).toBe(IDEMPOTENCY_EXPIRY_ATTRIBUTE);
  });

  it('claims with one conditional PutItem holding the key, the message id and the expiry', async () => {
    const { client, requests } = stubbedDynamoDb(() => ({}));
    expect(await createClaimStore(client, options).claim('gh#d-1', 'msg-1')).toEqual({ claimed: true, alreadySent: new Set() });
    expect(requests).toEqual([
      {
        command: 'PutItemCommand',
        input: {
          TableName: 'claims',
          Item: { id: { S: 'gh#d-1' }, messageId: { S: 'msg-1' }, expiration: { N: String(NOW / 1000 + 600) } },
          ConditionExpression: 'attribute_not_exists(#key) OR #expiry < :now OR #messageId = :messageId OR attribute_exists(#sent)',
          ExpressionAttributeNames: { '#key': 'id', '#expiry': 'expiration', '#messageId': 'messageId', '#sent': 'sent' },
          ExpressionAttributeValues: { ':now': { N: String(NOW / 1000) }, ':messageId': { S: 'msg-1' } },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ]);
  });

  it('carries over the destinations a live released claim lists, and ignores an expired one’s', async () => {
    const live = { id: { S: 'k' }, messageId: { S: 'old' }, expiration: { N: String(NOW / 1000) }, sent: { SS: ['a', 'b'] } };
    const { client } = stubbedDynamoDb(() => ({ Attributes: live }));
    expect(await createClaimStore(client, options).claim('k', 'new')).toEqual({ claimed: true, alreadySent: new Set(['a', 'b']) });
    const expired = { ...live, expiration: { N: String(NOW / 1000 - 1) } };
    const { client: stale } = stubbedDynamoDb(() => ({ Attributes: expired }));
    expect(await createClaimStore(stale, options).claim('k', 'new')).toEqual({ claimed: true, alreadySent: new Set() });
    const { client: plain } = stubbedDynamoDb(() => ({ Attributes: { ...live, sent: undefined } }));
    expect(await createClaimStore(plain, options).claim('k', 'new')).toEqual({ claimed: true, alreadySent: new Set() });
  });

  it('reports a failed condition as a duplicate, naming the holder when DynamoDB says', async () => {
    const failed = (item?: object) =>
      Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: item });
    const { client } = stubbedDynamoDb(() => failed({ messageId: { S: 'holder' } }));
    expect(await createClaimStore(client, options).claim('k', 'mine')).toEqual({ claimed: false, claimedBy: 'holder' });
    const { client: bare } = stubbedDynamoDb(() => failed());
    expect(await createClaimStore(bare, options).claim('k', 'mine')).toEqual({ claimed: false, claimedBy: undefined });
  });

  it('propagates any other error, so the record fails and is retried', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    const { client } = stubbedDynamoDb(() => throttled);
    await expect(createClaimStore(client, options).claim('k', 'mine')).rejects.toBe(throttled);
    await expect(createClaimStore(client, options).release('k', 'mine', [])).rejects.toBe(throttled);
  });

  it('releases by DeleteItem when nothing was sent, else by a PutItem listing what was, both only while the claim is this message’s', async () => {
    const { client, requests } = stubbedDynamoDb(() => ({}));
    const store = createClaimStore(client, options);
    expect(await store.release('k', 'mine', [])).toBe('released');
    expect(await store.release('k', 'mine', ['a', 'b', 'a'])).toBe('released');
    const ours = {
      ConditionExpression: '#messageId = :messageId',
      ExpressionAttributeNames: { '#messageId': 'messageId' },
      ExpressionAttributeValues: { ':messageId': { S: 'mine' } },
    };
    expect(requests).toEqual([
      { command: 'DeleteItemCommand', input: { TableName: 'claims', Key: { id: { S: 'k' } }, ...ours } },
      {
        command: 'PutItemCommand',
        input: {
          TableName: 'claims',
          Item: { id: { S: 'k' }, messageId: { S: 'mine' }, expiration: { N: String(NOW / 1000 + 600) }, sent: { SS: ['a', 'b'] } },
          ...ours,
        },
      },
    ]);
    const { client: taken } = stubbedDynamoDb(() => Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }));
    expect(await createClaimStore(taken, options).release('k', 'mine', [])).toBe('not-ours');
  });
});
