import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError } from '../../src/cli/errors';
import { awsLaneApi, laneState, laneStatus, laneStatuses, setLaneEnabled } from '../../src/cli/lanes';
import { counts, fakeLaneApi, lane } from './fake-lanes';

const billing = lane('billing');

/** A clock that a sleep moves forward, so waits take no real time. */
function virtualTime() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe('laneState', () => {
  test.each([
    ['Enabled', 'active'],
    ['Disabled', 'paused'],
    ['Disabling', 'pausing'],
    ['Enabling', 'resuming'],
    ['Creating', 'updating'],
    ['Updating', 'updating'],
    ['Deleting', 'deleting'],
    ['SomethingNew', 'updating'],
  ])('%s reads as %s', (state, expected) => expect(laneState(state)).toBe(expected));
});

describe('laneStatus', () => {
  test('the mapping state, the lane queue counts and everything in the DLQ', async () => {
    const api = fakeLaneApi({
      states: { [billing.eventSourceMappingUuid]: ['Enabled'] },
      queues: { [billing.queueUrl]: counts(3, 1, 2, 1_209_600), [billing.deadLetterQueueUrl]: counts(4, 1, 0) },
    });
    expect(await laneStatus(api, billing)).toEqual({
      lane: billing,
      state: 'active',
      mappingState: 'Enabled',
      messages: counts(3, 1, 2, 1_209_600),
      deadLetters: 5,
    });
  });

  test('an AWS failure names the call and the lane', async () => {
    const api = fakeLaneApi();
    await expect(laneStatus(api, billing)).rejects.toThrow(
      "reading billing's event source mapping uuid-billing failed: it does not exist in this account and region",
    );
  });

  test('laneStatuses keeps the lanes in order, a few at a time', async () => {
    const lanes = ['a', 'b', 'c', 'd'].map(lane);
    let running = 0;
    let most = 0;
    const api = fakeLaneApi({ states: Object.fromEntries(lanes.map((l) => [l.eventSourceMappingUuid, ['Enabled']])) });
    const read = api.mappingState;
    api.mappingState = async (uuid) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return read(uuid);
    };
    const statuses = await laneStatuses(api, lanes, {}, 2);
    expect(statuses.map((s) => s.lane.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(most).toBe(2);
    expect(await laneStatuses(api, [])).toEqual([]);
  });
});

describe('setLaneEnabled', () => {
  const uuid = billing.eventSourceMappingUuid;

  test('pausing an active lane disables its mapping and waits until Disabled', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Enabled'] }, afterUpdate: ['Disabling', 'Disabling', 'Disabled'] });
    const time = virtualTime();
    const seen: string[] = [];
    const result = await setLaneEnabled(api, billing, false, { timeoutMs: 60_000, ...time, onWait: (state) => seen.push(state) });
    expect(api.updates).toEqual([{ uuid, enabled: false }]);
    expect(seen).toEqual(['Disabling', 'Disabling', 'Disabling']);
    expect(result).toMatchObject({ changed: true, before: 'active', waitedMs: 3_000, after: { state: 'paused' } });
  });

  test('pausing a paused lane makes no update', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Disabled'] } });
    const result = await setLaneEnabled(api, billing, false, { timeoutMs: 60_000, ...virtualTime() });
    expect(api.updates).toEqual([]);
    expect(result).toMatchObject({ changed: false, before: 'paused', after: { state: 'paused' } });
  });

  test('on a local API, pausing a lane that reads Disabled writes it again (the ESM runner keeps what it polls Disabled), and reports no change', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Disabled'] } });
    const result = await setLaneEnabled(api, billing, false, { timeoutMs: 60_000, endpoint: 'http://127.0.0.1:5055', ...virtualTime() });
    expect(api.updates).toEqual([{ uuid, enabled: false }]);
    expect(result).toMatchObject({ changed: false, before: 'paused', after: { state: 'paused' } });
  });

  test('resuming a lane already resuming only waits', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Enabling', 'Enabling', 'Enabled'] } });
    const result = await setLaneEnabled(api, billing, true, { timeoutMs: 60_000, ...virtualTime() });
    expect(api.updates).toEqual([]);
    expect(result).toMatchObject({ changed: false, before: 'resuming', after: { state: 'active' } });
  });

  test('a mapping in another transition is waited out before the update', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Updating', 'Updating', 'Enabled'] } });
    const result = await setLaneEnabled(api, billing, false, { timeoutMs: 60_000, ...virtualTime() });
    expect(api.updates).toEqual([{ uuid, enabled: false }]);
    expect(result).toMatchObject({ changed: true, before: 'updating', after: { state: 'paused' } });
  });

  test('a transition that ends where asked needs no update', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Updating', 'Disabled'] } });
    const result = await setLaneEnabled(api, billing, false, { timeoutMs: 60_000, ...virtualTime() });
    expect(api.updates).toEqual([]);
    expect(result.changed).toBe(false);
  });

  test('a mapping that does not settle in time fails, saying what to do', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Enabled'] }, afterUpdate: ['Disabling'] });
    const failure = setLaneEnabled(api, billing, false, { timeoutMs: 5_000, ...virtualTime() });
    await expect(failure).rejects.toThrow(
      'billing: the event source mapping is still Disabling after 5 s; run destinations list to see when it settles, or retry pause with a longer --wait',
    );
    await expect(failure).rejects.toMatchObject({ exitCode: 1 });
  });

  test('a mapping being deleted is refused', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Deleting'] } });
    await expect(setLaneEnabled(api, billing, true, { timeoutMs: 60_000 })).rejects.toThrow(
      'billing: its event source mapping is being deleted; the lane is going away, nothing to resume',
    );
  });

  test('a refused update is worded as what it was doing', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Enabled'] } });
    api.setMappingEnabled = async () => {
      throw Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    };
    const failure = setLaneEnabled(api, billing, false, { timeoutMs: 60_000 });
    await expect(failure).rejects.toBeInstanceOf(CliError);
    await expect(failure).rejects.toThrow(/^disabling billing's event source mapping uuid-billing failed: access denied; the caller needs/);
  });

  test('waits in real time by default', async () => {
    const api = fakeLaneApi({ states: { [uuid]: ['Enabled'] }, afterUpdate: ['Disabling', 'Disabled'] });
    const result = await setLaneEnabled(api, billing, false, { timeoutMs: 5_000, pollMs: 10 });
    expect(result.after.state).toBe('paused');
    expect(result.waitedMs).toBeGreaterThanOrEqual(5);
  });
});

