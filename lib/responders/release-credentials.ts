/**
 * release-credentials: after an investigation, undo exactly what disable-access-key and
 * revoke-role-sessions changed, as their sealed records (credential-records.ts) say, and nothing
 * else:
 * - an access key is made Active again only when its record says Firebreak set it Inactive (it was
 *   Active before); a key that was already Inactive when Firebreak came (someone else deactivated
 *   it), or that has no record, stays Inactive whatever the request says;
 * - AWSDenyAll is detached from the user only when the record says Firebreak attached it (or the
 *   release of another key of the user handed that duty over, with the sealed record that says so),
 *   and only when no other key of the user has an unreleased record: AWSDenyAll is the user's, and
 *   the incident holding that key counts on it too, so the duty goes over to that key's record;
 * - the revoke-older-sessions policy is deleted from the role only when it is still the one the
 *   record names (same cut-off: a policy rewritten since, by quarantine-instance or another
 *   incident, stays), and only once every session it denies has expired (12 hours after the
 *   cut-off, the longest a role session lasts): deleting it earlier would make the stolen sessions
 *   valid again.
 * Each record must verify (seal, key, incident), be unreleased and belong to the release's incident.
 * An access key several incidents hold contained (claims on its record, credential-records.ts) is
 * re-activated only by the release of the last of them: an earlier release takes back only its
 * incident's hold and changes nothing in IAM. A release cleared before the key was last claimed
 * (another incident, or a new execution of its own incident after GuardDuty updated the finding)
 * changes nothing: that containment is not what its approver was asked about.
 * Runs only inside an approved execution of the release-credentials playbook that the containment
 * guard cleared (release-clearance.ts); the releaser recorded is the approver. IAM has no DryRun:
 * in dry-run nothing is changed and each change says "would".
 */
