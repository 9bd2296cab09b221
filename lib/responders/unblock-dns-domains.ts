/**
 * unblock-dns-domains: the release side of block-dns-domain. For the released instance, it takes
 * back the DNS Firewall blocks the released incident claimed on it (dns-block-records.ts), and
 * removes a domain from Firebreak's domain list only when no other open incident still claims it:
 * the same C2 domain found on two instances stays blocked until both are released.
 *
 * Only once the instance is released for THIS incident: the pre-quarantine record must say so and
 * name the release's incident (release-instance marks it released, and nothing else does). The step
 * reads the record itself rather than trusting the release step's result in its input: a release
 * that was refused (a record failing its MAC, a foreign group, a drill instance that did not opt
 * in, a record of another incident) or found no record or no instance leaves the instance isolated,
 * and a block lifted then would lift it for every instance of the VPC. An earlier incident's old
 * release proves nothing about a later one; and the claims of the instance's other incidents stay,
 * for their own release or `firebreak dns unblock`.
 * Several incidents can hold one instance quarantined (claims, quarantine-records.ts): a release
 * that only took back its incident's claim leaves the instance quarantined, so that incident's
 * blocks stay too; the release of the last incident restores the instance, and its unblock takes
 * back the blocks of every incident whose claim on it was taken back.
 * The record's release marks are not sealed (only the table's policy keeps others from writing
 * them), so the step also asks EC2: an instance still tagged quarantined keeps its blocks,
 * whatever the record.
 *
 * Order, for a retry to be safe: the other claims are read first; with none left, the domain is
 * removed from the list and only then this claim dropped (a run that dies between the two finds the
 * claim again and removes an absent domain: already done). If another incident claimed the domain
 * between the read and the drop, it is added back at once. The instance's index keeps the block until
 * the domain is as the claims left want it, and a domain still claimed by another incident whose
 * entries are missing from the list (an earlier run removed them and died, or its ADD failed) is put
 * back (row 6x). Route 53 Resolver has no DryRun: in dry-run nothing is sent and the result says what
 * would be removed.
 */
import { unblockDnsDomainsOptions } from '../playbooks/dns-options';
import type * as z from '../contracts/zod-mini';
import type { Ec2Clients } from '../aws/clients/ec2';
import type { Route53ResolverClients } from '../aws/clients/route53resolver';
import { describeInstance, tagRecord } from '../aws/describe-instance';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { DnsBlockClaim, DnsBlockStore } from './dns-block-records';
import { addRecordedEntries, sameClaim } from './dns-block-records';
import type { QuarantineReleaseState, QuarantineReleaseStates } from './quarantine-release-state';
import { claimsOf, releasedFor } from './quarantine-release-state';
import { blockEntries, canonicalDomain, checkBlockableDomain, deploymentDnsAllowlist } from './dns-domain';
import { findFirewall, listedDomains, updateDomains } from './dns-firewall';
import type { DeploymentEnvironment } from './effective-mode';
import { gameDayRefusal } from './game-day';
import { FIREBREAK_TAGS } from './instance-state';
import type { GrantReader } from './grants';
import { checkContainmentGrant, grantDryRunWhy } from './grants';
import type { ActionLog } from './action-log';
import { ResponderRun, instanceGate } from './responder-run';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import { stepClaimOf } from './step-binding';

export const UNBLOCK_DNS_RESPONDER = RESPONDER_NAMES.unblockDnsDomains;
export const unblockDnsOptionsSchema = unblockDnsDomainsOptions;
export type UnblockDnsOptions = z.output<typeof unblockDnsOptionsSchema>;

export type UnblockDnsStatus = 'unblocked' | 'nothing-blocked' | 'dry-run' | 'refused' | 'skipped-sample' | 'not-an-instance';

/** What became of one domain the instance's incidents blocked. */
export interface DomainUnblock {
  readonly domain: string;
  readonly incidentKey: string;
  /**
   * `unblocked`: removed from the list; `still-blocked`: another open incident claims it;
   * `left-listed`: this claim taken back, but every entry was listed by someone else before any
   * incident blocked the domain, and stays (row 6t).
   */
  readonly outcome: 'unblocked' | 'would-unblock' | 'still-blocked' | 'left-listed';
  /** The entries left in the list because someone else listed them before any incident blocked the domain (row 6t). */
  readonly leftListed?: readonly string[];
  /** The other claims that keep it blocked. */
  readonly keptBy?: readonly DnsBlockClaim[];
  /** `firebreak dns unblock --force`: the other open incidents' claims the requester overrode (dropped). */
  readonly forcedPast?: readonly DnsBlockClaim[];
}

