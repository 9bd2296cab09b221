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
 * This module holds the pure decisions (is a group healthy, which rules to add or revoke) and the
 * find-or-create adapter.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../aws/errors';
import { sendReadOnly } from '../aws/mutating';
import type { ResponderMode } from './model';
import type { PendingAction } from './pending-actions';
import { mutateEc2, settleAll } from './pending-actions';

export const UNTRACK_GROUP_NAME = 'firebreak-untrack';
export const ISOLATION_GROUP_NAME = 'firebreak-isolation';

export type GroupPurpose = 'untrack' | 'isolation';

const GROUP_NAMES: Record<GroupPurpose, string> = { untrack: UNTRACK_GROUP_NAME, isolation: ISOLATION_GROUP_NAME };

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

/** A Firebreak group as found in a VPC. */
export interface FoundGroup {
  readonly groupId: string;
  readonly vpcId: string;
  readonly purpose: GroupPurpose;
  /** Carries the `firebreak:managed` tag (a group someone else named like ours does not). */
  readonly managed: boolean;
  readonly ingress: readonly IpPermission[];
  readonly egress: readonly IpPermission[];
}

export interface VpcGroups {
  readonly vpcId: string;
  readonly untrack?: FoundGroup;
  readonly isolation?: FoundGroup;
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

function toFoundGroup(group: SecurityGroup): FoundGroup | undefined {
  const purpose = group.GroupName === UNTRACK_GROUP_NAME ? 'untrack' : group.GroupName === ISOLATION_GROUP_NAME ? 'isolation' : undefined;
  if (!purpose || !group.GroupId || !group.VpcId) return undefined;
  return {
    groupId: group.GroupId,
    vpcId: group.VpcId,
    purpose,
    managed: (group.Tags ?? []).some((t) => t.Key === 'firebreak:managed' && t.Value === 'true'),
    ingress: group.IpPermissions ?? [],
    egress: group.IpPermissionsEgress ?? [],
  };
}

/** Finds Firebreak's groups in the given VPCs with one DescribeSecurityGroups call. */
export async function findVpcGroups(
  ec2: EC2Client,
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
          { Name: 'group-name', Values: [...names] },
        ],
      }),
    ),
  );
  for (const described of output.SecurityGroups ?? []) {
    const group = toFoundGroup(described);
    const current = group ? result.get(group.vpcId) : undefined;
    if (group && current) result.set(group.vpcId, { ...current, [group.purpose]: group });
  }
  return result;
}

/** What `ensureVpcGroups` established: group ids (undefined in dry-run when not created) and its actions. */
export interface EnsuredGroups {
  readonly vpcId: string;
  readonly untrackGroupId?: string;
  readonly isolationGroupId?: string;
  readonly actions: readonly PendingAction[];
}

