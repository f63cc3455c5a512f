import { MissingSecretError, type SecretReader, type SecretReadOptions } from './secrets';

/**
 * One SSM secret parameter may hold several secrets, one per line: the first is current, the
 * others are previous ones still honoured during a rotation's grace period (docs/RUNBOOK.md,
 * "Rotate a secret"). Inbound, a signature made with any of them verifies; outbound, the
 * dispatcher signs with each.
 */
export function secretsIn(parameterValue: string): readonly string[] {
  return parameterValue
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * Reads a secret parameter as its list of secrets. A value of blank lines holds no secret at all:
 * it is reported as missing, like an absent or empty parameter.
 */
export async function readSecretList(
  readSecret: SecretReader,
  parameterName: string,
  options?: SecretReadOptions,
): Promise<readonly string[]> {
  const secrets = secretsIn(await readSecret(parameterName, options));
  if (secrets.length === 0) throw new MissingSecretError(parameterName);
  return secrets;
}
