/**
 * `destinations[*].timeoutSeconds` and `.auth` in the construct: what the handlers receive (only a
 * credential's description and parameter name), how many bytes of Lambda's 4 KB environment that
 * costs, the props refused before anything is built, and the plan-time check left to Terraform.
 */
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { bundleHandler } from '../../../src/bundling/bundle-handler';
import { maxDestinationTimeoutSeconds } from '../../../src/config/delivery';
import { WebhookPipeline, type WebhookPipelineProps } from '../../../src/webhook-pipeline';
import { bareStack, resourcesOfType } from '../../support/construct';
import { PipelineVariables } from '../../../stacks/pipeline-variables';

const bundle = (name: string) => bundleHandler(name);
const build = (props: WebhookPipelineProps = {}, stack = bareStack()) => {
  // The policy check is another suite's subject; here it would only couple these cases to it.
  const pipeline = new WebhookPipeline(stack, 'hooks', { bundle, policyCheck: false, ...props });
  return { stack, pipeline, raw: Testing.synth(stack) };
};
const dispatcherOf = (raw: string) =>
  resourcesOfType(JSON.parse(raw), 'aws_lambda_function').find((f) => f.function_name === 'webhook-dispatcher-dev');
const PREFIX = '/webhook-pipeline/dev/delivery/destinations';

const DESTINATIONS: WebhookPipelineProps['destinations'] = {
  crm: {
    url: 'https://crm.example.com/webhooks/inbound',
    timeoutSeconds: 20,
    auth: { type: 'oauth2', tokenUrl: 'https://login.example.com/oauth2/token', clientId: 'webhook-pipeline-prod', scope: 'events:write' },
  },
  keyed: { url: 'https://keyed.example.com/in', auth: { type: 'header', name: 'X-Api-Key' } },
  basic: { url: 'https://basic.example.com/in', auth: { type: 'basic' } },
  plain: { url: 'https://plain.example.com/in' },
};

describe('destinations with a timeout and credentials', () => {
  const { raw } = build({ destinations: DESTINATIONS, deliveryUrl: 'https://legacy.example/hook' });
  const env = dispatcherOf(raw).environment.variables;
  const destinations = JSON.parse(env.DELIVERY_DESTINATIONS);

  test('DELIVERY_DESTINATIONS carries the auth type, header name, token URL, client id, scope and the parameter name', () => {
    expect(destinations.crm).toEqual({
      url: 'https://crm.example.com/webhooks/inbound',
      secretParameter: `${PREFIX}/crm`,
      sources: null,
      eventTypes: null,
      timeoutSeconds: 20,
      auth: {
        type: 'oauth2',
        tokenUrl: 'https://login.example.com/oauth2/token',
        clientId: 'webhook-pipeline-prod',
        scope: 'events:write',
        parameter: `${PREFIX}/crm/auth`,
      },
    });
    expect(destinations.keyed.auth).toEqual({ type: 'header', name: 'X-Api-Key', parameter: `${PREFIX}/keyed/auth` });
    expect(destinations.basic.auth).toEqual({ type: 'basic', parameter: `${PREFIX}/basic/auth` });
    // A destination without the new fields, and deliveryUrl's, are what they were.
    expect(destinations.plain).toStrictEqual({
      url: 'https://plain.example.com/in',
      secretParameter: `${PREFIX}/plain`,
      sources: null,
      eventTypes: null,
    });
    expect(destinations.default).toStrictEqual({
      url: 'https://legacy.example/hook',
      secretParameter: '/webhook-pipeline/dev/delivery/signing-secret',
      sources: null,
      eventTypes: null,
    });
  });

  test('no credential reaches the synthesized JSON: no SSM parameter resource, only parameter names, and the dispatcher may read them', () => {
    const json = JSON.parse(raw);
    expect(json.resource.aws_ssm_parameter).toBeUndefined();
    for (const name of ['crm', 'keyed', 'basic']) expect(raw).toContain(`${PREFIX}/${name}/auth`);
    expect(raw).not.toMatch(/client_?secret|password|access_token/i);
    const authKeys = Object.values<any>(destinations).flatMap((d) => Object.keys(d.auth ?? {}));
    expect(new Set(authKeys)).toEqual(new Set(['type', 'name', 'tokenUrl', 'clientId', 'scope', 'parameter']));
    // The dispatcher's grant already covers <secretsPath>/delivery/*, so <name>/auth too.
    const policies = resourcesOfType(json, 'aws_iam_role_policy').map((p) => p.policy as string);
    expect(policies.some((p) => p.includes('ssm:GetParameter') && p.includes('parameter/webhook-pipeline/dev/delivery/*'))).toBe(true);
  });

  test('the stack variable takes a credential’s description, never a value', () => {
    const stack = new TerraformStack(Testing.app(), 'vars');
    new PipelineVariables(stack, 'vars');
    const type: string = JSON.parse(Testing.synth(stack)).variable.delivery_destinations.type;
    expect(type).toContain(
      'timeout_seconds = optional(number), max_in_flight = optional(number), retry_schedule = optional(list(number)), auth = optional(object({ type = string, name = optional(string), token_url = optional(string), client_id = optional(string), scope = optional(string) }))',
    );
    expect(type).not.toMatch(/secret|password|value|credential/);
  });

  test('bytes of Lambda’s 4 KB environment: about 150 per plain destination, 245-380 with credentials', () => {
    const bytes = (name: string) => JSON.stringify({ [name]: destinations[name] }).length - 2;
    // With the default secrets path and URLs of about 30 characters (docs: the 4 KB estimate).
    expect(bytes('plain')).toBeLessThanOrEqual(150);
    expect(bytes('basic')).toBeLessThanOrEqual(245);
    expect(bytes('keyed')).toBeLessThanOrEqual(265);
    expect(bytes('crm')).toBeLessThanOrEqual(380);
    const total = Object.entries(env).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    expect(total).toBeLessThan(4096);
  });
});

