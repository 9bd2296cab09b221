/**
 * The two security groups Firebreak keeps in every VPC it has contained an instance in:
 * - `firebreak-untrack` allows all traffic in (and keeps the default all-out egress). A flow that
 *   an all-traffic rule permits in both directions is not tracked, so moving an ENI here first
 *   turns its established connections into untracked ones;
 * - `firebreak-isolation` has no rule in either direction. Moving the ENI here next stops every
 *   flow, because untracked flows get no stateful pass.
 * Changing groups alone would not cut connections already tracked: "When you change a security
 * group rule, its tracked connections are not immediately interrupted"
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html).
 * Caveats from the same page: ICMP flows and automatically tracked connections (for example
 * through an egress-only internet gateway, a Gateway Load Balancer or a Network Load Balancer)
 * stay tracked whatever the rules. For that one round trip the ENI is open to all inbound traffic:
 * the price of cutting the attacker's live sessions.
 *
 * This module holds the pure decisions (is a group Firebreak's, is it healthy, which rules to add
 * or revoke) and the find-or-create adapter.
 *
 * Impostors: anyone allowed to create security groups in a VPC can create one named
 * `firebreak-isolation` first, with a rule of their choosing; reused by name, it would keep the
 * "isolated" instance reachable (or make every isolation in the VPC fail). A group is therefore
 * Firebreak's only when it carries the `firebreak:managed` tag Firebreak sets at creation AND holds
 * no rule Firebreak would not set (isolation: none, or only EC2's default egress that Firebreak is
 * about to revoke; untrack: only the allow-all rules). Anything else named like ours is an
 * impostor: never used, never changed, and reported (`IMPOSTOR_GROUP_ACTION`, naming its id).
 * Firebreak then creates its own group as `<name>-<8 random hex>`, a name nobody can take first,
 * and finds it again later by that pattern (and the same checks).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { awsErrorCode } from '../aws/errors';
import { sendReadOnly } from './mutating';
import { MANAGED_SECURITY_GROUP_TAG, SECURITY_GROUP_PURPOSE_TAG_KEY } from '../contracts/security';
import { IMPOSTOR_GROUP_ACTION } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateEc2, settleAll } from './pending-actions';
import { ISOLATION_GROUP_NAME, UNTRACK_GROUP_NAME, impostorReason, otherOwnerReason, purposeOfGroupName } from './isolation-group-names';
import type { GroupPurpose } from './isolation-group-names';

// The names and the pure impostor test live in a leaf module: the containment guard applies them too (rows 15p, 15r).
export { ISOLATION_GROUP_NAME, UNTRACK_GROUP_NAME, impostorReason, notFirebreaksReason, purposeOfGroupName } from './isolation-group-names';
export type { GroupPurpose } from './isolation-group-names';

const GROUP_NAMES: Record<GroupPurpose, string> = { untrack: UNTRACK_GROUP_NAME, isolation: ISOLATION_GROUP_NAME };

/** A fresh name suffix: 8 random hex digits (4 bytes), so an impostor cannot take the name first. */
function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

// Security group descriptions accept only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*
const GROUP_DESCRIPTIONS: Record<GroupPurpose, string> = {
  untrack: 'Firebreak containment: allows all traffic so that tracked connections become untracked before isolation',
  isolation: 'Firebreak containment: no inbound and no outbound rules, isolates quarantined instances',
};

/** The exact rule EC2 adds as egress to every new VPC security group. */
export const DEFAULT_IPV4_EGRESS: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
/** The rule EC2 adds too when the VPC has an IPv6 CIDR block. */
export const DEFAULT_IPV6_EGRESS: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

const UNTRACK_RULE_DESCRIPTION = 'Firebreak: all traffic, so that flows become untracked';

/** A Firebreak group as found in a VPC (tagged, and holding no rule Firebreak would not set). */
export interface FoundGroup {
  readonly groupId: string;
  readonly vpcId: string;
  readonly purpose: GroupPurpose;
  /** The group's name (the plain one, or the plain one and a suffix). */
  readonly groupName?: string;
  /** Carries the `firebreak:managed` tag (always true for a group Firebreak recognises as its own). */
  readonly managed: boolean;
  readonly ingress: readonly IpPermission[];
  readonly egress: readonly IpPermission[];
}

