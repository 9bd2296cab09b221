/**
 * The last release's hold on an instance's pre-quarantine record, written once: release-instance
 * holds the record for its restore (lib/responders/quarantine-records.ts, `holdForRestore`), no
 * incident can claim the instance meanwhile (quarantine-instance's claim is refused with
 * `RecordHeldForRestoreError`), the playbooks' quarantine steps retry that refusal for longer than a
 * hold can last (lib/playbooks/actions.ts), and the stack keeps the release Lambda's timeout under it.
 */

/**
 * How long a release holds the record for its restore, in seconds: longer than the release-instance
 * Lambda can run (its timeout, lib/stack/responders.ts; a stack test keeps it so), so that the hold
 * never ends while that restore still runs. A release that dies holding it (its Lambda timed out)
 * keeps other incidents from claiming the instance until then, never longer.
 */
export const RESTORE_HOLD_SECONDS = 180;

/**
 * How long, at least, a quarantine step waits for a hold to end before it gives up containing the
 * instance: the hold of a release that died, then the hold its own retry (the playbook's Retry, or a
 * person's rerun) took again and died with too. A live release ends its hold within seconds.
 */
export const RESTORE_HOLD_WAIT_SECONDS = 2 * RESTORE_HOLD_SECONDS;
