/**
 * Multi-credential incidents, one credential at a time. An IAM attack sequence names several
 * credentials (IAM users' access keys, role sessions, roles): each is cut off by running a
 * `trigger: per-credential` playbook once for it, as its own Step Functions execution over a
 * per-credential view of the incident (its `key`, `account`, `region` and `resource` replaced by the
 * credential's). Each such execution starts with the containment guard, whose grant names that one
 * credential (lib/contracts/security.ts `credentialGrantSubject`), so the rails hold per credential:
 * a break-glass or administrator principal is refused, the blast radius counts every credential,
 * and the responders act on the granted credential alone. Pure; triage computes the targets, the
 * compiled `contain-each-credential` step (compile-per-instance.ts) starts them.
 *
 * Idempotency: every credential's run is named by its child key AND the revision (`executionNameFor`).
 * GuardDuty updates a finding when the credentials are used again: for a role, possibly with a
 * session taken after the first cut-off, which only a new execution of revoke-role-sessions denies
 * (docs/security.md row 11i); for an access key, possibly one made Active again (and AWSDenyAll
 * detached) by whoever holds another credential that may change its user, which only a new
 * execution of disable-access-key disables again (row 1zh: a key's run named by the key alone, the
 * same in every revision, was refused by Step Functions as already started, and the key stayed
 * Active). A key still Inactive is `already-inactive` there: disable-access-key keeps the first
 * record and claims the key again for the same incident. A duplicate delivery of the same revision
 * still maps to the same name (and its parent never runs: the dispatcher refuses it).
 */
import { childIncidentKey, executionNameFor, placementHash, sha256Hex } from '../incident/keys';
import { affectedResources } from '../incident/affected';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import type { AccessKeyResource, Incident } from '../incident/model';
import type { CredentialGrantSubject } from '../contracts/security';
import { credentialGrantSubject } from '../contracts/security';
import { unconfirmedIntakeRefusal } from './fan-out-names';
import { describeSkipped } from './per-instance';

/** What the per-credential execution's incident replaces in the incident (a shallow merge: `States.JsonMerge`). */
export interface PerCredentialOverride {
  readonly key: string;
  readonly account: string;
  readonly region: string;
  /** The credential, in GuardDuty's accessKeyDetails shape: an IAM user's key (`IAMUser`) or a role (`AssumedRole`). */
  readonly resource: AccessKeyResource;
}

/** One credential to cut off, with the name of its own execution and what its incident replaces. */
export interface CredentialTarget {
  /** `access-key` (an IAM user's long-term key) or `iam-role` (every session of the role). */
  readonly credential: CredentialGrantSubject['kind'];
  /** The access key id, or the role name. */
  readonly id: string;
  /** The key's user (for a key). */
  readonly userName?: string;
  readonly account: string;
  readonly region: string;
  /** What the guard's grant names: `access-key/<account>/<key>` or `iam-role/<account>/<role>`. */
  readonly subject: string;
  /**
   * Deterministic per (incident key, credential, revision): each revision contains the credential
   * again (a role's new sessions, row 11i; a key made Active again, row 1zh); a duplicate delivery maps to the same name.
   */
  readonly executionName: string;
  readonly incident: PerCredentialOverride;
}

/** A credential the incident names that gets no execution of its own, and why. */
export interface SkippedCredential {
  readonly value: string;
  readonly account?: string;
  readonly reason: string;
}

export interface CredentialTargets {
  readonly targets: readonly CredentialTarget[];
  readonly skipped: readonly SkippedCredential[];
}

export interface CredentialTargetOptions {
  /** At most this many credentials get an execution; the rest are skipped and alerted. */
  readonly maxCredentials: number;
  /** Why an account may not be acted in (the deployment's served accounts), or undefined when it may. */
  readonly refuseAccount?: (account: string) => string | undefined;
}

/**
 * The key of the per-credential incident, a child key of the incident's (`childIncidentKey`, so a
 * sequence's report gathers it): `<incident key>-<access key id>` for a key (an id longer than 32
 * characters by a hash of it), `<incident key>-role-<12 hex of the account and the role name in lower
 * case>` for a role (role names may hold characters an execution name may not, and IAM names are
 * unique whatever their case), then `-<placementHash>` when the credential is in another account or
 * Region than the incident, as for instances, so that the gathered report can check the child's
 * account against its key.
 */
