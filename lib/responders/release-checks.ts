/**
 * What release-instance checks of a verified record before it changes anything: that the record is
 * this instance's and this incident's, that its instance profile belongs to the instance's account, and that every
 * recorded security group exists, belongs to that account and sits in the ENI's VPC (read from
 * EC2), and that the record is still the one the release's grant bound. Each answers the reason to
 * refuse, or undefined.
 */
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { EC2Client, SecurityGroup } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import type { IAMClient, InstanceProfile } from '@aws-sdk/client-iam';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { instanceProfileName } from './instance-profile-arn';
import type { ObservedInstance } from './instance-state';
import type { GrantReleaseRecord } from '../contracts/security';
import type { QuarantineRecord } from './quarantine-records';
import { claimSerialOf, claimsOf } from './quarantine-records';

/**
 * Why the last claim's release must not restore `record` under the record its grant bound (pure),
 * or undefined. The approval was given on the record as the containment guard read it (its capture
 * and claim serial, grants.ts): a claim written since, even by this incident (a new execution of
 * it, GuardDuty having updated the finding, leaves the claims as they were but moves the serial),
 * means the instance was contained again after the release was cleared. A grant that binds no
 * record (the guard found none unreleased, or could not read it) covers none.
 */
export function containedSinceCleared(bound: GrantReleaseRecord | undefined, record: QuarantineRecord, incidentKey: string): string | undefined {
  const instanceId = record.instanceId;
  const askAgain = `a new release (and its approval) is needed (\`firebreak release --incident ${incidentKey}\`)`;
  if (bound === undefined) {
    return `the containment guard bound no pre-quarantine record of ${instanceId} to this release (it found none unreleased, or could not read it, when it cleared the release), so the approval was not given on its claims: nothing is restored, and ${askAgain}`;
  }
  const serial = claimSerialOf(record);
  if (bound.capturedAt === record.capturedAt && bound.claimSerial === serial) return undefined;
  const how =
    bound.capturedAt !== record.capturedAt
      ? `the containment guard read the capture of ${bound.capturedAt}, the record is now a capture of ${record.capturedAt}`
      : `claim serial ${bound.claimSerial} when the containment guard read it, ${serial} now: a new execution of the incident claimed it, as when GuardDuty updates the finding, or another incident claimed it and has been released since`;
  return `incident ${incidentKey} contained ${instanceId} again after this release was cleared, so the approval was given on older information: nothing is restored, and ${askAgain}; ${how}`;
}

/**
 * Why a release that only takes back its incident's claim (another incident holds the instance
 * too) must take back nothing (pure), or undefined. Its incident claimed the instance again after
 * the containment guard read the record (the claim serial of its latest claim is past the one the
 * grant bound, or the record is another capture): that containment came after the approval was
 * asked for, and taking its claim back would leave the instance to the other incidents' releases
 * alone. A grant that binds no record (the guard could not read it) checks nothing: its approval
 * request said only that the claim would be taken back.
 */
export function claimRenewedSinceCleared(bound: GrantReleaseRecord | undefined, record: QuarantineRecord, incidentKey: string): string | undefined {
  if (bound === undefined) return undefined;
  const last = record.lastClaims?.[incidentKey];
  if (bound.capturedAt === record.capturedAt && (last === undefined || last <= bound.claimSerial)) return undefined;
  const how =
    bound.capturedAt !== record.capturedAt
      ? `the containment guard read the capture of ${bound.capturedAt}, the record is now a capture of ${record.capturedAt}`
      : `its latest claim is at claim serial ${last}, the containment guard read serial ${bound.claimSerial}: a new execution of the incident claimed it, as when GuardDuty updates the finding`;
  return `incident ${incidentKey} contained ${record.instanceId} again after this release was cleared, so the approval was given on older information: its claim is kept (taking it back would leave ${record.instanceId} to the other incidents' releases), and a new release (and its approval) is needed (\`firebreak release --incident ${incidentKey}\`); ${how}`;
}

/** Why the record is not this instance's (pure), or undefined. */
export function recordTargetMismatch(record: QuarantineRecord, account: string, region: string, instanceId: string): string | undefined {
  if (record.account === account && record.region === region && record.instanceId === instanceId) return undefined;
  return `the record is for ${record.instanceId} in ${record.account}/${record.region}, not ${instanceId} in ${account}/${region}`;
}

/**
 * Why the record is not this release's incident's (pure), or undefined. The release's incident key
 * comes from the instance's firebreak:incident tag, which anyone who may tag the instance can
 * change: a release under another incident's key would ask approval under it, and mark that
 * incident released while its own instance stays quarantined.
 */
