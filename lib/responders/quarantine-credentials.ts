/**
 * quarantine-instance takes the instance's credentials away: the instance profile disassociated
 * and, on request, every older session of its role revoked, under the same rails as the
 * revoke-role-sessions step (credential-rails.ts): the role comes from the instance, but its deny
 * reaches every workload sharing it.
 */
import { DisassociateIamInstanceProfileCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { IamClients } from '../aws/clients/iam';
import type { Incident } from '../incident/model';
import type { CredentialRails } from './credential-rails';
import { roleSessionsVerdict } from './role-session-rails';
import { awsErrorCode, isAccessDeniedAwsError, isAwsError, toResponderError } from '../aws/errors';
import { sendReadOnly } from './mutating';
import type { ObservedInstance } from './instance-state';
import type { IncidentLogger } from './logging';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateUnprobed } from './pending-actions';
import { causeCode } from './quarantine-addresses';
import type { QuarantineOptions } from './quarantine-plan';
import { foreignProfile, instanceProfileName } from './instance-profile-arn';
import type { RoleHolderSearch } from './role-holders';
import { protectedRoleHolder, sessionsNotRevokedYet } from './role-holders';

/** The inline policy that revokes the role's sessions issued before the quarantine. */
export const REVOKE_SESSIONS_POLICY_NAME = 'FirebreakRevokeOlderSessions';

/** The deny-everything-issued-before policy AWS's "Revoke active sessions" writes, at time `issuedBefore`. */
export function revokeOlderSessionsPolicy(issuedBefore: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: REVOKE_SESSIONS_POLICY_NAME,
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
      },
    ],
  });
}

/**
 * Writes the revoke-older-sessions deny on `roleName` (PutRolePolicy replaces a policy of the same
 * name, so a redelivery only moves `issuedBefore` forward). `hits` names who else loses their
 * current credentials: the deny applies to the role, so to every holder of its sessions. Shared by
 * quarantine-instance (`revokeRoleSessions`) and the revoke-role-sessions step.
 */
export async function revokeOlderRoleSessions(
  iam: IAMClient,
  mode: ResponderMode,
  roleName: string,
  issuedBefore: string,
  hits: string,
  logger: IncidentLogger,
): Promise<PendingAction> {
  logger.warn(`Revoking every session of the role issued before now: this hits ${hits}`, { roleName, issuedBefore });
  const put = await mutateUnprobed(
    mode,
    'iam:PutRolePolicy',
    roleName,
    `deny every session of role ${roleName} issued before ${issuedBefore} (inline policy ${REVOKE_SESSIONS_POLICY_NAME}; hits ${hits})`,
    () =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: REVOKE_SESSIONS_POLICY_NAME,
          PolicyDocument: revokeOlderSessionsPolicy(issuedBefore),
        }),
      ),
  );
  return put.action;
}

/** What decides whether the profile's role may lose its sessions: the deployment's credential rails and the incident. */
export interface RoleSessionRails {
  readonly rails: CredentialRails;
  readonly incident: Pick<Incident, 'key' | 'gameDay'>;
  /** The guard's grant says game day (it judged the verified execution, not this input). */
  readonly gameDay: boolean;
  /**
   * The instance's EC2 and the deployment's protection rules: a role a protected instance holds too
   * (through the same instance profile or another) keeps its sessions (rows 2v, 2y). Unset: no such read.
   */
  readonly sharing?: RoleHolderSearch;
}

/** The profile the kept pre-quarantine record names (renewalProfileOf), for a retry that finds none associated, and the execution's clearance. */
export interface RecordedProfile {
  readonly profile: RenewalProfile;
  readonly clearedAt: string;
}

/** A role of the instance profile whose sessions were left alone, and why. */
export interface RoleSessionsNotRevoked {
  readonly roleName: string;
  readonly reason: string;
}

interface CredentialsOutcome {
  readonly actions: PendingAction[];
  readonly instanceProfileArn?: string;
  readonly revoked?: { readonly roleName: string; readonly policyName: string; readonly issuedBefore: string };
  readonly notRevoked?: readonly RoleSessionsNotRevoked[];
}

