/**
 * What the credential responders share about the credentials a finding names, in a module of its
 * own so that release-credentials bundles it without disable-access-key's and
 * revoke-role-sessions' responders (docs/architecture.md, "Lean Lambda bundles").
 */
import { isAwsError, toResponderError } from '../aws/errors';
import { affectedResources } from '../incident/affected';
import type { Incident } from '../incident/model';

/** A read whose NoSuchEntity means "this user does not exist" (a claim the finding made), not a failure. */
export async function readOrMissing<T>(api: string, send: () => Promise<T>): Promise<T | 'missing'> {
  try {
    return await send();
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return 'missing';
    throw toResponderError(error, api);
  }
}

/**
 * The unique ids (`AROA…`) the incident's role sessions give for role `roleName` of `account`: the
 * part of GuardDuty's `principalId` before the session name. A role's name says nothing of which
 * account it is in, nor whether it was deleted and created again; its id does.
 */
export function roleIdsNamed(incident: Incident, role: { readonly roleName: string; readonly account: string }): string[] {
  const ids = affectedResources(incident).flatMap((resource) =>
    resource.kind === 'role-session' && resource.roleName === role.roleName && (resource.account ?? incident.account) === role.account && resource.principalId?.startsWith('AROA') === true ? [resource.principalId] : [],
  );
  return [...new Set(ids)];
}

/**
 * Why the role IAM answered for `role` (its unique id `roleId`, as GetRole gives it) is not the one
 * the incident's sessions name (`roleIds`, roleIdsNamed), or undefined: no id named, or the same id.
 */
export function otherRoleOfName(role: { readonly roleName: string; readonly account: string }, roleId: string | undefined, roleIds: readonly string[] = []): string | undefined {
  // The named ids are AROA… ids, so an unknown id ('') is none of them.
  if (roleIds.length === 0 || roleIds.includes(roleId ?? '')) return undefined;
  return `role ${role.roleName} in account ${role.account} has the id ${roleId ?? 'unknown'}, not ${roleIds.join(' or ')} that the finding's session names: another role of that name`;
}

/**
 * Why the role IAM answered for `role` (created at `createDate`, as GetRole gives it) cannot be the
 * one a finding created at `findingCreated` saw, when the finding's sessions give no id to prove it,
 * or undefined: created no later than the finding, or a time missing. GuardDuty creates a finding
 * after the activity it reports, so a role IAM created after the finding did none of it: the role
 * deleted and created again since (whoever may create roles), or a finding naming another role.
 */
export function roleCreatedAfterFinding(role: { readonly roleName: string; readonly account: string }, createDate: Date | undefined, findingCreated: string): string | undefined {
  const created = createDate?.getTime() ?? Number.NaN;
  const finding = Date.parse(findingCreated);
  if (Number.isNaN(created) || Number.isNaN(finding) || created <= finding) return undefined;
  return `role ${role.roleName} in account ${role.account} was created at ${new Date(created).toISOString()}, after the finding (created ${findingCreated}), and the finding's session gives no id: it cannot be the role the finding saw (the role deleted and created again, or a finding naming another role)`;
}

/** The roles an incident names (role sessions and roles), once each per account. */
export function rolesNamed(incident: Incident): { roleName: string; account: string; sessions: string[] }[] {
  const byRole = new Map<string, { roleName: string; account: string; sessions: string[] }>();
  for (const resource of affectedResources(incident)) {
    if (resource.kind !== 'role-session' && resource.kind !== 'iam-role') continue;
    const account = resource.account ?? incident.account;
    const id = `${account}|${resource.roleName}`;
    const entry = byRole.get(id) ?? { roleName: resource.roleName, account, sessions: [] };
    if (resource.kind === 'role-session' && resource.sessionName !== undefined && !entry.sessions.includes(resource.sessionName)) entry.sessions.push(resource.sessionName);
    byRole.set(id, entry);
  }
  return [...byRole.values()];
}

/** The one credential a release acts on: an access key of a user, or a role, where it lives. */
export type ReleasedCredentialNamed =
  | { readonly kind: 'access-key'; readonly accessKeyId: string; readonly userName?: string; readonly account: string }
  | { readonly kind: 'role'; readonly roleName: string; readonly account: string };

/**
 * Why the credential a release acts on (its incident's `affected`, which only release-credentials
 * reads) is not the one its approval request shows, or undefined (row 11ac). `firebreak approve` and
 * the request's alert show the incident's `resource`, which `firebreak credentials release` builds
 * for the same credential: an access key of its user, or a role as a session's `AssumedRole` user
 * (lib/operator/credential-release.ts), in the incident's account. An execution started by hand may
 * show one credential and name another; the person approves what is shown.
 */
export function notTheShownCredential(incident: Pick<Incident, 'account' | 'resource'>, credential: ReleasedCredentialNamed): string | undefined {
  const shown = incident.resource;
  const acted = credential.kind === 'access-key' ? `access key ${credential.accessKeyId} of user ${credential.userName ?? 'unknown'} in account ${credential.account}` : `role ${credential.roleName} in account ${credential.account}`;
  const shownWhat =
    shown.kind !== 'access-key'
      ? `a resource of kind ${shown.kind}`
      : shown.userType === 'AssumedRole'
        ? `role ${shown.userName ?? 'unknown'} in account ${incident.account}`
        : `access key ${shown.accessKeyId ?? 'unknown'} of user ${shown.userName ?? 'unknown'} in account ${incident.account}`;
  const same =
    shown.kind === 'access-key' &&
    credential.account === incident.account &&
    (credential.kind === 'access-key'
      ? shown.userType !== 'AssumedRole' && shown.accessKeyId === credential.accessKeyId && shown.userName === credential.userName
      : shown.userType === 'AssumedRole' && shown.accessKeyId === undefined && shown.userName === credential.roleName);
  return same ? undefined : `${acted} is not the credential its approval request shows (${shownWhat}): a release undoes only the credential its request shows`;
}

/** `notTheShownCredential` of the one key or role a release names (its `affected`, as release-credentials and its preview read it), or undefined when it names none. */
export function releaseNotShown(
  incident: Pick<Incident, 'account' | 'resource'>,
  keys: readonly { readonly accessKeyId: string; readonly userName?: string; readonly account?: string }[],
  roles: readonly { readonly roleName: string; readonly account: string }[],
): string | undefined {
  const [key] = keys;
  const [role] = roles;
  if (key !== undefined) return notTheShownCredential(incident, { kind: 'access-key', accessKeyId: key.accessKeyId, account: key.account ?? incident.account, ...(key.userName !== undefined ? { userName: key.userName } : {}) });
  return role !== undefined ? notTheShownCredential(incident, { kind: 'role', roleName: role.roleName, account: role.account }) : undefined;
}
