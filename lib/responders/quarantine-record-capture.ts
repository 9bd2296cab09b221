/**
 * The pre-quarantine record as quarantine-instance writes it: captured from EC2's answer, sealed
 * with the deployment's record key, saved once (a later run never replaces an unreleased
 * original). The store is quarantine-records.ts, the seal record-integrity.ts.
 */
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import type { AwsTarget } from '../aws/clients/access';
import type { IamClients } from '../aws/clients/iam';
import type { ActionLog } from './action-log';
import { foreignProfile, instanceProfileName } from './instance-profile-arn';
import type { Aside } from './quarantine-isolation';
import type { ObservedInstance } from './instance-state';
import { firebreakTags } from './instance-state';
import type { IncidentLogger } from './logging';
import type { ResponderMode } from '../contracts/responder-mode';
import type { QuarantineRecord, QuarantineRecordStore } from './quarantine-records';
import { claimsOf } from './quarantine-records';
import { newRegistrations } from './fleet-records';
import type { RecordSealer } from './record-integrity';
import { sealHolds } from './record-integrity';
import type { RenewalProfile } from './quarantine-credentials';
import { recordTargetMismatch } from './release-checks';
import { RecordHeldForRestoreError, ResponderFailedError, TransientResponderError } from '../contracts/responder-errors';

/** The record of what the instance looked like before any change (pure). */
export function capturePreQuarantineRecord(
  instance: ObservedInstance,
  target: { readonly account: string; readonly region: string; readonly incidentKey: string },
  capturedAt: string,
): QuarantineRecord {
  return {
    account: target.account,
    region: target.region,
    instanceId: instance.instanceId,
    incidentKey: target.incidentKey,
    capturedAt,
    networkInterfaces: instance.networkInterfaces.map((eni) => ({
      networkInterfaceId: eni.networkInterfaceId,
      groupIds: [...eni.groupIds],
    })),
    ...(instance.profileAssociation ? { instanceProfileArn: instance.profileAssociation.instanceProfileArn } : {}),
    disableApiTermination: instance.disableApiTermination,
    shutdownBehavior: instance.shutdownBehavior,
    deleteOnTermination: instance.ebsVolumes.map((v) => ({ ...v })),
    tags: firebreakTags(instance.tags),
  };
}

/**
 * The RoleId of every role the instance's profile holds, as IAM answers now (iam:GetInstanceProfile,
 * read-only), for the record: the record names the profile by its ARN, which IAM gives again to a
 * profile created anew under that name, and a profile's role can be swapped, so release associates
 * it only while it holds exactly these roles (release-checks.ts, profileMismatch). IAM finds a
 * profile by name alone, in the target's account: a profile of another account is not read.
 */
export async function readProfileRoleIds(clients: IamClients, target: AwsTarget, profileArn: string): Promise<string[]> {
  const foreign = foreignProfile(profileArn, target.account);
  if (foreign !== undefined) throw new Error(foreign);
  const iam = await clients.iam(target);
  const answer = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: instanceProfileName(profileArn) }));
  if (answer.InstanceProfile?.Arn !== profileArn) throw new Error(`IAM answered ${answer.InstanceProfile?.Arn ?? 'no instance profile'} for ${profileArn}`);
  return (answer.InstanceProfile.Roles ?? []).map((role) => role.RoleId ?? '');
}

/**
 * The record's role ids from that read of a profile (the one the finding names, or the one EC2
 * shows when the finding named none or another), kept only when EC2 shows that very profile
 * associated (pure but for the log line); none when it failed or named another. Without them
 * release refuses a profile or role created after the capture and leaves the profile disassociated
 * while it holds any role (docs/security.md rows 3f, 3g).
 */
