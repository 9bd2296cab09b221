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
    resource: resourceOf(metrics),
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
 * An alarm on an instance's metric (a metric or metric-math inputs with one `InstanceId`
 * dimension) concerns that instance; the alarm says nothing of its network interfaces or tags.
 * A metric-math alarm over several instances (a fleet's total CPU, say) does not say which of them
 * is wrong, so it concerns no single instance: acting on the first listed would change an
 * instance the alarm does not accuse. Composite alarms and alarms on other dimensions concern no
 * resource Firebreak acts on.
 */
function resourceOf(metrics: readonly { readonly dimensions: Readonly<Record<string, string>> }[]): IncidentResource {
  const instanceIds = alarmMetricInstanceIds(metrics);
  return instanceIds.length === 1 ? { kind: 'ec2-instance', instanceId: instanceIds[0] as string, networkInterfaces: [], tags: {} } : { kind: 'none' };
}

