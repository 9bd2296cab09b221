/**
 * The containment guard's view of a per-credential execution (contain-each-credential,
 * lib/playbooks/per-credential.ts): the one credential its incident is about, read from the
 * incident's `resource` in GuardDuty's accessKeyDetails shape (an IAM user's long-term key, or a
 * role's credentials: `AssumedRole` with the role's name), and the first rail that needs no call:
 * administrator and break-glass principals by name (FIREBREAK_PRIVILEGED_NAME_PATTERNS, the
 * defaults when unset), refused before a blast-radius slot is taken. Tags (protected, game-day
 * opt-in) are read from IAM by the credential responders where they act (credential-rails.ts).
 */
import { matchesPrivilegedName, privilegedNamePatternsOf } from '../contracts/privileged-names';
import type { CredentialGrantSubject } from '../contracts/security';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import type { Incident } from '../incident/model';
import type { DeploymentEnvironment } from './effective-mode';

/** The credential a per-credential execution's incident is about, and its principal's name. */
export interface OneCredential {
  readonly subject: CredentialGrantSubject;
  readonly principal: { readonly kind: 'user' | 'role'; readonly name: string };
}

const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{12,124}$/;

/** The one credential of the incident's resource, or undefined when it names none (wrong kind, malformed names). */
export function oneCredentialOf(incident: Pick<Incident, 'account' | 'resource'>): OneCredential | undefined {
  const resource = incident.resource;
  if (resource.kind !== 'access-key' || resource.userName === undefined || !RESOURCE_ID_FORMAT.iamName.test(resource.userName)) return undefined;
  if (resource.userType === 'IAMUser') {
    if (resource.accessKeyId === undefined || !ACCESS_KEY_ID.test(resource.accessKeyId)) return undefined;
    return { subject: { kind: 'access-key', account: incident.account, accessKeyId: resource.accessKeyId }, principal: { kind: 'user', name: resource.userName } };
  }
  if (resource.userType === 'AssumedRole') {
    return { subject: { kind: 'iam-role', account: incident.account, roleName: resource.userName }, principal: { kind: 'role', name: resource.userName } };
  }
  return undefined;
}

/** Why the credential's user or role may never be touched by name, or undefined. */
export function privilegedCredentialReason(one: OneCredential, environment: DeploymentEnvironment): string | undefined {
  const pattern = matchesPrivilegedName(one.principal.name, privilegedNamePatternsOf(environment));
  if (pattern === undefined) return undefined;
  const what = one.subject.kind === 'access-key' ? `access key ${one.subject.accessKeyId} of user ${one.principal.name}` : `role ${one.principal.name}`;
  return `The ${what} is protected: ${one.principal.kind} ${one.principal.name} matches the privileged name pattern ${pattern} (administrator or break-glass), whose credentials Firebreak never touches; evidence and the alert only, no blast-radius slot taken.`;
}
