import { Fn, type IResolvable, Op, propertyAccess, ref, TerraformIterator, Token } from 'cdktf';
import { DEFAULT_DELIVERY_RETRY_SCHEDULE, DEFAULT_DESTINATION, MAX_VISIBILITY_TIMEOUT_SECONDS } from '../contract';
import { isToken, times } from '../core/values';
import {
  AUTH_PARAMETER_SUFFIX,
  DESTINATION_AUTH_TYPES,
  DISPATCHER_TIMEOUT_SHARE,
  HTTPS_TOKEN_URL,
  isAuthHeaderName,
  MAX_DESTINATION_TIMEOUT_SECONDS,
  MIN_DESTINATION_TIMEOUT_SECONDS,
  OAUTH_TEXT,
  RESERVED_HEADER_PREFIX,
  RESERVED_HEADERS,
} from './destination-auth';
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
  /**
   * Seconds one attempt may take, 1-30: an OAuth token request, the POST and the one POST retried
   * after a 401 share it. At most 40 % of the dispatcher's timeout, so two rounds of attempts fit
   * in 80 % of it (30 needs a dispatcher timeout of at least 75 s).
   * @default DELIVERY_TIMEOUT_MS: 40 % of the dispatcher's timeout, from 1 s to 10 s
   */
  readonly timeoutSeconds?: number | null;
  /**
   * Credentials sent besides the Standard Webhooks signature, which every delivery keeps. The
   * credential itself is the SSM SecureString `<secretsPath>/delivery/destinations/<name>/auth`,
   * read by the dispatcher; only its name reaches the configuration.
   * @default none: the signature alone
   */
  readonly auth?: DestinationAuthProps | null;
  /**
   * At most this many deliveries to it at once (at least 2): its lane's mapping's batch size ×
   * maximum concurrency never exceeds it.
   * @default an equal share of the dispatcher's reserved concurrency, in batches of 10
   */
  readonly maxInFlight?: number | null;
  /**
   * Seconds before each retry of a failed delivery to it, instead of `deliveryRetrySchedule`
   * (the same limits); its lane's receive count and retention follow it.
   * @default the pipeline's deliveryRetrySchedule
   */
  readonly retrySchedule?: readonly number[] | null;
}

/**
 * A destination's credentials. `header`: the parameter's value is sent as header `name`
 * (`X-Api-Key`, or `Authorization` with a value `Bearer …`). `basic`: the parameter holds
 * `user:password`. `oauth2`: client credentials grant at `tokenUrl`, the parameter holding the
 * client secret; the access token is sent as `Authorization: Bearer …`.
 */
