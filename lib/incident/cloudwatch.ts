/**
 * CloudWatch "Alarm State Change" → Incident. Shapes (metric, metric math, composite) per
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
import type { AlarmContext, Incident, IncidentResource } from './model';
import type { AlarmDetail } from './schemas';
import { ACCOUNT_PATTERN, REGION_PATTERN } from './schemas';
import { alarmSeverity } from './severity';
import { alarmMetricInstanceIds } from './alarm-instances';
import { alarmKey, incidentKey } from './keys';
import type { RawIssue, ReadContext } from './reading';
import { RawIssuesError, clip, orUndefined, toRecord, withoutUndefined } from './reading';

const REASON_MAX = 8192;
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/;

/** Normalizes one validated alarm state change; alarms exist only inside their envelope (account, region). */
export function alarmToIncident(detail: AlarmDetail, context: ReadContext): Incident {
  const issues: RawIssue[] = [];
  const account = requireEnvelopeField(context.envelope?.account, 'account', ACCOUNT_PATTERN, 'an AWS account id (12 digits)', issues);
  const region = requireEnvelopeField(context.envelope?.region, 'region', REGION_PATTERN, 'an AWS Region such as us-east-1', issues);
  if (issues.length > 0 || account === undefined || region === undefined) throw new RawIssuesError(issues);

  const state = detail.state.value;
  const stateChangedAt = detail.state.timestamp;
  const configuration = detail.configuration ?? undefined;
  const metricEntries = configuration?.metrics ?? [];
  const metrics = metricEntries.flatMap((entry) => {
    const metric = entry.metricStat?.metric;
    if (!metric) return [];
    return [
      withoutUndefined({
        namespace: orUndefined(metric.namespace),
        metricName: orUndefined(metric.name),
        dimensions: toRecord(Object.entries(metric.dimensions ?? {})),
      }),
    ];
  });
  const kind: AlarmContext['kind'] =
    configuration?.alarmRule != null ? 'composite' : metricEntries.some((entry) => entry.expression != null) ? 'metric-math' : 'metric';
  const firstResource = context.envelope?.resources?.[0];
  const reason = detail.state.reason == null ? undefined : clip(detail.state.reason, REASON_MAX);

  const alarm: AlarmContext = withoutUndefined({
    alarmName: detail.alarmName,
    alarmArn: typeof firstResource === 'string' && ALARM_ARN.test(firstResource) ? firstResource : undefined,
    kind,
    state,
    previousState: orUndefined(detail.previousState?.value),
    reason,
    stateChangedAt,
    metrics,
    alarmRule: orUndefined(configuration?.alarmRule),
  });

  return withoutUndefined({
    key: incidentKey(alarmKey(account, region, detail.alarmName, stateChangedAt), context.gameDay),
    revision: stateChangedAt,
    source: 'cloudwatch' as const,
    findingType: `CloudWatch:Alarm/${state}`,
    title: `CloudWatch alarm "${detail.alarmName}" is ${state}`,
    description: reason,
    severity: alarmSeverity(state),
    account,
    region,
    resource: resourceOf(metricEntries, metrics),
    sample: false,
    gameDay: context.gameDay,
    times: { created: stateChangedAt, updated: stateChangedAt, received: context.received },
    alarm,
  });
}

function requireEnvelopeField(
  value: string | null | undefined,
  key: 'account' | 'region',
  pattern: RegExp,
  expected: string,
  issues: RawIssue[],
): string | undefined {
  if (value == null) {
    issues.push({ path: [key], expected, received: 'nothing' });
    return undefined;
  }
  if (!pattern.test(value)) {
    issues.push({ path: [key], expected, received: JSON.stringify(clip(value, 40)) });
    return undefined;
  }
  return value;
}

/**
 * Namespaces of AWS services' own metrics: PutMetricData refuses a namespace that begins with
 * `AWS/`, which is reserved for AWS products
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html). Every
 * other namespace (`CWAgent`, an application's) holds whatever any caller of PutMetricData wrote,
 * with any dimensions: the CloudWatch agent's own policy allows it on every namespace, so one
 * compromised instance can write another instance's `InstanceId`.
 */
const AWS_NAMESPACE = /^AWS\//;

/**
 * Metric math functions that read metrics of their own rather than the alarm's listed ones: a search
 * or Metrics Insights query over any namespace, a Lambda data source, Contributor Insights.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */
const METRIC_READING_FUNCTION = /\b(?:SEARCH|SELECT|LAMBDA|INSIGHT_RULE_METRIC)\b/i;

/**
 * True when every value the alarm evaluates comes from an AWS service: each metric in an `AWS/`
 * namespace, each expression math over those metrics only.
 */
function readsServiceMetricsOnly(entries: NonNullable<NonNullable<AlarmDetail['configuration']>['metrics']>): boolean {
  return entries.every((entry) => {
    const namespace = entry.metricStat?.metric.namespace;
    if (entry.metricStat != null && !(typeof namespace === 'string' && AWS_NAMESPACE.test(namespace))) return false;
    return entry.expression == null || !METRIC_READING_FUNCTION.test(entry.expression);
  });
}

/**
 * An alarm on an instance's metric (a metric or metric-math inputs with one `InstanceId`
 * dimension) concerns that instance; the alarm says nothing of its network interfaces or tags.
 * A metric-math alarm over several instances (a fleet's total CPU, say) does not say which of them
 * is wrong, so it concerns no single instance: acting on the first listed would change an
 * instance the alarm does not accuse. Nor does an alarm that reads any data an AWS service did not
 * publish (`readsServiceMetricsOnly`): whoever can call PutMetricData could make it fire on the
 * instance its dimension names; it is alerted, and no instance playbook matches it. Composite
 * alarms and alarms on other dimensions concern no resource Firebreak acts on.
 */
function resourceOf(
  entries: NonNullable<NonNullable<AlarmDetail['configuration']>['metrics']>,
  metrics: readonly { readonly dimensions: Readonly<Record<string, string>> }[],
): IncidentResource {
  if (!readsServiceMetricsOnly(entries)) return { kind: 'none' };
  const instanceIds = alarmMetricInstanceIds(metrics);
  return instanceIds.length === 1 ? { kind: 'ec2-instance', instanceId: instanceIds[0] as string, networkInterfaces: [], tags: {} } : { kind: 'none' };
}
