/**
 * block-dns-domain: for a finding that names a domain (`service.action.dnsRequestAction.domain`:
 * Backdoor:EC2/C&CActivity.B!DNS, CryptoCurrency:EC2/BitcoinTool.B!DNS, Trojan:EC2/DNSDataExfiltration…),
 * block that domain and its subdomains for the instance's VPC with Route 53 Resolver DNS
 * Firewall. Security groups do not filter the VPC resolver (169.254.169.253), so without this a
 * DNS tunnel or C2 lookup survives the isolation.
 *
 * The domain is attacker-influenced text: it is checked as a DNS name against the deployment's
 * allowlist (dns-domain.ts) before any call, and refused (changing nothing, saying why) when it is
 * not a plain multi-label name, is a wildcard, is allowlisted, or is the parent of an allowlisted
 * name. The VPC is EC2's answer, never the finding's. The block is claimed in the state table
 * (dns-block-records.ts) before the domain enters the list, so a release finds what to remove;
 * the firewall changes are in dns-firewall.ts (no DryRun: "cannot dry-run" in dry-run), where the
 * rule group's rules are checked before it is associated with a VPC or a domain is added. A game-day
 * incident only rehearses (dry-run): the domain list is shared by every associated VPC.
 */
import { blockDnsDomainOptions } from '../playbooks/dns-options';
import type { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import type { Ec2Clients } from '../aws/clients/ec2';
import type { Route53ResolverClients } from '../aws/clients/route53resolver';
import { describeInstance, foreignInstanceDetail, tagRecord } from '../aws/describe-instance';
import { ResponderFailedError } from '../contracts/responder-errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { ResponderMode } from '../contracts/responder-mode';
import type { DnsBlockClaim, DnsBlockStore } from './dns-block-records';
import { addRecordedEntries, sameClaim } from './dns-block-records';
import type { DomainRefusalCode } from './dns-domain';
import { blockEntries, checkBlockableDomain, deploymentDnsAllowlist } from './dns-domain';
// Where they were first defined: unblock-dns-domains reads the allowlist too (row 16zc).
export { DnsAllowlistInvalidError, deploymentDnsAllowlist } from './dns-domain';
import type { BlockSettings } from './dns-firewall';
import { ensureAssociation, ensureListAndGroup, ensureRule, findFirewall, listedDomains, updateDomains } from './dns-firewall';
import type { DeploymentEnvironment } from './effective-mode';
import { gameDayRefusal, isGameDayIncident } from './game-day';
import type { GrantReader, GrantRefusalCode } from './grants';
import { checkContainmentGrant, grantDryRunWhy, recordPausedGrant } from './grants';
import { isTerminatedState } from './instance-state';
import { protectionOf, protectionRulesOf } from './containment-guard-rails';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { recordAll, settleAll } from './pending-actions';
import type { PendingAction } from './pending-actions';
import type { ResponderInput } from './responder-input';
import { ResponderRun, incidentInstance, isSampleTarget } from './responder-run';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import { stepClaimOf } from './step-binding';
import { actingTarget } from '../incident/finding-account';

export const BLOCK_DNS_RESPONDER = RESPONDER_NAMES.blockDnsDomain;
export const blockDnsOptionsSchema = blockDnsDomainOptions;
export type BlockDnsOptions = BlockSettings;

export type BlockDnsStatus = 'blocked' | 'already-blocked' | 'dry-run' | 'refused' | 'no-domain' | 'skipped-sample' | 'not-an-instance' | 'not-found' | 'terminated';

export interface BlockDnsResult extends ResponderResult<BlockDnsStatus> {
  readonly instanceId?: string;
  /** The domain blocked (canonical form), or that would be. */
  readonly domain?: string;
  /** The DNS Firewall entries: the domain and `*.` the domain. */
  readonly entries?: readonly string[];
  /** The VPCs (as EC2 says) the block applies to. */
  readonly vpcIds?: readonly string[];
  readonly domainListId?: string;
  readonly ruleGroupId?: string;
  /** Set with status `refused`: why nothing was changed. */
  readonly refusal?: { readonly code: DomainRefusalCode | GrantRefusalCode | 'not-a-gameday-target' | 'protected' | 'no-vpc' | 'held-without-slot'; readonly reason: string };
}

export interface BlockDnsDeps {
  readonly clients: Ec2Clients & Route53ResolverClients;
  readonly logger: IncidentLogger;
  readonly blocks: DnsBlockStore;
  readonly grants: GrantReader;
  /** FIREBREAK_MODE and FIREBREAK_DNS_ALLOWLIST. @default process.env */
  readonly environment?: DeploymentEnvironment & Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
}

/** Blocks the domain the incident's DNS finding names, for the instance's VPC. */
export async function blockDnsDomain(input: ResponderInput<BlockDnsOptions>, deps: BlockDnsDeps): Promise<BlockDnsResult> {
  const { incident, options } = input;
  const environment = deps.environment ?? process.env;
  const run = new ResponderRun<BlockDnsStatus>({
    responder: BLOCK_DNS_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger: deps.logger,
    environment,
    now: deps.now,
    replayStatuses: ['already-blocked'],
  });
  const { log, now } = run;
  const finish = run.finisher<BlockDnsResult>({}, (r) => ({ instanceId: r.instanceId, domain: r.domain }));

  const words = { nothingDone: 'nothing is read or blocked' };
  const named = incidentInstance(incident, log, words);
  if (named === undefined) return finish('not-an-instance');
  const { instanceId } = named;
  const raw = incident.guardDuty?.dnsDomain;
  if (raw === undefined) {
    log.record('firebreak:decide', instanceId, 'skipped', 'The finding names no queried domain (service.action.dnsRequestAction.domain): nothing to block');
    return finish('no-domain', { instanceId });
  }
  if (isSampleTarget(incident, instanceId, log, words)) return finish('skipped-sample', { instanceId });
  // 1. The finding's text, judged before any call: an allowlisted or malformed name never reaches an API.
  const check = checkBlockableDomain(raw, deploymentDnsAllowlist(environment));
  if (!check.blockable) {
    log.record('firebreak:check-domain', instanceId, 'skipped', `Refused: ${check.reason}; nothing changed`);
    deps.logger.warn('block-dns-domain refused the finding\'s domain', { code: check.code });
    return finish('refused', { instanceId, refusal: { code: check.code, reason: check.reason } });
  }
  const domain = check.domain;
  const entries = blockEntries(domain);

  // 2. The containment guard cleared this execution for this instance.
  const grant = await checkContainmentGrant(
    { executionArn: input.execution?.executionArn, incident, instanceId, kind: 'contain', step: stepClaimOf(run.responder, input, blockDnsOptionsSchema, environment) },
    deps.grants,
    now(),
  );
  if (!grant.allowed) {
    log.record('firebreak:check-grant', instanceId, 'skipped', grant.reason);
    run.recordMode(instanceId);
    return finish('refused', { instanceId, domain, refusal: { code: grant.code, reason: grant.reason } });
  }
  log.record('firebreak:check-grant', instanceId, 'observed', grant.reason);
  // A grant the guard cleared with no blast-radius slot (the instance held quarantined already, row
  // 15o) spends nothing beyond the instance: a block holds for every VPC associated with Firebreak's
  // rule group, so only a domain this instance blocks already is blocked again (row 15s).
  if (grant.grant.heldQuarantine === true && !(await deps.blocks.blocksOfInstance(incident.account, incident.region, instanceId)).some((held) => held.domain === domain)) {
    const reason = `Refused to block ${domain}: the containment guard took no blast-radius slot for this execution (Firebreak holds ${instanceId} quarantined already), and a block holds for every VPC of the account and region, which no block of this instance covers yet; nothing was blocked (a person decides: block it by hand).`;
    log.record('firebreak:check-grant', instanceId, 'skipped', reason);
    run.recordMode(instanceId);
    return finish('refused', { instanceId, domain, refusal: { code: 'held-without-slot', reason } });
  }
  recordPausedGrant(log, instanceId, grant);
  run.lowerTo(grant.mode, grantDryRunWhy(grant));
  // A drill rehearses: the domain list is the account's and region's, and every VPC associated with
  // Firebreak's rule group (production's too) resolves through it, so one instance's game-day opt-in
  // cannot clear a change to it (docs/responders/block-dns-domain.md, Game days).
  if (grant.mode === 'enforce' && isGameDayIncident({ key: incident.key, gameDay: incident.gameDay || grant.grant.gameDay })) {
    run.lowerTo('dry-run', `${incident.key} is a game-day incident, and a DNS Firewall block holds for every VPC of the account and region associated with Firebreak's rule group, not for the opted-in instance alone`);
  }
  run.recordMode(instanceId);
  const mode = run.mode;

  // 3. The instance's VPCs, as EC2 says (the finding's VPC is a claim).
  // Row 9i: the client factories refuse the security account for another account's finding.
  const target = actingTarget(incident);
  const ec2 = await deps.clients.ec2(target);
  const described = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account: target.account });
  if (!described.found) {
    log.record('ec2:DescribeInstances', instanceId, 'observed', foreignInstanceDetail(described, instanceId, target.account) ?? `EC2 knows no instance ${instanceId} in this account and region`);
    return finish('not-found', { instanceId, domain });
  }
  const instance = described.instance;
  const state = instance.State?.Name ?? 'unknown';
  const vpcIds = [...new Set([instance.VpcId, ...(instance.NetworkInterfaces ?? []).map((eni) => eni.VpcId)].filter((v): v is string => typeof v === 'string'))];
  log.record('ec2:DescribeInstances', instanceId, 'observed', `${state}; VPC ${vpcIds.join(', ') || 'none'}`);
  if (isTerminatedState(state)) {
    log.record('firebreak:decide', instanceId, 'skipped', `The instance is ${state}: its queries have stopped, nothing is blocked`);
    return finish('terminated', { instanceId, domain });
  }
  const notATarget = gameDayRefusal({ key: incident.key, gameDay: incident.gameDay || grant.grant.gameDay }, instanceId, tagRecord(instance.Tags));
  if (notATarget !== undefined) {
    log.record('firebreak:check-gameday-target', instanceId, 'skipped', notATarget);
    return finish('refused', { instanceId, domain, refusal: { code: 'not-a-gameday-target', reason: notATarget } });
  }
  // Protection again, as the deployment and EC2 say now (row 2u): the guard judged it before an
  // approval wait that may end in containment (onTimeout: contain); a protected instance's VPC gets
  // no block, as quarantine-instance refuses to isolate it (row 6c).
  const protection = protectionOf(instanceId, protectionRulesOf(environment), tagRecord(instance.Tags));
  if (protection.protected) {
    const reason = `${protection.reason} Checked again as the block acts (the guard cleared this execution earlier, possibly before an approval wait): nothing was blocked.`;
    log.record('firebreak:check-protection', instanceId, 'skipped', reason);
    return finish('refused', { instanceId, domain, refusal: { code: 'protected', reason } });
  }
  if (vpcIds.length === 0) {
    log.record('firebreak:decide', instanceId, 'skipped', 'The instance is in no VPC: DNS Firewall filters VPC resolvers only');
    return finish('refused', { instanceId, domain, refusal: { code: 'no-vpc', reason: 'the instance is in no VPC' } });
  }

  // 4. The claim first (enforce): a run that dies after the firewall change still leaves the record release needs.
  if (mode === 'enforce') {
    // With its time: an unblock cleared before this block does not remove it (dns-block-records.ts).
    await deps.blocks.claim(incident.account, incident.region, domain, { instanceId, incidentKey: incident.key }, now().toISOString());
    log.record('firebreak:record-dns-block', domain, 'done', `Recorded that incident ${incident.key} on ${instanceId} blocks ${domain}, for release`);
  } else {
    log.record('firebreak:record-dns-block', domain, 'would-do', `Would record that incident ${incident.key} on ${instanceId} blocks ${domain}, for release`);
  }

  // 5. The firewall: list and group, then (concurrently) the rule, each VPC's association, the domains.
  const r53 = await deps.clients.route53resolver(target);
  const listing: ListingRecorder | undefined =
    mode === 'enforce'
      ? {
          record: (present) => recordListing(deps.blocks, target, domain, { instanceId, incidentKey: incident.key }, entries, present),
          add: (added, send, listed) => addRecordedEntries(deps.blocks, target, domain, added, send, listed),
        }
      : undefined;
  const outcome = await applyBlock(r53, target.account, mode, options, vpcIds, entries, instanceId, listing);
  recordAll(log, outcome.actions);
  const changed = outcome.actions.some((a) => a.outcome === 'done');
  const summary = mode === 'dry-run'
    ? `Would block ${domain} and its subdomains for ${vpcIds.join(', ')} (DNS Firewall answers ${options.blockResponse})`
    : `Blocked ${domain} and its subdomains for ${vpcIds.join(', ')}: DNS Firewall answers ${options.blockResponse}; changes reach the VPC resolvers within a short time`;
  log.record('firebreak:block-dns-domain', domain, mode === 'dry-run' ? 'would-do' : changed ? 'done' : 'already-done', summary);
  return finish(mode === 'dry-run' ? 'dry-run' : changed ? 'blocked' : 'already-blocked', {
    instanceId,
    domain,
    entries,
    vpcIds,
    ...(outcome.domainListId ? { domainListId: outcome.domainListId } : {}),
    ...(outcome.ruleGroupId ? { ruleGroupId: outcome.ruleGroupId } : {}),
  });
}