export function profileRoleFields(
  read: Aside<string[]> | undefined,
  claimedArn: string | undefined,
  associatedArn: string | undefined,
  log: ActionLog,
): Pick<QuarantineRecord, 'instanceProfileRoleIds'> {
  if (associatedArn === undefined) return {};
  const api = 'iam:GetInstanceProfile';
  const without = 'its role ids are not recorded, and release will leave the profile disassociated while it holds a role (docs/security.md row 3g)';
  // Not read (the step keeps the profile: detachInstanceProfile off): nothing to tell.
  if (read === undefined || claimedArn === undefined) return {};
  if (claimedArn !== associatedArn) {
    log.record(api, associatedArn, 'skipped', `The finding names instance profile ${claimedArn}, not the associated one, so the associated profile's role was not read beside the describe: ${without}`);
    return {};
  }
  if (read.ok) {
    log.record(api, associatedArn, 'observed', `Instance profile holds role id(s) ${read.value.join(', ') || 'none'}: recorded, so that release associates it only while it holds exactly these`);
    return { instanceProfileRoleIds: read.value };
  }
  const why = read.error instanceof Error ? `${read.error.name}: ${read.error.message}` : String(read.error);
  log.record(api, associatedArn, 'skipped', `The role of instance profile ${associatedArn} could not be read (${why}): ${without}`);
  return {};
}

export async function saveRecord(
  mode: ResponderMode,
  records: QuarantineRecordStore,
  captured: QuarantineRecord,
  log: ActionLog,
  logger: IncidentLogger,
  sealer: RecordSealer | undefined,
): Promise<SavedRecord> {
  const api = 'firebreak:record-pre-quarantine-state';
  if (mode === 'dry-run') {
    log.record(api, captured.instanceId, 'would-do', 'Would record the pre-quarantine state (groups per ENI, profile, protections, tags), sealed with the record key, for release');
    return { record: captured };
  }
  const sealed = await sealRecord(captured, log, logger, sealer);
  const saved = await records.saveIfAbsent(sealed);
  if (saved === 'saved') {
    log.record(api, captured.instanceId, 'done', 'Recorded the pre-quarantine state (groups per ENI, profile, protections, tags) for release');
    return { record: sealed };
  }
  const original = await records.get(captured.account, captured.region, captured.instanceId);
  if (!original || original.released === true) {
    // The record that refused this write was released (or removed) before it could be read back:
    // another incident's release restored the instance meanwhile. Carrying on would contain the
    // instance under a released record with no claim of this incident, which no release could undo.
    // Nothing has changed yet: the retry writes this incident's own record and claim.
    log.record(api, captured.instanceId, 'skipped', `The pre-quarantine record of ${captured.instanceId} was released or removed while this run wrote its own: the step fails so that it is retried and records this incident's state`);
    throw new TransientResponderError(`the pre-quarantine record of ${captured.instanceId} was released while incident ${captured.incidentKey} wrote its own`);
  }
  if (original.incidentKey !== captured.incidentKey) {
    logger.warn('An unreleased quarantine record from another incident exists; keeping it as the original state', {
      recordIncidentKey: original.incidentKey,
      recordCapturedAt: original.capturedAt,
    });
  }
  log.record(
    api,
    captured.instanceId,
    'already-done',
    `Kept the pre-quarantine state recorded at ${original.capturedAt} (incident ${original.incidentKey}): a later run never overwrites the original`,
  );
  // At the capture's time: a hold that ends after it counts as still held (the stricter reading).
  const claimed = await claimRecord(mode, records, original, captured.incidentKey, log, captured.capturedAt);
  return supplementFleet(records, claimed, captured, log, logger, sealer);
}

/**
 * This incident's claim on the instance's unreleased record, written by another incident (or
 * already by this one): so that the other incident's release leaves the instance contained while
 * this incident is open, and this incident's own release can take its claim back
 * (quarantine-records.ts). Answers the record with the claim. A record that changed since it was
 * read (released, captured again, claimed first by an older record's incident) fails the step as
 * transient: the retry reads it again. A record the last release holds while it restores the
 * instance (at `at`, ISO 8601) fails it with `RecordHeldForRestoreError`, which the playbook retries
 * for longer than a hold lasts: once that release is done the retry records the instance afresh, and
 * should the release have died holding the record, the retry claims it once the hold has ended.
 * This holds for the incident that holds a claim already too (a new execution of it meeting its own
 * release's restore): its claim is written again, which is what asks about the hold.
 */
