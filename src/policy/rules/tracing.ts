/**
 * X-Ray tracing follows one switch per stack. The pipeline takes its tracing setting as a boolean
 * or as a plan-time token that a user's stack may map from anything, so the rules cannot know the
 * switch's name: a function is traced when its mode is `"Active"` or
 * `${<switch> ? "Active" : "PassThrough"}`, a stage when its flag is `true` or `${<switch>}`.
 * A trace joins the API to the functions only when all of them follow the same switch.
 */
import { block, type ResourceFacts, type TerraformModel } from '../terraform-model';
import { finding, type PolicyRule } from './rule';

export type TracingSwitch =
  | { readonly kind: 'on' }
  | { readonly kind: 'off' }
  /** Traced while the boolean expression `condition` is true (normalized, see {@link normalizeCondition}). */
  | { readonly kind: 'when'; readonly condition: string };

/**
 * A boolean expression as it may stand before `?` or alone in `${…}`: no braces (so it cannot span
 * two interpolations), and no `?` or `:` outside quotes (so it cannot be half of a conditional).
 */
const CONDITION = String.raw`(?:[^{}?:"]|"[^"]*")+`;
const CONDITIONAL_MODE = new RegExp(String.raw`^\$\{(${CONDITION})\?\s*"Active"\s*:\s*"PassThrough"\s*\}$`);
const INTERPOLATED = new RegExp(String.raw`^\$\{(${CONDITION})\}$`);

/** Whether the `(` at 0 closes at the last character, i.e. the parentheses enclose the whole text. */
function enclosedInParentheses(text: string): boolean {
  if (!text.startsWith('(')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i === text.length - 1;
  }
  return false;
}

/**
 * One spelling per expression, so that a stage's `${(var.a && var.b)}` and a function's
 * `${(var.a && var.b) ? "Active" : "PassThrough"}` are recognised as the same switch.
 */
export function normalizeCondition(expression: string): string {
  let text = expression.replace(/\s+/g, ' ').trim();
  while (enclosedInParentheses(text)) text = text.slice(1, -1).trim();
  return text;
}

function switchOn(expression: string): TracingSwitch | undefined {
  const condition = normalizeCondition(expression);
  if (condition === '') return undefined;
  if (condition === 'true') return { kind: 'on' };
  if (condition === 'false') return { kind: 'off' };
  return { kind: 'when', condition };
}

/** A function's switch; `undefined` when its mode is an expression of another shape. Unset means PassThrough. */
export function functionTracing(fn: ResourceFacts): TracingSwitch | undefined {
  const mode: unknown = block(fn.config.tracing_config)?.mode;
  if (mode === 'Active') return { kind: 'on' };
  if (mode === undefined || mode === 'PassThrough') return { kind: 'off' };
  const conditional = typeof mode === 'string' ? CONDITIONAL_MODE.exec(mode) : null;
  return conditional ? switchOn(conditional[1]) : undefined;
}

/** A stage's switch; `undefined` when its flag is neither a boolean nor one interpolation. Unset means off. */
export function stageTracing(stage: ResourceFacts): TracingSwitch | undefined {
  const enabled: unknown = stage.config.xray_tracing_enabled;
  if (enabled === true || enabled === 'true') return { kind: 'on' };
  if (enabled === undefined || enabled === null || enabled === false || enabled === 'false') return { kind: 'off' };
  const interpolated = typeof enabled === 'string' ? INTERPOLATED.exec(enabled) : null;
  return interpolated ? switchOn(interpolated[1]) : undefined;
}

type Traced = Exclude<TracingSwitch, { kind: 'off' }>;

export const isTraced = (tracing: TracingSwitch | undefined): tracing is Traced => tracing?.kind === 'on' || tracing?.kind === 'when';

const describe = (tracing: Traced): string => (tracing.kind === 'when' ? `when ${tracing.condition}` : 'always');

export const tracingConsistent: PolicyRule = {
  id: 'tracing-consistent',
  requirement:
    'Every traced Lambda function and API Gateway stage of a stack follows the same switch: all always on, or all the same `<switch>` expression.',
  scanners: [],
  check: (model: TerraformModel) => {
    // Untraced ones are for lambda-tracing and api-tracing to report (or a suppression to accept), so they are not counted here.
    const traced = [
      ...model.ofType('aws_lambda_function').map((subject) => ({ subject, tracing: functionTracing(subject) })),
      ...model.ofType('aws_api_gateway_stage').map((subject) => ({ subject, tracing: stageTracing(subject) })),
    ].flatMap(({ subject, tracing }) => (isTraced(tracing) ? [{ subject, tracing, key: describe(tracing) }] : []));
    const counts = new Map<string, number>();
    for (const { key } of traced) counts.set(key, (counts.get(key) ?? 0) + 1);
    // The switch most of them follow is taken as the intended one; ties go to the first met (functions before stages).
    const [majority] = [...counts].reduce((best, entry) => (entry[1] > best[1] ? entry : best), ['', 0]);
    const followers = traced.filter((t) => t.key === majority).map((t) => t.subject.path);
    return traced
      .filter((t) => t.key !== majority)
      .map(({ subject, key }) =>
        finding(
          subject,
          `traces ${key}, but ${followers.length} other function(s) and stage(s) trace ${majority} ` +
            `(${followers.slice(0, 3).join(', ')}${followers.length > 3 ? ', …' : ''}): a request's trace breaks where they disagree; ` +
            'make them follow the same switch',
        ),
      );
  },
};
