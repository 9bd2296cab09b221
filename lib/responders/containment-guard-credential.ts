/**
 * The containment guard's view of a credential incident: for a per-credential execution
 * (contain-each-credential, lib/playbooks/per-credential.ts) the one credential its incident is
 * about, and for any other access-key incident the one user or role all its credentials belong to,
 * read from the incident's `resource` in GuardDuty's accessKeyDetails shape (an IAM user's long-term
 * key, or a role's credentials: `AssumedRole` with the role's name), and the first rail that needs no call:
 * administrator and break-glass principals by name (FIREBREAK_PRIVILEGED_NAME_PATTERNS, the
 * defaults when unset), refused before a blast-radius slot is taken; then, when a rule needs them,
 * the user's or role's CURRENT tags, read from IAM through the member role (the protected tag key,
 * the game-day opt-in), a role's unique id whenever the incident's sessions give one (else its
 * creation date, which must not be after the finding's), and, for a user's access key to contain, whether IAM lists the key as that user's, also before a slot is
 * taken: a finding about a protected credential, about another role of the same name, or pairing a
 * key with a user who does not own it, must not use up the account's automatic containments. The credential responders read the tags again where
 * they act (credential-rails.ts): a tag set between the two readings still stops the change. Both
 * apply the same two tag rules (tag-rules.ts), each with its own wording.
 */