import { AttachUserPolicyCommand, DeleteRolePolicyCommand, DetachUserPolicyCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { AccessKeyMetadata, IAMClient } from '@aws-sdk/client-iam';
import type { IamClients } from '../aws/clients/iam';
import { RESPONDER_NAMES } from '../contracts/responders';
import { CREDENTIALS_GRANT_SUBJECT } from '../contracts/security';
import type * as z from '../contracts/zod-mini';
import { affectedResources } from '../incident/affected';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import { DENY_ALL_POLICY_NAME, releaseCredentialsOptions } from '../playbooks/credential-options';
import type { ActionLog } from './action-log';
import { credentialRailsOf, denyAllPolicyArn, refusalBeforeAnyCall } from './credential-rails';
import type { AccessKeyRecord, CredentialReleaseStore, DenyAllHandover, KeyClaims, ReadCredentialRecord, RoleSessionsRecord } from './credential-records';
import { holdTakenBackDetailStart, keyHolders } from './credential-records';
import { denyAllDuty, otherKeyNeedingDenyAll } from './deny-all-duty';
import type { DeploymentEnvironment } from './effective-mode';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { sendReadOnly } from './mutating';
import { mutateUnprobed } from './pending-actions';
import { readRoleDeny, roleDenyDeletableAt } from './role-deny-release';
import type { ReleaseClearance } from './release-clearance';
import type { ResponderInput } from './responder-input';
import { ResponderRun } from './responder-run';
import type { HandlerDeps, Responder, ResponderHandler } from './runtime';
import { ResponderInputError } from '../contracts/responder-errors';
import type { ReleasePreviewResult } from './release-credentials-preview';
import type { DrillPrincipal } from './release-credentials-preview';
import { denyAllOfRenamedUser, drillOptInRefusal, followRecordedKey, previewCredentialRelease } from './release-credentials-preview';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import { readOrMissing, releaseNotShown, rolesNamed } from './credential-targets';
import { keyIdsOf } from './renamed-key-owner';
import { RENAMED_USER_ACTION } from './model';
import type { CredentialRails } from './credential-rails';

export const RELEASE_CREDENTIALS_RESPONDER = RESPONDER_NAMES.releaseCredentials;
export const releaseCredentialsOptionsSchema = releaseCredentialsOptions;
export type ReleaseCredentialsOptions = z.output<typeof releaseCredentialsOptionsSchema>;

export type ReleaseCredentialsStatus = 'released' | 'claim-released' | 'already-released' | 'dry-run' | 'refused' | 'no-credential';

/** What became of one credential the release names. */
export interface CredentialRelease {
  readonly kind: 'access-key' | 'role-sessions';
  /** The access key id, or the role name. */
  readonly id: string;
  readonly account: string;
  readonly userName?: string;
  /**
   * `released`: everything the record says Firebreak changed is undone (or was already); `would-release`:
   * dry-run; `claim-released`: the release's incident no longer holds the key, which stays as it is
   * for the other incidents holding it (`reason` names them); `already-released`: a release marked
   * the record (or took back this incident's hold) before; `refused`: nothing changed, `reason` says why.
   */
  readonly outcome: 'released' | 'would-release' | 'claim-released' | 'already-released' | 'refused';
  readonly reason?: string;
  /** The key's status after the release (access keys). */
  readonly keyStatus?: 'Active' | 'Inactive';
}

export interface ReleaseCredentialsResult extends ResponderResult<ReleaseCredentialsStatus> {
  readonly credentials: readonly CredentialRelease[];
  /** The approver, as AWS authenticated them (the approval record). */
  readonly releasedBy?: string;
  readonly requestedBy?: string;
}

export interface ReleaseCredentialsDeps {
  /** IAM through the member role: the user's keys and policies. */
  readonly clients: IamClients;
  /** IAM through the session-revoker role: the role's inline policy (the only role that writes role policies). */
  readonly revokerClients: IamClients;
  readonly records: CredentialReleaseStore;
  /** The guard's release grant and the person's approval of this execution. */
  readonly clearance: ReleaseClearance;
  readonly logger: IncidentLogger;
  /** @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

interface ReleaseContext {
  readonly input: ResponderInput<ReleaseCredentialsOptions>;
  readonly deps: ReleaseCredentialsDeps;
  readonly log: ActionLog;
  /** The run, whose mode the clearance may lower (the guard cleared the release for dry-run only). */
  readonly run: ResponderRun<ReleaseCredentialsStatus>;
  readonly now: () => Date;
  /** The deployment's rails (served accounts, privileged names), applied to a user renamed since it was contained too. */
  readonly rails: CredentialRails;
}

/** Undoes what the credential steps recorded for the credentials the release names. */
export async function releaseCredentials(input: ResponderInput<ReleaseCredentialsOptions>, deps: ReleaseCredentialsDeps): Promise<ReleaseCredentialsResult> {
  const { incident } = input;
  const run = new ResponderRun<ReleaseCredentialsStatus>({
    responder: RELEASE_CREDENTIALS_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger: deps.logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: ['already-released'],
  });
  const { log, now } = run;
  const environment = deps.environment ?? process.env;
  run.recordMode(incident.key);
  const requestedBy = input.request?.requestedBy;
  let releasedBy: string | undefined;
  const done = run.finisher<ReleaseCredentialsResult>({ credentials: [] }, (result) => ({ credentials: result.credentials.map((c) => ({ id: c.id, outcome: c.outcome })) }));
  const finish = (status: ReleaseCredentialsStatus, credentials: readonly CredentialRelease[] = []): ReleaseCredentialsResult =>
    done(status, { credentials, ...(releasedBy !== undefined ? { releasedBy } : {}), ...(requestedBy !== undefined ? { requestedBy } : {}) });

  const keys = affectedResources(incident).filter((r): r is Extract<typeof r, { kind: 'access-key' }> => r.kind === 'access-key' && !r.temporary);
  const roles = rolesNamed(incident);
  if (keys.length === 0 && roles.length === 0) {
    log.record('firebreak:decide', incident.key, 'skipped', 'The release names no access key and no role: nothing to release');
    return finish('no-credential');
  }
  const rails = credentialRailsOf(environment, RELEASE_CREDENTIALS_RESPONDER);
  const context: ReleaseContext = { input, deps, log, run, now, rails };
  const results: CredentialRelease[] = [];
  const refuse = (base: Omit<CredentialRelease, 'outcome'>, reason: string): void => {
    log.record('firebreak:check-credential', base.id, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}; nothing changed`);
    results.push({ ...base, outcome: 'refused', reason });
  };
  // `firebreak credentials release` names one credential, and the approval request shows that one:
  // an execution started by hand whose incident names more would have one approval release them all.
  const named = keys.length + roles.length;
  if (named > 1) {
    const reason = `the release names ${named} credentials, and a release undoes one (as \`firebreak credentials release\` starts it): release each on its own`;
    for (const key of keys) refuse({ kind: 'access-key', id: key.accessKeyId, account: key.account ?? incident.account, ...(key.userName !== undefined ? { userName: key.userName } : {}) }, reason);
    for (const role of roles) refuse({ kind: 'role-sessions', id: role.roleName, account: role.account }, reason);
    return finish('refused', results);
  }
  // The one credential named must be the one the approval request shows (row 11ac).
  const notShown = releaseNotShown(incident, keys, roles);
  if (notShown !== undefined) {
    for (const key of keys) refuse({ kind: 'access-key', id: key.accessKeyId, account: key.account ?? incident.account, ...(key.userName !== undefined ? { userName: key.userName } : {}) }, notShown);
    for (const role of roles) refuse({ kind: 'role-sessions', id: role.roleName, account: role.account }, notShown);
    return finish('refused', results);
  }

  for (const key of keys) {
    const account = key.account ?? incident.account;
    const base = { kind: 'access-key' as const, id: key.accessKeyId, account, ...(key.userName !== undefined ? { userName: key.userName } : {}) };
    if (key.userName === undefined || !RESOURCE_ID_FORMAT.iamName.test(key.userName)) {
      refuse(base, `${key.accessKeyId} is not named with its IAM user: a release names the user whose key it is`);
      continue;
    }
    const before = refusalBeforeAnyCall('user', key.userName, account, rails);
    if (before !== undefined) {
      refuse(base, before);
      continue;
    }
    const read = await trustedRecord(deps.records.get({ kind: 'access-key', account, accessKeyId: key.accessKeyId }), `access key ${key.accessKeyId}`, context, heldByIncident);
    if (read.problem !== undefined) {
      if (read.released) results.push({ ...base, outcome: 'already-released', reason: read.problem });
      else refuse(base, read.problem);
      continue;
    }
    if (read.record.userName !== key.userName) {
      // A user renamed since the finding was contained under its name then (disable-access-key
      // follows the key: renamed-key-owner.ts); the record names that name, and so must the release.
      refuse(base, `the record of ${key.accessKeyId} names user ${read.record.userName}, not ${key.userName} (renamed since the finding? release it under the record's name)`);
      continue;
    }
    const cleared = await clear(read.record.capturedAt, context, read.claims);
    if (typeof cleared !== 'string') {
      refuse(base, cleared.refused);
      continue;
    }
    const others = keyHolders(read.record, read.claims).filter((holder) => holder !== incident.key);
    if (others.length === 0) {
      // The release re-activates the key: a drill's opt-in is read there, of the user it changes
      // (the record's, or the one a user renamed since goes by now: releaseKey follows the key).
      releasedBy = cleared;
      results.push(await releaseKey(read, base, context, cleared));
      continue;
    }
    const notATarget = await drillRefusal({ kind: 'user', name: read.record.userName, account }, context);
    if (notATarget !== undefined) {
      refuse(base, notATarget);
      continue;
    }
    releasedBy = cleared;
    results.push(await takeBackHold(read.record, read.claims, others, base, context));
  }

  for (const role of roles) {
    const base = { kind: 'role-sessions' as const, id: role.roleName, account: role.account };
    if (!RESOURCE_ID_FORMAT.iamName.test(role.roleName)) {
      refuse(base, `${JSON.stringify(role.roleName.slice(0, 64))} is not an IAM role name`);
      continue;
    }
    const before = refusalBeforeAnyCall('role', role.roleName, role.account, rails);
    if (before !== undefined) {
      refuse(base, before);
      continue;
    }
    const read = await trustedRecord(deps.records.get({ kind: 'role-sessions', account: role.account, roleName: role.roleName }), `role ${role.roleName}`, context);
    if (read.problem !== undefined) {
      if (read.released) results.push({ ...base, outcome: 'already-released', reason: read.problem });
      else refuse(base, read.problem);
      continue;
    }
    const cleared = await clear(read.record.issuedBefore, context);
    if (typeof cleared !== 'string') {
      refuse(base, cleared.refused);
      continue;
    }
    const notATarget = await drillRefusal({ kind: 'role', name: read.record.roleName, account: read.record.account }, context);
    if (notATarget !== undefined) {
      refuse(base, notATarget);
      continue;
    }
    releasedBy = cleared;
    results.push(await releaseRole(read.record, base, context, cleared));
  }
  return finish(statusOf(results), results);
}

/** Why a drill may not release this user or role, as IAM tags it now, or undefined (drillOptInRefusal, shared with the preview the approver is shown). */
function drillRefusal(principal: DrillPrincipal, context: ReleaseContext): Promise<string | undefined> {
  return drillOptInRefusal(principal, context.input.incident, context.deps, context.log);
}

function statusOf(results: readonly CredentialRelease[]): ReleaseCredentialsStatus {
  if (results.some((r) => r.outcome === 'refused')) return 'refused';
  if (results.some((r) => r.outcome === 'would-release')) return 'dry-run';
  if (results.some((r) => r.outcome === 'released')) return 'released';
  if (results.some((r) => r.outcome === 'claim-released')) return 'claim-released';
  return 'already-released';
}

/** A record that verifies, with what is stored beside it (claims, a handed-over duty to detach AWSDenyAll). */
interface TrustedRead<R> {
  readonly record: R;
  readonly claims: KeyClaims;
  readonly denyAllHandover?: DenyAllHandover;
  readonly problem?: undefined;
}
type Trusted<R> = TrustedRead<R> | { readonly problem: string; readonly released: boolean };

/** Whether the record is `incidentKey`'s to release: a role's is its own incident's; a key's, any incident's still holding it. */
type Ownership = (read: ReadCredentialRecord, incidentKey: string, what: string) => { readonly problem: string; readonly released: boolean } | undefined;

const recordOfIncident: Ownership = ({ record }, incidentKey, what) =>
  record.incidentKey === incidentKey ? undefined : { problem: `the record of ${what} is incident ${record.incidentKey}'s, not ${incidentKey}'s: that incident's release undoes it`, released: false };

const heldByIncident: Ownership = ({ record, claims }, incidentKey, what) => {
  if (keyHolders(record, claims).includes(incidentKey)) return undefined;
  if (claims.releasedClaims.includes(incidentKey)) {
    return { problem: `incident ${incidentKey}'s hold on ${what} was taken back by an earlier release; the incidents still holding it release it`, released: true };
  }
  return recordOfIncident({ record, claims, verdict: { valid: true } }, incidentKey, what);
};

/** The record, if it verifies, is unreleased and is this incident's; else why not (a stored record is a claim). */
async function trustedRecord<R extends AccessKeyRecord | RoleSessionsRecord>(
  reading: Promise<ReadCredentialRecord<R> | undefined>,
  what: string,
  { input, log }: ReleaseContext,
  ownership: Ownership = recordOfIncident,
): Promise<Trusted<R>> {
  const read = await reading;
  const incidentKey = input.incident.key;
  if (read === undefined) {
    return {
      problem: `Firebreak keeps no record of a change to ${what}: it changed nothing there (a key someone else deactivated stays as it is), so there is nothing to release`,
      released: false,
    };
  }
  if (!read.verdict.valid) return { problem: `the record of ${what} is not trusted (${read.verdict.reason}): nothing is restored from it`, released: false };
  if (read.record.released === true) {
    return { problem: `${what} was released at ${read.record.releasedAt ?? 'an earlier run'} by ${read.record.releasedBy ?? 'unknown'}; nothing changed`, released: true };
  }
  const notOwned = ownership(read, incidentKey, what);
  if (notOwned !== undefined) return notOwned;
  log.record('firebreak:verify-record', what, 'observed', `The sealed record of ${what} (incident ${read.record.incidentKey}) verifies`);
  return { record: read.record, claims: read.claims, ...(read.denyAllHandover !== undefined ? { denyAllHandover: read.denyAllHandover } : {}) };
}

/** The approver of this execution, or why the release is not cleared. */
async function clear(recordedAt: string, { input, deps, log, run }: ReleaseContext, claims?: KeyClaims): Promise<string | { refused: string }> {
  const verdict = await deps.clearance.check(input, { instanceId: CREDENTIALS_GRANT_SUBJECT, capturedAt: recordedAt });
  if (!verdict.cleared) return { refused: `the release is not cleared: ${verdict.reason}` };
  // The key claimed after the guard cleared this release (a new execution of its incident, GuardDuty
  // having updated the finding, or another incident): the approver was asked before that containment.
  const lastClaimAt = claims?.lastClaimAt;
  if (lastClaimAt !== undefined && (verdict.grantedAt === undefined || !(Date.parse(lastClaimAt) < Date.parse(verdict.grantedAt)))) {
    return {
      refused: `the key was contained again at ${lastClaimAt}, after this release was cleared${verdict.grantedAt !== undefined ? ` (${verdict.grantedAt})` : ' (the clearance does not say when)'}: the approval was not given on that containment; a new release (and approval) is needed`,
    };
  }
  log.record('firebreak:check-approval', verdict.executionArn, 'observed', `Approved by ${verdict.approvedBy} at ${verdict.approvedAt}`);
  // The guard cleared the release for dry-run only when the release playbook's own mode is dry-run:
  // a ceiling for every credential it releases, as for every granted step (lowered once, never raised).
  if (verdict.mode === 'dry-run' && run.mode !== 'dry-run') {
    run.lowerTo(verdict.mode, 'the containment guard cleared this release for dry-run only');
    run.recordMode(input.incident.key);
  }
  return verdict.approvedBy;
}

async function markReleased(record: AccessKeyRecord | RoleSessionsRecord, what: string, approvedBy: string, { input, deps, log, now }: ReleaseContext, claims?: KeyClaims): Promise<'released' | 'changed'> {
  const marked = await deps.records.markReleased(
    record,
    {
      releasedAt: now().toISOString(),
      releasedBy: approvedBy,
      ...(input.request?.requestedBy !== undefined ? { releaseRequestedBy: input.request.requestedBy } : {}),
      ...(input.request?.reason != null ? { releaseReason: input.request.reason } : {}),
    },
    claims,
  );
  log.record(
    'firebreak:record-credential',
    what,
    marked === 'released' ? 'done' : 'skipped',
    marked === 'released' ? `Marked the record of ${what} released by ${approvedBy}` : `The record of ${what} changed since it was read (another run or incident): not marked`,
  );
  return marked;
}

/** Another incident holds the key too: only this incident's hold is taken back, nothing changes in IAM. */
async function takeBackHold(record: AccessKeyRecord, claims: KeyClaims, others: readonly string[], base: Omit<CredentialRelease, 'outcome'>, context: ReleaseContext): Promise<CredentialRelease> {
  const { input, deps, log, run } = context;
  const { accessKeyId } = record;
  const incidentKey = input.incident.key;
  const holders = `incident ${others.join(', incident ')} still ${others.length === 1 ? 'holds' : 'hold'} ${accessKeyId} contained`;
  if (run.mode === 'dry-run') {
    log.record('firebreak:record-credential', accessKeyId, 'would-do', `Would take back incident ${incidentKey}'s hold on ${accessKeyId}: ${holders}, so it stays as it is`);
    return { ...base, outcome: 'would-release', reason: `${holders}: only incident ${incidentKey}'s hold would be taken back` };
  }
  const taken = await deps.records.takeBackClaim(record, incidentKey, claims);
  if (taken === 'changed') {
    const reason = `the record of ${accessKeyId} changed since it was read (another incident claimed the key, or another release took back its hold): nothing changed; start the release again`;
    log.record('firebreak:record-credential', accessKeyId, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}`);
    return { ...base, outcome: 'refused', reason };
  }
  const reason = `${holders}: only incident ${incidentKey}'s hold was taken back, and the key stays as it is until the release of the last incident holding it`;
  log.record('firebreak:record-credential', accessKeyId, 'done', `${holdTakenBackDetailStart(accessKeyId, incidentKey)} ${holders}, so nothing changed in IAM`);
  return { ...base, outcome: 'claim-released', reason };
}

async function releaseKey({ record, claims, denyAllHandover: handover }: TrustedRead<AccessKeyRecord>, base: Omit<CredentialRelease, 'outcome'>, context: ReleaseContext, approvedBy: string): Promise<CredentialRelease> {
  const { deps, log, input } = context;
  const dryRun = context.run.mode === 'dry-run';
  const { accessKeyId, account } = record;
  let { userName } = record;
  const iam = await deps.clients.iam({ account, region: input.incident.region });
  const listed = await readOrMissing('iam:ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: userName })));
  let keys: readonly AccessKeyMetadata[] = listed === 'missing' ? [] : (listed.AccessKeyMetadata ?? []);
  const refuse = (reason: string): CredentialRelease => {
    log.record('firebreak:check-credential', accessKeyId, 'skipped', `${reason}; nothing changed`);
    return { ...base, outcome: 'refused', reason };
  };
  // Set when IAM knows no user of the record's name and the key leads to its owner now.
  let renamed: string | undefined;
  if (listed === 'missing') {
    // IAM knows no user of the record's name: renamed back or again since Firebreak contained it
    // (keys never change owner, and a deleted user's keys go with it). The key is followed as the
    // guard and disable-access-key follow it (renamed-key-owner.ts): its owner now must list it, and
    // the rails of the record's name apply to the new name before any call on it (row 11u).
    const followed = await followRecordedKey(iam, { account, userName, accessKeyId }, context.rails);
    if ('refused' in followed) return refuse(followed.refused);
    const { renamed: { to }, sentence } = followed;
    // AWSDenyAll and the user's key list are recorded under the record's name: a person detaches it.
    if (denyAllDuty({ record, denyAllHandover: handover }) !== undefined) {
      return refuse(denyAllOfRenamedUser(userName, to, sentence));
    }
    log.record(RENAMED_USER_ACTION, userName, 'observed', `${sentence}: released under its current name ${to}`);
    renamed = `${sentence}: re-activated under its current name ${to}`;
    userName = to;
    keys = followed.renamed.keys;
  }
  const found = keys.find((k) => k.AccessKeyId === accessKeyId);
  if (found === undefined) return refuse(`${accessKeyId} is no longer one of user ${userName}'s access keys (deleted since?): nothing to re-activate`);
  // A drill's: the opt-in of the user whose key this is and whose key and policies change, under the
  // name IAM knows it by now (a user renamed since the drill is followed above, row 11u), never the
  // record's name alone, which IAM may no longer know (row 1zc).
  const notATarget = await drillRefusal({ kind: 'user', name: userName, account }, context);
  if (notATarget !== undefined) return refuse(notATarget);
  let keyStatus: 'Active' | 'Inactive' = found.Status === 'Active' ? 'Active' : 'Inactive';
  let activated = false;
  if (!record.deactivated) {
    log.record('iam:UpdateAccessKey', accessKeyId, 'skipped', `${accessKeyId} was ${record.previousStatus} before Firebreak acted (the record says so): Firebreak did not deactivate it and does not re-activate it`);
  } else if (keyStatus === 'Active') {
    log.record('iam:UpdateAccessKey', accessKeyId, 'already-done', `${accessKeyId} of user ${userName} is Active already`);
  } else {
    const updated = await mutateUnprobed(dryRun ? 'dry-run' : 'enforce', 'iam:UpdateAccessKey', accessKeyId, `make access key ${accessKeyId} of user ${userName} Active again (Firebreak set it Inactive for incident ${record.incidentKey})`, () =>
      iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Active' })),
    );
    log.record(updated.action.api, updated.action.target, updated.action.outcome, updated.action.detail);
    if (!dryRun) {
      keyStatus = 'Active';
      activated = true;
    }
  }
  const userKeys = keyIdsOf(keys);
  const denyAll = await releaseDenyAll(record, handover, userKeys, iam, context);
  if (denyAll.refused !== undefined) return { ...base, outcome: 'refused', reason: denyAll.refused, keyStatus };
  // A renamed user's release says both names (AWSDenyAll, kept or detached, is never in play then).
  const kept = renamed !== undefined ? { reason: renamed } : denyAll.kept !== undefined ? { reason: denyAll.kept } : {};
  if (dryRun) return { ...base, outcome: 'would-release', keyStatus, ...kept };
  const marked = await markReleased(record, `access key ${accessKeyId}`, approvedBy, context, claims);
  if (marked === 'changed' && (activated || denyAll.detached === true)) {
    // Under the name IAM knows the user by now (a renamed user's record keeps its old name).
    const undone = await undoAfterNewClaim({ ...record, userName }, claims, { activated, denyAllDetached: denyAll.detached === true }, iam, context);
    if (undone !== undefined) return { ...base, outcome: 'refused', reason: undone, keyStatus: activated ? 'Inactive' : keyStatus };
  }
  return { ...base, outcome: 'released', keyStatus, ...kept };
}

/**
 * The key was claimed while this release ran (after it read the record, before its mark): another
 * incident, or a new execution of this one, found the key contained, and counts on it so; the
 * conditional mark failed. Every change this release made is undone (the key Inactive again,
 * AWSDenyAll attached again), so that the key stays contained for that incident, and the release is
 * refused: the claim's own release (the last holder's) is the one to re-activate it. The key was
 * Active for the moments in between. Undefined when the record changed for another reason (a duty
 * handed over, no new claim): what the release did stands.
 */
async function undoAfterNewClaim(
  record: AccessKeyRecord,
  read: KeyClaims,
  done: { readonly activated: boolean; readonly denyAllDetached: boolean },
  iam: IAMClient,
  { deps, log, input }: ReleaseContext,
): Promise<string | undefined> {
  const { userName, accessKeyId, account } = record;
  const now = await deps.records.get({ kind: 'access-key', account, accessKeyId });
  // Released (another release of the incident marked it) or unclaimed since: not this case.
  if (now === undefined || now.record.released === true || now.claims.lastClaimAt === read.lastClaimAt) return undefined;
  const claimers = now.claims.claims.filter((holder) => !now.claims.releasedClaims.includes(holder)).sort();
  const claimedBy = claimers.length > 0 ? `incident ${claimers.join(', incident ')}` : 'another incident';
  if (done.activated) {
    const inactive = await mutateUnprobed('enforce', 'iam:UpdateAccessKey', accessKeyId, `set access key ${accessKeyId} of user ${userName} Inactive again: ${claimedBy} claimed it while this release ran`, () =>
      iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' })),
    );
    log.record(inactive.action.api, inactive.action.target, inactive.action.outcome, inactive.action.detail);
  }
  if (done.denyAllDetached) {
    const policyArn = denyAllPolicyArn(input.incident.region, DENY_ALL_POLICY_NAME);
    const attached = await mutateUnprobed('enforce', 'iam:AttachUserPolicy', userName, `attach ${DENY_ALL_POLICY_NAME} to user ${userName} again: ${claimedBy} claimed the key while this release ran`, () =>
      iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
    );
    log.record(attached.action.api, attached.action.target, attached.action.outcome, attached.action.detail);
  }
  const undone = [done.activated ? `${accessKeyId} is Inactive again` : '', done.denyAllDetached ? `${DENY_ALL_POLICY_NAME} is attached to user ${userName} again` : ''].filter((part) => part !== '').join(' and ');
  return `${claimedBy} claimed ${accessKeyId} while this release ran (after it read the record): ${undone}, and the record stays unreleased; the key is released with the last incident holding it (a new release and approval)`;
}

/**
 * AWSDenyAll, when this key's release is the one to detach it: the key's record says Firebreak
 * attached it, or another key's release handed that duty over (with the sealed record that says so).
 * AWSDenyAll is the user's, not the key's: while another key of the user has an unreleased record,
 * an incident holding that key counts on it too, so it stays and the duty goes over to that record;
 * a record of that key that does not verify keeps it attached too (fail safe: whether an incident
 * still counts on it is not known), and a person detaches it after looking. `kept` says why it stays;
 * `refused`, why nothing may be marked (the other record changed since it was read).
 */
async function releaseDenyAll(
  record: AccessKeyRecord,
  handover: DenyAllHandover | undefined,
  userKeys: readonly string[],
  iam: IAMClient,
  context: ReleaseContext,
): Promise<{ readonly kept?: string; readonly refused?: string; readonly detached?: true }> {
  const { deps, log, input } = context;
  const dryRun = context.run.mode === 'dry-run';
  const { userName, accessKeyId } = record;
  const duty = denyAllDuty({ record, denyAllHandover: handover });
  if (duty !== undefined && 'untrusted' in duty) {
    const reason = `the duty to detach ${DENY_ALL_POLICY_NAME} from user ${userName}, handed over to the record of ${accessKeyId} (by incident ${duty.by}'s release), is not trusted (${duty.untrusted}): ${DENY_ALL_POLICY_NAME} stays attached; a person looks and detaches it by hand`;
    log.record('iam:DetachUserPolicy', userName, 'skipped', capitalize(reason));
    return { kept: reason };
  }
  if (duty === undefined) return {};
  const { proof } = duty;
  const policyArn = denyAllPolicyArn(input.incident.region, DENY_ALL_POLICY_NAME);
  const attached = await sendReadOnly('iam:ListAttachedUserPolicies', () => iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName })));
  if (!(attached.AttachedPolicies ?? []).some((p) => p.PolicyArn === policyArn)) {
    log.record('iam:DetachUserPolicy', userName, 'already-done', `${DENY_ALL_POLICY_NAME} is no longer attached to user ${userName}`);
    return {};
  }
  const need = await otherKeyNeedingDenyAll(deps.records, record, userKeys);
  if (need !== undefined) {
    const { other, read } = need;
    if (!need.trusted) {
      const why = read.verdict.valid ? `it names user ${read.record.userName}` : read.verdict.reason;
      const reason = `${DENY_ALL_POLICY_NAME} stays attached to user ${userName}: the record of the user's other key ${other} is not trusted (${why}), so whether an incident still counts on ${DENY_ALL_POLICY_NAME} is not known; a person looks at that record and detaches ${DENY_ALL_POLICY_NAME} by hand`;
      log.record('iam:DetachUserPolicy', userName, 'skipped', capitalize(reason));
      return { kept: reason };
    }
    const { holders } = need;
    const holding = `incident ${holders.join(', incident ')}`;
    const deleted = need.listedByIam
      ? ''
      : ` (IAM no longer lists ${other}: deleted since, so its release cannot detach ${DENY_ALL_POLICY_NAME}; a person detaches it once ${holding} ${holders.length > 1 ? 'are' : 'is'} closed)`;
    const reason = `${DENY_ALL_POLICY_NAME} stays attached to user ${userName}: ${holding} still ${holders.length > 1 ? 'hold' : 'holds'} the user's other key ${other} contained, and ${DENY_ALL_POLICY_NAME} is the user's; the duty to detach it ${dryRun ? 'would be' : 'is'} handed over to the record of ${other}, whose release detaches it${deleted}`;
    if (dryRun) {
      log.record('iam:DetachUserPolicy', userName, 'skipped', capitalize(reason));
      return { kept: reason };
    }
    const handed = await deps.records.handOverDenyAll(read.record, input.incident.key, proof);
    if (handed === 'changed') {
      const refused = `the record of the user's other key ${other} changed since it was read (released or replaced since): ${DENY_ALL_POLICY_NAME} stays attached and the record of ${accessKeyId} is not marked released; start the release again`;
      log.record('iam:DetachUserPolicy', userName, 'skipped', capitalize(refused));
      return { refused };
    }
    log.record('firebreak:record-credential', other, 'done', `Handed the duty to detach ${DENY_ALL_POLICY_NAME} from user ${userName} over to the record of ${other} (incident ${read.record.incidentKey}), with the sealed record that says Firebreak attached it (incident ${proof.incidentKey})`);
    log.record('iam:DetachUserPolicy', userName, 'skipped', capitalize(reason));
    return { kept: reason };
  }
  const why = proof === record ? `Firebreak attached it for incident ${record.incidentKey}` : `Firebreak attached it for incident ${proof.incidentKey}, and incident ${handover?.by ?? 'unknown'}'s release handed the duty to detach it over to ${accessKeyId}`;
  const detached = await mutateUnprobed(dryRun ? 'dry-run' : 'enforce', 'iam:DetachUserPolicy', userName, `detach ${DENY_ALL_POLICY_NAME} from user ${userName} (${why})`, () =>
    iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
  );
  log.record(detached.action.api, detached.action.target, detached.action.outcome, detached.action.detail);
  return dryRun ? {} : { detached: true };
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

async function releaseRole(record: RoleSessionsRecord, base: Omit<CredentialRelease, 'outcome'>, context: ReleaseContext, approvedBy: string): Promise<CredentialRelease> {
  const { deps, log, input, now } = context;
  const dryRun = context.run.mode === 'dry-run';
  const { roleName, account, policyName, issuedBefore } = record;
  const expires = roleDenyDeletableAt(issuedBefore);
  if (now().getTime() < expires) {
    const reason = `the deny on ${roleName} still holds back sessions issued before ${issuedBefore}, which may be valid until ${new Date(expires).toISOString()} (12 hours, the longest role session): deleting it now would make a stolen session work again; release again after that time`;
    log.record('iam:DeleteRolePolicy', roleName, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}; nothing changed`);
    return { ...base, outcome: 'refused', reason };
  }
  const iam: IAMClient = await deps.revokerClients.iam({ account, region: input.incident.region });
  // The same read and rule as the preview the approver was shown (role-deny-release.ts).
  const deny = await readRoleDeny(iam, record);
  if (deny.state === 'absent') {
    log.record('iam:DeleteRolePolicy', roleName, 'already-done', `Role ${roleName} has no inline policy ${policyName} any more`);
  } else if (deny.state === 'rewritten') {
    const reason = `the inline policy ${policyName} of ${roleName} is not the one recorded (cut-off ${issuedBefore}): it was rewritten since (quarantine-instance or another incident) and stays`;
    log.record('iam:DeleteRolePolicy', roleName, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}; nothing changed`);
    return { ...base, outcome: 'refused', reason };
  } else {
    const deleted = await mutateUnprobed(dryRun ? 'dry-run' : 'enforce', 'iam:DeleteRolePolicy', roleName, `delete the inline policy ${policyName} of role ${roleName} (the deny of sessions issued before ${issuedBefore}, written for incident ${record.incidentKey})`, () =>
      iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
    );
    log.record(deleted.action.api, deleted.action.target, deleted.action.outcome, deleted.action.detail);
  }
  if (dryRun) return { ...base, outcome: 'would-release' };
  await markReleased(record, `role ${roleName}`, approvedBy, context);
  return { ...base, outcome: 'released' };
}

/** A step's input, and whether it asks only for the preview shown before the approval (release-credentials-preview.ts). */
export type ReleaseCredentialsInvocation = ResponderInput<ReleaseCredentialsOptions> & { readonly preview: boolean };

const stepInput = stepResponder(releaseCredentialsOptionsSchema, releaseCredentials);

/**
 * release-credentials as the responder runtime runs it: the step (the release, after its approval),
 * or, with `preview: true` in the payload (the playbook's Preview-<step> state, before the approval),
 * a read of what the release would do that changes nothing. `preview` is a claim like the rest of the
 * payload, and a harmless one: it can only make the function read instead of act.
 */
export const releaseCredentialsResponder: Responder<ReleaseCredentialsInvocation, ReleaseCredentialsDeps, ReleaseCredentialsResult | ReleasePreviewResult> = {
  parse: (event) => {
    if (event === null || typeof event !== 'object' || !Object.hasOwn(event, 'preview')) return { ...stepInput.parse(event), preview: false };
    const { preview, ...step } = event as Record<string, unknown>;
    if (preview !== true) throw new ResponderInputError('Invalid responder input: input.preview: only true (a read before the approval) is accepted');
    return { ...stepInput.parse(step), preview: true };
  },
  incidentKey: (input) => input.incident.key,
  run: ({ preview, ...input }, deps) => (preview ? previewCredentialRelease(input, deps) : releaseCredentials(input, deps)),
};
export type ReleaseCredentialsHandlerDeps = HandlerDeps<ReleaseCredentialsDeps>;
export const createReleaseCredentialsHandler = (deps: ReleaseCredentialsHandlerDeps): ResponderHandler<ReleaseCredentialsResult | ReleasePreviewResult> =>
  createResponderHandler(releaseCredentialsResponder, deps);
