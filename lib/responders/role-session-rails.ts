/**
 * The rails of one role whose sessions a step would revoke (revoke-role-sessions, and
 * quarantine-instance's `revokeRoleSessions` on the instance profile's role): before any call the
 * served account, the administrator and break-glass names and Firebreak's own roles, then the
 * role's CURRENT tags read from IAM (the protected tag key, the game-day opt-in), and for a role a
 * finding names, the same GetRole's id (when its sessions give one) or creation date (when they give
 * none), as the containment guard compares them (row 11v), at the time of action (row 11x). A module
 * of its own so that the other credential steps do not bundle the GetRole it makes.
 */
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { privilegedPathReason } from '../contracts/privileged-names';
import { tagRecord } from '../aws/describe-instance';
import type { Incident } from '../incident/model';
import type { CredentialRails } from './credential-rails';
import { refusalByTags, roleRefusalBeforeAnyCall } from './credential-rails';
import { otherRoleOfName, readOrMissing, roleCreatedAfterFinding } from './credential-targets';

/** The rails' answer for one role: `refusal` when its sessions must stay; `read` when iam:GetRole was called (for the caller's log). */
export interface RoleSessionsVerdict {
  readonly refusal?: string;
  /** The role does not exist in IAM (NoSuchEntity). */
  readonly missing?: true;
  readonly read: boolean;
}

/**
 * Checks one role against the rails; `iam` is called only when a check needs IAM. Transient IAM errors throw.
 * `roleIds` are the ids the finding's sessions give for the role (roleIdsNamed); `findingCreated`, the
 * finding's creation time (`incident.times.created`), for a role the finding names by name alone;
 * `findingAccount`, the finding's account (`findingAccountOf`, row 9h).
 */
export async function roleSessionsVerdict(
  role: { readonly roleName: string; readonly account: string; readonly roleIds?: readonly string[]; readonly findingCreated?: string; readonly findingAccount?: string },
  iam: () => Promise<IAMClient>,
  rails: CredentialRails,
  incident: Pick<Incident, 'gameDay' | 'key'>,
  gameDay: boolean,
): Promise<RoleSessionsVerdict> {
  const before = roleRefusalBeforeAnyCall(role.roleName, role.account, rails, role.findingAccount);
  if (before !== undefined) return { refusal: before, read: false };
  const client = await iam();
  const got = await readOrMissing('iam:GetRole', () => client.send(new GetRoleCommand({ RoleName: role.roleName })));
  if (got === 'missing') return { refusal: `IAM knows no role ${role.roleName} in account ${role.account}`, missing: true, read: false };
  // The stack's IAM deny reads the role's ARN, path included (row 11ab): refused here, not by AccessDenied.
  const byPath = privilegedPathReason('role', role.roleName, got.Role?.Path, rails.privilegedPatterns);
  if (byPath !== undefined) return { refusal: `${byPath} (administrator or break-glass): Firebreak never touches its credentials, whatever a finding names`, read: true };
  // The session named the role by its unique id: a role of that name with another id is not the
  // session's (a remote account's role of the same name, or the role deleted and created again).
  const otherRole = otherRoleOfName(role, got.Role?.RoleId, role.roleIds);
  if (otherRole) return { refusal: otherRole, read: true };
  // No id to prove which role the finding saw: one IAM created after the finding did none of what it
  // reports (deleted and created again since the guard's reading, or an input that skipped the guard).
  // The guard's own comparison (containment-guard-credential.ts), made again where the deny is written.
  const younger = (role.roleIds ?? []).length === 0 && role.findingCreated !== undefined ? roleCreatedAfterFinding(role, got.Role?.CreateDate, role.findingCreated) : undefined;
  if (younger !== undefined) return { refusal: younger, read: true };
  const refusal = refusalByTags('role', role.roleName, tagRecord(got.Role?.Tags), incident, gameDay, rails);
  return { ...(refusal !== undefined ? { refusal } : {}), read: true };
}
