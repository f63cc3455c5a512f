import { changeJson, changeLine, formatDuration, laneTable, lanesJson } from '../../src/cli/format';
import type { ChangeResult, LaneState, LaneStatus } from '../../src/cli/lanes';
import { counts, lane } from './fake-lanes';

const status = (name: string, state: LaneState, mappingState: string, queued = counts(3, 1, 0), deadLetters = 0): LaneStatus => ({
  lane: lane(name),
  state,
  mappingState,
  messages: queued,
  deadLetters,
});

test.each([
  [345_600, '4 days'],
  [86_400, '1 day'],
  [1_209_600, '14 days'],
  [129_600, '36 hours'],
  [3_600, '1 hour'],
  [5_400, '90 minutes'],
  [61, '61 seconds'],
  [0, '0 seconds'],
])('formatDuration(%i) is %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

describe('laneTable', () => {
  test('aligned columns, counts to the right, a footnote per lane not delivering', () => {
    const table = laneTable([
      status('billing', 'active', 'Enabled', counts(12, 3, 1, 1_209_600), 2),
      status('crm-eu', 'paused', 'Disabled', counts(140, 0, 0), 0),
    ]);
    expect(table).toBe(
      [
        'DESTINATION  STATE   QUEUED  IN FLIGHT  DELAYED  DLQ  KEEPS MESSAGES',
        'billing      active      12          3        1    2  14 days',
        'crm-eu       paused     140          0        0    0  4 days',
        '',
        'In flight: being delivered, or waiting out a retry backoff. DLQ: in the lane’s dead-letter queue.',
        'crm-eu is paused: nothing is delivered to it; its lane keeps messages 4 days, so resume it before its oldest message is that old.',
        '',
      ].join('\n'),
    );
  });

  test('no lanes', () => expect(laneTable([])).toBe('No delivery lanes: the deployment has no destinations.\n'));
});

test('lanesJson: every lane with its state, counts and identifiers', () => {
  expect(lanesJson([status('billing', 'pausing', 'Disabling', counts(1, 2, 3, 60), 4)])).toEqual({
    lanes: [
      {
        destination: 'billing',
        state: 'pausing',
        mappingState: 'Disabling',
        messages: { visible: 1, inFlight: 2, delayed: 3 },
        deadLetterMessages: 4,
        retentionSeconds: 60,
        queueUrl: lane('billing').queueUrl,
        deadLetterQueueUrl: lane('billing').deadLetterQueueUrl,
        eventSourceMappingUuid: 'uuid-billing',
      },
    ],
  });
});

describe('changeLine', () => {
  const result = (changed: boolean, before: LaneState, after: LaneStatus, waitedMs = 2_400): ChangeResult => ({
    changed,
    before,
    after,
    waitedMs,
  });
  const paused = status('billing', 'paused', 'Disabled', counts(3, 1, 0), 2);
  const active = status('billing', 'active', 'Enabled', counts(3, 1, 0), 2);

  test.each([
    [
      'a pause',
      result(true, 'active', paused),
      'pause',
      'billing paused (was active, 2 s): 3 queued, 1 in flight, 0 delayed wait in its lane, which keeps messages 4 days; 2 in its DLQ.',
    ],
    [
      'a pause of a paused lane',
      result(false, 'paused', paused),
      'pause',
      'billing is already paused: nothing changed; 3 queued, 1 in flight, 0 delayed wait in its lane, which keeps messages 4 days; 2 in its DLQ.',
    ],
    [
      'a pause of a pausing lane',
      result(false, 'pausing', paused, 7_000),
      'pause',
      'billing paused (was already pausing, settled in 7 s): 3 queued, 1 in flight, 0 delayed wait in its lane, which keeps messages 4 days; 2 in its DLQ.',
    ],
    [
      'a resume',
      result(true, 'paused', active),
      'resume',
      'billing resumed (was paused, 2 s): delivering 3 queued, 1 in flight, 0 delayed; 2 in its DLQ.',
    ],
    [
      'a resume of an active lane',
      result(false, 'active', active),
      'resume',
      'billing is already active: nothing changed; 3 queued, 1 in flight, 0 delayed; 2 in its DLQ.',
    ],
  ] as const)('%s', (_name, change, action, line) => expect(changeLine(change, action)).toBe(line));

  test('changeJson', () => {
    expect(changeJson(result(true, 'active', paused, 2_449), 'pause')).toMatchObject({
      action: 'pause',
      changed: true,
      before: 'active',
      waitedSeconds: 2.4,
      destination: 'billing',
      state: 'paused',
      deadLetterMessages: 2,
    });
  });
});
