/**
 * Reading handler configuration from the environment. Every reader throws a
 * {@link ConfigurationError} naming the variable, so a misconfigured function fails at cold
 * start with a message that says what to fix, instead of misbehaving record by record.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export class ConfigurationError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Environment variable ${variable} ${problem}`);
    this.name = 'ConfigurationError';
  }
}

/** A variable that must be set to a non-blank value. */
export function requiredString(env: Environment, variable: string): string {
  const value = env[variable]?.trim();
  if (!value) throw new ConfigurationError(variable, 'must be set');
  return value;
}

/** A variable that may be unset or empty; both read as `''`. */
export function optionalString(env: Environment, variable: string): string {
  return env[variable]?.trim() ?? '';
}

/** A positive whole number, or `fallback` when the variable is unset or empty. */
export function positiveInteger(env: Environment, variable: string, fallback: number): number {
  const raw = env[variable]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigurationError(variable, `must be a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

/** A required variable holding an absolute http(s) URL, such as a queue URL. */
export function requiredUrl(env: Environment, variable: string): string {
  return checkedUrl(variable, requiredString(env, variable));
}

/** A variable holding an absolute http(s) URL, or `''` when it is unset or empty. */
export function optionalUrl(env: Environment, variable: string): string {
  const value = optionalString(env, variable);
  return value === '' ? '' : checkedUrl(variable, value);
}

function checkedUrl(variable: string, value: string): string {
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new ConfigurationError(variable, `must be an absolute URL, got "${value}"`);
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new ConfigurationError(variable, `must be an http(s) URL, got "${value}"`);
  }
  return value;
}
