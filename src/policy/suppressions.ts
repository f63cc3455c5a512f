/**
 * Suppressions: the one way to accept a violation, and never a silent one. Each names one rule,
 * holds for one construct and everything under it, carries a reason, and is printed as a warning
 * on every synth; the check reports each violation it hides with that reason.
 */
import { Annotations, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { CHECK_KEY, type Marked, SUPPRESSIONS_KEY } from './markers';
import { POLICY_RULES } from './rules';

/** Fewer characters than this cannot say why a rule does not apply. */
export const MIN_REASON_LENGTH = 10;

export interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
  /** Construct path of the scope the suppression was registered on. */
  readonly suppressedAt: string;
}

interface StoredSuppression {
  readonly ruleId: string;
  readonly reason: string;
}

function storedOn(construct: IConstruct): StoredSuppression[] {
  const value = (construct as Marked)[SUPPRESSIONS_KEY];
  return Array.isArray(value) ? (value as StoredSuppression[]) : [];
}

/**
 * Rule ids a suppression may name: the catalogue's, plus those of any check already applied to a
 * stack at, above or under `scope` (a check may carry rules of its own).
 */
function knownRuleIds(scope: IConstruct): string[] {
  const stacks = [...scope.node.scopes, ...scope.node.findAll()].filter((c) => TerraformStack.isStack(c));
  const ids = new Set(POLICY_RULES.map((rule) => rule.id));
  for (const stack of stacks) {
    const rules = ((stack as Marked)[CHECK_KEY] as { rules?: ReadonlyArray<{ id: string }> } | undefined)?.rules ?? [];
    for (const rule of rules) ids.add(rule.id);
  }
  return [...ids];
}

/**
 * Accepts violations of `ruleId` by `scope` and every construct under it, for `reason`.
 *
 * Throws on a rule id no check knows (custom rules are known once their check is applied) and on
 * a reason that is empty or shorter than {@link MIN_REASON_LENGTH} characters. Registering warns
 * on `scope`, so every synth lists the suppression and its reason. Suppressing the same rule on
 * the same scope again replaces the reason; a suppression nearer the offending construct wins.
 */
export function suppressPolicyRule(scope: IConstruct, ruleId: string, reason: string): void {
  const known = knownRuleIds(scope);
  if (!known.includes(ruleId)) {
    throw new Error(`suppressPolicyRule: unknown rule id ${JSON.stringify(ruleId)} on ${scope.node.path}; valid ids: ${known.join(', ')}`);
  }
  const trimmed = typeof reason === 'string' ? reason.trim() : '';
  if (trimmed.length < MIN_REASON_LENGTH) {
    const problem = trimmed.length === 0 ? 'is empty' : `is ${trimmed.length} character(s) long`;
    throw new Error(
      `suppressPolicyRule: the reason ${JSON.stringify(reason)} for suppressing ${ruleId} on ${scope.node.path} ${problem}; ` +
        `say why the rule does not apply here, in at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  const others = storedOn(scope).filter((s) => s.ruleId !== ruleId);
  (scope as Marked)[SUPPRESSIONS_KEY] = [...others, { ruleId, reason: trimmed }];
  Annotations.of(scope).addWarning(`Policy rule ${ruleId} is suppressed for ${scope.node.path} and everything under it: ${trimmed}`);
}

/** The suppression of `ruleId` nearest to `construct`: on it, or on the closest of its ancestors that has one. */
export function suppressionFor(construct: IConstruct, ruleId: string): Suppression | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    const found = storedOn(scope).find((s) => s.ruleId === ruleId);
    if (found) return { ruleId, reason: found.reason, suppressedAt: scope.node.path };
  }
  return undefined;
}
