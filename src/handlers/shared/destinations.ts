import { HANDLER_ENV, MAX_VISIBILITY_TIMEOUT_SECONDS } from '../../contract';
import { type DestinationAuth, isHttpUrl, parseDestinationAuth, parseTimeoutSeconds } from './destination-auth';
import { ConfigurationError, type Environment } from './env-config';
import { isRetrySchedule, MAX_RETRY_STEPS } from './retry-steps';
import { isJsonObject, type JsonValue } from './json';

/** One delivery destination (README, "Destinations and routes"). */
export interface DeliveryDestination {
  readonly name: string;
  /** Where the dispatcher POSTs; http(s). */
  readonly url: string;
  /** SSM SecureString parameter with the destination's signing secret(s), one per line. */
  readonly secretParameter: string;
  /** Sources whose events it receives; `null` means every source. */
  readonly sources: readonly string[] | null;
  /**
   * Event types it receives; `null` means every type. An entry ending in `*` matches by prefix
   * (`invoice.*` matches `invoice.paid`); `*` alone matches everything.
   */
  readonly eventTypes: readonly string[] | null;
  /** Seconds one attempt may take; absent: the dispatcher's DELIVERY_TIMEOUT_MS. */
  readonly timeoutSeconds?: number;
  /** Credentials sent besides the signature; absent: the signature alone, as before. */
  readonly auth?: DestinationAuth;
  /** Seconds before each retry, by attempt, instead of DELIVERY_RETRY_SCHEDULE; absent: the pipeline's. */
  readonly retrySchedule?: readonly number[];
}

const VARIABLE = HANDLER_ENV.deliveryDestinations;

/** Parses DELIVERY_DESTINATIONS (unset or empty reads as no destination). */
export function readDestinations(env: Environment): ReadonlyMap<string, DeliveryDestination> {
  const raw = env[VARIABLE]?.trim();
  if (!raw) return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(VARIABLE, 'must be a JSON object of destination name to {"url": …, "secretParameter": …}');
  }
  if (!isJsonObject(parsed)) {
    throw new ConfigurationError(VARIABLE, 'must be a JSON object of destination name to {"url": …, "secretParameter": …}');
  }
  const destinations = new Map<string, DeliveryDestination>();
  for (const [name, settings] of Object.entries(parsed)) {
    const fail = (problem: string): never => {
      throw new ConfigurationError(VARIABLE, `has destination "${name}" ${problem}`);
    };
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) fail('whose name is not 1-64 letters, digits, "-" or "_"');
    if (!isJsonObject(settings)) fail('that is not an object');
    const { url, secretParameter } = settings as Record<string, JsonValue>;
    if (typeof url !== 'string' || !isHttpUrl(url)) fail(`with url ${JSON.stringify(url ?? null)}; expected an http(s) URL`);
    if (typeof secretParameter !== 'string' || !secretParameter.startsWith('/')) {
      fail(`with secretParameter ${JSON.stringify(secretParameter ?? null)}; expected an SSM parameter name starting with "/"`);
    }
    const timeoutSeconds = parseTimeoutSeconds((settings as Record<string, JsonValue>).timeoutSeconds, fail);
    const auth = parseDestinationAuth((settings as Record<string, JsonValue>).auth, fail);
    const retrySchedule = (settings as Record<string, JsonValue>).retrySchedule ?? null;
    if (retrySchedule !== null && !isRetrySchedule(retrySchedule)) {
      fail(
        `with retrySchedule ${JSON.stringify(retrySchedule)}; expected null or a non-empty list of whole seconds (at most ${MAX_RETRY_STEPS} steps, each 1-${MAX_VISIBILITY_TIMEOUT_SECONDS})`,
      );
    }
    destinations.set(name, {
      name,
      url: url as string,
      secretParameter: secretParameter as string,
      sources: stringList((settings as Record<string, JsonValue>).sources, 'sources', fail),
      eventTypes: stringList((settings as Record<string, JsonValue>).eventTypes, 'eventTypes', fail),
      // Left out when not set, so a destination without them is exactly what it was.
      ...(timeoutSeconds === null ? {} : { timeoutSeconds }),
      ...(auth === null ? {} : { auth }),
      ...(retrySchedule === null ? {} : { retrySchedule: retrySchedule as number[] }),
    });
  }
  return destinations;
}

function stringList(value: JsonValue | undefined, key: string, fail: (problem: string) => never): readonly string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    fail(`with ${key} ${JSON.stringify(value)}; expected a list of non-empty strings or null`);
  }
  return value as string[];
}

/** Whether `destination`'s route takes an event of `type` from `source`. */
export function routes(destination: Pick<DeliveryDestination, 'sources' | 'eventTypes'>, source: string, type: string): boolean {
  if (destination.sources !== null && !destination.sources.includes(source)) return false;
  if (destination.eventTypes === null) return true;
  return destination.eventTypes.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}
