/**
 * Triage's own entry in the incident record: the decision (start a playbook or alert only), the
 * playbook and mode chosen, the reasons, the child incidents it starts (one per instance of an
 * attack sequence…), and when triage ran, so that the report measures time to triage from the
 * receipt to this entry.
 *
 * Triage computes the entry (pure, here); the dispatcher writes it, with a DynamoDB service
 * integration (`UpdateItem`, lib/playbooks/dispatcher.ts `RecordTriage`) AFTER the playbook has
 * started, so the write can neither delay nor block it, and BEFORE an alert-only decision's alert
 * (`RecordTriageOnly`), so that its condition refuses a second delivery of the revision before it
 * alerts again; a write that fails is caught and the dispatcher still succeeds (an alert-only
 * decision is alerted all the same). The triage Lambda keeps no SDK client and makes no call.
 *
 * A duplicate delivery of the same revision (ExecutionAlreadyExists: the dispatcher still writes,
 * since the delivery that took the name may have been an unconfirmed intake copy, row 17c), an
 * alert-only incident delivered twice (it alerts once), or a write retried after a lost answer, is
 * kept out by the condition on the set of revisions already triaged (`triaged`, one execution name
 * per revision): the same triage is never appended twice, a new revision (GuardDuty updated the
 * finding) is. A copy the oversized-event intake dispatched unconfirmed records its revision marked
 * (UNCONFIRMED_INTAKE_REVISION_SUFFIX), so a forgery sent to the intake never refuses a genuine delivery.
 */
import { TRIAGE_FACTS_ATTRIBUTE, TRIAGE_RECORD_CONDITION, TRIAGED_REVISIONS_ATTRIBUTE, UNCONFIRMED_INTAKE_REVISION_SUFFIX } from '../contracts/incident-record';
import { playbookExecutionName } from '../incident/keys';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { TriageDecision } from '../playbooks/triage';
import type { IncidentRecordEntry, RecordAppendUpdate } from './incident-record-model';
import { HEADER_FACTS, incidentRecordKey, RECORD_LIMITS, recordAppendUpdate, recordHeaderOf } from './incident-record-model';

/** The step name of triage's entry. */
export const TRIAGE_STEP = RESPONDER_NAMES.triage;

export { TRIAGE_RECORD_CONDITION, TRIAGED_REVISIONS_ATTRIBUTE, UNCONFIRMED_INTAKE_REVISION_SUFFIX };

/** At most this many child keys in one entry (a sequence's per-instance cap is lower). */
const MAX_CHILDREN = 60;

/** What the dispatcher's RecordTriage task writes: the item key and the UpdateItem's variable parts. */
export interface TriageRecordWrite extends RecordAppendUpdate {
  /** `incident#<incident key>`. */
  readonly pk: string;
  /**
   * The member of the triaged set: the revision's execution name (the same for every delivery of
   * it), followed by UNCONFIRMED_INTAKE_REVISION_SUFFIX for a copy the oversized-event intake
   * dispatched unconfirmed.
   */
  readonly revision: string;
}

/**
 * The keys of the child incidents a decision starts: every target (of any kind) the decision lists
 * with an `incident.key`, e.g. the per-instance targets of an attack sequence.
 */
export function childKeysOf(decision: TriageDecision): string[] {
  const keys: string[] = [];
  for (const value of Object.values(decision as unknown as Record<string, unknown>)) {
    if (!Array.isArray(value)) continue;
    for (const item of value as unknown[]) {
      const key = (item as { incident?: { key?: unknown } } | null)?.incident?.key;
      if (typeof key === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(key) && !keys.includes(key)) keys.push(key);
    }
  }
  return keys.slice(0, MAX_CHILDREN);
}

/** Triage's entry for a decision about an incident (start-playbook or alert-only); undefined otherwise. */
export function triageRecordEntry(decision: TriageDecision, times: { readonly startedAt: Date; readonly endedAt: Date }): IncidentRecordEntry | undefined {
  if (decision.incident === null || (decision.outcome !== 'start-playbook' && decision.outcome !== 'alert-only')) return undefined;
  const children = childKeysOf(decision);
  return {
    step: TRIAGE_STEP,
    startedAt: times.startedAt.toISOString(),
    endedAt: times.endedAt.toISOString(),
    outcome: 'succeeded',
    status: decision.outcome,
    mode: decision.mode,
    ...(decision.playbook !== null ? { playbook: decision.playbook.slice(0, 80) } : {}),
    // An alert-only decision starts nothing: the name its revision would have, an unconfirmed intake
    // copy's bound to its contents (row 8g), so a forgery never takes a genuine copy's revision.
    executionName: (decision.executionName ?? playbookExecutionName(decision.incident)).slice(0, 80),
    reasons: decision.reasons.slice(0, RECORD_LIMITS.reasons).map((reason) => reason.slice(0, RECORD_LIMITS.text)),
    actions: [],
    ...(children.length > 0 ? { children } : {}),
  };
}

/** The write of triage's entry, or undefined when the decision is about no incident or starts nothing. */
export function triageRecordWrite(decision: TriageDecision, times: { readonly startedAt: Date; readonly endedAt: Date }, retentionDays: number): TriageRecordWrite | undefined {
  const entry = triageRecordEntry(decision, times);
  if (entry === undefined || decision.incident === null) return undefined;
  const key = decision.incident.key;
  const base = recordAppendUpdate(recordHeaderOf(key, { incident: decision.incident }), entry, retentionDays);
  const name = entry.executionName ?? key;
  const clippedEvent = decision.incident.clipped?.event;
  const unconfirmed = clippedEvent !== undefined && clippedEvent.confirmed !== true;
  const revision = unconfirmed ? `${name}${UNCONFIRMED_INTAKE_REVISION_SUFFIX}` : name;
  // The facts as this triage read them, kept from the first triage (row 17b): the top-level facts
  // are the first writer's, which may be a responder invoked directly with a payload of anyone's
  // choosing. Not from a copy the intake dispatched unconfirmed: its contents are its sender's.
  const facts = unconfirmed ? undefined : Object.fromEntries(HEADER_FACTS.flatMap((field) => (base.values[`:${field}`] ? [[field, base.values[`:${field}`]!]] : [])));
  return {
    pk: incidentRecordKey(key),
    revision,
    updateExpression: `${base.updateExpression}${facts ? ', #triageFacts = if_not_exists(#triageFacts, :triageFacts)' : ''} ADD #triaged :revisions`,
    names: { ...base.names, ...(facts ? { '#triageFacts': TRIAGE_FACTS_ATTRIBUTE } : {}), '#triaged': TRIAGED_REVISIONS_ATTRIBUTE },
    values: { ...base.values, ...(facts ? { ':triageFacts': { M: facts } } : {}), ':revision': { S: revision }, ':revisions': { SS: [revision] } },
  };
}
