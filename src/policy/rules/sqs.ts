/** SQS: encryption, transport, redrive to a dead-letter queue, and timeouts that fit the consumers. */
import { HANDLER_ENV } from '../../contract';
import { atLeast, describeLinear, linear, lowerBound, upperBound } from '../expressions';
import { listOf, isWildcardPrincipal, type Statement, statementsOf } from '../policy-documents';
import { finding, isSet, type PolicyRule, show } from './rule';
import { deadLetterQueues, eventSources, redriveOf, refersToQueue } from './relations';

export const MIN_MAX_RECEIVE_COUNT = 5;
/** AWS's advice for SQS event sources: visibility timeout ≥ 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_MULTIPLE = 6;

/** AWS defaults for attributes a resource may leave unset: the rules compare what AWS will use. */
const DEFAULTS = { sqsVisibilityTimeout: 30, sqsRetention: 345_600, lambdaTimeout: 3 } as const;

function deniesInsecureTransport(statement: Statement): boolean {
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  return (
    statement.Effect === 'Deny' &&
    isWildcardPrincipal(statement.Principal) &&
    listOf(statement.Action).some((action) => action === '*' || action === 'sqs:*') &&
    listOf(condition?.Bool?.['aws:SecureTransport']).includes('false')
  );
}

export const sqsEncrypted: PolicyRule = {
  id: 'sqs-encrypted',
  requirement: 'Every SQS queue is encrypted at rest (SSE-SQS or a KMS key).',
  scanners: ['CKV_AWS_27', 'AVD-AWS-0096'],
  check: (model) =>
    model
      .ofType('aws_sqs_queue')
      .filter((q) => q.config.sqs_managed_sse_enabled !== true && !isSet(q.config.kms_master_key_id))
      .map((q) => finding(q, 'is not encrypted at rest: set sqs_managed_sse_enabled = true or kms_master_key_id')),
};

export const sqsTlsOnly: PolicyRule = {
  id: 'sqs-tls-only',
  requirement: 'Every SQS queue has a policy denying `sqs:*` to anyone when `aws:SecureTransport` is false.',
  scanners: [],
  check: (model) =>
    model.ofType('aws_sqs_queue').flatMap((queue) => {
      const policies = [
        queue.config.policy,
        ...model
          .ofType('aws_sqs_queue_policy')
          .filter((p) => refersToQueue(p.config.queue_url, queue))
          .map((p) => p.config.policy),
      ];
      const tlsOnly = policies.some((policy) => (statementsOf(policy) ?? []).some(deniesInsecureTransport));
      return tlsOnly
        ? []
        : [finding(queue, 'accepts requests without TLS: add a queue policy that denies sqs:* to "*" when aws:SecureTransport is "false"')];
    }),
};

export const sqsRedrive: PolicyRule = {
  id: 'sqs-redrive',
  requirement: `Every queue that is not a dead-letter queue redrives to a DLQ of this stack after at least ${MIN_MAX_RECEIVE_COUNT} receives.`,
  scanners: [],
  check: (model) => {
    const dlqs = deadLetterQueues(model);
    return model
      .ofType('aws_sqs_queue')
      .filter((queue) => !dlqs.has(queue))
      .flatMap((queue) => {
        const redrive = redriveOf(model, queue);
        if (redrive === undefined) {
          return [
            finding(
              queue,
              'has no redrive policy: a message that keeps failing would be retried until it expires instead of moving to a dead-letter queue',
            ),
          ];
        }
        if (redrive === 'unreadable') {
          return [finding(queue, 'has a redrive policy that is not literal JSON, so its maxReceiveCount cannot be checked at synth')];
        }
        const problems: string[] = [];
        if (!redrive.deadLetterQueue) problems.push('its deadLetterTargetArn is not the ARN of a queue in this stack');
        const count = lowerBound(redrive.maxReceiveCount);
        if (count === undefined || count < MIN_MAX_RECEIVE_COUNT) {
          problems.push(
            `maxReceiveCount is ${show(redrive.maxReceiveCount)}; it must be at least ${MIN_MAX_RECEIVE_COUNT}, or throttled and transient failures reach the DLQ`,
          );
        }
        return problems.map((problem) => finding(queue, problem));
      });
  },
};

export const sqsVisibilityTimeout: PolicyRule = {
  id: 'sqs-visibility-timeout',
  requirement: `A queue's visibility timeout is at least ${VISIBILITY_TIMEOUT_MULTIPLE} × the timeout of the function it feeds (numbers, or multiples of the same expression).`,
  scanners: [],
  check: (model) =>
    eventSources(model).flatMap(({ queue, fn }) => {
      if (!queue || !fn) return [];
      const visibilityRaw = queue.config.visibility_timeout_seconds ?? DEFAULTS.sqsVisibilityTimeout;
      const timeoutRaw = fn.config.timeout ?? DEFAULTS.lambdaTimeout;
      const visibility = linear(visibilityRaw);
      const timeout = linear(timeoutRaw);
      const verdict = atLeast(visibility, VISIBILITY_TIMEOUT_MULTIPLE, timeout);
      if (verdict === 'holds') return [];
      const comparison = `visibility timeout ${describeLinear(visibility, visibilityRaw)} and ${fn.path}'s timeout ${describeLinear(timeout, timeoutRaw)}`;
      return [
        finding(
          queue,
          verdict === 'fails'
            ? `${comparison}: the visibility timeout must be at least ${VISIBILITY_TIMEOUT_MULTIPLE} × the timeout, or messages are received again while still being processed`
            : `${comparison} cannot be compared at synth; write the visibility timeout as ${VISIBILITY_TIMEOUT_MULTIPLE} × the same expression as the timeout`,
        ),
      ];
    }),
};

