/**
 * GuardDuty finding → Incident. The finding has already passed `guardDutyFindingSchema` (after
 * `camelCaseKeys`); this module decides what it means for incident response.
 */
import type {
  AccessKeyResource,
  Ec2InstanceResource,
  FindingNetworkInterface,
  GuardDutyContext,
  Incident,
  IncidentClipping,
  IncidentResource,
} from './model';
import type { GuardDutyFinding } from './schemas';
import { ACCOUNT_PATTERN, REGION_PATTERN } from './schemas';
import { severityOf } from './severity';
import { findingKey, incidentKey } from './keys';
import { toIsoTime } from './time';
import { findingDetails } from './finding-details';
import { keepWithin } from './lenient';
import { isSampleFinding } from './sample-flag';
import type { PathSegment, RawIssue, ReadContext } from './reading';
import { RawIssuesError, clip, firstText, orUndefined, toRecord, valueAt, withoutUndefined } from './reading';

const TITLE_MAX = 1024;
const DESCRIPTION_MAX = 8192;
const REMOTE_INDICATORS_MAX = 20;
/** Longest domain name (RFC 1035); IP addresses are far shorter. */
const INDICATOR_MAX = 253;

/**
 * Bounds of what a finding says of its instance. Whoever controls the instance chooses its tags and
 * security group names (EC2 allows 50 tags of 128-character keys and 256-character values:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions; 50 such
 * tags of 4-byte characters are 77 KB), and a forged event can list anything. The lists are kept
 * only for the alert, so they get a count as AWS allows it, texts cut to EC2's lengths, and a byte
 * budget each; what is left out is counted in `Incident.clipped`.
 */
export const INSTANCE_LIMITS = {
  /** EC2's 50 tags, and the `aws:` tags that do not count against them. */
  tags: 64,
  tagKey: 128,
  tagValue: 256,
  tagsBudgetBytes: 16 * 1024,
  networkInterfaces: 64,
  /** The VPC quota of security groups per network interface is at most 16. */
  securityGroupsPerInterface: 16,
  groupName: 255,
  networkInterfacesBudgetBytes: 16 * 1024,
} as const;

/** Counts of what the parser left out or cut short of the instance's lists (see `IncidentClipping`). */
type ClippedCounts = { -readonly [K in Exclude<keyof IncidentClipping, 'sections' | 'event'>]: number };

/** Normalizes one validated finding; `raw` is the same finding (camelCase) for best-effort reads. */
export function findingToIncident(finding: GuardDutyFinding, raw: unknown, context: ReadContext): Incident {
  const issues: RawIssue[] = [];
  const account = pickAccountOrRegion(finding.accountId, context, 'accountId', 'account', ACCOUNT_PATTERN, 'an AWS account id (12 digits)', issues);
  const region = pickAccountOrRegion(finding.region, context, 'region', 'region', REGION_PATTERN, 'an AWS Region such as us-east-1', issues);
  if (issues.length > 0 || account === undefined || region === undefined) throw new RawIssuesError(issues);

  const service = finding.service ?? undefined;
  const count = service?.count ?? 1;
  const createdIso = toIsoTime(finding.createdAt);
  const updatedIso = toIsoTime(finding.updatedAt);
  // A finding whose times cannot be read (documentation copies redact them as `XXXX-XX-XXTXX:XX:XXZ`)
  // is still a finding: its content matters more than its clock. The revision then keeps the
  // raw text, so a duplicate delivery still maps to the same execution name.
  const fallbackTime = toIsoTime(context.envelope?.time) ?? context.received;
  const created = createdIso ?? updatedIso ?? fallbackTime;
  const updated = updatedIso ?? createdIso ?? fallbackTime;

  const guardDuty: GuardDutyContext = withoutUndefined({
    findingId: finding.id,
    arn: orUndefined(finding.arn),
    detectorId: orUndefined(service?.detectorId),
    count,
    resourceRole: resourceRoleOf(service?.resourceRole),
    actionType: orUndefined(service?.action?.actionType),
    connectionDirection: orUndefined(service?.action?.networkConnectionAction?.connectionDirection),
    remoteIndicators: remoteIndicatorsOf(finding),
    dnsDomain: dnsDomainOf(finding),
    archived: orUndefined(service?.archived),
  });

  const clipped: ClippedCounts = { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0 };
  const resource = resourceOf(finding, valueAt(raw, ['resource']), clipped);
  const anyClipped = Object.values(clipped).some((count) => count > 0);
  const incident: Incident = withoutUndefined({
    key: incidentKey(findingKey(finding.id), context.gameDay),
    revision: `${updatedIso ?? String(finding.updatedAt)}#${count}`,
    source: 'guardduty' as const,
    findingType: finding.type,
    title: clip(finding.title, TITLE_MAX),
    description: finding.description == null ? undefined : clip(finding.description, DESCRIPTION_MAX),
    severity: severityOf(finding.severity),
    account,
    region,
    resource,
    sample: isSampleFinding(service?.additionalInfo, finding.title),
    gameDay: context.gameDay,
    envelope: context.gameDay ? disagreeingEnvelope(context, account, region) : undefined,
    times: { created, updated, received: context.received },
    guardDuty,
    clipped: anyClipped ? { ...clipped, sections: [] } : undefined,
  });
  return { ...incident, ...findingDetails(raw, incident) };
}

