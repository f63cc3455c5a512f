import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** Secrets are read on the hot path of every record; five minutes bounds SSM calls and rotation lag. */
export const SECRET_CACHE_SECONDS = 300;

/** The SecureString parameter does not exist: a configuration gap, not a transient failure. */
export class MissingSecretError extends Error {
  constructor(readonly parameterName: string) {
    super(`SSM parameter ${parameterName} does not exist`);
    this.name = 'MissingSecretError';
  }
}

/**
 * At most one cache-bypassing read per parameter in this many seconds: a flood of forged
 * webhooks must not turn into a flood of SSM calls.
 */
export const SECRET_REFRESH_INTERVAL_SECONDS = 30;

export interface SecretReadOptions {
  /**
   * Bypass the cache, at most once per {@link SECRET_REFRESH_INTERVAL_SECONDS} per parameter.
   * For a signature that failed against the cached secret: the secret may have been rotated.
   */
  readonly refresh?: boolean;
}

/** Reads a SecureString parameter, decrypted; throws {@link MissingSecretError} when absent. */
export type SecretReader = (parameterName: string, options?: SecretReadOptions) => Promise<string>;

/**
 * A reader backed by one SSM client and one cache for the life of the container. Any error other
 * than a missing parameter (throttling, 5xx, access denied) propagates, so the record fails and
 * SQS retries it.
 */
export function createSecretReader(ssm: SSMClient, maxAgeSeconds = SECRET_CACHE_SECONDS, now: () => number = Date.now): SecretReader {
  const provider = new SSMProvider({ awsSdkV3Client: ssm });
  const lastRefreshAt = new Map<string, number>();
  // Records verified concurrently ask for one secret at once: one read serves them all.
  const inFlight = new Map<string, Promise<string>>();
  const read = (parameterName: string, refresh: boolean): Promise<string> => {
    const key = `${refresh}:${parameterName}`;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const started = readOnce(parameterName, refresh).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
  return (parameterName, { refresh = false } = {}) => read(parameterName, refresh);

  async function readOnce(parameterName: string, refresh: boolean): Promise<string> {
    const previous = lastRefreshAt.get(parameterName);
    const forceFetch = refresh && (previous === undefined || now() - previous >= SECRET_REFRESH_INTERVAL_SECONDS * 1000);
    if (forceFetch) lastRefreshAt.set(parameterName, now());
    try {
      const value = await provider.get(parameterName, {
        decrypt: true,
        maxAge: maxAgeSeconds,
        throwOnMissing: true,
        forceFetch,
      });
      if (typeof value !== 'string' || value === '') throw new MissingSecretError(parameterName);
      return value;
    } catch (error) {
      if (error instanceof ParameterNotFoundError) throw new MissingSecretError(parameterName);
      throw error;
    }
  }
}
