/**
 * Security groups and their rules, as EC2 keeps them: every rule is one protocol/port range and one
 * peer; a new group gets the allow-all IPv4 egress rule; duplicates are refused; revoking a rule
 * that does not exist is refused in a non-default VPC and reported in the default VPC.
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html
 */
import type {
  AuthorizeSecurityGroupIngressCommandInput,
  CreateSecurityGroupCommandInput,
  DeleteSecurityGroupCommandInput,
  DescribeSecurityGroupRulesCommandInput,
  DescribeSecurityGroupsCommandInput,
  IpPermission,
  RevokedSecurityGroupRule,
  RevokeSecurityGroupIngressCommandInput,
} from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import {
  applyFilters,
  applyTags,
  ec2Error,
  invalidParameterValue,
  located,
  missingParameter,
  requireSecurityGroup,
  requireVisibleSecurityGroup,
  visibleSecurityGroups,
  requireVpc,
  tagList,
  tagsFromSpecifications,
} from './ec2-common';
import { ipPermissions, securityGroupRuleView, securityGroupView } from './ec2-views';
import type { RulePeer, RuleRecord, SecurityGroupRecord } from './model';
import type { SimWorld } from './world';

/** Default quota of inbound (and, separately, outbound) rules per group. */
export const RULES_PER_GROUP = 60;

const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  '-1': '-1',
  all: '-1',
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  icmp: 'icmp',
  '1': 'icmp',
  icmpv6: 'icmpv6',
  '58': 'icmpv6',
};

function normalizeProtocol(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw missingParameter('IpPermissions.IpProtocol');
  const lower = raw.toLowerCase();
  const known = PROTOCOL_NAMES[lower];
  if (known) return known;
  const number = Number(lower);
  if (Number.isInteger(number) && number >= 0 && number <= 255) return String(number);
  throw invalidParameterValue(`Invalid value '${raw}' for IP protocol. Unknown protocol.`);
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr4(cidr: string): void {
  const m = IPV4_CIDR.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw invalidParameterValue(`CIDR block ${cidr} is malformed`);
  }
}

/** The rules one IpPermission stands for (one per peer). */
function rulesOf(
  world: SimWorld,
  call: SimCall,
  group: SecurityGroupRecord,
  permission: IpPermission,
  egress: boolean,
  resolveGroupPeers: boolean,
): Omit<RuleRecord, 'id'>[] {
  const protocol = normalizeProtocol(permission.IpProtocol);
  let fromPort: number | undefined;
  let toPort: number | undefined;
  if (protocol === 'tcp' || protocol === 'udp') {
    if (permission.FromPort === undefined || permission.ToPort === undefined) {
      throw invalidParameterValue('Invalid value for portRange. Must specify both from and to ports with TCP/UDP.');
    }
    if (permission.FromPort < 0 || permission.ToPort > 65535 || permission.FromPort > permission.ToPort) {
      throw invalidParameterValue(`Invalid value for portRange. From port ${permission.FromPort} to port ${permission.ToPort} is not a valid range.`);
    }
    fromPort = permission.FromPort;
    toPort = permission.ToPort;
  } else if (protocol === 'icmp' || protocol === 'icmpv6') {
    fromPort = permission.FromPort ?? -1;
    toPort = permission.ToPort ?? -1;
  }
  const peers: { peer: RulePeer; description?: string }[] = [];
  for (const range of permission.IpRanges ?? []) {
    if (!range.CidrIp) throw missingParameter('IpRanges.CidrIp');
    checkCidr4(range.CidrIp);
    peers.push({ peer: { kind: 'cidr4', value: range.CidrIp }, ...(range.Description !== undefined ? { description: range.Description } : {}) });
  }
  for (const range of permission.Ipv6Ranges ?? []) {
    if (!range.CidrIpv6) throw missingParameter('Ipv6Ranges.CidrIpv6');
    peers.push({ peer: { kind: 'cidr6', value: range.CidrIpv6 }, ...(range.Description !== undefined ? { description: range.Description } : {}) });
  }
  for (const pair of permission.UserIdGroupPairs ?? []) {
    if (!pair.GroupId) throw missingParameter('UserIdGroupPairs.GroupId');
    if (resolveGroupPeers) {
      const peer = requireSecurityGroup(world, call, pair.GroupId);
      if (peer.vpcId !== group.vpcId) {
        throw ec2Error('InvalidGroup.NotFound', `You have specified two resources that belong to different networks.`);
      }
    }
    peers.push({
      peer: { kind: 'group', value: pair.GroupId, userId: pair.UserId ?? group.account },
      ...(pair.Description !== undefined ? { description: pair.Description } : {}),
    });
  }
  for (const list of permission.PrefixListIds ?? []) {
    if (!list.PrefixListId) throw missingParameter('PrefixListIds.PrefixListId');
    peers.push({ peer: { kind: 'prefix-list', value: list.PrefixListId }, ...(list.Description !== undefined ? { description: list.Description } : {}) });
  }
  if (peers.length === 0) {
    throw missingParameter('CIDR block, a security group ID or a prefix list');
  }
  return peers.map(({ peer, description }) => ({
    egress,
    protocol,
    ...(fromPort !== undefined ? { fromPort } : {}),
    ...(toPort !== undefined ? { toPort } : {}),
    peer,
    ...(description !== undefined ? { description } : {}),
  }));
}