/**
 * The finding's own field wins (an administrator account receives its members' findings, so the
 * envelope's account is the administrator's); the envelope's is the fallback.
 */
function pickAccountOrRegion(
  own: string | null | undefined,
  context: ReadContext,
  ownKey: string,
  envelopeKey: 'account' | 'region',
  pattern: RegExp,
  expected: string,
  issues: RawIssue[],
): string | undefined {
  const fromEnvelope = context.envelope?.[envelopeKey];
  const value = own ?? fromEnvelope ?? undefined;
  const path: PathSegment[] = own != null || context.envelope === undefined ? [...context.at, ownKey] : [envelopeKey];
  if (value === undefined) {
    issues.push({ path, expected, received: 'nothing' });
    return undefined;
  }
  if (!pattern.test(value)) {
    issues.push({ path, expected, received: JSON.stringify(clip(value, 40)) });
    return undefined;
  }
  return value;
}

/** The envelope's account and region when either differs from what the finding claims (see `Incident.envelope`). */
function disagreeingEnvelope(context: ReadContext, account: string, region: string): Incident['envelope'] {
  const envelopeAccount = context.envelope?.account ?? undefined;
  const envelopeRegion = context.envelope?.region ?? undefined;
  const differs = (envelopeAccount !== undefined && envelopeAccount !== account) || (envelopeRegion !== undefined && envelopeRegion !== region);
  if (!differs) return undefined;
  return withoutUndefined({
    account: envelopeAccount === undefined ? undefined : clip(envelopeAccount, 64),
    region: envelopeRegion === undefined ? undefined : clip(envelopeRegion, 64),
  });
}

function resourceRoleOf(role: string | null | undefined): 'TARGET' | 'ACTOR' | undefined {
  const upper = role?.toUpperCase();
  return upper === 'TARGET' || upper === 'ACTOR' ? upper : undefined;
}

/**
 * `resourceType: Instance` → the instance. Instance-credential findings
 * (UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.*) are typed AccessKey but also
 * carry `instanceDetails`: the instance whose role credentials leaked is what containment acts
 * on, so it becomes the resource. Other AccessKey findings → the key; anything else → `other`.
 */
function resourceOf(finding: GuardDutyFinding, rawResource: unknown, clipped: ClippedCounts): IncidentResource {
  const resource = finding.resource;
  if (!resource) return { kind: 'none' };
  const details = resource.instanceDetails;
  if (details?.instanceId && (resource.resourceType === 'Instance' || resource.resourceType === 'AccessKey')) {
    return instanceResource(details.instanceId, details, clipped);
  }
  if (resource.resourceType === 'AccessKey') {
    const key = resource.accessKeyDetails;
    const accessKey: AccessKeyResource = withoutUndefined({
      kind: 'access-key' as const,
      accessKeyId: orUndefined(key?.accessKeyId),
      userName: orUndefined(key?.userName),
      userType: orUndefined(key?.userType),
      principalId: orUndefined(key?.principalId),
    });
    return accessKey;
  }
  return withoutUndefined({ kind: 'other' as const, type: resource.resourceType, id: otherResourceId(rawResource) });
}

type InstanceDetails = NonNullable<NonNullable<GuardDutyFinding['resource']>['instanceDetails']>;