export async function claimRecord(
  mode: ResponderMode,
  records: QuarantineRecordStore,
  record: QuarantineRecord,
  incidentKey: string,
  log: ActionLog,
  at: string,
): Promise<QuarantineRecord> {
  const api = 'firebreak:claim-quarantine';
  const holders = claimsOf(record);
  const others = holders.filter((key) => key !== incidentKey);
  const alongside = others.length > 0 ? ` (beside incident ${others.join(', incident ')})` : '';
  const already = holders.includes(incidentKey);
  if (already && mode === 'dry-run') {
    log.record(api, record.instanceId, 'already-done', `Incident ${incidentKey} already holds a claim on the quarantine of ${record.instanceId}${alongside}`);
    return record;
  }
  if (mode === 'dry-run') {
    log.record(api, record.instanceId, 'would-do', `Would add incident ${incidentKey}'s claim to the quarantine of ${record.instanceId}${alongside}, so that no other incident's release restores it while this one is open`);
    return record;
  }
  // Asked even when this incident holds a claim already: a new execution of it (GuardDuty updated
  // the finding: a new revision) may meet its own release restoring the instance, whose hold
  // (conditioned on the last claim being that incident's, which it still is) no claim of the same
  // incident would otherwise see. The claim's condition reads the hold in the same write: it waits
  // the restore out, then records the restored instance afresh and contains it.
  const answer = await records.claim(record, incidentKey, at);
  if (typeof answer === 'object') {
    // Nothing changed yet: the release holding the record either restores the instance and marks the
    // record released (the retry then records the restored instance afresh), or died holding it (the
    // retry claims the record once the hold has ended, and contains what that release left).
    const held = `the pre-quarantine record of ${record.instanceId} is held by the release of incident ${answer.heldFor} until ${answer.heldUntil}`;
    log.record(api, record.instanceId, 'skipped', `Not claimed: ${held} (its restore would undo a claim); nothing changed, the step is retried past the hold`);
    throw new RecordHeldForRestoreError(held);
  }
  if (answer === 'changed') {
    log.record(api, record.instanceId, 'skipped', `The pre-quarantine record of ${record.instanceId} changed while incident ${incidentKey}'s claim was added (released, captured again, or claimed meanwhile): the step fails so that it is retried`);
    throw new TransientResponderError(`the pre-quarantine record of ${record.instanceId} changed while incident ${incidentKey} claimed it`);
  }
  if (already) {
    log.record(api, record.instanceId, 'already-done', `Incident ${incidentKey} already holds a claim on the quarantine of ${record.instanceId}${alongside}, and no release holds the record for its restore`);
    return record;
  }
  log.record(api, record.instanceId, 'done', `Added incident ${incidentKey}'s claim to the quarantine of ${record.instanceId}${alongside}: it stays contained until every incident holding it is released`);
  return { ...record, claims: [...holders, incidentKey] };
}

/**
 * What saveRecord kept. `fleetUnrecorded`: the fleet fields this run observed could not be added to
 * the stored record, so the fleet must not be changed in this run (release could not undo it).
 */
export interface SavedRecord {
  readonly record: QuarantineRecord;
  readonly fleetUnrecorded?: Error;
  /**
   * Set with `fleetUnrecorded` when all that could not be added were registrations found since the
   * capture (row 3v): the rest of the fleet may be changed as the record holds it, those must not.
   */
  readonly onlyRegistrationsUnrecorded?: true;
}

/**
 * The fleet fields of `captured` that the stored record lacks (pure). A kept group record of an
 * instance in Pending:Wait counts as lacking: quarantine could not take it out then and only
 * extended its launch hooks' waits, which release does not undo. Once the hook has ended with
 * CONTINUE (a person, or its default result) the group has it InService and this run takes it out:
 * release must know the group it left, or it would answer "never took it out" and leave it
 * outside for good (row 3s). A kept load-balancer record lacks the registrations found only now
 * (made while the instance was quarantined): this run deregisters them, so they join the record,
 * after the recorded ones, marked `foundSinceCapture` (row 3v): release names each and registers
 * none of them, as they are not where the instance was before the incident (row 3w).
 */
