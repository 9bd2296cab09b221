/**
 * The names Firebreak gives its two security groups in a VPC (isolation-groups.ts), and the pure test
 * that tells Firebreak's groups from impostors named like them, in a leaf module: the containment
 * guard applies the same test as quarantine (rows 15p, 15r) without bundling the find-or-create
 * adapter. A name says nothing of who created the group (impostors: isolation-groups.ts).
 */
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { MANAGED_SECURITY_GROUP_TAG } from '../contracts/security';

export const UNTRACK_GROUP_NAME = 'firebreak-untrack';
export const ISOLATION_GROUP_NAME = 'firebreak-isolation';

export type GroupPurpose = 'untrack' | 'isolation';

/** The names Firebreak gives its groups: the plain one, or `<plain>-<8 hex>` when an impostor holds the plain one. */
const GROUP_NAME_PATTERN = /^(firebreak-untrack|firebreak-isolation)(?:-[0-9a-f]{8})?$/;

/** The purpose a group name stands for, if it is one of Firebreak's names (says nothing of who created the group). */
export function purposeOfGroupName(name: string): GroupPurpose | undefined {
  const plain = GROUP_NAME_PATTERN.exec(name)?.[1];
  return plain === UNTRACK_GROUP_NAME ? 'untrack' : plain === ISOLATION_GROUP_NAME ? 'isolation' : undefined;
}

/** One rule per protocol, port range and peer, as a comparable key (descriptions ignored). */
function ruleKeys(permissions: readonly IpPermission[]): string[] {
  return permissions.flatMap((permission) => {
    const protocol = permission.IpProtocol ?? '-1';
    const ports = protocol === '-1' ? '' : `${permission.FromPort ?? ''}-${permission.ToPort ?? ''}`;
    const head = `${protocol}|${ports}`;
    const peers = [
      ...(permission.IpRanges ?? []).map((r) => `cidr ${r.CidrIp ?? '?'}`),
      ...(permission.Ipv6Ranges ?? []).map((r) => `cidr ${r.CidrIpv6 ?? '?'}`),
      ...(permission.PrefixListIds ?? []).map((p) => `prefix-list ${p.PrefixListId ?? '?'}`),
      ...(permission.UserIdGroupPairs ?? []).map((g) => `group ${g.GroupId ?? g.GroupName ?? '?'}`),
    ];
    return (peers.length > 0 ? peers : ['no peer']).map((peer) => `${head}|${peer}`);
  });
}

/** All traffic from or to anywhere, IPv4 and IPv6: the only rules Firebreak (or EC2, by default) puts on its groups. */
const ALL_TRAFFIC_RULES = new Set(['-1||cidr 0.0.0.0/0', '-1||cidr ::/0']);

function describeRuleKey(key: string): string {
  const [protocol, ports, peer] = key.split('|');
  return `${protocol === '-1' ? 'all traffic' : `${protocol}${ports ? ` ${ports}` : ''}`} ${peer ?? ''}`.trim();
}

/**
 * Why a group named like Firebreak's is not Firebreak's, or undefined when it is: it must carry
 * the managed tag and hold only rules Firebreak sets or EC2 adds at creation (the isolation group:
 * no ingress, at most the default all-traffic egress that Firebreak revokes; the untrack group:
 * at most the all-traffic rules in and out). Pure.
 */
export function impostorReason(group: Pick<SecurityGroup, 'Tags' | 'IpPermissions' | 'IpPermissionsEgress'>, purpose: GroupPurpose): string | undefined {
  const tagged = (group.Tags ?? []).some((t) => t.Key === MANAGED_SECURITY_GROUP_TAG.key && t.Value === MANAGED_SECURITY_GROUP_TAG.value);
  if (!tagged) return `lacks the ${MANAGED_SECURITY_GROUP_TAG.key}=${MANAGED_SECURITY_GROUP_TAG.value} tag Firebreak puts on its groups when it creates them`;
  const ingress = ruleKeys(group.IpPermissions ?? []);
  const egress = ruleKeys(group.IpPermissionsEgress ?? []);
  const foreign = [
    ...(purpose === 'isolation' ? ingress : ingress.filter((key) => !ALL_TRAFFIC_RULES.has(key))).map((key) => `inbound ${describeRuleKey(key)}`),
    ...egress.filter((key) => !ALL_TRAFFIC_RULES.has(key)).map((key) => `outbound ${describeRuleKey(key)}`),
  ];
  if (foreign.length === 0) return undefined;
  const listed = foreign.slice(0, 3).join('; ');
  return `carries the ${MANAGED_SECURITY_GROUP_TAG.key} tag but holds ${foreign.length} rule(s) Firebreak never sets (${listed}${foreign.length > 3 ? '; …' : ''})`;
}


/**
 * Why an isolation group Firebreak may use does not isolate now, or undefined when it holds no
 * egress rule (row 3zb): impostorReason tolerates EC2's default all-traffic egress,
 * since quarantine revokes it before it puts an interface in the group, but an interface in the
 * group while the rule stands can reach anywhere. Pure.
 */
export function openEgressReason(group: Pick<SecurityGroup, 'IpPermissionsEgress'>): string | undefined {
  const egress = ruleKeys(group.IpPermissionsEgress ?? []);
  if (egress.length === 0) return undefined;
  return `lets traffic out (${egress.slice(0, 3).map((key) => `outbound ${describeRuleKey(key)}`).join('; ')}${egress.length > 3 ? '; …' : ''})`;
}

/**
 * Why a group is another account's, or undefined: in a shared VPC a participant's
 * DescribeSecurityGroups lists the groups the VPC owner shares with it (RAM security group sharing),
 * under their owner's OwnerId, and the participant may put its ENIs in them while their owner alone
 * sets their rules (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-sharing.html).
 * EC2 always gives OwnerId; a group without one is not known to be the account's, and is not used
 * (as release's checkRecordedGroups refuses such a group).
 */
export function otherOwnerReason(group: Pick<SecurityGroup, 'OwnerId'>, owner: string): string | undefined {
  if (group.OwnerId === owner) return undefined;
  return `is owned by account ${group.OwnerId ?? 'unknown'}, not ${owner} where the instance is (a group shared into the VPC by its owner): that account sets its rules, whatever they are now`;
}

/**
 * Why a group named like one of Firebreak's is not Firebreak's in `owner`'s account (another owner,
 * no managed tag, a rule Firebreak never sets), or undefined when it is, or is not named like one:
 * the one test the quarantine and the game day's inspection both apply (row 9f). Pure.
 */
export function notFirebreaksReason(group: Pick<SecurityGroup, 'GroupName' | 'OwnerId' | 'Tags' | 'IpPermissions' | 'IpPermissionsEgress'>, owner: string): string | undefined {
  const purpose = purposeOfGroupName(group.GroupName ?? '');
  if (!purpose) return undefined;
  return otherOwnerReason(group, owner) ?? impostorReason(group, purpose);
}
