import { HANDLER_ENV, SIGNATURE_SCHEMES, type SignatureScheme } from '../../contract';
import { ConfigurationError, type Environment, positiveInteger, requiredString, requiredUrl } from '../shared/env-config';
import { isJsonObject, type JsonValue } from '../shared/json';

/** One entry of WEBHOOK_SOURCES. */
export interface SourceSettings {
  readonly scheme: SignatureScheme;
  /**
   * How far this source's signed timestamps may be from the time of receipt, in seconds; `null`
   * means STRIPE_TOLERANCE_SECONDS.
   */
  readonly toleranceSeconds: number | null;
  /** The SSM parameter holding this source's secret(s); `null` means `${SOURCE_SECRETS_PATH}<source>`. */
  readonly secretParameter: string | null;
}

export interface ValidatorConfig {
  readonly nextQueueUrl: string;
  /** Source name → its settings. A source not listed here is rejected. */
  readonly sources: ReadonlyMap<string, SourceSettings>;
  /** SSM prefix ending in `/`; unless overridden, the secret of source `s` is `${sourceSecretsPath}${s}`. */
  readonly sourceSecretsPath: string;
  /** The timestamp tolerance of sources that set none. */
  readonly stripeToleranceSeconds: number;
  readonly maxBodyBytes: number;
  /** Largest message the process queue takes: the size limit of each SendMessageBatch call. */
  readonly maxMessageBytes: number;
}

/** Stripe's own libraries default to five minutes. */
export const DEFAULT_STRIPE_TOLERANCE_SECONDS = 300;
/** 256 KiB: SQS's classic message size limit, and far above any provider's webhook. */
export const DEFAULT_MAX_BODY_BYTES = 262_144;
/** SQS's classic message size limit; the construct sets 1 MiB where the provider allows it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;
/** The widest per-source timestamp tolerance: one day. */
export const MAX_TOLERANCE_SECONDS = 86_400;

export function readValidatorConfig(env: Environment): ValidatorConfig {
  const sourceSecretsPath = requiredString(env, HANDLER_ENV.sourceSecretsPath);
  if (!sourceSecretsPath.endsWith('/')) {
    throw new ConfigurationError(HANDLER_ENV.sourceSecretsPath, `must end with "/", got "${sourceSecretsPath}"`);
  }
  return {
    nextQueueUrl: requiredUrl(env, HANDLER_ENV.nextQueueUrl),
    sources: parseWebhookSources(requiredString(env, HANDLER_ENV.webhookSources)),
    sourceSecretsPath,
    stripeToleranceSeconds: positiveInteger(env, HANDLER_ENV.stripeToleranceSeconds, DEFAULT_STRIPE_TOLERANCE_SECONDS),
    maxBodyBytes: positiveInteger(env, HANDLER_ENV.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    maxMessageBytes: positiveInteger(env, HANDLER_ENV.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
  };
}

/** The SSM parameter holding `source`'s secret(s). */
export function secretParameterOf(config: Pick<ValidatorConfig, 'sourceSecretsPath'>, source: string, settings: SourceSettings): string {
  return settings.secretParameter ?? `${config.sourceSecretsPath}${source}`;
}

/** The timestamp tolerance, in seconds, for `settings`' source. */
export function toleranceSecondsOf(config: Pick<ValidatorConfig, 'stripeToleranceSeconds'>, settings: SourceSettings): number {
  return settings.toleranceSeconds ?? config.stripeToleranceSeconds;
}

const SHAPE = 'must be a JSON object of source name to {"scheme": …, "toleranceSeconds"?: …, "secretParameter"?: …}';

/**
 * Parses `{"<source>": {"scheme": "<scheme>", "toleranceSeconds": 300 | null, "secretParameter":
 * "/name" | null}, …}`, the JSON form of `var.webhook_sources`; the last two keys may be left out.
 */
export function parseWebhookSources(json: string): ReadonlyMap<string, SourceSettings> {
  const variable = HANDLER_ENV.webhookSources;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigurationError(variable, SHAPE);
  }
  if (!isJsonObject(parsed)) throw new ConfigurationError(variable, SHAPE);
  const sources = new Map<string, SourceSettings>();
  for (const [source, settings] of Object.entries(parsed)) {
    const fail = (key: string, value: JsonValue | undefined, expected: string): never => {
      throw new ConfigurationError(variable, `has source "${source}" with ${key} ${JSON.stringify(value ?? null)}; expected ${expected}`);
    };
    const members: Record<string, JsonValue> = isJsonObject(settings) ? settings : {};
    const { scheme, toleranceSeconds = null, secretParameter = null } = members;
    if (typeof scheme !== 'string' || !(SIGNATURE_SCHEMES as readonly string[]).includes(scheme)) {
      fail('scheme', scheme, `one of ${SIGNATURE_SCHEMES.join(', ')}`);
    }
    if (
      toleranceSeconds !== null &&
      (typeof toleranceSeconds !== 'number' ||
        !Number.isInteger(toleranceSeconds) ||
        toleranceSeconds < 1 ||
        toleranceSeconds > MAX_TOLERANCE_SECONDS)
    ) {
      fail('toleranceSeconds', toleranceSeconds, `a whole number of seconds from 1 to ${MAX_TOLERANCE_SECONDS}, or null`);
    }
    if (secretParameter !== null && (typeof secretParameter !== 'string' || !/^\/\S+$/.test(secretParameter))) {
      fail('secretParameter', secretParameter, 'an SSM parameter name starting with "/", or null');
    }
    sources.set(source, {
      scheme: scheme as SignatureScheme,
      toleranceSeconds: toleranceSeconds as number | null,
      secretParameter: secretParameter as string | null,
    });
  }
  return sources;
}
