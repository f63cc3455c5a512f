import { HANDLER_ENV } from '../../contract';
import { type Environment, optionalUrl, positiveInteger, requiredString } from '../shared/env-config';

export type DispatcherConfig =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly deliveryUrl: string;
      readonly deliverySecretParameter: string;
      readonly deliveryTimeoutMs: number;
    };

/** Long enough for a healthy target, short enough that a hung one fails well inside the Lambda timeout. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 5_000;

/** An empty DELIVERY_URL disables delivery; only then may the secret parameter be unset. */
export function readDispatcherConfig(env: Environment): DispatcherConfig {
  const deliveryUrl = optionalUrl(env, HANDLER_ENV.deliveryUrl);
  if (deliveryUrl === '') return { enabled: false };
  return {
    enabled: true,
    deliveryUrl,
    deliverySecretParameter: requiredString(env, HANDLER_ENV.deliverySecretParameter),
    deliveryTimeoutMs: positiveInteger(env, HANDLER_ENV.deliveryTimeoutMs, DEFAULT_DELIVERY_TIMEOUT_MS),
  };
}
