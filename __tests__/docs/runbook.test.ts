import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  API_ALARMS,
  ARCHIVE_ALARMS,
  buildAlarmDefinitions,
  DELIVERY_ALARMS,
  DLQ_ALARMS,
  FUNCTION_ALARMS,
  QUEUE_ALARMS,
  RUNBOOK_PATH,
} from '../../src/alarms/catalogue';
import { alarmTargets } from '../support/alarm-targets';

const ROOT = path.resolve(__dirname, '..', '..');
const runbook = fs.readFileSync(path.join(ROOT, RUNBOOK_PATH), 'utf8');
const anchors = [...runbook.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
const kinds = [...FUNCTION_ALARMS, ...QUEUE_ALARMS, ...DLQ_ALARMS, ...API_ALARMS, ...DELIVERY_ALARMS, ...ARCHIVE_ALARMS].map(
  (entry) => entry.kind,
);
const PROCEDURES = ['redrive-a-dlq', 'rotate-a-secret', 'replay-a-webhook'];

describe(RUNBOOK_PATH, () => {
  test('has one section per alarm kind of the catalogue, plus the redrive, rotation and replay procedures', () => {
    expect(new Set(anchors).size).toBe(anchors.length);
    expect([...anchors].sort()).toEqual([...kinds, ...PROCEDURES].sort());
  });

  test.each(kinds)('section %s: an anchor, its heading, then what it means, likely causes, how to look, what to do', (kind) => {
    const start = runbook.indexOf(`<a id="${kind}"></a>\n## ${kind}\n`);
    expect(start).toBeGreaterThanOrEqual(0);
    const rest = runbook.slice(start + 1);
    const section = rest.slice(0, rest.search(/\n<a id=|\n---\n/));
    const parts = ['**What it means.**', '**Likely causes.**', '**How to look.**', '**What to do.**'].map((p) => section.indexOf(p));
    expect(parts.every((index) => index > 0)).toBe(true);
    expect([...parts].sort((a, b) => a - b)).toEqual(parts);
    // Something concrete to run: a Logs Insights query or an aws CLI command.
    expect(section).toMatch(/```/);
  });

  test('every alarm description points to an existing section', () => {
    const definitions = buildAlarmDefinitions(alarmTargets());
    for (const definition of definitions) {
      const [, anchor] = /Runbook: docs\/RUNBOOK\.md#([\w-]+)$/.exec(definition.description) ?? [];
      expect([definition.id, anchor]).toEqual([definition.id, definition.kind]);
      expect(anchors).toContain(anchor);
      expect(definition.description).toMatch(/First step: /);
    }
  });

  test('every link inside the runbook resolves', () => {
    const links = [...runbook.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(anchors).toContain(link);
  });

  test('the redrive procedure uses a rate-limited message move task after fixing the cause', () => {
    const redrive = runbook.slice(runbook.indexOf('<a id="redrive-a-dlq"></a>'), runbook.indexOf('<a id="replay-a-webhook"></a>'));
    expect(redrive).toMatch(/Fix the cause first/);
    expect(redrive).toMatch(/aws sqs start-message-move-task --source-arn "\$DLQ_ARN" --max-number-of-messages-per-second \d+/);
    expect(redrive).toMatch(/de-duplicates on the provider's delivery/);
  });
});