/**
 * Takes the instance profile away. Disassociating does not invalidate credentials already handed
 * out through the instance metadata service, so `revokeRoleSessions` also puts an inline deny on
 * the role for every session issued before now: AWS's documented "revoke active sessions" pattern
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html).
 * BLAST RADIUS: the deny applies to the ROLE, so every instance (and every other principal) using
 * that role loses its current credentials too, until it fetches new ones. That is why the option
 * is off by default, and why a role the rails refuse (`roleRails`) keeps its sessions: the instance
 * is contained all the same, and the skipped deny says why. The deny is written before the profile
 * is disassociated, so a run interrupted between the two retries with the profile still known; a
 * revocation that fails (a region's holders unread: row 2zb) still has the profile taken, then fails
 * the step, and the retry revokes from the sealed record (row 11i).
 */
export async function removeCredentials(
  ec2: EC2Client,
  clients: IamClients,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instance: ObservedInstance,
  options: QuarantineOptions,
  roleRails: RoleSessionRails,
  issuedBefore: string,
  logger: IncidentLogger,
  recordedProfile?: () => Promise<RecordedProfile>,
): Promise<CredentialsOutcome> {
  const id = instance.instanceId;
  const association = instance.profileAssociation;
  const recorded = !association && options.revokeRoleSessions && recordedProfile !== undefined ? await recordedProfile() : undefined;
  if (recorded?.profile !== undefined) {
    // No profile now, but the kept pre-quarantine record names the one the instance had: an earlier
    // attempt took it away and then failed before the deny (row 2zb: a region's holders unread) and
    // before the instance was fully quarantined (its isolation failed too), so this retry is not the
    // already-quarantined path of row 11i. Without this, "no profile" read as "no role" and the
    // sessions were never revoked (row 2ze). As the renewal: the record counts only when its seal
    // holds, and a deny at or after this execution's clearance is not written again.
    const renewed = await renewRoleSessionsRevocation(clients, target, mode, id, recorded.profile, roleRails, recorded.clearedAt, issuedBefore, logger);
    const taken: PendingAction = { api: 'ec2:DisassociateIamInstanceProfile', target: id, outcome: 'already-done', detail: `No profile is associated now; the pre-quarantine record names ${recorded.profile.instanceProfileArn}` };
    return { ...renewed, actions: [taken, ...renewed.actions] };
  }
  if (!association) {
    return {
      actions: [
        {
          api: 'ec2:DisassociateIamInstanceProfile',
          target: id,
          outcome: 'already-done',
          detail: options.revokeRoleSessions
            ? 'No instance profile is associated, so there is no role whose sessions to revoke'
            : 'No instance profile is associated',
        },
      ],
    };
  }
  const actions: PendingAction[] = [];
  let sessions: Omit<CredentialsOutcome, 'actions'> = {};
  if (options.revokeRoleSessions) {
    let outcome: CredentialsOutcome;
    try {
      outcome = await revokeProfileRoleSessions(clients, target, mode, association.instanceProfileArn, roleRails, issuedBefore, logger);
    } catch (error) {
      // The revocation could not be decided or written (the protected holders of the role unread in
      // one region of the account, throttled or down: row 2zb; IAM failing). Nothing was revoked
      // blind, but the profile still goes: kept, it would hand the instance fresh credentials through
      // its metadata endpoint while the step is retried or alerted. The retry finds the instance
      // quarantined and denies the role's sessions from the sealed record (row 11i). A failed
      // disassociation is not hidden: the step fails all the same, and its retry tries both again.
      if (options.detachInstanceProfile) await disassociateProfile(ec2, mode, id, association, true).catch(() => undefined);
      throw sessionsNotRevokedYet(error, `the role of instance profile ${association.instanceProfileArn}${options.detachInstanceProfile ? ' (the profile is taken away)' : ''}`);
    }
    actions.push(...outcome.actions);
    sessions = { ...(outcome.revoked ? { revoked: outcome.revoked } : {}), ...(outcome.notRevoked ? { notRevoked: outcome.notRevoked } : {}) };
  }
  if (!options.detachInstanceProfile) {
    actions.push({
      api: 'ec2:DisassociateIamInstanceProfile',
      target: id,
      outcome: 'skipped',
      detail: `Option detachInstanceProfile is off: ${association.instanceProfileArn} stays associated`,
    });
    return { actions, ...sessions };
  }
  actions.push(await disassociateProfile(ec2, mode, id, association, options.revokeRoleSessions));
  return { actions, instanceProfileArn: association.instanceProfileArn, ...sessions };
}