export function recordIncidentMismatch(record: QuarantineRecord, incidentKey: string): string | undefined {
  if (record.incidentKey === incidentKey) return undefined;
  return `the record is incident ${record.incidentKey}'s, not ${incidentKey}'s: that incident's release restores it (\`firebreak release --incident ${record.incidentKey}\`)`;
}

/**
 * Why this release's incident may not release the instance (pure), or undefined: it must hold a
 * claim on the record (quarantine-records.ts). The record's own incident holds one until its
 * release, and so does every later incident that contained the instance.
 */
export function claimMismatch(record: QuarantineRecord, incidentKey: string): string | undefined {
  const holders = claimsOf(record);
  if (holders.includes(incidentKey)) return undefined;
  return `incident ${incidentKey} holds no claim on ${record.instanceId}: it is held quarantined by incident ${holders.join(', incident ')} (recorded by incident ${record.incidentKey}); their release restores it (\`firebreak release --incident ${holders[0] ?? record.incidentKey}\`)`;
}

/** What keeps the instance quarantined, in words: "stays quarantined: incident X still holds it" (pure). */
export function stillHeldBy(incidents: readonly string[]): string {
  return incidents.length === 1 ? `stays quarantined: incident ${incidents[0]!} still holds it` : `stays quarantined: incidents ${incidents.join(', ')} still hold it`;
}

/**
 * ec2:DescribeSecurityGroups of every group release would put an attached ENI back into: each must
 * exist, be owned by the instance's account and live in that ENI's VPC.
 */
export async function checkRecordedGroups(ec2: EC2Client, record: QuarantineRecord, instance: ObservedInstance, account: string): Promise<string | undefined> {
  const wanted = new Map<string, string>();
  for (const recorded of record.networkInterfaces) {
    const current = instance.networkInterfaces.find((eni) => eni.networkInterfaceId === recorded.networkInterfaceId);
    if (!current) continue;
    for (const groupId of recorded.groupIds) {
      const vpc = current.vpcId ?? '';
      const already = wanted.get(groupId);
      if (already !== undefined && already !== vpc) return `the recorded group ${groupId} is recorded for ENIs of two VPCs (${already}, ${vpc})`;
      wanted.set(groupId, vpc);
    }
  }
  if (wanted.size === 0) return undefined;
  let groups: SecurityGroup[];
  try {
    ({ SecurityGroups: groups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...wanted.keys()].sort() })));
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'InvalidGroup.NotFound' || code === 'InvalidGroupId.Malformed') {
      return `a recorded security group does not exist in ${account}/${record.region} (${code}): ${error instanceof Error ? error.message : String(error)}`;
    }
    throw toResponderError(error, 'ec2:DescribeSecurityGroups');
  }
  for (const [groupId, vpc] of wanted) {
    const group = groups.find((candidate) => candidate.GroupId === groupId);
    if (!group) return `the recorded security group ${groupId} does not exist in ${account}/${record.region}`;
    if (group.OwnerId !== account) return `the recorded security group ${groupId} belongs to account ${group.OwnerId ?? 'unknown'}, not the instance's account ${account}`;
    if (group.VpcId !== vpc) return `the recorded security group ${groupId} is in ${group.VpcId ?? 'no VPC'}, not the ENI's VPC ${vpc || 'unknown'}`;
  }
  return undefined;
}

/**
 * Why the instance profile release would associate is not the one the record names (pure), or
 * undefined. The record names the profile by its ARN, which IAM gives again to a profile deleted and
 * created under the same path and name, and a profile's role can be swapped
 * (RemoveRoleFromInstanceProfile, AddRoleToInstanceProfile) with no trace on the profile: release
 * associates it with Firebreak's own iam:PassRole (any role but the protected ones), so whatever role
 * the profile holds at release reaches the instance. A profile or a role created after the capture
 * cannot be what the instance held then; and where the record holds the role ids quarantine read
 * (`instanceProfileRoleIds`), the profile must hold exactly those.
 */
