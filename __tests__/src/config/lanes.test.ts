import { TerraformLocal, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { bundleHandler } from '../../../src/bundling/bundle-handler';
import {
  defaultLaneConcurrency,
  DRAIN_MAPPING_CONCURRENCY,
  laneScaling,
  laneSettings,
  validateLaneConcurrency,
} from '../../../src/config/lanes';
import { WebhookPipeline, type WebhookPipelineProps } from '../../../src/webhook-pipeline';
import { bareStack, resourcesOfType } from '../../support/construct';

const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];

describe('laneScaling', () => {
  test.each([
    [2, 1, 2],
    [3, 1, 3],
    [5, 2, 2],
    [20, 10, 2],
    [25, 10, 2],
    [100, 10, 10],
    [100_000, 10, 1000],
  ])(
    'max_in_flight %i: batches of %i, at most %i invocations (batch × concurrency never above the limit)',
    (limit, batchSize, maximumConcurrency) => {
      expect(laneScaling(limit)).toEqual({ batchSize, maximumConcurrency });
      expect(batchSize * maximumConcurrency).toBeLessThanOrEqual(limit);
    },
  );
});

describe('defaultLaneConcurrency', () => {
  test('shares what the drain leaves of the reserve equally, at least 2 a lane', () => {
    expect(defaultLaneConcurrency(100, 1)).toBe(98);
    expect(defaultLaneConcurrency(100, 3)).toBe(32);
    expect(defaultLaneConcurrency(100, 0)).toBe(98);
    expect(defaultLaneConcurrency(10, 20)).toBe(2);
    expect(DRAIN_MAPPING_CONCURRENCY).toBe(2);
  });
});

describe('laneSettings', () => {
  test("plain destinations: each lane's receives and retention follow its own schedule, or the pipeline's", () => {
    const lanes = laneSettings({
      destinations: {
        crm: { url: 'https://crm.example.com', retrySchedule: [60, 60, 60, 60] },
        audit: { url: 'https://a.example.com', maxInFlight: 4 },
      },
      deliveryUrl: 'https://default.example.com',
      retrySchedule: SCHEDULE,
      dispatcherReservedConcurrency: 100,
    });
    expect(lanes).toEqual({
      default: { retrySchedule: SCHEDULE, maxReceiveCount: 8, retentionSeconds: 345_600, batchSize: 10, maximumConcurrency: 32 },
      crm: { retrySchedule: [60, 60, 60, 60], maxReceiveCount: 5, retentionSeconds: 345_600, batchSize: 10, maximumConcurrency: 32 },
      audit: { retrySchedule: SCHEDULE, maxReceiveCount: 8, retentionSeconds: 345_600, batchSize: 2, maximumConcurrency: 2 },
    });
  });

  test('no destination and no delivery URL: no lane', () => {
    expect(laneSettings({ destinations: {}, deliveryUrl: '', retrySchedule: SCHEDULE, dispatcherReservedConcurrency: 100 })).toEqual({});
  });

  test('destinations decided at plan time: the same arithmetic as a Terraform for expression over the optional fields', () => {
    const stack = new TerraformStack(Testing.app(), 'plan-time');
    const destinations = new TerraformVariable(stack, 'destinations', { type: 'map(any)' });
    const expression = laneSettings({
      destinations: destinations.value,
      deliveryUrl: '',
      retrySchedule: SCHEDULE,
      dispatcherReservedConcurrency: 100,
    });
    new TerraformLocal(stack, 'lanes', expression);
    const rendered = String(JSON.parse(Testing.synth(stack)).locals.lanes);
    expect(rendered).toContain('var.destinations');
    expect(rendered).toContain('try(val.maxInFlight, null) != null');
    expect(rendered).toContain('try(val.retrySchedule, null) != null ? val.retrySchedule : [5, 300, 1800, 7200, 18000, 36000, 36000]');
    expect(rendered).toContain('"maxReceiveCount" = max(5, sum([length(');
    expect(rendered).toContain('floor(((100 - 2) / max(1, length(');
  });
});

