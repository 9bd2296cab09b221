/**
 * The IAM credential actions of the playbook format (issue 12), defined apart from actions.ts so the
 * registry only lists them: `disable-access-key` sets the access keys a finding names Inactive
 * (never deletes them) and can attach AWS's managed deny-all policy to their users;
 * `revoke-role-sessions` denies every session issued so far to the roles a finding names (the
 * `aws:TokenIssueTime` policy quarantine-instance writes with `revokeRoleSessions`).
 * docs/responders/disable-access-key.md and revoke-role-sessions.md say why each default is what it is.
 * The steps' options schemas are in credential-options.ts and disable-access-key-options.ts, which the responders import.
 */
import { RESPONDER_NAMES } from '../contracts/responders';
import { releaseCredentialsOptions, revokeRoleSessionsOptions } from './credential-options';
import { disableAccessKeyOptions } from './disable-access-key-options';

export const CREDENTIAL_ACTIONS = {
  [RESPONDER_NAMES.disableAccessKey]: {
    name: RESPONDER_NAMES.disableAccessKey,
    description:
      'Set the IAM user access keys the finding names Inactive (never delete them; a release re-activates them), optionally attaching AWSDenyAll to their users; never an administrator or break-glass user.',
    options: disableAccessKeyOptions,
    responder: RESPONDER_NAMES.disableAccessKey,
    // ListAccessKeys proves the key is the named user's and says whether it is already Inactive;
    // GetUser reads the user's path and its protected and game-day tags where it lives; GetAccessKeyLastUsed
    // follows the key to its owner when IAM knows no user of the finding's name (renamed since).
    iamActions: ['iam:ListAccessKeys', 'iam:GetUser', 'iam:GetAccessKeyLastUsed', 'iam:UpdateAccessKey'],
    mutates: true,
    optionalIamActions: (options: Record<string, unknown>) =>
      options.denyAll === true ? ['iam:ListAttachedUserPolicies', 'iam:AttachUserPolicy'] : [],
  },
  [RESPONDER_NAMES.revokeRoleSessions]: {
    name: RESPONDER_NAMES.revokeRoleSessions,
    description:
      'Deny every session issued so far to the IAM roles the finding names (an aws:TokenIssueTime deny, as the IAM console\'s "Revoke active sessions"); never an administrator, break-glass or Firebreak role.',
    options: revokeRoleSessionsOptions,
    responder: RESPONDER_NAMES.revokeRoleSessions,
    // GetRole reads the role's tags (protected, game-day opt-in) where it lives; ListInstanceProfilesForRole
    // and DescribeInstances find the instances holding the role, a protected one keeping it (row 2x), in
    // every region enabled for the account (DescribeRegions: row 2z).
    iamActions: ['iam:GetRole', 'iam:ListInstanceProfilesForRole', 'iam:PutRolePolicy', 'ec2:DescribeInstances', 'ec2:DescribeRegions'],
    mutates: true,
  },
  [RESPONDER_NAMES.releaseCredentials]: {
    name: RESPONDER_NAMES.releaseCredentials,
    description:
      'Undo what disable-access-key and revoke-role-sessions recorded for the credentials a release names: re-activate a key only if Firebreak deactivated it, detach the AWSDenyAll it attached, delete the revoke-sessions deny it wrote once the sessions it denies have expired. Manual release playbooks only.',
    options: releaseCredentialsOptions,
    responder: RESPONDER_NAMES.releaseCredentials,
    // ListAccessKeys proves the key is still the user's and reads its status; GetAccessKeyLastUsed
    // follows the key when IAM knows no user of the record's name (renamed since it was contained,
    // renamed-key-owner.ts); the role's inline policy
    // is read (GetRolePolicy) and deleted only when it is still the one recorded. AttachUserPolicy
    // (AWSDenyAll only, by its statement's condition) puts back the deny a release detached when the
    // key was claimed while it ran (release-credentials.ts, undoAfterNewClaim). A drill's release
    // reads the user's (ListUserTags) or the role's (GetRole) game-day opt-in as IAM holds it now.
    iamActions: ['iam:ListAccessKeys', 'iam:ListUserTags', 'iam:GetAccessKeyLastUsed', 'iam:UpdateAccessKey', 'iam:ListAttachedUserPolicies', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'],
    mutates: true,
    // The approval request names the other incidents holding the key and an AWSDenyAll that stays
    // for another key's incident, read by the release's own Lambda (release-credentials-preview.ts).
    previewsBeforeApproval: true,
  },
} as const;
