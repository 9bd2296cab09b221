/**
 * Whose an instance profile ARN is, in a module of its own so that quarantine-instance (and
 * revoke-role-sessions, which bundles its role-policy writes) checks it without release's checks.
 */

// A path is "/" or "/…/" of any ASCII from ! to DEL, the name 1-128 of [\w+=,.@-]
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_InstanceProfile.html): a narrower path
// refused a genuine profile (/ops~team/), whose role kept its sessions and whose release never came.
const INSTANCE_PROFILE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):instance-profile\/(?:[\x21-\x7f]*\/)?[\w+=,.@-]{1,128}$/;

/** Why the recorded instance profile may not be associated with an instance of `account` (pure), or undefined. */
export function foreignProfile(profileArn: string, account: string): string | undefined {
  const owner = INSTANCE_PROFILE_ARN.exec(profileArn)?.[1];
  if (owner === undefined) return `the recorded instance profile ${profileArn} is not an instance profile ARN`;
  return owner === account ? undefined : `the recorded instance profile ${profileArn} belongs to account ${owner}, not the instance's account ${account}`;
}

/** The instance profile name at the end of its ARN (`arn:aws:iam::123:instance-profile/path/name`). */
export function instanceProfileName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
