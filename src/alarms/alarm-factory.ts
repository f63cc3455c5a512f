import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { Op } from 'cdktf';
import { Construct } from 'constructs';
import { ResourceNames } from '../config/naming';
import { countWhen, Switch } from '../core/values';
import { isMetricMath, MetricSpec } from '../metrics/metric';
import { AlarmDefinition } from './catalogue';

export interface AlarmFactoryProps {
  readonly definitions: readonly AlarmDefinition[];
  /** Topic that receives both ALARM and OK notifications. */
  readonly topicArn: string;
  /**
   * Whether the alarms exist: plain `false` creates none; a plan-time token gives each a `count`.
   * @default true
   */
  readonly enabled?: Switch;
  /**
   * Physical names' prefix and suffix: alarms are `<prefix>-<definition id>-<suffix>`.
   * @default webhook-…-dev
   */
  readonly names?: ResourceNames;
}

const PERCENTILE = /^p\d+(\.\d+)?$/;

const statisticOf = (metric: MetricSpec) =>
  PERCENTILE.test(metric.stat) ? { extendedStatistic: metric.stat } : { statistic: metric.stat };

/** Turns alarm definitions into CloudWatch alarms that exist only while alarms are enabled. */
export class AlarmFactory extends Construct {
  public readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: AlarmFactoryProps) {
    super(scope, id);
    const names = props.names ?? new ResourceNames();
    const enabled = props.enabled ?? true;
    if (enabled === false) {
      this.alarms = [];
      return;
    }
    this.alarms = props.definitions.flatMap((definition) => {
      const exists = bothOn(enabled, definition.exists ?? true);
      if (exists === false) return [];
      const count = countWhen(exists);
      const { metric } = definition;
      const metricConfig = isMetricMath(metric)
        ? {
            metricQuery: [
              { id: 'rate', expression: metric.expression, label: metric.label, returnData: true },
              ...Object.entries(metric.metrics).map(([queryId, m]) => ({
                id: queryId,
                returnData: false,
                metric: {
                  namespace: m.namespace,
                  metricName: m.metricName,
                  stat: m.stat,
                  period: definition.periodSeconds,
                  dimensions: m.dimensions,
                },
              })),
            ],
          }
        : {
            namespace: metric.namespace,
            metricName: metric.metricName,
            dimensions: metric.dimensions,
            period: definition.periodSeconds,
            ...statisticOf(metric),
          };

      return new CloudwatchMetricAlarm(this, definition.id, {
        count,
        alarmName: names.of(definition.id),
        alarmDescription: definition.description,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: definition.threshold,
        evaluationPeriods: definition.evaluationPeriods,
        datapointsToAlarm: definition.datapointsToAlarm,
        treatMissingData: 'notBreaching',
        alarmActions: [props.topicArn],
        okActions: [props.topicArn],
        ...metricConfig,
      });
    });
  }
}

/** Both switches: plain when both are, else one plan-time expression (`a && b`). */
function bothOn(a: Switch, b: Switch): Switch {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  return Op.and(a, b);
}
