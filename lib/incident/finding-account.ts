/**
 * The account whose finding an incident is (row 9h). A per-instance or per-credential execution's
 * incident takes the account of the resource it acts on (a sequence may place a resource in another
 * account), so its `account` no longer says whose finding asked: the finding's ARN still does, since
 * the fan-out replaces only the key, account, Region and resource. The finding's own incident (not a
 * child) is its account's, whatever its ARN claims. A leaf, so that a responder bundles little more.
 */
import type { Incident } from './model';
import { isOwnKeyOfFinding } from './keys';

/** `arn:<partition>:guardduty:<region>:<account>:detector/…`: GuardDuty names the finding's own account. */
const GUARDDUTY_FINDING_ARN_ACCOUNT = /^arn:aws[a-z-]*:guardduty:[a-z0-9-]+:(\d{12}):detector\//;

/** The account of the finding: for a child incident its GuardDuty ARN's when it has one, else the incident's own. */
export function findingAccountOf(incident: Pick<Incident, 'account' | 'guardDuty' | 'key'>): string {
  const finding = incident.guardDuty;
  if (finding?.arn === undefined || isOwnKeyOfFinding(incident.key, finding.findingId)) return incident.account;
  return GUARDDUTY_FINDING_ARN_ACCOUNT.exec(finding.arn)?.[1] ?? incident.account;
}

/**
 * Where a responder acts for `incident`, and whose finding asks (row 9i): handed to the client
 * factories, which refuse the security account for another account's finding before a client
 * exists, whichever step asks (one holding no grant, as the evidence steps, too).
 */
export function actingTarget(incident: Pick<Incident, 'account' | 'region' | 'guardDuty' | 'key'>): { readonly account: string; readonly region: string; readonly findingAccount: string } {
  return { account: incident.account, region: incident.region, findingAccount: findingAccountOf(incident) };
}
