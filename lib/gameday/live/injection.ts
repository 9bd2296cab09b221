/**
 * Builds one live game-day injection: the PutEvents entry for the deployed stack's bus, the event
 * as EventBridge will deliver it, the incident Firebreak's parser makes of it, and the exact name of
 * the playbook execution it will start. Pure: ids and clock come in as arguments.
 *
 * - Source `firebreak.gameday`: EventBridge refuses custom events whose source starts with `aws.`
 *   (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html),
 *   and the stack's GameDayEventsRule matches this source with both detail-types.
 * - A fresh finding id and `updatedAt` per injection: the playbook execution name is derived from
 *   them (lib/incident/keys.ts) and Step Functions refuses a reused name for 90 days, so an
 *   injection that reused either would end as a duplicate delivery instead of a new rehearsal.
 */
import type { Incident } from '../../incident/model';
import { executionNameFor, parseEvent } from '../../incident/parse';
import { ALARM_DETAIL_TYPE, GAMEDAY_SOURCE, GUARDDUTY_DETAIL_TYPE } from '../../incident/schemas';
import { didYouMean } from '../../playbooks/errors';
import { KNOWN_FINDING_TYPES } from '../../playbooks/finding-types';
import type { AlarmTemplate, FindingTemplate, LiveTemplate, TemplateContext } from './catalogue';
import { LiveSetupError } from '../../operator/errors';

/** What `ec2:DescribeInstances` says of the target (`--describe`), in the words a finding uses. */
export interface DescribedInstance {
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  readonly imageId?: string;
  readonly state?: string;
  readonly launchTime?: string;
  readonly instanceProfile?: { readonly arn: string; readonly id?: string };
  readonly networkInterfaces: readonly {
    readonly networkInterfaceId: string;
    readonly privateIpAddress?: string;
    readonly privateDnsName?: string;
    readonly publicIp?: string;
    readonly publicDnsName?: string;
    readonly subnetId?: string;
    readonly vpcId?: string;
    readonly securityGroups: readonly { readonly groupId: string; readonly groupName?: string }[];
  }[];
  readonly tags: Readonly<Record<string, string>>;
}

/** The real instance the engineer aims the rehearsal at. */
export interface InjectionTarget {
  readonly instanceId: string;
  /** The instance's account (the finding's `accountId`). */
  readonly account: string;
  /** The stack's region, which is the instance's: one Firebreak stack per region. */
  readonly region: string;
  readonly partition: string;
  readonly described?: DescribedInstance;
}

/** Where the event is put: the account whose credentials put it, and the bus. */
export interface InjectionBus {
  readonly account: string;
  readonly region: string;
  readonly eventBusName: string;
}

export interface InjectionOverrides {
  /** `--severity`: GuardDuty's 1.0–10.0 scale. */
  readonly severity?: number;
  /** `--type`: a GuardDuty finding type from the catalogue. */
  readonly findingType?: string;
}

/** Fresh values of one injection. */
export interface InjectionIds {
  /** 32 hex characters, like GuardDuty's finding ids. */
  readonly findingId: string;
  /** The envelope id EventBridge would give (only used to predict the delivered event). */
  readonly eventId: string;
  readonly now: Date;
}

/** One PutEvents entry (the fields of PutEventsRequestEntry Firebreak sets). */
export interface GameDayEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Resources: string[];
  readonly Time: Date;
  readonly EventBusName: string;
}

export interface Injection {
  readonly template: LiveTemplate;
  readonly entry: GameDayEntry;
  /** The event as EventBridge delivers it to the dispatcher (its `id` is EventBridge's own in reality). */
  readonly event: Record<string, unknown>;
  readonly incident: Incident;
  /** The playbook execution this injection starts, if triage picks a playbook: the deterministic name. */
  readonly executionName: string;
  readonly injectedAt: Date;
}

/** GuardDuty's detector ids are 32 hex characters; an injected finding comes from no detector, so it names none that exists. */
export const GAMEDAY_DETECTOR_ID = '00000000000000000000000000000000';

const MINUTE_MS = 60_000;

/** GuardDuty timestamps: ISO 8601 with milliseconds. */
const iso = (at: Date) => at.toISOString();

/** CloudWatch alarm event timestamps: `2026-03-16T13:12:40.555+0000`. */
function cloudWatchTime(at: Date): string {
  return at.toISOString().replace('Z', '+0000');
}

/** Checks `--type` against GuardDuty's catalogue; a typo would silently route to another playbook. */
export function checkFindingType(findingType: string): string {
  if (KNOWN_FINDING_TYPES.includes(findingType)) return findingType;
  throw new LiveSetupError(
    `--type ${findingType} is not a GuardDuty finding type${didYouMean(findingType, KNOWN_FINDING_TYPES)}; the types are listed at https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html`,
  );
}