export type DestinationAuthProps =
  | { readonly type: 'header'; readonly name: string }
  | { readonly type: 'basic' }
  | { readonly type: 'oauth2'; readonly tokenUrl: string; readonly clientId: string; readonly scope?: string | null };

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
  const plainTimeouts =
    isToken(destinations) ||
    Object.values(destinations as Record<string, DeliveryDestinationProps>).every((d) => !isToken(d?.timeoutSeconds));
  if (
    plainTimeouts &&
    !isToken(destinations) &&
    !isToken(deliveryUrl) &&
    !isToken(defaultSecretParameter) &&
    !isToken(destinationSecretsPrefix)
  ) {
    const entries: [string, object][] = deliveryUrl
      ? [[DEFAULT_DESTINATION, { url: deliveryUrl, secretParameter: defaultSecretParameter, sources: null, eventTypes: null }]]
      : [];
    for (const [name, d] of Object.entries(destinations as Record<string, DeliveryDestinationProps>)) {
      entries.push([
        name,
        {
          url: d.url,
          secretParameter: `${destinationSecretsPrefix}${name}`,
          sources: d.sources ?? null,
          eventTypes: d.eventTypes ?? null,
          ...destinationOptions(d, `${destinationSecretsPrefix}${name}${AUTH_PARAMETER_SUFFIX}`),
        },
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
  const secretParameter = Fn.join('', [templateAsExpression(destinationSecretsPrefix), Token.asString(key)]);
  // Left out when null, as in the plain JSON: a destination without them reads as before, in fewer bytes.
  // `try`: a token map written before these fields existed has no such attributes.
  // (`merge` of one object: cdktf quotes expressions in an object literal given to an iterator directly.)
  const nonNull = (object: object) => TerraformIterator.fromMap(Fn.merge([object])).forExpressionForMap('key', 'val if val != null');
  const extras = nonNull({
    timeoutSeconds: ref('try(val.timeoutSeconds, null)'),
    retrySchedule: ref('try(val.retrySchedule, null)'),
    auth: Fn.conditional(
      ref('try(val.auth, null) == null'),
      ref('null'),
      nonNull(Fn.merge([ref('try(val.auth, {})'), { parameter: Fn.join('', [secretParameter, AUTH_PARAMETER_SUFFIX]) }])),
    ),
  });
  const namedMap = TerraformIterator.fromMap(plainTimeouts ? destinations : Fn.merge([normalized(destinations)])).forExpressionForMap(
    'key',
    Fn.merge([
      {
        url: propertyAccess(val, ['url']),
        secretParameter,
        sources: propertyAccess(val, ['sources']),
        eventTypes: propertyAccess(val, ['eventTypes']),
      },
      extras,
    ]),
  );
  return Token.asString(Fn.jsonencode(Fn.merge([legacyMap, namedMap])));
}

/** A destination's timeout and credentials' description as DELIVERY_DESTINATIONS carries them, each only when set. */
function destinationOptions(d: DeliveryDestinationProps, authParameter: string): object {
  const auth = d.auth ?? null;
  return {
    ...(d.timeoutSeconds === undefined || d.timeoutSeconds === null ? {} : { timeoutSeconds: d.timeoutSeconds }),
    ...(d.retrySchedule === undefined || d.retrySchedule === null ? {} : { retrySchedule: d.retrySchedule }),
    ...(auth === null
      ? {}
      : {
          auth: Object.fromEntries(
            Object.entries({ ...auth, parameter: authParameter }).filter(([, value]) => value !== undefined && value !== null),
          ),
        }),
  };
}

/** A plain record with a plan-time timeout, as Terraform builds the JSON from it: every attribute present. */
function normalized(destinations: DeliveryDestinations): Record<string, object> {
  return Object.fromEntries(
    Object.entries(destinations as Record<string, DeliveryDestinationProps>).map(([name, d]) => [
      name,
      {
        url: d.url,
        sources: d.sources ?? null,
        eventTypes: d.eventTypes ?? null,
        timeoutSeconds: d.timeoutSeconds ?? null,
        retrySchedule: d.retrySchedule ?? null,
        auth: d.auth ?? null,
      },
    ]),
  );
}

/** Checks plain destinations, schedule and URL; the error names the prop and shows the bad value. */
export function validateDelivery(
  owner: string,
  destinations: DeliveryDestinations | undefined,
  schedule: readonly number[] | IResolvable | undefined,
  /** The dispatcher's function timeout, which each destination's timeout must leave room in. */
  dispatcherTimeoutSeconds?: number,
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
      validateTimeout(`destinations.${name}.timeoutSeconds`, d.timeoutSeconds, dispatcherTimeoutSeconds, fail);
      validateAuth(`destinations.${name}.auth`, d.auth, fail);
      const limit = d.maxInFlight;
      if (limit !== undefined && limit !== null && !isToken(limit) && !(Number.isInteger(limit) && limit >= 2)) {
        fail(`destinations.${name}.maxInFlight must be a whole number of at least 2, got ${JSON.stringify(limit)}`);
      }
      if (d.retrySchedule !== undefined && d.retrySchedule !== null)
        validateSchedule(owner, `destinations.${name}.retrySchedule`, d.retrySchedule);
    }
  }
  if (schedule !== undefined) validateSchedule(owner, 'deliveryRetrySchedule', schedule);
}

/** A plain retry schedule within the limits: 4-20 steps, each 1-43200 s, at most 6 days. */
function validateSchedule(owner: string, prop: string, schedule: readonly number[] | IResolvable): void {
  if (!isToken(schedule)) {
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
        `${owner}: ${prop} must be ${MIN_RETRY_STEPS}-${MAX_RETRY_STEPS} whole numbers of seconds, each 1-${MAX_VISIBILITY_TIMEOUT_SECONDS}, adding up to at most ${MAX_RETRY_HORIZON_SECONDS} (6 days), got ${JSON.stringify(schedule)}`,
      );
    }
  }
}

/** The longest destination timeout a dispatcher timeout leaves room for: two rounds of attempts in 80 % of it. */
export function maxDestinationTimeoutSeconds(dispatcherTimeoutSeconds: number): number {
  return Math.min(MAX_DESTINATION_TIMEOUT_SECONDS, Math.floor(dispatcherTimeoutSeconds * DISPATCHER_TIMEOUT_SHARE));
}

/**
 * The plan-time check that every destination's timeout leaves room in the dispatcher's (see
 * {@link maxDestinationTimeoutSeconds}), for a precondition on the dispatcher function; undefined
 * when nothing is left to plan time (plain values are checked by {@link validateDelivery}).
 */