/** Records, before the ADD, whose the domain's list entries are (enforce only); `add` sends the ADD and, when it fails, takes back what is not listed (row 6za). */
interface ListingRecorder {
  readonly record: (present: ReadonlySet<string>) => Promise<PendingAction | undefined>;
  readonly add: <T>(entries: readonly string[], send: () => Promise<T>, listed: () => Promise<ReadonlySet<string>>) => Promise<T>;
}

/**
 * Before the domain's entries are added: records those Firebreak is about to add, and sorts those it
 * finds listed that it is not known to have added. While another incident claims the domain with a
 * claim made before additions were recorded (not in `trackedClaims`), they are that incident's block:
 * Firebreak's. Otherwise (no other claim, or only claims of blocks that record their additions) they are
 * someone else's (a person blocked the domain by hand in Firebreak's list), and no release or unblock
 * takes them out (row 6t). The claims and additions are read after the list: another incident's block
 * records its claim and its additions before it sends them, so whatever it listed by then is known.
 */
async function recordListing(
  blocks: DnsBlockStore,
  target: { readonly account: string; readonly region: string },
  domain: string,
  claim: DnsBlockClaim,
  entries: readonly string[],
  present: ReadonlySet<string>,
): Promise<PendingAction | undefined> {
  const listed = entries.filter((entry) => present.has(entry));
  const missing = entries.filter((entry) => !present.has(entry));
  let observed: PendingAction | undefined;
  if (listed.length > 0) {
    const state = await blocks.claimStateOf(target.account, target.region, domain);
    // Only a claim made before additions were recorded can have listed entries not recorded (row 6w): a
    // block claiming since records its additions before sending them, so two blocks of a hand-listed
    // domain at once never take each other for the block that listed it.
    const othersClaim = state.claims.some((other) => !sameClaim(other, claim) && !state.trackedClaims.some((tracked) => sameClaim(tracked, other)));
    const foreign = listed.filter((entry) => !state.addedEntries.includes(entry) && !state.keptEntries.includes(entry));
    if (othersClaim) await blocks.recordEntries(target.account, target.region, domain, 'added', foreign);
    else if (foreign.length > 0) {
      await blocks.recordEntries(target.account, target.region, domain, 'kept', foreign);
      observed = {
        api: 'firebreak:record-dns-listing',
        target: domain,
        outcome: 'observed',
        detail: `${foreign.join(', ')} ${foreign.length === 1 ? 'was' : 'were'} in Firebreak's domain list before any incident blocked it, put there by someone else (by hand?): recorded as not Firebreak's, so no release or unblock takes ${foreign.length === 1 ? 'it' : 'them'} out`,
      };
    }
  }
  await blocks.recordEntries(target.account, target.region, domain, 'added', missing);
  return observed;
}