function instanceDetails(target: InjectionTarget): Record<string, unknown> {
  const described = target.described;
  if (!described) {
    // Without --describe the finding names only the instance, as GuardDuty's own minimal findings
    // do; the responders describe the instance themselves before acting.
    return { instanceId: target.instanceId };
  }
  return {
    instanceId: target.instanceId,
    ...(described.instanceType ? { instanceType: described.instanceType } : {}),
    ...(described.launchTime ? { launchTime: described.launchTime } : {}),
    productCodes: [],
    iamInstanceProfile: described.instanceProfile ? { arn: described.instanceProfile.arn, id: described.instanceProfile.id ?? '' } : null,
    networkInterfaces: described.networkInterfaces.map((eni) => ({
      ipv6Addresses: [],
      networkInterfaceId: eni.networkInterfaceId,
      ...(eni.privateDnsName ? { privateDnsName: eni.privateDnsName } : {}),
      ...(eni.privateIpAddress ? { privateIpAddress: eni.privateIpAddress } : {}),
      privateIpAddresses: eni.privateIpAddress ? [{ privateIpAddress: eni.privateIpAddress, ...(eni.privateDnsName ? { privateDnsName: eni.privateDnsName } : {}) }] : [],
      ...(eni.subnetId ? { subnetId: eni.subnetId } : {}),
      ...(eni.vpcId ? { vpcId: eni.vpcId } : {}),
      securityGroups: eni.securityGroups.map((group) => ({ groupId: group.groupId, groupName: group.groupName ?? '' })),
      ...(eni.publicIp ? { publicIp: eni.publicIp } : {}),
      ...(eni.publicDnsName ? { publicDnsName: eni.publicDnsName } : {}),
    })),
    tags: Object.entries(described.tags).map(([key, value]) => ({ key, value })),
    ...(described.state ? { instanceState: described.state } : {}),
    ...(described.availabilityZone ? { availabilityZone: described.availabilityZone } : {}),
    ...(described.imageId ? { imageId: described.imageId } : {}),
  };
}

function findingResource(template: FindingTemplate, target: InjectionTarget): Record<string, unknown> {
  const details = instanceDetails(target);
  if (template.resourceType === 'Instance') return { resourceType: 'Instance', instanceDetails: details };
  // InstanceCredentialExfiltration findings are typed AccessKey (the instance role's session) and
  // still carry the instance's details (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html).
  const profileArn = target.described?.instanceProfile?.arn;
  const profileName = profileArn ? profileArn.slice(profileArn.lastIndexOf('/') + 1) : 'instance-role';
  return {
    resourceType: 'AccessKey',
    accessKeyDetails: {
      accessKeyId: 'ASIAFIREBREAKGAMEDAY',
      principalId: `AROAFIREBREAKGAMEDAY:${target.instanceId}`,
      userName: profileName,
      userType: 'AssumedRole',
    },
    instanceDetails: details,
  };
}

function findingDetail(template: FindingTemplate, target: InjectionTarget, ids: InjectionIds, overrides: InjectionOverrides): Record<string, unknown> {
  const firstEni = target.described?.networkInterfaces[0];
  const context: TemplateContext = {
    instanceId: target.instanceId,
    ...(firstEni?.privateIpAddress ? { localIp: firstEni.privateIpAddress } : {}),
  };
  const at = ids.now.getTime();
  return {
    schemaVersion: '2.0',
    accountId: target.account,
    region: target.region,
    partition: target.partition,
    id: ids.findingId,
    arn: `arn:${target.partition}:guardduty:${target.region}:${target.account}:detector/${GAMEDAY_DETECTOR_ID}/finding/${ids.findingId}`,
    type: overrides.findingType ?? template.findingType,
    resource: findingResource(template, target),
    service: {
      serviceName: 'guardduty',
      detectorId: GAMEDAY_DETECTOR_ID,
      featureName: template.featureName,
      action: template.action(context),
      resourceRole: template.resourceRole,
      additionalInfo: { value: '{}', type: 'default' },
      eventFirstSeen: iso(new Date(at - 10 * MINUTE_MS)),
      eventLastSeen: iso(new Date(at - MINUTE_MS)),
      archived: false,
      count: 1,
    },
    severity: overrides.severity ?? template.severity,
    createdAt: iso(ids.now),
    updatedAt: iso(ids.now),
    title: template.title(context),
    description: template.description(context),
  };
}

