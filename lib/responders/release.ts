/**
 * release-instance: the inverse of quarantine-instance, after an investigation. It puts the
 * instance back exactly as the pre-quarantine record describes it (groups per ENI, instance
 * profile, protections, Firebreak's tags), tags it released, and marks the record released.
 * Without a record it changes nothing: guessing the original groups would be worse than leaving
 * the instance isolated.
 *
 * Before it changes anything it checks, and refuses (changing nothing, saying why) when one fails:
 * the record's MAC (record-integrity.ts: a record changed in the table is not restored from), that
 * the record is this instance's, that its instance profile belongs to the instance's account and
 * each recorded security group to the instance's account and the ENI's VPC (read from EC2), and
 * that the execution was cleared by the guard and approved (release-clearance.ts). It restores
 * only what the verified record holds. The record keeps who released the instance: the approver,
 * as AWS authenticated them; the `requestedBy` of the input is kept beside it as a claim.
 *
 * Several incidents can hold one instance contained (each holds a claim on its record,
 * quarantine-records.ts). A release takes back only its own incident's claim: while another
 * incident still holds the instance it changes nothing in EC2 and answers `claim-released`, naming
 * those incidents; the release of the last incident holding it restores it, from the record
 * whichever incident wrote it.
 */
import type { Ec2Clients } from '../aws/clients/ec2';
import type { IamClients } from '../aws/clients/iam';
import { releaseOptions } from '../playbooks/instance-options';
import type { DeploymentEnvironment } from './effective-mode';
import { gameDayRefusal } from './game-day';
import { isTerminatedState, observeInstance } from './instance-state';
import { ResponderRun, incidentInstance, isSampleTarget } from './responder-run';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { recordAll, settleAll } from './pending-actions';
import type { QuarantineRecord, QuarantineRecordReleaseStore } from './quarantine-records';
import { claimSerialOf, claimsOf } from './quarantine-records';
import { RESTORE_HOLD_SECONDS } from '../contracts/restore-hold';
import { ResponderFailedError, TransientResponderError } from '../contracts/responder-errors';
import type { RecordSealer } from './record-integrity';
import type { ReleaseClearance } from './release-clearance';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import { RESPONDER_NAMES } from '../contracts/responders';
import { checkRecordedGroups, checkRecordedProfile, claimMismatch, claimRenewedSinceCleared, containedSinceCleared, recordIncidentMismatch, recordTargetMismatch, stillHeldBy } from './release-checks';
import { foreignProfile } from './instance-profile-arn';
import type { ReleaseOptions } from './release-plan';
import { planRelease } from './release-plan';
import { restoreGroups, restoreProtections, restoreProfile, restoreTags } from './release-restore';
import type { FleetClients } from './quarantine-fleet';
import type { FleetRelease } from './release-fleet';
import { releaseFleet } from './release-fleet';
import type { AddressRestore } from './release-edges';
import { restoreEdges } from './release-edges';
import { actingTarget } from '../incident/finding-account';

export const RELEASE_RESPONDER = RESPONDER_NAMES.releaseInstance;

/** The step's options (defaults live in the playbook action registry, in one place). */
export const releaseOptionsSchema = releaseOptions;
export type { ReleaseOptions };

export type ReleaseStatus =
  | 'released'
  /** This incident's claim was taken back; the instance stays quarantined for the incidents in `heldBy`. */
  | 'claim-released'
  | 'already-released'
  | 'dry-run'
  | 'no-record'
  | 'not-found'
  | 'terminated'
  | 'skipped-sample'
  | 'not-an-instance'
  | 'refused';