/** A group named like one of Firebreak's that is not Firebreak's. */
export interface ImpostorGroup {
  readonly groupId: string;
  readonly groupName: string;
  readonly vpcId: string;
  readonly purpose: GroupPurpose;
  /** Why it is not Firebreak's, completing "it …". */
  readonly why: string;
}

export interface VpcGroups {
  readonly vpcId: string;
  readonly untrack?: FoundGroup;
  readonly isolation?: FoundGroup;
  /** Groups named like Firebreak's that are not: ignored, never used or changed, reported. */
  readonly impostors?: readonly ImpostorGroup[];
}

/** The ingress the untrack group still lacks (all protocols from 0.0.0.0/0 and ::/0), if any. */
export function missingUntrackIngress(ingress: readonly IpPermission[]): IpPermission | undefined {
  const allProtocols = ingress.filter((p) => p.IpProtocol === '-1');
  const hasIpv4 = allProtocols.some((p) => p.IpRanges?.some((r) => r.CidrIp === '0.0.0.0/0'));
  const hasIpv6 = allProtocols.some((p) => p.Ipv6Ranges?.some((r) => r.CidrIpv6 === '::/0'));
  if (hasIpv4 && hasIpv6) return undefined;
  return {
    IpProtocol: '-1',
    ...(hasIpv4 ? {} : { IpRanges: [{ CidrIp: '0.0.0.0/0', Description: UNTRACK_RULE_DESCRIPTION }] }),
    ...(hasIpv6 ? {} : { Ipv6Ranges: [{ CidrIpv6: '::/0', Description: UNTRACK_RULE_DESCRIPTION }] }),
  };
}

/** A described rule reduced to the fields a Revoke call matches on. */
export function revocablePermission(permission: IpPermission): IpPermission {
  const ipRanges = (permission.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [{ CidrIp: r.CidrIp }] : []));
  const ipv6Ranges = (permission.Ipv6Ranges ?? []).flatMap((r) => (r.CidrIpv6 ? [{ CidrIpv6: r.CidrIpv6 }] : []));
  const prefixLists = (permission.PrefixListIds ?? []).flatMap((p) => (p.PrefixListId ? [{ PrefixListId: p.PrefixListId }] : []));
  const groupPairs = (permission.UserIdGroupPairs ?? []).flatMap((g) =>
    g.GroupId ? [{ GroupId: g.GroupId, ...(g.UserId ? { UserId: g.UserId } : {}) }] : [],
  );
  return {
    IpProtocol: permission.IpProtocol ?? '-1',
    ...(permission.FromPort !== undefined && permission.IpProtocol !== '-1' ? { FromPort: permission.FromPort } : {}),
    ...(permission.ToPort !== undefined && permission.IpProtocol !== '-1' ? { ToPort: permission.ToPort } : {}),
    ...(ipRanges.length ? { IpRanges: ipRanges } : {}),
    ...(ipv6Ranges.length ? { Ipv6Ranges: ipv6Ranges } : {}),
    ...(prefixLists.length ? { PrefixListIds: prefixLists } : {}),
    ...(groupPairs.length ? { UserIdGroupPairs: groupPairs } : {}),
  };
}

/** True when the groups need no call at all: both exist, untrack allows all in, isolation has no rule. */
export function groupsReady(groups: VpcGroups): boolean {
  return (
    groups.untrack !== undefined &&
    groups.isolation !== undefined &&
    missingUntrackIngress(groups.untrack.ingress) === undefined &&
    groups.isolation.ingress.length === 0 &&
    groups.isolation.egress.length === 0
  );
}

type ClassifiedGroup = { readonly kind: 'firebreak'; readonly group: FoundGroup } | { readonly kind: 'impostor'; readonly group: ImpostorGroup };

