import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { resourceName } from '../config/naming';
import { AlarmDefinition, isMetricMath, MetricSpec } from './catalogue';

export interface AlarmFactoryProps {
  readonly definitions: readonly AlarmDefinition[];
  /** Topic that receives both ALARM and OK notifications. */
  readonly topicArn: string;
  /** Terraform expression (without `${}`) that is true when alarms should exist. */
  readonly enabledExpression: string;
}

const PERCENTILE = /^p\d+(\.\d+)?$/;

const statisticOf = (metric: MetricSpec) =>
  PERCENTILE.test(metric.stat) ? { extendedStatistic: metric.stat } : { statistic: metric.stat };

const asNumber = (value: number | string): number =>
  typeof value === 'number' ? value : Token.asNumber(value);

/** Turns alarm definitions into CloudWatch alarms that exist only while alarms are enabled. */
export class AlarmFactory extends Construct {
  public readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: AlarmFactoryProps) {
    super(scope, id);

    const count = Token.asNumber(`\${${props.enabledExpression} ? 1 : 0}`);
    this.alarms = props.definitions.map((definition) => {
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
        alarmName: resourceName(definition.id),
        alarmDescription: definition.description,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: asNumber(definition.threshold),
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
