import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { createForwardOnce, createIdempotencyConfig } from '../../../src/handlers/processor/forward-once';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';
import { lambdaContext } from '../../support/lambda-context';

/** The persistence contract DynamoDB implements, in memory, to exercise the idempotency flow. */
class InMemoryPersistence extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.records.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError(idempotencyKey);
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    if (existing && !existing.isExpired()) throw new IdempotencyItemAlreadyExistsError('exists', existing);
    this.records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

const envelope: ProcessEnvelope = {
  version: 1,
  source: 'gh',
  scheme: 'github',
  deliveryId: 'd-1',
  eventType: 'push',
  receivedAt: '2026-01-01T00:00:00.000Z',
  requestId: null,
  payload: {},
};

function setUp(forward: (event: DeliveryEvent) => Promise<unknown> = async () => undefined) {
  const persistenceStore = new InMemoryPersistence();
  const config = createIdempotencyConfig(86_400);
  config.registerLambdaContext(lambdaContext('processor'));
  const forwarded: DeliveryEvent[] = [];
  const forwardOnce = createForwardOnce({
    persistenceStore,
    config,
    forward: async (event) => {
      await forward(event);
      forwarded.push(event);
    },
    now: () => new Date('2026-01-01T00:00:01.000Z'),
  });
  return { persistenceStore, forwardOnce, forwarded };
}

describe('createForwardOnce', () => {
  it('forwards a delivery the first time and reports later ones as duplicates', async () => {
    const { forwardOnce, forwarded, persistenceStore } = setUp();
    expect(await forwardOnce(envelope)).toEqual({ outcome: 'forwarded', eventType: 'push' });
    expect(await forwardOnce({ ...envelope, payload: { changed: true } })).toEqual({ outcome: 'duplicate' });
    expect(forwarded.map((event) => event.id)).toEqual(['d-1']);
    const [record] = persistenceStore.records.values();
    expect(record.getStatus()).toBe('COMPLETED');
    expect(record.expiryTimestamp).toBeGreaterThan(Date.now() / 1000 + 86_000);
  });

  it('treats the same delivery id from another source as a different delivery', async () => {
    const { forwardOnce, forwarded } = setUp();
    await forwardOnce(envelope);
    expect(await forwardOnce({ ...envelope, source: 'other' })).toMatchObject({ outcome: 'forwarded' });
    expect(forwarded).toHaveLength(2);
  });

  it('forgets a delivery whose forward failed, so the retry forwards it', async () => {
    let failures = 1;
    const { forwardOnce, forwarded, persistenceStore } = setUp(async () => {
      if (failures-- > 0) throw new Error('SQS unavailable');
    });
    await expect(forwardOnce(envelope)).rejects.toThrow('SQS unavailable');
    expect(persistenceStore.records.size).toBe(0);
    expect(await forwardOnce(envelope)).toMatchObject({ outcome: 'forwarded' });
    expect(forwarded).toHaveLength(1);
  });

  it('refuses a delivery another invocation is still forwarding', async () => {
    let release: () => void = () => undefined;
    const { forwardOnce } = setUp(() => new Promise<void>((resolve) => (release = resolve)));
    const first = forwardOnce(envelope);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(forwardOnce(envelope)).rejects.toThrow('There is already an execution in progress');
    release();
    await expect(first).resolves.toMatchObject({ outcome: 'forwarded' });
  });
});
