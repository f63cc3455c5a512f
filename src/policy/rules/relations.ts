/**
 * How resources of a stack point at each other: a queue and its dead-letter queue, an event
 * source mapping and the queue and function it joins, a function and what it should own alone.
 * Rules of several services read the same relations, so they are derived in one place.
 */
import { refersTo, type ResourceFacts, type TerraformModel } from '../terraform-model';
import { type Finding, finding, isSet } from './rule';

/** A queue is named by its URL (`url`, or `id`, which is the URL too). */
export const refersToQueue = (value: unknown, queue: ResourceFacts): boolean =>
  refersTo(value, queue, 'url') || refersTo(value, queue, 'id');

function redriveSource(model: TerraformModel, queue: ResourceFacts): unknown {
  if (isSet(queue.config.redrive_policy)) return queue.config.redrive_policy;
  const separate = model.ofType('aws_sqs_queue_redrive_policy').find((p) => refersToQueue(p.config.queue_url, queue));
  return separate?.config.redrive_policy;
}

export interface Redrive {
  readonly deadLetterQueue?: ResourceFacts;
  readonly maxReceiveCount: unknown;
}

/** The queue's redrive policy: `undefined` when it has none, `'unreadable'` when it is not literal JSON. */
/**
 * Parses redrive policy JSON text, in which a plan-time count may stand unquoted
 * (`"maxReceiveCount":${…}`): such a value reads as its `${…}` text. Throws on anything else.
 */
export function parseRedrivePolicy(text: string): { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } {
  const quoted = text.replace(/:\s*(\$\{[^"]*?\})(?=\s*[,}])/g, (_m, expression: string) => `:${JSON.stringify(expression)}`);
  return JSON.parse(quoted) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
}

export function redriveOf(model: TerraformModel, queue: ResourceFacts): Redrive | 'unreadable' | undefined {
  const source = redriveSource(model, queue);
  if (!isSet(source)) return undefined;
  try {
    const policy = parseRedrivePolicy(String(source));
    return {
      deadLetterQueue: model.referenced(policy.deadLetterTargetArn, 'aws_sqs_queue', 'arn')[0],
      maxReceiveCount: policy.maxReceiveCount,
    };
  } catch {
    return 'unreadable';
  }
}

/** Queues that are dead-letter queues: the target of a redrive policy, or declared one by a redrive allow policy. */
export function deadLetterQueues(model: TerraformModel): Set<ResourceFacts> {
  const queues = model.ofType('aws_sqs_queue');
  const allowPolicies = model.ofType('aws_sqs_queue_redrive_allow_policy');
  const dlqs = new Set<ResourceFacts>(
    queues.filter(
      (queue) => isSet(queue.config.redrive_allow_policy) || allowPolicies.some((p) => refersToQueue(p.config.queue_url, queue)),
    ),
  );
  for (const queue of queues) {
    const redrive = redriveOf(model, queue);
    if (redrive !== undefined && redrive !== 'unreadable' && redrive.deadLetterQueue) dlqs.add(redrive.deadLetterQueue);
  }
  return dlqs;
}

export interface EventSource {
  readonly mapping: ResourceFacts;
  /** The queue of this stack it reads, if its ARN is one. */
  readonly queue?: ResourceFacts;
  /** The function of this stack it invokes, if named by reference. */
  readonly fn?: ResourceFacts;
}

export function eventSources(model: TerraformModel): EventSource[] {
  return model.ofType('aws_lambda_event_source_mapping').map((mapping) => ({
    mapping,
    queue: model.referenced(mapping.config.event_source_arn, 'aws_sqs_queue', 'arn')[0],
    fn: model.referenced(mapping.config.function_name, 'aws_lambda_function')[0],
  }));
}

/** Groups `items` by the resource `keyOf` returns, skipping items without one. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => ResourceFacts | undefined): Map<ResourceFacts, T[]> {
  const groups = new Map<ResourceFacts, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key) groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

/**
 * Each function with what `find` says it owns, reporting missing and shared ones: a shared role
 * or log group would let one function's permissions or logs leak into another's.
 */
export function ownership(
  model: TerraformModel,
  what: string,
  find: (fn: ResourceFacts) => ResourceFacts | undefined,
  missing: string,
): Finding[] {
  const functions = model.ofType('aws_lambda_function');
  const owners = groupBy(functions, find);
  return functions.flatMap((fn) => {
    const owned = find(fn);
    if (!owned) return [finding(fn, missing)];
    const others = owners.get(owned)!.filter((other) => other !== fn);
    return others.length === 0
      ? []
      : [finding(fn, `shares its ${what} ${owned.path} with ${others.map((o) => o.path).join(', ')}; each function needs its own`)];
  });
}
