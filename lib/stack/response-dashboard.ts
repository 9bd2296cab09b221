/**
 * The response metrics' dashboard and the alarms read from them (issue 13). The responders emit
 * the metrics (lib/responders/response-metrics.ts, names in lib/contracts/metrics.ts) as embedded
 * metric format lines in their logs, in the namespace `Firebreak/<stack name>`; this draws them and
 * pages when:
 *
 * - a real incident's time to containment exceeds the deployment's target;
 * - the alert topic fails to deliver a notification to a subscription;
 * - the backup channel refuses a copy publish-alert sent it;
 *
 * each on both channels, like every alarm of the stack.
 *
 * Failed, timed-out and aborted executions already page both channels (AlertChannels.alarmOnExecutions).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ResponseMetricName } from '../contracts/metrics';
import { CONTAINMENT_TARGET_OUTPUT_KEY, METRIC_DIMENSION, RESPONSE_METRIC, metricsNamespace } from '../contracts/metrics';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { AlertChannels } from './alerting';
import { groupsOnly } from './logical-ids';

export interface ResponseDashboardProps {
  /** The alert and backup channels the alarms page. */
  readonly channels: AlertChannels;
  /** Time to containment above this pages both channels. */
  readonly containmentTarget: Duration;
  /** The dispatcher and every playbook machine, for the executions graph. */
  readonly stateMachines: readonly sfn.StateMachine[];
  /**
   * The metrics' namespace (what the stack sets in POWERTOOLS_METRICS_NAMESPACE).
   * @default `Firebreak/<stack name>` (metricsNamespace)
   */
  readonly namespace?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

export { CONTAINMENT_TARGET_OUTPUT_KEY };

