/**
 * Renders API Gateway mapping templates with velocityjs and a small shim of API Gateway's
 * Velocity context, so tests see exactly what the integration would send to SQS.
 *
 * The shim covers what our templates use, with API Gateway's semantics:
 * - `$input.body`: the raw request body string.
 * - `$input.params().path.get(name)` / `$input.params().header`: a map with `keySet()` and `get()`;
 *   header names keep the caller's casing, as in API Gateway.
 * - `$input.path(jsonPath)`: only `$.a.b.c` paths into the JSON body (enough for responses).
 * - `$util.urlEncode(s)`: Java's `URLEncoder.encode(s, "UTF-8")` (space → `+`, `*` kept, `~` encoded).
 * - `$context.requestId`.
 */
import { render } from 'velocityjs';

export interface ApiRequest {
  readonly body: string;
  readonly pathParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly requestId?: string;
}

/** Java URLEncoder: unreserved are A-Z a-z 0-9 . - * _ ; space becomes '+'. */
export function javaUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

const javaMap = (record: Record<string, string>) => ({
  keySet: () => Object.keys(record),
  get: (key: string) => record[key],
});

function jsonPath(body: string, expression: string): unknown {
  if (!/^\$(\.[A-Za-z_][\w]*)*$/.test(expression)) throw new Error(`shim supports only $.a.b paths, got ${expression}`);
  return expression
    .split('.')
    .slice(1)
    .reduce<any>((node, key) => (node == null ? undefined : node[key]), JSON.parse(body));
}

export function renderMappingTemplate(template: string, request: ApiRequest): string {
  const context = {
    input: {
      body: request.body,
      params: () => ({ path: javaMap(request.pathParameters ?? {}), header: javaMap(request.headers ?? {}), querystring: javaMap({}) }),
      path: (expression: string) => jsonPath(request.body, expression),
    },
    util: { urlEncode: javaUrlEncode },
    context: { requestId: request.requestId ?? 'test-request-id' },
  };
  return render(template, context);
}

export interface SendMessageForm {
  readonly action: string | null;
  readonly messageBody: string | null;
  /** Attributes in index order: name → string value. */
  readonly attributes: Array<{ index: number; name: string; dataType: string; value: string }>;
}

/** Parses the form-encoded SendMessage request the template produced, as SQS would. */
export function parseSendMessageForm(form: string): SendMessageForm {
  const params = new URLSearchParams(form);
  const indexes = new Set<number>();
  for (const key of params.keys()) {
    const match = /^MessageAttribute\.(\d+)\./.exec(key);
    if (match) indexes.add(Number(match[1]));
  }
  return {
    action: params.get('Action'),
    messageBody: params.get('MessageBody'),
    attributes: [...indexes]
      .sort((a, b) => a - b)
      .map((index) => ({
        index,
        name: params.get(`MessageAttribute.${index}.Name`) ?? '',
        dataType: params.get(`MessageAttribute.${index}.Value.DataType`) ?? '',
        value: params.get(`MessageAttribute.${index}.Value.StringValue`) ?? '',
      })),
  };
}
