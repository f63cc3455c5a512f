import { conditional, type IResolvable, Op, Token } from 'cdktf';

/**
 * Props take plain values or tokens: a stack maps Terraform variables to them (one JSON for every
 * workspace), a user's app may pass constants. These helpers compute in TypeScript when every
 * input is plain and build a Terraform expression only when one is a token, so a construct used
 * with constants synthesizes plain numbers, not `${…}` expressions.
 */

/** A switch: a boolean, or a plan-time boolean such as `TerraformVariable.booleanValue`. */
export type Switch = boolean | IResolvable;

export const isToken = (value: unknown): boolean => Token.isUnresolved(value);

/** `ifOn` when the switch is on; a Terraform conditional when it is decided at plan time. */
export function whenOn<T>(on: Switch, ifOn: T, ifOff: T): T {
  if (typeof on === 'boolean') return on ? ifOn : ifOff;
  return conditional(on, ifOn, ifOff) as T;
}

/**
 * The `count` of a resource that exists while the switch is on: none needed for a plain `true`
 * (callers create nothing for a plain `false`), `on ? 1 : 0` for a plan-time switch.
 */
export function countWhen(on: Switch): number | undefined {
  return typeof on === 'boolean' ? undefined : Token.asNumber(whenOn(on, 1, 0));
}

/** `a × b`, as a number or a plan-time expression. */
export function times(a: number, b: number): number {
  return isToken(a) || isToken(b) ? Token.asNumber(Op.mul(a, b)) : a * b;
}

/** `a ÷ b`, as a number or a plan-time expression. */
export function dividedBy(a: number, b: number): number {
  return isToken(a) || isToken(b) ? Token.asNumber(Op.div(a, b)) : a / b;
}

/** The switch as Terraform writes it in an attribute that takes a boolean. */
export function switchValue(on: Switch): boolean {
  return typeof on === 'boolean' ? on : (Token.asAny(on) as unknown as boolean);
}

/** The switch's value as an environment variable string (`"true"` / `"false"`). */
export function switchAsString(on: Switch): string {
  return typeof on === 'boolean' ? String(on) : Token.asString(on);
}

/**
 * Validates a plain value; tokens pass (their value is known only at plan time, where the stack's
 * variable validation checks it). The error names the construct, the prop and the bad value.
 */
export function requirePlain<T>(
  owner: string,
  prop: string,
  value: T | undefined,
  isValid: (value: T) => boolean,
  expectation: string,
): void {
  if (value === undefined || isToken(value)) return;
  if (!isValid(value)) {
    throw new Error(`${owner}: ${prop} must be ${expectation}, got ${JSON.stringify(value)}`);
  }
}

export const isWholeNumberIn =
  (min: number, max: number) =>
  (value: number): boolean =>
    Number.isInteger(value) && value >= min && value <= max;

/** A number as an environment variable string, at synth or at plan time. */
export function numberAsString(value: number): string {
  return isToken(value) ? Token.asString(value) : String(value);
}
