import { FORWARDED_HEADERS, INGEST_ATTRIBUTE, MAX_MESSAGE_ATTRIBUTES } from '../contract';

/**
 * The API Gateway request mapping template (Velocity) that turns `POST /webhooks/{source}` into an
 * SQS `SendMessage` call: the raw body unchanged, then the `source` path parameter and the request
 * id, then each allow-listed header that is present, up to SQS's 10 message attributes.
 *
 * Written as one line on purpose: the output is a form-encoded body, where a stray newline from
 * template indentation would corrupt the parameter that follows it.
 */
export function ingestRequestTemplate(): string {
  const attribute = (index: string, name: string, value: string) =>
    `&MessageAttribute.${index}.Name=${name}` +
    `&MessageAttribute.${index}.Value.DataType=String` +
    `&MessageAttribute.${index}.Value.StringValue=$util.urlEncode(${value})`;
  const headerList = FORWARDED_HEADERS.map((h) => `"${h}"`).join(',');

  return [
    'Action=SendMessage',
    '&MessageBody=$util.urlEncode($input.body)',
    attribute('1', INGEST_ATTRIBUTE.source, "$input.params().path.get('source')"),
    attribute('2', INGEST_ATTRIBUTE.requestId, '$context.requestId'),
    '#set($n = 2)',
    '#set($headers = $input.params().header)',
    // Header names arrive in the caller's casing; compare lower-cased, emit the canonical name.
    `#foreach($name in [${headerList}])`,
    '#foreach($key in $headers.keySet())',
    `#if($n < ${MAX_MESSAGE_ATTRIBUTES} && $key.toLowerCase() == $name && $headers.get($key) != "")`,
    '#set($n = $n + 1)',
    // ${n}: the formal reference, or Velocity would read `$n.Name` as a property of $n.
    attribute('${n}', '$name', '$headers.get($key)'),
    '#end',
    '#end',
    '#end',
  ].join('');
}

/** Integration response for a stored message: 202 with SQS's message id. */
export const ACCEPTED_RESPONSE_TEMPLATE =
  '{"messageId":"$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')","requestId":"$context.requestId"}';

export const REJECTED_RESPONSE_TEMPLATE =
  '{"message":"The queue rejected the webhook (too large, empty or malformed).","requestId":"$context.requestId"}';

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
