/**
 * The Route 53 Resolver DNS Firewall adapter of block-dns-domain and unblock-dns-domains: one
 * Firebreak-managed domain list and one rule group per account and region, holding one BLOCK rule
 * over that list, associated once with each VPC that needed it; domains are added to and removed
 * from the list per incident. Everything is found by name (and the CreatorRequestId Firebreak
 * gave it) before it is created, and created with a deterministic CreatorRequestId, so a
 * redelivered or retried step finds what the first run made instead of making a second one
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_CreateFirewallRuleGroup.html).
 *
 * Route 53 Resolver has no DryRun parameter: in dry-run the lists are read and every change is
 * reported as "cannot dry-run", never sent.
 *
 * Why these settings (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall-rule-settings.html):
 * - BLOCK with an NXDOMAIN response by default: the queried name "does not exist", so a resolver
 *   or malware retries nothing and a tunnel gets no answer to carry data in; NODATA is the option.
 * - The association's priority decides where the rule group sits among the VPC's rule groups
 *   (lowest first; unique per VPC; 100 to 9900, Firewall Manager keeping the rest). Firebreak
 *   defaults to 100, first, so that no ALLOW rule of another group lets the C2 domain through.
 * - Mutation protection stays DISABLED: Firebreak never removes the association (an empty list
 *   blocks nothing), and an administrator must be able to remove it without a support case.
 * - Changes reach the resolvers within a short time, not at once ("propagation"): the result
 *   says the block was requested, and the alert says what was blocked.
 */
