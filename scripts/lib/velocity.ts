/**
 * Renders API Gateway mapping templates with velocityjs and a small shim of API Gateway's
 * Velocity context, so tests see exactly what the integration would send to SQS.
 *
 * The shim covers what our templates use, with API Gateway's semantics:
 * - `$input.body`: the raw request body string.
 * - `$input.params().path` / `$input.params().header`: Java maps (`keySet()`, `get()`,
 *   `containsKey()`); header names keep the caller's casing, as in API Gateway.
 * - `$input.path(jsonPath)`: only `$.a.b.c` paths into the JSON body (enough for responses).
 * - `$util.urlEncode(s)`: Java's `URLEncoder.encode(s, "UTF-8")` (space → `+`, `*` kept, `~` encoded).
 * - `$context.requestId`.
 *
 * Java's null is velocityjs's undefined (velocityjs renders a JS null as the text `null`, even in a
 * quiet reference), so an absent key's `get` returns undefined.
 *
 * And where velocityjs departs from Velocity 1.7 (API Gateway's engine) on what our templates use:
 * - A map literal (`{"k": "v"}`) is a `java.util.Map` in Velocity: `containsKey(k)` and `get(k)` are
 *   exact. velocityjs makes it a plain object without `containsKey`, whose `get` falls back to the
 *   key with its first letter's case flipped (`get("Github")` finds `github`) and to inherited
 *   properties (`toString`): {@link JAVA_MAP_LITERAL_METHODS} restores Java's behaviour.
 * - `#set($x = <null>)` leaves `$x` unchanged in Velocity 1.7 but sets it to undefined in
 *   velocityjs: templates must not depend on either, so this is not emulated.
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

const hasOwn = (record: object, key: unknown) => typeof key === 'string' && Object.prototype.hasOwnProperty.call(record, key);

const javaMap = (record: Record<string, string>) => ({
  keySet: () => Object.keys(record),
  get: (key: string) => (hasOwn(record, key) ? record[key] : undefined),
  containsKey: (key: string) => hasOwn(record, key),
});

/** A velocityjs map literal: a plain object (our shim's maps carry their own methods). */
const isMapLiteral = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype &&
  typeof (value as { get?: unknown }).get !== 'function';

interface MethodCall {
  readonly property: string;
  readonly params: readonly unknown[];
  readonly context: unknown;
}

/** `java.util.Map`'s `containsKey` and `get` on map literals, ahead of velocityjs's own handlers. */
export const JAVA_MAP_LITERAL_METHODS = [
  {
    uid: 'java-map-literal: containsKey',
    match: ({ property, context }: MethodCall) => property === 'containsKey' && isMapLiteral(context),
    resolve: ({ params, context }: MethodCall) => hasOwn(context as object, params[0]),
  },
  {
    uid: 'java-map-literal: get',
    match: ({ property, context }: MethodCall) => property === 'get' && isMapLiteral(context),
    resolve: ({ params, context }: MethodCall) =>
      hasOwn(context as object, params[0]) ? (context as Record<string, unknown>)[params[0] as string] : undefined,
  },
];

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
  return render(template, context, undefined, { customMethodHandlers: JAVA_MAP_LITERAL_METHODS });
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
