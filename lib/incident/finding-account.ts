/**
 * The account whose finding an incident is (row 9h). A per-instance or per-credential execution's
 * incident takes the account of the resource it acts on (a sequence may place a resource in another
 * account), so its `account` no longer says whose finding asked: the finding's ARN still does, since
 * the fan-out replaces only the key, account, Region and resource. A leaf, so that a responder that
 * checks it bundles nothing more.
 */
import type { Incident } from './model';

/** `arn:<partition>:guardduty:<region>:<account>:detector/…`: GuardDuty names the finding's own account. */
const GUARDDUTY_FINDING_ARN_ACCOUNT = /^arn:aws[a-z-]*:guardduty:[a-z0-9-]+:(\d{12}):detector\//;

/** The account of the finding: its GuardDuty ARN's when it has one, else the incident's own (an alarm's, a finding without ARN). */
export function findingAccountOf(incident: Pick<Incident, 'account' | 'guardDuty'>): string {
  const arn = incident.guardDuty?.arn;
  return (arn !== undefined ? GUARDDUTY_FINDING_ARN_ACCOUNT.exec(arn)?.[1] : undefined) ?? incident.account;
}
