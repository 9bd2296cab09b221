/**
 * quarantine-instance: contain a compromised EC2 instance while keeping it as evidence.
 * Isolation first: describe the instance and find the isolation groups in one round trip; record
 * the pre-quarantine state (before the first change, so that release-instance can restore it
 * exactly); then isolate every ENI (untrack group, then isolation group) with the evidence
 * protections beside it (termination protection, shutdown behaviour `stop`, EBS volumes kept on
 * termination); then take its credentials away and tag it. Why each step is or is not on the
 * path to the first ENI move: docs/responders/quarantine-instance.md.
 */
import type { Ec2Clients } from '../aws/clients/ec2';
import type { IamClients } from '../aws/clients/iam';
import { quarantineOptions } from '../playbooks/instance-options';
import { protectionOf, protectionRulesOf } from './containment-guard-rails';
import { instanceRegionsOf } from './role-holders';
import type { DeploymentEnvironment } from './effective-mode';
import { gameDayRefusal } from './game-day';
import type { GrantReader, GrantRefusalCode } from './grants';
import { checkContainmentGrant, grantDryRunWhy, recordPausedGrant } from './grants';
import type { ObservedInstance } from './instance-state';
import { FIREBREAK_TAGS, isTerminatedState, observeInstance } from './instance-state';
import { TransientResponderError } from '../contracts/responder-errors';
import { ResponderRun, instanceGate } from './responder-run';
import type { EnsuredGroups, GroupNaming } from './isolation-groups';
import { findVpcGroups } from './isolation-groups';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { PendingAction } from './pending-actions';
import { recordAll, settleAll } from './pending-actions';
import type { QuarantineRecord, QuarantineRecordStore } from './quarantine-records';
import type { RecordSealer } from './record-integrity';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { RoleSessionsNotRevoked } from './quarantine-credentials';
import { removeCredentials, renewRoleSessionsRevocation } from './quarantine-credentials';
import { credentialRailsOf } from './credential-rails';
import { protectEvidence, tagInstance } from './quarantine-evidence';
import { aside, groupsOfInstanceVpcs, isolateInstance } from './quarantine-isolation';
import type { QuarantineOptions } from './quarantine-plan';
import { findingVpcIds, isFullyQuarantined } from './quarantine-plan';
import { capturePreQuarantineRecord, claimRecord, profileRoleFields, readProfileRoleIds, renewalProfileOf, saveRecord } from './quarantine-record-capture';
import type { FleetClients, FleetResult } from './quarantine-fleet';
import { containFleet, fleetLeftAlone, fleetPending, fleetResult, planFleet, readFleet, recordedRegistrationsOnly, throwFleetFailure } from './quarantine-fleet';
import { closeEdges, edgeRecordFields, edgesDone, observeEdges, readEdges } from './quarantine-edges';
import { stepClaimOf } from './step-binding';
import { actingTarget } from '../incident/finding-account';

export const QUARANTINE_RESPONDER = RESPONDER_NAMES.quarantineInstance;

/** The step's options (defaults live in the playbook action registry, in one place). */
export const quarantineOptionsSchema = quarantineOptions;

export type { QuarantineOptions };

export type QuarantineStatus =
  | 'quarantined'
  | 'already-quarantined'
  | 'dry-run'
  | 'not-found'
  | 'terminated'
  | 'skipped-sample'
  | 'not-an-instance'
  | 'refused';

/** Why a mutating responder refused to act (no matching containment grant, not a game-day target, protected now). */
export interface ResponderRefusal {
  readonly code: GrantRefusalCode | 'not-a-gameday-target' | 'protected';
  readonly reason: string;
}

