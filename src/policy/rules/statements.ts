/**
 * Judging the statements of IAM policy documents wherever they appear (identity, trust, key and
 * resource policies), so each rule states only what it objects to in one Allow statement.
 */
import { isAllow, type Statement, statementName, statementsOf } from '../policy-documents';
import type { ResourceFacts } from '../terraform-model';
import { type Finding, finding } from './rule';

/** One policy document and where it sits, for messages. */
export interface PolicySource {
  readonly subject: ResourceFacts;
  readonly attribute: string;
  readonly policy: unknown;
}

/**
 * Findings for each Allow statement `judge` objects to. A policy that is not literal JSON is a
 * finding when `reportUnreadable` is set: what cannot be read at synth is not proven safe.
 */
export function judgeStatements(
  sources: readonly PolicySource[],
  judge: (statement: Statement) => string | undefined,
  reportUnreadable: boolean,
): Finding[] {
  return sources.flatMap(({ subject, attribute, policy }) => {
    const statements = statementsOf(policy);
    if (!statements) {
      return reportUnreadable
        ? [finding(subject, `${attribute} is not a literal JSON policy document, so it cannot be checked at synth`)]
        : [];
    }
    return statements.flatMap((statement, index) => {
      const problem = isAllow(statement) ? judge(statement) : undefined;
      return problem ? [finding(subject, `${attribute} ${statementName(statement, index)} ${problem}`)] : [];
    });
  });
}
