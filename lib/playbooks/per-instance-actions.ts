/**
 * The `contain-each-instance` action (issue 12), defined apart from actions.ts so the registry only
 * lists it: for an incident naming several instances (an attack sequence), run a `trigger:
 * per-instance` playbook once per instance, each its own execution under the containment guard, and
 * wait for all of them so the playbook's notify step tells the whole story once. It calls no Lambda
 * itself: the compiler makes it a Map state of `states:startExecution.sync:2` tasks
 * (compile-per-instance.ts), and triage lists the instances (per-instance.ts).
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';
import { PER_INSTANCE_ACTION } from './fan-out-names';


/**
 * At most `maxInstances` instances per incident get an execution (the rest are alerted for a person:
 * an automatic response to more is an outage risk, and each item's summary rides in the playbook's
 * 256 KiB payload); at most `maxConcurrency` run at once (Step Functions' Map concurrency).
 */
export const PER_INSTANCE_LIMITS = { maxInstances: 50, maxConcurrency: 40 } as const;

export const containEachInstanceOptions = z.strictObject({
  /** The `trigger: per-instance` playbook each instance runs (its guard, containment and evidence steps). */
  playbook: z.string().check(z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a playbook name (kebab-case)')),
  /** How many per-instance executions run at once. */
  maxConcurrency: z._default(z.number().check(z.int(), z.gte(1), z.lte(PER_INSTANCE_LIMITS.maxConcurrency)), 10),
});

export const PER_INSTANCE_ACTIONS = {
  [PER_INSTANCE_ACTION]: {
    name: PER_INSTANCE_ACTION,
    description:
      'Contain every instance the incident names: run a per-instance playbook once per instance, each under its own containment guard, and wait for all of them.',
    options: containEachInstanceOptions,
    // No Lambda of its own: each per-instance execution is cleared by the containment guard, the
    // one function this step depends on (the stack deploys it for the per-instance playbook).
    responder: RESPONDER_NAMES.containmentGuard,
    iamActions: [],
    // It changes nothing itself; each per-instance execution is guarded before it does.
    mutates: false,
    startsPlaybook: true,
  },
} as const;
