/**
 * The names of the two fan-out actions, which run a per-resource playbook once per instance or per
 * credential: the compiler and triage act on them, publish-alert reads their step's outcomes. A
 * module of its own so that the alert Lambda does not build the actions' option schemas at cold
 * start to read two names (docs/architecture.md, "Lean Lambda bundles").
 */

/** The action whose step runs a per-instance playbook once per affected instance (per-instance-actions.ts). */
export const PER_INSTANCE_ACTION = 'contain-each-instance';

/** The action whose step runs a per-credential playbook once per affected credential (per-credential-actions.ts). */
export const PER_CREDENTIAL_ACTION = 'contain-each-credential';

/**
 * Why an incident's resources get no execution of their own, when it came through the oversized-event
 * intake unconfirmed (`clipped.event` without `confirmed`): anyone allowed to invoke the intake can
 * hand it a forged event, and a child's execution name (child key and revision, per-instance.ts) taken
 * by a forgery carrying the revision GuardDuty is about to export (row 8g) would make GuardDuty's real
 * update of the sequence, naming the same resources, end as ALREADY_STARTED and contain nothing. Each child's guard would
 * ask a person anyway; starting none keeps the names free, and the alert lists every resource for a
 * person to contain. A copy GuardDuty confirmed (GetFindings) is GuardDuty's sequence: fanned out as any.
 */
export function unconfirmedIntakeRefusal(incident: { readonly clipped?: { readonly event?: { readonly confirmed?: true } } }): string | undefined {
  const event = incident.clipped?.event;
  if (event === undefined || event.confirmed === true) return undefined;
  return 'the event came through the oversized-event intake and GuardDuty did not confirm it (anyone allowed to invoke the intake can forge one): no execution is started, so that a forgery cannot take the names of the real incident\'s executions; a person must contain it';
}