export interface ReleaseResult extends ResponderResult<ReleaseStatus> {
  readonly instanceId?: string;
  /** The ENIs put back (or that would be) in their recorded groups. */
  readonly networkInterfaces: readonly { readonly id: string; readonly groupsRestored: readonly string[] }[];
  /** The instance profile re-associated (or that would be). */
  readonly instanceProfileArn?: string;
  /** What became of each Elastic IP the record holds (re-associated, or why not). */
  readonly elasticIps?: readonly AddressRestore[];
  /** The record the instance was restored to. */
  readonly preQuarantine?: QuarantineRecord;
  /** Who the record says released the instance (released), or would say (dry-run): the approver. */
  readonly releasedBy?: string;
  /** Who asked for the release, as the input claims (shown as a claim, never as the releaser). */
  readonly requestedBy?: string;
  /** Why nothing was changed, when the status is `refused`. */
  readonly refusal?: string;
  /** The reason recorded with the release, when the person gave one. */
  readonly releaseReason?: string;
  /** The Auto Scaling group the instance went back into, or why it was left out. */
  readonly fleet?: FleetRelease;
  /** `claim-released` (and dry-run): the other incidents that still hold the instance quarantined. */
  readonly heldBy?: readonly string[];
}

export interface ReleaseDeps {
  /**
   * EC2 in the incident's account; IAM there to read the instance profile it would associate
   * (through the member role); Auto Scaling and ELB there when the options restore them.
   */
  readonly clients: Ec2Clients & IamClients & FleetClients;
  readonly logger: IncidentLogger;
  readonly records: QuarantineRecordReleaseStore;
  /** Verifies the record's MAC. @default none: every record is refused (it cannot be verified) */
  readonly sealer?: RecordSealer;
  /** The guard's grant and the approval. @default none: every release is refused */
  readonly clearance?: ReleaseClearance;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

const NOTHING_READ = { nothingDone: 'nothing is read or changed' };

/** Restores a quarantined instance to its recorded pre-quarantine state. */
export async function releaseInstance(input: ResponderInput<ReleaseOptions>, deps: ReleaseDeps): Promise<ReleaseResult> {
  const { incident, options } = input;
  const logger = deps.logger;
  // The input's mode is a claim: the deployment's FIREBREAK_MODE, and below the guard's grant, can only lower it (issue 8).
  const run = new ResponderRun<ReleaseStatus>({
    responder: RELEASE_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: ['already-released'],
  });
  const { log, now } = run;
  const finish = run.finisher<ReleaseResult>({ networkInterfaces: [] }, (r) => ({ instanceId: r.instanceId, actions: r.actions.length }));

  const named = incidentInstance(incident, log, NOTHING_READ);
  if (named === undefined) return finish('not-an-instance');
  const { instanceId } = named;
  run.recordMode(instanceId);
  if (isSampleTarget(incident, instanceId, log, NOTHING_READ)) return finish('skipped-sample', { instanceId });
  logger.info('release-instance started', { instanceId, mode: run.mode, account: incident.account, region: incident.region });

  const record = await deps.records.get(incident.account, incident.region, instanceId);
  if (!record) {
    log.record(
      'firebreak:read-pre-quarantine-state',
      instanceId,
      'skipped',
      'No pre-quarantine record for this instance: Firebreak did not quarantine it (or the record is gone); nothing changed',
    );
    return finish('no-record', { instanceId });
  }
  const requestedBy = input.request?.requestedBy;
  const refuse = (api: string, target: string, why: string): ReleaseResult => {
    log.record(api, target, 'skipped', `Refused: ${why}; nothing changed`);
    logger.warn('release-instance refused', { instanceId, refusal: why });
    return finish('refused', { instanceId, refusal: why, ...(requestedBy !== undefined ? { requestedBy } : {}) });
  };
  if (record.released) {
    // Another incident's release must not answer already-released: the timeline would mark that
    // incident released. An incident whose claim a release took back was released, though.
    const otherIncident = record.releasedClaims?.includes(incident.key) ? undefined : recordIncidentMismatch(record, incident.key);
    if (otherIncident !== undefined) return refuse('firebreak:check-record', instanceId, otherIncident);
    log.record(
      'firebreak:read-pre-quarantine-state',
      instanceId,
      'already-done',
      `Already released at ${record.releasedAt ?? 'an earlier run'} (by ${record.releasedBy ?? 'unknown'}${record.releaseReason !== undefined ? `, reason: ${record.releaseReason}` : ''}); nothing changed`,
    );
    return finish('already-released', { instanceId, preQuarantine: record });
  }
  const holders = claimsOf(record);
  log.record(
    'firebreak:read-pre-quarantine-state',
    instanceId,
    'observed',
    `Pre-quarantine state recorded at ${record.capturedAt} by incident ${record.incidentKey}; held quarantined by incident ${holders.join(', incident ')}`,
  );

  // 1. The record is what Firebreak wrote (its MAC), and it is this instance's and this incident's.
  const verdict = deps.sealer
    ? await deps.sealer.verify(record)
    : { valid: false as const, reason: 'no record key is configured, so the record cannot be verified' };
  if (!verdict.valid) return refuse('kms:VerifyMac', instanceId, `the pre-quarantine record failed its integrity check (${verdict.reason})`);
  log.record('kms:VerifyMac', instanceId, 'observed', 'The pre-quarantine record carries a valid MAC of the record key: it is what quarantine-instance wrote');
  const foreign = recordTargetMismatch(record, incident.account, incident.region, instanceId);
  if (foreign !== undefined) return refuse('firebreak:check-record', instanceId, foreign);
  const others = holders.filter((key) => key !== incident.key);
  if (!holders.includes(incident.key) && record.releasedClaims?.includes(incident.key)) {
    // A rerun after this incident's claim was taken back: nothing more to do for it.
    log.record('firebreak:release-claim', instanceId, 'already-done', `Incident ${incident.key}'s claim was taken back by an earlier run; ${instanceId} ${stillHeldBy(others)}`);
    return finish('claim-released', { instanceId, preQuarantine: record, heldBy: others, idempotentReplay: true, ...(requestedBy !== undefined ? { requestedBy } : {}) });
  }
  const noClaim = claimMismatch(record, incident.key);
  if (noClaim !== undefined) return refuse('firebreak:check-record', instanceId, noClaim);
  const profileProblem = record.instanceProfileArn !== undefined ? foreignProfile(record.instanceProfileArn, incident.account) : undefined;
  if (profileProblem !== undefined) return refuse('firebreak:check-record', instanceId, profileProblem);

  // 2. A person approved this execution (and the guard cleared it): the approver is the releaser.
  const clearance = deps.clearance
    ? await deps.clearance.check(input, record)
    : { cleared: false as const, reason: 'no approval check is configured' };
  if (!clearance.cleared) return refuse('firebreak:check-approval', instanceId, `the release is not approved (${clearance.reason})`);
  log.record('firebreak:check-approval', clearance.executionArn, 'observed', `Approved by ${clearance.approvedBy} at ${clearance.approvedAt}`);
  // The guard cleared the release for dry-run only when the release playbook's own mode is dry-run
  // (`firebreak release` starts it in the deployment's mode): a ceiling, as for every granted step.
  if (clearance.mode === 'dry-run' && run.mode !== 'dry-run') {
    run.lowerTo(clearance.mode, 'the containment guard cleared this release for dry-run only');
    run.recordMode(instanceId);
  }
  const mode = run.mode;
  // The last claim's release restores only the record the approval was given on: the one the guard
  // bound into the grant, at its claim serial. A claim written since (this incident's own new
  // execution included) means the instance was contained again after the release was cleared.
  const since = others.length === 0 ? containedSinceCleared(clearance.releaseRecord, record, incident.key) : undefined;
  if (since !== undefined) return refuse('firebreak:check-cleared-record', instanceId, since);

  const target = { account: incident.account, region: incident.region };
  // Row 9i: the client factories refuse the security account for another account's finding.
  const ec2 = await deps.clients.ec2(actingTarget(incident));
  const observation = await observeInstance(ec2, instanceId, target.account);
  if (!observation.found) {
    log.record('ec2:DescribeInstances', instanceId, 'observed', observation.reason);
    return finish('not-found', { instanceId, preQuarantine: record });
  }
  const instance = observation.instance;
  log.record('ec2:DescribeInstances', instanceId, 'observed', `${instance.state}; ${instance.networkInterfaces.length} ENI(s)`);
  if (isTerminatedState(instance.state)) {
    log.record('firebreak:decide', instanceId, 'skipped', `The instance is ${instance.state}: there is nothing to release`);
    return finish('terminated', { instanceId, preQuarantine: record });
  }
  // A drill releases only instances that opted in, as EC2 says now (issue 8).
  const notATarget = gameDayRefusal(incident, instanceId, instance.tags);
  if (notATarget !== undefined) return refuse('firebreak:check-gameday-target', instanceId, notATarget);

  const releasedBy = clearance.approvedBy;
  const releaseReason = input.request?.reason ?? undefined;
  const byWhom = `by ${releasedBy} (approver)${requestedBy !== undefined ? `, requested by ${requestedBy} (as the request claims)` : ''}${releaseReason !== undefined ? `, reason: ${releaseReason}` : ', no reason given'}`;

  // 3. Another incident still holds the instance: only this incident's claim goes, nothing in EC2
  // changes. The last incident's release restores it (below).
  const releaseClaimOnly = async (held: QuarantineRecord, holders: readonly string[]): Promise<ReleaseResult> => {
    const stays = `${instanceId} ${stillHeldBy(holders)}: nothing is restored until the last of them is released (\`firebreak release --incident ${holders[0]!}\`)`;
    const claimOnly = { instanceId, preQuarantine: held, heldBy: holders, releasedBy, ...(requestedBy !== undefined ? { requestedBy } : {}), ...(releaseReason !== undefined ? { releaseReason } : {}) };
    // Not a claim its incident wrote again after the guard read the record: the approval was not
    // given on that containment (and the take-back is conditioned on it, below).
    const renewed = claimRenewedSinceCleared(clearance.releaseRecord, held, incident.key);
    if (renewed !== undefined) return refuse('firebreak:check-cleared-record', instanceId, renewed);
    if (mode === 'dry-run') {
      log.record('firebreak:release-claim', instanceId, 'would-do', `Would take back incident ${incident.key}'s claim ${byWhom}`);
      log.record('firebreak:restore', instanceId, 'skipped', stays);
      return finish('dry-run', claimOnly);
    }
    if ((await deps.records.releaseClaim(held, incident.key, clearance.releaseRecord?.claimSerial)) === 'changed') {
      log.record('firebreak:release-claim', instanceId, 'skipped', `The pre-quarantine record of ${instanceId} changed since it was read (another release or claim): the step fails so that it is retried`);
      throw new TransientResponderError(`the pre-quarantine record of ${instanceId} changed while incident ${incident.key}'s claim was taken back`);
    }
    log.record('firebreak:release-claim', instanceId, 'done', `Took back incident ${incident.key}'s claim on ${instanceId} ${byWhom}`);
    log.record('firebreak:restore', instanceId, 'skipped', stays);
    return finish('claim-released', claimOnly);
  };
  if (others.length > 0) return releaseClaimOnly(record, others);

  // 4. Every recorded group that would be restored belongs to the instance's account and the ENI's VPC.
  const groupProblem = await checkRecordedGroups(ec2, record, instance, incident.account);
  if (groupProblem !== undefined) return refuse('ec2:DescribeSecurityGroups', instanceId, groupProblem);

  const releasedAt = now().toISOString();
  let plan = planRelease(record, instance, options, releasedAt);

  // 4b. The profile it would associate is still the one the instance had, holding the same role:
  // the record names it by an ARN IAM gives again to a profile created anew under the same name,
  // and its role can be swapped; the association passes that role with Firebreak's own iam:PassRole.
  // A record that does not say which role it held leaves a profile holding one disassociated (row 3g).
  if (plan.profile.action === 'associate') {
    const checked = await checkRecordedProfile(await deps.clients.iam(target), record, plan.profile.arn);
    if (checked.verdict === 'changed') return refuse('iam:GetInstanceProfile', instanceId, checked.why);
    log.record('iam:GetInstanceProfile', plan.profile.arn, 'observed', checked.verdict === 'same' ? checked.detail : checked.why);
    if (checked.verdict === 'unverified') plan = { ...plan, profile: { action: 'none', outcome: 'skipped', why: checked.why } };
  }

  // 5. The record held for the restore before the first EC2 change: an incident that claims the
  // instance from now on waits (its quarantine is retried) rather than being undone by the restore;
  // one that claimed it since the read above makes this release take back only its own claim, and
  // this incident claiming it again (the hold is at the serial read) makes it restore nothing.
  if (mode !== 'dry-run') {
    const heldUntil = new Date(now().getTime() + RESTORE_HOLD_SECONDS * 1000).toISOString();
    // The hold is this execution's alone (the one its grant and approval were verified for): another
    // release execution of this incident, approved too, holds no record this one restores from.
    const held = await deps.records.holdForRestore(record, incident.key, heldUntil, { executionArn: clearance.executionArn, at: now().toISOString() });
    if (typeof held === 'object') {
      // Refused, not retried: the playbook's Retry of TransientResponderError (TRANSIENT_RETRY,
      // lib/playbooks/compile.ts: 4 attempts, 2 s doubling, FULL jitter) waits 30 s at most, often
      // less, and a hold lasts until its release marks the record or RESTORE_HOLD_SECONDS (180 s)
      // when that release died. The retries would be spent before such a hold ends and the step
      // would fail as a plain failure; and while the other execution lives it restores the
      // instance itself. So this execution restores nothing and says who does.
      log.record('firebreak:hold-record', instanceId, 'skipped', `Not held: release execution ${held.heldBy} of incident ${held.heldFor} holds the record until ${held.heldUntil}; nothing was restored`);
      return refuse(
        'firebreak:check-restore-hold',
        instanceId,
        `release execution ${held.heldBy} of incident ${held.heldFor} holds the pre-quarantine record of ${instanceId} for its restore until ${held.heldUntil}: that execution restores the instance, not this one. See its result; if it failed without marking the record released, run the release again after ${held.heldUntil}`,
      );
    }
    if (held === 'claimed') {
      const current = await deps.records.get(incident.account, incident.region, instanceId);
      const stillThisCapture = current !== undefined && current.released !== true && current.capturedAt === record.capturedAt && current.incidentKey === record.incidentKey;
      const later = stillThisCapture ? claimsOf(current).filter((key) => key !== incident.key) : [];
      if (stillThisCapture && later.length === 0 && claimsOf(current).includes(incident.key) && claimSerialOf(current) !== claimSerialOf(record)) {
        log.record('firebreak:hold-record', instanceId, 'skipped', `Not held: incident ${incident.key} claimed ${instanceId} again after this release read its record; nothing was restored`);
        return refuse('firebreak:check-cleared-record', instanceId, containedSinceCleared(clearance.releaseRecord, current, incident.key) ?? `the pre-quarantine record of ${instanceId} was claimed again after this release read it`);
      }
      if (!stillThisCapture || !claimsOf(current).includes(incident.key) || later.length === 0) {
        log.record('firebreak:hold-record', instanceId, 'skipped', `The pre-quarantine record of ${instanceId} changed since it was read (released or captured again): nothing was restored, and the step fails so that it is retried`);
        throw new TransientResponderError(`the pre-quarantine record of ${instanceId} changed before incident ${incident.key}'s release could hold it`);
      }
      log.record(
        'firebreak:hold-record',
        instanceId,
        'skipped',
        `Not restored: incident ${later.join(', incident ')} claimed ${instanceId} after this release read its record (${record.capturedAt} capture), so this release is no longer the last; only incident ${incident.key}'s claim is taken back`,
      );
      return releaseClaimOnly(current, later);
    }
    log.record('firebreak:hold-record', instanceId, 'done', `Held the pre-quarantine record for the restore until ${heldUntil}: an incident that claims ${instanceId} meanwhile is retried after it, not undone by it`);
  }

  // Network first: it is what the owners of the instance are waiting for.
  recordAll(
    log,
    plan.unchangedInterfaces.map((e) => ({
      api: 'ec2:ModifyNetworkInterfaceAttribute',
      target: e.id,
      outcome: e.why === 'already' ? ('already-done' as const) : ('skipped' as const),
      detail: e.why === 'already' ? 'Already in its recorded groups' : 'No longer attached to the instance: not restored',
    })),
  );
  const eniActions = await settleAll(plan.networkInterfaces.map((eni) => restoreGroups(ec2, mode, eni)));
  recordAll(log, eniActions);

  // Its Auto Scaling group and load balancers once the network is back, so that it passes their health checks.
  const [protections, profile, tags, edges, fleet] = await settleAll([
    restoreProtections(ec2, mode, instanceId, plan),
    restoreProfile(ec2, mode, instanceId, plan),
    restoreTags(ec2, mode, instanceId, plan),
    restoreEdges(ec2, mode, record, instance),
    releaseFleet(deps.clients, target, mode, record, options, instance),
  ] as const);
  recordAll(log, [...protections, profile, ...tags, ...edges.actions, ...fleet.actions]);

  if (mode === 'dry-run') {
    log.record('firebreak:mark-released', instanceId, 'would-do', `Would mark the pre-quarantine record released ${byWhom}`);
  } else {
    // Only the capture it held, at the serial held: another release of this incident may have
    // ended it first, and this incident's new execution captured the instance afresh since.
    const marked = await deps.records.markReleased(
      incident.account,
      incident.region,
      instanceId,
      {
        incidentKey: incident.key,
        releasedAt,
        releasedBy,
        ...(requestedBy !== undefined ? { releaseRequestedBy: requestedBy } : {}),
        ...(releaseReason !== undefined ? { releaseReason } : {}),
      },
      record,
    );
    if (marked === 'claimed') {
      // An incident claimed the instance after the hold ended (this restore outlasted
      // RESTORE_HOLD_SECONDS, which the Lambda timeout should make impossible), or another release
      // of this incident ended the capture held and the instance was captured again since: the
      // restore above may have undone that containment. Not retried (a retry would only take back
      // this claim): a person must look, and quarantine it again if that incident is still open.
      const why = `another incident claimed ${instanceId} while incident ${incident.key}'s release restored it (after the release's hold on the record ended), or the record it held was released by another release and ${instanceId} contained again since: the instance may be back in service while that incident is open. Check ${instanceId} and its pre-quarantine record; the record is left as it is, unreleased`;
      log.record('firebreak:mark-released', instanceId, 'skipped', `Not marked released: ${why}`);
      throw new ResponderFailedError(why);
    }
    log.record('firebreak:mark-released', instanceId, 'done', `Marked the pre-quarantine record released at ${releasedAt} ${byWhom}`);
  }

  return finish(mode === 'dry-run' ? 'dry-run' : 'released', {
    instanceId,
    networkInterfaces: plan.networkInterfaces.map((e) => ({ id: e.id, groupsRestored: [...e.to] })),
    ...(plan.profile.action === 'associate' ? { instanceProfileArn: plan.profile.arn } : {}),
    ...(edges.addresses.length > 0 ? { elasticIps: edges.addresses } : {}),
    preQuarantine: record,
    releasedBy,
    ...(requestedBy !== undefined ? { requestedBy } : {}),
    ...(releaseReason !== undefined ? { releaseReason } : {}),
    ...(fleet.result ? { fleet: fleet.result } : {}),
  });
}

/** release-instance as the responder runtime runs it (lib/responders/runtime.ts). */
export const releaseResponder = stepResponder(releaseOptionsSchema, releaseInstance);

/** What the release-instance Lambda is built from (module-scope in Lambda, injected by the local game day). */
export type ReleaseHandlerDeps = HandlerDeps<ReleaseDeps>;

/** The Lambda handler: parse the state machine's payload, then release. */
export const createReleaseInstanceHandler = (deps: ReleaseHandlerDeps): ResponderHandler<ReleaseResult> =>
  createResponderHandler(releaseResponder, deps);
