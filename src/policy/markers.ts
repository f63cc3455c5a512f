/**
 * Where the policy check keeps its state on constructs. The keys are global symbols, not module
 * state, so that two copies of this package loaded into one app (a library's and the app's own)
 * see each other's checks and suppressions.
 */

/** On a stack: the {@link PolicyCheck} applied to it. */
export const CHECK_KEY = Symbol.for('webhook-pipeline.policy-check');

/** On any construct: the suppressions registered on it, as `{ ruleId, reason }` records. */
export const SUPPRESSIONS_KEY = Symbol.for('webhook-pipeline.policy-suppressions');

/** A construct (or any object) as seen through the keys above. */
export type Marked = { [CHECK_KEY]?: unknown; [SUPPRESSIONS_KEY]?: unknown };