describe('destination timeouts and the dispatcher timeout', () => {
  test('at most 40 % of the dispatcher timeout, capped at 30 s', () => {
    expect(maxDestinationTimeoutSeconds(60)).toBe(24);
    expect(maxDestinationTimeoutSeconds(75)).toBe(30);
    expect(maxDestinationTimeoutSeconds(900)).toBe(30);
    expect(maxDestinationTimeoutSeconds(2)).toBe(0);
  });

  test('a 30 s destination timeout fits a 75 s dispatcher', () => {
    const { raw } = build({ destinations: { crm: { url: 'https://a.example', timeoutSeconds: 30 } }, dispatcher: { timeoutSeconds: 75 } });
    expect(JSON.parse(dispatcherOf(raw).environment.variables.DELIVERY_DESTINATIONS).crm.timeoutSeconds).toBe(30);
    expect(dispatcherOf(raw).lifecycle).toBeUndefined();
  });

  test('plan-time values are checked by a precondition on the dispatcher', () => {
    const stack = bareStack();
    const timeout = new TerraformVariable(stack, 'dispatcher_timeout', { type: 'number' });
    const perAttempt = new TerraformVariable(stack, 'crm_timeout', { type: 'number' });
    const { raw } = build(
      {
        destinations: { crm: { url: 'https://a.example', timeoutSeconds: perAttempt.numberValue } },
        dispatcher: { timeoutSeconds: timeout.numberValue },
      },
      stack,
    );
    const dispatcher = dispatcherOf(raw);
    expect(dispatcher.lifecycle.precondition[0].condition).toMatch(
      /^\$\{alltrue\(\[ for key, val in .*: try\(val\.timeoutSeconds, null\) == null \? true : \(val\.timeoutSeconds <= min\(30, floor\(\(var\.dispatcher_timeout \* 0\.4\)\)\)\)\]\)\}$/,
    );
    expect(dispatcher.lifecycle.precondition[0].condition).toContain('var.crm_timeout');
    // A plan-time timeout in a plain record: Terraform builds the JSON, every attribute present.
    expect(Object.values(JSON.parse(raw).locals).join(' ')).toContain('"timeoutSeconds" = var.crm_timeout');
    // With no destination timeout at all, there is nothing to check.
    const other = bareStack();
    const t = new TerraformVariable(other, 'dispatcher_timeout', { type: 'number' });
    expect(
      dispatcherOf(build({ destinations: { crm: { url: 'https://a.example' } }, dispatcher: { timeoutSeconds: t.numberValue } }, other).raw)
        .lifecycle,
    ).toBeUndefined();
  });

  test('a token map of destinations written before these fields still synthesizes and is checked', () => {
    const stack = bareStack();
    const map = new TerraformVariable(stack, 'legacy_destinations', {
      type: 'map(object({ url = string, sources = list(string), eventTypes = list(string) }))',
    });
    const { raw } = build({ destinations: map.value }, stack);
    const dispatcher = dispatcherOf(raw);
    expect(JSON.stringify(JSON.parse(raw).locals)).toContain('try(val.auth, null) == null');
    expect(dispatcher.lifecycle.precondition[0].condition).toContain('var.legacy_destinations');
  });
});

