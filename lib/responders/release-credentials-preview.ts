/**
 * What a release of an access key or a role will and will not do, read before its approval is asked
 * for: the release-credentials Lambda, invoked with `preview: true` by the playbook's `Preview-<step>`
 * state (lib/playbooks/compile.ts) just before WaitForApproval, reads the credential's sealed record
 * (verified as the release verifies it: seal, key, incident). For a key: the incidents holding it,
 * and, when this release would be the one to detach AWSDenyAll, the records of the user's other keys
 * (as releaseDenyAll reads them). For a role: whether the record is still this incident's (a later
 * containment of the role replaces it), and the role's session deny now, compared with the record
 * (role-deny-release.ts, as releaseRole reads it: quarantine-instance may have rewritten it since).
 * publish-alert shows the result in the approval request (alert-credential-release.ts): an approver
 * learns, before approving, that the key stays Inactive while other incidents hold it, that
 * AWSDenyAll stays for another key's incident, or whether the role's deny is deleted or stays.
 *
 * Read only: no IAM change, no table write, no grant or approval read; the calls are those the
 * release itself makes (GetItem and kms:VerifyMac on the state table's records, iam:ListAccessKeys
 * through the member role, and iam:GetAccessKeyLastUsed for a user IAM no longer knows by the record's
 * name, row 11aa; iam:GetRolePolicy through the session-revoker role; for a drill, the opt-in the release
 * reads, iam:ListUserTags or iam:GetRole, row 1zc), so the preview needs
 * no permission the release lacks. A `preview` field
 * someone puts in a direct invocation only makes the function read. What it reads is true when it
 * reads it: the release reads everything again when it acts, and the approval request says so.
 */
