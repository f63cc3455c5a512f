import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { DeliveryEvent } from '../shared/delivery-event';
import type { ProcessEnvelope } from '../shared/process-envelope';
import { idempotencyKeyOf, normalizeEvent } from './normalize-event';

export type ForwardOutcome = { readonly outcome: 'forwarded'; readonly eventType: string } | { readonly outcome: 'duplicate' };

const DUPLICATE: ForwardOutcome = { outcome: 'duplicate' };

/**
 * Idempotency settings for {@link createForwardOnce}. The handler registers each invocation's
 * Lambda context on the returned config, so an in-progress record expires with the invocation
 * that wrote it instead of blocking retries until the TTL.
 */
export function createIdempotencyConfig(expiresAfterSeconds: number): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds,
    // Called only when the outcome comes from an existing record: the delivery was seen before.
    responseHook: () => DUPLICATE,
  });
}

export interface ForwardOnceOptions {
  readonly persistenceStore: BasePersistenceLayer;
  readonly config: IdempotencyConfig;
  readonly forward: (event: DeliveryEvent) => Promise<unknown>;
  readonly now: () => Date;
}

/**
 * Normalizes and forwards an envelope unless its delivery was already forwarded within the TTL.
 * A forward that throws deletes the in-progress record, so the SQS retry gets a clean attempt.
 */
export function createForwardOnce(options: ForwardOnceOptions): (envelope: ProcessEnvelope) => Promise<ForwardOutcome> {
  const forwardIdempotently = makeIdempotent(
    async ({ envelope }: { idempotencyKey: string; envelope: ProcessEnvelope }): Promise<ForwardOutcome> => {
      const event = normalizeEvent(envelope, options.now());
      await options.forward(event);
      return { outcome: 'forwarded', eventType: event.type };
    },
    { persistenceStore: options.persistenceStore, config: options.config },
  );
  return (envelope) => forwardIdempotently({ idempotencyKey: idempotencyKeyOf(envelope), envelope });
}