import {
  AssociateFirewallRuleGroupCommand,
  CreateFirewallDomainListCommand,
  CreateFirewallRuleCommand,
  CreateFirewallRuleGroupCommand,
  ListFirewallDomainListsCommand,
  ListFirewallDomainsCommand,
  ListFirewallRuleGroupAssociationsCommand,
  ListFirewallRuleGroupsCommand,
  ListFirewallRulesCommand,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import type { FirewallRule, FirewallRuleGroupMetadata, Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { ResponderFailedError } from '../contracts/responder-errors';
import { MANAGED_SECURITY_GROUP_TAG } from '../contracts/security';
import type { ResponderMode } from '../contracts/responder-mode';
import { sendReadOnly } from './mutating';
import type { PendingAction } from './pending-actions';
import { mutateUnprobed } from './pending-actions';

/** Names and request ids of what Firebreak manages in DNS Firewall, written once. */
export const FIREBREAK_DNS_FIREWALL = {
  domainListName: 'firebreak-blocked-domains',
  ruleGroupName: 'firebreak-block-domains',
  ruleName: 'firebreak-block-listed-domains',
  associationName: 'firebreak-block-domains',
  /** The only rule of the group. */
  rulePriority: 100,
  domainListRequestId: 'firebreak-domain-list-v1',
  ruleGroupRequestId: 'firebreak-rule-group-v1',
  ruleRequestId: (ruleGroupId: string) => `firebreak-rule-v1-${ruleGroupId}`,
  associationRequestId: (ruleGroupId: string, vpcId: string) => `firebreak-association-v1-${ruleGroupId}-${vpcId}`,
} as const;

/** Tag of what Firebreak creates (the same `firebreak:managed=true` its security groups carry). */
const MANAGED_TAGS = [{ Key: MANAGED_SECURITY_GROUP_TAG.key, Value: MANAGED_SECURITY_GROUP_TAG.value }];

/** The settings a playbook chooses (block-dns-domain's options). */
export interface BlockSettings {
  readonly blockResponse: 'NXDOMAIN' | 'NODATA';
  readonly associationPriority: number;
}

/** One change, sent in enforce; in dry-run reported as "cannot dry-run" and never sent. */
async function mutateResolver<T>(mode: ResponderMode, api: string, target: string, what: string, send: () => Promise<T>): Promise<{ action: PendingAction; output?: T }> {
  if (mode === 'dry-run') {
    return { action: { api, target, outcome: 'would-do', detail: `Would ${what} (cannot dry-run: Route 53 Resolver has no DryRun parameter, so nothing was sent)` } };
  }
  return mutateUnprobed(mode, api, target, what, send);
}

/** Every page of a List call. */
async function listAll<T>(api: string, page: (nextToken: string | undefined) => Promise<{ items: readonly T[]; nextToken?: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await sendReadOnly(api, () => page(token));
    items.push(...answer.items);
    token = answer.nextToken;
  } while (token);
  return items;
}

/** Firebreak's domain list and rule group as they are (ids absent when they do not exist yet). */
export interface FirewallLookup {
  readonly domainListId?: string;
  readonly ruleGroupId?: string;
}

/**
 * Finds Firebreak's domain list and rule group of `account` (two concurrent List calls).
 * ListFirewallRuleGroups also lists the groups other accounts share with this one through RAM
 * (`ShareStatus` SHARED_WITH_ME, their owner's `OwnerId`): a group of another account is never
 * Firebreak's here, whatever its name and request id, both of which anyone can read in this code
 * (row 9c; https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_FirewallRuleGroupMetadata.html).
 */
export async function findFirewall(r53: Route53ResolverClient, account: string): Promise<FirewallLookup> {
  const [lists, groups] = await Promise.all([
    listAll('route53resolver:ListFirewallDomainLists', async (NextToken) => {
      const answer = await r53.send(new ListFirewallDomainListsCommand({ ...(NextToken ? { NextToken } : {}) }));
      return { items: answer?.FirewallDomainLists ?? [], nextToken: answer?.NextToken };
    }),
    listAll('route53resolver:ListFirewallRuleGroups', async (NextToken) => {
      const answer = await r53.send(new ListFirewallRuleGroupsCommand({ ...(NextToken ? { NextToken } : {}) }));
      return { items: answer?.FirewallRuleGroups ?? [], nextToken: answer?.NextToken };
    }),
  ]);
  // Found by name AND the request id Firebreak creates it with: a list someone else named alike is not used.
  const list = lists.find((l) => l.Name === FIREBREAK_DNS_FIREWALL.domainListName && l.CreatorRequestId === FIREBREAK_DNS_FIREWALL.domainListRequestId && !l.ManagedOwnerName);
  // Route 53 Resolver always gives OwnerId: a group without one is not known to be this account's.
  const own = (g: FirewallRuleGroupMetadata) => g.ShareStatus !== 'SHARED_WITH_ME' && g.OwnerId === account;
  const group = groups.find((g) => g.Name === FIREBREAK_DNS_FIREWALL.ruleGroupName && g.CreatorRequestId === FIREBREAK_DNS_FIREWALL.ruleGroupRequestId && own(g));
  return { ...(list?.Id ? { domainListId: list.Id } : {}), ...(group?.Id ? { ruleGroupId: group.Id } : {}) };
}

/** Creates the domain list and the rule group where they are missing. */
export async function ensureListAndGroup(
  r53: Route53ResolverClient,
  mode: ResponderMode,
  found: FirewallLookup,
  target: string,
): Promise<{ readonly actions: PendingAction[]; readonly domainListId?: string; readonly ruleGroupId?: string }> {
  const [list, group] = await Promise.all([
    found.domainListId
      ? { action: { api: 'route53resolver:CreateFirewallDomainList', target, outcome: 'already-done' as const, detail: `Firebreak's domain list ${found.domainListId} exists` }, id: found.domainListId }
      : mutateResolver(mode, 'route53resolver:CreateFirewallDomainList', target, `create the domain list ${FIREBREAK_DNS_FIREWALL.domainListName}, tagged as Firebreak's`, () =>
          r53.send(new CreateFirewallDomainListCommand({ CreatorRequestId: FIREBREAK_DNS_FIREWALL.domainListRequestId, Name: FIREBREAK_DNS_FIREWALL.domainListName, Tags: MANAGED_TAGS })),
        ).then((r) => ({ action: r.action, id: r.output?.FirewallDomainList?.Id })),
    found.ruleGroupId
      ? { action: { api: 'route53resolver:CreateFirewallRuleGroup', target, outcome: 'already-done' as const, detail: `Firebreak's rule group ${found.ruleGroupId} exists` }, id: found.ruleGroupId }
      : mutateResolver(mode, 'route53resolver:CreateFirewallRuleGroup', target, `create the rule group ${FIREBREAK_DNS_FIREWALL.ruleGroupName}, tagged as Firebreak's`, () =>
          r53.send(new CreateFirewallRuleGroupCommand({ CreatorRequestId: FIREBREAK_DNS_FIREWALL.ruleGroupRequestId, Name: FIREBREAK_DNS_FIREWALL.ruleGroupName, Tags: MANAGED_TAGS })),
        ).then((r) => ({ action: r.action, id: r.output?.FirewallRuleGroup?.Id })),
  ]);
  return { actions: [list.action, group.action], ...(list.id ? { domainListId: list.id } : {}), ...(group.id ? { ruleGroupId: group.id } : {}) };
}

/**
 * Why Firebreak's rule group, as ListFirewallRules shows it, is not what Firebreak made (pure):
 * undefined when it holds nothing, or only Firebreak's rule over its list blocking every query for
 * those names. An association applies every rule of the group to the VPC, so a group holding a rule
 * over another list (a BLOCK of every name, an ALLOW) is never associated; and a block through a
 * rule someone turned into ALLOW or ALERT, an OVERRIDE answer (a CNAME of their choosing), one query
 * type, or trusted CNAME targets is not a block, so it is never reported as one
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_FirewallRule.html).
 * The reasons name ids and AWS's enumerations only, never the rules' names or override domains (text
 * whoever changed them chose).
 */
export function ruleGroupProblem(rules: readonly FirewallRule[], ruleGroupId: string, domainListId: string): string | undefined {
  const foreign = rules.filter((r) => r.FirewallDomainListId !== domainListId);
  if (foreign.length > 0) {
    const described = foreign.map((r) => `${r.Action ?? 'no action'} over ${r.FirewallDomainListId ?? 'no domain list'} at priority ${r.Priority ?? '?'}`).join('; ');
    return `Firebreak's rule group ${ruleGroupId} holds ${foreign.length === 1 ? 'a rule' : 'rules'} Firebreak did not make (${described}): an association applies every rule of the group to the VPC, so Firebreak neither associates it nor blocks through it until only its own rule is left`;
  }
  const own = rules.find((r) => r.FirewallDomainListId === domainListId);
  if (own === undefined) return undefined;
  const changed = [
    own.Action !== 'BLOCK' ? `its action is ${own.Action ?? 'unset'}, not BLOCK` : undefined,
    own.Action === 'BLOCK' && own.BlockResponse !== 'NXDOMAIN' && own.BlockResponse !== 'NODATA' ? `it answers ${own.BlockResponse ?? 'unset'}${own.BlockOverrideDnsType ? ` (${own.BlockOverrideDnsType})` : ''}, not NXDOMAIN or NODATA` : undefined,
    own.Qtype !== undefined && own.Qtype !== '' ? `it matches ${own.Qtype} queries only, not every query type` : undefined,
    own.FirewallDomainRedirectionAction === 'TRUST_REDIRECTION_DOMAIN' ? 'it trusts the targets of CNAME and DNAME answers instead of inspecting them' : undefined,
  ].filter((c): c is string => c !== undefined);
  if (changed.length === 0) return undefined;
  return `Firebreak's rule over its domain list ${domainListId} in rule group ${ruleGroupId} does not block the listed domains as Firebreak made it to: ${changed.join('; ')}. Someone changed it, and Firebreak does not overwrite it: nothing was added to the list, and its domains stay unblocked until the rule is BLOCK, NXDOMAIN or NODATA, every query type, CNAME targets inspected`;
}

/** The BLOCK rule over the list in the group, created once; throws ResponderFailedError on a group that is not as Firebreak made it (ruleGroupProblem). */
export async function ensureRule(r53: Route53ResolverClient, mode: ResponderMode, ruleGroupId: string, domainListId: string, settings: BlockSettings): Promise<PendingAction> {
  const api = 'route53resolver:CreateFirewallRule';
  const rules = await listAll('route53resolver:ListFirewallRules', async (NextToken) => {
    const answer = await r53.send(new ListFirewallRulesCommand({ FirewallRuleGroupId: ruleGroupId, ...(NextToken ? { NextToken } : {}) }));
    return { items: answer?.FirewallRules ?? [], nextToken: answer?.NextToken };
  });
  const problem = ruleGroupProblem(rules, ruleGroupId, domainListId);
  if (problem !== undefined) throw new ResponderFailedError(problem);
  const rule = rules.find((r) => r.FirewallDomainListId === domainListId);
  if (rule) return { api, target: ruleGroupId, outcome: 'already-done', detail: `The rule group blocks the domain list already (${rule.BlockResponse ?? 'NODATA'})` };
  const created = await mutateResolver(mode, api, ruleGroupId, `add the rule ${FIREBREAK_DNS_FIREWALL.ruleName}: BLOCK (${settings.blockResponse}) every domain of list ${domainListId}`, () =>
    r53.send(
      new CreateFirewallRuleCommand({
        CreatorRequestId: FIREBREAK_DNS_FIREWALL.ruleRequestId(ruleGroupId),
        FirewallRuleGroupId: ruleGroupId,
        FirewallDomainListId: domainListId,
        Priority: FIREBREAK_DNS_FIREWALL.rulePriority,
        Action: 'BLOCK',
        BlockResponse: settings.blockResponse,
        Name: FIREBREAK_DNS_FIREWALL.ruleName,
      }),
    ),
  );
  return created.action;
}

/** The rule group associated with the VPC, once. */
export async function ensureAssociation(
  r53: Route53ResolverClient,
  mode: ResponderMode,
  ruleGroupId: string,
  vpcId: string,
  settings: BlockSettings,
): Promise<{ readonly action: PendingAction; readonly associationId?: string }> {
  const api = 'route53resolver:AssociateFirewallRuleGroup';
  const associations = await listAll('route53resolver:ListFirewallRuleGroupAssociations', async (NextToken) => {
    const answer = await r53.send(new ListFirewallRuleGroupAssociationsCommand({ FirewallRuleGroupId: ruleGroupId, VpcId: vpcId, ...(NextToken ? { NextToken } : {}) }));
    return { items: answer?.FirewallRuleGroupAssociations ?? [], nextToken: answer?.NextToken };
  });
  const existing = associations.find((a) => a.VpcId === vpcId && a.FirewallRuleGroupId === ruleGroupId && a.Status !== 'DELETING');
  // DNS Firewall answers from the first rule group (lowest priority) whose rule matches: an association
  // moved behind the priority the playbook asks for lets a group put ahead of it ALLOW the domain, so
  // it is not a block, and Firebreak does not move it back (row 9g). Ahead of it is fine. Route 53
  // Resolver always gives the priority; an association without one is not known to be where asked.
  if (existing && !(existing.Priority !== undefined && existing.Priority <= settings.associationPriority)) {
    throw new ResponderFailedError(
      `Firebreak's rule group is associated with ${vpcId} at priority ${existing.Priority ?? 'unknown'}, not ${settings.associationPriority} as the playbook asks (${existing.Id ?? 'id unknown'}): someone moved it, and a rule group associated ahead of it may ALLOW what Firebreak's list blocks, so the domains are not reported blocked for ${vpcId}; put the association back at priority ${settings.associationPriority} (UpdateFirewallRuleGroupAssociation) and check the rule groups ahead of it`,
    );
  }
  if (existing) {
    return {
      action: { api, target: vpcId, outcome: 'already-done', detail: `The rule group is associated with ${vpcId} already (priority ${existing.Priority ?? '?'}, ${existing.Status ?? 'status unknown'})` },
      ...(existing.Id ? { associationId: existing.Id } : {}),
    };
  }
  const associated = await mutateResolver(mode, api, vpcId, `associate the rule group with ${vpcId} at priority ${settings.associationPriority}, mutation protection off`, () =>
    r53.send(
      new AssociateFirewallRuleGroupCommand({
        CreatorRequestId: FIREBREAK_DNS_FIREWALL.associationRequestId(ruleGroupId, vpcId),
        FirewallRuleGroupId: ruleGroupId,
        VpcId: vpcId,
        Priority: settings.associationPriority,
        Name: FIREBREAK_DNS_FIREWALL.associationName,
        MutationProtection: 'DISABLED',
        Tags: MANAGED_TAGS,
      }),
    ),
  );
  const association = associated.output?.FirewallRuleGroupAssociation;
  // The request id is Route 53 Resolver's idempotency token: sent again after an association of it was
  // deleted, the answer may be that association, still DELETING. The VPC is then not protected: say so.
  if (association?.Status === 'DELETING') {
    throw new ResponderFailedError(`The association of Firebreak's rule group with ${vpcId} is being deleted (${association.Id ?? 'id unknown'}, DELETING): associating it again with the same request id answered that association, so the domains are not blocked for ${vpcId}; associate the group by hand once the deletion has ended`);
  }
  return { action: associated.action, ...(association?.Id ? { associationId: association.Id } : {}) };
}

/** The entries of the list that are already there. */
export async function listedDomains(r53: Route53ResolverClient, domainListId: string): Promise<Set<string>> {
  const domains = await listAll('route53resolver:ListFirewallDomains', async (NextToken) => {
    const answer = await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: domainListId, ...(NextToken ? { NextToken } : {}) }));
    return { items: answer?.Domains ?? [], nextToken: answer?.NextToken };
  });
  // DNS Firewall keeps domains with a trailing dot (`example.com.`): compare without it.
  return new Set(domains.map((d) => d.toLowerCase().replace(/\.$/, '')));
}

/** Adds or removes entries of the list (UpdateFirewallDomains ADD / REMOVE), skipping what is already so. */
export async function updateDomains(
  r53: Route53ResolverClient,
  mode: ResponderMode,
  domainListId: string,
  operation: 'ADD' | 'REMOVE',
  entries: readonly string[],
  present: ReadonlySet<string>,
): Promise<PendingAction> {
  const api = 'route53resolver:UpdateFirewallDomains';
  const needed = entries.filter((entry) => (operation === 'ADD' ? !present.has(entry) : present.has(entry)));
  if (needed.length === 0) {
    return { api, target: domainListId, outcome: 'already-done', detail: `${entries.join(', ')} ${operation === 'ADD' ? 'already in' : 'not in'} Firebreak's domain list` };
  }
  const what = operation === 'ADD' ? `add ${needed.join(', ')} to Firebreak's blocked domain list` : `remove ${needed.join(', ')} from Firebreak's blocked domain list`;
  const updated = await mutateResolver(mode, api, domainListId, what, () =>
    r53.send(new UpdateFirewallDomainsCommand({ FirewallDomainListId: domainListId, Operation: operation, Domains: [...needed] })),
  );
  return updated.action;
}
