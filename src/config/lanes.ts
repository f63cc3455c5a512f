import { Fn, type IResolvable, Op, ref, TerraformIterator } from 'cdktf';
import { DEFAULT_DESTINATION } from '../contract';
import { isToken } from '../core/values';
import type { LaneSettings } from '../constructs/delivery-lanes';
import { type DeliveryDestinationProps, type DeliveryDestinations, retryMaxReceiveCount, retryRetentionSeconds } from './delivery';

/** What a destination may set about its lane. */
export type LaneOptions = Pick<DeliveryDestinationProps, 'maxInFlight' | 'retrySchedule'>;

export const MIN_MAX_IN_FLIGHT = 2;
export const MAX_LANE_BATCH_SIZE = 10;
/** SQS event source mappings scale to at most 1000 concurrent invocations. */
const MAX_MAPPING_CONCURRENCY = 1000;

/** A lane's batch size and maximum concurrency for an in-flight limit: batch × concurrency ≤ limit, concurrency ≥ 2. */
export function laneScaling(maxInFlight: number): Pick<LaneSettings, 'batchSize' | 'maximumConcurrency'> {
  const batchSize = Math.min(MAX_LANE_BATCH_SIZE, Math.max(1, Math.floor(maxInFlight / 2)));
  return { batchSize, maximumConcurrency: Math.min(MAX_MAPPING_CONCURRENCY, Math.floor(maxInFlight / batchSize)) };
}

/**
 * The shared deliver queue's mapping: it only drains deliveries queued before lanes existed (or
 * redriven to it), so it keeps the least concurrency a mapping can have.
 */
export const DRAIN_MAPPING_CONCURRENCY = 2;

/**
 * A lane without a limit gets an equal share of what the drain leaves of the dispatcher's reserve,
 * so one hung receiver can never hold the concurrency another lane needs.
 */
export function defaultLaneConcurrency(reservedConcurrency: number, lanes: number): number {
  return Math.min(MAX_MAPPING_CONCURRENCY, Math.max(2, Math.floor((reservedConcurrency - DRAIN_MAPPING_CONCURRENCY) / Math.max(1, lanes))));
}

export interface LaneSettingsInputs {
  readonly destinations: DeliveryDestinations;
  /** A non-empty `deliveryUrl` is the destination `default`, with a lane of its own. */
  readonly deliveryUrl: string;
  readonly retrySchedule: readonly number[] | IResolvable;
  readonly dispatcherReservedConcurrency: number;
}

/**
 * Every lane's settings, keyed by destination: a plain record when every input is plain, else a
 * Terraform expression computing the same at plan time (for `for_each` and a local).
 */
export function laneSettings(inputs: LaneSettingsInputs): Record<string, LaneSettings> | IResolvable {
  const { destinations, deliveryUrl, retrySchedule, dispatcherReservedConcurrency: reserved } = inputs;
  if (!isToken(destinations) && !isToken(deliveryUrl) && !isToken(retrySchedule) && !isToken(reserved)) {
    const named = destinations as Readonly<Record<string, LaneOptions>>;
    const all: [string, LaneOptions][] = [
      ...(deliveryUrl ? [[DEFAULT_DESTINATION, {}] as [string, LaneOptions]] : []),
      ...Object.entries(named),
    ];
    return Object.fromEntries(
      all.map(([name, options]) => {
        const schedule = options.retrySchedule ?? (retrySchedule as readonly number[]);
        const scaling =
          options.maxInFlight != null
            ? laneScaling(options.maxInFlight)
            : { batchSize: MAX_LANE_BATCH_SIZE, maximumConcurrency: defaultLaneConcurrency(reserved, all.length) };
        return [
          name,
          {
            retrySchedule: schedule,
            maxReceiveCount: retryMaxReceiveCount(schedule),
            retentionSeconds: retryRetentionSeconds(schedule),
            ...scaling,
          },
        ];
      }),
    );
  }
  // At plan time: the same arithmetic in Terraform, on the destinations' optional fields.
  const legacy = TerraformIterator.fromList(Fn.compact([deliveryUrl])).forExpressionForMap(`"${DEFAULT_DESTINATION}"`, Fn.merge([{}]));
  const all = Fn.merge([legacy, destinations]);
  const limit = ref('try(val.maxInFlight, null)');
  const hasLimit = ref('try(val.maxInFlight, null) != null');
  const schedule = Fn.conditional(ref('try(val.retrySchedule, null) != null'), ref('val.retrySchedule'), retrySchedule) as IResolvable;
  const limitedBatch = ref(`min(${MAX_LANE_BATCH_SIZE}, max(1, floor(val.maxInFlight / 2)))`);
  const settings = {
    retrySchedule: schedule,
    maxReceiveCount: retryMaxReceiveCount(schedule),
    retentionSeconds: retryRetentionSeconds(schedule),
    batchSize: Fn.conditional(hasLimit, limitedBatch, MAX_LANE_BATCH_SIZE),
    maximumConcurrency: Fn.conditional(
      hasLimit,
      Fn.min([MAX_MAPPING_CONCURRENCY, Fn.floor(Op.div(limit, limitedBatch))]),
      Fn.min([
        MAX_MAPPING_CONCURRENCY,
        Fn.max([2, Fn.floor(Op.div(Op.sub(reserved, DRAIN_MAPPING_CONCURRENCY), Fn.max([1, Fn.lengthOf(all)])))]),
      ]),
    ),
  };
  return TerraformIterator.fromMap(all).forExpressionForMap('key', settings as unknown as IResolvable) as IResolvable;
}

/**
 * Plain lanes only: their mappings and the drain's together stay within the dispatcher's reserve,
 * or a hung lane could take concurrency another needs (and Lambda would throttle into the DLQs).
 */
export function validateLaneConcurrency(
  owner: string,
  lanes: Readonly<Record<string, LaneSettings>> | IResolvable,
  reserved: number,
): void {
  if (isToken(lanes) || isToken(reserved)) return;
  const entries = Object.entries(lanes as Record<string, LaneSettings>);
  const total = entries.reduce((sum, [, lane]) => sum + lane.maximumConcurrency, DRAIN_MAPPING_CONCURRENCY);
  if (total > reserved) {
    const shares = entries.map(([name, lane]) => `${name} ${lane.maximumConcurrency}`).join(', ');
    throw new Error(
      `${owner}: the delivery lanes' mappings may run ${total} dispatcher invocations at once (${shares}, and ${DRAIN_MAPPING_CONCURRENCY} for the shared deliver queue), more than dispatcher.reservedConcurrency ${reserved}: lower destinations' maxInFlight or raise dispatcher.reservedConcurrency`,
    );
  }
}
