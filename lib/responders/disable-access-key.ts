/**
 * disable-access-key: for a finding that names an IAM user's long-term access key (AKIA…:
 * UnauthorizedAccess:IAMUser/*, CredentialAccess:IAMUser/*, the Tor and malicious-IP callers, an
 * IAM attack sequence), set the key Inactive, and on request attach AWS's managed AWSDenyAll policy
 * to the user. Never deletes: an Inactive key is evidence (CloudTrail names it) and can be made
 * Active again, as AWS's own "compromised IAM credentials" runbook does
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console).
 *
 * Each key, user and account the finding names is a claim: before any change the deployment's
 * rails are checked (credential-rails.ts: grant, served account, privileged names, protected and
 * game-day tags read from IAM now), and ListAccessKeys must show the key as the named user's.
 * Temporary (ASIA…) keys cannot be deactivated: revoke-role-sessions revokes their role's
 * sessions. IAM has no DryRun: in dry-run nothing is changed and each change says "would".
 *
 * Before the first change to a key, a sealed record of what the key was and what Firebreak changes
 * (credential-records.ts: its previous status, whether it is set Inactive now, whether AWSDenyAll is
 * attached now) is written once to the state table; a redelivery keeps the first record, so that
 * release-credentials re-activates only a key Firebreak itself deactivated.
 */
