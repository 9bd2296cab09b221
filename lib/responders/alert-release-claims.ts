/**
 * What a release's approval request says of the instance's claims (docs/responders/release-instance.md):
 * whether approving restores the instance (its incident holds the last claim) or only takes back
 * that incident's claim while others keep it quarantined. The guard read the claims from the
 * pre-quarantine record (containment-guard-release.ts); a step result is a claim, and the incident
 * keys are text from the state table, so each is neutralized on one line and the list is bounded.
 */
import * as z from '../contracts/zod-mini';
import type { GuardReleaseClaims, GuardReleaseDnsBlocks } from './containment-guard-model';
import { GUARD_RESPONDER, GUARD_STATE } from '../playbooks/guard-names';
import type { StepSummary } from './alert-model';
import { oneLine } from './alert-text';
import { canonicalDomain, checkBlockableDomain } from './dns-domain';

/** The most incidents one line names (the rest are counted). */
const MAX_NAMED = 5;
/** The most characters shown of one incident key. */
const MAX_KEY = 128;

// z.lazy: built the first time an approval request is read, not at cold start.
const releaseClaimsSchema: z.ZodMiniType<GuardReleaseClaims> = z.lazy(() =>
  z.looseObject({
    of: z.optional(z.literal('s3-object')),
    record: z.enum(['held', 'released', 'no-record', 'unreadable']),
    claims: z.optional(z.array(z.string())),
    claimCount: z.optional(z.number()),
    reason: z.optional(z.string()),
  }),
);