export function profileMismatch(record: QuarantineRecord, profileArn: string, profile: InstanceProfile | undefined): string | undefined {
  const capturedAt = Date.parse(record.capturedAt);
  const after = (date: Date | undefined) => date !== undefined && !Number.isNaN(capturedAt) && date.getTime() > capturedAt;
  const by = 'release re-associates only the profile, and the role, the instance had: check them and associate a profile by hand';
  if (profile === undefined) return `IAM answered no instance profile for ${profileArn}; ${by}`;
  if (profile.Arn !== profileArn) return `the recorded instance profile ${profileArn} is now ${profile.Arn ?? 'an instance profile of no ARN'}; ${by}`;
  if (after(profile.CreateDate)) {
    return `the recorded instance profile ${profileArn} was created at ${profile.CreateDate!.toISOString()}, after the pre-quarantine state was captured (${record.capturedAt}): it was deleted and created again under the same name, and is not the profile the instance had; ${by}`;
  }
  const roles = profile.Roles ?? [];
  const newer = roles.find((role) => after(role.CreateDate));
  if (newer !== undefined) {
    return `the recorded instance profile ${profileArn} now holds role ${newer.Arn ?? newer.RoleName ?? 'unknown'}, created at ${newer.CreateDate!.toISOString()}, after the pre-quarantine state was captured (${record.capturedAt}): it is not the role the instance had; ${by}`;
  }
  const recorded = record.instanceProfileRoleIds;
  if (recorded !== undefined) {
    const held = roles.map((role) => role.RoleId ?? '').sort();
    if (held.length !== recorded.length || [...recorded].sort().some((id, i) => id !== held[i])) {
      const now = roles.map((role) => `${role.Arn ?? role.RoleName ?? 'unknown'} (${role.RoleId ?? 'no id'})`).join(', ') || 'no role';
      return `the recorded instance profile ${profileArn} now holds ${now}, not the role quarantine recorded (${recorded.join(', ') || 'none'}): its role was swapped since quarantine; ${by}`;
    }
  }
  return undefined;
}

/**
 * Why release must not associate the profile although nothing shows it changed (pure), or
 * undefined: the record does not say which role it held (no `instanceProfileRoleIds`: written
 * before quarantine read them, from a CloudWatch alarm, which names no profile, or when the read
 * failed) and the profile holds a role now. A role older than the capture swapped in is then
 * indistinguishable from the instance's own, and the association would pass it with Firebreak's own
 * iam:PassRole (docs/security.md row 3g): the profile stays disassociated, for a person who can
 * vouch for its role to associate it.
 */
export function unverifiedProfileRole(record: QuarantineRecord, profileArn: string, profile: InstanceProfile): string | undefined {
  const roles = profile.Roles ?? [];
  if (record.instanceProfileRoleIds !== undefined || roles.length === 0) return undefined;
  const now = roles.map((role) => `${role.Arn ?? role.RoleName ?? 'unknown'} (${role.RoleId ?? 'no id'})`).join(', ');
  return `${UNVERIFIED_PROFILE_START}${profileArn}${UNVERIFIED_PROFILE_HELD}${now}${UNVERIFIED_PROFILE_END}`;
}

const UNVERIFIED_PROFILE_START = 'The pre-quarantine record does not say which role instance profile ';
const UNVERIFIED_PROFILE_HELD = ' held (no role ids: written before quarantine read them, or the profile was not read then, as for a CloudWatch alarm), and it now holds ';
const UNVERIFIED_PROFILE_END = ": a role swapped in since could not be told from the instance's own, so Firebreak does not pass it with its own iam:PassRole. The profile stays disassociated: check its role and associate it by hand";

/**
 * Whether an action's detail is unverifiedProfileRole's (pure): by its opening words alone, since
 * the incident record keeps only the first RECORD_LIMITS.detail characters of a detail, which cut
 * this one before the role and the instruction. How the incident report finds a release that left
 * the profile disassociated (row 3g) and tells a person what to do (lib/operator/incident-report.ts).
 */
export function isUnverifiedProfileDetail(detail: string): boolean {
  return detail.startsWith(UNVERIFIED_PROFILE_START);
}

/** What release learnt of the profile it would associate: the same, changed (refused), or not verifiable (left disassociated). */
export type RecordedProfileCheck =
  | { readonly verdict: 'same'; readonly detail: string }
  | { readonly verdict: 'changed'; readonly why: string }
  | { readonly verdict: 'unverified'; readonly why: string };

/**
 * iam:GetInstanceProfile of the profile release would associate (by its name, in the instance's
 * account, as IAM finds profiles), then profileMismatch and unverifiedProfileRole. A profile
 * deleted since is a reason to refuse too.
 */
export async function checkRecordedProfile(iam: IAMClient, record: QuarantineRecord, profileArn: string): Promise<RecordedProfileCheck> {
  let profile: InstanceProfile | undefined;
  try {
    ({ InstanceProfile: profile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: instanceProfileName(profileArn) })));
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') return { verdict: 'changed', why: `the recorded instance profile ${profileArn} no longer exists; nothing is associated in its place` };
    throw toResponderError(error, 'iam:GetInstanceProfile');
  }
  const changed = profileMismatch(record, profileArn, profile);
  if (changed !== undefined) return { verdict: 'changed', why: changed };
  const unverified = unverifiedProfileRole(record, profileArn, profile!);
  if (unverified !== undefined) return { verdict: 'unverified', why: unverified };
  return {
    verdict: 'same',
    detail:
      (profile!.Roles ?? []).length === 0
        ? 'The instance profile to re-associate is the one the instance had before quarantine, and holds no role'
        : 'The instance profile to re-associate is the one the instance had before quarantine, holding the role it held then',
  };
}
