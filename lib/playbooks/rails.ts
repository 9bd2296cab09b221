/**
 * The rails of each deployed playbook, as the containment guard reads them from its environment
 * (SECURITY_ENV.playbookRails, written by the stack): whether a person must approve, how long the
 * execution waits and what happens then, whether the playbook contains or releases, and its own
 * dry-run mode when it has one; and the evidence locks snapshot-volumes may apply
 * (SECURITY_ENV.evidenceLocks). They come
 * from the deployment's compiled playbooks, so a caller cannot choose them in a Lambda input.
 */
import { RESPONDER_NAMES } from '../contracts/responders';
import { MUTATING_ACTIONS } from './mutating-actions';
import type { EvidenceLockSettings, PlaybookRails } from '../contracts/security';
import { ACTIONS, evidenceLockOptions } from './actions';
import { changesResources, guardedPlaybookKind, manualRequestFields } from './compile';
import type { Playbook } from './model';
import * as z from '../contracts/zod-mini';
import type { SecurityHubWorkflowStatus } from './security-hub-options';
import { SECURITY_HUB_WORKFLOW_STATUSES, updateSecurityHubFindingOptions } from './security-hub-options';
import { approvalOf, flattenSteps, isPerCredential } from './model';

/** The rails of one playbook, or undefined when it changes no resource (the guard never clears it). */
export function railsOf(playbook: Playbook): PlaybookRails | undefined {
  const steps = flattenSteps(playbook.steps);
  if (!steps.some(changesResources)) return undefined;
  const approval = approvalOf(playbook);
  const request = manualRequestFields(playbook);
  return {
    approvalRequired: approval.required,
    onTimeout: approval.onTimeout,
    timeoutSeconds: approval.timeoutSeconds,
    kind: guardedPlaybookKind(playbook),
    // A per-credential execution's grant clears its one credential, never the others its incident names.
    ...(isPerCredential(playbook) ? { grantScope: 'one-credential' as const } : {}),
    // Triage starts it in dry-run; the guard holds every execution of it there, however started.
    ...(playbook.mode === 'dry-run' ? { mode: 'dry-run' as const } : {}),
    // A manual playbook's steps read who asked (and what to unblock): the grant binds that request too.
    ...(request !== undefined ? { manualRequest: request } : {}),
    // Its approval request names the incidents that hold the instance (containment-guard-release.ts).
    ...(steps.some((step) => step.action === RESPONDER_NAMES.releaseInstance) ? { releasesInstances: true as const } : {}),
    // And the DNS Firewall blocks on the instance its unblock step would lift, VPC-wide (row 5r).
    ...(steps.some((step) => step.action === RESPONDER_NAMES.unblockDnsDomains && step.with.target !== 'requested-domain') ? { liftsDnsBlocks: true as const } : {}),
    // And for an S3 object, the incidents that hold the object version (s3-object-claims.ts).
    ...(steps.some((step) => step.action === RESPONDER_NAMES.releaseS3Object) ? { releasesObjects: true as const } : {}),
    // Its containment of keys all Inactive already changes nothing: the guard takes no slot for it (row 11t).
    ...(steps.filter(changesResources).every((step) => step.action === RESPONDER_NAMES.disableAccessKey && step.with.denyAll !== true) ? { disablesKeysOnly: true as const } : {}),
    // Steps that reach beyond the instance: a held instance takes a slot for them (row 15s).
    ...(steps.some((step) => step.action === RESPONDER_NAMES.blockDnsDomain) ? { blocksDns: true as const } : {}),
    ...(steps.some((step) => step.action === RESPONDER_NAMES.quarantineInstance && step.with.revokeRoleSessions === true) ? { renewsRoleSessions: true as const } : {}),
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

/**
 * Every EBS Snapshot Lock a deployed snapshot-volumes step configures, once each, in a stable order:
 * snapshot-volumes runs without a containment grant, so this list, not its input, bounds the lock
 * it may put on a snapshot (a compliance lock cannot be removed by anyone, the root user included).
 */
export function evidenceLocksFor(playbooks: readonly Playbook[]): EvidenceLockSettings[] {
  const locks = new Map<string, EvidenceLockSettings>();
  for (const step of playbooks.flatMap((playbook) => flattenSteps(playbook.steps))) {
    if (step.action !== RESPONDER_NAMES.snapshotVolumes || step.with.lock === undefined) continue;
    const { mode, durationDays, coolOffHours } = evidenceLockOptions.parse(step.with.lock);
    const lock = { mode, durationDays, ...(coolOffHours !== undefined ? { coolOffHours } : {}) };
    locks.set(JSON.stringify(lock), lock);
  }
  return [...locks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, lock]) => lock);
}

/**
 * The longest lock, in days, a deployed snapshot-volumes step configures, or undefined when none
 * locks: IAM grants ec2:LockSnapshot only up to it (`ec2:SnapshotLockDuration`, lib/stack/iam-scopes.ts),
 * so that even the role's own credentials cannot lock a snapshot for longer than the deployment chose.
 */
export function evidenceLockMaxDays(playbooks: readonly Playbook[]): number | undefined {
  const days = evidenceLocksFor(playbooks).map((lock) => lock.durationDays);
  return days.length === 0 ? undefined : Math.max(...days);
}

/**
 * The Security Hub workflow statuses the deployed write-back steps set (update-security-hub-finding's
 * `workflowStatus`, its default applied), in SECURITY_HUB_WORKFLOW_STATUSES order: the IAM statement
 * allows those only (`securityhub:ASFFSyntaxPath/Workflow.Status`), so that a deployment that never
 * resolves a finding grants no RESOLVED, which takes a finding off the views people triage.
 */
export function securityHubWorkflowStatuses(playbooks: readonly Playbook[]): SecurityHubWorkflowStatus[] {
  const set = new Set<string>();
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) {
      if (step.action === RESPONDER_NAMES.updateSecurityHubFinding) set.add(z.parse(updateSecurityHubFindingOptions, step.with ?? {}).workflowStatus);
    }
  }
  return SECURITY_HUB_WORKFLOW_STATUSES.filter((status) => set.has(status));
}

/**
 * The responders that act only under a containment grant of their execution (lib/responders/grants.ts):
 * the stack tells each which playbooks have a step of it, and with which options
 * (SECURITY_ENV.playbookSteps), and the grant clears only such a step. Here, beside the list's
 * writer, rather than in contracts/responders.ts: no responder bundle needs it.
 */
export const GRANTED_RESPONDERS: readonly string[] = [
  ...MUTATING_ACTIONS,
  // Changes a finding's workflow status, not a resource (so not a mutating action), under the grant of its execution.
  RESPONDER_NAMES.updateSecurityHubFinding,
];

/**
 * `{ "<playbook>": [<options>, …] }` of `responder` (SECURITY_ENV.playbookSteps): every deployed
 * playbook with a step of it, and the options each of those steps sends, once each. A containment
 * grant clears the responder only for a step listed here under the grant's own playbook.
 */
export function playbookStepsFor(playbooks: readonly Playbook[], responder: string): Record<string, Readonly<Record<string, unknown>>[]> {
  const steps: Record<string, Readonly<Record<string, unknown>>[]> = {};
  for (const playbook of [...playbooks].sort((a, b) => a.name.localeCompare(b.name))) {
    const options = new Map<string, Readonly<Record<string, unknown>>>();
    for (const step of flattenSteps(playbook.steps)) {
      if (ACTIONS[step.action].responder === responder) options.set(JSON.stringify(step.with), step.with);
    }
    if (options.size > 0) steps[playbook.name] = [...options.values()];
  }
  return steps;
}