/** A read the guard's result carries under `field`, when the steps carry one and it has the read's shape. */
function guardRead<T>(steps: readonly StepSummary[], field: 'releaseClaims' | 'releaseDnsBlocks', schema: z.ZodMiniType<T>): T | undefined {
  const step = steps.find((s) => s.result?.responder === GUARD_RESPONDER) ?? steps.find((s) => s.stepId === GUARD_STATE);
  const raw = (step?.result as Record<string, unknown> | null | undefined)?.[field];
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The guard's read of the instance's claims, when the steps carry one. */
function releaseClaimsOf(steps: readonly StepSummary[]): GuardReleaseClaims | undefined {
  return guardRead(steps, 'releaseClaims', releaseClaimsSchema);
}

const releaseDnsBlocksSchema: z.ZodMiniType<GuardReleaseDnsBlocks> = z.lazy(() =>
  z.looseObject({
    record: z.enum(['read', 'unreadable']),
    domains: z.optional(z.array(z.string())),
    domainCount: z.optional(z.number()),
    others: z.optional(z.array(z.string())),
    otherCount: z.optional(z.number()),
    reason: z.optional(z.string()),
  }),
);

/** The guard's read of the instance's DNS Firewall blocks, when the steps carry one. */
function releaseDnsBlocksOf(steps: readonly StepSummary[]): GuardReleaseDnsBlocks | undefined {
  return guardRead(steps, 'releaseDnsBlocks', releaseDnsBlocksSchema);
}

/** The most characters of one domain as a line shows it: a DNS name's 253. */
const MAX_DOMAIN_SHOWN = 253;
/** A low surrogate: the second half of a character, never the first of a cut text. */
const LOW_SURROGATE_FIRST = /^[\uDC00-\uDFFF]/;

/**
 * A domain as an approval request shows it (pure): neutralized on one line and, when that is longer
 * than MAX_DOMAIN_SHOWN, its END kept, from a dot, behind `...` (review-5q, row 5t). A name is at most
 * 253 characters, but each of its dots shows as `[.]`: cut at the front's 253, a long name showed its
 * front (`login[.]microsoftonline[.]com[.]a[.]a...`) and lost its end, the registrable domain that
 * resolves again or that the unblock acts on.
 */
export function shownDomain(domain: string): string {
  // A name of 253 code units is at most 1,012 once neutralized (`@` becomes `(at)`): never cut here.
  const whole = oneLine(domain, 4 * MAX_DOMAIN_SHOWN);
  if (whole.length <= MAX_DOMAIN_SHOWN) return whole;
  const tail = whole.slice(whole.length - (MAX_DOMAIN_SHOWN - 3));
  const dot = tail.indexOf('[.]');
  return `...${(dot >= 0 ? tail.slice(dot) : tail).replace(LOW_SURROGATE_FIRST, '')}`;
}

/**
 * "a, b and 3 more" (pure): at most MAX_NAMED of `items`, each as `show` writes it, and how many more
 * of `total` there are. At most five named: a line, stored as one of the request's notes, stays within
 * a note's 2,000 characters.
 */
function namedList(items: readonly string[], total: number, show: (item: string) => string): { readonly text: string; readonly named: number; readonly more: number } {
  const named = items.slice(0, MAX_NAMED).map(show);
  const more = Math.max(total, items.length) - named.length;
  return { text: `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`, named: named.length, more };
}

/** "a.example, b.example and 3 more": domains read from the table, each neutralized on one line (pure). */
function domainsText(domains: readonly string[], total: number): string {
  return namedList(domains, total, shownDomain).text;
}

/**
 * The lines of the APPROVAL NEEDED section on the DNS Firewall blocks a release lifts (row 5r): the
 * release playbook's unblock step takes back those its incident claimed on the instance, for every
 * VPC Firebreak's rule group is associated with in the account and Region. None when the guard read
 * none (not such a release) or the instance has none.
 */
export function releaseDnsLines(steps: readonly StepSummary[], incidentKey: string | undefined, instanceId: string | undefined): string[] {
  const read = releaseDnsBlocksOf(steps);
  if (read === undefined) return [];
  const instance = oneLine(instanceId ?? 'the instance', 80);
  const incident = oneLine(incidentKey ?? 'of this release', MAX_KEY);
  if (read.record === 'unreadable') {
    return [
      `  Firebreak could not read the DNS Firewall blocks claimed on ${instance} (${oneLine(read.reason ?? 'no reason given', 300)}): approving may also lift incident ${incident}'s blocks, and the domains resolve again (\`firebreak dns list\` shows them).`,
    ];
  }
  const lines: string[] = [];
  const own = read.domains ?? [];
  const ownCount = read.domainCount ?? own.length;
  if (ownCount > 0) {
    lines.push(
      `  Approving also LIFTS incident ${incident}'s DNS Firewall blocks of ${domainsText(own, ownCount)} (each with its subdomains, for every VPC Firebreak's rule group is associated with in this account and Region): they resolve again once the release has restored ${instance}, unless another open incident still blocks them (as the state table said when this request was made; the unblock reads it again).`,
    );
  }
  const others = read.others ?? [];
  const otherCount = read.otherCount ?? others.length;
  if (otherCount > 0) {
    lines.push(
      `  The DNS Firewall block of ${domainsText(others, otherCount)}, claimed on ${instance} by another incident, stays, unless an earlier release already took that incident's claim on ${instance} back: then it is lifted too.`,
    );
  }
  return lines;
}

const dnsUnblockRequestSchema = z.lazy(() => z.looseObject({ dnsUnblock: z.looseObject({ domain: z.string(), force: z.optional(z.boolean()) }) }));

/**
 * The lines of the APPROVAL NEEDED section of `firebreak dns unblock` (row 5s): the domain its step
 * unblocks and whether it is forced, from the request the wait sends (the execution's `dnsUnblock`,
 * which the guard binds into the grant and the step acts on), never from the incident's title, which
 * whoever starts the execution writes. None for a request without one.
 */
export function dnsUnblockLines(request: unknown, incidentKey: string | undefined, instanceId: string | undefined): string[] {
  const parsed = dnsUnblockRequestSchema.safeParse(request);
  if (!parsed.success) return [];
  const { domain: raw, force } = parsed.data.dnsUnblock;
  const domain = shownDomain(canonicalDomain(raw));
  const incident = oneLine(incidentKey ?? 'of this request', MAX_KEY);
  const instance = oneLine(instanceId ?? 'its instance', 80);
  return [
    `  Approving UNBLOCKS ${domain} (and its subdomains): incident ${incident}'s block of it on ${instance} is taken back, and it resolves again for every VPC Firebreak's rule group is associated with in this account and Region (this is the domain the unblock acts on, whatever the incident's title says).`,
    ...(force === true
      ? [`  FORCED: every other open incident's claim on ${domain} is dropped too (recorded): it resolves again although other incidents still block it.`]
      : []),
  ];
}

/**
 * The lines of a containment's APPROVAL NEEDED section on the domain its block-dns-domain step blocks
 * (row 10h): approving lets that step put the finding's domain into the account's and Region's DNS
 * Firewall list, which every VPC associated with Firebreak's rule group resolves through, not only the
 * contained instance's. The domain is the finding's word (a forged intake event's, a threat list's), so
 * the approver is told to check it first. None when the waiting steps block nothing (`blocksDnsDomain`,
 * which the compiled approval wait sets) or the finding names no domain; a domain the built-in rules
 * refuse is said to stay unblocked (the deployment's own allowlist is checked by the step).
 */
export function dnsBlockLines(domain: string | undefined, blocksDnsDomain: boolean | undefined, where: { readonly account?: string; readonly region?: string; readonly instanceId?: string }): string[] {
  if (blocksDnsDomain !== true || domain === undefined) return [];
  const check = checkBlockableDomain(domain, []);
  if (!check.blockable) return [`  block-dns-domain will not block ${shownDomain(canonicalDomain(domain))}: ${oneLine(check.code, 40)} (its built-in rules refuse it).`];
  const shown = shownDomain(check.domain);
  const account = `${oneLine(where.account ?? 'the incident\'s account', 20)} ${oneLine(where.region ?? '', 30)}`.trim();
  return [
    `  Approving also BLOCKS ${shown} (and its subdomains) in DNS Firewall for every VPC Firebreak's rule group is associated with in account ${account}, not only ${oneLine(where.instanceId ?? 'the instance', 80)}'s: every instance there stops resolving it until the block is released. The domain is the finding's word: approve only if the organization does not use it (its identity provider, a partner, a SaaS), unless the deployment's DNS allowlist holds it.`,
  ];
}

/** "incident X still holds it" / "incidents X, Y and 3 more still hold it" (pure). */
function holdersText(keys: readonly string[], total: number): string {
  const { text, named, more } = namedList(keys, total, (key) => oneLine(key, MAX_KEY));
  return named === 1 && more === 0 ? `incident ${text} still holds it` : `incidents ${text} still hold it`;
}

/** Where a release's incident stands among the holders the guard read (`held`), for either wording. */
type HeldClaims =
  | { readonly kind: 'among-unlisted'; readonly total: number }
  | { readonly kind: 'not-held'; readonly holders: string; readonly verb: 'does' | 'do' }
  | { readonly kind: 'last' }
  | { readonly kind: 'shared'; readonly others: string };

function heldClaims(read: GuardReleaseClaims, incidentKey: string | undefined): HeldClaims {
  const claims = read.claims ?? [];
  const total = read.claimCount ?? claims.length;
  if (incidentKey === undefined || !claims.includes(incidentKey)) {
    if (total > claims.length) return { kind: 'among-unlisted', total };
    return { kind: 'not-held', holders: holdersText(claims, total).replace(/ still holds? it$/, ''), verb: claims.length === 1 ? 'does' : 'do' };
  }
  const others = claims.filter((key) => key !== incidentKey);
  if (others.length === 0 && total <= 1) return { kind: 'last' };
  return { kind: 'shared', others: holdersText(others, total - 1) };
}

/**
 * The lines of the APPROVAL NEEDED section on the instance's (or the S3 object version's) claims,
 * or none when the guard read none (not a release of an instance or an object).
 */
export function releaseClaimLines(steps: readonly StepSummary[], incidentKey: string | undefined, instanceId: string | undefined, objectName?: string): string[] {
  const read = releaseClaimsOf(steps);
  if (read === undefined) return [];
  if (read.of === 's3-object') return objectClaimLines(read, incidentKey, objectName);
  const instance = oneLine(instanceId ?? 'the instance', 80);
  const incident = oneLine(incidentKey ?? 'of this release', MAX_KEY);
  const asRead = '(as its record said when this request was made; the release reads it again before it acts)';
  switch (read.record) {
    case 'no-record':
      return [`  Firebreak holds no pre-quarantine record of ${instance}: the release will change nothing.`];
    case 'released':
      return [`  The pre-quarantine record of ${instance} is already released: the release will change nothing.`];
    case 'unreadable':
      // The grant then binds no record: the release restores nothing under it (release-checks.ts).
      return [
        `  Firebreak could not read which incidents hold ${instance} (${oneLine(read.reason ?? 'no reason given', 300)}), so this approval cannot be given on them: the release restores NOTHING (if incident ${incident} holds the last claim, it changes nothing and a new release is needed); if other incidents hold ${instance}, it takes back only incident ${incident}'s claim.`,
      ];
    case 'held':
      break;
  }
  const held = heldClaims(read, incidentKey);
  switch (held.kind) {
    case 'among-unlisted':
      return [`  ${instance} is held quarantined by ${held.total} incidents ${asRead}; the release restores it only if incident ${incident} holds the last claim.`];
    case 'not-held':
      return [`  Incident ${incident} holds no claim on ${instance} (${held.holders} ${held.verb}): the release will refuse and change nothing.`];
    case 'last':
      return [
        `  Incident ${incident} holds the last claim on ${instance}: approving RESTORES it (its recorded security groups, instance profile, protections and tags) ${asRead},`,
        `  unless an incident, this one included (a new execution, as when GuardDuty updates the finding), contains ${instance} again before the release acts: it then restores nothing, and a new release is needed.`,
      ];
    case 'shared':
      return [
        `  Approving takes back only incident ${incident}'s claim: ${instance} STAYS QUARANTINED, ${held.others} ${asRead};`,
        `  nothing is restored until the last of them is released. If incident ${incident} contains ${instance} again before the release acts (a new execution, as when GuardDuty updates the finding), it keeps its claim too, and a new release is needed.`,
      ];
  }
}

/** The same lines for an S3 object version: whether approving takes Firebreak's infected tags off (release-s3-object.ts). */
function objectClaimLines(read: GuardReleaseClaims, incidentKey: string | undefined, objectName: string | undefined): string[] {
  const object = objectName ?? 'the object';
  const incident = oneLine(incidentKey ?? 'of this release', MAX_KEY);
  const asRead = '(as the state table said when this request was made; the release reads the claims again before it writes)';
  const untags = "approving takes Firebreak's infected tags off (the owner's tags stay; the quarantine copy stays as evidence)";
  switch (read.record) {
    case 'no-record':
      return [`  No incident holds a claim on ${object} ${asRead}: ${untags} if they name incident ${incident}; tags naming another incident stay.`];
    case 'released':
      return [`  Every incident that held ${object} took its claim back ${asRead}: ${untags} if they are still on.`];
    case 'unreadable':
      return [
        `  Firebreak could not read which incidents hold ${object} (${oneLine(read.reason ?? 'no reason given', 300)}): the release reads them itself and takes the infected tags off only if no other incident holds it; otherwise it stays tagged infected.`,
      ];
    case 'held':
      break;
  }
  const held = heldClaims(read, incidentKey);
  switch (held.kind) {
    case 'among-unlisted':
      return [`  ${object} is held tagged infected by ${held.total} incidents ${asRead}; ${untags} only if incident ${incident} holds the last claim.`];
    case 'not-held':
      return [`  Incident ${incident} holds no claim on ${object} (${held.holders} ${held.verb}): it STAYS TAGGED INFECTED; approving changes none of its tags.`];
    case 'last':
      return [
        `  Incident ${incident} holds the last claim on ${object}: ${untags} ${asRead},`,
        `  unless an incident, this one included (a rescan), claims ${object} again before the release acts: it then stays tagged infected, and a new release is needed.`,
      ];
    case 'shared':
      return [
        `  Approving takes back only incident ${incident}'s claim: ${object} STAYS TAGGED INFECTED, ${held.others} ${asRead};`,
        '  the infected tags come off only when the last of them is released.',
      ];
  }
}
