import { parse } from '@cdktf/hcl2json';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Fn, Testing, TerraformStack, TerraformVariable, Token } from 'cdktf';
import { escapeHclStrings, escapeHclTemplate, renderWithHclSafeStrings } from '../../../src/hcl/hcl-strings';
import { readSynthSettings } from '../../../src/config/settings';
import { buildStack } from '../../support/stack';

describe('escapeHclTemplate', () => {
  test.each<[string, string, string]>([
    ['plain text stays', 'webhook-ingest', 'webhook-ingest'],
    ['quotes in literal text are escaped', '{"a":"b"}', '{\\"a\\":\\"b\\"}'],
    ['backslashes in literal text are escaped', '2\\d{2}', '2\\\\d{2}'],
    ['newlines, tabs and carriage returns become escapes', 'a\nb\tc\rd', 'a\\nb\\tc\\rd'],
    ['other control characters become \\u escapes', 'a\u0001b', 'a\\u0001b'],
    ['an interpolation stays byte for byte', '{"arn":"${aws_sqs_queue.q.arn}"}', '{\\"arn\\":\\"${aws_sqs_queue.q.arn}\\"}'],
    ['quotes inside an interpolation stay', '${var.x == "" ? 0 : 1}', '${var.x == "" ? 0 : 1}'],
    ['braces in a string inside an interpolation do not end it', 'a${f("}", "{")}"b', 'a${f("}", "{")}\\"b'],
    ['nested templates inside an interpolation stay', 'x${jsonencode({"a" = "${var.b}"})}"', 'x${jsonencode({"a" = "${var.b}"})}\\"'],
    ['escaped quotes inside an interpolation string stay', '${replace(var.x, "\\"", "")}"', '${replace(var.x, "\\"", "")}\\"'],
    ['nested objects inside an interpolation stay', '${merge({a = {b = 1}}, var.t)}"', '${merge({a = {b = 1}}, var.t)}\\"'],
    ['template directives stay', '%{ if var.x }"yes"%{ endif }', '%{ if var.x }\\"yes\\"%{ endif }'],
    ['escaped template sequences stay escaped', '$${n}, %%{n} and "q"', '$${n}, %%{n} and \\"q\\"'],
    ['a lone dollar or percent is literal', 'cost $5 or 5%', 'cost $5 or 5%'],
    ['an unterminated interpolation is kept as it is', 'a${var.x', 'a${var.x'],
    ['an unterminated string inside an interpolation is kept as it is', 'a${f("x', 'a${f("x'],
  ])('%s', (_, input, expected) => {
    expect(escapeHclTemplate(input)).toBe(expected);
  });
});

describe('escapeHclStrings', () => {
  test('escapes strings in arrays and plain objects, leaves other values alone', () => {
    const token = Token.asAny('${var.x}');
    const input = { a: 'say "hi"', b: [1, true, null, 'x"y'], c: { d: undefined, e: token } };
    const output = escapeHclStrings(input);
    expect(output).toEqual({ a: 'say \\"hi\\"', b: [1, true, null, 'x\\"y'], c: { d: undefined, e: token } });
    expect(output.c.e).toBe(token);
  });
});

describe('renderWithHclSafeStrings', () => {
  test('renders strings that mix text and references as valid HCL, then restores the elements', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    const dlq = new SqsQueue(stack, 'dlq', { name: 'dlq' });
    const queue = new SqsQueue(stack, 'queue', {
      name: 'queue',
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
      dependsOn: [dlq],
    });
    const hcl = renderWithHclSafeStrings(stack, () => stack.toHclTerraform().hcl as string);
    expect(hcl).toContain('redrive_policy = "{\\"deadLetterTargetArn\\":\\"${aws_sqs_queue.dlq.arn}\\",\\"maxReceiveCount\\":5}"');
    expect(hcl).toContain('depends_on = [aws_sqs_queue.dlq]');
    expect(Object.prototype.hasOwnProperty.call(queue, 'toHclTerraform')).toBe(false);
    expect(stack.toHclTerraform().hcl).not.toContain('\\"deadLetterTargetArn');
  });

  test('keeps the falsy defaults and nullable = false that cdktf leaves out', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new TerraformVariable(stack, 'email', { type: 'string', default: '', nullable: false });
    new TerraformVariable(stack, 'count', { type: 'number', default: 0 });
    new TerraformVariable(stack, 'required', { type: 'string' });
    const hcl = renderWithHclSafeStrings(stack, () => stack.toHclTerraform().hcl as string);
    const block = (name: string) => hcl.slice(hcl.indexOf(`variable "${name}"`)).split('\n}')[0];
    expect(block('email')).toMatch(/default = ""/);
    expect(block('email')).toMatch(/nullable = false/);
    expect(block('count')).toMatch(/default = 0/);
    expect(block('count')).not.toMatch(/nullable/);
    expect(block('required')).not.toMatch(/default|nullable/);
  });
});

/**
 * The HCL and the JSON of the whole stack, both read back into Terraform's JSON shape by
 * hcl2json, must say the same thing. hcl2json writes every block as a list and keeps references
 * in `depends_on` and type constraints as `${…}`; both sides are normalized for that.
 */
describe('WebhookPipelineStack HCL output', () => {
  const unwrap = (value: string) => value.replace(/^\$\{([\s\S]*)\}$/, '$1');
  const normalize = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) {
      if (value.length === 1 && value[0] !== null && typeof value[0] === 'object' && !Array.isArray(value[0])) {
        return normalize(value[0], key);
      }
      return value.map((item) => normalize(item, key));
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== '//')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, normalize(v, k)]),
      );
    }
    if (typeof value === 'string' && (key === 'depends_on' || key === 'type' || key === 'ignore_changes')) return unwrap(value);
    return value;
  };

  test.each([
    ['local state', readSynthSettings({})],
    ['Terraform Cloud', readSynthSettings({ TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'webhooks-prod' })],
  ])('says what the JSON says (%s)', async (_, settings) => {
    // One stack, rendered both ways.
    const stack = buildStack(settings);
    const json = JSON.parse(Testing.synth(stack));
    const hcl = await parse('cdk.tf', Testing.synthHcl(stack));
    const fromJson = normalize(json) as Record<string, unknown>;
    const fromHcl = normalize(hcl) as Record<string, unknown>;
    expect(Object.keys(fromHcl).sort()).toEqual(Object.keys(fromJson).sort());
    for (const section of Object.keys(fromJson)) {
      expect([section, fromHcl[section]]).toEqual([section, fromJson[section]]);
    }
  });

  test('a jsonencode body with quotes inside survives the round trip', async () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    const queue = new SqsQueue(stack, 'queue', { name: 'queue' });
    new SqsQueue(stack, 'other', { name: 'other', policy: Fn.jsonencode({ Resource: queue.arn, Note: 'x' }) });
    const hcl = await parse(
      'cdk.tf',
      renderWithHclSafeStrings(stack, () => stack.toHclTerraform().hcl as string),
    );
    expect(hcl.resource.aws_sqs_queue.other[0].policy).toBe('${jsonencode({"Resource" = aws_sqs_queue.queue.arn, "Note" = "x"})}');
  });
});
