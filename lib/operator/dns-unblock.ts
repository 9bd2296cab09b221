/**
 * `firebreak dns unblock`, pure parts: which claim the unblock is for, and the execution of the
 * unblock-dns-domain playbook (playbooks/unblock-dns-domain.yaml) that takes it back. The command
 * never calls Route 53 Resolver: the member role trusts only the responder roles, so the playbook's
 * unblock-dns-domains step (lib/responders/unblock-dns-domains.ts, target requested-domain) does,
 * after the guard and a person's approval, and refuses again what the command refuses here (a domain
 * no incident blocked, a domain another open incident claims without force): the command's checks
 * give a clear error early, the step's are the ones that hold.
 */
import type { DnsBlockClaim } from '../responders/dns-block-records';
import type { DeployedStack } from './stack';
import type { ManualExecutionInput, ManualRequest, ManualRequestParts } from './manual-request';
import { buildManualRequest, compactSecond, manualPlaybookStateMachineOf } from './manual-request';
import { ReleaseSetupError } from './release/errors';

/** The playbook `firebreak dns unblock` starts. */
export const DNS_UNBLOCK_PLAYBOOK = 'unblock-dns-domain';
/** The finding type of an unblock incident: not a GuardDuty type, so no playbook routes it. */
export const DNS_UNBLOCK_FINDING_TYPE = 'Firebreak:DnsUnblock';

/** The execution input: what every manual playbook reads, and the domain. */
export interface DnsUnblockExecutionInput extends ManualExecutionInput<typeof DNS_UNBLOCK_PLAYBOOK> {
  readonly dnsUnblock: { readonly domain: string; readonly force: boolean };
}

/** Everything an unblock is made from: the common parts (the incident is the claim's), the domain and the claim. */
export interface DnsUnblockParts extends Omit<ManualRequestParts, 'incidentKey'> {
  readonly domain: string;
  readonly claim: DnsBlockClaim;
  readonly force: boolean;
  readonly reason: string;
}

/**
 * The claim the unblock is for: the one of `--incident` when given, else the only incident that
 * claims the domain. Refused (a ReleaseSetupError, exit 2, nothing started) when no incident blocks
 * the domain, when the incident named holds no claim on it, and when another incident still claims
 * it and `force` is off.
 */
export function chooseClaim(domain: string, where: string, claims: readonly DnsBlockClaim[], incident: string | undefined, force: boolean): { claim: DnsBlockClaim; others: DnsBlockClaim[] } {
  const list = (some: readonly DnsBlockClaim[]) => some.map((c) => `incident ${c.incidentKey} on ${c.instanceId}`).join(', ');
  if (claims.length === 0) {
    throw new ReleaseSetupError(`${domain} is not blocked by any incident in ${where} (see \`firebreak dns list\`): Firebreak removes only what an incident blocked`);
  }
  const mine = incident === undefined ? claims : claims.filter((c) => c.incidentKey === incident);
  if (mine.length === 0) throw new ReleaseSetupError(`incident ${incident} does not block ${domain} in ${where}; it is claimed by ${list(claims)}`);
  const claim = mine[0]!;
  const others = claims.filter((c) => c !== claim);
  if (others.length > 0 && !force) {
    throw new ReleaseSetupError(
      `${domain} is claimed by more than one open incident (${list(claims)}): release those instances (\`firebreak release\`), or pass --incident KEY --force to take it back anyway (the force and you are recorded)`,
    );
  }
  return { claim, others };
}

/** `unblock-dns-<instance>-<UTC second>`: a request sent twice in the same second starts one execution (see releaseExecutionName). */
export function dnsUnblockExecutionName(instanceId: string, at: Date): string {
  return `unblock-dns-${instanceId}-${compactSecond(at)}`;
}

/** The execution's name and input (pure). */
export function buildDnsUnblockRequest(parts: DnsUnblockParts): ManualRequest<DnsUnblockExecutionInput> {
  const { executionName, input } = buildManualRequest(
    DNS_UNBLOCK_PLAYBOOK,
    { ...parts, incidentKey: parts.claim.incidentKey },
    {
      executionName: (second) => dnsUnblockExecutionName(parts.claim.instanceId, second),
      findingType: DNS_UNBLOCK_FINDING_TYPE,
      asked: `Unblock of ${parts.domain}`,
      resource: { kind: 'ec2-instance', instanceId: parts.claim.instanceId, networkInterfaces: [], tags: {} },
    },
  );
  return { executionName, input: { ...input, dnsUnblock: { domain: parts.domain, force: parts.force } } };
}

/** The unblock playbook's state machine in the deployed stack, or a ReleaseSetupError saying how to deploy it. */
export function dnsUnblockStateMachineOf(stack: DeployedStack, where: string): string {
  return manualPlaybookStateMachineOf(stack, where, DNS_UNBLOCK_PLAYBOOK);
}
