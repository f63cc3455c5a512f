import { INGEST_ATTRIBUTE, MAX_MESSAGE_ATTRIBUTES, SCHEME_HEADERS } from '../contract';

export interface IngestTemplateOptions {
  /**
   * The configured sources, source name → signature scheme, as the text of a JSON object (e.g.
   * `{"github":"github","billing":"stripe"}`), which is also a Velocity map literal. Spliced into
   * the template exactly as given, so it may be a Terraform `${jsonencode(…)}` expression: then
   * escape the rest of the template for Terraform, not this text. Source names are plain
   * (`^[a-z0-9][a-z0-9_-]{0,63}$`), so no `"`, `$` or `#` reaches Velocity's string literals.
   */
  readonly sourceSchemes: string;
  /**
   * The headers forwarded for each scheme, in priority order.
   * @default SCHEME_HEADERS
   */
  readonly schemeHeaders?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The request sent for an unknown source: a `SendMessage` with a `DelaySeconds` beyond SQS's 900,
 * which SQS refuses (400 `InvalidParameterValue`) before storing anything. An invalid `DelaySeconds`
 * is refused the same way by SQS and by moto, so the local suites exercise the real 4xx path.
 */
export const UNKNOWN_SOURCE_REQUEST = 'Action=SendMessage&MessageBody=unknown-source&DelaySeconds=901';

/**
 * The API Gateway request mapping template (Velocity) that turns `POST /webhooks/{source}` into an
 * SQS `SendMessage` call: the raw body unchanged, then the `source` path parameter and the request
 * id, then each header of the source's scheme ({@link SCHEME_HEADERS}) that is present, in the
 * scheme's order, up to SQS's 10 message attributes.
 *
 * A source that is not a key of `sourceSchemes` is stopped here: the template sends
 * {@link UNKNOWN_SOURCE_REQUEST}, which SQS refuses (400 `InvalidParameterValue`) without storing
 * anything, so the caller gets API Gateway's 4xx answer ({@link REJECTED_RESPONSE_TEMPLATE}) and
 * nothing reaches the queue.
 *
 * What the template relies on in API Gateway (Velocity 1.7, which `__tests__/support/velocity.ts`
 * emulates):
 * - JSON objects and arrays are Velocity map and list literals; a map literal is a `java.util.Map`,
 *   whose `containsKey` and `get` match keys exactly (case-sensitively).
 * - `$input.params().header` is a map of the request's headers by name, in the caller's casing;
 *   `$input.params().path.get('source')` is the `{source}` segment.
 * - Only `$source` may be set to null (no `{source}`, which the route never lets through): Velocity
 *   1.7 then keeps the variable's old value, which is none, since it is set once. Every other `#set`
 *   gets a value. No text stands between directives, so no template whitespace reaches the output.
 * - SQS answers a `DelaySeconds` above 900 with 400 `InvalidParameterValue` (SQS API Reference,
 *   SendMessage), which the 4xx integration response (selection pattern `4\d{2}`) turns into the
 *   caller's 400; __tests__/bad-input/api.int.test.ts sends it to moto's SQS and sees the same.
 *
 * Written as one line on purpose: the output is a form-encoded body, where a stray newline from
 * template indentation would corrupt the parameter that follows it.
 */
export function ingestRequestTemplate(options: IngestTemplateOptions): string {
  const attribute = (index: string, name: string, value: string) =>
    `&MessageAttribute.${index}.Name=${name}` +
    `&MessageAttribute.${index}.Value.DataType=String` +
    `&MessageAttribute.${index}.Value.StringValue=$util.urlEncode(${value})`;
  // JSON of plain names: a Velocity map literal of list literals.
  const schemeHeaders = JSON.stringify(options.schemeHeaders ?? SCHEME_HEADERS);

  return [
    `#set($sources = ${options.sourceSchemes})`,
    `#set($schemeHeaders = ${schemeHeaders})`,
    "#set($source = $input.params().path.get('source'))",
    '#set($known = false)',
    // A known source whose scheme has a header list; anything else is rejected below.
    '#if($sources.containsKey($source) && $schemeHeaders.containsKey($sources.get($source)))',
    '#set($known = true)',
    '#end',
    '#if($known)',
    'Action=SendMessage',
    '&MessageBody=$util.urlEncode($input.body)',
    attribute('1', INGEST_ATTRIBUTE.source, '$source'),
    attribute('2', INGEST_ATTRIBUTE.requestId, '$context.requestId'),
    '#set($n = 2)',
    '#set($headers = $input.params().header)',
    '#foreach($name in $schemeHeaders.get($sources.get($source)))',
    // Header names arrive in the caller's casing; compare lower-cased, emit the canonical name,
    // once even if the caller sent it twice in different casings (SQS refuses repeated names).
    '#set($found = false)',
    '#foreach($key in $headers.keySet())',
    `#if(!$found && $n < ${MAX_MESSAGE_ATTRIBUTES} && $key.toLowerCase() == $name && $headers.get($key) != "")`,
    '#set($found = true)',
    '#set($n = $n + 1)',
    // ${n}: the formal reference, or Velocity would read `$n.Name` as a property of $n.
    attribute('${n}', '$name', '$headers.get($key)'),
    '#end',
    '#end',
    '#end',
    '#end',
    '#if(!$known)',
    UNKNOWN_SOURCE_REQUEST,
    '#end',
  ].join('');
}

/** Integration response for a stored message: 202 with SQS's message id. */
export const ACCEPTED_RESPONSE_TEMPLATE =
  '{"messageId":"$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')","requestId":"$context.requestId"}';

/** `1 MiB`, `256 KiB`, else the bytes: a size as the refusal text states it. */
export function formatBytes(bytes: number): string {
  if (bytes % 1_048_576 === 0) return `${bytes / 1_048_576} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Integration response for any 4xx from SQS: the request template's refusal of an unknown source
 * (SQS's `InvalidParameterValue`), or SQS refusing the message itself, whose limit (the ingest
 * queue's `max_message_size`) it states. Nothing was stored either way.
 */
export function rejectedResponseTemplate(maxMessageBytes: number): string {
  return `{"message":"The webhook was not stored: its source is not configured at this URL, or the queue rejected it (over ${formatBytes(maxMessageBytes)} with its headers, empty or malformed).","requestId":"$context.requestId"}`;
}

export const UNAVAILABLE_RESPONSE_TEMPLATE = '{"message":"The webhook was not stored; retry later.","requestId":"$context.requestId"}';

/** One JSON line per request in the access log. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  sourceIp: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  errorMessage: '$context.error.message',
  xrayTraceId: '$context.xrayTraceId',
});

/**
 * Terraform reads every string as a template: `${` and `%{` must be doubled to reach API Gateway
 * as written.
 */
export function escapeTerraformTemplate(text: string): string {
  // Replacer functions: in a replacement string `$$` would itself collapse to `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}
