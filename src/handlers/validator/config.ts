import { HANDLER_ENV, SIGNATURE_SCHEMES, type SignatureScheme } from '../../contract';
import { ConfigurationError, type Environment, positiveInteger, requiredString, requiredUrl } from '../shared/env-config';
import { isJsonObject } from '../shared/json';

export interface ValidatorConfig {
  readonly nextQueueUrl: string;
  /** Source name → its signature scheme. A source not listed here is rejected. */
  readonly sources: ReadonlyMap<string, SignatureScheme>;
  /** SSM prefix ending in `/`; the secret of source `s` is `${sourceSecretsPath}${s}`. */
  readonly sourceSecretsPath: string;
  readonly stripeToleranceSeconds: number;
  readonly maxBodyBytes: number;
}

/** Stripe's own libraries default to five minutes. */
export const DEFAULT_STRIPE_TOLERANCE_SECONDS = 300;
/** 256 KiB: SQS's classic message size limit, and far above any provider's webhook. */
export const DEFAULT_MAX_BODY_BYTES = 262_144;

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
  };
}

/** Parses `{"<source>": {"scheme": "<scheme>"}, …}`, the JSON form of `var.webhook_sources`. */
export function parseWebhookSources(json: string): ReadonlyMap<string, SignatureScheme> {
  const variable = HANDLER_ENV.webhookSources;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigurationError(variable, 'must be a JSON object of source name to {"scheme": …}');
  }
  if (!isJsonObject(parsed)) {
    throw new ConfigurationError(variable, 'must be a JSON object of source name to {"scheme": …}');
  }
  const sources = new Map<string, SignatureScheme>();
  for (const [source, settings] of Object.entries(parsed)) {
    const scheme = isJsonObject(settings) ? settings.scheme : undefined;
    if (typeof scheme !== 'string' || !(SIGNATURE_SCHEMES as readonly string[]).includes(scheme)) {
      throw new ConfigurationError(
        variable,
        `has source "${source}" with scheme ${JSON.stringify(scheme ?? null)}; expected one of ${SIGNATURE_SCHEMES.join(', ')}`,
      );
    }
    sources.set(source, scheme as SignatureScheme);
  }
  return sources;
}
