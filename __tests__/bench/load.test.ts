import { readCostBaseline, type CostRun } from '../../bench/cost';
import { COST_TARGETS, evaluateCostTargets } from '../../bench/cost-report';
import { evaluateLoadTargets, lostOrDuplicated } from '../../bench/load';

/** The recorded baseline as a realistic run, reshaped per case. */
const baseline = readCostBaseline()!;
const run = (changes: Partial<CostRun> = {}): CostRun => ({
  ...baseline,
  deliveredDistinct: baseline.delivered,
  wallMs: 10_000,
  containers: { validator: 2, processor: 3, dispatcher: 5 },
  ...changes,
});
const byName = (targets: { name: string; pass: boolean; detail: string }[], start: string) =>
  targets.find((t) => t.name.startsWith(start))!;

describe('the load step’s targets', () => {
  it('pass for two clean runs at the same cost, the large one of at least 5,000 webhooks', () => {
    const small = run({ webhooks: 200, accepted: 200, delivered: 200, deliveredDistinct: 200 });
    const large = run({ webhooks: 5000, accepted: 5000, delivered: 5000, deliveredDistinct: 5000 });
    const targets = evaluateLoadTargets({ runs: [small, large] });
    expect(targets.map((target) => target.pass)).toEqual([true, true]);
    expect(byName(targets, 'load: ≥').detail).toMatch(/5000: 5000 delivered, 0 lost, 0 twice/);
  });

  it('fail when a webhook arrives twice, or one is missing, or the large run is too small', () => {
    const twice = run({ webhooks: 5000, accepted: 5000, delivered: 5001, deliveredDistinct: 5000 });
    expect(lostOrDuplicated(twice)).toEqual({ lost: 0, duplicated: 1 });
    const missing = run({ webhooks: 5000, accepted: 5000, delivered: 4999, deliveredDistinct: 4999 });
    expect(lostOrDuplicated(missing)).toEqual({ lost: 1, duplicated: 0 });
    for (const large of [twice, missing, run({ webhooks: 1000, accepted: 1000, delivered: 1000, deliveredDistinct: 1000 })]) {
      expect(evaluateLoadTargets({ runs: [run(), large] })[0].pass).toBe(false);
    }
    expect(evaluateLoadTargets({ error: 'moto died' }).every((target) => !target.pass && /moto died/.test(target.detail))).toBe(true);
  });

  it('fail when the cost per webhook grows with the volume', () => {
    const slower = run({
      webhooks: 5000,
      accepted: 5000,
      delivered: 5000,
      deliveredDistinct: 5000,
      handlers: baseline.handlers.map((handler) => ({ ...handler, billedMsPerRecord: handler.billedMsPerRecord * 2 })),
    });
    const flat = byName(evaluateLoadTargets({ runs: [run(), slower] }), 'load: cost per webhook');
    expect(flat.pass).toBe(false);
    expect(flat.detail).toMatch(/moved: Lambda: duration \+\$/);
  });
});

describe('the cost targets of issue 22', () => {
  it('judge the handlers’ log bytes and the total against 600 bytes and $5.75', () => {
    // The baseline's handlers logged 1.6 KB a webhook and cost $10.97 a million: both fail.
    const targets = evaluateCostTargets({ after: baseline });
    expect(byName(targets, "handlers' log lines").pass).toBe(false);
    expect(byName(targets, 'cost per million').pass).toBe(false);
    expect(byName(targets, 'cost per million').name).toMatch(/the event archive included/);
    const quiet = run({ handlers: baseline.handlers.map((handler) => ({ ...handler, logBytes: 0, logLines: 0 })) });
    expect(byName(evaluateCostTargets({ after: quiet }), "handlers' log lines")).toMatchObject({
      pass: true,
      detail: expect.stringMatching(/^0 bytes/),
    });
    expect(COST_TARGETS).toMatchObject({ maxLogBytesPerWebhook: 600, maxUsdPerMillion: 5.75 });
  });

  it('report both as not measured when the handlers could not run', () => {
    const targets = evaluateCostTargets({ error: 'no bundle' });
    expect(targets.filter((target) => /not measured: no bundle/.test(target.detail))).toHaveLength(6);
  });
});