import type { SecurityAccountRoles } from '../contracts/privileged-names';
import { matchesPrivilegedName, ownSecurityAccountRoleReason, privilegedNamePatternsOf, privilegedPathReason } from '../contracts/privileged-names';
import type { CredentialGrantSubject } from '../contracts/security';
import { credentialGrantSubject } from '../contracts/security';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import { affectedResources } from '../incident/affected';
import type { AffectedResource, Incident } from '../incident/model';
import type { DeploymentEnvironment } from './effective-mode';
import type { AccessKeyMetadata } from '@aws-sdk/client-iam';
import { GetRoleCommand, GetUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { tagRecord } from '../aws/describe-instance';
import { CREDENTIALS_GRANT_SUBJECT, SECURITY_TAGS } from '../contracts/security';
import type { PlaybookRails } from '../contracts/security';
import type { ActionLog } from './action-log';
import type { ContainmentGuardDeps } from './containment-guard-model';
import type { ProtectionVerdict } from './containment-guard-rails';
import { otherRoleOfName, readOrMissing, roleCreatedAfterFinding, rolesNamed } from './credential-targets';
import { followKeyToRenamedUser, keyIdsOf, keysOfAnotherOwner, notKeysOf } from './renamed-key-owner';
import { RENAMED_USER_ACTION } from './model';
import type { RenamedKeyOwner } from './renamed-key-owner';
import type { KeyHolds } from './key-holds';
import { gameDayForbids, protectedTagOf } from './tag-rules';

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

/**
 * What a credential containment cuts off, as its blast-radius hold names it: the role, or the user as
 * IAM knows it now (`followedUser`, the user lookAtCredential followed the key to when IAM knows no
 * user of the finding's name; row 15k).
 */
export function containedPrincipal(one: OneCredential, account: string, followedUser: string | undefined): string {
  if (one.subject.kind === 'iam-role') return credentialGrantSubject(one.subject);
  return `iam-user/${account}/${followedUser ?? one.principal.name}`;
}

/**
 * The one credential of an access-key incident that is not a per-credential execution's, when every
 * credential the incident names (keys, the user, the role session) belongs to the same user or role
 * in the incident's account: then that principal's rails decide the whole incident, since the
 * credential steps would refuse each of its credentials alike. Undefined when it names another.
 */
export function soleCredentialOf(incident: Incident): OneCredential | undefined {
  const one = oneCredentialOf(incident);
  if (one === undefined) return undefined;
  const { kind, name } = one.principal;
  const belongs = (resource: AffectedResource): boolean => {
    if ((resource.account ?? incident.account) !== incident.account) return false;
    switch (resource.kind) {
      case 'access-key':
        return resource.userName === name && resource.userType === (kind === 'user' ? 'IAMUser' : 'AssumedRole');
      case 'iam-user':
        return kind === 'user' && resource.userName === name;
      case 'role-session':
      case 'iam-role':
        return kind === 'role' && resource.roleName === name;
      default:
        // Not a credential (an instance, a bucket), or a claim the parser could not verify, which no step acts on.
        return true;
    }
  };
  return affectedResources(incident).every(belongs) ? one : undefined;
}

/**
 * What an access-key incident whose credentials belong to several principals contains, as one
 * blast-radius target (pure): every access key it names, by id (a key never changes owner, while the
 * user name beside it is the finding's claim, which disable-access-key follows to whoever owns the key
 * now), and every role whose sessions revoke-role-sessions denies (rolesNamed), each with its account,
 * sorted, as a JSON list (names may hold commas). A re-run, or another incident about the same
 * credentials, counts under one hold; any other set takes a slot of its own, whatever incident key
 * it claims (row 15l). Undefined when it names no key and no role (the steps act on nothing).
 */
export function credentialsSlotTarget(incident: Incident): string | undefined {
  const keys = affectedResources(incident).flatMap((resource) => (resource.kind === 'access-key' ? [`access-key/${resource.account ?? incident.account}/${resource.accessKeyId}`] : []));
  const roles = rolesNamed(incident).map((role) => `iam-role/${role.account}/${role.roleName}`);
  const contained = [...new Set([...keys, ...roles])].sort();
  return contained.length === 0 ? undefined : `${CREDENTIALS_GRANT_SUBJECT}/${JSON.stringify(contained)}`;
}

/**
 * The access key ids a containment of `one` (a user's key) acts on: the per-credential execution's
 * one key, or, for any other incident whose credentials are all that user's (soleCredentialOf),
 * every key of that user the incident names in its account, since disable-access-key acts on each.
 * Empty for a role.
 */
export function accessKeyIdsCovered(incident: Incident, one: OneCredential, perCredential: boolean): string[] {
  if (one.subject.kind !== 'access-key') return [];
  if (perCredential) return [one.subject.accessKeyId];
  const named = affectedResources(incident).flatMap((resource) =>
    resource.kind === 'access-key' && resource.userType === 'IAMUser' && resource.userName === one.principal.name && (resource.account ?? incident.account) === incident.account ? [resource.accessKeyId] : [],
  );
  return [...new Set([one.subject.accessKeyId, ...named])];
}

/** Why the user `userName` of `account` cannot be verified as the owner of `accessKeyIds`, none of which ListAccessKeys lists. */
function notTheKeysOwner(userName: string, account: string, accessKeyIds: readonly string[]): string {
  const refusal = 'evidence and an alert only (no blast-radius slot taken).';
  return `${notKeysOf(userName, accessKeyIds)} in account ${account} (ListAccessKeys): the finding pairs the key with a user who does not own it (a forged or stale finding, the user created again, or another account's user of that name); ${refusal}`;
}

/**
 * Whether a credential incident's key is one no step can act on, and nothing else is: its access
 * key id is malformed (the parser left it `unverified`) or the key is a root user's, and it names
 * no other key, role or role session. A finding that names no key id at all is left to the steps,
 * as before.
 */
export function namesOnlyUnactionableKeys(incident: Incident): boolean {
  const resources = affectedResources(incident);
  const actionable = resources.some(
    (resource) =>
      (resource.kind === 'access-key' && resource.userType !== 'Root') || resource.kind === 'iam-role' || resource.kind === 'role-session',
  );
  const unactionableKey = resources.some(
    (resource) => (resource.kind === 'unverified' && resource.claimedKind === 'access-key') || (resource.kind === 'access-key' && resource.userType === 'Root'),
  );
  return unactionableKey && !actionable;
}

/** Why the credential's user or role (in `account`) may never be touched by name, or undefined. */
export function privilegedCredentialReason(one: OneCredential, account: string, environment: DeploymentEnvironment, ownRoles: SecurityAccountRoles): string | undefined {
  const what = one.subject.kind === 'access-key' ? `access key ${one.subject.accessKeyId} of user ${one.principal.name}` : `role ${one.principal.name}`;
  const own = one.principal.kind === 'role' ? ownSecurityAccountRoleReason(one.principal.name, account, ownRoles) : undefined;
  if (own !== undefined) return `The ${what} is protected: ${own}, which Firebreak never contains; evidence and the alert only, no blast-radius slot taken.`;
  const pattern = matchesPrivilegedName(one.principal.name, privilegedNamePatternsOf(environment));
  if (pattern === undefined) return undefined;
  return `The ${what} is protected: ${one.principal.kind} ${one.principal.name} matches the privileged name pattern ${pattern} (administrator or break-glass), whose credentials Firebreak never touches; evidence and the alert only, no blast-radius slot taken.`;
}

/** What the guard reads of the finding's user (GetUser) or role (GetRole). */
type PrincipalAnswer = {
  readonly tags: Record<string, string>;
  readonly roleId?: string | undefined;
  readonly createDate?: Date | undefined;
  readonly otherRole?: string | undefined;
  readonly path?: string | undefined;
};

/**
 * lookAtCredential's answer for a credential it clears: `followedTo` names the user whose key it is
 * now when the finding's user name was unknown to IAM and the key led to its owner (the user the
 * steps act on, so the one a blast-radius hold must record, never the vanished name: row 15k).
 */
export type CredentialVerdict = ProtectionVerdict | { readonly protected: false; readonly followedTo: string };

/**
 * Reads the credential's user or role from IAM when a rule needs it: its current tags for the
 * protected tag key (contain only) or the game-day opt-in tag (any game-day incident), for a role to
 * contain, its unique id when its sessions give one, else its creation date (GuardDuty names a
 * session's role by name, which another account's caller or a role created again shares), for a user to contain,
 * its path (a privileged name pattern may name it, as the stack's deny reads its ARN), and for a user's key to contain,
 * the user's keys (a finding's pairing of key and user is a claim: a forged or stale finding, the
 * user created again, or another account's user of that name). A user or role IAM does not know, or
 * a key not its user's, cannot be verified (evidence only); any other error of a read fails the
 * step, which the state machine retries, so that no slot is taken on a guess.
 */
export async function lookAtCredential(
  incident: Pick<Incident, 'account' | 'region' | 'times'>,
  one: OneCredential,
  kind: PlaybookRails['kind'],
  gameDay: boolean,
  deps: Pick<ContainmentGuardDeps, 'clients' | 'config'>,
  log: ActionLog,
  reasons: string[],
  named: {
    /** For a role: the unique ids (AROA…) the incident's sessions give it (roleIdsNamed); a role of that name with another id is not theirs. */
    readonly roleIds?: readonly string[];
    /** For a user: the access key ids the containment acts on (accessKeyIdsCovered); the credential's own key when unset. */
    readonly accessKeyIds?: readonly string[];
    /**
     * For a user renamed since the finding (followed by its key): why its NEW name may never be
     * touched (privilegedCredentialReason), or undefined. The old name was checked before.
     */
    readonly privileged?: (userName: string) => string | undefined;
    /**
     * Set when the playbook only disables keys (`disablesKeysOnly`): whether Firebreak holds a key.
     * Keys of the user all Inactive already, none held, are `nothing-to-contain` (row 11t).
     */
    readonly keyHolds?: KeyHolds;
  } = {},
): Promise<CredentialVerdict | 'unverifiable' | 'not-a-target' | 'nothing-to-contain'> {
  const protectedTagKey = kind === 'contain' ? deps.config.protectedTagKey : undefined;
  const roleIds = named.roleIds ?? [];
  // A role to contain is always read, tag rule or not: for its id when the sessions give one, else for
  // its creation date. Granted by name, a finding about another role of that name (another
  // account's caller, the role deleted and created again) would take a blast-radius slot, and
  // revoke-role-sessions would deny the sessions of a role the finding never saw. A release is never
  // held back by it.
  const readsRole = kind === 'contain' && one.principal.kind === 'role';
  // A user to contain is always read too (GetUser, its path and tags in one answer): the stack's deny
  // reads the user's ARN, path included, so a user whose path a privileged pattern names is protected
  // before a slot, tag rule or not (row 11ae).
  const readsUser = kind === 'contain' && one.principal.kind === 'user';
  // A user's key to contain is always checked against IAM's list of the user's keys, tag rule or
  // not, for the same reason (only disable-access-key's own ListAccessKeys check refused it, after
  // the slot). ListAccessKeys rather than GetAccessKeyLastUsed: both are authorized on a user
  // (Service Authorization Reference: `user*`, no condition key), but ListAccessKeys on the user the
  // finding names and GetAccessKeyLastUsed on whoever owns the key, and ListAccessKeys (a List
  // action) answers no more than the user's key ids and status.
  const accessKeyIds = one.subject.kind === 'access-key' ? (named.accessKeyIds ?? [one.subject.accessKeyId]) : [];
  const checksKeyOwner = kind === 'contain' && one.principal.kind === 'user' && accessKeyIds.length > 0;
  // Nothing to compare and no tag rule (a release): no answer IAM could give would change the
  // verdict, so the critical path makes no call. The steps read the principal where they act.
  if (protectedTagKey === undefined && !gameDay && !readsRole && !readsUser) return { protected: false };
  const what = one.principal.kind;
  let name = one.principal.name;
  const iam = await deps.clients.iam({ account: incident.account, region: incident.region });
  // Set when IAM knows no user of the finding's name and the key leads to its owner now.
  let renamed: RenamedKeyOwner | undefined;
  /** A refusal of a renamed user says so: the alert names both names. */
  const told = (reason: string): string => (renamed === undefined ? reason : `${reason} (${renamed.detail}.)`);
  /** Not protected: a followed user is named, since the name the finding gives is nobody's now. */
  const cleared = (): CredentialVerdict => (renamed === undefined ? { protected: false } : { protected: false, followedTo: renamed.to });
  /** The user as IAM holds it now: its path and its tags (a user has at most 50, all in GetUser's answer). */
  const readUser = (userName: string): Promise<PrincipalAnswer | 'missing'> =>
    readOrMissing('iam:GetUser', async () => {
      const user = (await iam.send(new GetUserCommand({ UserName: userName }))).User;
      return { tags: tagRecord(user?.Tags), path: user?.Path };
    });
  // Sent with the key list, not after it, so the user's path costs the critical path no round trip;
  // read again below under the user's current name if the key leads to a renamed user.
  const userRead = what === 'user' ? readUser(name) : undefined;
  // Awaited below, or dropped when the verdict comes first: a failure then is no answer anyone reads.
  userRead?.catch(() => undefined);
  if (checksKeyOwner) {
    // A user has at most two access keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
    // and ListAccessKeys answers up to 100 per page by default: one page holds them all.
    /** One page of ListAccessKeys holds every key of a user. */
    const keysOf = (userName: string): Promise<readonly AccessKeyMetadata[] | 'missing'> =>
      readOrMissing('iam:ListAccessKeys', async () => (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []);
    let listed = await keysOf(name);
    if (listed === 'missing') {
      // IAM knows no user of that name: renamed since the finding (iam:UpdateUser, which whoever holds
      // the key may be allowed), the key leads to its owner now. Only then: a user that exists and
      // does not own the key is refused below, never followed (row 11o).
      let refusal: string | undefined;
      for (const accessKeyId of accessKeyIds) {
        const followed = await followKeyToRenamedUser(iam, { account: incident.account, userName: name, accessKeyId }, named.privileged);
        if ('renamed' in followed) {
          renamed = followed.renamed;
          break;
        }
        if (followed.byName !== undefined) {
          log.record('iam:GetAccessKeyLastUsed', accessKeyId, 'observed', followed.refused);
          return { protected: true, rule: 'privileged-name', reason: followed.refused };
        }
        refusal ??= followed.refused;
      }
      if (renamed === undefined) {
        const reason = `${refusal ?? `IAM knows no user ${name} in account ${incident.account}`}: it cannot be verified as the owner of the finding's access key ${accessKeyIds.join(', ')}; evidence and an alert only (no blast-radius slot taken).`;
        log.record('iam:GetAccessKeyLastUsed', name, 'observed', reason);
        reasons.push(reason);
        return 'unverifiable';
      }
      log.record(RENAMED_USER_ACTION, name, 'observed', `${renamed.detail}: its containment is checked under its current name ${renamed.to}`);
      // Every covered key must be the renamed user's: a key of another user named under the vanished
      // name would be contained under this check (one slot, the rails of one user read here).
      // disable-access-key applies the same rule where it acts (row 11s). A user that exists needs no
      // such rule: the step's pairing check refuses its keys that are not its own (row 11q).
      const strays = keysOfAnotherOwner(renamed, incident.account, accessKeyIds);
      if (strays !== undefined) {
        const reason = `${strays}; evidence and an alert only (no blast-radius slot taken).`;
        log.record('iam:ListAccessKeys', renamed.to, 'observed', reason);
        reasons.push(reason);
        return 'unverifiable';
      }
      name = renamed.to;
      listed = renamed.keys;
    }
    const listedIds = keyIdsOf(listed);
    const own = accessKeyIds.filter((id) => listedIds.includes(id));
    if (own.length === 0) {
      const reason = notTheKeysOwner(name, incident.account, accessKeyIds);
      log.record('iam:ListAccessKeys', name, 'observed', reason);
      reasons.push(reason);
      return 'unverifiable';
    }
    // Every key the step could act on is Inactive already and no containment of Firebreak's holds
    // it: a playbook that only disables keys would change nothing, so no slot (row 11t). A key
    // Firebreak holds for another incident still takes one: this incident's step must claim it, so
    // that the other's release leaves it Inactive while this one is open. A key made Active again
    // after this read is contained on the next finding about it (GuardDuty updates its finding).
    const inactive = (keys: readonly AccessKeyMetadata[]): boolean => own.every((id) => keys.find((key) => key.AccessKeyId === id)?.Status === 'Inactive');
    const holds = named.keyHolds;
    // The status is read again after the records (row 11z): a release re-activates the key before it
    // marks its record released, so a status read before a record read found released may be stale.
    // Inactive after the records were read, a key made Active again later is a new change.
    const userName = name;
    const stillInactive = async (): Promise<boolean> => {
      const again = await keysOf(userName);
      return again !== 'missing' && inactive(again);
    };
    if (inactive(listed) && holds !== undefined && !(await Promise.all(own.map((id) => holds.held(incident.account, id)))).some(Boolean) && (await stillInactive())) {
      const [it, is] = own.length === 1 ? ['it', 'is'] : ['they', 'are'];
      const reason = `${own.length === 1 ? 'Access key' : 'Access keys'} ${own.join(', ')} of user ${name} ${is} already Inactive in account ${incident.account} (ListAccessKeys), and no containment by Firebreak holds ${own.length === 1 ? 'it' : 'them'}: the playbook would change nothing, so no blast-radius slot is taken; evidence and an alert only. Made Active again, ${it} ${is} contained on the next finding about ${own.length === 1 ? 'it' : 'them'}.`;
      log.record('iam:ListAccessKeys', name, 'observed', reason);
      reasons.push(told(reason));
      return 'nothing-to-contain';
    }
    log.record('iam:ListAccessKeys', name, 'observed', `Read the access keys of user ${name}: ${own.join(', ')} ${own.length === 1 ? 'is its key' : 'are its keys'}.`);
  }
  const api = what === 'user' ? 'iam:GetUser' : 'iam:GetRole';
  // A user has at most 50 tags (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
  // all of them in GetUser's answer, with its path.
  const answer: PrincipalAnswer | 'missing' =
    userRead !== undefined
      ? await (renamed === undefined ? userRead : readUser(name))
      : await readOrMissing(api, async () => {
          const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
          return { tags: tagRecord(role?.Tags), roleId: role?.RoleId, createDate: role?.CreateDate, otherRole: otherRoleOfName({ roleName: name, account: incident.account }, role?.RoleId, roleIds), path: role?.Path };
        });
  if (answer !== 'missing' && answer.otherRole !== undefined) {
    const reason = `The ${answer.otherRole} (another account's caller, or the role created again), whose sessions are not the finding's; evidence and an alert only (no blast-radius slot taken).`;
    log.record(api, name, 'observed', reason);
    reasons.push(told(reason));
    return 'unverifiable';
  }
  // No id to prove which role the finding saw: a role created after the finding cannot be it. A role
  // deleted and created again BEFORE the activity is indistinguishable by name (row 11v).
  const younger = readsRole && roleIds.length === 0 && answer !== 'missing' ? roleCreatedAfterFinding({ roleName: name, account: incident.account }, answer.createDate, incident.times.created) : undefined;
  if (younger !== undefined) {
    const reason = `The ${younger}; evidence and an alert only (no blast-radius slot taken).`;
    log.record(api, name, 'observed', reason);
    reasons.push(reason);
    return 'unverifiable';
  }
  if (answer === 'missing') {
    const unverified = gameDay ? 'its current tags, and so its game-day opt-in, cannot be verified' : protectedTagKey !== undefined ? 'its current tags, and so its protection, cannot be verified' : "it cannot be verified as the role the finding's session names";
    const reason = `IAM knows no ${what} ${name} in account ${incident.account}: ${unverified}; evidence and an alert only (no blast-radius slot taken).`;
    log.record(api, name, 'observed', reason);
    reasons.push(told(reason));
    return 'unverifiable';
  }
  // The stack's IAM deny reads the role's ARN, path included (row 11ab): a role whose path a privileged
  // pattern names is protected as one whose name does, before a slot and before its tags.
  const byPath = kind === 'contain' ? privilegedPathReason(what === 'user' ? 'user' : 'role', name, answer.path, privilegedNamePatternsOf(deps.config.environment ?? process.env)) : undefined;
  if (byPath !== undefined) {
    const reason = `The ${what} ${name} is protected: ${byPath} (administrator or break-glass), whose credentials Firebreak never touches; evidence and the alert only, no blast-radius slot taken.`;
    log.record(api, name, 'observed', reason);
    return { protected: true, rule: 'privileged-name', reason: told(reason) };
  }
  const read = answer.tags;
  if (gameDayForbids(gameDay, read)) {
    const { key, value } = SECURITY_TAGS.gameDayTarget;
    const reason = `Game-day incident: ${what} ${name} does not carry the tag ${key}=${value} in IAM now, so a drill may not change its credentials; evidence and an alert only (no blast-radius slot taken).`;
    log.record(api, name, 'observed', reason);
    reasons.push(told(reason));
    return 'not-a-target';
  }
  // IAM compares a user's or role's tag keys whatever their case (tag-rules.ts): so does the rail.
  const protection = protectedTagKey !== undefined ? protectedTagOf(read, protectedTagKey, 'case-insensitive') : undefined;
  if (protection !== undefined) {
    const reason = `The ${what} ${name} is protected: it carries the tag ${protection.key}=${JSON.stringify(protection.value)} in IAM now, so Firebreak collects evidence and alerts instead of cutting off its credentials (no blast-radius slot taken).`;
    log.record(api, name, 'observed', `Read the current tags of ${what} ${name}: the protected tag key ${protectedTagKey} is present${protection.key !== protectedTagKey ? ` (as ${protection.key})` : ''}.`);
    return { protected: true, rule: 'credential-tag', reason: told(reason) };
  }
  log.record(
    api,
    name,
    'observed',
    protectedTagKey === undefined && !gameDay
      ? what === 'user'
        ? `Read user ${name}: at path ${answer.path ?? '/'}, which no privileged name pattern names.`
        : roleIds.length > 0
        ? `Read ${what} ${name}: its id ${answer.roleId ?? 'unknown'} is the one the finding's session names.`
        : `Read ${what} ${name}: ${answer.createDate !== undefined ? `created at ${answer.createDate.toISOString()}, before the finding` : 'IAM gives no creation date'}; the finding's session gives no id, so it is taken by its name.`
      : `Read the current tags of ${what} ${name}: ${protectedTagKey !== undefined ? `no ${protectedTagKey} tag, not protected` : 'it is a game-day target'}.`,
  );
  return cleared();
}