export function missingFleetFields(original: QuarantineRecord, captured: QuarantineRecord): Pick<QuarantineRecord, 'autoScaling' | 'loadBalancers'> {
  const keptPendingWait = original.autoScaling?.lifecycleState === 'Pending:Wait' && captured.autoScaling?.lifecycleState !== 'Pending:Wait';
  const kept = original.loadBalancers;
  const found = captured.loadBalancers && kept ? newRegistrations(kept, captured.loadBalancers) : undefined;
  const loadBalancers =
    captured.loadBalancers && !kept
      ? captured.loadBalancers
      : found && kept && found.targets.length + found.classic.length > 0
        ? {
            // Marked: release never registers them again (row 3w), whoever made them.
            targets: [...kept.targets, ...found.targets.map((t) => ({ ...t, foundSinceCapture: true }))],
            classic: [...kept.classic, ...found.classic.map((c) => ({ ...c, foundSinceCapture: true }))],
          }
        : undefined;
  return {
    ...(captured.autoScaling && (!original.autoScaling || keptPendingWait) ? { autoScaling: captured.autoScaling } : {}),
    ...(loadBalancers ? { loadBalancers } : {}),
  };
}

/**
 * A run whose Auto Scaling or load-balancer read failed recorded the instance without its group and
 * registrations, isolated it and failed so that it is retried; the retry reads the fleet (which no
 * run has changed yet: a fleet change always follows a record holding it) and adds what it found to
 * the kept record, re-sealed, before it detaches or deregisters anything. Without this, release
 * would not know the group or target groups to put the instance back into. Nothing else of the
 * original is replaced.
 *
 * The kept record is read back from the state table, so it is a claim: sealing it again as it is
 * would turn a record someone edited there (other groups, another profile; attack 3 in
 * docs/security.md), or one saved unsealed, into one that release trusts. So the kept record's own
 * seal must hold first (checked with kms:GenerateMac, see sealHolds); if it does not, it is left
 * as it is (the evidence of the edit), and so are the group and the load balancers.
 */
async function supplementFleet(
  records: QuarantineRecordStore,
  original: QuarantineRecord,
  captured: QuarantineRecord,
  log: ActionLog,
  logger: IncidentLogger,
  sealer: RecordSealer | undefined,
): Promise<SavedRecord> {
  const missing = missingFleetFields(original, captured);
  const fields = Object.keys(missing);
  if (fields.length === 0) return { record: original };
  const onlyRegistrations = missing.autoScaling === undefined && original.loadBalancers !== undefined;
  const registrationsOnly = onlyRegistrations ? { onlyRegistrationsUnrecorded: true as const } : {};
  const leftAlone = onlyRegistrations
    ? 'the registrations found since the capture are left registered (the rest of the fleet is changed as the record holds it)'
    : 'the Auto Scaling group and load balancers are left as they are';
  const api = 'firebreak:record-pre-quarantine-state';
  const untrusted = sealer ? await keptSealProblem(sealer, original) : undefined;
  if (untrusted !== undefined) {
    const why = `the kept pre-quarantine record of ${captured.instanceId} is not sealed again with ${fields.join(' and ')}: ${untrusted}`;
    logger.error('The kept pre-quarantine record does not carry a seal that holds; it is left as it is and the fleet is not changed', { reason: untrusted });
    log.record(api, captured.instanceId, 'skipped', `Refused to add ${fields.join(' and ')} to the kept record: ${untrusted}. The record is left as it is (release refuses it), ${leftAlone}, and the step fails`);
    return { record: original, fleetUnrecorded: new ResponderFailedError(why), ...registrationsOnly };
  }
  const { seal: _seal, released: _released, ...unsealed } = original;
  const next = await sealRecord({ ...unsealed, ...missing }, log, logger, sealer);
  const written = await records.supplement(original, next);
  if (written === 'saved') {
    log.record(api, captured.instanceId, 'done', `Added ${fields.join(' and ')} to the kept record (an earlier run could not read them, found the instance held in Pending:Wait by a launch hook, or did not find registrations made since), before any change to them`);
    return { record: next };
  }
  const why = `the record of ${captured.instanceId} changed while ${fields.join(' and ')} were being added (released, captured again, or supplemented by another run)`;
  log.record(api, captured.instanceId, 'skipped', `Could not add ${fields.join(' and ')} to the kept record: ${why}; ${leftAlone}, and the step fails so that it is retried`);
  // Transient: the state machine's retry reads the record again, which is what the next run needs.
  return { record: original, fleetUnrecorded: new TransientResponderError(why), ...registrationsOnly };
}