import { AttachUserPolicyCommand, GetUserCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { IamClients } from '../aws/clients/iam';
import { tagRecord } from '../aws/describe-instance';
import { RESPONDER_NAMES } from '../contracts/responders';
import { privilegedPathReason } from '../contracts/privileged-names';
import type { ResponderMode } from '../contracts/responder-mode';
import { affectedResources } from '../incident/affected';
import type { AffectedResource } from '../incident/model';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import { DENY_ALL_POLICY_NAME } from '../playbooks/credential-options';
import { disableAccessKeyOptions } from '../playbooks/disable-access-key-options';
import { readOrMissing } from './credential-targets';
import { followKeyToRenamedUser, keysOfAnotherOwner } from './renamed-key-owner';
import type { RenamedKeyOwner } from './renamed-key-owner';
import { RENAMED_USER_ACTION } from './model';
import type { CredentialRails } from './credential-rails';
import { findingAccountOf } from '../incident/finding-account';
import type { AccessKeyRecord, CredentialRecordSaver, KeyClaimAnswer } from './credential-records';
import { keyClaimedDetail } from './credential-records';
import { clearCredentialStep, denyAllPolicyArn, grantCovers, narrowToGrantedCredential, refusalBeforeAnyCall, refusalByTags } from './credential-rails';
import type { DeploymentEnvironment } from './effective-mode';
import { ResponderRun } from './responder-run';
import type { GrantReader } from './grants';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { sendReadOnly } from './mutating';
import type { PendingAction } from './pending-actions';
import { mutateUnprobed, recordAll } from './pending-actions';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import type * as z from '../contracts/zod-mini';

export const DISABLE_ACCESS_KEY_RESPONDER = RESPONDER_NAMES.disableAccessKey;
export const disableAccessKeyOptionsSchema = disableAccessKeyOptions;
export type DisableAccessKeyOptions = z.output<typeof disableAccessKeyOptionsSchema>;

export type DisableAccessKeyStatus = 'disabled' | 'already-inactive' | 'dry-run' | 'refused' | 'no-key' | 'skipped-sample';

/** What became of one access key the finding names. */
export interface AccessKeyOutcome {
  readonly accessKeyId: string;
  /** The user as IAM names it now: the finding's name, or the name the user was given since (renamedFrom). */
  readonly userName?: string;
  /** The finding's name for a user renamed since the finding, found again by its key (followKeyToRenamedUser). */
  readonly renamedFrom?: string;
  readonly account: string;
  /**
   * `disabled`: set Inactive now; `already-inactive`: it was (nothing changed); `would-disable`:
   * dry-run; `temporary`: an STS key, which only revoking its role's sessions stops; `refused` and
   * `not-found`: nothing changed, `reason` says why.
   */
  readonly outcome: 'disabled' | 'already-inactive' | 'would-disable' | 'temporary' | 'refused' | 'not-found';
  /** The key's status before this run, as IAM said (what a release would restore). */
  readonly previousStatus?: 'Active' | 'Inactive';
  /** With `denyAll`: whether AWSDenyAll was attached to the user now, already, or would be. */
  readonly denyAll?: 'attached' | 'already-attached' | 'would-attach';
  readonly reason?: string;
}

export interface DisableAccessKeyResult extends ResponderResult<DisableAccessKeyStatus> {
  readonly keys: readonly AccessKeyOutcome[];
  /** Set with status `refused` when the whole step was refused (no grant). */
  readonly refusal?: string;
}

export interface DisableAccessKeyDeps {
  /** IAM in the credential's account, through the member role. */
  readonly clients: IamClients;
  readonly logger: IncidentLogger;
  readonly grants: GrantReader;
  /** Where the sealed record of each change goes (the state table), read back by release-credentials. */
  readonly records: CredentialRecordSaver;
  /** FIREBREAK_MODE, the served accounts, the protected tag key, the privileged name patterns. @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

type AffectedKey = Extract<AffectedResource, { kind: 'access-key' }>;

/** Disables (Inactive, never deleted) every IAM user access key the incident names. */
export async function disableAccessKey(input: ResponderInput<DisableAccessKeyOptions>, deps: DisableAccessKeyDeps): Promise<DisableAccessKeyResult> {
  const { incident, options } = input;
  const run = new ResponderRun<DisableAccessKeyStatus>({
    responder: DISABLE_ACCESS_KEY_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger: deps.logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: ['already-inactive'],
  });
  const { log, now } = run;
  const done = run.finisher<DisableAccessKeyResult>({ keys: [] }, (result) => ({ keys: result.keys.map((k) => ({ accessKeyId: k.accessKeyId, outcome: k.outcome })) }));
  const finish = (status: DisableAccessKeyStatus, keys: readonly AccessKeyOutcome[] = [], extra: { readonly refusal?: string } = {}): DisableAccessKeyResult => done(status, { keys, ...extra });

  const named = affectedResources(incident).filter((r): r is AffectedKey => r.kind === 'access-key');
  if (named.length === 0) {
    log.record('firebreak:decide', incident.key, 'skipped', 'The finding names no access key: nothing to disable');
    return finish('no-key');
  }
  const clearance = await clearCredentialStep(run, input, 'keys', deps.grants, disableAccessKeyOptionsSchema);
  if (!clearance.cleared) return finish(clearance.status, [], clearance.refusal !== undefined ? { refusal: clearance.refusal } : {});
  const { rails, gameDay, only } = clearance;
  // A per-credential execution's grant names one credential: that one alone, whatever the input lists.
  const granted = named.filter((key) => grantCovers(only, { kind: 'access-key', account: key.account ?? incident.account, accessKeyId: key.accessKeyId }));
  const narrowed = narrowToGrantedCredential(log, only, { named: named.length, granted: granted.length }, { kind: 'access-key', aKind: 'an access key', noun: 'key', nothing: 'no key is disabled', notNamed: 'nothing is disabled' });
  if (narrowed?.stop === 'wrong-kind') return finish('no-key');
  if (narrowed?.stop === 'not-named') return finish('refused', [], { refusal: narrowed.refusal });
  const outcomes: AccessKeyOutcome[] = [];
  // One key after another: a finding names few, and two keys of one user share its deny-all.
  for (const key of granted) {
    const sameName = granted.filter((other) => other.userName === key.userName && (other.account ?? incident.account) === (key.account ?? incident.account)).map((other) => other.accessKeyId);
    const outcome = await disableOne(key, { incident, options, mode: run.mode, gameDay, rails, deps, executionArn: input.execution?.executionArn, capturedAt: now().toISOString(), now, sameName });
    recordAll(log, outcome.actions);
    outcomes.push(outcome.key);
  }
  return finish(overallStatus(run.mode, outcomes), outcomes);
}

/** The step's status from its keys: a change wins, then a refusal (a person must look), then "already". */
function overallStatus(mode: ResponderMode, keys: readonly AccessKeyOutcome[]): DisableAccessKeyStatus {
  if (mode === 'dry-run' && keys.some((k) => k.outcome === 'would-disable' || k.denyAll === 'would-attach')) return 'dry-run';
  if (keys.some((k) => k.outcome === 'disabled' || k.denyAll === 'attached')) return 'disabled';
  if (keys.some((k) => k.outcome === 'refused' || k.outcome === 'not-found' || k.outcome === 'temporary')) return 'refused';
  return 'already-inactive';
}

interface DisableContext {
  readonly incident: ResponderInput<DisableAccessKeyOptions>['incident'];
  readonly options: DisableAccessKeyOptions;
  readonly mode: ResponderMode;
  readonly gameDay: boolean;
  readonly rails: CredentialRails;
  readonly deps: DisableAccessKeyDeps;
  readonly executionArn: string | undefined;
  readonly capturedAt: string;
  readonly now: () => Date;
  /** Set on the second reading of a key whose record was released in between (at most one). */
  readonly rereadAfterRelease?: true;
  /** Every key this step acts on that the incident names under this key's user name in its account (the key among them). */
  readonly sameName: readonly string[];
}

async function disableOne(key: AffectedKey, context: DisableContext): Promise<{ key: AccessKeyOutcome; actions: PendingAction[] }> {
  const { incident, mode, rails, deps } = context;
  const account = key.account ?? incident.account;
  const accessKeyId = key.accessKeyId;
  let base: Pick<AccessKeyOutcome, 'accessKeyId' | 'account' | 'userName' | 'renamedFrom'> = { accessKeyId, account, ...(key.userName !== undefined ? { userName: key.userName } : {}) };
  // Set when IAM knows no user of the finding's name and the key leads to its owner now.
  let renamed: RenamedKeyOwner | undefined;
  /** A refusal or outcome of a renamed user says so: the alert names both names. */
  const told = (reason: string): string => (renamed === undefined ? reason : `${reason} (${renamed.detail})`);
  const refuse = (reason: string, outcome: 'refused' | 'not-found' | 'temporary' = 'refused') => ({
    key: { ...base, outcome, reason },
    actions: [{ api: 'firebreak:check-credential', target: accessKeyId, outcome: 'skipped' as const, detail: `${capitalize(reason)}; nothing changed` }],
  });

  // 1. What the finding says, judged before any call.
  if (key.temporary) {
    return refuse(`${accessKeyId} is a temporary (STS) key, which IAM cannot deactivate: revoke its role's sessions instead (revoke-role-sessions)`, 'temporary');
  }
  if (key.userType !== 'IAMUser' || key.userName === undefined || !RESOURCE_ID_FORMAT.iamName.test(key.userName)) {
    return refuse(`${accessKeyId} is not named as an IAM user's key (user type ${key.userType ?? 'unknown'}): Firebreak disables IAM users' keys only, never the root user's`);
  }
  let userName = key.userName;
  const before = refusalBeforeAnyCall('user', userName, account, rails, findingAccountOf(incident));
  if (before !== undefined) return refuse(before);

  // 2. The user as IAM says now: its path and tags (GetUser answers both, a user's at most 50 tags
  // among them), and whether the key is one of its keys.
  const iam = await deps.clients.iam({ account, region: incident.region });
  const actions: PendingAction[] = [];
  let user = await readOrMissing('iam:GetUser', () => iam.send(new GetUserCommand({ UserName: userName })));
  if (user === 'missing') {
    // IAM knows no user of that name: renamed since the finding (iam:UpdateUser, which whoever holds
    // the key may be allowed), the key leads to its owner now, whose new name meets every rail of
    // the old. Only then: a user that exists and does not own the key is refused below (row 11b).
    const followed = await followKeyToRenamedUser(iam, { account, userName, accessKeyId }, (to) => refusalBeforeAnyCall('user', to, account, rails, findingAccountOf(incident)));
    if ('refused' in followed) return refuse(followed.refused, followed.byName !== undefined ? 'refused' : 'not-found');
    // One owner for every key named under the vanished name, checked here and not only by the
    // guard's grant (row 11q): each key is followed on its own, and a key of another user would be
    // set Inactive under the one slot and the one user's rails the guard read. So every such key is
    // refused unless the user this one led to lists them all (row 11s).
    const strays = keysOfAnotherOwner(followed.renamed, account, context.sameName);
    if (strays !== undefined) return refuse(strays);
    renamed = followed.renamed;
    const from = userName;
    userName = renamed.to;
    base = { ...base, userName, renamedFrom: from };
    actions.push({ api: RENAMED_USER_ACTION, target: from, outcome: 'observed', detail: `${renamed.detail}: acted on under its current name ${userName}` });
    const current = userName;
    user = await readOrMissing('iam:GetUser', () => iam.send(new GetUserCommand({ UserName: current })));
    if (user === 'missing') return refuse(told(`IAM knows no user ${current} in account ${account} either (renamed again?)`), 'not-found');
  }
  // The stack's deny (DenyProtectedUsers) reads the user's ARN, path included: a user whose path a
  // privileged pattern names is refused here, as one whose name does (row 11ae), not left to meet
  // AccessDenied on UpdateAccessKey.
  const byPath = privilegedPathReason('user', userName, user.User?.Path, rails.privilegedPatterns);
  if (byPath !== undefined) return refuse(told(`${byPath} (administrator or break-glass): Firebreak never touches its credentials, whatever a finding names`));
  const byTags = refusalByTags('user', userName, tagRecord(user.User?.Tags), incident, context.gameDay, rails);
  if (byTags !== undefined) return refuse(told(byTags));
  const owner = userName;
  const listed = renamed !== undefined ? { AccessKeyMetadata: [...renamed.keys] } : await readOrMissing('iam:ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: owner })));
  const found = listed === 'missing' ? undefined : (listed.AccessKeyMetadata ?? []).find((k) => k.AccessKeyId === accessKeyId);
  if (found === undefined) {
    return refuse(`${accessKeyId} is not one of user ${userName}'s access keys (ListAccessKeys): the finding's pairing of key and user is not IAM's`, 'not-found');
  }
  const previousStatus = found.Status === 'Inactive' ? 'Inactive' : 'Active';
  actions.push({ api: 'iam:ListAccessKeys', target: accessKeyId, outcome: 'observed', detail: `${accessKeyId} is user ${userName}'s key, ${previousStatus}` });

  // 3. Whether AWSDenyAll is on the user already (read before any change: the record says which
  // change is Firebreak's).
  const policyArn = denyAllPolicyArn(incident.region, DENY_ALL_POLICY_NAME);
  const denyAllBefore = context.options.denyAll
    ? (await sendReadOnly('iam:ListAttachedUserPolicies', () => iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName })))).AttachedPolicies?.some((p) => p.PolicyArn === policyArn) === true
    : undefined;
  const deactivates = previousStatus === 'Active';
  const attaches = denyAllBefore === false;

  // 4. What this step counts on without changing it (the key found Inactive, AWSDenyAll found
  // attached) may be a release's work in progress: a release makes the key Active again (and
  // detaches AWSDenyAll) and only then marks its record released, conditioned on the record's claims
  // being as it read them. So the claim goes first: a release still running then fails its mark and
  // undoes its changes (release-credentials.ts, undoAfterNewClaim); one that marked its record since
  // these reads is seen (`released`), and the reads are taken again, once, after it.
  // AWSDenyAll is the user's: the key goes on the user's list first, so that another key's release
  // finds this key's record even after the key is deleted (release-credentials.ts, releaseDenyAll).
  if (mode !== 'dry-run' && denyAllBefore !== undefined) await deps.records.noteUserKey(account, userName, accessKeyId);
  const countsOnWhatItRead = !deactivates || denyAllBefore === true;
  let claimed: KeyClaimAnswer | undefined;
  const claimKey = async (): Promise<KeyClaimAnswer> => {
    // Dated when it is written, not when this step began: a release cleared between the two would
    // otherwise read the claim as older than its clearance and go on (release-credentials.ts, clear).
    const answer = await deps.records.claim({ kind: 'access-key', account, accessKeyId }, incident.key, context.now().toISOString());
    if (answer === 'claimed') {
      actions.push({
        api: 'firebreak:record-credential',
        target: accessKeyId,
        outcome: 'done',
        detail: keyClaimedDetail(accessKeyId, incident.key),
      });
    }
    return answer;
  };
  if (mode !== 'dry-run' && countsOnWhatItRead) {
    claimed = await claimKey();
    if (claimed === 'released' && context.rereadAfterRelease !== true) {
      const again = await disableOne(key, { ...context, rereadAfterRelease: true });
      const why: PendingAction = {
        api: 'firebreak:record-credential',
        target: accessKeyId,
        outcome: 'observed',
        detail: `Firebreak's record of ${accessKeyId} was released after the key was read (its release may have made it Active again, or detached ${DENY_ALL_POLICY_NAME}): read again`,
      };
      return { key: again.key, actions: [...actions, why, ...again.actions] };
    }
  }

  // 4b. The record of what changes, sealed, before the first change (dry-run changes nothing,
  // records nothing); not when the claim found one kept (the first is kept).
  let savedNow = false;
  if (mode !== 'dry-run' && (deactivates || attaches) && claimed !== 'claimed') {
    const record: AccessKeyRecord = {
      kind: 'access-key',
      account,
      accessKeyId,
      userName,
      incidentKey: incident.key,
      capturedAt: context.capturedAt,
      previousStatus,
      deactivated: deactivates,
      denyAllAttached: attaches,
      recordedBy: { responder: DISABLE_ACCESS_KEY_RESPONDER, ...(context.executionArn !== undefined ? { executionArn: context.executionArn } : {}) },
    };
    const saved = await deps.records.saveIfAbsent(record);
    savedNow = saved === 'saved';
    actions.push({
      api: 'firebreak:record-credential',
      target: accessKeyId,
      outcome: saved === 'saved' ? 'done' : 'already-done',
      detail:
        saved === 'saved'
          ? `Recorded (sealed) that ${accessKeyId} was ${previousStatus}${deactivates ? ' and is set Inactive by Firebreak' : ''}${attaches ? `, and that ${DENY_ALL_POLICY_NAME} is attached by Firebreak` : ''}: release-credentials undoes exactly this`
          : `A record of ${accessKeyId} is already kept (an earlier run or incident): the first is kept, so a release restores the key's status from before Firebreak`,
    });
  }

  // 4c. The key contained already (by another incident, or by this incident's earlier execution:
  // GuardDuty updated the finding): this incident holds it too, so that no other release, nor one
  // cleared before now, re-activates it while this incident is open (credential-records.ts, claims).
  if (mode !== 'dry-run' && !savedNow && claimed === undefined) await claimKey();

  // 5. The key: Inactive, never deleted.
  let outcome: AccessKeyOutcome['outcome'];
  if (!deactivates) {
    actions.push({ api: 'iam:UpdateAccessKey', target: accessKeyId, outcome: 'already-done', detail: `${accessKeyId} of user ${userName} is already Inactive: nothing to change` });
    outcome = 'already-inactive';
  } else {
    deps.logger.warn('Disabling an IAM user access key: whatever uses it fails from now on', { userName, accessKeyId, account });
    const updated = await mutateUnprobed(mode, 'iam:UpdateAccessKey', accessKeyId, `set access key ${accessKeyId} of user ${userName} Inactive (never deleted: a release can make it Active again)`, () =>
      iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' })),
    );
    actions.push(updated.action);
    outcome = mode === 'dry-run' ? 'would-disable' : 'disabled';
  }

  // 6. On request, AWSDenyAll on the user: its other keys and its password stop too.
  const renamedNote = renamed !== undefined ? { reason: renamed.detail } : {};
  if (denyAllBefore === undefined) return { key: { ...base, outcome, previousStatus, ...renamedNote }, actions };
  let denyAll: AccessKeyOutcome['denyAll'];
  if (denyAllBefore) {
    actions.push({ api: 'iam:AttachUserPolicy', target: userName, outcome: 'already-done', detail: `${DENY_ALL_POLICY_NAME} is already attached to user ${userName}` });
    denyAll = 'already-attached';
  } else {
    const attach = await mutateUnprobed(mode, 'iam:AttachUserPolicy', userName, `attach ${DENY_ALL_POLICY_NAME} to user ${userName}: every request of its keys and console sessions is denied`, () =>
      iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
    );
    actions.push(attach.action);
    denyAll = mode === 'dry-run' ? 'would-attach' : 'attached';
  }
  return { key: { ...base, outcome, previousStatus, denyAll, ...renamedNote }, actions };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Shared with release-credentials (lib/responders/credential-targets.ts). */

/** disable-access-key as the responder runtime runs it. */
export const disableAccessKeyResponder = stepResponder(disableAccessKeyOptionsSchema, disableAccessKey);
export type DisableAccessKeyHandlerDeps = HandlerDeps<DisableAccessKeyDeps>;
export const createDisableAccessKeyHandler = (deps: DisableAccessKeyHandlerDeps): ResponderHandler<DisableAccessKeyResult> =>
  createResponderHandler(disableAccessKeyResponder, deps);