export const sqsDlqRetention: PolicyRule = {
  id: 'sqs-dlq-retention',
  requirement: 'A dead-letter queue keeps messages at least as long as the queue that feeds it.',
  scanners: [],
  check: (model) =>
    model.ofType('aws_sqs_queue').flatMap((queue) => {
      const redrive = redriveOf(model, queue);
      if (redrive === undefined || redrive === 'unreadable' || !redrive.deadLetterQueue) return [];
      const dlq = redrive.deadLetterQueue;
      const dlqRaw = dlq.config.message_retention_seconds ?? DEFAULTS.sqsRetention;
      const mainRaw = queue.config.message_retention_seconds ?? DEFAULTS.sqsRetention;
      let verdict = atLeast(linear(dlqRaw), 1, linear(mainRaw));
      // A clamped plan-time retention (`min(k, …)`) is provably at most k.
      const [dlqLeast, mainMost] = [lowerBound(dlqRaw), upperBound(mainRaw)];
      if (verdict === 'unknown' && dlqLeast !== undefined && mainMost !== undefined) verdict = dlqLeast >= mainMost ? 'holds' : 'unknown';
      if (verdict === 'holds') return [];
      return [
        finding(
          dlq,
          `keeps messages ${describeLinear(linear(dlqRaw), dlqRaw)} s, ${verdict === 'fails' ? 'less than' : 'not provably as long as'} its source queue ${queue.path} (${describeLinear(linear(mainRaw), mainRaw)} s): a dead letter could expire before anyone sees it`,
        ),
      ];
    }),
};

/** The env var a consumer's retry schedule is in. */
const RETRY_SCHEDULE_ENV = HANDLER_ENV.deliveryRetrySchedule;
const VARIABLE_REFERENCE = /var\.[A-Za-z_][\w-]*/g;

/**
 * A consumer that backs off on a retry schedule needs its queue to allow one receive per step
 * plus the first attempt, and to keep messages well past the schedule's end: otherwise a message
 * reaches the DLQ early, or expires (is lost) while backing off.
 */
export const sqsRetryScheduleFits: PolicyRule = {
  id: 'sqs-retry-schedule-fits',
  requirement: `A queue whose consumer backs off on a retry schedule (${RETRY_SCHEDULE_ENV}) allows one receive per step plus one, and keeps messages at least twice the schedule's total.`,
  scanners: [],
  check: (model) =>
    eventSources(model).flatMap(({ queue, fn }) => {
      const raw = (fn?.config.environment as { variables?: Record<string, unknown> } | undefined)?.variables?.[RETRY_SCHEDULE_ENV];
      if (!queue || raw === undefined) return [];
      const redrive = redriveOf(model, queue);
      const maxReceiveCount = redrive === undefined || redrive === 'unreadable' ? undefined : redrive.maxReceiveCount;
      const retention = queue.config.message_retention_seconds ?? DEFAULTS.sqsRetention;
      let steps: unknown;
      try {
        steps = JSON.parse(String(raw));
      } catch {
        steps = undefined;
      }
      if (Array.isArray(steps) && steps.every((step) => typeof step === 'number')) {
        const problems: string[] = [];
        const count = lowerBound(maxReceiveCount);
        if (count === undefined || count < steps.length + 1) {
          problems.push(
            `maxReceiveCount is ${show(maxReceiveCount)}; ${fn!.path}'s ${steps.length}-step schedule needs ${steps.length + 1}`,
          );
        }
        const horizon = steps.reduce((sum: number, step: number) => sum + step, 0);
        const kept = lowerBound(retention);
        if (kept === undefined || kept < 2 * horizon) {
          problems.push(
            `keeps messages ${show(retention)} s; ${fn!.path}'s schedule backs off ${horizon} s, so it must keep them at least ${2 * horizon} s`,
          );
        }
        return problems.map((problem) => finding(queue, problem));
      }
      // A plan-time schedule: the queue's count and retention must be computed from the same variable.
      const variables = String(raw).match(VARIABLE_REFERENCE) ?? [];
      const followsSchedule = (value: unknown) => variables.length > 0 && variables.every((v) => String(value).includes(v));
      if (followsSchedule(maxReceiveCount) && followsSchedule(retention)) return [];
      return [
        finding(
          queue,
          `${fn!.path}'s retry schedule is decided at plan time (${String(raw)}); the queue's maxReceiveCount (${show(maxReceiveCount)}) and retention (${show(retention)}) must be computed from the same variable`,
        ),
      ];
    }),
};
