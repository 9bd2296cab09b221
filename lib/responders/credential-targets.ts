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
