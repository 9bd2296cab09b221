/**
 * `firebreak dns unblock`, pure parts: which claim the unblock is for, and the execution of the
 * unblock-dns-domain playbook (playbooks/unblock-dns-domain.yaml) that takes it back. The command
 * never calls Route 53 Resolver: the member role trusts only the responder roles, so the playbook's
 * unblock-dns-domains step (lib/responders/unblock-dns-domains.ts, target requested-domain) does,
 * after the guard and a person's approval, and refuses again what the command refuses here (a domain
 * no incident blocked, a domain another open incident claims without force): the command's checks
 * give a clear error early, the step's are the ones that hold.
 */
import type { Incident } from '../incident/model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { DnsBlockClaim } from '../responders/dns-block-records';
import type { DeployedStack } from './stack';
import { ReleaseSetupError } from './release/errors';

/** The playbook `firebreak dns unblock` starts. */
export const DNS_UNBLOCK_PLAYBOOK = 'unblock-dns-domain';
/** The finding type of an unblock incident: not a GuardDuty type, so no playbook routes it. */
export const DNS_UNBLOCK_FINDING_TYPE = 'Firebreak:DnsUnblock';

/** The execution input: what every manual playbook reads, and the domain. */
export interface DnsUnblockExecutionInput {
  readonly incident: Incident;
  readonly mode: ResponderMode;
  readonly playbook: typeof DNS_UNBLOCK_PLAYBOOK;
  readonly requestedBy: string;
  readonly reason: string | null;
  readonly dnsUnblock: { readonly domain: string; readonly force: boolean };
}

export interface DnsUnblockParts {
  readonly domain: string;
  readonly account: string;
  readonly region: string;
  readonly claim: DnsBlockClaim;
  readonly force: boolean;
  readonly mode: ResponderMode;
  readonly requestedBy: string;
  readonly reason: string;
  readonly at: Date;
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
  return `unblock-dns-${instanceId}-${at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}`;
}

/** The execution's name and input (pure). */
export function buildDnsUnblockRequest(parts: DnsUnblockParts): { executionName: string; input: DnsUnblockExecutionInput } {
  const at = new Date(Math.floor(parts.at.getTime() / 1000) * 1000);
  const time = at.toISOString();
  const executionName = dnsUnblockExecutionName(parts.claim.instanceId, at);
  const incident: Incident = {
    key: parts.claim.incidentKey,
    revision: executionName,
    source: 'firebreak',
    findingType: DNS_UNBLOCK_FINDING_TYPE,
    title: `Unblock of ${parts.domain} requested by ${parts.requestedBy}`,
    description: parts.reason,
    severity: { score: 0, label: 'Informational' },
    account: parts.account,
    region: parts.region,
    resource: { kind: 'ec2-instance', instanceId: parts.claim.instanceId, networkInterfaces: [], tags: {} },
    sample: false,
    gameDay: false,
    times: { created: time, updated: time, received: time },
  };
  return {
    executionName,
    input: { incident, mode: parts.mode, playbook: DNS_UNBLOCK_PLAYBOOK, requestedBy: parts.requestedBy, reason: parts.reason, dnsUnblock: { domain: parts.domain, force: parts.force } },
  };
}

/** The unblock playbook's state machine in the deployed stack, or a ReleaseSetupError saying how to deploy it. */
export function dnsUnblockStateMachineOf(stack: DeployedStack, where: string): string {
  const playbook = stack.playbooks.find((candidate) => candidate.name === DNS_UNBLOCK_PLAYBOOK);
  if (playbook) return playbook.stateMachineArn;
  throw new ReleaseSetupError(
    `stack ${stack.stackName} in ${where} has no ${DNS_UNBLOCK_PLAYBOOK} playbook: deploy playbooks/${DNS_UNBLOCK_PLAYBOOK}.yaml with \`npx cdk deploy\``,
  );
}
