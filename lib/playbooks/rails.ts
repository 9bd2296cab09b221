/**
 * The rails of each deployed playbook, as the containment guard reads them from its environment
 * (SECURITY_ENV.playbookRails, written by the stack): whether a person must approve, how long the
 * execution waits and what happens then, whether the playbook contains or releases, and its own
 * dry-run mode when it has one. They come
 * from the deployment's compiled playbooks, so a caller cannot choose them in a Lambda input.
 */
import type { PlaybookRails } from '../contracts/security';
import { changesResources, guardedPlaybookKind } from './compile';
import type { Playbook } from './model';
import { approvalOf, flattenSteps, isPerCredential } from './model';

/** The rails of one playbook, or undefined when it changes no resource (the guard never clears it). */
export function railsOf(playbook: Playbook): PlaybookRails | undefined {
  const steps = flattenSteps(playbook.steps);
  if (!steps.some(changesResources)) return undefined;
  const approval = approvalOf(playbook);
  return {
    approvalRequired: approval.required,
    onTimeout: approval.onTimeout,
    timeoutSeconds: approval.timeoutSeconds,
    kind: guardedPlaybookKind(playbook),
    // A per-credential execution's grant clears its one credential, never the others its incident names.
    ...(isPerCredential(playbook) ? { grantScope: 'one-credential' as const } : {}),
    // Triage starts it in dry-run; the guard holds every execution of it there, however started.
    ...(playbook.mode === 'dry-run' ? { mode: 'dry-run' as const } : {}),
  };
}

/** `{ "<playbook>": PlaybookRails }` for every playbook that changes resources. */
export function playbookRailsFor(playbooks: readonly Playbook[]): Record<string, PlaybookRails> {
  const rails: Record<string, PlaybookRails> = {};
  for (const playbook of playbooks) {
    const own = railsOf(playbook);
    if (own !== undefined) rails[playbook.name] = own;
  }
  return rails;
}
