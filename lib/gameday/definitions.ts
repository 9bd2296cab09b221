/**
 * The state machine definitions a game day runs: exactly what the CDK app synthesizes for the
 * scenario's deployment settings (`synthesizeDefinitions`, bundling skipped). A synth takes a
 * couple of seconds, so definitions are cached per distinct CDK context within a process.
 */
import type { Playbook } from '../playbooks/model';
import type { SynthesizedDefinitions } from '../stack/app';
import { synthesizeDefinitions } from '../stack/app';
import type { ForensicAccount } from './backend';
import type { SettingsDocument } from './scenario';
import { DEFAULT_MEMBER_ROLE_NAME } from '../aws/member-accounts';
import { LOCAL_ORGANIZATION_ID } from './deployment';
import { OPERATOR_ROLE } from './local-backend';

/**
 * The game-day principal of the local deployment: game-day scenarios inject `firebreak.gameday`
 * events, which a deployment accepts only with game days enabled (on its game-day bus, from named
 * principals). The local engine delivers events to the dispatcher directly, as that bus's rule would.
 */
export const LOCAL_GAMEDAY_PRINCIPAL = 'arn:aws:iam::111122223333:role/firebreak-local-gameday';

/**
 * Who reads the game day's reports: the local backend's operator, named in the deployment's
 * `recordVerifierArns` so that its record key lets it check credential records' seals, as a
 * deployment must name whoever runs `firebreak report` for the report to confirm a key set Inactive
 * by an attempt that left no entry. The simulated account does not rehearse the operator's own calls
 * against the deployed policies (they are the harness's), so the key policy's side is proved by the
 * synthesized-template test (test/stack/firebreak-stack.test.ts), not by the game day.
 */
export const LOCAL_REPORT_VERIFIER = `arn:aws:iam::111122223333:role/${OPERATOR_ROLE}`;

/** The settings that change what is synthesized. */
export type DeploymentSettings = Pick<SettingsDocument, 'mode' | 'forceDryRun' | 'containmentTargetSeconds'> &
  Partial<Pick<SettingsDocument, 'securityAccount' | 'memberRoleExternalId' | 'servedAccountIds' | 'protectedTagKey' | 'approverArns'>>;

/** The CDK context a scenario's settings stand for (what changes the definitions and the responders' environment). */
export function deploymentContext(settings: DeploymentSettings, forensic?: ForensicAccount): Record<string, unknown> {
  const gameDays = {
    gameDayPrincipals: [LOCAL_GAMEDAY_PRINCIPAL],
    recordVerifierArns: [LOCAL_REPORT_VERIFIER],
    ...(settings.containmentTargetSeconds !== undefined ? { containmentTargetSeconds: settings.containmentTargetSeconds } : {}),
    // A member-account game day: member accounts are reached through the member role, in the organization.
    ...(settings.securityAccount !== undefined ? { memberRoleName: DEFAULT_MEMBER_ROLE_NAME, organizationId: LOCAL_ORGANIZATION_ID } : {}),
    ...(settings.securityAccount !== undefined && settings.memberRoleExternalId !== undefined ? { memberRoleExternalId: settings.memberRoleExternalId } : {}),
    // The accounts of the organization it serves, when it narrows them (a pilot).
    ...(settings.securityAccount !== undefined && settings.servedAccountIds !== undefined ? { servedAccountIds: settings.servedAccountIds } : {}),
    // The deployment's approvers: the approval function's environment (FIREBREAK_APPROVER_ARNS), as deployed.
    ...(settings.approverArns !== undefined ? { approverArns: settings.approverArns } : {}),
    // The protected tag key is in the roles' policies too (DenyProtectedTagKey): rehearsed with them.
    ...(settings.protectedTagKey !== undefined ? { protectedTagKey: settings.protectedTagKey } : {}),
    // The forensic account the backend prepared: its id, key and role, as a deployment configures them.
    ...(forensic ? { forensicAccountId: forensic.accountId, forensicKmsKeyArn: forensic.kmsKeyArn, forensicRoleName: forensic.roleName } : {}),
  };
  // The stack refuses mode enforce with forceDryRun; forceDryRun means a dry-run deployment.
  return settings.forceDryRun ? { mode: 'dry-run', forceDryRun: true, ...gameDays } : { mode: settings.mode, ...gameDays };
}

const cache = new Map<string, Promise<SynthesizedDefinitions>>();

/** Synthesizes (once per context and playbook set) the dispatcher and playbook definitions. */
export function definitionsFor(settings: DeploymentSettings, playbooks: readonly Playbook[], forensic?: ForensicAccount): Promise<SynthesizedDefinitions> {
  const context = deploymentContext(settings, forensic);
  const key = JSON.stringify({ context, playbooks: playbooks.map((playbook) => playbook.file) });
  let definitions = cache.get(key);
  if (!definitions) {
    definitions = synthesizeDefinitions({ context, playbooks });
    cache.set(key, definitions);
    // A failed synth is not cached: the next scenario tries again and reports the same error itself.
    definitions.catch(() => cache.delete(key));
  }
  return definitions;
}