describe('awsLaneApi', () => {
  afterEach(() => jest.restoreAllMocks());

  test('the calls it makes, and what an answer without fields reads as', async () => {
    const lambdaSend = jest.spyOn(LambdaClient.prototype, 'send').mockImplementation(async () => ({}));
    const sqsSend = jest.spyOn(SQSClient.prototype, 'send').mockImplementation(async () => ({}));
    const api = awsLaneApi({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    expect(await api.mappingState('u')).toBe('Unknown');
    expect(await api.setMappingEnabled('u', false)).toBe('Unknown');
    expect(await api.queueCounts('https://q')).toEqual(counts(0, 0, 0, 0));
    expect(lambdaSend.mock.calls.map(([command]) => [command.constructor.name, command.input])).toEqual([
      ['GetEventSourceMappingCommand', { UUID: 'u' }],
      ['UpdateEventSourceMappingCommand', { UUID: 'u', Enabled: false }],
    ]);
    expect(sqsSend.mock.calls[0][0].input).toMatchObject({ QueueUrl: 'https://q' });
    api.close();
  });

  test('counts and states as AWS returns them; no config leaves the SDK its chains', async () => {
    jest.spyOn(LambdaClient.prototype, 'send').mockImplementation(async () => ({ State: 'Disabling' }));
    jest.spyOn(SQSClient.prototype, 'send').mockImplementation(async () => ({
      Attributes: {
        ApproximateNumberOfMessages: '7',
        ApproximateNumberOfMessagesNotVisible: '2',
        ApproximateNumberOfMessagesDelayed: 'n/a',
        MessageRetentionPeriod: '1209600',
      },
    }));
    const api = awsLaneApi({});
    expect(await api.mappingState('u')).toBe('Disabling');
    expect(await api.setMappingEnabled('u', true)).toBe('Disabling');
    expect(await api.queueCounts('https://q')).toEqual(counts(7, 2, 0, 1_209_600));
    api.close();
  });
});