function classifyGroup(group: SecurityGroup, owner: string): ClassifiedGroup | undefined {
  const name = group.GroupName ?? '';
  const purpose = purposeOfGroupName(name);
  if (!purpose || !group.GroupId || !group.VpcId) return undefined;
  // notFirebreaksReason's two checks, written out: the game day's inspection alone calls it (bundle size).
  const why = otherOwnerReason(group, owner) ?? impostorReason(group, purpose);
  if (why !== undefined) return { kind: 'impostor', group: { groupId: group.GroupId, groupName: name, vpcId: group.VpcId, purpose, why } };
  return {
    kind: 'firebreak',
    group: {
      groupId: group.GroupId,
      vpcId: group.VpcId,
      purpose,
      groupName: name,
      managed: true,
      ingress: group.IpPermissions ?? [],
      egress: group.IpPermissionsEgress ?? [],
    },
  };
}

/** Of two groups of Firebreak's for one purpose (a race created both), the plain-named one, else the lower id: every run picks the same. */
function preferred(current: FoundGroup | undefined, candidate: FoundGroup): FoundGroup {
  if (current === undefined) return candidate;
  const plain = (g: FoundGroup) => g.groupName === GROUP_NAMES[g.purpose];
  if (plain(current) !== plain(candidate)) return plain(current) ? current : candidate;
  return current.groupId <= candidate.groupId ? current : candidate;
}

/** The DescribeSecurityGroups name filter: both plain names and their suffixed forms. */
function nameFilter(names: readonly string[]): string[] {
  return names.flatMap((name) => (name === UNTRACK_GROUP_NAME || name === ISOLATION_GROUP_NAME ? [name, `${name}-*`] : [name]));
}

/**
 * Finds Firebreak's groups in the given VPCs with one DescribeSecurityGroups call, telling them
 * apart from impostors (groups named like them that are not Firebreak's, or that `owner`, the
 * instance's account, does not own).
 */
export async function findVpcGroups(
  ec2: EC2Client,
  owner: string,
  vpcIds: readonly string[],
  names: readonly string[] = [UNTRACK_GROUP_NAME, ISOLATION_GROUP_NAME],
): Promise<Map<string, VpcGroups>> {
  const result = new Map<string, VpcGroups>(vpcIds.map((vpcId) => [vpcId, { vpcId }]));
  if (vpcIds.length === 0) return result;
  const output = await sendReadOnly('ec2:DescribeSecurityGroups', () =>
    ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [...vpcIds] },
          { Name: 'group-name', Values: nameFilter(names) },
        ],
      }),
    ),
  );
  for (const described of output.SecurityGroups ?? []) {
    const classified = classifyGroup(described, owner);
    const current = classified ? result.get(classified.group.vpcId) : undefined;
    if (!classified || !current) continue;
    if (classified.kind === 'impostor') {
      result.set(current.vpcId, { ...current, impostors: [...(current.impostors ?? []), classified.group] });
    } else {
      const { purpose } = classified.group;
      result.set(current.vpcId, { ...current, [purpose]: preferred(current[purpose], classified.group) });
    }
  }
  return result;
}

/** The action that reports an impostor: listed in the alert, naming the group. */
export function impostorAction(impostor: ImpostorGroup): PendingAction {
  return {
    api: IMPOSTOR_GROUP_ACTION,
    target: impostor.groupId,
    outcome: 'skipped',
    detail: `IMPOSTOR security group ${impostor.groupId} named ${impostor.groupName} in ${impostor.vpcId}: it ${impostor.why}. Firebreak did not use or change it, and isolates with an ${impostor.purpose} group of its own`,
  };
}

/** What `ensureVpcGroups` established: group ids (undefined in dry-run when not created) and its actions. */
export interface EnsuredGroups {
  readonly vpcId: string;
  readonly untrackGroupId?: string;
  readonly isolationGroupId?: string;
  readonly actions: readonly PendingAction[];
}

/** How groups are named when they must be created; `newSuffix` is injectable for exact-input tests. */
export interface GroupNaming {
  /** 8 lowercase hex digits for a suffixed name (default: random). */
  readonly newSuffix?: () => string;
}

