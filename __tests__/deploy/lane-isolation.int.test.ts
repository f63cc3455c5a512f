/**
 * Issue 19, item 6, in the suite: with delivery lanes, a destination hanging past its delivery
 * timeout does not slow a healthy one. The measurement is bench/isolation.ts's (the real dispatcher
 * bundle under the ESM runner on moto, with the lanes, mappings and environment the pipeline's own
 * code derives), at a smaller size: 40 events at 10/s to each of `fast` and `slow`, reserve 6 (2
 * invocations per lane after the drain's 2), DELIVERY_TIMEOUT_MS 2000 from a 5 s dispatcher. The
 * load is more than the hung lane's 2 invocations can take (each holds its batch for the 2 s
 * timeout: 10 records a second), so the hung lane is full throughout.
 *
 * What is asserted is behaviour: the healthy destination's p95 beside the hung one stays within
 * 1.5 × of its p95 alone (a p95 under half the mappings' 1 s batching window counting as 500 ms:
 * see `jitterFloorMs`), no healthy-lane invocation ever waits on a hung delivery, and every
 * delivery is delivered exactly once or is still on its lane or in its DLQ. As a control, the same
 * load through 0.2.0's one shared queue and mapping (of the lanes' combined 4) leaves the healthy
 * destination's p95 beside the hung one well over 1.5 × the lanes': the harness sees the
 * interference the lanes remove. (Its ratio to its own p95 alone is the bench's to report: over
 * 4 s of load, before the hung deliveries' retries pile up, it is about 2 ×, too close to 1.5 × to
 * assert on.) The figures themselves, at full size, are the bench's (`benchIsolation`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type IsolationResult, isolationRatio, jitterFloorMs, MAX_ISOLATION_RATIO, measureIsolation } from '../../bench/isolation';

jest.setTimeout(120_000);

const EVENTS = 40;
/** Sent after the timed ones (`tailEvents`): 1 s at 10/s. */
const SENT = EVENTS + 10;
let workDir: string;
let result: IsolationResult;
const log: string[] = [];

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lane-isolation-'));
  result = await measureIsolation({
    workDir,
    events: EVENTS,
    ratePerSecond: 10,
    designs: ['lanes', 'shared'],
    log: (line) => log.push(line),
  });
});

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

const lanes = () => result.designs.find((design) => design.design === 'lanes')!;
const shared = () => result.designs.find((design) => design.design === 'shared')!;

test('the lanes are the pipeline’s for a reserve of 6: the drain’s 2, then 2 invocations of 10 records per destination', () => {
  expect(Object.fromEntries(lanes().mappings.map((mapping) => [mapping.queue, [mapping.batchSize, mapping.maximumConcurrency]]))).toEqual({
    'webhook-deliver-dev': [10, 2],
    'webhook-lane-fast-dev': [10, 2],
    'webhook-lane-slow-dev': [10, 2],
  });
  expect(result.settings.deliveryTimeoutMs).toBe(2000);
});

test('a hung neighbour holds only its own lane: the healthy destination’s p95 stays within 1.5 × of its p95 alone', () => {
  const { healthy, hung } = lanes();
  // Every timed healthy delivery arrived in both runs, so the p95s are of the same population.
  expect(healthy.destinations.fast.latency).toMatchObject({ measured: EVENTS, arrived: EVENTS });
  expect(hung.destinations.fast.latency).toMatchObject({ measured: EVENTS, arrived: EVENTS });
  const floor = jitterFloorMs(result.settings.deliveryTimeoutMs);
  const ratio = isolationRatio(healthy.destinations.fast.latency.p95Ms, hung.destinations.fast.latency.p95Ms, floor);
  expect(ratio).toBeLessThanOrEqual(MAX_ISOLATION_RATIO);

  // The mechanism: every invocation of the hung lane waited out the delivery timeout and failed its
  // records, and no invocation of the healthy lane did either.
  const queue = (name: string) => hung.mappings.find((mapping) => mapping.queue === `webhook-lane-${name}-dev`)!;
  expect(queue('slow').minDurationMs).toBeGreaterThanOrEqual(result.settings.deliveryTimeoutMs);
  expect(queue('slow').recordsFailed).toBe(queue('slow').records);
  expect(queue('fast').maxDurationMs).toBeLessThan(result.settings.deliveryTimeoutMs);
  expect(queue('fast').recordsFailed).toBe(0);
  expect(hung.mappings.map((mapping) => mapping.queue).sort()).toEqual(['webhook-lane-fast-dev', 'webhook-lane-slow-dev']);
  expect([hung.throttles, hung.invocationTimeouts, hung.invocationErrors]).toEqual([0, 0, 0]);
});

test('every delivery arrived exactly once, signed, or waits on its lane: nothing lost', () => {
  const { healthy, hung } = lanes();
  for (const run of [healthy, hung]) {
    expect(run.destinations.fast).toMatchObject({ sent: SENT, delivered: SENT, deliveredTwice: 0, attempts: SENT, badSignatures: 0 });
  }
  expect(healthy.destinations.slow).toMatchObject({ sent: SENT, delivered: SENT, deliveredTwice: 0, attempts: SENT, badSignatures: 0 });
  expect(healthy.accounting).toEqual({ sent: 2 * SENT, delivered: 2 * SENT, waiting: 0, deadLettered: 0, lost: 0 });
  // The hung destination was tried (and never answered): its deliveries back off on its lane; the
  // schedule's 8 receives are far off, so none is in its DLQ yet.
  expect(hung.destinations.slow.attempts).toBeGreaterThan(0);
  expect(hung.destinations.slow).toMatchObject({ delivered: 0, badSignatures: 0 });
  expect(hung.accounting).toEqual({ sent: 2 * SENT, delivered: SENT, waiting: SENT, deadLettered: 0, lost: 0 });
  expect(log.filter((line) => /throttled|could not|not everything/.test(line))).toEqual([]);
});

test('control: through one shared queue and mapping (0.2.0), the same hung neighbour does slow the healthy destination', () => {
  const { hung, mappings } = shared();
  expect(mappings).toEqual([{ queue: 'webhook-deliver-dev', batchSize: 10, maximumConcurrency: 4 }]);
  expect(hung.destinations.fast.latency).toMatchObject({ measured: EVENTS, arrived: EVENTS });
  const overLanes = isolationRatio(
    lanes().hung.destinations.fast.latency.p95Ms,
    hung.destinations.fast.latency.p95Ms,
    jitterFloorMs(result.settings.deliveryTimeoutMs),
  );
  expect(overLanes).toBeGreaterThan(MAX_ISOLATION_RATIO);
  // Nothing lost there either: the hung destination's deliveries back off on the shared queue.
  expect(hung.accounting).toEqual({ sent: 2 * SENT, delivered: SENT, waiting: SENT, deadLettered: 0, lost: 0 });
});
