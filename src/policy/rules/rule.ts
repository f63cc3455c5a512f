/**
 * What a rule is, and the small readers every rule uses to turn synthesized attributes into
 * verdicts and messages.
 */
import { linear } from '../expressions';
import type { ProviderFacts, ResourceFacts, TerraformModel } from '../terraform-model';

export interface Finding {
  /** The resource or provider block to fix. */
  readonly subject: ResourceFacts | ProviderFacts;
  readonly message: string;
}

export interface PolicyRule {
  /** Stable id, printed in every violation and named by suppressions. */
  readonly id: string;
  /** What the rule requires, in one line. */
  readonly requirement: string;
  /** Public scanner checks that test the same thing (checkov `CKV_*`, tfsec/trivy `AVD-AWS-*`). */
  readonly scanners: readonly string[];
  check(model: TerraformModel): Finding[];
}

export const finding = (subject: ResourceFacts | ProviderFacts, message: string): Finding => ({ subject, message });

/** Terraform treats an empty string like an absent attribute. */
export const isSet = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

export const show = (value: unknown): string => (value === undefined ? 'unset' : JSON.stringify(value));

/** The value as a number when it is one at synth; plan-time expressions are `undefined`. */
export const constant = (value: unknown): number | undefined => {
  const parsed = linear(value);
  return parsed && parsed.term === undefined ? parsed.factor : undefined;
};