export function perCredentialKey(
  incidentKey: string,
  subject: CredentialGrantSubject,
  placement: { readonly region: string },
  home: { readonly account: string; readonly region: string },
): string {
  const id =
    subject.kind === 'access-key'
      ? subject.accessKeyId.length <= 32
        ? subject.accessKeyId
        : `key-${sha256Hex(subject.accessKeyId).slice(0, 16)}`
      : `role-${sha256Hex(`${subject.account}|${subject.roleName.toLowerCase()}`).slice(0, 12)}`;
  const foreign = subject.account !== home.account || placement.region !== home.region;
  return childIncidentKey(incidentKey, foreign ? `-${id}-${placementHash(subject.account, placement.region)}` : `-${id}`);
}

/**
 * The execution name of a credential's run: `<key>-<12 hex of the revision>` (`executionNameFor`, at
 * most 77 characters), for an access key as for a role, so that GuardDuty's update of the sequence
 * contains the credential again (a role's sessions with a later cut-off, row 11i; a key made Active
 * again behind Firebreak's back, row 1zh), while a duplicate delivery of one revision (same name)
 * starts nothing.
 */
export function perCredentialExecutionName(key: string, revision: string): string {
  return executionNameFor({ key, revision });
}

const CREDENTIAL_KINDS = new Set(['access-key', 'iam-role', 'role-session', 'iam-user']);

/**
 * The credentials of an incident to cut off one by one, first mention first: each IAM user's
 * long-term access key, and each role (its sessions and the role itself named anywhere, merged per
 * account and role). A temporary key is its role's session (the role's execution revokes it);
 * unverified ids, root or unnamed keys, users named without a key, credentials of accounts the
 * deployment does not serve and credentials beyond the cap get no execution; each is listed with why.
 */
