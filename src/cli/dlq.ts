/**
 * `dlq list` and `dlq redrive`: which dead-letter queues, what each message is (a delivery, an
 * envelope, a raw webhook), why it failed last, the filters, and the queue a redrive sends it to.
 */
import type { ArchivedAttempt } from '../history/archive-records';
import { webhookIdOf } from '../history/archive-records';
import { usageError } from './errors';
import type { Deployment, DeliveryLane } from './outputs';
import type { ReceivedMessage } from './queues';

export const STAGES = ['ingest', 'process', 'deliver'] as const;
export type Stage = (typeof STAGES)[number];

/** A dead-letter queue to read, and where its messages go back to. */
export interface DlqSource {
  /** `billing` for a lane, `ingest`/`process`/`deliver` for a stage. */
  readonly name: string;
  readonly kind: 'lane' | 'stage';
  readonly url: string;
  /** The queue its messages came from: the lane's queue, the stage's queue (unknown if the outputs lack it). */
  readonly sourceQueueUrl?: string;
  readonly stage?: Stage;
}

/** `lane billing`, `stage deliver`: a source in tables and summaries. */
export const sourceLabel = (source: DlqSource): string => `${source.kind === 'lane' ? 'lane' : 'stage'} ${source.name}`;

const outputString = (deployment: Deployment, name: string): string | undefined => {
  const value = deployment.outputs[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * The DLQs `--destination` and `--stage` name (all lanes' and stages' when `all` and neither is
 * given), one per queue URL.
 */
export function dlqSources(
  deployment: Deployment,
  lanes: readonly DeliveryLane[],
  options: { destinations?: readonly string[]; stages?: readonly string[]; all: boolean },
  laneNamed: (name: string) => DeliveryLane,
): DlqSource[] {
  const { destinations = [], stages = [] } = options;
  for (const stage of stages) {
    if (!(STAGES as readonly string[]).includes(stage)) throw usageError(`--stage "${stage}" is not a stage: use ${STAGES.join(', ')}`);
  }
  const none = destinations.length === 0 && stages.length === 0;
  if (none && !options.all) {
    throw usageError('name the DLQs to redrive: --destination NAME (a lane’s DLQ, repeatable) and/or --stage ingest|process|deliver');
  }
  const sources: DlqSource[] = [];
  for (const lane of none ? lanes : destinations.map(laneNamed)) {
    sources.push({ name: lane.name, kind: 'lane', url: lane.deadLetterQueueUrl, sourceQueueUrl: lane.queueUrl });
  }
  for (const stage of (none ? STAGES : stages) as Stage[]) {
    const url = outputString(deployment, `${stage}_dlq_url`);
    if (!url) {
      if (none) continue;
      throw usageError(
        `${deployment.origin} has no ${stage}_dlq_url output: these outputs are not a webhook-pipeline stack's, or are stale`,
      );
    }
    const sourceQueueUrl = outputString(deployment, `${stage}_queue_url`);
    sources.push({ name: stage, kind: 'stage', stage, url, ...(sourceQueueUrl ? { sourceQueueUrl } : {}) });
  }
  const seen = new Set<string>();
  return sources.filter((source) => !seen.has(source.url) && seen.add(source.url));
}

/** What a DLQ message is about, read from its body and attributes. */
export interface DlqMessageInfo {
  /** `delivery` (a DeliveryEvent: lane and deliver DLQs), `envelope` (process), `webhook` (ingest), or `unreadable`. */
  readonly kind: 'delivery' | 'envelope' | 'webhook' | 'unreadable';
  readonly source?: string;
  readonly deliveryId?: string;
  readonly webhookId?: string;
  readonly type?: string;
  readonly destination?: string;
  /** The `reason` attribute the dispatcher sets when it dead-letters a message itself. */
  readonly attributeReason?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function messageInfo(source: DlqSource, message: ReceivedMessage): DlqMessageInfo {
  const attributeReason = message.attributes.reason?.StringValue;
  const attributeDestination = message.attributes.destination?.StringValue;
  const extra = { ...(attributeReason ? { attributeReason } : {}) };
  if (source.stage === 'ingest') {
    const from = message.attributes.source?.StringValue;
    const id = message.attributes['webhook-id']?.StringValue;
    return { kind: 'webhook', ...(from ? { source: from } : {}), ...(id ? { deliveryId: id } : {}), ...extra };
  }
  let document: unknown;
  try {
    document = JSON.parse(message.body);
  } catch {
    return { kind: 'unreadable', ...extra };
  }
  if (!isRecord(document)) return { kind: 'unreadable', ...extra };
  if (source.stage === 'process') {
    const from = str(document.source);
    const id = str(document.deliveryId);
    return {
      kind: 'envelope',
      ...(from ? { source: from } : {}),
      ...(id ? { deliveryId: id } : {}),
      ...(from && id ? { webhookId: webhookIdOf(from, id) } : {}),
      ...(str(document.eventType) ? { type: str(document.eventType) } : {}),
      ...extra,
    };
  }
  const from = str(document.source);
  const id = str(document.id);
  const destination = str(document.destination) ?? attributeDestination ?? (source.kind === 'lane' ? source.name : undefined);
  const webhookId = str(document.webhookId) ?? (from && id ? webhookIdOf(from, id) : undefined);
  return {
    kind: 'delivery',
    ...(from ? { source: from } : {}),
    ...(id ? { deliveryId: id } : {}),
    ...(webhookId ? { webhookId } : {}),
    ...(str(document.type) !== undefined ? { type: str(document.type) } : {}),
    ...(destination ? { destination } : {}),
    ...extra,
  };
}

/** Why a message failed last: the archive's latest attempt for its webhook and destination, else the attribute. */
export interface LastFailure {
  readonly status: number | null;
  readonly reason: string | null;
  readonly attempt?: ArchivedAttempt;
}

/** The latest attempt per `<source>:<delivery id>` and destination. */
export function latestAttempts(attempts: readonly ArchivedAttempt[]): Map<string, ArchivedAttempt> {
  const latest = new Map<string, ArchivedAttempt>();
  for (const attempt of attempts) {
    const key = `${webhookIdOf(attempt.source, attempt.delivery_id)}\u0000${attempt.destination}`;
    const current = latest.get(key);
    if (!current || attempt.at > current.at || (attempt.at === current.at && attempt.attempt > current.attempt)) latest.set(key, attempt);
  }
  return latest;
}

const ATTRIBUTE_STATUS: Readonly<Record<string, number>> = { 'destination-gone': 410 };

export function lastFailure(info: DlqMessageInfo, latest: ReadonlyMap<string, ArchivedAttempt>): LastFailure | undefined {
  if (info.kind === 'delivery' && info.source && info.deliveryId && info.destination) {
    const attempt = latest.get(`${webhookIdOf(info.source, info.deliveryId)}\u0000${info.destination}`);
    if (attempt) return { status: attempt.status, reason: attempt.reason ?? attempt.outcome, attempt };
  }
  if (info.attributeReason) return { status: ATTRIBUTE_STATUS[info.attributeReason] ?? null, reason: info.attributeReason };
  return undefined;
}

/** `--status`: a class (`5xx`), a code (`503`), or `timeout`/`network` (reasons with no status). */
export type StatusFilter =
  | { readonly kind: 'class'; readonly digit: number }
  | { readonly kind: 'code'; readonly code: number }
  | { readonly kind: 'reason'; readonly reason: string };

export function parseStatusFilters(values: readonly string[] | undefined): StatusFilter[] | undefined {
  const list = (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim().toLowerCase())
    .filter(Boolean);
  if (list.length === 0) return undefined;
  return list.map((value): StatusFilter => {
    if (/^[1-5]xx$/.test(value)) return { kind: 'class', digit: Number(value[0]) };
    if (/^[1-5]\d\d$/.test(value)) return { kind: 'code', code: Number(value) };
    if (value === 'timeout' || value === 'network') return { kind: 'reason', reason: value };
    throw usageError(`--status "${value}" is not a failure status: use a class (5xx, 4xx), a code (503), timeout or network`);
  });
}

export function matchesStatus(failure: LastFailure | undefined, filters: readonly StatusFilter[]): boolean {
  if (!failure) return false;
  return filters.some((filter) => {
    if (filter.kind === 'reason') return failure.reason === filter.reason || (failure.reason ?? '').startsWith(`${filter.reason}-`);
    if (failure.status === null) return false;
    return filter.kind === 'code' ? failure.status === filter.code : Math.floor(failure.status / 100) === filter.digit;
  });
}

export interface DlqFilters {
  readonly statuses?: readonly StatusFilter[];
  readonly reasons?: readonly string[];
  readonly since?: Date;
  readonly until?: Date;
}

export function matchesDlqMessage(message: ReceivedMessage, failure: LastFailure | undefined, filters: DlqFilters): boolean {
  if (filters.since && message.sentAt < filters.since.getTime()) return false;
  if (filters.until && message.sentAt > filters.until.getTime()) return false;
  if (filters.statuses?.length && !matchesStatus(failure, filters.statuses)) return false;
  if (filters.reasons?.length && !filters.reasons.includes(failure?.reason ?? '')) return false;
  return true;
}

/**
 * Where a redrive sends a message: a lane's DLQ to that lane's queue; the deliver DLQ to the lane of
 * the message's destination if there is one, else the deliver queue; process and ingest to their
 * queue. Undefined when the outputs lack the queue.
 */
export function redriveTarget(source: DlqSource, info: DlqMessageInfo, lanes: readonly DeliveryLane[]): string | undefined {
  if (source.kind === 'lane') return source.sourceQueueUrl;
  if (source.stage === 'deliver' && info.destination) {
    const lane = lanes.find((candidate) => candidate.name === info.destination);
    if (lane) return lane.queueUrl;
  }
  return source.sourceQueueUrl;
}
