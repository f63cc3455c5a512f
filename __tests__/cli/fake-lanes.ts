import type { LaneApi, QueueCounts } from '../../src/cli/lanes';
import type { DeliveryLane } from '../../src/cli/outputs';

/** A lane as the outputs describe it, named `name`, in us-east-1. */
export function lane(name: string): DeliveryLane {
  return {
    name,
    queueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/lane-${name}`,
    queueArn: `arn:aws:sqs:us-east-1:123456789012:lane-${name}`,
    deadLetterQueueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/lane-${name}-dlq`,
    deadLetterQueueArn: `arn:aws:sqs:us-east-1:123456789012:lane-${name}-dlq`,
    eventSourceMappingUuid: `uuid-${name}`,
  };
}

/** The `delivery_lanes` output's value for these lanes. */
export function lanesOutput(...lanes: DeliveryLane[]): Record<string, unknown> {
  return Object.fromEntries(
    lanes.map((l) => [
      l.name,
      {
        queue_url: l.queueUrl,
        queue_arn: l.queueArn,
        dead_letter_queue_url: l.deadLetterQueueUrl,
        dead_letter_queue_arn: l.deadLetterQueueArn,
        event_source_mapping_uuid: l.eventSourceMappingUuid,
      },
    ]),
  );
}

export interface FakeLaneApi extends LaneApi {
  /** Mapping UUID → the States it reports, one per read; the last one repeats. */
  readonly states: Map<string, string[]>;
  /** Queue URL → counts. */
  readonly queues: Map<string, QueueCounts>;
  readonly updates: Array<{ uuid: string; enabled: boolean }>;
  closed: number;
}

export const counts = (visible: number, inFlight = 0, delayed = 0, retentionSeconds = 345_600): QueueCounts => ({
  visible,
  inFlight,
  delayed,
  retentionSeconds,
});

/**
 * An in-memory Lambda and SQS: reads pop each mapping's scripted States; an update without a
 * script settles at once (Enabled / Disabled), as moto does.
 */
export function fakeLaneApi(
  options: { states?: Record<string, string[]>; queues?: Record<string, QueueCounts>; afterUpdate?: string[] } = {},
): FakeLaneApi {
  const states = new Map(Object.entries(options.states ?? {}).map(([uuid, list]) => [uuid, [...list]]));
  const queues = new Map(Object.entries(options.queues ?? {}));
  const read = (uuid: string): string => {
    const list = states.get(uuid);
    if (!list || list.length === 0) throw Object.assign(new Error(`mapping ${uuid} not found`), { name: 'ResourceNotFoundException' });
    return list.length > 1 ? list.shift()! : list[0];
  };
  const api: FakeLaneApi = {
    states,
    queues,
    updates: [],
    closed: 0,
    mappingState: async (uuid) => read(uuid),
    setMappingEnabled: async (uuid, enabled) => {
      api.updates.push({ uuid, enabled });
      const next = options.afterUpdate ? [...options.afterUpdate] : [enabled ? 'Enabled' : 'Disabled'];
      states.set(uuid, next);
      return enabled ? 'Enabling' : 'Disabling';
    },
    queueCounts: async (url) => queues.get(url) ?? counts(0),
    close: () => {
      api.closed += 1;
    },
  };
  return api;
}