/** The name to create a group under: the plain one, unless a group (an impostor) already holds it. */
function nameToCreate(vpc: VpcGroups, purpose: GroupPurpose, naming: GroupNaming): string {
  const plain = GROUP_NAMES[purpose];
  const taken = (vpc.impostors ?? []).some((impostor) => impostor.groupName.toLowerCase() === plain);
  return taken ? `${plain}-${(naming.newSuffix ?? randomSuffix)()}` : plain;
}

async function createGroup(
  ec2: EC2Client,
  mode: ResponderMode,
  owner: string,
  vpcId: string,
  purpose: GroupPurpose,
  firstName: string,
  naming: GroupNaming,
): Promise<{ group?: FoundGroup; fresh: boolean; actions: PendingAction[] }> {
  const actions: PendingAction[] = [];
  let name = firstName;
  // At most two attempts: a second only when an impostor took the name between describe and create.
  for (let attempt = 1; ; attempt += 1) {
    const groupName = name;
    const created = await mutateEc2(
      mode,
      'ec2:CreateSecurityGroup',
      vpcId,
      `create the ${groupName} security group in ${vpcId}`,
      async (dryRun) => {
        try {
          const output = await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: groupName,
              Description: GROUP_DESCRIPTIONS[purpose],
              VpcId: vpcId,
              TagSpecifications: [
                {
                  ResourceType: 'security-group',
                  Tags: [
                    { Key: 'Name', Value: groupName },
                    { Key: MANAGED_SECURITY_GROUP_TAG.key, Value: MANAGED_SECURITY_GROUP_TAG.value },
                    { Key: SECURITY_GROUP_PURPOSE_TAG_KEY, Value: purpose },
                  ],
                },
              ],
              ...(dryRun ? { DryRun: true } : {}),
            }),
          );
          return { groupId: output.GroupId, raced: false };
        } catch (error) {
          // A concurrent quarantine in the same VPC created it between our describe and this call.
          if (!dryRun && awsErrorCode(error) === 'InvalidGroup.Duplicate') return { groupId: undefined, raced: true };
          throw error;
        }
      },
    );
    if (created.output?.raced) {
      const found = (await findVpcGroups(ec2, owner, [vpcId], [groupName])).get(vpcId);
      const ours = found?.[purpose];
      if (ours && ours.groupName === groupName) {
        return {
          group: ours,
          fresh: false,
          actions: [
            ...actions,
            {
              api: 'ec2:CreateSecurityGroup',
              target: vpcId,
              outcome: 'already-done',
              detail: `${groupName} was created concurrently by another run (InvalidGroup.Duplicate); reusing ${ours.groupId}`,
            },
          ],
        };
      }
      if (attempt < 2) {
        // An impostor took the name after our describe, or holds it in another case (EC2 names are
        // unique regardless of case, its filters are not): a suffixed name of our own instead.
        const impostor = found?.impostors?.find((candidate) => candidate.groupName === groupName);
        actions.push(
          impostor
            ? impostorAction(impostor)
            : {
                api: IMPOSTOR_GROUP_ACTION,
                target: vpcId,
                outcome: 'skipped',
                detail: `The name ${groupName} is taken in ${vpcId} by a group that is not Firebreak's (EC2 answered InvalidGroup.Duplicate; names are unique regardless of case). Firebreak did not use it, and isolates with a group of its own`,
              },
        );
        name = `${GROUP_NAMES[purpose]}-${(naming.newSuffix ?? randomSuffix)()}`;
        continue;
      }
      throw new Error(`EC2 said ${groupName} exists in ${vpcId} but DescribeSecurityGroups shows no group of Firebreak's under that name`);
    }
    if (created.output?.groupId) {
      const fresh: FoundGroup = {
        groupId: created.output.groupId,
        vpcId,
        purpose,
        groupName,
        managed: true,
        ingress: [],
        // EC2 gives every new VPC group the default all-out egress rule(s).
        egress: purpose === 'isolation' ? [DEFAULT_IPV4_EGRESS, DEFAULT_IPV6_EGRESS] : [DEFAULT_IPV4_EGRESS],
      };
      return { group: fresh, fresh: true, actions: [...actions, { ...created.action, detail: `${created.action.detail}: ${fresh.groupId}` }] };
    }
    return { fresh: false, actions: [...actions, created.action] };
  }
}

