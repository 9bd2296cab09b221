/**
 * The sections of the alert's message that say what was found, on what and where: the finding's
 * words quoted as its claims, the instance as a responder observed it from EC2.
 */
import * as z from '../contracts/zod-mini';
import type { Incident } from '../incident/model';
import { describeClipping } from '../incident/budget';
import { defangHost, quoteUntrusted } from './untrusted-text';
import { alarmInstanceId, isDrillIncident } from './alert-incident';
import { alarmMetricInstanceIds } from '../incident/alarm-instances';
import type { ActionLike, StepSummary } from './alert-model';
import { MAX_LINE, oneLine, indentedBlock } from './alert-text';

/** The WHAT WAS FOUND section: the finding's words, quoted as its claims, and its severity. */
export function sectionWhatWasFound(incident: Incident): string[] {
  // The finding's own words are quoted and attributed: they are evidence of what it says, not facts.
  const by = incident.source === 'cloudwatch' ? 'reported by the alarm' : 'reported by the finding';
  const lines = ['WHAT WAS FOUND', `  ${oneLine(incident.findingType)}, ${by} as: ${quoteUntrusted(incident.title, MAX_LINE)}`];
  if (incident.description !== undefined && incident.description.trim() !== '' && incident.description !== incident.title) {
    lines.push(`  Description, ${by} (quoted, not checked):`, ...indentedBlock(incident.description, 2000));
  }
  lines.push(`  Severity: ${incident.severity.label} (${incident.severity.score.toFixed(1)} of 10)`);
  const gd = incident.guardDuty;
  if (gd) {
    const role = gd.resourceRole === 'TARGET' ? ', the resource is the TARGET (attacked)' : gd.resourceRole === 'ACTOR' ? ', the resource is the ACTOR (attacking)' : '';
    lines.push(`  Source: GuardDuty finding ${oneLine(gd.findingId)}, seen ${gd.count} time(s)${role}`);
    if (gd.actionType !== undefined) lines.push(`  Activity: ${oneLine(gd.actionType)}${gd.connectionDirection !== undefined ? ` (${oneLine(gd.connectionDirection)})` : ''}`);
    if (gd.remoteIndicators.length > 0) lines.push(`  Indicators, ${by} (defanged): ${oneLine(gd.remoteIndicators.map(defangHost).join(', '))}`);
  }
  const alarm = incident.alarm;
  if (alarm) {
    lines.push(`  Source: CloudWatch ${alarm.kind} alarm ${quoteUntrusted(alarm.alarmName, 255)}, ${alarm.previousState ?? '?'} -> ${alarm.state}`);
    if (alarm.reason !== undefined) lines.push(`  Reason, reported by the alarm: ${quoteUntrusted(alarm.reason, MAX_LINE)}`);
    if (alarm.alarmRule !== undefined) lines.push(`  Rule: ${quoteUntrusted(alarm.alarmRule, MAX_LINE)}`);
  }
  lines.push(`  First seen ${incident.times.created}, updated ${incident.times.updated}, received by Firebreak ${incident.times.received}`);
  lines.push(`  Incident key: ${incident.key}`);
  return lines;
}

// z.lazy: built the first time an observed instance is read, not at cold start.
/** What quarantine-instance observed from EC2 before it changed anything (its pre-quarantine record), read loosely. */
const observedInstanceSchema = z.lazy(() =>
  z.looseObject({
    instanceId: z.string(),
    capturedAt: z.optional(z.string()),
    networkInterfaces: z._default(
      z.array(z.looseObject({ networkInterfaceId: z.string(), groupIds: z._default(z.array(z.string()), []) })),
      [],
    ),
    instanceProfileArn: z.optional(z.string()),
    tags: z._default(z.record(z.string(), z.string()), {}),
  }),
);

type ObservedInstanceLike = z.output<typeof observedInstanceSchema>;

/** The instance as a responder observed it from EC2 (the quarantine's pre-quarantine record), if one did. */
function observedInstance(steps: readonly StepSummary[], instanceId: string): ObservedInstanceLike | undefined {
  for (const step of steps) {
    const record = (step.result as { preQuarantine?: unknown } | null)?.preQuarantine;
    // Most steps keep no such record: not parsed, as a failed parse builds its issues for nothing.
    if (record === undefined) continue;
    const parsed = observedInstanceSchema.safeParse(record);
    if (parsed.success && parsed.data.instanceId === instanceId) return parsed.data;
  }
  return undefined;
}

/** The responder whose timeline holds an action. */
function describedBy(steps: readonly StepSummary[], action: ActionLike): string {
  return steps.find((step) => step.result?.actions.includes(action) === true)?.result?.responder ?? 'a responder';
}

const MAX_TAGS_SHOWN = 20;

function tagsText(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags);
  const shown = entries.slice(0, MAX_TAGS_SHOWN).map(([key, value]) => `${quoteUntrusted(key, 128)}=${quoteUntrusted(value, 256)}`);
  return `${shown.join(', ')}${entries.length > MAX_TAGS_SHOWN ? `, and ${entries.length - MAX_TAGS_SHOWN} more` : ''}`;
}