export interface UnblockDnsResult extends ResponderResult<UnblockDnsStatus> {
  readonly instanceId?: string;
  readonly domains: readonly DomainUnblock[];
  readonly refusal?: string;
}

export interface UnblockDnsDeps {
  readonly clients: Ec2Clients & Route53ResolverClients;
  readonly logger: IncidentLogger;
  readonly blocks: DnsBlockStore;
  /** The pre-quarantine records: the released instance's blocks go only once its record says released. */
  readonly records: QuarantineReleaseStates;
  readonly grants: GrantReader;
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Takes back the DNS blocks of the released instance's incidents. */
export async function unblockDnsDomains(input: ResponderInput<UnblockDnsOptions>, deps: UnblockDnsDeps): Promise<UnblockDnsResult> {
  const { incident } = input;
  const run = new ResponderRun<UnblockDnsStatus>({
    responder: UNBLOCK_DNS_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger: deps.logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: ['nothing-blocked'],
  });
  const { log, now } = run;
  const finish = run.finisher<UnblockDnsResult>({ domains: [] }, (r) => ({ instanceId: r.instanceId, domains: r.domains.length }));
  const gate = instanceGate(incident, log, { nothingDone: 'nothing is read or changed' });
  if (!gate.proceed) return finish(gate.status, gate.status === 'skipped-sample' ? { instanceId: gate.instanceId } : {});
  const { instanceId } = gate;
  const grant = await checkContainmentGrant(
    // The options (which domains) and the request (the domain named, and force) are the playbook's own, or nothing is unblocked.
    { executionArn: input.execution?.executionArn, incident, instanceId, kind: 'release', step: stepClaimOf(run.responder, input, unblockDnsOptionsSchema, run.deployment) },
    deps.grants,
    now(),
  );
  if (!grant.allowed) {
    log.record('firebreak:check-grant', instanceId, 'skipped', grant.reason);
    return finish('refused', { instanceId, refusal: grant.reason });
  }
  log.record('firebreak:check-grant', instanceId, 'observed', grant.reason);
  run.lowerTo(grant.mode, grantDryRunWhy(grant));
  run.recordMode(instanceId);
  const mode = run.mode;
  const { account, region } = incident;

  const requested = input.options.target === 'requested-domain' ? input.request?.dnsUnblock : undefined;
  // The pre-quarantine record's release state, read once (consistently) however many decisions below need it.
  let releaseRead: Promise<QuarantineReleaseState | undefined> | undefined;
  const releaseState = () => (releaseRead ??= deps.records.releaseStateOf(account, region, instanceId));
  if (input.options.target === 'requested-domain' && requested === undefined) {
    const refusal = 'The step takes back a requested domain, but the execution names none (started without `firebreak dns unblock`?); nothing changed';
    log.record('firebreak:read-dns-blocks', instanceId, 'skipped', refusal);
    return finish('refused', { instanceId, refusal });
  }
  let blocks: readonly { readonly domain: string; readonly incidentKey: string }[];
  /** Claims of other incidents the request overrides (`force`), dropped with this one. */
  let overridden: readonly DnsBlockClaim[] = [];
  if (requested) {
    const domain = canonicalDomain(requested.domain);
    const { claims, lastClaimAt } = await deps.blocks.claimStateOf(account, region, domain);
    // Claimed since the guard cleared this unblock (a new incident, or a new execution of this one
    // after GuardDuty updated its finding): the approver was asked before that block, and neither
    // the unblock nor its force covers it.
    const grantedAt = grant.grant.grantedAt;
    const claimedSince = lastClaimAt !== undefined && !(Date.parse(lastClaimAt) < Date.parse(grantedAt));
    const mine: DnsBlockClaim = { instanceId, incidentKey: incident.key };
    const others = claims.filter((claim) => !sameClaim(claim, mine));
    const refusal =
      claims.length === 0
        ? `${domain} is not blocked by any incident in ${account}/${region} (no claim in the state table): Firebreak removes only what an incident blocked; nothing changed`
        : !claims.some((claim) => sameClaim(claim, mine))
          ? `${domain} is not blocked by incident ${incident.key} on ${instanceId} (claimed by ${describeClaims(claims)}); nothing changed`
          : claimedSince
            ? `${domain} was claimed again at ${lastClaimAt}, after this unblock was cleared (${grantedAt}), by ${describeClaims(claims)}: the approval was not given on that block; nothing changed. Start the unblock again if it should still go`
            : others.length > 0 && !requested.force
              ? `${domain} is still claimed by another open incident (${describeClaims(others)}): release those instances, or unblock with force (recorded); nothing changed`
              : undefined;
    if (refusal !== undefined) {
      log.record('firebreak:read-dns-blocks', domain, 'skipped', `Refused: ${refusal}`);
      return finish('refused', { instanceId, refusal });
    }
    log.record('firebreak:read-dns-blocks', domain, 'observed', `Unblock of ${domain} requested by ${input.request?.requestedBy ?? 'unknown'} (as the execution's input claims)${others.length > 0 ? `, forcing past ${describeClaims(others)}` : ''}`);
    blocks = [{ domain, incidentKey: incident.key }];
    overridden = others;
  } else {
    const claimed = await deps.blocks.blocksOfInstance(account, region, instanceId);
    // The blocks of incidents whose claim on the instance an earlier release took back go with the
    // release that restored it (their release was approved; the instance was quarantined until now).
    const state = claimed.some((block) => block.incidentKey !== incident.key) ? await releaseState() : undefined;
    const releasedEarlier = new Set(state !== undefined && releasedFor(state, incident.key) ? (state.releasedClaims ?? []) : []);
    blocks = claimed.filter((block) => block.incidentKey === incident.key || releasedEarlier.has(block.incidentKey));
    for (const other of claimed.filter((block) => block.incidentKey !== incident.key && !releasedEarlier.has(block.incidentKey))) {
      log.record('firebreak:read-dns-blocks', other.domain, 'skipped', `${other.domain} stays blocked: incident ${other.incidentKey} claimed it on ${instanceId}, not incident ${incident.key} (its own release or \`firebreak dns unblock\` takes it back)`);
    }
  }
  if (blocks.length === 0) {
    log.record('firebreak:read-dns-blocks', instanceId, 'already-done', `No DNS Firewall block is claimed for this instance by incident ${incident.key}: nothing to unblock`);
    return finish('nothing-blocked', { instanceId });
  }
  if (!requested) {
    const release = releaseOf(await releaseState(), instanceId, incident.key);
    if (!release.released && mode === 'enforce') {
      const refusal = `${release.why}: the DNS blocks stay (they protect the other instances of its VPC); nothing changed. \`firebreak dns unblock\` takes one back by hand`;
      log.record('firebreak:check-released', instanceId, 'skipped', refusal);
      return finish('refused', { instanceId, refusal });
    }
    log.record(
      'firebreak:check-released',
      instanceId,
      release.released ? 'observed' : 'would-do',
      release.released ? release.detail : `${release.why}; in dry-run the release marks nothing: the unblock below is rehearsed, and happens only once the release has released it`,
    );
  }
  const target = { account, region };
  const ec2 = await deps.clients.ec2(target);
  const described = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account: target.account });
  const notATarget = gameDayRefusal(
    { key: incident.key, gameDay: incident.gameDay || grant.grant.gameDay },
    instanceId,
    described.found ? tagRecord(described.instance.Tags) : {},
  );
  if (notATarget !== undefined) {
    log.record('firebreak:check-gameday-target', instanceId, 'skipped', notATarget);
    return finish('refused', { instanceId, refusal: notATarget });
  }
  // A release marks the record and retags the instance (firebreak:status=released): a record marked
  // released while EC2 still shows the instance quarantined was not marked by a release.
  const stillQuarantined = !requested && mode === 'enforce' && described.found && tagRecord(described.instance.Tags)[FIREBREAK_TAGS.status] === 'quarantined';
  if (stillQuarantined) {
    const refusal = `${instanceId} is still quarantined in EC2 (${FIREBREAK_TAGS.status}=quarantined) though its pre-quarantine record is marked released: the DNS blocks stay; nothing changed. \`firebreak dns unblock\` takes one back by hand`;
    log.record('firebreak:check-released', instanceId, 'skipped', refusal);
    return finish('refused', { instanceId, refusal });
  }

  if (mode === 'enforce') {
    // Forced: the other incidents' claims go first (recorded one by one), so the domain below has no other claim left.
    for (const claim of overridden) {
      await deps.blocks.release(account, region, blocks[0]!.domain, claim);
      log.record('firebreak:record-dns-block', blocks[0]!.domain, 'done', `Dropped the claim of incident ${claim.incidentKey} on ${claim.instanceId}, forced by ${input.request?.requestedBy ?? 'unknown'} (as the execution's input claims)`);
    }
  } else {
    for (const claim of overridden) log.record('firebreak:record-dns-block', blocks[0]!.domain, 'would-do', `Would drop the claim of incident ${claim.incidentKey} on ${claim.instanceId} (forced)`);
  }
  const r53 = await deps.clients.route53resolver(target);
  const { domainListId } = await findFirewall(r53, account);
  const present = domainListId ? await listedDomains(r53, domainListId) : new Set<string>();
  const results: DomainUnblock[] = [];
  /**
   * Puts `entries` back in the list, recorded as Firebreak's first (as a block does); a failed ADD takes back
   * what is not listed (row 6za), and the retry records and sends it again (row 6x).
   */
  const putBack = async (listId: string, domain: string, entries: readonly string[], listedNow: ReadonlySet<string>) => {
    await deps.blocks.recordEntries(account, region, domain, 'added', entries);
    log.record(...spread(await addRecordedEntries(deps.blocks, target, domain, entries, () => updateDomains(r53, mode, listId, 'ADD', entries, listedNow), () => listedDomains(r53, listId))));
  };
  /**
   * A domain another incident still claims is in the list, whatever an earlier run of this unblock did:
   * one that removed it as the last one out and died before putting it back (or whose ADD failed) left
   * it out, and its retry comes here (row 6x). What is missing is put back, recorded as Firebreak's first
   * (as a block does): a person's hand block the claims relied on (`keptEntries`) and its author took
   * out is missing as much, and the incidents still claiming the domain want it listed (row 6zb).
   */
  const relist = async (domain: string, claims: readonly DnsBlockClaim[]) => {
    const missing = blockEntries(domain).filter((entry) => !present.has(entry));
    if (!domainListId || missing.length === 0) return;
    // Never put back what a block would refuse now: by the built-in rules (a public suffix claimed before
    // rows 6u and 6y), or by the deployment's allowlist, which may have gained the name since it was
    // blocked (a false positive a person took out by hand and allowlisted: row 16zc).
    const check = checkBlockableDomain(domain, deploymentDnsAllowlist(run.deployment));
    if (!check.blockable) {
      log.record('firebreak:check-domain', domain, 'skipped', `${missing.join(', ')} not put back in Firebreak's domain list though ${describeClaims(claims)} still claims ${domain}: ${check.reason}`);
      return;
    }
    log.record('firebreak:read-dns-blocks', domain, 'observed', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in Firebreak's domain list though ${describeClaims(claims)} still ${claims.length === 1 ? 'claims' : 'claim'} ${domain} (an earlier run of this unblock removed ${missing.length === 1 ? 'it' : 'them'} and did not put ${missing.length === 1 ? 'it' : 'them'} back, or someone took ${missing.length === 1 ? 'it' : 'them'} out by hand): put back`);
    await putBack(domainListId, domain, missing, present);
  };
  // One domain after another: two blocks of the same domain by this instance must see each other's drop.
  for (const block of blocks) {
    const mine: DnsBlockClaim = { instanceId, incidentKey: block.incidentKey };
    const state = await deps.blocks.claimStateOf(account, region, block.domain);
    const others = state.claims.filter((claim) => !sameClaim(claim, mine) && (mode === 'enforce' || !overridden.some((o) => sameClaim(o, claim))));
    if (others.length > 0) {
      // The drop answers the claims left, atomically: the unblocks of two incidents released at once
      // each read the other's claim, and the one whose drop leaves none is the last, and removes the
      // domain (row 6v), or it would stay blocked with no claim, which no unblock may take back. The
      // instance's index keeps the block until the removal below, so a retry of a run that dies in
      // between finds it again.
      const remaining = mode === 'enforce' ? await deps.blocks.release(account, region, block.domain, mine, { keepInstanceIndex: true }) : others;
      if (remaining.length > 0) {
        if (mode === 'enforce') {
          await relist(block.domain, remaining);
          await deps.blocks.dropInstanceIndex(account, region, block.domain, mine);
        }
        log.record('route53resolver:UpdateFirewallDomains', block.domain, 'skipped', `${block.domain} stays blocked: still claimed by ${describeClaims(remaining)}`);
        results.push({ domain: block.domain, incidentKey: block.incidentKey, outcome: 'still-blocked', keptBy: remaining });
        continue;
      }
      log.record('firebreak:read-dns-blocks', block.domain, 'observed', `The other claims read first (${describeClaims(others)}) were taken back meanwhile: this unblock is the last, and removes ${block.domain}`);
    }
    // Only what Firebreak listed (row 6t): on an item a block claimed since additions are recorded,
    // only those; on an older one, all but what a block found listed before any incident blocked the
    // domain (someone else's, a person's block by hand). The others stay.
    const ours = (entry: string) => (state.entriesTracked ? state.addedEntries.includes(entry) : !state.keptEntries.includes(entry));
    const entries = blockEntries(block.domain).filter(ours);
    const leftListed = blockEntries(block.domain).filter((entry) => !ours(entry) && present.has(entry));
    if (leftListed.length > 0) {
      log.record('firebreak:record-dns-listing', block.domain, 'skipped', `${leftListed.join(', ')} ${leftListed.length === 1 ? 'stays' : 'stay'} in Firebreak's domain list: listed by someone else before any incident blocked ${block.domain}, and Firebreak removes only what it added`);
    }
    if (entries.length === 0) {
      // Nothing of Firebreak's in the list: only the claim goes.
    } else if (domainListId) log.record(...spread(await updateDomains(r53, mode, domainListId, 'REMOVE', entries, present)));
    else log.record('route53resolver:UpdateFirewallDomains', block.domain, 'already-done', "Firebreak's domain list does not exist: nothing is blocked");
    if (mode === 'enforce') {
      await deps.blocks.recordEntries(account, region, block.domain, 'removed', entries);
      // The instance's index keeps the block until the domain is as its claims want it: a run that dies
      // before (a failed ADD below) is found again by its retry, which puts the domain back (row 6x).
      const remaining = await deps.blocks.release(account, region, block.domain, mine, { keepInstanceIndex: true });
      if (remaining.length > 0 && domainListId && entries.length > 0) {
        // Claimed by another incident while it was being removed: blocked again at once.
        await putBack(domainListId, block.domain, entries, new Set());
        await deps.blocks.dropInstanceIndex(account, region, block.domain, mine);
        results.push({ domain: block.domain, incidentKey: block.incidentKey, outcome: 'still-blocked', keptBy: remaining });
        continue;
      }
      await deps.blocks.dropInstanceIndex(account, region, block.domain, mine);
      log.record('firebreak:record-dns-block', block.domain, 'done', `Dropped the claim of incident ${block.incidentKey} on ${instanceId}`);
    }
    const outcome = entries.length === 0 && leftListed.length > 0 ? 'left-listed' : mode === 'enforce' ? 'unblocked' : 'would-unblock';
    results.push({ domain: block.domain, incidentKey: block.incidentKey, outcome, ...(leftListed.length > 0 ? { leftListed } : {}), ...(overridden.length > 0 ? { forcedPast: overridden } : {}) });
  }
  return finish(mode === 'dry-run' ? 'dry-run' : 'unblocked', { instanceId, domains: results });
}