/** A rule that was not there to revoke (or already there to add): success, nothing changed. */
const ABSENT = Symbol('absent');

/**
 * Revoking a rule that is not there: `InvalidPermission.NotFound` (a concurrent run revoked it),
 * or `InvalidParameterValue` naming an IPv6 range when the group cannot hold one.
 */
function isAbsentRuleError(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code === 'InvalidPermission.NotFound') return true;
  const message = error instanceof Error ? error.message : '';
  return code === 'InvalidParameterValue' && /ipv6/i.test(message);
}

const notProbed = (api: string, target: string, detail: string): PendingAction => ({
  api,
  target,
  outcome: 'would-do',
  detail: `${detail} (not probed: the group does not exist yet, so a DryRun call cannot name it)`,
});

/** Brings the untrack group to "all traffic in", creating it if needed. */
async function ensureUntrack(
  ec2: EC2Client,
  mode: ResponderMode,
  owner: string,
  vpc: VpcGroups,
  naming: GroupNaming,
): Promise<{ groupId?: string; actions: PendingAction[] }> {
  const actions: PendingAction[] = [];
  let group = vpc.untrack;
  if (!group) {
    const created = await createGroup(ec2, mode, owner, vpc.vpcId, 'untrack', nameToCreate(vpc, 'untrack', naming), naming);
    actions.push(...created.actions);
    if (!created.group) {
      actions.push(notProbed('ec2:AuthorizeSecurityGroupIngress', vpc.vpcId, `allow all inbound traffic in ${UNTRACK_GROUP_NAME}`));
      return { actions };
    }
    group = created.group;
  }
  const missing = missingUntrackIngress(group.ingress);
  if (missing) {
    const authorized = await mutateEc2(
      mode,
      'ec2:AuthorizeSecurityGroupIngress',
      group.groupId,
      `allow all inbound traffic in ${UNTRACK_GROUP_NAME}, so that flows become untracked`,
      async (dryRun) => {
        try {
          return await ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId: group.groupId,
              IpPermissions: [missing],
              ...(dryRun ? { DryRun: true } : {}),
            }),
          );
        } catch (error) {
          // A concurrent run added it first.
          if (!dryRun && awsErrorCode(error) === 'InvalidPermission.Duplicate') return ABSENT;
          throw error;
        }
      },
    );
    actions.push(
      authorized.output === ABSENT
        ? { ...authorized.action, outcome: 'already-done', detail: `${UNTRACK_GROUP_NAME} already allows all inbound traffic (InvalidPermission.Duplicate)` }
        : authorized.action,
    );
  }
  return { groupId: group.groupId, actions };
}

