import { Fn, type IResolvable, propertyAccess, ref, TerraformIterator, Token } from 'cdktf';
import { DEFAULT_DELIVERY_RETRY_SCHEDULE, DEFAULT_DESTINATION, MAX_VISIBILITY_TIMEOUT_SECONDS } from '../contract';
import { isToken } from '../core/values';
import { templateAsExpression } from '../hcl/expression-tokens';

/** A named destination: where events go and which of them it receives (README, "Destinations and routes"). */
export interface DeliveryDestinationProps {
  /** HTTPS endpoint the dispatcher POSTs to. */
  readonly url: string;
  /**
   * Sources whose events it receives.
   * @default every source
   */
  readonly sources?: readonly string[] | null;
  /**
   * Event types it receives; an entry ending in `*` matches by prefix (`invoice.*`).
   * @default every event type
   */
  readonly eventTypes?: readonly string[] | null;
}

/** Destinations as a plain record, or a plan-time token holding a map of the same shape. */
export type DeliveryDestinations = Readonly<Record<string, DeliveryDestinationProps>> | IResolvable;

export const DESTINATION_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HTTPS_URL = /^https:\/\/[^\s/?#]+/;

/** Fewest steps: with the first attempt, at least the five receives the policy check asks of every queue. */
export const MIN_RETRY_STEPS = 4;
export const MAX_RETRY_STEPS = 20;
/**
 * The longest schedule: twice it must stay within 12 days, so the deliver queue's retention
 * (twice the horizon) stays below its DLQ's 14.
 */
export const MAX_RETRY_HORIZON_SECONDS = 6 * 24 * 60 * 60;
/** A deliver queue never keeps messages less than the other queues' 4 days. */
export const MIN_DELIVER_RETENTION_SECONDS = 4 * 24 * 60 * 60;
export const MAX_DELIVER_RETENTION_SECONDS = 12 * 24 * 60 * 60;

/** One receive per step plus the first attempt, never fewer than five. */
export function retryMaxReceiveCount(schedule: readonly number[] | IResolvable): number {
  if (isToken(schedule)) return Token.asNumber(Fn.max([5, Fn.sum([Fn.lengthOf(schedule), 1])]));
  return Math.max(5, (schedule as readonly number[]).length + 1);
}

/**
 * The deliver queue's retention: twice the schedule's horizon, so a message backing off to its
 * last attempt is nowhere near expiry, within [4 days, 12 days].
 */
export function retryRetentionSeconds(schedule: readonly number[] | IResolvable): number {
  if (isToken(schedule)) {
    return Token.asNumber(
      Fn.min([MAX_DELIVER_RETENTION_SECONDS, Fn.max([MIN_DELIVER_RETENTION_SECONDS, Fn.sum([Fn.sum(schedule), Fn.sum(schedule)])])]),
    );
  }
  const horizon = (schedule as readonly number[]).reduce((a, b) => a + b, 0);
  return Math.min(MAX_DELIVER_RETENTION_SECONDS, Math.max(MIN_DELIVER_RETENTION_SECONDS, 2 * horizon));
}

export const scheduleAsString = (schedule: readonly number[] | IResolvable): string =>
  isToken(schedule) ? Token.asString(Fn.jsonencode(schedule)) : JSON.stringify(schedule);

export interface DestinationsJsonOptions {
  readonly destinations: DeliveryDestinations;
  /** `delivery_url`: when non-empty, the destination named `default`. */
  readonly deliveryUrl: string;
  /** SSM parameter of the `default` destination's secret (0.1.0's delivery secret). */
  readonly defaultSecretParameter: string;
  /** Prefix of every other destination's secret parameter: `<prefix><name>`. */
  readonly destinationSecretsPrefix: string;
}

/**
 * DELIVERY_DESTINATIONS for the processor and the dispatcher: each destination with its secret
 * parameter, plus `default` for a non-empty `deliveryUrl`. Built in Terraform when any input is
 * a token, with `compact` and `for` rather than conditionals, whose branches Terraform requires
 * to have one type.
 */
export function destinationsJson(options: DestinationsJsonOptions): string {
  const { destinations, deliveryUrl, defaultSecretParameter, destinationSecretsPrefix } = options;
  if (!isToken(destinations) && !isToken(deliveryUrl) && !isToken(defaultSecretParameter) && !isToken(destinationSecretsPrefix)) {
    const entries: [string, object][] = deliveryUrl
      ? [[DEFAULT_DESTINATION, { url: deliveryUrl, secretParameter: defaultSecretParameter, sources: null, eventTypes: null }]]
      : [];
    for (const [name, d] of Object.entries(destinations as Record<string, DeliveryDestinationProps>)) {
      entries.push([
        name,
        { url: d.url, secretParameter: `${destinationSecretsPrefix}${name}`, sources: d.sources ?? null, eventTypes: d.eventTypes ?? null },
      ]);
    }
    return JSON.stringify(Object.fromEntries(entries));
  }
  // Inside a `for` expression the element is `key`/`val` (cdktf's iterator tokens would render `each.*`).
  const [key, val] = [ref('key'), ref('val')];
  const legacyMap = TerraformIterator.fromList(Fn.compact([deliveryUrl])).forExpressionForMap(
    `"${DEFAULT_DESTINATION}"`,
    Fn.merge([{ url: val, secretParameter: templateAsExpression(defaultSecretParameter), sources: null, eventTypes: null }]),
  );
  const namedMap = TerraformIterator.fromMap(destinations).forExpressionForMap(
    'key',
    Fn.merge([
      {
        url: propertyAccess(val, ['url']),
        secretParameter: Fn.join('', [templateAsExpression(destinationSecretsPrefix), Token.asString(key)]),
        sources: propertyAccess(val, ['sources']),
        eventTypes: propertyAccess(val, ['eventTypes']),
      },
    ]),
  );
  return Token.asString(Fn.jsonencode(Fn.merge([legacyMap, namedMap])));
}

/** Checks plain destinations, schedule and URL; the error names the prop and shows the bad value. */
export function validateDelivery(
  owner: string,
  destinations: DeliveryDestinations | undefined,
  schedule: readonly number[] | IResolvable | undefined,
): void {
  if (destinations !== undefined && !isToken(destinations)) {
    for (const [name, d] of Object.entries(destinations as Record<string, DeliveryDestinationProps>)) {
      const fail = (problem: string): never => {
        throw new Error(`${owner}: ${problem}`);
      };
      if (!DESTINATION_NAME.test(name) || name === DEFAULT_DESTINATION) {
        fail(
          `destinations key ${JSON.stringify(name)} must be 1-64 lowercase letters, digits, hyphens or underscores, and not "${DEFAULT_DESTINATION}" (deliveryUrl's)`,
        );
      }
      if (!isToken(d?.url) && !(typeof d?.url === 'string' && HTTPS_URL.test(d.url))) {
        fail(`destinations.${name}.url must be an https:// URL, got ${JSON.stringify(d?.url)}`);
      }
      for (const key of ['sources', 'eventTypes'] as const) {
        const list = d[key];
        if (list === undefined || list === null || isToken(list)) continue;
        if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
          fail(
            `destinations.${name}.${key} must be a non-empty list of non-empty strings (or left out for all), got ${JSON.stringify(list)}`,
          );
        }
      }
    }
  }
  if (schedule !== undefined && !isToken(schedule)) {
    const steps = schedule as readonly number[];
    const horizon = steps.reduce((a, b) => a + b, 0);
    if (
      !Array.isArray(steps) ||
      steps.length < MIN_RETRY_STEPS ||
      steps.length > MAX_RETRY_STEPS ||
      !steps.every((s) => Number.isInteger(s) && s >= 1 && s <= MAX_VISIBILITY_TIMEOUT_SECONDS) ||
      horizon > MAX_RETRY_HORIZON_SECONDS
    ) {
      throw new Error(
        `${owner}: deliveryRetrySchedule must be ${MIN_RETRY_STEPS}-${MAX_RETRY_STEPS} whole numbers of seconds, each 1-${MAX_VISIBILITY_TIMEOUT_SECONDS}, adding up to at most ${MAX_RETRY_HORIZON_SECONDS} (6 days), got ${JSON.stringify(schedule)}`,
      );
    }
  }
}

export { DEFAULT_DELIVERY_RETRY_SCHEDULE };