/** The firewall changes of one block. */
async function applyBlock(
  r53: Route53ResolverClient,
  account: string,
  mode: ResponderMode,
  settings: BlockSettings,
  vpcIds: readonly string[],
  entries: readonly string[],
  instanceId: string,
  listing: ListingRecorder | undefined,
): Promise<{ actions: PendingAction[]; domainListId?: string; ruleGroupId?: string }> {
  const found = await findFirewall(r53, account);
  const made = await ensureListAndGroup(r53, mode, found, instanceId);
  const { domainListId, ruleGroupId } = made;
  const missing = (api: string, what: string): PendingAction => ({
    api,
    target: instanceId,
    outcome: 'would-do',
    detail: `Would ${what} once the domain list and rule group exist (cannot dry-run: Route 53 Resolver has no DryRun parameter)`,
  });
  if (mode === 'enforce' && (domainListId === undefined || ruleGroupId === undefined)) {
    throw new ResponderFailedError(`Route 53 Resolver answered no id for Firebreak's ${domainListId === undefined ? 'domain list' : 'rule group'}: nothing is associated or blocked`);
  }
  // The group's rules before anything else: an association applies every rule of the group to the
  // VPC, and IAM lets Firebreak read the rules of the groups it tagged only, so a group named like
  // Firebreak's that someone else made, or one holding a rule Firebreak did not make, fails here
  // and is never associated (dns-firewall.ts, ruleGroupProblem).
  const rule = ruleGroupId && domainListId ? await ensureRule(r53, mode, ruleGroupId, domainListId, settings) : missing('route53resolver:CreateFirewallRule', 'add the BLOCK rule');
  const [associations, domains] = await settleAll([
    ruleGroupId
      ? settleAll(vpcIds.map((vpcId) => ensureAssociation(r53, mode, ruleGroupId, vpcId, settings).then((a) => a.action)))
      : Promise.resolve(vpcIds.map((vpcId) => missing('route53resolver:AssociateFirewallRuleGroup', `associate the rule group with ${vpcId}`))),
    domainListId
      ? listedDomains(r53, domainListId).then(async (present) => {
          const observed = listing ? await listing.record(present) : undefined;
          const add = () => updateDomains(r53, mode, domainListId, 'ADD', entries, present);
          const adding = entries.filter((entry) => !present.has(entry));
          return [...(observed ? [observed] : []), await (listing ? listing.add(adding, add, () => listedDomains(r53, domainListId)) : add())];
        })
      : Promise.resolve([missing('route53resolver:UpdateFirewallDomains', `add ${entries.join(', ')} to the domain list`)]),
  ] as const);
  return {
    actions: [...made.actions, rule, ...associations, ...domains],
    ...(domainListId ? { domainListId } : {}),
    ...(ruleGroupId ? { ruleGroupId } : {}),
  };
}

/** block-dns-domain as the responder runtime runs it. */
export const blockDnsResponder = stepResponder(blockDnsOptionsSchema, blockDnsDomain);
export type BlockDnsHandlerDeps = HandlerDeps<BlockDnsDeps>;
export const createBlockDnsDomainHandler = (deps: BlockDnsHandlerDeps): ResponderHandler<BlockDnsResult> => createResponderHandler(blockDnsResponder, deps);