export interface QuarantineResult extends ResponderResult<QuarantineStatus> {
  readonly instanceId?: string;
  /** The isolation group of the instance's VPC (undefined in dry-run when it does not exist yet). */
  readonly isolationGroupId?: string;
  readonly untrackGroupId?: string;
  /** Every ENI of the instance with the groups it had before quarantine. */
  readonly networkInterfaces: readonly { readonly id: string; readonly groupsBefore: readonly string[] }[];
  /** The instance profile taken away (or that would be), so a person can see what the role was. */
  readonly instanceProfileArn?: string;
  /** Set when the role's older sessions were (or would be) revoked. */
  readonly revokedRoleSessions?: { readonly roleName: string; readonly policyName: string; readonly issuedBefore: string };
  /** Set when option revokeRoleSessions met a role the credential rails refuse (protected, privileged, Firebreak's own): its sessions stay valid. */
  readonly roleSessionsNotRevoked?: readonly RoleSessionsNotRevoked[];
  /** The recorded pre-quarantine state (the original one on a second run). */
  readonly preQuarantine?: QuarantineRecord;
  /** Set with status `refused`: why nothing was changed. */
  readonly refusal?: ResponderRefusal;
  /** The Auto Scaling group and load balancers the instance was taken out of (options autoScaling, deregisterFromLoadBalancers). */
  readonly fleet?: FleetResult;
}

export interface QuarantineDeps {
  /** EC2 in the incident's account; IAM there only when the step revokes role sessions. */
  readonly clients: Ec2Clients & IamClients & FleetClients;
  readonly logger: IncidentLogger;
  readonly records: QuarantineRecordStore;
  /**
   * Seals the pre-quarantine record with the deployment's KMS HMAC key (record-integrity.ts).
   * @default none: the record is saved unsealed, and release refuses to restore from it
   */
  readonly sealer?: RecordSealer;
  /** Where the containment guard's grants (and approvals) are read. */
  readonly grants: GrantReader;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
  /**
   * How isolation groups are named when an impostor holds the plain name.
   * @default 8 random hex digits (the local game day passes seeded ones, so that its runs repeat)
   */
  readonly groupNaming?: GroupNaming;
}

function describeObservation(instance: ObservedInstance): string {
  const vpcs = [...new Set(instance.networkInterfaces.map((e) => e.vpcId ?? '?'))].join(', ');
  return [
    `${instance.state}`,
    `${instance.networkInterfaces.length} ENI(s) in ${vpcs || 'no VPC'}`,
    instance.profileAssociation ? `instance profile ${instance.profileAssociation.instanceProfileArn}` : 'no instance profile',
    `termination protection ${instance.disableApiTermination ? 'on' : 'off'}`,
    `shutdown behaviour ${instance.shutdownBehavior}`,
    `${instance.ebsVolumes.length} EBS volume(s)`,
    instance.tags[FIREBREAK_TAGS.status] ? `firebreak:status=${instance.tags[FIREBREAK_TAGS.status]}` : 'not tagged by Firebreak',
  ].join('; ');
}

