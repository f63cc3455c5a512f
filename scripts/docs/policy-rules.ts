/** The policy rules as the check runs them: ids, requirements and scanner equivalents from `POLICY_RULES`. */
import { DEFAULT_TAG_KEYS, POLICY_RULES, WILDCARD_RESOURCE_ACTIONS } from '../../src/policy/rules';
import { COMPOSED_STACK_RULES } from '../../src/webhook-pipeline';
import { code, NONE, table } from './markdown';

/** Scanner check ids read as code; a sentence (a check whose id changed between releases) as prose. */
const scanner = (id: string): string => (/^[A-Z0-9_-]+$/.test(id) ? code(id) : id);

export function policyRulesTable(): string {
  const composed = new Set(COMPOSED_STACK_RULES.map((rule) => rule.id));
  const rules = table(
    ['rule', 'requires', 'in a stack of yours', 'same check in public scanners'],
    POLICY_RULES.map((rule) => [
      code(rule.id),
      rule.requirement,
      composed.has(rule.id) ? 'yes' : 'no',
      rule.scanners.map(scanner).join(', ') || NONE,
    ]),
  );
  return `${rules}\n\nThe default tags the two tag rules protect: ${DEFAULT_TAG_KEYS.map(code).join(', ')}.`;
}

export function wildcardResourceActionsTable(): string {
  return table(
    ['action', 'why `"*"`'],
    Object.entries(WILDCARD_RESOURCE_ACTIONS).map(([action, why]) => [code(action), why]),
  );
}
