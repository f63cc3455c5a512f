import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createClaimStore } from '../../../src/handlers/processor/forward-once';
import { type AwsClients, awsClients, createIdempotencyTable } from '../../support/aws-resources';
import { type MotoServer, startMoto } from '../../support/moto';

/** The claim condition and the release, evaluated by moto's DynamoDB. */

jest.setTimeout(60_000);

const TABLE = 'claims-test';
let moto: MotoServer;
let aws: AwsClients;
let clock: number;
/** DynamoDB operations the store sent, counted by an SDK middleware. */
let operations: string[];

function store(ttlSeconds = 600) {
  return createClaimStore(aws.dynamodb, { tableName: TABLE, ttlSeconds, now: () => clock });
}

async function item(key: string) {
  return (await aws.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: key } }, ConsistentRead: true }))).Item;
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  await createIdempotencyTable(aws.dynamodb, TABLE);
  aws.dynamodb.middlewareStack.add(
    (next, context) => (args) => {
      operations.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countOperations' },
  );
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await moto?.stop();
});

beforeEach(() => {
  clock = Date.UTC(2026, 0, 1);
  operations = [];
});

describe('claims against DynamoDB (moto)', () => {
  it('claims a first-seen key with one PutItem and drops another message of the same delivery', async () => {
    expect(await store().claim('gh#first', 'msg-1')).toEqual({ claimed: true, alreadySent: new Set() });
    expect(operations).toEqual(['PutItem']);
    expect(await item('gh#first')).toEqual({
      id: { S: 'gh#first' },
      messageId: { S: 'msg-1' },
      expiration: { N: String(clock / 1000 + 600) },
    });
    expect(await store().claim('gh#first', 'msg-2')).toEqual({ claimed: false, claimedBy: 'msg-1' });
    expect(await store().claim('other#first', 'msg-2')).toMatchObject({ claimed: true });
  });

  it('lets the same message claim again, as after a crash between the claim and the forward', async () => {
    await store().claim('gh#crash', 'msg-1');
    clock += 30_000;
    expect(await store().claim('gh#crash', 'msg-1')).toEqual({ claimed: true, alreadySent: new Set() });
    expect(await store().claim('gh#crash', 'msg-2')).toMatchObject({ claimed: false });
  });

  it('lets any message claim a key whose claim expired', async () => {
    await store(60).claim('gh#old', 'msg-1');
    clock += 61_000;
    expect(await store(60).claim('gh#old', 'msg-2')).toEqual({ claimed: true, alreadySent: new Set() });
    expect((await item('gh#old'))?.messageId).toEqual({ S: 'msg-2' });
  });

  it('after a release with nothing sent, a redrive (new message id) claims the key afresh', async () => {
    await store().claim('gh#failed', 'msg-1');
    expect(await store().release('gh#failed', 'msg-1', [])).toBe('released');
    expect(await item('gh#failed')).toBeUndefined();
    expect(await store().claim('gh#failed', 'msg-redriven')).toEqual({ claimed: true, alreadySent: new Set() });
  });

  it('after a release listing what was sent, the next message takes over, learns it, and holds the claim alone', async () => {
    await store().claim('gh#partial', 'msg-1');
    operations = [];
    expect(await store().release('gh#partial', 'msg-1', ['crm'])).toBe('released');
    expect(operations).toEqual(['PutItem']);
    expect((await item('gh#partial'))?.sent).toEqual({ SS: ['crm'] });

    expect(await store().claim('gh#partial', 'msg-2')).toEqual({ claimed: true, alreadySent: new Set(['crm']) });
    expect((await item('gh#partial'))?.sent).toBeUndefined();
    expect(await store().claim('gh#partial', 'msg-1')).toEqual({ claimed: false, claimedBy: 'msg-2' });
  });

  it('does not release a claim another message holds', async () => {
    await store().claim('gh#theirs', 'msg-1');
    expect(await store().release('gh#theirs', 'msg-2', [])).toBe('not-ours');
    expect(await store().release('gh#theirs', 'msg-2', ['crm'])).toBe('not-ours');
    expect((await item('gh#theirs'))?.messageId).toEqual({ S: 'msg-1' });
    await aws.dynamodb.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: { S: 'gh#theirs' } } }));
    expect(await store().release('gh#theirs', 'msg-1', [])).toBe('not-ours');
  });
});