/** Disassociates the instance's profile; an association another execution removed first counts as done. */
async function disassociateProfile(
  ec2: EC2Client,
  mode: ResponderMode,
  id: string,
  association: { readonly associationId: string; readonly instanceProfileArn: string },
  revoking: boolean,
): Promise<PendingAction> {
  try {
    const disassociated = await mutateUnprobed(
      mode,
      'ec2:DisassociateIamInstanceProfile',
      id,
      `disassociate instance profile ${association.instanceProfileArn} (association ${association.associationId}); credentials already issued stay valid until they expire${revoking ? ' or are revoked' : ''}`,
      () => ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: association.associationId })),
    );
    return disassociated.action;
  } catch (error) {
    // Another execution on the same instance (a second finding, or a retry while the first attempt
    // still ran) removed the association after this one read it: the profile is off, as wanted.
    if (causeCode(error) !== 'InvalidAssociationID.NotFound') throw error;
    return {
      api: 'ec2:DisassociateIamInstanceProfile',
      target: id,
      outcome: 'already-done',
      detail: `${association.instanceProfileArn} was disassociated already (association ${association.associationId}: InvalidAssociationID.NotFound)`,
    };
  }
}

/**
 * Every role of the instance profile `instanceProfileArn` has its sessions issued before
 * `issuedBefore` denied, under the credential rails (a role they refuse keeps its sessions, and
 * says why). With `renewAfter` (an instance already quarantined: see renewRoleSessionsRevocation),
 * a role whose deny already denies every session issued before that time is left as it is.
 */