/** Contains an EC2 instance: evidence protections, isolation of every ENI, credentials, tags. */
export async function quarantineInstance(
  input: ResponderInput<QuarantineOptions>,
  deps: QuarantineDeps,
): Promise<QuarantineResult> {
  const { incident, options: requested } = input;
  const logger = deps.logger;
  // The input's mode is a claim: the deployment (and below, the grant) can only lower it.
  const run = new ResponderRun<QuarantineStatus>({
    responder: QUARANTINE_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: ['already-quarantined'],
  });
  const { log, now } = run;
  const finish = run.finisher<QuarantineResult>({ networkInterfaces: [] }, (r) => ({ instanceId: r.instanceId, actions: r.actions.length }));

  // GuardDuty sample findings name placeholder resources in a real account: no call at all, not
  // even a DryRun one, so a sample can never touch a real instance.
  const gate = instanceGate(incident, log, { nothingDone: 'nothing is described or changed' });
  if (!gate.proceed) return finish(gate.status, gate.status === 'skipped-sample' ? { instanceId: gate.instanceId } : {});
  const { instanceId, resource } = gate;

  // 0. The containment guard's grant for THIS execution, before any call in the incident's account:
  // invoked directly (no execution, a forged or another incident's one), the responder does nothing.
  const grant = await checkContainmentGrant(
    { executionArn: input.execution?.executionArn, incident, instanceId, kind: 'contain', step: stepClaimOf(run.responder, input, quarantineOptionsSchema, run.deployment) },
    deps.grants,
    now(),
  );
  if (!grant.allowed) {
    log.record('firebreak:check-grant', instanceId, 'skipped', grant.reason);
    logger.warn('quarantine-instance refused: no matching containment grant', { code: grant.code, executionArn: input.execution?.executionArn });
    run.recordMode(instanceId);
    return finish('refused', { instanceId, refusal: { code: grant.code, reason: grant.reason } });
  }
  log.record('firebreak:check-grant', instanceId, 'observed', grant.reason);
  // A grant the guard cleared with no blast-radius slot (the instance held quarantined already, row
  // 15o) spends nothing beyond the instance: a deny of the role's sessions reaches every holder of
  // the role, so none is written under it (row 15s; the guard takes a slot for such a playbook).
  const heldOnly = grant.grant.heldQuarantine === true && requested.revokeRoleSessions;
  const options = heldOnly ? { ...requested, revokeRoleSessions: false } : requested;
  if (heldOnly) {
    log.record('iam:PutRolePolicy', instanceId, 'skipped', `The containment guard took no blast-radius slot for this execution (Firebreak holds ${instanceId} quarantined already): the sessions of its role, which every holder of the role shares, are not denied again under it.`);
  }
  recordPausedGrant(log, instanceId, grant);
  run.lowerTo(grant.mode, grantDryRunWhy(grant));
  run.recordMode(instanceId);
  const mode = run.mode;

  logger.info('quarantine-instance started', { instanceId, mode, account: incident.account, region: incident.region });
  const target = { account: incident.account, region: incident.region };
  // Row 9i: the first client asked names whose finding this is, so nothing runs in the security account for another's.
  const ec2 = await deps.clients.ec2(actingTarget(incident));
  // Where a protected instance holding the profile's role is looked for: every region of the account,
  // or where the deployment says instances run (row 2z). A malformed setting fails here, before any write.
  const instanceRegions = options.revokeRoleSessions ? instanceRegionsOf(run.deployment) : undefined;
  const holderSearch = {
    ec2: async (region: string) => (region === target.region ? ec2 : deps.clients.ec2({ ...target, region })),
    region: target.region,
    instanceId,
    protection: protectionRulesOf(run.deployment),
    ...(instanceRegions !== undefined ? { instanceRegions } : {}),
  };

  // 1. One round trip: the instance as EC2 describes it and, beside it, the isolation groups of the
  // VPC the finding names. That VPC is a claim: step 2 keeps only what EC2 confirms.
  const claimedVpcIds = findingVpcIds(resource);
  // The Auto Scaling group and load balancers (when the options ask) are read beside it.
  // The record's capture time is taken before these reads, not when the record is written: release
  // refuses a group or Classic Load Balancer of the recorded name created after it (rows 3j, 3l),
  // and one made again under the name between a read and the record, seconds later in an account of
  // many target groups, must count as after (row 3m).
  const capturedAt = now().toISOString();
  const observing = observeInstance(ec2, instanceId, target.account);
  const fleetRead = aside(readFleet(deps.clients, target, instanceId, options, observing));
  // The roles of the instance profile the finding names, for the record (release associates the
  // profile only while it holds exactly those: row 3f), read beside it too: a claim, kept only when
  // EC2 shows that profile associated. No profile named (or another one): the associated one is read
  // once EC2 has named it (below).
  // Only when the step takes the profile away (its role holds iam:GetInstanceProfile only then:
  // lib/playbooks/actions.ts); a profile left associated is never associated again by release.
  const takesProfile = options.detachInstanceProfile !== false;
  const claimedProfileArn = resource.instanceProfileArn;
  const profileRoles = takesProfile && claimedProfileArn !== undefined ? aside(readProfileRoleIds(deps.clients, target, claimedProfileArn)) : undefined;
  const [observation, claimedGroups, addressesRead] = await settleAll([
    observing,
    aside(findVpcGroups(ec2, target.account, claimedVpcIds)),
    aside(readEdges(ec2, instanceId, options)),
  ] as const);
  if (!observation.found) {
    log.record('ec2:DescribeInstances', instanceId, 'observed', observation.reason);
    return finish('not-found', { instanceId });
  }
  const instance = observation.instance;
  log.record('ec2:DescribeInstances', instanceId, 'observed', describeObservation(instance));
  if (isTerminatedState(instance.state)) {
    log.record('firebreak:decide', instanceId, 'skipped', `The instance is ${instance.state}: there is nothing left to contain`);
    return finish('terminated', { instanceId });
  }
  // A drill changes only instances that opted in, as EC2 says now (never as the event says).
  // The grant's game-day flag counts too: the guard judged the verified execution, not this input.
  const notATarget = gameDayRefusal({ key: incident.key, gameDay: incident.gameDay || grant.grant.gameDay }, instanceId, instance.tags);
  if (notATarget !== undefined) {
    log.record('firebreak:check-gameday-target', instanceId, 'skipped', notATarget);
    return finish('refused', { instanceId, refusal: { code: 'not-a-gameday-target', reason: notATarget } });
  }
  // Protection again, as the deployment and EC2 say now: the guard judged it before an approval
  // wait (up to 24 h) that may end in containment (onTimeout: contain). Approval never overrides it.
  const protection = protectionOf(instanceId, protectionRulesOf(run.deployment), instance.tags);
  if (protection.protected) {
    const reason = `${protection.reason} Checked again as quarantine acts (the guard cleared this execution earlier, possibly before an approval wait): nothing was changed.`;
    log.record('firebreak:check-protection', instanceId, 'skipped', reason);
    return finish('refused', { instanceId, refusal: { code: 'protected', reason } });
  }

  // The profile EC2 shows associated, when the finding named no VPC and no profile or another (a
  // CloudWatch alarm names neither): its roles are read now, beside step 2's group lookup, which
  // such a finding makes anyway, so no round trip is added before the first move; the record then
  // says which role release may pass back. Otherwise (a finding naming a VPC and another profile)
  // none is recorded, and release leaves the profile disassociated while it holds a role (rows 3g, 3h).
  const associatedProfileArn = instance.profileAssociation?.instanceProfileArn;
  const readsAssociated = takesProfile && associatedProfileArn !== undefined && associatedProfileArn !== claimedProfileArn && claimedVpcIds.length === 0;
  const associatedRoles = readsAssociated ? aside(readProfileRoleIds(deps.clients, target, associatedProfileArn)) : profileRoles;
  const rolesReadOf = readsAssociated ? associatedProfileArn : claimedProfileArn;

  // 2. The groups of the VPCs EC2 shows the ENIs in: no further call when the finding named them.
  const vpcIds = [...new Set(instance.networkInterfaces.flatMap((e) => (e.vpcId ? [e.vpcId] : [])))];
  const vpcGroups = await groupsOfInstanceVpcs(ec2, target.account, instanceId, vpcIds, claimedVpcIds, claimedGroups, log, logger);
  const primaryVpc = instance.vpcId ?? vpcIds[0];
  const interfacesBefore = (record?: QuarantineRecord) =>
    instance.networkInterfaces.map((eni) => ({
      id: eni.networkInterfaceId,
      groupsBefore: [
        ...(record?.networkInterfaces.find((r) => r.networkInterfaceId === eni.networkInterfaceId)?.groupIds ?? eni.groupIds),
      ],
    }));

  const fleetObserved = planFleet(await fleetRead, instanceId, options);
  recordAll(log, fleetObserved.observed);

  const edges = observeEdges(addressesRead, instance, options);
  if (isFullyQuarantined(instance, vpcGroups, options) && edgesDone(edges, instance) && !fleetPending(fleetObserved)) {
    const groups = primaryVpc ? vpcGroups.get(primaryVpc) : undefined;
    const read = await deps.records.get(incident.account, incident.region, instanceId);
    if (read?.released === true && mode !== 'dry-run') {
      // A released record under an instance seen quarantined: either it was isolated again by hand,
      // or the last release of another incident restored it between the read of EC2 above and this
      // read. EC2 tells which: still quarantined, nothing to claim (below); restored, this run
      // would answer already-quarantined for a restored instance, so it fails as transient
      // (nothing changed yet) and its retry records the instance and contains it.
      const again = await observeInstance(ec2, instanceId, target.account);
      if (again.found && !isFullyQuarantined(again.instance, vpcGroups, options)) {
        const why = `the pre-quarantine record of ${instanceId} was released (at ${read.releasedAt ?? 'an unknown time'}) and EC2 no longer shows the instance quarantined: another incident's release restored it while this run looked`;
        log.record('firebreak:claim-quarantine', instanceId, 'skipped', `Not contained yet: ${why}; the step fails so that it is retried and contains it`);
        throw new TransientResponderError(why);
      }
    }
    log.record(
      'firebreak:decide',
      instanceId,
      'already-done',
      `Already quarantined (by incident ${instance.tags[FIREBREAK_TAGS.incident] ?? 'unknown'}): every ENI is in the isolation group, no instance profile, protections on; its isolation is not changed`,
    );
    // This incident holds the quarantine too: another incident's release must not lift it while
    // this one is open (review r3 F1). Without an unreleased record there is nothing to claim.
    const existing = read !== undefined && read.released !== true ? await claimRecord(mode, deps.records, read, incident.key, log, now().toISOString()) : read;
    const held = existing !== undefined && existing.released !== true ? existing : undefined;
    if (held === undefined) {
      log.record(
        'firebreak:claim-quarantine',
        instanceId,
        'skipped',
        `Firebreak holds no unreleased pre-quarantine record of ${instanceId} (it was isolated by hand, or its record is gone): incident ${incident.key} has nothing to claim, and release-instance cannot restore it`,
      );
    }
    // The isolation stands, but a new execution (GuardDuty updated the finding: the role's
    // credentials used again, perhaps with a session taken after the first cut-off; or another
    // incident asking for the same) denies the role's sessions again, up to now (row 11i). No ENI,
    // snapshot or record is touched: the record keeps the original state release restores. The
    // profile comes from EC2, else from the record only when its seal holds (renewalProfileOf).
    const renewed = options.revokeRoleSessions
      ? await renewRoleSessionsRevocation(
          deps.clients,
          target,
          mode,
          instanceId,
          await renewalProfileOf(instance, held, target, deps.sealer),
          { rails: credentialRailsOf(run.deployment, run.responder), incident, gameDay: grant.grant.gameDay, sharing: holderSearch },
          grant.grant.grantedAt,
          now().toISOString(),
          logger,
        )
      : undefined;
    if (renewed !== undefined) recordAll(log, renewed.actions);
    return finish('already-quarantined', {
      ...(renewed?.revoked ? { revokedRoleSessions: renewed.revoked, idempotentReplay: false } : {}),
      ...(renewed?.notRevoked ? { roleSessionsNotRevoked: renewed.notRevoked } : {}),
      instanceId,
      ...(groups?.isolation ? { isolationGroupId: groups.isolation.groupId } : {}),
      ...(groups?.untrack ? { untrackGroupId: groups.untrack.groupId } : {}),
      networkInterfaces: interfacesBefore(existing),
      ...(existing?.instanceProfileArn ? { instanceProfileArn: existing.instanceProfileArn } : {}),
      ...(existing ? { preQuarantine: existing } : {}),
    });
  }

  // 3. The record, durable before the first change (sealed, then written once; see the store). It
  // stays on the path of the first move: a run that moved an ENI and then died before the record
  // was written would be retried into recording the untrack group as the ENI's original groups,
  // and release would restore that all-traffic group (docs/responders/quarantine-instance.md).
  const captured = {
    ...capturePreQuarantineRecord(instance, { ...target, incidentKey: incident.key }, capturedAt),
    ...edgeRecordFields(edges, instance),
    ...fleetObserved.recordFields,
    ...profileRoleFields(await associatedRoles, rolesReadOf, associatedProfileArn, log),
  };
  const saved = await saveRecord(mode, deps.records, captured, log, logger, deps.sealer);
  const preQuarantine = saved.record;
  // The fleet is changed only once the record holds what release needs to undo it.
  // A later run whose only additions were registrations made since the capture (row 3v) still
  // changes what the record holds; those it could not add are left registered and said.
  const fleet = saved.fleetUnrecorded
    ? saved.onlyRegistrationsUnrecorded
      ? recordedRegistrationsOnly(fleetObserved, preQuarantine.loadBalancers, saved.fleetUnrecorded)
      : fleetLeftAlone(
          instanceId,
          saved.fleetUnrecorded,
          'The Auto Scaling group and load balancers are left as they are: the record does not hold them, so release could not undo a change',
          `The Auto Scaling group and load balancers of ${instanceId} were not changed (${saved.fleetUnrecorded.message}): the instance may still be replaced by its group`,
        )
    : fleetObserved;
  if (saved.onlyRegistrationsUnrecorded) recordAll(log, fleet.observed.filter((action) => !fleetObserved.observed.includes(action)));

  // 4. Isolation first: per VPC, its groups made ready (no call on a VPC seen before), then every
  // ENI of that VPC moved, concurrently across ENIs, untrack then isolation within each. The
  // evidence protections run beside the moves, never before them: the record already holds what
  // they change, so release restores them exactly whichever finishes first.
  // Out of the Auto Scaling group's hands beside them: its health checks need tens of seconds of
  // failures before the group acts, the detach or standby call well under one.
  const [isolated, evidence, fleetChanges] = await settleAll([
    aside(isolateInstance(ec2, mode, target.account, instance, vpcIds, vpcGroups, deps.groupNaming)),
    aside(protectEvidence(ec2, mode, instance)),
    aside(containFleet(deps.clients, target, mode, instanceId, fleet)),
  ] as const);
  const issuedBefore = now().toISOString();
  // A protected instance holding the same profile keeps the role's sessions too (row 2v).
  const roleRails = { rails: credentialRailsOf(run.deployment, run.responder), incident, gameDay: grant.grant.gameDay, sharing: holderSearch };
  // No profile now but one in the kept record: an earlier attempt took it and failed before the deny (row 2ze).
  // Read inside removeCredentials, so that a seal check that fails (KMS throttled) fails with it, beside the tags and edges.
  const recorded =
    options.revokeRoleSessions && instance.profileAssociation === undefined && preQuarantine.instanceProfileArn !== undefined
      ? async () => ({ profile: await renewalProfileOf(instance, preQuarantine, target, deps.sealer), clearedAt: grant.grant.grantedAt })
      : undefined;
  if (!isolated.ok) {
    // The network could not be cut (a VPC where the isolation groups cannot be created: whoever may
    // create security groups can use up the Region's quota first; EC2 throttled past every retry):
    // what does not depend on it is still taken, so that a failed isolation does not also leave the
    // instance its role's credentials, its metadata endpoint and its Elastic IPs. The record already
    // holds them for release. No tag: `firebreak:status=quarantined` would claim an isolation that
    // did not happen. The step then fails as the isolation did (retried, or alerted).
    // Their own failures are noted with the attempt's actions (attempt-actions.ts); the isolation's
    // error is the one raised, as before.
    const [credentials, edgeActions] = await Promise.all([
      aside(removeCredentials(ec2, deps.clients, target, mode, instance, options, roleRails, issuedBefore, logger, recorded)),
      aside(closeEdges(ec2, mode, instance, edges)),
    ]);
    if (credentials.ok) recordAll(log, credentials.value.actions);
    if (edgeActions.ok) recordAll(log, edgeActions.value);
    throw isolated.error;
  }
  // As before: the protections' failure is raised once the moves are done; credentials and tags
  // then wait for a person (the playbook's Catch alerts).
  if (!evidence.ok) throw evidence.error;
  const evidenceActions = evidence.value;
  const isolation = isolated.value;
  for (const groups of isolation.groups) recordAll(log, groups.actions);
  for (const actions of isolation.moves) recordAll(log, actions.map((action) => movedAgain(action, instance)));
  recordAll(log, evidenceActions);
  if (fleetChanges.ok) recordAll(log, fleetChanges.value);
  const groupsByVpc = new Map<string, EnsuredGroups>(isolation.groups.map((g) => [g.vpcId, g]));

  // 5. Credentials and tags, once every ENI is isolated. The role's sessions under the credential
  // rails, read from the deployment; the grant's game-day flag counts, as for the instance.
  const [credentials, tagAction, edgeActions] = await settleAll([
    removeCredentials(ec2, deps.clients, target, mode, instance, options, roleRails, issuedBefore, logger, recorded),
    tagInstance(ec2, mode, instance, incident.key, now().toISOString()),
    closeEdges(ec2, mode, instance, edges),
  ] as const);
  recordAll(log, credentials.actions);
  recordAll(log, [tagAction]);
  recordAll(log, edgeActions);
  throwFleetFailure(fleet, fleetChanges);

  const primaryGroups = primaryVpc ? groupsByVpc.get(primaryVpc) : undefined;
  return finish(mode === 'dry-run' ? 'dry-run' : 'quarantined', {
    instanceId,
    ...(primaryGroups?.isolationGroupId ? { isolationGroupId: primaryGroups.isolationGroupId } : {}),
    ...(primaryGroups?.untrackGroupId ? { untrackGroupId: primaryGroups.untrackGroupId } : {}),
    networkInterfaces: interfacesBefore(preQuarantine),
    ...(credentials.instanceProfileArn ? { instanceProfileArn: credentials.instanceProfileArn } : {}),
    ...(credentials.revoked ? { revokedRoleSessions: credentials.revoked } : {}),
    ...(credentials.notRevoked ? { roleSessionsNotRevoked: credentials.notRevoked } : {}),
    preQuarantine,
    ...(fleet.observed.length > 0 ? { fleet: fleetResult(fleet) } : {}),
  });
}

