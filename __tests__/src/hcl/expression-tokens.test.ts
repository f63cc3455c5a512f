import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Fn, Testing, TerraformStack } from 'cdktf';
import { templateAsExpression } from '../../../src/hcl/expression-tokens';

/** What `value` becomes inside `jsonencode(...)` in the synthesized JSON. */
function insideJsonencode(build: (stack: TerraformStack) => unknown): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new SqsQueue(stack, 'probe', { name: 'probe', policy: Fn.jsonencode({ v: build(stack) }) });
  const policy: string = JSON.parse(Testing.synth(stack)).resource.aws_sqs_queue.probe.policy;
  return policy.replace(/^\$\{jsonencode\(\{"v" = ([\s\S]*)\}\)\}$/, '$1');
}

describe('templateAsExpression', () => {
  test('a plain string stays a literal', () => {
    expect(templateAsExpression('webhook-ingest')).toBe('webhook-ingest');
    expect(insideJsonencode(() => templateAsExpression('webhook-ingest'))).toBe('"webhook-ingest"');
  });

  test('the empty string stays empty', () => {
    expect(templateAsExpression('')).toBe('');
  });

  test('a raw interpolation becomes an expression instead of escaped text', () => {
    expect(insideJsonencode(() => 'webhook-${var.environment_suffix}')).toBe('"webhook-$${var.environment_suffix}"');
    expect(insideJsonencode(() => templateAsExpression('${var.environment_suffix}'))).toBe('var.environment_suffix');
    expect(insideJsonencode(() => templateAsExpression('webhook-${ var.environment_suffix }'))).toBe(
      'join("", ["webhook-", var.environment_suffix])',
    );
  });

  test('tokens already in the string stay tokens, joined with the text around them', () => {
    expect(
      insideJsonencode((stack) => {
        const queue = new SqsQueue(stack, 'queue', { name: 'queue' });
        return templateAsExpression(`arn:${queue.arn}:\${var.x == "}" ? 1 : 2}`);
      }),
    ).toBe('join("", ["arn:", aws_sqs_queue.queue.arn, ":", var.x == "}" ? 1 : 2])');
  });

  test('a whole token is returned as it is', () => {
    const app = Testing.app();
    const { name } = new SqsQueue(new TerraformStack(app, 'test'), 'queue', { name: 'queue' });
    expect(templateAsExpression(name)).toBe(name);
  });

  test('an escaped $${ is the literal ${ it stands for', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(templateAsExpression('cost $${n}')).toBe('cost ${n}');
    } finally {
      warn.mockRestore();
    }
  });
});
