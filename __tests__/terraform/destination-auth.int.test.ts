/**
 * delivery_destinations' timeout_seconds and auth against the real terraform binary: what the
 * handlers receive (only the credential's parameter name, never a value), and bad input refused
 * at plan time with the variable's own error message.
 */
import { synthToDirectory } from '../support/stack';
import {
  copyStack,
  describeIfTerraform,
  plannedResources,
  TerraformRunner,
  writeCliConfig,
  writeOfflineOverride,
} from '../support/terraform';

jest.setTimeout(600_000);

const PREFIX = '/webhook-pipeline/dev/delivery/destinations';

describeIfTerraform('delivery_destinations: timeout_seconds and auth at plan time', (mirror) => {
  let tf: TerraformRunner;

  beforeAll(async () => {
    const dir = copyStack(synthToDirectory(), 'webhook-tf-auth-');
    writeOfflineOverride(dir);
    tf = new TerraformRunner(dir, writeCliConfig(dir, mirror));
    await tf.init();
  });

  test('each destination carries its timeout and its credential’s description and parameter name, nulls left out', async () => {
    const vars = {
      delivery_destinations: `{
        plain = { url = "https://plain.example" },
        crm = { url = "https://crm.example/in", timeout_seconds = 20, auth = { type = "oauth2", token_url = "https://id.example/oauth/token", client_id = "pipeline", scope = "events:write" } },
        keyed = { url = "https://keyed.example", auth = { type = "header", name = "X-Api-Key" } },
        basic = { url = "https://basic.example", auth = { type = "basic" } }
      }`,
    };
    const json = (await tf.evaluate('local.delivery_destinations', vars)) as string;
    expect(JSON.parse(json)).toEqual({
      plain: { url: 'https://plain.example', secretParameter: `${PREFIX}/plain`, sources: null, eventTypes: null },
      crm: {
        url: 'https://crm.example/in',
        secretParameter: `${PREFIX}/crm`,
        sources: null,
        eventTypes: null,
        timeoutSeconds: 20,
        auth: {
          type: 'oauth2',
          tokenUrl: 'https://id.example/oauth/token',
          clientId: 'pipeline',
          scope: 'events:write',
          parameter: `${PREFIX}/crm/auth`,
        },
      },
      keyed: {
        url: 'https://keyed.example',
        secretParameter: `${PREFIX}/keyed`,
        sources: null,
        eventTypes: null,
        auth: { type: 'header', name: 'X-Api-Key', parameter: `${PREFIX}/keyed/auth` },
      },
      basic: {
        url: 'https://basic.example',
        secretParameter: `${PREFIX}/basic`,
        sources: null,
        eventTypes: null,
        auth: { type: 'basic', parameter: `${PREFIX}/basic/auth` },
      },
    });
    // A destination without the new fields is byte for byte what it was.
    expect(json).toContain(`"plain":{"eventTypes":null,"secretParameter":"${PREFIX}/plain","sources":null,"url":"https://plain.example"}`);
  });

  test.each<[string, string, string]>([
    [
      'a 45 s timeout',
      '{ crm = { url = "https://a.example", timeout_seconds = 45 } }',
      'timeout_seconds must be a whole number of seconds from 1 to 30',
    ],
    ['a 2.5 s timeout', '{ crm = { url = "https://a.example", timeout_seconds = 2.5 } }', 'timeout_seconds must be a whole number'],
    [
      'an unknown auth type',
      '{ crm = { url = "https://a.example", auth = { type = "digest" } } }',
      'auth.type must be one of header, basic, oauth2',
    ],
    [
      'oauth2 without token_url',
      '{ crm = { url = "https://a.example", auth = { type = "oauth2", client_id = "c" } } }',
      'auth.token_url is for type "oauth2" only, and required there',
    ],
    [
      'oauth2 with an http token_url',
      '{ crm = { url = "https://a.example", auth = { type = "oauth2", token_url = "http://id.example/token", client_id = "c" } } }',
      'an https:// URL',
    ],
    [
      'oauth2 without client_id',
      '{ crm = { url = "https://a.example", auth = { type = "oauth2", token_url = "https://id.example/t" } } }',
      'client_id is required there',
    ],
    [
      'a header without a name',
      '{ crm = { url = "https://a.example", auth = { type = "header" } } }',
      'auth.name is for type "header" only, and required there',
    ],
    [
      'a header the dispatcher signs',
      '{ crm = { url = "https://a.example", auth = { type = "header", name = "Webhook-Signature" } } }',
      'other than content-type',
    ],
    [
      'a header under x-webhook-',
      '{ crm = { url = "https://a.example", auth = { type = "header", name = "X-Webhook-Key" } } }',
      'x-webhook-*',
    ],
    [
      'basic with a token_url',
      '{ crm = { url = "https://a.example", auth = { type = "basic", token_url = "https://id.example/t" } } }',
      'auth.token_url is for type "oauth2" only',
    ],
  ])('%s fails the plan with delivery_destinations’ message', async (_case, destinations, message) => {
    const output = (await tf.planFailure({ delivery_destinations: destinations })).replace(/[│\s]+/g, ' ');
    expect(output).toContain('Invalid value for variable');
    expect(output).toContain('var.delivery_destinations');
    expect(output).toContain(message);
  });

  test("a timeout beyond 40 % of the dispatcher's fails the plan; a longer dispatcher timeout makes room for it", async () => {
    const destinations = '{ crm = { url = "https://a.example", timeout_seconds = 30 } }';
    const output = (await tf.planFailure({ delivery_destinations: destinations })).replace(/[│\s]+/g, ' ');
    expect(output).toContain('Resource precondition failed');
    expect(output).toContain("timeout_seconds must be at most 40 % of the dispatcher's function timeout");
    const plan = await tf.plan({ delivery_destinations: destinations, function_timeouts: '{ dispatcher = 75 }' }, 'roomy.tfplan');
    const dispatcher = plannedResources(plan, 'aws_lambda_function').find((f) => f.values.function_name === 'webhook-dispatcher-dev')!;
    expect(dispatcher.values.timeout).toBe(75);
  });
});