/** The ON WHAT section: the resource as the finding claims it and as a responder observed it. */
export function sectionOnWhat(incident: Incident, steps: readonly StepSummary[]): string[] {
  const r = incident.resource;
  const lines = ['ON WHAT'];
  switch (r.kind) {
    case 'ec2-instance': {
      const observed = observedInstance(steps, r.instanceId);
      const facts = [r.instanceType, r.availabilityZone, r.instanceState].filter((x): x is string => x !== undefined && x !== '');
      lines.push(`  EC2 instance ${oneLine(r.instanceId)}${facts.length > 0 ? ` (${oneLine(facts.join(', '))}, claimed by the finding)` : ''}`);
      const described = steps
        .flatMap((step) => step.result?.actions ?? [])
        .find((a) => a.api === 'ec2:DescribeInstances' && a.outcome === 'observed' && a.target === r.instanceId);
      if (described !== undefined && described.detail.trim() !== '') lines.push(`  As EC2 described it to ${oneLine(describedBy(steps, described), 80)}: ${oneLine(described.detail)}`);
      if (observed !== undefined) {
        // Facts a responder read from EC2 itself win over what the finding says.
        lines.push(`  Observed from EC2 by quarantine-instance${observed.capturedAt !== undefined ? ` at ${oneLine(observed.capturedAt, 40)}` : ''}, before any change:`);
        lines.push(`    Instance profile: ${observed.instanceProfileArn !== undefined ? oneLine(observed.instanceProfileArn) : 'none'}`);
        for (const eni of observed.networkInterfaces.slice(0, 16)) {
          lines.push(`    Network interface ${oneLine(eni.networkInterfaceId)}: security groups ${oneLine(eni.groupIds.join(', ') || 'none')}`);
        }
        if (Object.keys(observed.tags).length > 0) lines.push(`    Tags: ${oneLine(tagsText(observed.tags), 4000)}`);
      }
      const claimed: string[] = [];
      if (observed === undefined && r.instanceProfileArn !== undefined) claimed.push(`    Instance profile: ${oneLine(r.instanceProfileArn)}`);
      for (const eni of r.networkInterfaces.slice(0, 16)) {
        const groups = observed === undefined ? eni.securityGroups.map((g) => [g.groupId, g.groupName ? `(${g.groupName})` : undefined].filter(Boolean).join(' ')).join(', ') : '';
        const parts = [eni.privateIpAddress, eni.publicIp ? `public ${eni.publicIp}` : undefined, eni.vpcId, eni.subnetId, groups ? `groups ${groups}` : undefined]
          .filter((x): x is string => x !== undefined && x !== '');
        claimed.push(`    Network interface ${oneLine(eni.networkInterfaceId ?? '(id not in the finding)')}: ${oneLine(parts.join(', '))}`);
      }
      if (r.networkInterfaces.length > 16) claimed.push(`    ... and ${r.networkInterfaces.length - 16} more network interface(s)`);
      if (observed === undefined && Object.keys(r.tags).length > 0) claimed.push(`    Tags: ${oneLine(tagsText(r.tags), 4000)}`);
      if (claimed.length > 0) {
        lines.push(
          observed === undefined
            ? '  Claimed by the finding (no responder observed the instance from EC2, so none of this was checked):'
            : '  Claimed by the finding (addresses; not checked):',
          ...claimed,
        );
      }
      break;
    }
    case 'access-key':
      lines.push(`  Access key ${oneLine(r.accessKeyId ?? '(id not in the finding)')} of ${oneLine(r.userType ?? 'principal')} ${quoteUntrusted(r.userName ?? r.principalId ?? '(unknown)', 128)}, claimed by the finding`);
      break;
    case 'other':
      lines.push(`  ${oneLine(r.type)} ${oneLine(r.id ?? '(id not in the finding)')}, claimed by the finding`);
      break;
    default: {
      const instanceId = alarmInstanceId(incident);
      const several = alarmMetricInstanceIds(incident.alarm?.metrics ?? []);
      if (instanceId !== undefined) {
        lines.push(`  EC2 instance ${oneLine(instanceId)} (from the alarm's InstanceId dimension)`);
        // The parser names the alarm's one instance unless the alarm reads data anyone can write (lib/incident/cloudwatch.ts).
        if (incident.resource.kind !== 'ec2-instance') {
          lines.push(
            '  Firebreak does not act on this instance: the alarm reads metric data that no AWS service published (a namespace outside AWS/, or an expression that fetches metrics), which any caller of PutMetricData can write for any InstanceId.',
          );
        }
      } else if (several.length > 1) {
        lines.push(
          `  ${several.length} EC2 instances in the alarm's metrics (InstanceId dimensions): ${oneLine(several.slice(0, 10).join(', '))}${several.length > 10 ? ', …' : ''}`,
          '  The alarm does not say which of them is wrong: Firebreak acts on an alarm of one instance only.',
        );
      } else lines.push('  No specific resource named by the event.');
    }
  }
  const clipping = describeClipping(incident.clipped);
  if (clipping !== undefined) lines.push(`  ${oneLine(clipping)}`);
  return lines;
}

/** The WHERE section: account and region, and a game day's envelope beside them. */
export function sectionWhere(account: string | undefined, region: string | undefined, incident?: Incident): string[] {
  const lines = ['WHERE', `  Account ${oneLine(account ?? '(unknown)', 40)}, region ${oneLine(region ?? '(unknown)', 40)}`];
  // A drill by its key (alert-incident.ts isGameDay), never by the input's gameDay alone.
  const envelope = incident !== undefined && isDrillIncident(incident) ? incident.envelope : undefined;
  if (envelope !== undefined) {
    const from = [envelope.account !== undefined ? `account ${oneLine(envelope.account, 40)}` : undefined, envelope.region !== undefined ? oneLine(envelope.region, 40) : undefined]
      .filter((x) => x !== undefined)
      .join(', ');
    lines.push(`  GAME DAY: the event was put on the bus from ${from || 'an unnamed account'} (its envelope); the account and region above are what the finding claims.`);
  }
  return lines;
}