import { GetRoleCommand, ListAccessKeysCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { RESPONDER_NAMES } from '../contracts/responders';
import { SECURITY_TAGS } from '../contracts/security';
import { tagRecord } from '../aws/describe-instance';
import type { Incident } from '../incident/model';
import { affectedResources } from '../incident/affected';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import type { ActionLog } from './action-log';
import { credentialRailsOf, refusalBeforeAnyCall } from './credential-rails';
import type { IamClients } from '../aws/clients/iam';
import type { AccessKeyRecord, CredentialRecordStore, ReadCredentialRecord, RoleSessionsRecord } from './credential-records';
import type { DeploymentEnvironment } from './effective-mode';
import type { IncidentLogger } from './logging';
import { keyHolders } from './credential-records';
import { denyAllDuty, otherKeyNeedingDenyAll } from './deny-all-duty';
import { readOrMissing, releaseNotShown, rolesNamed } from './credential-targets';
import { followKeyToRenamedUser, keyIdsOf } from './renamed-key-owner';
import type { RenamedKeyOwner } from './renamed-key-owner';
import type { CredentialRails } from './credential-rails';
import { RENAMED_USER_ACTION } from './model';
import { DENY_ALL_POLICY_NAME } from '../playbooks/credential-options';
import { readRoleDeny, roleDenyDeletableAt } from './role-deny-release';
import type { ResponderResult } from './model';
import type { ResponderInput } from './responder-input';
import { ResponderRun } from './responder-run';
import { isGameDayIncident } from './game-day';
import { gameDayForbids } from './tag-rules';

/** The most incidents a preview lists per key (the count says how many): the result rides in the execution's state. */
export const MAX_PREVIEW_HOLDERS = 10;
/** The most characters kept of one incident key read from the table (Firebreak's keys are far shorter). */
const MAX_HOLDER_LENGTH = 128;
/** The most characters kept of a reason (an SDK error's message, a seal verdict). */
const MAX_REASON_LENGTH = 300;

/**
 * What the key's record said when it was read: `held` (it verifies, is unreleased, and the release's
 * incident holds the key), `no-record`, `released`, `not-held` (other incidents hold it, not this
 * one), `untrusted` (it does not verify, or names another user), `unreadable` (a read failed),
 * `refused` (the release refuses before reading: a privileged user, an account not served, the key
 * no longer the user's).
 */
export type KeyRecordState = 'held' | 'no-record' | 'released' | 'not-held' | 'untrusted' | 'unreadable' | 'refused';

/**
 * What becomes of AWSDenyAll when this release is the last holder's and Firebreak attached it (the
 * record says so, or another key's release handed the duty over): `detach` (no other key of the
 * user has an unreleased record), `stays` (the user's other key `otherKey` has an unreleased record
 * whose incidents hold it: the duty goes over to it), `stays-untrusted` (that record, or the duty
 * handed over, does not verify: a person detaches it by hand).
 */
export interface DenyAllPreview {
  readonly outcome: 'detach' | 'stays' | 'stays-untrusted';
  /** The incident whose sealed record says Firebreak attached it. */
  readonly attachedFor?: string;
  readonly otherKey?: string;
  readonly holders?: readonly string[];
  readonly holderCount?: number;
  /** IAM no longer lists `otherKey` (deleted since): its release is refused, so a person detaches AWSDenyAll. */
  readonly otherKeyDeleted?: true;
  readonly reason?: string;
}

/** One access key's release as its records said when the approval was asked for. */
export interface KeyReleasePreview {
  readonly kind: 'access-key';
  readonly accessKeyId: string;
  readonly userName?: string;
  readonly record: KeyRecordState;
  readonly reason?: string;
  /** `held`: the incidents other than the release's holding the key (bounded); `not-held`: those holding it. */
  readonly holders?: readonly string[];
  readonly holderCount?: number;
  /** `held` by this incident only: whether Firebreak set the key Inactive (then the release makes it Active again). */
  readonly deactivated?: boolean;
  /** `held` by this incident only, and Firebreak attached AWSDenyAll: what becomes of it. */
  readonly denyAll?: DenyAllPreview;
}

/**
 * One role's release as its record and IAM said when the approval was asked for. `record` as for a
 * key; `held` means the record verifies, is unreleased and is the release's incident's; `not-held`,
 * that it is another incident's (`holders`: it contained the role since and wrote a new cut-off: its
 * release deletes the deny).
 */
export interface RoleReleasePreview {
  readonly kind: 'role-sessions';
  readonly roleName: string;
  readonly record: KeyRecordState;
  readonly reason?: string;
  readonly holders?: readonly string[];
  readonly holderCount?: number;
  /** `held`: the deny the record names: its inline policy and its cut-off. */
  readonly policyName?: string;
  readonly issuedBefore?: string;
  /** `held`: the earliest the release deletes the deny (12 hours after the cut-off); a release acting before refuses. */
  readonly deletableAt?: string;
  /** `held`: the role's deny now (role-deny-release.ts); absent when it could not be read (`reason` says why). */
  readonly deny?: 'absent' | 'recorded' | 'rewritten';
  /** `rewritten`: the cut-off of the deny now, when it is Firebreak's deny with another cut-off. */
  readonly cutOffNow?: string;
}

export interface ReleasePreviewResult extends ResponderResult<'previewed'> {
  readonly preview: {
    /** When the records were read. */
    readonly readAt: string;
    /** Why the release will refuse whatever the records say (it names several credentials), when it will. */
    readonly refused?: string;
    readonly keys: readonly KeyReleasePreview[];
    readonly roles: readonly RoleReleasePreview[];
  };
}

/** What the preview needs of release-credentials' dependencies: the records it reads (`get` and the user's list of keys only: it writes nothing), IAM to list the user's keys and to read a role's deny. */
export interface ReleasePreviewDeps {
  readonly clients: IamClients;
  /** The session-revoker role, through which the release reads (and deletes) a role's deny. */
  readonly revokerClients: IamClients;
  readonly records: Pick<CredentialRecordStore, 'get' | 'userKeys'>;
  readonly logger: IncidentLogger;
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

const bounded = (keys: readonly string[]) => keys.slice(0, MAX_PREVIEW_HOLDERS).map((key) => key.slice(0, MAX_HOLDER_LENGTH));
const reasonOf = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, MAX_REASON_LENGTH);

/** Reads what the release of the incident's access key would do, changing nothing. */
export async function previewCredentialRelease(input: ResponderInput<unknown>, deps: ReleasePreviewDeps): Promise<ReleasePreviewResult> {
  const { incident } = input;
  const run = new ResponderRun<'previewed'>({ responder: RESPONDER_NAMES.releaseCredentials, incident, requestedMode: input.mode, logger: deps.logger, environment: deps.environment, now: deps.now, replayStatuses: [] });
  const { log } = run;
  const readAt = run.now().toISOString();
  const finish = run.finisher<ReleasePreviewResult>({ preview: { readAt, keys: [], roles: [] } }, (result) => ({
    keys: result.preview.keys.map((k) => ({ id: k.accessKeyId, record: k.record })),
    roles: result.preview.roles.map((r) => ({ id: r.roleName, record: r.record, deny: r.deny })),
  }));
  const keys = affectedResources(incident).filter((r): r is Extract<typeof r, { kind: 'access-key' }> => r.kind === 'access-key' && !r.temporary);
  const roles = rolesNamed(incident);
  const named = keys.length + roles.length;
  if (named > 1) {
    const refused = `the release names ${named} credentials, and a release undoes one: it will refuse and change nothing`;
    log.record('firebreak:preview-release', incident.key, 'observed', refused);
    return finish('previewed', { preview: { readAt, refused, keys: [], roles: [] } });
  }
  // As the release refuses it (row 11ac): the approval request must not promise a release of another credential.
  const notShown = releaseNotShown(incident, keys, roles);
  if (notShown !== undefined) {
    const refused = `${notShown}: it will refuse and change nothing`;
    log.record('firebreak:preview-release', incident.key, 'observed', refused);
    return finish('previewed', { preview: { readAt, refused, keys: [], roles: [] } });
  }
  const previews: KeyReleasePreview[] = [];
  for (const key of keys) {
    const account = key.account ?? incident.account;
    const base = { kind: 'access-key' as const, accessKeyId: key.accessKeyId, ...(key.userName !== undefined ? { userName: key.userName } : {}) };
    let preview: KeyReleasePreview;
    try {
      preview = await previewKey(base, account, input, deps, log);
    } catch (error) {
      preview = { ...base, record: 'unreadable', reason: reasonOf(error) };
    }
    log.record('firebreak:preview-release', key.accessKeyId, 'observed', `Before the approval: the record of ${key.accessKeyId} is ${preview.record}${preview.holderCount !== undefined ? `, ${preview.holderCount} other incident(s) holding the key` : ''}${preview.denyAll !== undefined ? `, AWSDenyAll ${preview.denyAll.outcome}` : ''}${preview.reason !== undefined ? ` (${preview.reason})` : ''}`);
    previews.push(preview);
  }
  const rolePreviews: RoleReleasePreview[] = [];
  for (const role of roles) {
    const base = { kind: 'role-sessions' as const, roleName: role.roleName.slice(0, MAX_HOLDER_LENGTH) };
    let preview: RoleReleasePreview;
    try {
      preview = await previewRole(base, role, input, deps, log);
    } catch (error) {
      preview = { ...base, record: 'unreadable', reason: reasonOf(error) };
    }
    log.record('firebreak:preview-release', base.roleName, 'observed', `Before the approval: the record of role ${base.roleName} is ${preview.record}${preview.deny !== undefined ? `, its deny ${preview.deny}` : ''}${preview.reason !== undefined ? ` (${preview.reason})` : ''}`);
    rolePreviews.push(preview);
  }
  return finish('previewed', { preview: { readAt, keys: previews, roles: rolePreviews } });
}

/** A user or role whose game-day opt-in a drill's release reads, where it lives. */
export interface DrillPrincipal {
  readonly kind: 'user' | 'role';
  readonly name: string;
  readonly account: string;
}

/**
 * Why a drill may not release this user or role, as IAM tags it now, or undefined (a real incident's
 * release reads nothing). A drill contains only a principal that opts in (refusalByTags), and its
 * release, whose approval request says [GAME DAY] (an exercise), must not undo a containment of one
 * its owner took out of drills since (back in production, its key rotated out and left Inactive
 * on purpose), as release-instance and release-s3-object refuse an instance or object that no
 * longer opts in. The user is read through the member role, where its keys change; the role through
 * the session-revoker role, which reads it for the deny. The release reads it where it acts, and its
 * preview as the release will, so that the approval request does not promise what the release then
 * refuses (rows 1z, 1zc).
 */
export async function drillOptInRefusal(
  principal: DrillPrincipal,
  incident: Pick<Incident, 'gameDay' | 'key' | 'region'>,
  deps: Pick<ReleasePreviewDeps, 'clients' | 'revokerClients'>,
  log: ActionLog,
): Promise<string | undefined> {
  if (!isGameDayIncident(incident)) return undefined;
  const where = { account: principal.account, region: incident.region };
  const api = principal.kind === 'user' ? 'iam:ListUserTags' : 'iam:GetRole';
  const read = await readOrMissing(api, async () => {
    if (principal.kind === 'user') {
      const iam = await deps.clients.iam(where);
      return tagRecord((await iam.send(new ListUserTagsCommand({ UserName: principal.name }))).Tags);
    }
    const iam = await deps.revokerClients.iam(where);
    return tagRecord((await iam.send(new GetRoleCommand({ RoleName: principal.name }))).Role?.Tags);
  });
  const { key, value } = SECURITY_TAGS.gameDayTarget;
  if (read === 'missing') return `game-day incident ${incident.key}: IAM knows no ${principal.kind} ${principal.name} in account ${principal.account}, so its game-day opt-in cannot be verified and a drill may not release it`;
  if (!gameDayForbids(true, read)) {
    log.record(api, principal.name, 'observed', `${principal.kind} ${principal.name} carries the tag ${key}=${value} in IAM now: a drill may release it`);
    return undefined;
  }
  return `game-day incident ${incident.key}: ${principal.kind} ${principal.name} does not carry the tag ${key}=${value} in IAM now, so a drill may not release it (its owner took it out of drills since the drill contained it)`;
}

/** What the release of the role will do, as releaseCredentials and releaseRole (release-credentials.ts) will decide it: the same rails, record checks and read of the deny. */
async function previewRole(
  base: Pick<RoleReleasePreview, 'kind' | 'roleName'>,
  { roleName, account }: { readonly roleName: string; readonly account: string },
  { incident }: ResponderInput<unknown>,
  deps: ReleasePreviewDeps,
  log: ActionLog,
): Promise<RoleReleasePreview> {
  if (!RESOURCE_ID_FORMAT.iamName.test(roleName)) return { ...base, record: 'refused', reason: `${JSON.stringify(roleName.slice(0, 64))} is not an IAM role name` };
  const before = refusalBeforeAnyCall('role', roleName, account, credentialRailsOf(deps.environment ?? process.env, RESPONDER_NAMES.releaseCredentials));
  if (before !== undefined) return { ...base, record: 'refused', reason: before };
  const read: ReadCredentialRecord<RoleSessionsRecord> | undefined = await deps.records.get({ kind: 'role-sessions', account, roleName });
  if (read === undefined) return { ...base, record: 'no-record' };
  if (!read.verdict.valid) return { ...base, record: 'untrusted', reason: read.verdict.reason.slice(0, MAX_REASON_LENGTH) };
  if (read.record.released === true) return { ...base, record: 'released' };
  // One record per role: a later containment of the role (another incident) replaced it, and the deny is that incident's to release.
  if (read.record.incidentKey !== incident.key) return { ...base, record: 'not-held', holders: bounded([read.record.incidentKey]), holderCount: 1 };
  const { policyName, issuedBefore } = read.record;
  const deletableAt = roleDenyDeletableAt(issuedBefore);
  const held: RoleReleasePreview = {
    ...base,
    record: 'held',
    policyName: policyName.slice(0, MAX_HOLDER_LENGTH),
    issuedBefore: issuedBefore.slice(0, MAX_HOLDER_LENGTH),
    ...(Number.isFinite(deletableAt) ? { deletableAt: new Date(deletableAt).toISOString() } : {}),
  };
  // A drill's release reads the role's opt-in before its deny, as the release will (drillOptInRefusal).
  const refused = await drillOptInRefusal({ kind: 'role', name: roleName, account }, incident, deps, log);
  if (refused !== undefined) return { ...base, record: 'refused', reason: refused };
  try {
    const iam = await deps.revokerClients.iam({ account, region: incident.region });
    const deny = await readRoleDeny(iam, read.record);
    log.record('iam:GetRolePolicy', roleName, 'observed', `The inline policy ${policyName} of role ${roleName} is ${deny.state === 'recorded' ? `the deny recorded (cut-off ${issuedBefore})` : deny.state}`);
    return { ...held, deny: deny.state, ...('cutOff' in deny && deny.cutOff !== undefined ? { cutOffNow: deny.cutOff.slice(0, MAX_HOLDER_LENGTH) } : {}) };
  } catch (error) {
    return { ...held, reason: reasonOf(error) };
  }
}

async function previewKey(
  base: Pick<KeyReleasePreview, 'kind' | 'accessKeyId' | 'userName'>,
  account: string,
  { incident }: ResponderInput<unknown>,
  deps: ReleasePreviewDeps,
  log: ActionLog,
): Promise<KeyReleasePreview> {
  const { userName, accessKeyId } = base;
  if (userName === undefined || !RESOURCE_ID_FORMAT.iamName.test(userName)) return { ...base, record: 'refused', reason: `${accessKeyId} is not named with its IAM user` };
  const rails = credentialRailsOf(deps.environment ?? process.env, RESPONDER_NAMES.releaseCredentials);
  const before = refusalBeforeAnyCall('user', userName, account, rails);
  if (before !== undefined) return { ...base, record: 'refused', reason: before };
  const read = await deps.records.get({ kind: 'access-key', account, accessKeyId });
  if (read === undefined) return { ...base, record: 'no-record' };
  if (!read.verdict.valid) return { ...base, record: 'untrusted', reason: read.verdict.reason.slice(0, MAX_REASON_LENGTH) };
  if (read.record.released === true) return { ...base, record: 'released' };
  if (read.record.userName !== userName) return { ...base, record: 'untrusted', reason: `it names user ${read.record.userName.slice(0, 64)}, not ${userName}` };
  const holders = keyHolders(read.record, read.claims);
  if (!holders.includes(incident.key)) return { ...base, record: 'not-held', holders: bounded(holders), holderCount: holders.length };
  const others = holders.filter((holder) => holder !== incident.key);
  // Another incident holds the key too: the release takes back only this incident's hold and changes nothing in IAM.
  // A drill's release reads the opt-in of the user it releases, as the release will (drillOptInRefusal).
  const notATarget = (name: string) => drillOptInRefusal({ kind: 'user', name, account }, incident, deps, log);
  if (others.length > 0) {
    const refused = await notATarget(userName);
    return refused !== undefined ? { ...base, record: 'refused', reason: refused } : { ...base, record: 'held', holders: bounded(others), holderCount: others.length };
  }
  const iam = await deps.clients.iam({ account, region: incident.region });
  const listed = await readOrMissing('iam:ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: userName })));
  if (listed === 'missing') {
    // IAM knows no user of the record's name: the release follows the key to its owner now and
    // re-activates it under that name (row 11u), so the request must say so, both names, and not that
    // it refuses (row 11aa). The same follow, rails and refusals as the release's (releaseKey).
    const followed = await followRecordedKey(iam, { account, userName, accessKeyId }, rails);
    if ('refused' in followed) return { ...base, record: 'refused', reason: followed.refused };
    const { renamed: { to }, sentence } = followed;
    log.record(RENAMED_USER_ACTION, userName, 'observed', sentence);
    if (denyAllDuty(read) !== undefined) return { ...base, record: 'refused', reason: denyAllOfRenamedUser(userName, to, sentence) };
    const refused = await notATarget(to);
    if (refused !== undefined) return { ...base, record: 'refused', reason: refused };
    return { ...base, record: 'held', holders: [], holderCount: 0, deactivated: read.record.deactivated, reason: `${sentence}; approving releases it under its current name ${to}` };
  }
  const userKeys = keyIdsOf(listed.AccessKeyMetadata ?? []);
  log.record('iam:ListAccessKeys', userName, 'observed', `User ${userName} has ${userKeys.length} access key(s)`);
  if (!userKeys.includes(accessKeyId)) return { ...base, record: 'refused', reason: `${accessKeyId} is no longer one of user ${userName}'s access keys (deleted since?)` };
  const refused = await notATarget(userName);
  if (refused !== undefined) return { ...base, record: 'refused', reason: refused };
  const denyAll = await previewDenyAll(read, userKeys, deps);
  return { ...base, record: 'held', holders: [], holderCount: 0, deactivated: read.record.deactivated, ...(denyAll !== undefined ? { denyAll } : {}) };
}

/**
 * Follows a recorded key whose user IAM no longer knows by the record's name to its owner now, the
 * deployment's rails applied to the new name before any call on it (row 11u): the release's and its
 * preview's, so that the approval request says what the release will do (row 11aa). The refusal says
 * to release by hand; else the owner and the sentence naming both names.
 */
export async function followRecordedKey(
  iam: IAMClient,
  recorded: Pick<AccessKeyRecord, 'account' | 'userName' | 'accessKeyId'>,
  rails: CredentialRails,
): Promise<{ readonly refused: string } | { readonly renamed: RenamedKeyOwner; readonly sentence: string }> {
  const { account, accessKeyId } = recorded;
  const followed = await followKeyToRenamedUser(iam, recorded, (to) => refusalBeforeAnyCall('user', to, account, rails));
  if ('refused' in followed) return { refused: `${followed.refused} (the record's name: renamed or deleted since Firebreak contained ${accessKeyId}); release it by hand` };
  return { renamed: followed.renamed, sentence: renamedSinceContained(recorded, followed.renamed.to) };
}

/** The sentence of a recorded key followed to a user renamed since Firebreak contained it (row 11u), the release's and its preview's. */
export function renamedSinceContained({ account, userName, accessKeyId }: Pick<AccessKeyRecord, 'account' | 'userName' | 'accessKeyId'>, to: string): string {
  return `The record names user ${userName}, unknown to IAM in account ${account} now; access key ${accessKeyId} is user ${to}'s (GetAccessKeyLastUsed, ListAccessKeys): renamed since Firebreak contained it`;
}

/** Why the release of a renamed user's key refuses when AWSDenyAll is in play (recorded under the old name). */
export function denyAllOfRenamedUser(userName: string, to: string, sentence: string): string {
  return `${DENY_ALL_POLICY_NAME} was attached to user ${userName} by Firebreak (the record's name), whom IAM no longer knows (${sentence}): a person re-activates the key and detaches ${DENY_ALL_POLICY_NAME} from user ${to} by hand`;
}

/** What becomes of AWSDenyAll, as releaseDenyAll (release-credentials.ts) will decide it, or undefined when this release does not touch it. */
async function previewDenyAll(read: ReadCredentialRecord<AccessKeyRecord>, userKeys: readonly string[], deps: ReleasePreviewDeps): Promise<DenyAllPreview | undefined> {
  const duty = denyAllDuty(read);
  if (duty === undefined) return undefined;
  if ('untrusted' in duty) {
    return { outcome: 'stays-untrusted', reason: `the duty to detach it handed over by incident ${duty.by.slice(0, MAX_HOLDER_LENGTH)}'s release is not trusted (${duty.untrusted.slice(0, MAX_REASON_LENGTH)})` };
  }
  const attached = { attachedFor: duty.proof.incidentKey.slice(0, MAX_HOLDER_LENGTH) };
  // As releaseDenyAll decides it (deny-all-duty.ts): the same reads, the same rules.
  const need = await otherKeyNeedingDenyAll(deps.records, read.record, userKeys);
  if (need === undefined) return { outcome: 'detach', ...attached };
  if (!need.trusted) {
    const why = need.read.verdict.valid ? `it names user ${need.read.record.userName.slice(0, 64)}` : need.read.verdict.reason.slice(0, MAX_REASON_LENGTH);
    return { outcome: 'stays-untrusted', ...attached, otherKey: need.other, reason: `the record of the user's other key ${need.other} is not trusted (${why})` };
  }
  return { outcome: 'stays', ...attached, otherKey: need.other, holders: bounded(need.holders), holderCount: need.holders.length, ...(need.listedByIam ? {} : { otherKeyDeleted: true as const }) };
}
