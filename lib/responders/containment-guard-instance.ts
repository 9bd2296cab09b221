/**
 * What the containment guard reads of the instance, and only when a rule needs its current tags
 * (the protected tag key, the game-day opt-in): EC2's answer now, never the finding's copy.
 */
import { describeInstance, tagRecord } from '../aws/describe-instance';
import type { PlaybookRails } from '../contracts/security';
import { SECURITY_TAGS } from '../contracts/security';
import type { Incident } from '../incident/model';
import type { ActionLog } from './action-log';
import { gameDayForbids } from './tag-rules';
import type { ContainmentGuardDeps } from './containment-guard-model';
import type { ProtectionVerdict } from './containment-guard-rails';
import { protectionOf } from './containment-guard-rails';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { ISOLATION_GROUP_NAME, notFirebreaksReason, openEgressReason, purposeOfGroupName } from './isolation-group-names';

/**
 * Reads the instance from EC2 when a rule needs its current tags: the protected tag key (contain
 * only), or the game-day opt-in tag (any game-day incident). The configured id list needs no call.
 * An instance that cannot be described cannot be verified and is treated as protected.
 */
export async function lookAtInstance(
  incident: Incident,
  instanceId: string,
  kind: PlaybookRails['kind'],
  gameDay: boolean,
  deps: ContainmentGuardDeps,
  log: ActionLog,
  reasons: string[],
): Promise<ProtectionVerdict | 'unverifiable' | 'terminated' | 'not-a-target'> {
  const { config } = deps;
  const byList = kind === 'contain' ? protectionOf(instanceId, config) : ({ protected: false } as const);
  if (byList.protected) return byList;
  const needsTags = (kind === 'contain' && config.protectedTagKey !== undefined) || gameDay;
  if (!needsTags) return byList;

  const ec2 = await deps.clients.ec2({ account: incident.account, region: incident.region });
  // A malformed id names no instance: its tags cannot be read, so the guard cannot verify it.
  const lookup = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account: incident.account });
  if (!lookup.found) {
    const reason = `Instance ${instanceId} could not be described in ${incident.account}/${incident.region} (${lookup.code}): its current tags, and so its ${gameDay ? 'game-day opt-in' : 'protection'}, cannot be verified; evidence and an alert only.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'unverifiable';
  }
  const currentTags = tagRecord(lookup.instance.Tags);
  if (gameDayForbids(gameDay, currentTags)) {
    const { key, value } = SECURITY_TAGS.gameDayTarget;
    const reason = `Game-day incident: instance ${instanceId} does not carry the tag ${key}=${value} in EC2 now, so a drill may not change it; evidence and an alert only (no blast-radius slot taken).`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'not-a-target';
  }
  const state = lookup.instance.State?.Name;
  if (state === 'terminated') {
    const reason = `Instance ${instanceId} is terminated: nothing to ${kind}, so no blast-radius slot is taken.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'terminated';
  }
  if (kind !== 'contain' || config.protectedTagKey === undefined) {
    log.record('ec2:DescribeInstances', instanceId, 'observed', `Read the current tags of ${instanceId}: it is a game-day target.`);
    return { protected: false };
  }
  const verdict = protectionOf(instanceId, config, currentTags);
  log.record(
    'ec2:DescribeInstances',
    instanceId,
    'observed',
    verdict.protected
      ? `Read the current tags of ${instanceId}: the protected tag key ${config.protectedTagKey} is present.`
      : `Read the current tags of ${instanceId}: no ${config.protectedTagKey} tag, not protected.`,
  );
  return verdict;
}

/** The names Firebreak's isolation groups have, as DescribeSecurityGroups filters them (isolation-groups.ts nameFilter). */
const ISOLATION_NAME_FILTER = [ISOLATION_GROUP_NAME, `${ISOLATION_GROUP_NAME}-*`];

/**
 * Why EC2 does not show `instanceId` isolated now, or undefined when it does (row 15p): every
 * network interface in one group alone, and that group Firebreak's isolation group as quarantine
 * tells it (row 15r): named as Firebreak names them, owned by the instance's account, tagged
 * `firebreak:managed=true` and holding no rule (isolation-group-names.ts `notFirebreaksReason`).
 * The name alone was a claim: whoever may create a group in the VPC and change the instance's
 * groups named one `firebreak-isolation`, with rules of their choosing, and made the foothold look
 * held. Not its `firebreak:status` tag (row 15q): the tag keeps nothing out of service, and whoever
 * may tag the contained instance would make every later finding about it take a slot again. The
 * groups are read by name beside the instance (one DescribeSecurityGroups, not after it): a group
 * EC2 does not list under those names is not Firebreak's. The guard asks only for an instance whose
 * pre-quarantine record is unreleased: a record says what Firebreak did, not what the instance is
 * now. An instance EC2 cannot describe is not shown isolated; any other failure is the caller's.
 */
export async function notShownIsolated(incident: Pick<Incident, 'account' | 'region'>, instanceId: string, deps: Pick<ContainmentGuardDeps, 'clients'>): Promise<string | undefined> {
  const ec2 = await deps.clients.ec2({ account: incident.account, region: incident.region });
  const [lookup, described] = await Promise.all([
    describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account: incident.account }),
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ISOLATION_NAME_FILTER }] })),
  ]);
  if (!lookup.found) return `EC2 cannot describe it (${lookup.code})`;
  const groups = new Map((described.SecurityGroups ?? []).map((group) => [group.GroupId, group]));
  const interfaces = lookup.instance.NetworkInterfaces ?? [];
  if (interfaces.length === 0) return 'EC2 shows it no network interface';
  for (const eni of interfaces) {
    const listed = eni.Groups ?? [];
    const only = listed.length === 1 ? listed[0] : undefined;
    const named = listed.map((group) => `${group.GroupId ?? '?'} (${group.GroupName ?? '?'})`).join(', ') || 'no group';
    if (only === undefined || purposeOfGroupName(only.GroupName ?? '') !== 'isolation') {
      return `network interface ${eni.NetworkInterfaceId ?? '?'} is in ${named}, not in Firebreak's isolation group alone`;
    }
    const group = groups.get(only.GroupId);
    // Row 3zb: and it isolates now. Quarantine's test tolerates EC2's default all-traffic egress (it
    // revokes that before use), so a group tagged as Firebreak's with that rule, or Firebreak's own
    // with the rule put back, passes it while the interface reaches anywhere.
    const why =
      group === undefined
        ? 'EC2 does not list under Firebreak\'s isolation names'
        : group.GroupName !== only.GroupName
          ? 'EC2 lists under another name'
          : (notFirebreaksReason(group, incident.account) ?? openEgressReason(group));
    if (why !== undefined) return `network interface ${eni.NetworkInterfaceId ?? '?'} is in ${named}, which ${why}: not Firebreak's isolation group`;
  }
  return undefined;
}
