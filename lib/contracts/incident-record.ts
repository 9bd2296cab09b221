/**
 * The contract between triage (which computes its incident-record write) and the dispatcher (whose
 * DynamoDB task makes it): the attribute holding the revisions already triaged, and the condition
 * that keeps a revision's triage from being appended twice. Written once, used by both.
 */

/** The attribute holding the revisions (execution names) whose triage is recorded: a string set. */
export const TRIAGED_REVISIONS_ATTRIBUTE = 'triaged';

/**
 * The dispatcher's condition on triage's write: this revision's triage is not recorded yet.
 * `#triaged` and `:revision` are defined by triage's write (lib/responders/triage-record.ts).
 */
export const TRIAGE_RECORD_CONDITION = 'attribute_not_exists(#triaged) OR NOT contains(#triaged, :revision)';

/** The state table's TTL attribute (epoch seconds): DynamoDB deletes an item after it (records, blast-radius slots). */
export const STATE_TTL_ATTRIBUTE = 'ttl';