function sameRule(a: Omit<RuleRecord, 'id'>, b: Omit<RuleRecord, 'id'>): boolean {
  return (
    a.egress === b.egress &&
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.peer.kind === b.peer.kind &&
    a.peer.value === b.peer.value
  );
}

/** How EC2 names a rule in InvalidPermission.Duplicate: `"peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW"`. */
function describeRule(rule: Omit<RuleRecord, 'id'>): string {
  const protocol = rule.protocol === '-1' ? 'ALL' : rule.protocol.toUpperCase();
  const ports =
    rule.protocol === 'tcp' || rule.protocol === 'udp'
      ? `, from port: ${rule.fromPort}, to port: ${rule.toPort}`
      : rule.protocol === 'icmp' || rule.protocol === 'icmpv6'
        ? `, type: ${rule.fromPort}, code: ${rule.toPort}`
        : '';
  return `peer: ${rule.peer.value}, ${protocol}${ports}, ALLOW`;
}

/** The legacy top-level parameters of Authorize/RevokeSecurityGroupIngress as one IpPermission. */
function legacyPermission(input: Record<string, unknown>): IpPermission | undefined {
  if (input.IpProtocol === undefined && input.CidrIp === undefined) return undefined;
  const permission: IpPermission = { IpProtocol: input.IpProtocol as string | undefined };
  if (typeof input.FromPort === 'number') permission.FromPort = input.FromPort;
  if (typeof input.ToPort === 'number') permission.ToPort = input.ToPort;
  if (typeof input.CidrIp === 'string') permission.IpRanges = [{ CidrIp: input.CidrIp }];
  return permission;
}

