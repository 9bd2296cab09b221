/**
 * Whose an instance profile ARN is, in a module of its own so that quarantine-instance (and
 * revoke-role-sessions, which bundles its role-policy writes) checks it without release's checks.
 */

const INSTANCE_PROFILE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):instance-profile\/[\w+=,.@/-]+$/;

/** Why the recorded instance profile may not be associated with an instance of `account` (pure), or undefined. */
export function foreignProfile(profileArn: string, account: string): string | undefined {
  const owner = INSTANCE_PROFILE_ARN.exec(profileArn)?.[1];
  if (owner === undefined) return `the recorded instance profile ${profileArn} is not an instance profile ARN`;
  return owner === account ? undefined : `the recorded instance profile ${profileArn} belongs to account ${owner}, not the instance's account ${account}`;
}
