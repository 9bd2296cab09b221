/**
 * The deployment's approvers (CDK context `approverArns`, FIREBREAK_APPROVER_ARNS): the IAM roles and
 * users whose callers the approval function lets answer, or look at, approval requests (pure; no
 * AWS SDK). IAM decides who may invoke the function (ApproverPolicy, and any policy granting
 * lambda:InvokeFunctionUrl, such as an administrator's `lambda:*`); this list decides, where the
 * answer happens, whose answer counts.
 *
 * How a caller matches an entry (the caller is the ARN AWS authenticated from the SigV4 signature,
 * `requestContext.authorizer.iam.userArn`):
 *
 * - a role session `arn:<partition>:sts::<account>:assumed-role/<name>/<session>` is a session of the
 *   role entry `arn:<partition>:iam::<account>:role/<path><name>`: same partition, same account, same
 *   role name. A session's ARN never carries the role's path (AWS drops it), so the entry's path is
 *   not compared: IAM keeps role names unique in an account whatever their path, so the name names
 *   one role. Any session name (the person behind an Identity Center role, or whatever AssumeRole
 *   was given) is that role's.
 * - an IAM user `arn:<partition>:iam::<account>:user/<path><name>` is the user entry of the same
 *   partition, account and name, paths not compared for the same reason.
 * - names are compared ignoring case: IAM refuses two roles (or two users) whose names differ only
 *   by case, so either spelling names the same one. Partition and account are compared exactly.
 * - nothing else is ever an approver: the account's root user, a federated user
 *   (sts:GetFederationToken, which does not say whose user made it), a role ARN given as a caller,
 *   a wildcard. A role deleted and created again under the same name is the same approver to an
 *   ARN entry, as it is to an IAM policy naming its ARN at the next edit: list the role's unique id
 *   (`AROA…`, a user's `AIDA…`) instead to name that role alone (APPROVER_UNIQUE_ID_PATTERN).
 * - a role or user whose name or path has a comma cannot be listed (synth refuses the entry).
 */

import { sessionOf, userOf } from './approval-subjects';

/**
 * An approver entry: an IAM role or user ARN, with or without a path; no wildcard, no role session,
 * no root, and no comma (IAM allows one in a path or a name, but FIREBREAK_APPROVER_ARNS is
 * comma-separated: such an entry would reach the function as other entries than the one checked).
 */
export const APPROVER_ARN_PATTERN = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)\/(?:[\x21-\x2b\x2d\x2e\x30-\x7e]+\/)*([\w+=.@-]{1,64})$/;

/**
 * An approver entry by unique id: a role's (`AROA…`) or a user's (`AIDA…`), as `aws iam get-role` or
 * `get-user` gives it. IAM never gives the id again: a role deleted and created under the same name
 * gets another, so such an entry stays the role it named. Matched against the caller's unique id,
 * which the approval function takes from STS's answer to the caller proof (caller-proof.ts), never
 * from the event.
 */
export const APPROVER_UNIQUE_ID_PATTERN = /^(AROA|AIDA)[A-Z0-9]{12,124}$/;

/** Any approver entry: an ARN (APPROVER_ARN_PATTERN) or a unique id (APPROVER_UNIQUE_ID_PATTERN). */
export const APPROVER_ENTRY_PATTERN = new RegExp(`${APPROVER_ARN_PATTERN.source}|${APPROVER_UNIQUE_ID_PATTERN.source}`);

/** Whether the caller's unique id (`AROA…:<session>` for a role session, `AIDA…` for a user) is a listed id of its kind. */
function listedById(callerArn: string, callerUserId: string | undefined, approverArns: readonly string[]): boolean {
  if (callerUserId === undefined) return false;
  const session = sessionOf(callerArn);
  const id = session ? callerUserId.slice(0, callerUserId.indexOf(':')) : userOf(callerArn) ? callerUserId : undefined;
  if (id === undefined || (session !== undefined && callerUserId !== `${id}:${session.session}`)) return false;
  const kind = session ? 'AROA' : 'AIDA';
  return approverArns.some((entry) => APPROVER_UNIQUE_ID_PATTERN.exec(entry)?.[1] === kind && entry === id);
}

/**
 * Whether `callerArn` (as AWS authenticated it) is one of `approverArns` or a session of one (see the
 * module comment); an entry by unique id matches `callerUserId`, the caller's unique id as STS gave it.
 */
export function isListedApprover(callerArn: string, approverArns: readonly string[], callerUserId?: string): boolean {
  if (listedById(callerArn, callerUserId, approverArns)) return true;
  // approval-subjects.ts reads the caller (it drops a user's path); `<partition> <account> <kind> <name>`, the name in lower case.
  const session = sessionOf(callerArn);
  const user = userOf(callerArn);
  const partition = callerArn.split(':')[1];
  const caller = session ? `${partition} ${session.account} role ${session.role}` : user ? `${partition} ${user.account} user ${user.userName}` : undefined;
  return (
    caller !== undefined &&
    approverArns.some((entry) => {
      const listed = APPROVER_ARN_PATTERN.exec(entry);
      return listed !== null && `${listed[1]} ${listed[2]} ${listed[3]} ${listed[4]}`.toLowerCase() === caller.toLowerCase();
    })
  );
}
