/**
 * The actions that change resources (`mutates: true` in the action registry, lib/playbooks/actions.ts),
 * by name alone: triage says which steps of an enforce playbook will change resources, and importing
 * the registry for that would build every action's option schemas at each triage cold start, on the
 * path to containment (docs/architecture.md, "Lean Lambda bundles"). A test
 * (test/playbooks/mutating-actions.test.ts) keeps this list equal to the registry's.
 */
import { RESPONDER_NAMES } from '../contracts/responders';

export const MUTATING_ACTIONS: ReadonlySet<string> = new Set([
  RESPONDER_NAMES.quarantineInstance,
  RESPONDER_NAMES.releaseInstance,
  RESPONDER_NAMES.blockDnsDomain,
  RESPONDER_NAMES.unblockDnsDomains,
  RESPONDER_NAMES.quarantineS3Object,
  RESPONDER_NAMES.releaseS3Object,
  RESPONDER_NAMES.disableAccessKey,
  RESPONDER_NAMES.revokeRoleSessions,
  RESPONDER_NAMES.releaseCredentials,
]);
