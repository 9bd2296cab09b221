/**
 * Route 53 Resolver DNS Firewall, as block-dns-domain and unblock-dns-domains call it: domain
 * lists, rule groups with their rules, VPC associations (one per group and VPC, unique priority
 * per VPC), CreatorRequestId idempotency, UpdateFirewallDomains ADD/REMOVE/REPLACE with DNS
 * Firewall's domain rules (https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Amazon_Route_53_Resolver.html).
 * No DryRun: the service has none.
 */
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { SimWorld } from './world';
import type { DomainListRecord, RuleGroupAssociationRecord, RuleGroupRecord } from './route53resolver-state';

const notFound = (what: string) => new SimulatedServiceError('ResourceNotFoundException', `${what} does not exist`, 400);
const invalid = (message: string) => new SimulatedServiceError('ValidationException', message, 400);
const conflict = (message: string) => new SimulatedServiceError('ConflictException', message, 400);

/** DNS Firewall's rule for a domain entry: an optional leading `*.`, then letters, digits, hyphens and dots, 1-255 characters. */
const DOMAIN_ENTRY = /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/;

type Input = Record<string, unknown>;
const str = (input: Input, key: string): string | undefined => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
const tagsOf = (input: Input) => new Map(((input.Tags as { Key?: string; Value?: string }[] | undefined) ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export function route53ResolverHandlers(world: SimWorld): Record<string, ApiHandler> {
  const state = world.dnsFirewall;
  const here = <T extends { account: string; region: string }>(records: Iterable<T>, call: SimCall) => [...records].filter((r) => r.account === call.account && r.region === call.region);
  const arn = (call: SimCall, type: string, id: string) => `arn:aws:route53resolver:${call.region}:${call.account}:${type}/${id}`;
  const list = (call: SimCall, id: unknown): DomainListRecord => {
    const found = typeof id === 'string' ? state.domainLists.get(id) : undefined;
    if (!found || found.account !== call.account || found.region !== call.region) throw notFound(`Firewall domain list ${String(id)}`);
    return found;
  };
  const group = (call: SimCall, id: unknown): RuleGroupRecord => {
    const found = typeof id === 'string' ? state.ruleGroups.get(id) : undefined;
    if (!found || found.account !== call.account || found.region !== call.region) throw notFound(`Firewall rule group ${String(id)}`);
    return found;
  };
  /** Groups of the caller's account, and those other accounts share with it (RAM). */
  const sharedWithCaller = (g: RuleGroupRecord, call: SimCall) => g.account !== call.account && g.region === call.region && (g.sharedWith ?? []).includes(call.account);
  const shareStatus = (g: RuleGroupRecord, call: SimCall) => (g.account !== call.account ? 'SHARED_WITH_ME' : (g.sharedWith ?? []).length > 0 ? 'SHARED_BY_ME' : 'NOT_SHARED');
  const listView = (l: DomainListRecord) => ({ Id: l.id, Arn: l.arn, Name: l.name, CreatorRequestId: l.creatorRequestId, DomainCount: l.domains.size, Status: 'COMPLETE' });
  const groupView = (g: RuleGroupRecord, call: SimCall) => ({ Id: g.id, Arn: g.arn, Name: g.name, CreatorRequestId: g.creatorRequestId, RuleCount: g.rules.length, Status: 'COMPLETE', ShareStatus: shareStatus(g, call), OwnerId: g.account });
  const associationView = (a: RuleGroupAssociationRecord) => ({
    Id: a.id, Arn: a.arn, Name: a.name, FirewallRuleGroupId: a.ruleGroupId, VpcId: a.vpcId, Priority: a.priority, MutationProtection: a.mutationProtection, CreatorRequestId: a.creatorRequestId, Status: 'COMPLETE',
  });

  return {
    CreateFirewallDomainList(call) {
      const input = inputOf<Input>(call);
      const requestId = str(input, 'CreatorRequestId') ?? '';
      const existing = here(state.domainLists.values(), call).find((l) => requestId !== '' && l.creatorRequestId === requestId);
      if (existing) return { FirewallDomainList: listView(existing) };
      const id = world.ids.resourceId('rslvr-fdl');
      const record: DomainListRecord = { account: call.account, region: call.region, id, arn: arn(call, 'firewall-domain-list', id), name: str(input, 'Name') ?? '', creatorRequestId: requestId, domains: new Set(), tags: tagsOf(input) };
      state.domainLists.set(id, record);
      return { FirewallDomainList: listView(record) };
    },
    ListFirewallDomainLists(call) {
      return { FirewallDomainLists: here(state.domainLists.values(), call).map(listView) };
    },
    ListFirewallDomains(call) {
      // Paged as the service pages it: MaxResults 1 to 5000, 100 when absent, a NextToken for the rest.
      const input = inputOf<Input>(call);
      const domains = [...list(call, input.FirewallDomainListId).domains];
      const max = input.MaxResults === undefined ? 100 : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 5000) throw invalid('MaxResults must be between 1 and 5000');
      const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
      if (!Number.isInteger(start) || start < 0 || start > domains.length) throw invalid('Invalid NextToken');
      const end = start + max;
      return { Domains: domains.slice(start, end), ...(end < domains.length ? { NextToken: String(end) } : {}) };
    },
    UpdateFirewallDomains(call) {
      const input = inputOf<Input>(call);
      const target = list(call, input.FirewallDomainListId);
      const domains = (input.Domains as string[] | undefined) ?? [];
      if (domains.length > 1000) throw invalid('There is a limit of 1000 domains per request');
      for (const domain of domains) if (domain.length > 255 || !DOMAIN_ENTRY.test(domain)) throw invalid(`Invalid domain: ${domain}`);
      const entries = domains.map((d) => `${d.toLowerCase().replace(/\.$/, '')}.`);
      switch (input.Operation) {
        case 'ADD':
          entries.forEach((e) => target.domains.add(e));
          break;
        case 'REMOVE':
          entries.forEach((e) => target.domains.delete(e));
          break;
        case 'REPLACE':
          target.domains.clear();
          entries.forEach((e) => target.domains.add(e));
          break;
        default:
          throw invalid(`Invalid operation: ${String(input.Operation)}`);
      }
      return { Id: target.id, Name: target.name, Status: 'UPDATING' };
    },
    CreateFirewallRuleGroup(call) {
      const input = inputOf<Input>(call);
      const requestId = str(input, 'CreatorRequestId') ?? '';
      const existing = here(state.ruleGroups.values(), call).find((g) => requestId !== '' && g.creatorRequestId === requestId);
      if (existing) return { FirewallRuleGroup: groupView(existing, call) };
      const id = world.ids.resourceId('rslvr-frg');
      const record: RuleGroupRecord = { account: call.account, region: call.region, id, arn: arn(call, 'firewall-rule-group', id), name: str(input, 'Name') ?? '', creatorRequestId: requestId, rules: [], tags: tagsOf(input) };
      state.ruleGroups.set(id, record);
      return { FirewallRuleGroup: groupView(record, call) };
    },
    ListFirewallRuleGroups(call) {
      const listed = [...here(state.ruleGroups.values(), call), ...[...state.ruleGroups.values()].filter((g) => sharedWithCaller(g, call))];
      return { FirewallRuleGroups: listed.map((g) => ({ Id: g.id, Arn: g.arn, Name: g.name, CreatorRequestId: g.creatorRequestId, OwnerId: g.account, ShareStatus: shareStatus(g, call) })) };
    },
    CreateFirewallRule(call) {
      const input = inputOf<Input>(call);
      const target = group(call, input.FirewallRuleGroupId);
      const domainList = list(call, input.FirewallDomainListId);
      const requestId = str(input, 'CreatorRequestId') ?? '';
      const existing = target.rules.find((r) => requestId !== '' && r.creatorRequestId === requestId);
      const view = (r: RuleGroupRecord['rules'][number]) => ({ FirewallRuleGroupId: target.id, FirewallDomainListId: r.domainListId, Name: r.name, Priority: r.priority, Action: r.action, ...(r.blockResponse ? { BlockResponse: r.blockResponse } : {}), CreatorRequestId: r.creatorRequestId });
      if (existing) return { FirewallRule: view(existing) };
      const priority = Number(input.Priority);
      if (target.rules.some((r) => r.priority === priority)) throw conflict(`A rule with priority ${priority} exists in ${target.id}`);
      if (target.rules.some((r) => r.domainListId === domainList.id)) throw conflict(`A rule for domain list ${domainList.id} exists in ${target.id}`);
      const action = str(input, 'Action') ?? '';
      if (action === 'BLOCK' && !input.BlockResponse) throw invalid('BlockResponse is required for BLOCK');
      const rule = { name: str(input, 'Name') ?? '', domainListId: domainList.id, priority, action, ...(str(input, 'BlockResponse') ? { blockResponse: str(input, 'BlockResponse')! } : {}), creatorRequestId: requestId };
      target.rules.push(rule);
      return { FirewallRule: view(rule) };
    },
    ListFirewallRules(call) {
      const target = group(call, inputOf<Input>(call).FirewallRuleGroupId);
      return {
        FirewallRules: target.rules.map((r) => ({ FirewallRuleGroupId: target.id, FirewallDomainListId: r.domainListId, Name: r.name, Priority: r.priority, Action: r.action, ...(r.blockResponse ? { BlockResponse: r.blockResponse } : {}), CreatorRequestId: r.creatorRequestId })),
      };
    },
    AssociateFirewallRuleGroup(call) {
      const input = inputOf<Input>(call);
      // A group another account shares is associated with the caller's VPCs like its own (the guide's sharing page).
      const candidate = typeof input.FirewallRuleGroupId === 'string' ? state.ruleGroups.get(input.FirewallRuleGroupId) : undefined;
      const target = candidate !== undefined && sharedWithCaller(candidate, call) ? candidate : group(call, input.FirewallRuleGroupId);
      const vpcId = str(input, 'VpcId') ?? '';
      const vpc = world.vpcs.get(vpcId);
      if (!vpc || vpc.account !== call.account || vpc.region !== call.region) throw invalid(`The VPC ${vpcId} does not exist`);
      const requestId = str(input, 'CreatorRequestId') ?? '';
      const mine = here(state.associations.values(), call);
      const existing = mine.find((a) => requestId !== '' && a.creatorRequestId === requestId);
      if (existing) return { FirewallRuleGroupAssociation: associationView(existing) };
      const priority = Number(input.Priority);
      if (!Number.isInteger(priority) || priority < 100 || priority > 9900) throw invalid('Priority must be between 100 and 9900');
      if (mine.some((a) => a.vpcId === vpcId && a.ruleGroupId === target.id)) throw conflict(`The rule group ${target.id} is associated with ${vpcId} already`);
      if (mine.some((a) => a.vpcId === vpcId && a.priority === priority)) throw conflict(`Another rule group is associated with ${vpcId} at priority ${priority}`);
      const id = world.ids.resourceId('rslvr-frgassoc');
      const record: RuleGroupAssociationRecord = {
        account: call.account, region: call.region, id, arn: arn(call, 'firewall-rule-group-association', id), name: str(input, 'Name') ?? '', ruleGroupId: target.id, vpcId, priority,
        mutationProtection: str(input, 'MutationProtection') ?? 'DISABLED', creatorRequestId: requestId,
      };
      state.associations.set(id, record);
      return { FirewallRuleGroupAssociation: associationView(record) };
    },
    ListFirewallRuleGroupAssociations(call) {
      const input = inputOf<Input>(call);
      return {
        FirewallRuleGroupAssociations: here(state.associations.values(), call)
          .filter((a) => (input.FirewallRuleGroupId === undefined || a.ruleGroupId === input.FirewallRuleGroupId) && (input.VpcId === undefined || a.vpcId === input.VpcId))
          .map(associationView),
      };
    },
  };
}