/** The alarm name of a game-day alarm template: names the instance, so the alert says what was rehearsed. */
export function gameDayAlarmName(template: AlarmTemplate, instanceId: string): string {
  return `firebreak-gameday-${template.metricName.toLowerCase()}-${instanceId}`;
}

function alarmDetail(template: AlarmTemplate, target: InjectionTarget, ids: InjectionIds): Record<string, unknown> {
  const alarmName = gameDayAlarmName(template, target.instanceId);
  const before = new Date(ids.now.getTime() - 5 * MINUTE_MS);
  const reason = (value: number, crossed: boolean, transition: string) =>
    `Threshold Crossed: 1 out of the last 1 datapoints [${value}] was ${crossed ? '' : 'not '}${template.comparison} the threshold (${template.threshold.toFixed(1)}) (minimum 1 datapoint for ${transition} transition).`;
  return {
    alarmName,
    configuration: {
      description: `Firebreak game day: ${template.metricName} ${template.comparison} ${template.threshold} on ${target.instanceId}`,
      metrics: [
        {
          id: 'm1',
          metricStat: {
            metric: { dimensions: { InstanceId: target.instanceId }, name: template.metricName, namespace: template.namespace },
            period: 300,
            stat: 'Average',
          },
          returnData: true,
        },
      ],
    },
    previousState: { reason: reason(3.2, false, 'ALARM -> OK'), timestamp: cloudWatchTime(before), value: 'OK' },
    // The state time is the alarm incident's revision (lib/incident/keys.ts): fresh per injection.
    state: { reason: reason(template.datapoint, true, 'OK -> ALARM'), timestamp: cloudWatchTime(ids.now), value: 'ALARM' },
  };
}

/** Builds the injection of `template` aimed at `target`; refuses overrides that do not apply and events Firebreak would not accept. */
export function buildInjection(
  template: LiveTemplate,
  target: InjectionTarget,
  bus: InjectionBus,
  ids: InjectionIds,
  overrides: InjectionOverrides = {},
): Injection {
  if (overrides.findingType !== undefined) checkFindingType(overrides.findingType);
  if (overrides.severity !== undefined && (!Number.isFinite(overrides.severity) || overrides.severity < 1 || overrides.severity > 10)) {
    throw new LiveSetupError(`--severity ${overrides.severity} is outside GuardDuty's scale: give a number from 1.0 to 10.0 (High is 7.0–8.9)`);
  }
  let detailType: string;
  let detail: Record<string, unknown>;
  let resources: string[];
  if (template.kind === 'guardduty') {
    detailType = GUARDDUTY_DETAIL_TYPE;
    detail = findingDetail(template, target, ids, overrides);
    resources = [];
  } else {
    const refused = [overrides.severity !== undefined ? '--severity' : '', overrides.findingType !== undefined ? '--type' : ''].filter(Boolean);
    if (refused.length > 0) {
      throw new LiveSetupError(`${refused.join(' and ')} appl${refused.length > 1 ? 'y' : 'ies'} to GuardDuty templates only; ${template.name} is a CloudWatch alarm`);
    }
    if (target.account !== bus.account) {
      // EventBridge stamps an event with the account that put it, and an alarm event says nothing
      // else about its account, so Firebreak would act in the bus's account.
      throw new LiveSetupError(
        `--account ${target.account}: an alarm event carries the account of the bus it is put on (${bus.account}), so alarm templates can only aim at instances in the stack's own account; use a GuardDuty template for a member account`,
      );
    }
    detailType = ALARM_DETAIL_TYPE;
    detail = alarmDetail(template, target, ids);
    resources = [`arn:${target.partition}:cloudwatch:${bus.region}:${bus.account}:alarm:${String(detail.alarmName)}`];
  }

  const time = new Date(Math.floor(ids.now.getTime() / 1000) * 1000);
  const event: Record<string, unknown> = {
    version: '0',
    id: ids.eventId,
    'detail-type': detailType,
    source: GAMEDAY_SOURCE,
    account: bus.account,
    // EventBridge envelope times have whole seconds.
    time: time.toISOString().replace('.000Z', 'Z'),
    region: bus.region,
    resources,
    detail,
  };
  // The dispatcher's triage parses the event exactly so: an event it would refuse is refused here,
  // before anything is put on the bus.
  const incident = parseEvent(event, { receivedAt: ids.now });
  return {
    template,
    entry: { Source: GAMEDAY_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: resources, Time: time, EventBusName: bus.eventBusName },
    event,
    incident,
    executionName: executionNameFor(incident),
    injectedAt: ids.now,
  };
}
