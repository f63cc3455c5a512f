import { type AttributeValue, DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * Attribute names of the items in the idempotency table. `key` and `expiry` are the table's hash
 * key and TTL attribute (IDEMPOTENCY_KEY_ATTRIBUTE and IDEMPOTENCY_EXPIRY_ATTRIBUTE in
 * src/constructs/idempotency-table.ts, which a handler must not import: it pulls in the CDKTF
 * provider). A test keeps the two in step.
 */
export const CLAIM_ATTRIBUTES = {
  /** `source#deliveryId` (see `idempotencyKeyOf`). */
  key: 'id',
  /** Epoch seconds after which the claim no longer counts (and DynamoDB's TTL deletes it). */
  expiry: 'expiration',
  /** The SQS message id of the process-queue message that holds the claim. */
  messageId: 'messageId',
  /**
   * Only on a released claim: the destinations a failed forward did reach (a string set). Its
   * presence lets the next message of the delivery take the claim over and send only the rest.
   */
  sent: 'sent',
} as const;

export type Claim =
  /** This message holds the claim: forward, except to `alreadySent` (reached by an earlier, failed attempt). */
  | { readonly claimed: true; readonly alreadySent: ReadonlySet<string> }
  /** Another message holds the claim: a duplicate. */
  | { readonly claimed: false; readonly claimedBy: string | undefined };

/**
 * Forward-once claims on the idempotency table: one conditional PutItem per first-seen delivery,
 * nothing more on the success path.
 *
 * `claim(key, messageId)` writes `{id: key, messageId, expiration: now + TTL}` on condition
 * `attribute_not_exists(id) OR expiration < :now OR messageId = :messageId OR attribute_exists(sent)`:
 * nobody holds the key, or the holder's claim expired, or the holder is this very SQS message (a
 * redelivery), or the holder released it after a failed forward. A ConditionalCheckFailed is a
 * duplicate. The claim is never marked "completed": the event source mapping deleting the SQS
 * message is what makes it final, and the messageId condition is what makes everything before
 * that safe to repeat.
 *
 * What holds, per key and within the TTL:
 * - Other messages of the same delivery (provider retries, which the validator turns into new
 *   messages) are dropped while a claim stands.
 * - A crash between the claim and the forward (timeout, out of memory, a lost container): the claim
 *   stands with this messageId; SQS redelivers the same message after its visibility timeout, the
 *   condition passes, and it is forwarded. Nothing is lost, and duplicates stay dropped meanwhile.
 * - A crash between the forward and the SQS delete: the redelivered message passes the condition
 *   and is forwarded again. Delivery is at least once: a destination may see the same webhook-id
 *   twice, and de-duplicates by it.
 * - The same message handled twice at once (SQS redelivered it while the first attempt still ran,
 *   which the queues' visibility timeout, a multiple of the function's timeout, rules out short of
 *   a crash) passes twice: both forward, as above.
 * - A failed forward (some of the record's entries not sent): before the record is reported
 *   failed, `release` deletes the claim (DeleteItem on condition `messageId = :messageId`) when
 *   nothing was sent, or, when some destinations were reached, replaces it with a released claim
 *   listing them in `sent`. The next message of the delivery, be it the SQS retry, a DLQ redrive
 *   (a new messageId) or a provider retry, claims it again, and `claim` returns `alreadySent` (from
 *   the item the PutItem replaced, `ReturnValues: ALL_OLD`, at no extra cost) so only the
 *   destinations not reached are sent.
 *
 * Residual risks: a crash after a failed forward but before `release` (or a `release` that itself
 * fails) leaves the claim standing with the failed messageId; SQS retries of that message still
 * forward, but should it end in the DLQ, a redrive within the TTL is taken for a duplicate and
 * dropped. And a crash after taking over a released claim but before forwarding loses the `sent`
 * list, so the redelivery sends to every destination again (same webhook-id). After the TTL a
 * delivery is processed as new.
 */
export interface ClaimStore {
  claim(key: string, messageId: string): Promise<Claim>;
  /**
   * Releases this message's claim after a failed forward, remembering the destinations reached.
   * Resolves to `not-ours` when the claim is no longer this message's (nothing to release).
   */
  release(key: string, messageId: string, sent: Iterable<string>): Promise<'released' | 'not-ours'>;
}

export interface ClaimStoreOptions {
  readonly tableName: string;
  readonly ttlSeconds: number;
  /** Epoch millis. */
  readonly now?: () => number;
}

const NAMES = {
  '#key': CLAIM_ATTRIBUTES.key,
  '#expiry': CLAIM_ATTRIBUTES.expiry,
  '#messageId': CLAIM_ATTRIBUTES.messageId,
  '#sent': CLAIM_ATTRIBUTES.sent,
};
const CLAIM_CONDITION = 'attribute_not_exists(#key) OR #expiry < :now OR #messageId = :messageId OR attribute_exists(#sent)';
const OURS_CONDITION = '#messageId = :messageId';

export function createClaimStore(dynamodb: DynamoDBClient, options: ClaimStoreOptions): ClaimStore {
  const { tableName, ttlSeconds } = options;
  const now = options.now ?? Date.now;
  const item = (key: string, messageId: string, nowSeconds: number): Record<string, AttributeValue> => ({
    [CLAIM_ATTRIBUTES.key]: { S: key },
    [CLAIM_ATTRIBUTES.messageId]: { S: messageId },
    [CLAIM_ATTRIBUTES.expiry]: { N: String(nowSeconds + ttlSeconds) },
  });

  return {
    async claim(key, messageId) {
      const nowSeconds = Math.floor(now() / 1000);
      try {
        const { Attributes: previous } = await dynamodb.send(
          new PutItemCommand({
            TableName: tableName,
            Item: item(key, messageId, nowSeconds),
            ConditionExpression: CLAIM_CONDITION,
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':messageId': { S: messageId } },
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const live = previous !== undefined && Number(previous[CLAIM_ATTRIBUTES.expiry]?.N) >= nowSeconds;
        return { claimed: true, alreadySent: new Set(live ? (previous[CLAIM_ATTRIBUTES.sent]?.SS ?? []) : []) };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        return { claimed: false, claimedBy: (error as { Item?: Record<string, AttributeValue> }).Item?.[CLAIM_ATTRIBUTES.messageId]?.S };
      }
    },

    async release(key, messageId, sent) {
      const reached = [...new Set(sent)];
      const condition = {
        ConditionExpression: OURS_CONDITION,
        ExpressionAttributeNames: { '#messageId': CLAIM_ATTRIBUTES.messageId },
        ExpressionAttributeValues: { ':messageId': { S: messageId } },
      };
      try {
        if (reached.length === 0) {
          await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { [CLAIM_ATTRIBUTES.key]: { S: key } }, ...condition }));
        } else {
          const released = { ...item(key, messageId, Math.floor(now() / 1000)), [CLAIM_ATTRIBUTES.sent]: { SS: reached } };
          await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: released, ...condition }));
        }
        return 'released';
      } catch (error) {
        if (isConditionalCheckFailed(error)) return 'not-ours';
        throw error;
      }
    },
  };
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
