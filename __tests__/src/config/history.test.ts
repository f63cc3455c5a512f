import { TerraformVariable, Testing } from 'cdktf';
import {
  historyEnabled,
  historyRetentionCondition,
  isHistoryRetention,
  MAX_HISTORY_RETENTION_DAYS,
  validateHistoryRetention,
} from '../../../src/config/history';

describe('historyRetentionDays validation', () => {
  test.each([0, 1, 30, MAX_HISTORY_RETENTION_DAYS])('accepts %p', (days) => {
    expect(() => validateHistoryRetention('WebhookPipeline', days)).not.toThrow();
    expect(isHistoryRetention(days)).toBe(true);
  });

  test.each([-1, 2.5, MAX_HISTORY_RETENTION_DAYS + 1, Number.NaN])('rejects %p, naming the prop and the value', (days) => {
    expect(() => validateHistoryRetention('WebhookPipeline', days)).toThrow(
      `WebhookPipeline: historyRetentionDays must be a whole number of days: 0 (no archive) or 1-${MAX_HISTORY_RETENTION_DAYS}, got ${JSON.stringify(days)}`,
    );
  });

  test('names the prop it is given, and skips undefined and tokens', () => {
    expect(() => validateHistoryRetention('EventArchive a', -3, 'retentionDays')).toThrow(
      /EventArchive a: retentionDays must be .* got -3/,
    );
    expect(() => validateHistoryRetention('WebhookPipeline', undefined)).not.toThrow();
    Testing.synthScope((scope) => {
      const days = new TerraformVariable(scope, 'days', { type: 'number' }).numberValue;
      expect(() => validateHistoryRetention('WebhookPipeline', days)).not.toThrow();
      expect(historyEnabled(days)).toBeUndefined();
    });
  });

  test('plain retentions switch the archive on above 0', () => {
    expect([historyEnabled(0), historyEnabled(1), historyEnabled(3650)]).toEqual([false, true, true]);
  });

  test("the variable's condition is one Terraform expression over the variable", () => {
    expect(historyRetentionCondition('var.d')).toBe('${var.d >= 0 && var.d <= 3650 && floor(var.d) == var.d}');
  });
});