async function revokeProfileRoleSessions(
  clients: IamClients,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instanceProfileArn: string,
  roleRails: RoleSessionRails,
  issuedBefore: string,
  logger: IncidentLogger,
  renewAfter?: string,
): Promise<CredentialsOutcome> {
  const actions: PendingAction[] = [];
  let revoked: CredentialsOutcome['revoked'];
  const notRevoked: RoleSessionsNotRevoked[] = [];
  // IAM finds a profile by name alone, in the target's account: a profile ARN of another account
  // would name this account's profile of the same name, and the sessions of a role the instance
  // does not hold would be cut.
  const foreign = foreignProfile(instanceProfileArn, target.account);
  if (foreign !== undefined) {
    return { actions: [{ api: 'iam:PutRolePolicy', target: instanceProfileArn, outcome: 'skipped', detail: `No role's sessions are revoked: ${foreign}` }] };
  }
  const iam = await clients.iam(target);
  const profileName = instanceProfileName(instanceProfileArn);
  const profile = await sendReadOnly('iam:GetInstanceProfile', () => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName })));
  const roles = (profile.InstanceProfile?.Roles ?? []).flatMap((r) => (r.RoleName ? [r.RoleName] : []));
  actions.push({
    api: 'iam:GetInstanceProfile',
    target: instanceProfileArn,
    outcome: 'observed',
    detail: roles.length ? `Instance profile ${profileName} holds role ${roles.join(', ')}` : `Instance profile ${profileName} holds no role`,
  });
  // A protected instance holding the profile's role, through this profile or another (rows 2v, 2y): read once.
  const sharedWithProtected = roles.length > 0 && roleRails.sharing !== undefined ? await protectedRoleHolder(roleRails.sharing, iam, roles, instanceProfileArn) : undefined;
  for (const roleName of roles) {
    const verdict = await roleSessionsVerdict({ roleName, account: target.account }, async () => iam, roleRails.rails, roleRails.incident, roleRails.gameDay);
    if (verdict.read) actions.push({ api: 'iam:GetRole', target: roleName, outcome: 'observed', detail: `Read the current tags of role ${roleName} in account ${target.account}` });
    const refusal = verdict.refusal ?? sharedWithProtected;
    if (refusal !== undefined) {
      actions.push({ api: 'iam:PutRolePolicy', target: roleName, outcome: 'skipped', detail: `The sessions of role ${roleName} are not revoked: ${refusal}. The instance is contained all the same` });
      notRevoked.push({ roleName, reason: refusal });
      continue;
    }
    if (renewAfter !== undefined) {
      const current = await currentSessionCutOff(iam, roleName);
      if (typeof current === 'string' && Date.parse(current) >= Date.parse(renewAfter)) {
        actions.push({
          api: 'iam:PutRolePolicy',
          target: roleName,
          outcome: 'already-done',
          detail: `Role ${roleName} already denies sessions issued before ${current}, at or after this execution's clearance (${renewAfter}): nothing new is written`,
        });
        continue;
      }
      actions.push({
        api: 'iam:GetRolePolicy',
        target: roleName,
        outcome: 'observed',
        detail:
          typeof current === 'object'
            ? `The deny of ${roleName} could not be read (${current.denied}): it is written again`
            : `Role ${roleName} denies ${current === undefined ? 'no sessions (no deny of Firebreak\'s)' : `sessions issued before ${current} only`}, before this execution's clearance (${renewAfter}): the cut-off moves forward`,
      });
    }
    actions.push(await revokeOlderRoleSessions(iam, mode, roleName, issuedBefore, 'every instance sharing the role', logger));
    revoked = { roleName, policyName: REVOKE_SESSIONS_POLICY_NAME, issuedBefore };
  }
  return { actions, ...(revoked ? { revoked } : {}), ...(notRevoked.length > 0 ? { notRevoked } : {}) };
}

/**
 * The cut-off of the deny of older sessions the role holds now (GetRolePolicy of
 * REVOKE_SESSIONS_POLICY_NAME), when it is exactly the policy Firebreak writes; undefined when the
 * role has none (NoSuchEntity) or one of that name with any other content (then it is rewritten);
 * `{ denied }` when IAM refuses the read: a member account's session-revoker role deployed before
 * quarantine-instance needed iam:GetRolePolicy (its stack set is updated apart from the security
 * account's) would otherwise fail every update of the finding and revoke nothing, so the deny is
 * written again (a later cut-off, the safe side) and the timeline says why. Any other error fails
 * the step as IAM answered (retried when transient), nothing written.
 */
async function currentSessionCutOff(iam: IAMClient, roleName: string): Promise<string | undefined | { readonly denied: string }> {
  let document: string | undefined;
  try {
    document = (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY_NAME }))).PolicyDocument;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return undefined;
    if (isAccessDeniedAwsError(error)) return { denied: awsErrorCode(error) ?? 'AccessDenied' };
    throw toResponderError(error, 'iam:GetRolePolicy');
  }
  return document === undefined ? undefined : sessionCutOffOf(document);
}

/** A policy document as IAM gives it (URL-encoded JSON, per GetRolePolicy) or as it was sent (JSON), parsed; undefined when it is neither. */
function parsedPolicy(document: string): unknown {
  try {
    return JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
  } catch {
    return undefined;
  }
}

/** Whether IAM's policy document (URL-encoded JSON, per GetRolePolicy) is the expected policy. */
export function samePolicy(fromIam: string, expected: string): boolean {
  const parsed = parsedPolicy(fromIam);
  return parsed !== undefined && JSON.stringify(parsed) === JSON.stringify(JSON.parse(expected));
}