export function destinationTimeoutsFitCondition(destinations: DeliveryDestinations, dispatcherTimeoutSeconds: number): string | undefined {
  const plain = !isToken(destinations) ? Object.values(destinations as Record<string, DeliveryDestinationProps>) : undefined;
  if (plain && plain.every((d) => d?.timeoutSeconds === undefined || d?.timeoutSeconds === null)) return undefined;
  if (plain && !isToken(dispatcherTimeoutSeconds) && plain.every((d) => !isToken(d?.timeoutSeconds))) return undefined;
  const max = Fn.min([MAX_DESTINATION_TIMEOUT_SECONDS, Fn.floor(times(dispatcherTimeoutSeconds, DISPATCHER_TIMEOUT_SHARE))]);
  const fits = Fn.conditional(ref('try(val.timeoutSeconds, null) == null'), true, Op.lte(ref('val.timeoutSeconds'), max));
  return Token.asString(
    Fn.alltrue(
      Token.asList(TerraformIterator.fromMap(plain ? Fn.merge([normalized(destinations)]) : destinations).forExpressionForList(fits)),
    ),
  );
}

function validateTimeout(
  prop: string,
  timeout: number | null | undefined,
  dispatcherTimeoutSeconds: number | undefined,
  fail: (problem: string) => never,
): void {
  if (timeout === undefined || timeout === null || isToken(timeout)) return;
  if (!Number.isInteger(timeout) || timeout < MIN_DESTINATION_TIMEOUT_SECONDS || timeout > MAX_DESTINATION_TIMEOUT_SECONDS) {
    fail(
      `${prop} must be a whole number of seconds from ${MIN_DESTINATION_TIMEOUT_SECONDS} to ${MAX_DESTINATION_TIMEOUT_SECONDS}, got ${JSON.stringify(timeout)}`,
    );
  }
  if (dispatcherTimeoutSeconds === undefined || isToken(dispatcherTimeoutSeconds)) return;
  const max = maxDestinationTimeoutSeconds(dispatcherTimeoutSeconds);
  if (timeout > max) {
    fail(
      `${prop} must be at most ${max}, 40 % of the dispatcher's ${dispatcherTimeoutSeconds} s timeout (two rounds of attempts must fit in 80 % of it; raise dispatcher.timeoutSeconds to at least ${Math.ceil(timeout / DISPATCHER_TIMEOUT_SHARE)}), got ${timeout}`,
    );
  }
}

function validateAuth(prop: string, auth: DestinationAuthProps | null | undefined, fail: (problem: string) => never): void {
  if (auth === undefined || auth === null || isToken(auth)) return;
  const fields = auth as unknown as Record<string, unknown>;
  if (typeof auth !== 'object' || !(DESTINATION_AUTH_TYPES as readonly unknown[]).includes(fields.type)) {
    fail(`${prop}.type must be one of ${DESTINATION_AUTH_TYPES.join(', ')}, got ${JSON.stringify(fields?.type ?? auth)}`);
  }
  const allowed: Record<string, readonly string[]> = { header: ['name'], basic: [], oauth2: ['tokenUrl', 'clientId', 'scope'] };
  for (const key of Object.keys(fields)) {
    if (key !== 'type' && !allowed[fields.type as string].includes(key) && fields[key] !== undefined && fields[key] !== null) {
      fail(`${prop}.${key} does not apply to auth type ${JSON.stringify(fields.type)}`);
    }
  }
  const check = (key: string, ok: (value: unknown) => boolean, expected: string, optional = false) => {
    const value = fields[key];
    if (isToken(value) || (optional && (value === undefined || value === null)) || ok(value)) return;
    fail(`${prop}.${key} must be ${expected}, got ${JSON.stringify(value ?? null)}`);
  };
  const text = (value: unknown) => typeof value === 'string' && OAUTH_TEXT.test(value);
  if (auth.type === 'header') {
    check(
      'name',
      isAuthHeaderName,
      `a header name (letters, digits and !#$%&'*+.^_\`|~-, at most 64) other than ${RESERVED_HEADERS.join(', ')} and ${RESERVED_HEADER_PREFIX}*, which the dispatcher sets`,
    );
  }
  if (auth.type === 'oauth2') {
    check('tokenUrl', (value) => typeof value === 'string' && HTTPS_TOKEN_URL.test(value), 'an https:// URL');
    check('clientId', text, '1-256 printable ASCII characters without quotes or backslashes');
    check('scope', text, '1-256 printable ASCII characters without quotes or backslashes (space-separated scopes)', true);
  }
}

export { DEFAULT_DELIVERY_RETRY_SCHEDULE };
