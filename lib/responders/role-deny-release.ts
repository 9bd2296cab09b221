/**
 * What the release of a role finds of its session deny, as release-credentials must know it before
 * deleting the deny: the release acts on it (releaseRole) and its preview tells the approver
 * beforehand (release-credentials-preview.ts), from the same read and the same rules, so that the
 * approval request never says other than what the release will do.
 *
 * The deny (quarantine-credentials.ts REVOKE_SESSIONS_POLICY_NAME) is one inline policy of the role,
 * whoever wrote it. revoke-role-sessions records its cut-off, one record per role: a later
 * containment of the role (another incident, or a new execution of the same incident when GuardDuty
 * updates the finding) writes a new cut-off and replaces the record, so the deny becomes that
 * incident's to release. quarantine-instance with `revokeRoleSessions` writes the same deny and keeps
 * no record of the role; on an instance already quarantined it renews it (docs/security.md row 11i).
 * So the release deletes the deny only while it is exactly the one its record names: a deny rewritten
 * since stays.
 */
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { isAwsError, toResponderError } from '../aws/errors';
import type { RoleSessionsRecord } from './credential-records';
import { revokeOlderSessionsPolicy, samePolicy, sessionCutOffOf } from './quarantine-credentials';

/** The longest a role session lasts (MaxSessionDuration, 12 hours): a revoke deny younger than this may still be holding a stolen session back. */
export const MAX_ROLE_SESSION_SECONDS = 12 * 60 * 60;

/** The earliest time (epoch ms) the release deletes a deny cutting sessions issued before `issuedBefore`: 12 hours after, when the last of them has expired. */
export function roleDenyDeletableAt(issuedBefore: string): number {
  return Date.parse(issuedBefore) + MAX_ROLE_SESSION_SECONDS * 1000;
}

/**
 * The role's deny as IAM holds it now, against its record: `absent` (NoSuchEntity), `recorded`
 * (exactly the deny the record names, same cut-off), or `rewritten` (another document: `cutOff` is
 * its cut-off when it is Firebreak's deny with another one, as quarantine-instance's renewal writes).
 */
export type RoleDenyNow = { readonly state: 'absent' | 'recorded' } | { readonly state: 'rewritten'; readonly cutOff?: string };

/** Reads the role's deny (`iam:GetRolePolicy` of the recorded policy name) and compares it with the record; any error but NoSuchEntity fails as IAM answered. */
export async function readRoleDeny(iam: IAMClient, record: Pick<RoleSessionsRecord, 'roleName' | 'policyName' | 'issuedBefore'>): Promise<RoleDenyNow> {
  let document: string | undefined;
  try {
    document = (await iam.send(new GetRolePolicyCommand({ RoleName: record.roleName, PolicyName: record.policyName }))).PolicyDocument;
  } catch (error) {
    if (!isAwsError(error, 'NoSuchEntity')) throw toResponderError(error, 'iam:GetRolePolicy');
  }
  if (document === undefined) return { state: 'absent' };
  if (samePolicy(document, revokeOlderSessionsPolicy(record.issuedBefore))) return { state: 'recorded' };
  const cutOff = sessionCutOffOf(document);
  return { state: 'rewritten', ...(cutOff !== undefined ? { cutOff } : {}) };
}
