import { TerraformProvider, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { CHECK_KEY, type Marked } from './markers';
import { POLICY_RULES, type PolicyRule } from './rules';
import { suppressionFor } from './suppressions';
import { type SynthesizedConfig, TerraformModel } from './terraform-model';

export { MIN_REASON_LENGTH, type Suppression, suppressPolicyRule } from './suppressions';

/** One rule broken by one resource (or provider block). */
export interface PolicyViolation {
  readonly ruleId: string;
  /** Construct path of the offending resource, e.g. `webhook-pipeline/ingest/queue`. */
  readonly path: string;
  /** Its Terraform address, e.g. `aws_sqs_queue.ingest_queue_EF5313B4`. */
  readonly address: string;
  readonly message: string;
}

/** A violation accepted by a suppression: reported, not an error. */
export interface SuppressedViolation extends PolicyViolation {
  readonly reason: string;
  /** Construct path of the scope the suppression was registered on. */
  readonly suppressedAt: string;
}

/** What one evaluation found. */
export interface PolicyReport {
  readonly violations: readonly PolicyViolation[];
  readonly suppressed: readonly SuppressedViolation[];
  readonly evaluatedRules: number;
}

export const formatViolation = (v: PolicyViolation): string => `[${v.ruleId}] ${v.path} (${v.address}): ${v.message}`;

export const formatSuppressed = (v: SuppressedViolation): string =>
  `${formatViolation(v)} (suppressed at ${v.suppressedAt || '<app>'}: ${v.reason})`;

/** Thrown by {@link PolicyCheck}: synth stops, listing every violation, before the stack's configuration is written. */
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

/** Provider blocks carry no construct metadata in the synthesized JSON: their paths come from the tree. */
function providerPaths(stack: TerraformStack): Map<string, string> {
  return new Map(
    stack.node
      .findAll()
      .filter(TerraformProvider.isTerraformProvider)
      .map((p) => [p.alias ? `provider.${p.terraformResourceType}.${p.alias}` : `provider.${p.terraformResourceType}`, p.node.path]),
  );
}

type ToTerraform = () => any;

/** The stack's `toTerraform` as cdktf defines it, bypassing the check when one is applied. */
function uncheckedToTerraform(stack: TerraformStack): ToTerraform {
  const check = (stack as Marked)[CHECK_KEY] as { originalToTerraform?: ToTerraform } | undefined;
  return check?.originalToTerraform ?? stack.toTerraform;
}

/**
 * The facts of one stack: its resolved Terraform configuration plus each provider's construct
 * path. Reads the configuration without running the stack's check, so it works on broken stacks.
 */
export function modelOf(stack: TerraformStack): TerraformModel {
  return new TerraformModel(uncheckedToTerraform(stack).call(stack) as SynthesizedConfig, providerPaths(stack));
}

export interface PolicyCheckOptions {
  /** The rules to evaluate; {@link POLICY_RULES} by default. */
  readonly rules?: readonly PolicyRule[];
}

/**
 * The policy check of one stack: `PolicyCheck.applyTo(stack)`.
 *
 * It wraps the stack's `toTerraform()`, the one call through which every synth gets the stack's
 * configuration (`app.synth()` and the cdktf CLI, just before writing `cdk.tf.json`, and
 * `Testing.synth`). The wrapper evaluates the rules on the configuration that call produced, so
 * the configuration is resolved once per synth and the check sees it exactly as it will be
 * written, after every aspect has run. Violations that no suppression covers make it throw a
 * {@link PolicyViolationError}, so nothing is written. `toHclTerraform()` (`cdktf synth --hcl`) is
 * checked the same way.
 *
 * It throws rather than adding error annotations: cdktf collects annotations before asking for
 * the configuration, the cdktf CLI writes the JSON despite them
 * (`CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS`), and `Testing.synth` ignores them.
 */
export class PolicyCheck {
  /**
   * Applies the check to `stack`. Idempotent: a stack has at most one check, and applying again
   * returns it. Asking for other rules than the applied check's is an error, not a silent no-op.
   */
  static applyTo(stack: TerraformStack, options: PolicyCheckOptions = {}): PolicyCheck {
    const existing = PolicyCheck.of(stack);
    if (existing) {
      if (options.rules !== undefined && options.rules !== existing.rules) {
        throw new Error(
          `PolicyCheck.applyTo: stack ${stack.node.path} already has a policy check with other rules; apply it once, with all the rules`,
        );
      }
      return existing;
    }
    return new PolicyCheck(stack, options.rules ?? POLICY_RULES);
  }

  /** The check applied to `stack`, if any. */
  static of(stack: TerraformStack): PolicyCheck | undefined {
    return (stack as Marked)[CHECK_KEY] as PolicyCheck | undefined;
  }

  /** What the last synth of the stack found; `undefined` until the stack is synthesized. */
  public lastReport: PolicyReport | undefined;

  /** The stack's `toTerraform` before the check wrapped it. */
  public readonly originalToTerraform: ToTerraform;

  private constructor(
    private readonly stack: TerraformStack,
    public readonly rules: readonly PolicyRule[],
  ) {
    const toTerraform: ToTerraform = stack.toTerraform;
    const toHclTerraform = stack.toHclTerraform as ToTerraform | undefined;
    this.originalToTerraform = toTerraform;
    (stack as Marked)[CHECK_KEY] = this;
    wrap(stack, 'toTerraform', () => {
      const config = toTerraform.call(stack);
      this.enforce(config);
      return config;
    });
    if (typeof toHclTerraform === 'function') {
      wrap(stack, 'toHclTerraform', () => {
        this.enforce(toTerraform.call(stack));
        return toHclTerraform.call(stack);
      });
    }
  }

  /** Evaluates the rules on the stack's configuration, records {@link lastReport}, and throws on any unsuppressed violation. */
  private enforce(config: SynthesizedConfig): void {
    const found = evaluatePolicy(new TerraformModel(config, providerPaths(this.stack)), this.rules);
    const violations: PolicyViolation[] = [];
    const suppressed: SuppressedViolation[] = [];
    if (found.length > 0) {
      const constructs = new Map<string, IConstruct>(this.stack.node.findAll().map((c) => [c.node.path, c]));
      for (const violation of found) {
        // A subject that is no construct of the stack (a raw override, say) belongs to the stack.
        const suppression = suppressionFor(constructs.get(violation.path) ?? this.stack, violation.ruleId);
        if (suppression) suppressed.push({ ...violation, reason: suppression.reason, suppressedAt: suppression.suppressedAt });
        else violations.push(violation);
      }
    }
    this.lastReport = { violations, suppressed, evaluatedRules: this.rules.length };
    if (violations.length > 0) throw new PolicyViolationError(this.stack.node.path, violations);
  }
}

function wrap(stack: TerraformStack, method: 'toTerraform' | 'toHclTerraform', replacement: ToTerraform): void {
  Object.defineProperty(stack, method, { value: replacement, configurable: true, writable: true, enumerable: false });
}
