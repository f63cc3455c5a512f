import { type FunctionName, HANDLER_ENV, METRICS_NAMESPACE } from '../src/contract';

/**
 * The environment the stack gives each function (src/webhook-pipeline.ts), for whichever
 * generation of the handlers is being measured: 0.2 (commit a0f8222) reads DELIVERY_URL and
 * DELIVERY_SECRET_PARAMETER; its successor reads DELIVERY_DESTINATIONS, DELIVERY_RETRY_SCHEDULE,
 * SOURCE_QUEUE_URL and DEAD_LETTER_QUEUE_URL (src/contract.ts). Both sets are set, to the same
 * destination, so one harness drives either; each generation ignores the other's variables.
 * The event archive's streams (ARCHIVE_WEBHOOK_STREAM, ARCHIVE_ATTEMPT_STREAM) go to the processor
 * and the dispatcher, empty (archive off, as with `history_retention_days = 0`) when none are given;
 * handlers from before the archive ignore them.
 */

/** The 0.2 names, gone from HANDLER_ENV since; the baseline's dispatcher reads them. */
const LEGACY_ENV = { deliveryUrl: 'DELIVERY_URL', deliverySecretParameter: 'DELIVERY_SECRET_PARAMETER' } as const;

/** The stack's default schedule (DEFAULT_DELIVERY_RETRY_SCHEDULE), as the stack renders it. */
const RETRY_SCHEDULE = '[5,300,1800,7200,18000,36000,36000]';

export interface PipelineEndpoints {
  readonly ingestQueueUrl: string;
  readonly processQueueUrl: string;
  readonly deliverQueueUrl: string;
  /** Each queue's dead-letter queue, by the queue it serves. */
  readonly deadLetterQueueUrls: Readonly<Record<FunctionName, string>>;
  /** Where the dispatcher POSTs. */
  readonly deliveryUrl: string;
}

export interface PipelineSettings {
  /** Source name → scheme, as WEBHOOK_SOURCES. */
  readonly sources: Readonly<Record<string, string>>;
  readonly sourceSecretsPath: string;
  readonly deliverySecretParameter: string;
  readonly idempotencyTable: string;
  readonly deliveryTimeoutMs: number;
  /** The Firehose streams of the event archive, by kind of line; absent: the archive is off. */
  readonly archiveStreams?: { readonly webhook: string; readonly attempt: string };
}

export function pipelineEnv(name: FunctionName, endpoints: PipelineEndpoints, settings: PipelineSettings): Record<string, string> {
  const sourceQueue: Record<FunctionName, string> = {
    validator: endpoints.ingestQueueUrl,
    processor: endpoints.processQueueUrl,
    dispatcher: endpoints.deliverQueueUrl,
  };
  const destinations = JSON.stringify({ default: { url: endpoints.deliveryUrl, secretParameter: settings.deliverySecretParameter } });
  const common = {
    POWERTOOLS_SERVICE_NAME: `webhook-${name}`,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_TRACE_ENABLED: 'false', // no X-Ray daemon here; outside Lambda the Tracer is off anyway
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', // Lambda runs Node 22; this warning is Node 20's
    [HANDLER_ENV.sourceQueueUrl]: sourceQueue[name],
    [HANDLER_ENV.deadLetterQueueUrl]: endpoints.deadLetterQueueUrls[name],
  };
  const own: Record<FunctionName, Record<string, string>> = {
    validator: {
      [HANDLER_ENV.nextQueueUrl]: endpoints.processQueueUrl,
      [HANDLER_ENV.webhookSources]: JSON.stringify(
        Object.fromEntries(Object.entries(settings.sources).map(([source, scheme]) => [source, { scheme }])),
      ),
      [HANDLER_ENV.sourceSecretsPath]: settings.sourceSecretsPath,
      [HANDLER_ENV.stripeToleranceSeconds]: '300',
      [HANDLER_ENV.maxBodyBytes]: '262144',
    },
    processor: {
      [HANDLER_ENV.nextQueueUrl]: endpoints.deliverQueueUrl,
      [HANDLER_ENV.idempotencyTable]: settings.idempotencyTable,
      [HANDLER_ENV.idempotencyTtlSeconds]: '86400',
      [HANDLER_ENV.deliveryDestinations]: destinations,
      [HANDLER_ENV.archiveWebhookStream]: settings.archiveStreams?.webhook ?? '',
    },
    dispatcher: {
      [LEGACY_ENV.deliveryUrl]: endpoints.deliveryUrl,
      [LEGACY_ENV.deliverySecretParameter]: settings.deliverySecretParameter,
      [HANDLER_ENV.deliveryDestinations]: destinations,
      [HANDLER_ENV.deliveryRetrySchedule]: RETRY_SCHEDULE,
      [HANDLER_ENV.deliveryTimeoutMs]: String(settings.deliveryTimeoutMs),
      [HANDLER_ENV.archiveAttemptStream]: settings.archiveStreams?.attempt ?? '',
    },
  };
  return { ...common, ...own[name] };
}
