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