export function credentialTargets(incident: Incident, options: CredentialTargetOptions): CredentialTargets {
  const targets: CredentialTarget[] = [];
  const skipped: SkippedCredential[] = [];
  const seen = new Set<string>();
  const resources = affectedResources(incident);
  const roleKeys = new Set(resources.flatMap((r) => (r.kind === 'role-session' && r.accessKeyId !== undefined ? [r.accessKeyId] : [])));
  const usersWithKeys = new Set(resources.flatMap((r) => (r.kind === 'access-key' && !r.temporary && r.userName !== undefined ? [`${r.account ?? incident.account}|${r.userName}`] : [])));
  const intakeRefusal = unconfirmedIntakeRefusal(incident);
  const add = (subject: CredentialGrantSubject, region: string, resource: AccessKeyResource, userName?: string): void => {
    const id = subject.kind === 'access-key' ? subject.accessKeyId : subject.roleName;
    const text = credentialGrantSubject(subject);
    // IAM names are unique whatever their case: `ci-deploy` and `CI-Deploy` are one role, one user.
    const identity = text.toLowerCase();
    if (seen.has(identity)) return;
    seen.add(identity);
    const refused = intakeRefusal ?? options.refuseAccount?.(subject.account);
    if (refused !== undefined) {
      skipped.push({ value: describeSubject(subject), account: subject.account, reason: refused });
      return;
    }
    if (targets.length >= options.maxCredentials) {
      skipped.push({ value: describeSubject(subject), account: subject.account, reason: `beyond this playbook's cap of ${options.maxCredentials} credentials per incident: a person must cut it off` });
      return;
    }
    const key = perCredentialKey(incident.key, subject, { region }, { account: incident.account, region: incident.region });
    targets.push({
      credential: subject.kind,
      id,
      ...(userName !== undefined ? { userName } : {}),
      account: subject.account,
      region,
      subject: text,
      executionName: perCredentialExecutionName(key, incident.revision),
      incident: { key, account: subject.account, region, resource },
    });
  };
  for (const resource of resources) {
    if (resource.kind === 'unverified') {
      if (CREDENTIAL_KINDS.has(resource.claimedKind)) {
        skipped.push({ value: resource.value.untrusted, reason: `named at ${resource.from}, but it is not ${resource.expected}: no credential is acted on for it` });
      }
      continue;
    }
    const account = resource.account ?? incident.account;
    const region = resource.region ?? incident.region;
    if (resource.kind === 'access-key') {
      if (resource.temporary) {
        if (!roleKeys.has(resource.accessKeyId)) {
          skipped.push({ value: resource.accessKeyId, account, reason: 'a temporary (STS) key whose role the event does not name: IAM cannot deactivate it, and there is no role to revoke' });
        }
        continue;
      }
      if (resource.userType !== 'IAMUser' || resource.userName === undefined || !RESOURCE_ID_FORMAT.iamName.test(resource.userName)) {
        skipped.push({ value: resource.accessKeyId, account, reason: `not named as an IAM user's key (user type ${resource.userType ?? 'unknown'}): Firebreak disables IAM users' keys only, never the root user's` });
        continue;
      }
      add({ kind: 'access-key', account, accessKeyId: resource.accessKeyId }, region, {
        kind: 'access-key',
        accessKeyId: resource.accessKeyId,
        userName: resource.userName,
        userType: 'IAMUser',
      }, resource.userName);
      continue;
    }
    if (resource.kind === 'role-session' || resource.kind === 'iam-role') {
      add({ kind: 'iam-role', account, roleName: resource.roleName }, region, {
        kind: 'access-key',
        userName: resource.roleName,
        userType: 'AssumedRole',
        ...(resource.kind === 'role-session' && resource.accessKeyId !== undefined ? { accessKeyId: resource.accessKeyId } : {}),
      });
      continue;
    }
    if (resource.kind === 'iam-user' && !usersWithKeys.has(`${account}|${resource.userName}`)) {
      const value = `user ${resource.userName}`;
      if (seen.has(value)) continue;
      seen.add(value);
      skipped.push({ value, account, reason: 'an IAM user named without an access key: Firebreak disables keys and revokes role sessions, it does not lock a user out on its own (a person decides)' });
    }
  }
  return { targets, skipped };
}

function describeSubject(subject: CredentialGrantSubject): string {
  return subject.kind === 'access-key' ? subject.accessKeyId : `role ${subject.roleName}`;
}

/** How a target is named in sentences: `access key AKIA… of user ci-deployer` or `role ci-deploy-role`. */
export function describeCredentialTarget(target: Pick<CredentialTarget, 'credential' | 'id' | 'userName'>): string {
  return target.credential === 'access-key' ? `access key ${target.id}${target.userName !== undefined ? ` of user ${target.userName}` : ''}` : `role ${target.id} (every session issued so far)`;
}

/** Triage's sentences about the per-credential runs (what `firebreak simulate` shows). */
export function describeCredentialTargets(planned: CredentialTargets, playbook: string): string[] {
  const reasons: string[] = [];
  const count = planned.targets.length;
  reasons.push(
    count === 0
      ? `The incident names no credential Firebreak may cut off: playbook ${playbook} starts no per-credential execution, and alerts.`
      : `Playbook ${playbook} runs its per-credential playbook once per credential (${count}), each as its own execution that asks the containment guard for that credential alone (break-glass and protected principals, blast radius and served accounts hold per credential).`,
  );
  for (const target of planned.targets) {
    reasons.push(
      target.credential === 'iam-role'
        ? `${capitalize(describeCredentialTarget(target))} (account ${target.account}): execution ${target.executionName}; the name carries the sequence's revision, so GuardDuty's update of the sequence denies the role's sessions again, with a later cut-off (a session taken after the first one is denied too).`
        : `${capitalize(describeCredentialTarget(target))} (account ${target.account}): execution ${target.executionName}; the name carries the sequence's revision, so GuardDuty's update of the sequence disables the key again if it was made Active since (one still Inactive is left as it is).`,
    );
  }
  reasons.push(...describeSkipped(planned.skipped, { not: 'Not cut off', noun: 'credential(s)', must: 'cut them off' }));
  return reasons;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