/** Brings the isolation group to "no rule at all", creating it if needed. */
async function ensureIsolation(
  ec2: EC2Client,
  mode: ResponderMode,
  owner: string,
  vpc: VpcGroups,
  naming: GroupNaming,
): Promise<{ groupId?: string; actions: PendingAction[] }> {
  const actions: PendingAction[] = [];
  let group = vpc.isolation;
  let fresh = false;
  if (!group) {
    const created = await createGroup(ec2, mode, owner, vpc.vpcId, 'isolation', nameToCreate(vpc, 'isolation', naming), naming);
    actions.push(...created.actions);
    if (!created.group) {
      actions.push(notProbed('ec2:RevokeSecurityGroupEgress', vpc.vpcId, `revoke the default egress rule of ${ISOLATION_GROUP_NAME}`));
      return { actions };
    }
    group = created.group;
    fresh = created.fresh;
  }
  // Egress only: an isolation group holding any ingress rule is an impostor (impostorReason), never
  // used or changed, so no ingress rule of a group Firebreak uses is ever revoked.
  const revoke = async (api: 'ec2:RevokeSecurityGroupEgress', permissions: IpPermission[], detail: string): Promise<PendingAction> => {
    const revoked = await mutateEc2(mode, api, group.groupId, detail, async (dryRun) => {
      const input = { GroupId: group.groupId, IpPermissions: permissions, ...(dryRun ? { DryRun: true } : {}) };
      try {
        return await ec2.send(new RevokeSecurityGroupEgressCommand(input));
      } catch (error) {
        if (!dryRun && isAbsentRuleError(error)) return ABSENT;
        throw error;
      }
    });
    return revoked.output === ABSENT
      ? { ...revoked.action, outcome: 'already-done', detail: `No such rule to ${detail} (already revoked, or no IPv6 in this VPC)` }
      : revoked.action;
  };
  const calls: Promise<PendingAction>[] = [];
  if (fresh) {
    // A new group's egress is known without describing it: the default IPv4 rule, plus the IPv6
    // one when the VPC has an IPv6 block. Revoke them separately: the IPv4 input is exact, and the
    // IPv6 call may answer InvalidPermission.NotFound in an IPv4-only VPC without harm.
    calls.push(
      revoke('ec2:RevokeSecurityGroupEgress', [DEFAULT_IPV4_EGRESS], `revoke the default IPv4 egress rule of ${ISOLATION_GROUP_NAME}`),
      revoke('ec2:RevokeSecurityGroupEgress', [DEFAULT_IPV6_EGRESS], `revoke the default IPv6 egress rule of ${ISOLATION_GROUP_NAME} (if the VPC has one)`),
    );
  } else if (group.egress.length > 0) {
    // An existing group must have no rule at all. The only rule a recognised one can hold is the
    // default all-traffic egress EC2 adds at creation (a crash between create and revoke): any
    // other rule, and any ingress rule, makes it an impostor. Revoke it exactly as EC2 described it.
    calls.push(
      revoke(
        'ec2:RevokeSecurityGroupEgress',
        group.egress.map(revocablePermission),
        `revoke every egress rule of ${ISOLATION_GROUP_NAME} (found ${group.egress.length})`,
      ),
    );
  }
  actions.push(...(await settleAll(calls)));
  return { groupId: group.groupId, actions };
}

/**
 * Makes sure both groups exist and hold the right rules in one VPC: no call at all when they are
 * ready (the common case on a VPC seen before), otherwise the two groups are set up concurrently.
 * Impostors are reported and left alone; a group Firebreak needs whose name an impostor holds is
 * created under a suffixed name. `owner` is the instance's account, the groups' owner (findVpcGroups),
 * which a group found again after a race must have too.
 */
export async function ensureVpcGroups(ec2: EC2Client, mode: ResponderMode, owner: string, vpc: VpcGroups, naming: GroupNaming = {}): Promise<EnsuredGroups> {
  const notes: PendingAction[] = (vpc.impostors ?? []).map(impostorAction);
  if (groupsReady(vpc)) {
    return {
      vpcId: vpc.vpcId,
      untrackGroupId: vpc.untrack?.groupId,
      isolationGroupId: vpc.isolation?.groupId,
      actions: [
        ...notes,
        {
          api: 'ec2:DescribeSecurityGroups',
          target: vpc.vpcId,
          outcome: 'already-done',
          detail: `Reusing ${vpc.untrack?.groupName ?? UNTRACK_GROUP_NAME} (${vpc.untrack?.groupId}) and ${vpc.isolation?.groupName ?? ISOLATION_GROUP_NAME} (${vpc.isolation?.groupId}) in ${vpc.vpcId}`,
        },
      ],
    };
  }
  const [untrack, isolation] = await settleAll([ensureUntrack(ec2, mode, owner, vpc, naming), ensureIsolation(ec2, mode, owner, vpc, naming)] as const);
  return {
    vpcId: vpc.vpcId,
    ...(untrack.groupId ? { untrackGroupId: untrack.groupId } : {}),
    ...(isolation.groupId ? { isolationGroupId: isolation.groupId } : {}),
    actions: [...notes, ...untrack.actions, ...isolation.actions],
  };
}