export function ec2SecurityGroupHandlers(world: SimWorld): Record<string, ApiHandler> {
  const isDefaultVpc = (vpcId: string): boolean => world.vpcs.get(vpcId)?.isDefault === true;

  const authorize = (call: SimCall, egress: boolean) => {
    const input = inputOf<AuthorizeSecurityGroupIngressCommandInput & Record<string, unknown>>(call);
    const group = requireSecurityGroup(world, call, input.GroupId);
    const permissions = [...(input.IpPermissions ?? [])];
    const legacy = legacyPermission(input);
    if (legacy) permissions.push(legacy);
    if (permissions.length === 0) throw missingParameter('IpPermissions');
    const candidates = permissions.flatMap((p) => rulesOf(world, call, group, p, egress, true));
    candidates.forEach((rule, index) => {
      const duplicate = group.rules.some((existing) => sameRule(existing, rule)) || candidates.slice(0, index).some((c) => sameRule(c, rule));
      if (duplicate) throw ec2Error('InvalidPermission.Duplicate', `the specified rule "${describeRule(rule)}" already exists`);
    });
    const sameDirection = group.rules.filter((r) => r.egress === egress).length;
    if (sameDirection + candidates.length > RULES_PER_GROUP) {
      throw ec2Error('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
    }
    const tags = tagsFromSpecifications(input.TagSpecifications, 'security-group-rule');
    if (tags.length > 0) call.authorize('ec2:CreateTags');
    call.dryRunGate();
    const added = candidates.map((rule) => ({ ...rule, id: world.ids.resourceId('sgr') }));
    group.rules.push(...added);
    return { Return: true, SecurityGroupRules: added.map((rule) => securityGroupRuleView(group, rule)) };
  };

  const revoke = (call: SimCall, egress: boolean) => {
    const input = inputOf<RevokeSecurityGroupIngressCommandInput & Record<string, unknown>>(call);
    const group = requireSecurityGroup(world, call, input.GroupId);
    const toRemove: RuleRecord[] = [];
    const unknown: IpPermission[] = [];
    for (const ruleId of input.SecurityGroupRuleIds ?? []) {
      const rule = group.rules.find((r) => r.id === ruleId && r.egress === egress);
      if (!rule) throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${ruleId}' does not exist`);
      toRemove.push(rule);
    }
    const permissions = [...(input.IpPermissions ?? [])];
    const legacy = legacyPermission(input);
    if (legacy) permissions.push(legacy);
    if (permissions.length === 0 && toRemove.length === 0) throw missingParameter('IpPermissions');
    for (const permission of permissions) {
      for (const wanted of rulesOf(world, call, group, permission, egress, false)) {
        const existing = group.rules.find((r) => sameRule(r, wanted));
        if (existing) toRemove.push(existing);
        else unknown.push(...ipPermissions([{ ...wanted, id: '' }]));
      }
    }
    if (unknown.length > 0 && !isDefaultVpc(group.vpcId)) {
      // "For a non-default VPC, if the values you specify do not match the existing rule's values,
      // an InvalidPermission.NotFound client error is returned, and no rules are revoked."
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html
      throw ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
    }
    call.dryRunGate();
    group.rules = group.rules.filter((r) => !toRemove.includes(r));
    const revoked: RevokedSecurityGroupRule[] = toRemove.map((rule) => {
      const view = securityGroupRuleView(group, rule);
      return {
        SecurityGroupRuleId: view.SecurityGroupRuleId,
        GroupId: view.GroupId,
        IsEgress: view.IsEgress,
        IpProtocol: view.IpProtocol,
        FromPort: view.FromPort,
        ToPort: view.ToPort,
        ...(view.CidrIpv4 !== undefined ? { CidrIpv4: view.CidrIpv4 } : {}),
        ...(view.CidrIpv6 !== undefined ? { CidrIpv6: view.CidrIpv6 } : {}),
        ...(view.PrefixListId !== undefined ? { PrefixListId: view.PrefixListId } : {}),
        ...(view.ReferencedGroupInfo?.GroupId !== undefined ? { ReferencedGroupId: view.ReferencedGroupInfo.GroupId } : {}),
        ...(view.Description !== undefined ? { Description: view.Description } : {}),
      };
    });
    return { Return: true, RevokedSecurityGroupRules: revoked, ...(unknown.length > 0 ? { UnknownIpPermissions: unknown } : {}) };
  };

  return {
    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html */
    DescribeSecurityGroups(call) {
      const input = inputOf<DescribeSecurityGroupsCommandInput>(call);
      let candidates: SecurityGroupRecord[];
      if (input.GroupIds?.length) {
        candidates = input.GroupIds.map((id) => requireVisibleSecurityGroup(world, call, id));
      } else if (input.GroupNames?.length) {
        // Group names alone only address the default VPC.
        const defaults = located(world.vpcs.values(), call).find((v) => v.isDefault);
        candidates = input.GroupNames.map((name) => {
          const group = located(world.securityGroups.values(), call).find((g) => g.vpcId === defaults?.id && g.name === name);
          if (!group) throw ec2Error('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC '${defaults?.id ?? 'none'}'`);
          return group;
        });
      } else {
        // Shared groups too, under their owner's OwnerId (RAM security group sharing).
        candidates = visibleSecurityGroups(world, call);
      }
      const matched = applyFilters(
        candidates,
        input.Filters,
        {
          'group-id': (g) => [g.id],
          'group-name': (g) => [g.name],
          'vpc-id': (g) => [g.vpcId],
          description: (g) => [g.description],
          'owner-id': (g) => [g.account],
        },
        (g) => g.tags,
      );
      call.dryRunGate();
      return { SecurityGroups: matched.map(securityGroupView) };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroupRules.html */
    DescribeSecurityGroupRules(call) {
      const input = inputOf<DescribeSecurityGroupRulesCommandInput>(call);
      const all = located(world.securityGroups.values(), call).flatMap((group) => group.rules.map((rule) => ({ group, rule })));
      for (const id of input.SecurityGroupRuleIds ?? []) {
        if (!all.some(({ rule }) => rule.id === id)) {
          throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
        }
      }
      const wanted = input.SecurityGroupRuleIds?.length ? all.filter(({ rule }) => input.SecurityGroupRuleIds?.includes(rule.id)) : all;
      const matched = applyFilters(
        wanted,
        input.Filters,
        { 'group-id': ({ group }) => [group.id], 'security-group-rule-id': ({ rule }) => [rule.id] },
        () => new Map(),
      );
      call.dryRunGate();
      return { SecurityGroupRules: matched.map(({ group, rule }) => securityGroupRuleView(group, rule)) };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html — names
     * are unique per VPC (case-insensitive); "by default, a new security group has an outbound rule
     * that allows all outbound IPv4 traffic" (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
     */
    CreateSecurityGroup(call) {
      const input = inputOf<CreateSecurityGroupCommandInput>(call);
      if (!input.GroupName) throw missingParameter('groupName');
      if (input.Description === undefined || input.Description === '') throw missingParameter('groupDescription');
      if (input.GroupName.length > 255) throw invalidParameterValue('Group name exceeds the maximum length of 255 characters');
      if (input.GroupName.toLowerCase().startsWith('sg-')) throw invalidParameterValue('Group names may not be in the format sg-*.');
      let vpcId = input.VpcId;
      if (vpcId === undefined) {
        const defaults = located(world.vpcs.values(), call).find((v) => v.isDefault);
        if (!defaults) throw ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
        vpcId = defaults.id;
      }
      const vpc = requireVpc(world, call, vpcId);
      const name = input.GroupName;
      const clash = located(world.securityGroups.values(), call).find((g) => g.vpcId === vpc.id && g.name.toLowerCase() === name.toLowerCase());
      if (clash) throw ec2Error('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpc.id}'`);
      const tags = tagsFromSpecifications(input.TagSpecifications, 'security-group');
      // Tagging on create needs ec2:CreateTags as well
      // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
      if (tags.length > 0) call.authorize('ec2:CreateTags');
      call.dryRunGate();
      const group = newSecurityGroup(world, { account: call.account, region: call.region, vpcId: vpc.id, name, description: input.Description });
      applyTags(group.tags, tags);
      return {
        GroupId: group.id,
        SecurityGroupArn: `arn:aws:ec2:${group.region}:${group.account}:security-group/${group.id}`,
        ...(tagList(group.tags) ? { Tags: tagList(group.tags) } : {}),
      };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html */
    DeleteSecurityGroup(call) {
      const input = inputOf<DeleteSecurityGroupCommandInput>(call);
      const group = requireSecurityGroup(world, call, input.GroupId);
      if (world.vpcs.get(group.vpcId)?.defaultGroupId === group.id) {
        throw ec2Error('CannotDelete', `the specified group: "${group.id}" name: "default" cannot be deleted by a user`);
      }
      const inUse =
        [...world.networkInterfaces.values()].some((eni) => eni.groupIds.includes(group.id)) ||
        [...world.securityGroups.values()].some((g) => g.id !== group.id && g.rules.some((r) => r.peer.kind === 'group' && r.peer.value === group.id));
      if (inUse) throw ec2Error('DependencyViolation', `resource ${group.id} has a dependent object`);
      call.dryRunGate();
      world.securityGroups.delete(group.id);
      return { Return: true, GroupId: group.id };
    },

    AuthorizeSecurityGroupIngress: (call) => authorize(call, false),
    AuthorizeSecurityGroupEgress: (call) => authorize(call, true),
    RevokeSecurityGroupIngress: (call) => revoke(call, false),
    RevokeSecurityGroupEgress: (call) => revoke(call, true),
  };
}

/**
 * A new group with EC2's default rules: nothing inbound; all outbound IPv4 traffic, and all outbound
 * IPv6 traffic when the VPC has an IPv6 block
 * (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
 */
export function newSecurityGroup(
  world: SimWorld,
  init: { account: string; region: string; vpcId: string; name: string; description: string; id?: string },
): SecurityGroupRecord {
  const group: SecurityGroupRecord = {
    id: init.id ?? world.ids.resourceId('sg'),
    account: init.account,
    region: init.region,
    vpcId: init.vpcId,
    name: init.name,
    description: init.description,
    rules: [{ id: world.ids.resourceId('sgr'), egress: true, protocol: '-1', peer: { kind: 'cidr4', value: '0.0.0.0/0' } }],
    tags: new Map(),
  };
  if (world.vpcs.get(init.vpcId)?.ipv6Cidr !== undefined) {
    group.rules.push({ id: world.ids.resourceId('sgr'), egress: true, protocol: '-1', peer: { kind: 'cidr6', value: '::/0' } });
  }
  world.securityGroups.set(group.id, group);
  return group;
}