/**
 * The instance profile a renewal of the role's session deny acts on (renewRoleSessionsRevocation):
 * the one EC2 shows associated, else the one the unreleased record `held` names, trusted only when
 * the record is this instance's and its seal holds (checked with kms:GenerateMac, see sealHolds:
 * quarantine-instance's role may not kms:VerifyMac). The record is read back from the state table,
 * so it is a claim: without the seal, a write there could point the renewal at another instance
 * profile, whose role's sessions would all be cut (attack 3 in docs/security.md). No record key
 * configured: its seal cannot be checked, so the record is not trusted either.
 */
export async function renewalProfileOf(
  instance: ObservedInstance,
  held: QuarantineRecord | undefined,
  target: { readonly account: string; readonly region: string },
  sealer: RecordSealer | undefined,
): Promise<RenewalProfile> {
  if (instance.profileAssociation) return { source: 'association', instanceProfileArn: instance.profileAssociation.instanceProfileArn };
  const named = held?.instanceProfileArn;
  if (held === undefined || named === undefined) return undefined;
  const reason =
    recordTargetMismatch(held, target.account, target.region, instance.instanceId) ??
    (sealer === undefined ? 'no record key is configured, so the record\'s seal cannot be checked' : await keptSealProblem(sealer, held));
  return reason === undefined ? { source: 'sealed-record', instanceProfileArn: named } : { source: 'untrusted-record', instanceProfileArn: named, reason };
}

/**
 * Why the kept record's seal does not hold (none, or not the MAC of its fields), or undefined when
 * it does. A key that cannot MAC any more (disabled, denied) cannot vouch for the record either.
 */
async function keptSealProblem(sealer: RecordSealer, original: QuarantineRecord): Promise<string | undefined> {
  try {
    const verdict = await sealHolds(sealer, original);
    return verdict.valid ? undefined : `its seal does not hold (${verdict.reason})`;
  } catch (error) {
    if (error instanceof TransientResponderError) throw error;
    return `its seal could not be checked (kms:GenerateMac ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`;
  }
}

/**
 * The record with its MAC (kms:GenerateMac), before it is saved. Containment matters more than a
 * later release: when the key cannot seal (disabled, denied, not configured) the record is saved
 * unsealed, the action log says so, and release will refuse to restore from it (the instance is
 * then released by hand). Throttling is retried by the state machine: nothing has changed yet.
 */
async function sealRecord(
  record: QuarantineRecord,
  log: ActionLog,
  logger: IncidentLogger,
  sealer: RecordSealer | undefined,
): Promise<QuarantineRecord> {
  const api = 'kms:GenerateMac';
  if (!sealer) {
    log.record(api, record.instanceId, 'skipped', 'No record key configured: the record is saved unsealed, and release will refuse to restore from it');
    return record;
  }
  try {
    const seal = await sealer.seal(record);
    log.record(api, record.instanceId, 'done', `Sealed the pre-quarantine record with key ${seal.keyId} (${seal.algorithm}), so release can tell it was not changed`);
    return { ...record, seal };
  } catch (error) {
    if (error instanceof TransientResponderError) throw error;
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.warn('The pre-quarantine record could not be sealed; it is saved unsealed and release will refuse it', { error: why });
    log.record(api, record.instanceId, 'skipped', `Could not seal the record (${why}): saved unsealed, so release will refuse to restore from it`);
    return record;
  }
}
