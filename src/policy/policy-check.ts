import { Annotations, type IAspect, TerraformProvider, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { POLICY_RULES, type PolicyRule } from './rules';
import { type SynthesizedConfig, TerraformModel } from './terraform-model';

/** One rule broken by one resource (or provider block). */
export interface PolicyViolation {
  readonly ruleId: string;
  /** Construct path of the offending resource, e.g. `webhook-pipeline/ingest/queue`. */
  readonly path: string;
  /** Its Terraform address, e.g. `aws_sqs_queue.ingest_queue_EF5313B4`. */
  readonly address: string;
  readonly message: string;
}

const formatViolation = (v: PolicyViolation): string => `[${v.ruleId}] ${v.path} (${v.address}): ${v.message}`;

/** Thrown by {@link PolicyCheck}: synth stops, listing every violation, before anything is written. */
export class PolicyViolationError extends Error {
  constructor(
    public readonly stackPath: string,
    public readonly violations: readonly PolicyViolation[],
  ) {
    super(
      `Policy check failed for stack ${stackPath}: ${violations.length} violation(s)\n` +
        violations.map((v) => `  ${formatViolation(v)}`).join('\n'),
    );
    this.name = 'PolicyViolationError';
  }
}

/** Runs the rules over a model; violations come in rule order, then resource order. */
export function evaluatePolicy(model: TerraformModel, rules: readonly PolicyRule[] = POLICY_RULES): PolicyViolation[] {
  return rules.flatMap((rule) =>
    rule.check(model).map(({ subject, message }) => ({ ruleId: rule.id, path: subject.path, address: subject.address, message })),
  );
}

/** The facts of one stack: its resolved Terraform configuration plus each provider's construct path. */
export function modelOf(stack: TerraformStack): TerraformModel {
  const providerPaths = new Map(
    stack.node
      .findAll()
      .filter(TerraformProvider.isTerraformProvider)
      .map((p) => [p.alias ? `provider.${p.terraformResourceType}.${p.alias}` : `provider.${p.terraformResourceType}`, p.node.path]),
  );
  return new TerraformModel(stack.toTerraform() as SynthesizedConfig, providerPaths);
}

/**
 * The policy check, as a CDKTF aspect: `Aspects.of(stack).add(new PolicyCheck())`.
 *
 * It acts when it visits the stack itself. Aspects run at the start of synthesis, after every
 * constructor has returned, so the whole tree exists; the check reads the stack's resolved
 * Terraform configuration (exactly what would be written) and evaluates every rule, including
 * those that relate several resources.
 *
 * Each violation becomes an error annotation on the offending construct, and then the check
 * throws a {@link PolicyViolationError} naming every rule and construct. Annotations alone are
 * not enough: `app.synth()` reports error annotations only after it has written the stack's
 * assets, the cdktf CLI sets `CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS` and writes the JSON
 * before failing, and `Testing.synth` ignores them altogether. The exception stops all three
 * before the stack's JSON or assets are written.
 *
 * Limitation: another aspect that changes resources while visiting them runs after this check
 * (the stack is visited before its children) and is not seen by it.
 */
export class PolicyCheck implements IAspect {
  constructor(private readonly rules: readonly PolicyRule[] = POLICY_RULES) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const violations = evaluatePolicy(modelOf(node), this.rules);
    if (violations.length === 0) return;
    const constructs = new Map(node.node.findAll().map((c) => [c.node.path, c]));
    for (const violation of violations) {
      Annotations.of(constructs.get(violation.path) ?? node).addError(`[${violation.ruleId}] ${violation.message}`);
    }
    throw new PolicyViolationError(node.node.path, violations);
  }
}