async function createGroup(
  ec2: EC2Client,
  mode: ResponderMode,
  vpcId: string,
  purpose: GroupPurpose,
): Promise<{ group?: FoundGroup; fresh: boolean; actions: PendingAction[] }> {
  const name = GROUP_NAMES[purpose];
  const created = await mutateEc2(
    mode,
    'ec2:CreateSecurityGroup',
    vpcId,
    `create the ${name} security group in ${vpcId}`,
    async (dryRun) => {
      try {
        const output = await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            Description: GROUP_DESCRIPTIONS[purpose],
            VpcId: vpcId,
            TagSpecifications: [
              {
                ResourceType: 'security-group',
                Tags: [
                  { Key: 'Name', Value: name },
                  { Key: 'firebreak:managed', Value: 'true' },
                  { Key: 'firebreak:purpose', Value: purpose },
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
    const found = (await findVpcGroups(ec2, [vpcId], [name])).get(vpcId)?.[purpose];
    if (!found) throw new Error(`EC2 said ${name} exists in ${vpcId} but DescribeSecurityGroups does not show it`);
    return {
      group: found,
      fresh: false,
      actions: [
        {
          api: 'ec2:CreateSecurityGroup',
          target: vpcId,
          outcome: 'already-done',
          detail: `${name} was created concurrently by another run (InvalidGroup.Duplicate); reusing ${found.groupId}`,
        },
      ],
    };
  }
  if (created.output?.groupId) {
    const fresh: FoundGroup = {
      groupId: created.output.groupId,
      vpcId,
      purpose,
      managed: true,
      ingress: [],
      // EC2 gives every new VPC group the default all-out egress rule(s).
      egress: purpose === 'isolation' ? [DEFAULT_IPV4_EGRESS, DEFAULT_IPV6_EGRESS] : [DEFAULT_IPV4_EGRESS],
    };
    return { group: fresh, fresh: true, actions: [{ ...created.action, detail: `${created.action.detail}: ${fresh.groupId}` }] };
  }
  return { fresh: false, actions: [created.action] };
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
async function ensureUntrack(ec2: EC2Client, mode: ResponderMode, vpc: VpcGroups): Promise<{ groupId?: string; actions: PendingAction[] }> {
  const actions: PendingAction[] = [];
  let group = vpc.untrack;
  if (!group) {
    const created = await createGroup(ec2, mode, vpc.vpcId, 'untrack');
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
  vpc: VpcGroups,
): Promise<{ groupId?: string; actions: PendingAction[] }> {
  const actions: PendingAction[] = [];
  let group = vpc.isolation;
  let fresh = false;
  if (!group) {
    const created = await createGroup(ec2, mode, vpc.vpcId, 'isolation');
    actions.push(...created.actions);
    if (!created.group) {
      actions.push(notProbed('ec2:RevokeSecurityGroupEgress', vpc.vpcId, `revoke the default egress rule of ${ISOLATION_GROUP_NAME}`));
      return { actions };
    }
    group = created.group;
    fresh = created.fresh;
  }
  const revoke = async (
    api: 'ec2:RevokeSecurityGroupEgress' | 'ec2:RevokeSecurityGroupIngress',
    permissions: IpPermission[],
    detail: string,
  ): Promise<PendingAction> => {
    const revoked = await mutateEc2(mode, api, group.groupId, detail, async (dryRun) => {
      const input = { GroupId: group.groupId, IpPermissions: permissions, ...(dryRun ? { DryRun: true } : {}) };
      try {
        return api === 'ec2:RevokeSecurityGroupEgress'
          ? await ec2.send(new RevokeSecurityGroupEgressCommand(input))
          : await ec2.send(new RevokeSecurityGroupIngressCommand(input));
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
  } else {
    // An existing group must have no rule at all: revoke whatever is there (a crash between create
    // and revoke, or someone who added a rule), exactly as EC2 described it.
    if (group.egress.length > 0) {
      calls.push(
        revoke(
          'ec2:RevokeSecurityGroupEgress',
          group.egress.map(revocablePermission),
          `revoke every egress rule of ${ISOLATION_GROUP_NAME} (found ${group.egress.length})`,
        ),
      );
    }
    if (group.ingress.length > 0) {
      calls.push(
        revoke(
          'ec2:RevokeSecurityGroupIngress',
          group.ingress.map(revocablePermission),
          `revoke every ingress rule of ${ISOLATION_GROUP_NAME} (found ${group.ingress.length})`,
        ),
      );
    }
  }
  actions.push(...(await settleAll(calls)));
  return { groupId: group.groupId, actions };
}

/**
 * Makes sure both groups exist and hold the right rules in one VPC: no call at all when they are
 * ready (the common case on a VPC seen before), otherwise the two groups are set up concurrently.
 */
export async function ensureVpcGroups(ec2: EC2Client, mode: ResponderMode, vpc: VpcGroups): Promise<EnsuredGroups> {
  const notes: PendingAction[] = [];
  for (const group of [vpc.untrack, vpc.isolation]) {
    if (group && !group.managed) {
      notes.push({
        api: 'ec2:DescribeSecurityGroups',
        target: group.groupId,
        outcome: 'observed',
        detail: `${GROUP_NAMES[group.purpose]} (${group.groupId}) lacks the firebreak:managed tag: someone else may have created it; its rules are checked all the same`,
      });
    }
  }
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
          detail: `Reusing ${UNTRACK_GROUP_NAME} (${vpc.untrack?.groupId}) and ${ISOLATION_GROUP_NAME} (${vpc.isolation?.groupId}) in ${vpc.vpcId}`,
        },
      ],
    };
  }
  const [untrack, isolation] = await settleAll([ensureUntrack(ec2, mode, vpc), ensureIsolation(ec2, mode, vpc)] as const);
  return {
    vpcId: vpc.vpcId,
    ...(untrack.groupId ? { untrackGroupId: untrack.groupId } : {}),
    ...(isolation.groupId ? { isolationGroupId: isolation.groupId } : {}),
    actions: [...notes, ...untrack.actions, ...isolation.actions],
  };
}
