/**
 * The `contain-each-credential` action (issue 12), defined apart from actions.ts so the registry
 * only lists it: for an incident naming several IAM credentials (an IAM attack sequence), run a
 * `trigger: per-credential` playbook once per credential, each its own execution under the
 * containment guard (the guard's grant names that one credential, its blast-radius slot is that
 * credential's), and wait for all of them so the playbook's notify step tells the whole story once.
 * It calls no Lambda itself: the compiler makes it a Map state of `states:startExecution.sync:2`
 * tasks (compile-per-instance.ts), and triage lists the credentials (per-credential.ts).
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';
import { PER_CREDENTIAL_ACTION } from './fan-out-names';


/**
 * At most `maxCredentials` credentials per incident get an execution (the rest are alerted for a
 * person): each item's summary keeps its steps' results (about 6 KB per credential, measured in the
 * iam-attack-sequence-* game days), and rides in the playbook's 256 KiB payload beside the incident
 * (its affected resources alone may take 48 KiB). At most `maxConcurrency` run at once.
 */
export const PER_CREDENTIAL_LIMITS = { maxCredentials: 10, maxConcurrency: 10 } as const;

export const containEachCredentialOptions = z.strictObject({
  /** The `trigger: per-credential` playbook each credential runs (its guard, then disable or revoke). */
  playbook: z.string().check(z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a playbook name (kebab-case)')),
  /** How many per-credential executions run at once. */
  maxConcurrency: z._default(z.number().check(z.int(), z.gte(1), z.lte(PER_CREDENTIAL_LIMITS.maxConcurrency)), 10),
});

export const PER_CREDENTIAL_ACTIONS = {
  [PER_CREDENTIAL_ACTION]: {
    name: PER_CREDENTIAL_ACTION,
    description:
      'Cut off every IAM credential the incident names: run a per-credential playbook once per user access key and per role, each under its own containment guard, and wait for all of them.',
    options: containEachCredentialOptions,
    // No Lambda of its own: each per-credential execution is cleared by the containment guard.
    responder: RESPONDER_NAMES.containmentGuard,
    iamActions: [],
    // It changes nothing itself; each per-credential execution is guarded before it does.
    mutates: false,
    startsPlaybook: true,
  },
} as const;