describe('validateLaneConcurrency', () => {
  test('lanes and the drain within the reserve pass; beyond it the error names the shares and what to change', () => {
    const lane = (maximumConcurrency: number) => ({
      retrySchedule: SCHEDULE,
      maxReceiveCount: 8,
      retentionSeconds: 345_600,
      batchSize: 10,
      maximumConcurrency,
    });
    expect(() => validateLaneConcurrency('WebhookPipeline', { a: lane(49), b: lane(49) }, 100)).not.toThrow();
    expect(() => validateLaneConcurrency('WebhookPipeline', { a: lane(60), b: lane(40) }, 100)).toThrow(
      "WebhookPipeline: the delivery lanes' mappings may run 102 dispatcher invocations at once (a 60, b 40, and 2 for the shared deliver queue), more than dispatcher.reservedConcurrency 100: lower destinations' maxInFlight or raise dispatcher.reservedConcurrency",
    );
  });
});

describe('WebhookPipeline lanes', () => {
  const build = (props: WebhookPipelineProps) => {
    const stack = bareStack();
    new WebhookPipeline(stack, 'hooks', { bundle: bundleHandler, ...props });
    return JSON.parse(Testing.synth(stack));
  };

  test('a destination whose limit outgrows the reserve fails before anything is built', () => {
    expect(() =>
      build({ destinations: { big: { url: 'https://big.example.com', maxInFlight: 2000 } }, dispatcher: { reservedConcurrency: 50 } }),
    ).toThrow(
      /mappings may run \d+ dispatcher invocations at once \(big 200, and 2 for the shared deliver queue\), more than dispatcher.reservedConcurrency 50/,
    );
  });

  test('bad lane settings fail naming the destination and the prop', () => {
    expect(() => build({ destinations: { crm: { url: 'https://crm.example.com', maxInFlight: 1 } } })).toThrow(
      'WebhookPipeline: destinations.crm.maxInFlight must be a whole number of at least 2, got 1',
    );
    expect(() => build({ destinations: { crm: { url: 'https://crm.example.com', retrySchedule: [1] } } })).toThrow(
      'WebhookPipeline: destinations.crm.retrySchedule must be 4-20 whole numbers of seconds',
    );
  });

  test('alarms off: no lane alarm at all; a plan-time switch makes them a for_each over the lanes or none', () => {
    const off = build({ destinations: { crm: { url: 'https://crm.example.com' } }, alarmsEnabled: false });
    expect(off.resource.aws_cloudwatch_metric_alarm).toBeUndefined();
    const stack = bareStack();
    const enabled = new TerraformVariable(stack, 'alarms', { type: 'bool', default: true });
    new WebhookPipeline(stack, 'hooks', {
      bundle: bundleHandler,
      destinations: { crm: { url: 'https://crm.example.com' } },
      alarmsEnabled: enabled.booleanValue,
    });
    const json = JSON.parse(Testing.synth(stack));
    const laneAlarms = resourcesOfType(json, 'aws_cloudwatch_metric_alarm').filter((alarm) => alarm.for_each !== undefined);
    expect(laneAlarms).toHaveLength(3);
    for (const alarm of laneAlarms)
      expect(alarm.for_each).toMatch(/^\$\{var\.alarms \? tomap\(local\.hooks_delivery_lanes_\w+\) : tomap\(\{\}\)\}$/);
  });

  test('the lanes with plain values are checked by the policy check lane by lane: nothing to suppress', () => {
    const json = build({ destinations: { crm: { url: 'https://crm.example.com' } } });
    const queue = resourcesOfType(json, 'aws_sqs_queue').find((q) => String(q.name).includes('-lane-'));
    expect(queue['//']?.metadata?.suppressedPolicyRules ?? []).toEqual([]);
    expect(Object.values<Record<string, unknown>>(json.locals).find((local) => typeof local === 'object' && 'crm' in local)).toMatchObject({
      crm: { maxReceiveCount: 8, batchSize: 10, maximumConcurrency: 98 },
    });
  });

  test('a reserve decided at plan time leaves the lanes-within-reserve precondition out (it cannot be spliced in)', () => {
    const stack = bareStack();
    const reserve = new TerraformVariable(stack, 'reserve', { type: 'number', default: 100 });
    new WebhookPipeline(stack, 'hooks', {
      bundle: bundleHandler,
      destinations: { crm: { url: 'https://crm.example.com' } },
      dispatcher: { reservedConcurrency: reserve.numberValue },
      policyCheck: false,
    });
    const json = JSON.parse(Testing.synth(stack));
    const mapping = resourcesOfType(json, 'aws_lambda_event_source_mapping').find((m) => m.for_each !== undefined);
    expect(mapping.lifecycle.precondition).toBeUndefined();
    expect(mapping.lifecycle.ignore_changes).toEqual(['enabled']);
  });
});
