/**
 * What a guard run may answer from the grant it finds already written for its execution (a retry
 * or rerun of the guard step, or a direct invocation naming the same execution). A grant, once
 * written, is never replaced (grants.ts), and the steps act on it, not on the guard's answer: a run
 * that answered with its own terms beside another grant's status would tell the playbook and the
 * alert what the steps will not do (an enforce answer over a dry-run grant). So the run answers
 * from the stored grant only when it is the one this run would issue, and otherwise refuses.
 */
import type { ContainmentGrant } from '../contracts/security';
import { GRANT_VALIDITY_SECONDS } from './grants';

/** What this run would issue, to compare a stored grant with. */
export interface GrantExpectation {
  /** The grant this run would write for its own decision. */
  readonly candidate: ContainmentGrant;
  readonly now: Date;
  /** The playbook's approval timeout (its rails), which an awaiting-approval grant's deadline is taken from. */
  readonly approvalSeconds: number;
  /** The onTimeout this run would give an awaiting-approval grant (evidence-only for the intake's events). */
  readonly onTimeout: NonNullable<ContainmentGrant['onTimeout']>;
  /** This run requires a person's approval (the rails, the step's options, the oversized-event intake). */
  readonly personDecides: boolean;
}

/**
 * Where a stored grant differs from what this run would issue: `target`, another incident or
 * instance (or whatever else the grant binds the steps to); `terms`, the same target on other terms
 * (mode, playbook, expiry, approval). One sentence naming the field.
 */
export interface GrantDifference {
  readonly of: 'target' | 'terms';
  readonly field: string;
  readonly text: string;
}

const TARGET_FIELDS = ['incidentKey', 'account', 'region', 'instanceId', 'kind'] as const;
const TERM_FIELDS = ['playbook', 'mode', 'gameDay'] as const;

/**
 * The first field where `stored` differs from what this run would issue, or undefined when this
 * run may answer from it (pure). The stored status stands where it clears less than this run's (an
 * awaiting-approval grant where this run would proceed: the blast radius may have freed a slot
 * since), never where it clears more. An earlier run's expiry and approval deadline come earlier
 * than this run's, never later; an expired grant is never answered from, since a run cannot renew it.
 */
export function storedGrantDifference(stored: ContainmentGrant, expected: GrantExpectation): GrantDifference | undefined {
  const { candidate } = expected;
  const differs = (of: GrantDifference['of'], field: string, text: string): GrantDifference => ({ of, field, text: `${field}: ${text}` });
  for (const field of TARGET_FIELDS) {
    if (stored[field] !== candidate[field]) return differs('target', field, `the stored grant says ${stored[field]}, this run would issue ${candidate[field]}`);
  }
  if (stored.incidentDigest !== candidate.incidentDigest) {
    return differs('target', 'incidentDigest', `the stored grant binds another incident (SHA-256 ${stored.incidentDigest}, this run's ${candidate.incidentDigest})`);
  }
  if (stored.requestDigest !== candidate.requestDigest) {
    return differs(
      'target',
      'requestDigest',
      stored.requestDigest === undefined
        ? 'the stored grant binds no request, this run would bind one'
        : candidate.requestDigest === undefined
          ? 'the stored grant binds a request, this run would issue none'
          : 'the stored grant binds another request',
    );
  }
  for (const field of TERM_FIELDS) {
    if (stored[field] !== candidate[field]) return differs('terms', field, `the stored grant says ${String(stored[field])}, this run would issue ${String(candidate[field])}`);
  }
  if (candidate.heldQuarantine === true && stored.heldQuarantine !== true) {
    return differs('terms', 'heldQuarantine', 'the stored grant clears steps beyond the instance, this run would clear only what re-confirms its quarantine (no slot taken)');
  }
  if (stored.status === 'proceed' && expected.personDecides) {
    return differs('terms', 'status', 'the stored grant proceeds without approval, this run would issue awaiting-approval: a person must approve');
  }
  const at = expected.now.getTime();
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  if (stored.expiresAt <= Math.floor(at / 1000)) {
    return differs('terms', 'expiresAt', `the stored grant expired at ${iso(stored.expiresAt)}; a guard run never renews a grant`);
  }
  if (stored.status === 'proceed') {
    if (stored.approvalDeadline !== undefined) return differs('terms', 'approvalDeadline', 'the stored proceed grant has one, this run would issue none');
    if (stored.onTimeout !== undefined) return differs('terms', 'onTimeout', 'the stored proceed grant has one, this run would issue none');
    const latest = Math.floor(at / 1000) + GRANT_VALIDITY_SECONDS;
    if (stored.expiresAt > latest) return differs('terms', 'expiresAt', `the stored grant says ${iso(stored.expiresAt)}, later than the ${iso(latest)} this run would issue`);
    return undefined;
  }
  // awaiting-approval: what this run would write for it, from now.
  if (stored.onTimeout !== expected.onTimeout) return differs('terms', 'onTimeout', `the stored grant says ${stored.onTimeout ?? 'none'}, this run would issue ${expected.onTimeout}`);
  const deadline = stored.approvalDeadline !== undefined ? Date.parse(stored.approvalDeadline) : Number.NaN;
  const latestDeadline = at + expected.approvalSeconds * 1000;
  if (!Number.isFinite(deadline)) return differs('terms', 'approvalDeadline', `the stored grant has ${stored.approvalDeadline === undefined ? 'none' : 'no readable one'}, this run would issue ${new Date(latestDeadline).toISOString()}`);
  if (deadline > latestDeadline) {
    return differs('terms', 'approvalDeadline', `the stored grant says ${stored.approvalDeadline}, later than the ${new Date(latestDeadline).toISOString()} this run would issue`);
  }
  const latest = Math.floor(latestDeadline / 1000) + GRANT_VALIDITY_SECONDS;
  if (stored.expiresAt > latest) return differs('terms', 'expiresAt', `the stored grant says ${iso(stored.expiresAt)}, later than the ${iso(latest)} this run would issue`);
  return undefined;
}
