import { DEFAULT_DELIVERY_RETRY_SCHEDULE } from '../../../src/contract';
import { readRetrySchedule, retryDelaySeconds } from '../../../src/handlers/dispatcher/retry-schedule';

describe('readRetrySchedule', () => {
  it('defaults to the contract schedule when unset or blank', () => {
    expect(readRetrySchedule({})).toBe(DEFAULT_DELIVERY_RETRY_SCHEDULE);
    expect(readRetrySchedule({ DELIVERY_RETRY_SCHEDULE: '  ' })).toBe(DEFAULT_DELIVERY_RETRY_SCHEDULE);
  });

  it('reads 1 to 20 whole seconds, each up to 12 hours', () => {
    expect(readRetrySchedule({ DELIVERY_RETRY_SCHEDULE: '[1, 43200]' })).toEqual([1, 43_200]);
    expect(readRetrySchedule({ DELIVERY_RETRY_SCHEDULE: JSON.stringify(Array(20).fill(5)) })).toHaveLength(20);
  });

  it.each([
    ['not JSON', '5, 10'],
    ['not an array', '{"a": 5}'],
    ['empty', '[]'],
    ['too long', JSON.stringify(Array(21).fill(5))],
    ['zero', '[0]'],
    ['over 12 h', '[43201]'],
    ['fractional', '[1.5]'],
    ['a string', '["5"]'],
  ])('rejects a schedule that is %s, naming the variable and showing the value', (_what, raw) => {
    expect(() => readRetrySchedule({ DELIVERY_RETRY_SCHEDULE: raw })).toThrow(
      `Environment variable DELIVERY_RETRY_SCHEDULE must be a JSON array of 1-20 whole seconds, each 1-43200, got ${JSON.stringify(raw)}`,
    );
  });
});

describe('retryDelaySeconds', () => {
  const schedule = [5, 300, 1_800];
  const fixed = (value: number) => () => value;

  it('waits the attempt’s step, jittered by a factor between 0.8 and 1.2', () => {
    expect(retryDelaySeconds({ schedule, attempt: 1, random: fixed(0.5) })).toBe(5);
    expect(retryDelaySeconds({ schedule, attempt: 2, random: fixed(0) })).toBe(240);
    expect(retryDelaySeconds({ schedule, attempt: 2, random: fixed(0.999999) })).toBe(360);
    expect(retryDelaySeconds({ schedule, attempt: 3, random: fixed(0.25) })).toBe(1_620);
  });

  it('stays within [1, 42300] whatever the jitter: 12 h from the receive, less the longest invocation', () => {
    expect(retryDelaySeconds({ schedule: [1], attempt: 1, random: fixed(0) })).toBe(1);
    expect(retryDelaySeconds({ schedule: [43_200], attempt: 1, random: fixed(0.999999) })).toBe(42_300);
    expect(retryDelaySeconds({ schedule: [43_200], attempt: 1, retryAfterSeconds: 90_000, random: fixed(0) })).toBe(42_300);
    for (let i = 0; i < 200; i += 1) {
      const delay = retryDelaySeconds({ schedule, attempt: 2, random: Math.random });
      expect(delay).toBeGreaterThanOrEqual(240);
      expect(delay).toBeLessThanOrEqual(360);
    }
  });

  it('takes Retry-After instead, bounded by 1 and the longest step', () => {
    expect(retryDelaySeconds({ schedule, attempt: 1, retryAfterSeconds: 120, random: fixed(0) })).toBe(120);
    expect(retryDelaySeconds({ schedule, attempt: 1, retryAfterSeconds: 0, random: fixed(0) })).toBe(1);
    expect(retryDelaySeconds({ schedule, attempt: 1, retryAfterSeconds: 86_400, random: fixed(0) })).toBe(1_800);
  });

  it('is 0 once the schedule is used up, Retry-After or not: the next receive dead-letters the message', () => {
    expect(retryDelaySeconds({ schedule, attempt: 4, random: fixed(0.5) })).toBe(0);
    expect(retryDelaySeconds({ schedule, attempt: 9, retryAfterSeconds: 60, random: fixed(0.5) })).toBe(0);
  });
});
