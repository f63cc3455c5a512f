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

/** Reads a SecureString parameter, decrypted; throws {@link MissingSecretError} when absent. */
export type SecretReader = (parameterName: string) => Promise<string>;

/**
 * A reader backed by one SSM client and one cache for the life of the container. Any error other
 * than a missing parameter (throttling, 5xx, access denied) propagates, so the record fails and
 * SQS retries it.
 */
export function createSecretReader(ssm: SSMClient, maxAgeSeconds = SECRET_CACHE_SECONDS): SecretReader {
  const provider = new SSMProvider({ awsSdkV3Client: ssm });
  return async (parameterName) => {
    try {
      const value = await provider.get(parameterName, { decrypt: true, maxAge: maxAgeSeconds, throwOnMissing: true });
      if (typeof value !== 'string' || value === '') throw new MissingSecretError(parameterName);
      return value;
    } catch (error) {
      if (error instanceof ParameterNotFoundError) throw new MissingSecretError(parameterName);
      throw error;
    }
  };
}