/** The dashboard and its alarms; groups only, so ids stay those of the flat stack. */
export class ResponseDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Pages both channels when a real incident's time to containment exceeds the target. */
  public readonly containmentTargetAlarm: cloudwatch.Alarm;
  /** Pages both channels when the alert topic fails to deliver to a subscription. */
  public readonly alertDeliveryAlarm: cloudwatch.Alarm;
  /** Pages both channels when the backup channel refuses a copy. */
  public readonly backupChannelAlarm: cloudwatch.Alarm;
  public readonly namespace: string;
  /** The target the alarm pages above (the deployment's containmentTargetSeconds). */
  public readonly containmentTarget: Duration;

  constructor(scope: Construct, id: string, props: ResponseDashboardProps) {
    super(scope, id);
    groupsOnly(this);
    const stackName = Stack.of(this).stackName;
    const namespace = props.namespace ?? metricsNamespace(stackName);
    this.namespace = namespace;
    this.containmentTarget = props.containmentTarget;
    const metric = (name: ResponseMetricName, service: string, statistic: string, extra: Record<string, string> = {}, label?: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName: name,
        dimensionsMap: { [METRIC_DIMENSION.service]: service, [METRIC_DIMENSION.origin]: 'finding', ...extra },
        statistic,
        period: FIVE_MINUTES,
        ...(label ? { label } : {}),
      });
    // Every value of one dimension (outcomes, errors, steps) without listing them: a SEARCH expression.
    const search = (name: ResponseMetricName, dimensions: readonly string[], label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${namespace},${[METRIC_DIMENSION.service, ...dimensions].join(',')}} MetricName="${name}"', 'Sum', 300)`,
        usingMetrics: {},
        label,
        period: FIVE_MINUTES,
      });

    // No label: a labelled metric makes the alarm a metric-math alarm.
    const containment = metric(RESPONSE_METRIC.timeToContainment, RESPONDER_NAMES.quarantineInstance, 'Maximum');
    const targetMs = props.containmentTarget.toMilliseconds();
    this.containmentTargetAlarm = new cloudwatch.Alarm(this, 'TimeToContainmentAlarm', {
      alarmDescription: `A real incident took longer than the deployment's target (${props.containmentTarget.toSeconds()} s) from arrival to isolation. Look at the incident's execution history: which hop was slow (throttling, an approval, a cold start)?`,
      metric: containment,
      threshold: targetMs,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.channels.alarmToBothChannels(this.containmentTargetAlarm);

    // A subscription the alert topic could not deliver to (an endpoint gone, a chat channel removed).
    // Both channels, like every alarm: one failed subscription leaves the alert topic's others, and
    // the backup channel reaches the rest.
    this.alertDeliveryAlarm = props.channels.pageOn(
      this,
      'AlertDeliveryFailedAlarm',
      props.channels.alertTopic.metricNumberOfNotificationsFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
      "The alert topic failed to deliver a notification to a subscription: people may not have heard of an incident. Check the topic's subscriptions (and their delivery status logs) and the chat channel configuration.",
    );
    this.backupChannelAlarm = props.channels.pageOn(
      this,
      'BackupChannelFailedAlarm',
      new cloudwatch.Metric({
        namespace,
        metricName: RESPONSE_METRIC.backupChannelFailures,
        dimensionsMap: { [METRIC_DIMENSION.service]: RESPONDER_NAMES.publishAlert, [METRIC_DIMENSION.origin]: 'finding' },
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      'The backup channel (operations topic) refused a copy of an alert: a Critical incident or a failure reached one channel only. Check the operations topic and its key.',
    );

    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });
    const pair = (name: ResponseMetricName, service: string, extra: Record<string, string> = {}) => [
      metric(name, service, 'p50', extra, 'p50'),
      metric(name, service, 'p90', extra, 'p90'),
      metric(name, service, 'Maximum', extra, 'max'),
    ];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stackName}-response`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Firebreak response (${stackName})\nReal findings only (\`origin=finding\`): game days and samples are in the same namespace under their own origin. Metrics: \`${namespace}\`; docs/communication.md says what each one counts.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Time to containment (ms): arrival to isolation', pair(RESPONSE_METRIC.timeToContainment, RESPONDER_NAMES.quarantineInstance), {
        leftAnnotations: [{ value: targetMs, label: `target ${props.containmentTarget.toSeconds()} s`, color: '#d62728' }],
      }),
      graph('Time to first alert (ms): arrival to the report', pair(RESPONSE_METRIC.timeToAlert, RESPONDER_NAMES.publishAlert, { [METRIC_DIMENSION.kind]: 'report' })),
    );
    this.dashboard.addWidgets(
      graph('Incidents by outcome', [search(RESPONSE_METRIC.incidents, [METRIC_DIMENSION.origin, METRIC_DIMENSION.outcome], 'incidents')], { stacked: true }),
      graph('Time to evidence (ms): arrival to snapshots', pair(RESPONSE_METRIC.timeToEvidence, RESPONDER_NAMES.snapshotVolumes)),
    );
    this.dashboard.addWidgets(
      graph('Triage decisions (dispatcher)', [search(RESPONSE_METRIC.triageDecisions, [METRIC_DIMENSION.origin, METRIC_DIMENSION.outcome], 'triage')], { stacked: true }),
      graph('Containment guard decisions', [search(RESPONSE_METRIC.guardDecisions, [METRIC_DIMENSION.origin, METRIC_DIMENSION.outcome], 'guard')], { stacked: true }),
    );
    this.dashboard.addWidgets(
      graph('Approvals by answer', [search(RESPONSE_METRIC.approvals, [METRIC_DIMENSION.outcome], 'approvals')], { stacked: true }),
      graph('Approval wait (ms)', [
        new cloudwatch.Metric({ namespace, metricName: RESPONSE_METRIC.approvalWait, dimensionsMap: { [METRIC_DIMENSION.service]: RESPONDER_NAMES.approval, [METRIC_DIMENSION.outcome]: 'approved' }, statistic: 'Maximum', period: FIVE_MINUTES, label: 'approved (max)' }),
        new cloudwatch.Metric({ namespace, metricName: RESPONSE_METRIC.approvalWait, dimensionsMap: { [METRIC_DIMENSION.service]: RESPONDER_NAMES.approval, [METRIC_DIMENSION.outcome]: 'rejected' }, statistic: 'Maximum', period: FIVE_MINUTES, label: 'rejected (max)' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Failures by responder and error', [search(RESPONSE_METRIC.responderFailures, [METRIC_DIMENSION.origin, METRIC_DIMENSION.error], 'failures')], { stacked: true }),
      graph('Failed playbook steps', [search(RESPONSE_METRIC.stepFailures, [METRIC_DIMENSION.origin, METRIC_DIMENSION.step, METRIC_DIMENSION.error], 'steps')], { stacked: true }),
    );
    this.dashboard.addWidgets(
      graph(
        'Executions failed, timed out or aborted',
        props.stateMachines.flatMap((machine) => [machine.metricFailed({ period: FIVE_MINUTES }), machine.metricTimedOut({ period: FIVE_MINUTES }), machine.metricAborted({ period: FIVE_MINUTES })]),
        { stacked: true, legendPosition: cloudwatch.LegendPosition.HIDDEN },
      ),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [this.containmentTargetAlarm, this.alertDeliveryAlarm, this.backupChannelAlarm],
        width: 12,
        height: 6,
      }),
    );
  }
}