describe('bad timeouts and credentials are refused, naming the prop and showing the value', () => {
  const crm = (extra: object): WebhookPipelineProps => ({ destinations: { crm: { url: 'https://a.example', ...extra } as never } });
  test.each<[string, WebhookPipelineProps, string]>([
    [
      'a 45 s timeout',
      crm({ timeoutSeconds: 45 }),
      'WebhookPipeline: destinations.crm.timeoutSeconds must be a whole number of seconds from 1 to 30, got 45',
    ],
    ['a 0 s timeout', crm({ timeoutSeconds: 0 }), 'destinations.crm.timeoutSeconds must be a whole number of seconds from 1 to 30, got 0'],
    ['a fractional timeout', crm({ timeoutSeconds: 2.5 }), 'got 2.5'],
    [
      'a timeout beyond 40 % of the dispatcher’s',
      crm({ timeoutSeconds: 25 }),
      "destinations.crm.timeoutSeconds must be at most 24, 40 % of the dispatcher's 60 s timeout (two rounds of attempts must fit in 80 % of it; raise dispatcher.timeoutSeconds to at least 63), got 25",
    ],
    [
      'an unknown auth type',
      crm({ auth: { type: 'digest' } }),
      'destinations.crm.auth.type must be one of header, basic, oauth2, got "digest"',
    ],
    ['an auth that is a string', crm({ auth: 'basic' }), 'destinations.crm.auth.type must be one of header, basic, oauth2, got "basic"'],
    [
      'a header the dispatcher signs',
      crm({ auth: { type: 'header', name: 'webhook-signature' } }),
      'destinations.crm.auth.name must be a header name',
    ],
    ['a header without a name', crm({ auth: { type: 'header' } }), 'destinations.crm.auth.name must be a header name (letters, digits and'],
    [
      'an x-webhook- header',
      crm({ auth: { type: 'header', name: 'X-Webhook-Token' } }),
      'and x-webhook-*, which the dispatcher sets, got "X-Webhook-Token"',
    ],
    [
      'an http token URL',
      crm({ auth: { type: 'oauth2', tokenUrl: 'http://id.example/t', clientId: 'c' } }),
      'destinations.crm.auth.tokenUrl must be an https:// URL, got "http://id.example/t"',
    ],
    [
      'oauth2 without a token URL',
      crm({ auth: { type: 'oauth2', clientId: 'c' } }),
      'destinations.crm.auth.tokenUrl must be an https:// URL, got null',
    ],
    [
      'oauth2 without a client id',
      crm({ auth: { type: 'oauth2', tokenUrl: 'https://id.example/t' } }),
      'destinations.crm.auth.clientId must be 1-256 printable ASCII',
    ],
    [
      'a quoted scope',
      crm({ auth: { type: 'oauth2', tokenUrl: 'https://id.example/t', clientId: 'c', scope: 'a"b' } }),
      'destinations.crm.auth.scope must be',
    ],
    [
      'basic with a name',
      crm({ auth: { type: 'basic', name: 'X-Key' } }),
      'destinations.crm.auth.name does not apply to auth type "basic"',
    ],
  ])('%s', (_case, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('a 30 s timeout with the default dispatcher names the timeout it needs', () => {
    expect(() => build(crm({ timeoutSeconds: 30 }))).toThrow('raise dispatcher.timeoutSeconds to at least 75), got 30');
  });
});