/** The aws:TokenIssueTime of a document that is exactly revokeOlderSessionsPolicy(cut-off) (IAM answers it URL-encoded), else undefined. */
export function sessionCutOffOf(document: string): string | undefined {
  const parsed = parsedPolicy(document) as { Statement?: { Condition?: { DateLessThan?: Record<string, unknown> } }[] } | undefined;
  const cutOff = parsed?.Statement?.[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
  if (typeof cutOff !== 'string' || !Number.isFinite(Date.parse(cutOff))) return undefined;
  return samePolicy(document, revokeOlderSessionsPolicy(cutOff)) ? cutOff : undefined;
}

/**
 * Where a renewal takes the instance profile from (renewRoleSessionsRevocation): EC2's association
 * (what EC2 answers now), or the profile an unreleased pre-quarantine record names once the record's
 * seal holds and it is this instance's (`sealed-record`: the quarantine took the profile away, so
 * EC2 no longer knows it). A record whose seal does not hold is `untrusted`: anyone who may write
 * the state table could have named another profile there, and so another role. Undefined: none known.
 */
export type RenewalProfile =
  | { readonly source: 'association' | 'sealed-record'; readonly instanceProfileArn: string }
  | { readonly source: 'untrusted-record'; readonly instanceProfileArn: string; readonly reason: string }
  | undefined;

/**
 * An instance already quarantined, met by an execution whose step asks for `revokeRoleSessions`:
 * its isolation is not touched, but the role of its instance profile (the association's, else the
 * one the pre-quarantine record holds, when its seal holds: the quarantine took the profile away)
 * has its sessions denied again when the deny it holds is older than this execution's clearance
 * (`clearedAt`, the containment guard's grant). GuardDuty updates a finding (a new revision, so a
 * new execution) when the role's credentials are used again, possibly with a session taken after
 * the first cut-off (docs/security.md row 11i); a rerun of the execution that wrote the deny finds
 * it at or after its own clearance and writes nothing. Same rails as the first revocation; no
 * profile known (an instance isolated by hand, its record gone), or only one named by a record whose
 * seal does not hold: nothing is revoked, no role is read, and the timeline says why.
 */
export async function renewRoleSessionsRevocation(
  clients: IamClients,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instanceId: string,
  profile: RenewalProfile,
  roleRails: RoleSessionRails,
  clearedAt: string,
  issuedBefore: string,
  logger: IncidentLogger,
): Promise<Omit<CredentialsOutcome, 'instanceProfileArn'>> {
  if (profile === undefined) {
    return {
      actions: [
        {
          api: 'iam:PutRolePolicy',
          target: instanceId,
          outcome: 'skipped',
          detail: 'No instance profile is associated nor held by an unreleased pre-quarantine record: the role is not known, nothing is revoked',
        },
      ],
    };
  }
  if (profile.source === 'untrusted-record') {
    logger.warn('The role\'s sessions are not revoked again: the instance profile the pre-quarantine record names is not trusted', {
      instanceId,
      instanceProfileArn: profile.instanceProfileArn,
      reason: profile.reason,
    });
    return {
      actions: [
        {
          api: 'iam:PutRolePolicy',
          target: instanceId,
          outcome: 'skipped',
          detail: `Not revoked again: the pre-quarantine record names instance profile ${profile.instanceProfileArn}, which is not trusted: ${profile.reason}. No role is read or changed (a record edited in the state table could name any role); the instance stays quarantined all the same`,
        },
      ],
    };
  }
  // A failure says which profile's role keeps its sessions (the alert's words; the class is kept for the Retry).
  const outcome = await revokeProfileRoleSessions(clients, target, mode, profile.instanceProfileArn, roleRails, issuedBefore, logger, clearedAt).catch((error: unknown) => {
    throw sessionsNotRevokedYet(error, `the role of instance profile ${profile.instanceProfileArn}`);
  });
  if (profile.source === 'association') return outcome;
  const checked: PendingAction = {
    api: 'kms:GenerateMac',
    target: instanceId,
    outcome: 'observed',
    detail: `The pre-quarantine record's seal holds (its MAC is the record key's MAC of its fields): instance profile ${profile.instanceProfileArn} is the one quarantine recorded`,
  };
  return { ...outcome, actions: [checked, ...outcome.actions] };
}
