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
