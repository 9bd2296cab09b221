/**
 * The mode a playbook's state machine sends its steps. For a playbook in `mode: enforce` it is the
 * execution's own (`$.mode`: triage's decision, the deployment's ceiling applied, or whatever a
 * `states:StartExecution` caller wrote). For a playbook in `mode: dry-run` it is `dry-run`, written
 * into the definition, whatever the execution's input says: the guard holds the granted steps there
 * through its grant (row 2e), but the evidence steps (snapshot-volumes, copy-evidence) hold no grant
 * and act in their input's mode, and the input of a hand-started execution is its starter's claim
 * (docs/security.md row 2zg). The evidence steps act only on the payload their execution scheduled
 * (row 2s), so this literal is what they read. The guard alone keeps `$.mode`: it compares the mode
 * it is sent with the execution's input (row 2l) and applies the playbook's rails itself.
 */
import type { ResponderMode } from '../contracts/responder-mode';

/** The payload field carrying the mode of a step of a playbook in `mode` (pure). */
export function stepModeField(mode: ResponderMode): Readonly<Record<string, string>> {
  return mode === 'dry-run' ? { mode: 'dry-run' } : { 'mode.$': '$.mode' };
}