function instanceResource(instanceId: string, details: InstanceDetails, clipped: ClippedCounts): Ec2InstanceResource {
  const cut = (text: string, max: number): string => {
    const kept = cutToCodePoints(text, max);
    if (kept !== text) clipped.texts += 1;
    return kept;
  };
  const allInterfaces = details.networkInterfaces ?? [];
  const interfaces = allInterfaces.slice(0, INSTANCE_LIMITS.networkInterfaces).map((eni): FindingNetworkInterface => {
    const groups = eni.securityGroups ?? [];
    clipped.securityGroups += Math.max(0, groups.length - INSTANCE_LIMITS.securityGroupsPerInterface);
    return withoutUndefined({
      networkInterfaceId: orUndefined(eni.networkInterfaceId),
      privateIpAddress: orUndefined(eni.privateIpAddress),
      publicIp: orUndefined(eni.publicIp),
      subnetId: orUndefined(eni.subnetId),
      vpcId: orUndefined(eni.vpcId),
      securityGroups: groups.slice(0, INSTANCE_LIMITS.securityGroupsPerInterface).map((group) =>
        withoutUndefined({ groupId: orUndefined(group.groupId), groupName: group.groupName == null ? undefined : cut(group.groupName, INSTANCE_LIMITS.groupName) }),
      ),
    });
  });
  const networkInterfaces = keepWithin(interfaces, INSTANCE_LIMITS.networkInterfacesBudgetBytes).kept;
  clipped.networkInterfaces += allInterfaces.length - networkInterfaces.length;
  const allTags = details.tags ?? [];
  const tagPairs = allTags.slice(0, INSTANCE_LIMITS.tags).map((tag) => [cut(tag.key, INSTANCE_LIMITS.tagKey), cut(tag.value ?? '', INSTANCE_LIMITS.tagValue)] as const);
  const tags = keepWithin(tagPairs, INSTANCE_LIMITS.tagsBudgetBytes).kept;
  clipped.tags += allTags.length - tags.length;
  return withoutUndefined({
    kind: 'ec2-instance' as const,
    instanceId,
    availabilityZone: orUndefined(details.availabilityZone),
    instanceType: orUndefined(details.instanceType),
    imageId: orUndefined(details.imageId),
    instanceState: orUndefined(details.instanceState),
    instanceProfileArn: orUndefined(details.iamInstanceProfile?.arn),
    networkInterfaces,
    tags: toRecord(tags),
  });
}

/** `text` cut to `max` characters as EC2 counts them (code points, not UTF-16 units), with an ellipsis when cut. */
function cutToCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/** Best-effort identity of a resource Firebreak does not act on (for the alert only). */
function otherResourceId(rawResource: unknown): string | undefined {
  return firstText(rawResource, [
    ['s3BucketDetails', 0, 'arn'],
    ['s3BucketDetails', 0, 'name'],
    ['eksClusterDetails', 'arn'],
    ['eksClusterDetails', 'name'],
    ['ecsClusterDetails', 'arn'],
    ['ecsClusterDetails', 'name'],
    ['lambdaDetails', 'functionArn'],
    ['lambdaDetails', 'functionName'],
    ['rdsDbInstanceDetails', 'dbInstanceArn'],
    ['rdsDbInstanceDetails', 'dbInstanceIdentifier'],
    ['rdsLimitlessDbDetails', 'dbClusterIdentifier'],
    ['containerDetails', 'id'],
    ['containerDetails', 'name'],
    ['ebsSnapshotDetails', 'snapshotArn'],
    ['instanceDetails', 'instanceId'],
    ['accessKeyDetails', 'accessKeyId'],
  ]);
}

/** The queried domain of a DNS finding, when it has one of a plausible length (checked as a DNS name where it is used). */
function dnsDomainOf(finding: GuardDutyFinding): string | undefined {
  const domain = finding.service?.action?.dnsRequestAction?.domain;
  return typeof domain === 'string' && domain.length > 0 && domain.length <= INDICATOR_MAX + 1 ? domain : undefined;
}

/** Remote IPs and domains the finding's action names, deduplicated, in the order GuardDuty lists them. */
function remoteIndicatorsOf(finding: GuardDutyFinding): string[] {
  const action = finding.service?.action;
  if (!action) return [];
  const candidates: (string | null | undefined)[] = [
    action.networkConnectionAction?.remoteIpDetails?.ipAddressV4,
    action.networkConnectionAction?.remoteIpDetails?.ipAddressV6,
    ...(action.portProbeAction?.portProbeDetails ?? []).flatMap((probe) => [
      probe.remoteIpDetails?.ipAddressV4,
      probe.remoteIpDetails?.ipAddressV6,
    ]),
    action.awsApiCallAction?.remoteIpDetails?.ipAddressV4,
    action.awsApiCallAction?.remoteIpDetails?.ipAddressV6,
    action.awsApiCallAction?.domainDetails?.domain,
    action.dnsRequestAction?.domain,
  ];
  const indicators = new Set<string>();
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate.length > 0 && candidate.length <= INDICATOR_MAX) indicators.add(candidate);
    if (indicators.size >= REMOTE_INDICATORS_MAX) break;
  }
  return [...indicators];
}