/** quarantine-instance as the responder runtime runs it (lib/responders/runtime.ts). */
export const quarantineResponder = stepResponder(quarantineOptionsSchema, quarantineInstance);

/** What the quarantine-instance Lambda is built from (module-scope in Lambda, injected by the local game day). */
export type QuarantineHandlerDeps = HandlerDeps<QuarantineDeps>;

/** The Lambda handler: parse the state machine's payload, then quarantine. */
export const createQuarantineInstanceHandler = (deps: QuarantineHandlerDeps): ResponderHandler<QuarantineResult> =>
  createResponderHandler(quarantineResponder, deps);

/**
 * A move of an ENI out of its groups on an instance EC2 shows tagged quarantined: Firebreak had
 * isolated it, and someone with the account's EC2 permissions moved the ENI out of the isolation
 * group since (or attached it). The move says so, for the people reading the alert: the isolation
 * was undone behind Firebreak's back, which CloudTrail shows. The tag is only read for these words.
 */
function movedAgain(action: PendingAction, instance: ObservedInstance): PendingAction {
  if (action.outcome !== 'done' || action.api !== 'ec2:ModifyNetworkInterfaceAttribute' || instance.tags[FIREBREAK_TAGS.status] !== 'quarantined') return action;
  const incident = instance.tags[FIREBREAK_TAGS.incident] ?? 'unknown';
  return {
    ...action,
    detail: `${action.detail} (isolated again: ${instance.instanceId} is tagged quarantined (incident ${incident}), but ${action.target} was out of the isolation group: someone changed its groups after Firebreak isolated it; see CloudTrail for ModifyNetworkInterfaceAttribute and AttachNetworkInterface on it)`,
  };
}
