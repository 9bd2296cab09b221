/**
 * The contract between triage (which computes its incident-record write) and the dispatcher (whose
 * DynamoDB task makes it): the attribute holding the revisions already triaged, and the condition
 * that keeps a revision's triage from being appended twice. Written once, used by both.
 */

/** The attribute holding the revisions (execution names) whose triage is recorded: a string set. */
export const TRIAGED_REVISIONS_ATTRIBUTE = 'triaged';

/**
 * Marks, in the triaged set, the revision of a copy the oversized-event intake dispatched without
 * GuardDuty's confirmation. Anyone allowed to invoke the intake can send it a forged event with a
 * real finding's id and the revision GuardDuty's next delivery will have (GetFindings shows an
 * update hours before its EventBridge export): recorded under the bare execution name, its alert-only
 * entry would end that genuine delivery at DuplicateAlertOnly, alerting nothing (review s25). An
 * execution name holds only [A-Za-z0-9_-], so the marked revision is never a delivery's; two
 * deliveries of one unconfirmed copy still alert once.
 */
export const UNCONFIRMED_INTAKE_REVISION_SUFFIX = '#unconfirmed-intake-copy';

/**
 * The dispatcher's condition on triage's write: this revision's triage is not recorded yet.
 * `#triaged` and `:revision` are defined by triage's write (lib/responders/triage-record.ts).
 */
export const TRIAGE_RECORD_CONDITION = 'attribute_not_exists(#triaged) OR NOT contains(#triaged, :revision)';

/**
 * The incident's facts as the dispatcher's triage read them from the event (a map of the header's
 * fields), written by the first triage of the incident only (`if_not_exists`), never by a step.
 * The facts at the top level of the record are the first writer's, and any step writes them for the
 * incident key its payload names, a direct invocation's too (lambda:InvokeFunction with a payload of
 * the invoker's choosing): the operator's list and report read the facts from here when the record
 * has them (docs/security.md row 17b).
 */
export const TRIAGE_FACTS_ATTRIBUTE = 'triageFacts';

/**
 * The bytes of the entries the steps appended to the record (a number each step's append ADDs), on
 * which their appends are conditioned (STEP_ENTRY_BUDGET_BYTES, lib/responders/incident-record-model.ts):
 * triage's write is not, so the room it needs is never the steps' to take (docs/security.md row 17c).
 */
export const STEP_ENTRY_BYTES_ATTRIBUTE = 'stepEntryBytes';
/** Of them, the bytes of entries whose step did not confirm its execution's origin (row 17d). */
export const UNCONFIRMED_ENTRY_BYTES_ATTRIBUTE = 'unconfirmedEntryBytes';
/** The bytes of the compact entries of changes written past the steps' budget (CHANGE_RESERVE_BYTES, row 17f). */
export const CHANGE_RESERVE_BYTES_ATTRIBUTE = 'changeReserveBytes';

/** The state table's TTL attribute (epoch seconds): DynamoDB deletes an item after it (records, blast-radius slots). */
export const STATE_TTL_ATTRIBUTE = 'ttl';