/** Whether the pre-quarantine record says the instance is released from `incidentKey`'s quarantine (only release-instance marks it). */
function releaseOf(
  record: QuarantineReleaseState | undefined,
  instanceId: string,
  incidentKey: string,
): { readonly released: true; readonly detail: string } | { readonly released: false; readonly why: string } {
  if (record === undefined) return { released: false, why: `Firebreak holds no pre-quarantine record of ${instanceId}, so no release restored it` };
  if (releasedFor(record, incidentKey)) {
    return { released: true, detail: `Released at ${record.releasedAt ?? 'an earlier run'} by ${record.releasedBy ?? 'unknown'} (its pre-quarantine record)` };
  }
  if (!record.released && (record.releasedClaims ?? []).includes(incidentKey)) {
    const holders = claimsOf(record);
    return {
      released: false,
      why: `incident ${incidentKey}'s claim on ${instanceId} was taken back, but ${instanceId} stays quarantined: incident ${holders.join(', incident ')} still ${holders.length === 1 ? 'holds' : 'hold'} it. Its DNS blocks stay until the instance is released (the release of the last incident holding it takes them back)`,
    };
  }
  if (record.incidentKey !== incidentKey) {
    return { released: false, why: `${instanceId}'s pre-quarantine record is incident ${record.incidentKey}'s, not ${incidentKey}'s: no release of incident ${incidentKey} restored it` };
  }
  return { released: false, why: `${instanceId} is not released: its pre-quarantine record (incident ${record.incidentKey}) is not marked released (the release was refused, found no instance, or has not run)` };
}

const describeClaims = (claims: readonly DnsBlockClaim[]) => claims.map((c) => `incident ${c.incidentKey} on ${c.instanceId}`).join(', ');
const spread = (a: { api: string; target: string; outcome: Parameters<ActionLog['record']>[2]; detail: string }) => [a.api, a.target, a.outcome, a.detail] as const;

export const unblockDnsResponder = stepResponder(unblockDnsOptionsSchema, unblockDnsDomains);
export type UnblockDnsHandlerDeps = HandlerDeps<UnblockDnsDeps>;
export const createUnblockDnsDomainsHandler = (deps: UnblockDnsHandlerDeps): ResponderHandler<UnblockDnsResult> => createResponderHandler(unblockDnsResponder, deps);
