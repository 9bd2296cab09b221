/**
 * quarantine-instance: contain a compromised EC2 instance while keeping it as evidence.
 * Isolation first: describe the instance and find the isolation groups in one round trip; record
 * the pre-quarantine state (before the first change, so that release-instance can restore it
 * exactly); then isolate every ENI (untrack group, then isolation group) with the evidence
 * protections beside it (termination protection, shutdown behaviour `stop`, EBS volumes kept on
 * termination); then take its credentials away and tag it. Why each step is or is not on the
 * path to the first ENI move: docs/responders/quarantine-instance.md.
 */
import {
  CreateTagsCommand,
  DisassociateIamInstanceProfileCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { z } from 'zod';
import type { Ec2Clients } from '../aws/clients/ec2';
import type { IamClients } from '../aws/clients/iam';
import type { Ec2InstanceResource } from '../incident/model';
import { isWellFormedVpcId } from '../incident/identifiers';
import { sendReadOnly } from './mutating';
import { ACTIONS } from '../playbooks/actions';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import { gameDayRefusal } from './game-day';
import type { GrantReader, GrantRefusalCode } from './grants';
import { checkContainmentGrant } from './grants';
import type {
  ObservedInstance,
  ObservedNetworkInterface,
  ObservedVolume,
} from './instance-state';
import { FIREBREAK_TAGS, firebreakTags, isPlaceholderInstanceId, isTerminatedState, observeInstance } from './instance-state';
import type { EnsuredGroups, VpcGroups } from './isolation-groups';
import { ensureVpcGroups, findVpcGroups, groupsReady } from './isolation-groups';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateEc2, mutateUnprobed, recordAll, settleAll } from './pending-actions';
import type { QuarantineRecord, QuarantineRecordStore } from './quarantine-records';
import type { RecordSealer } from './record-integrity';
import { TransientResponderError } from '../contracts/responder-errors';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler, stepResponder } from './runtime';

export const QUARANTINE_RESPONDER = 'quarantine-instance';

/** The step's options (defaults live in the playbook action registry, in one place). */
export const quarantineOptionsSchema = ACTIONS['quarantine-instance'].options;
export type QuarantineOptions = z.output<typeof quarantineOptionsSchema>;

/** The inline policy that revokes the role's sessions issued before the quarantine. */
export const REVOKE_SESSIONS_POLICY_NAME = 'FirebreakRevokeOlderSessions';

export type QuarantineStatus =
  | 'quarantined'
  | 'already-quarantined'
  | 'dry-run'
  | 'not-found'
  | 'terminated'
  | 'skipped-sample'
  | 'not-an-instance'
  | 'refused';

/** Why a mutating responder refused to act (no matching containment grant, not a game-day target). */
export interface ResponderRefusal {
  readonly code: GrantRefusalCode | 'not-a-gameday-target';
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
  /** The recorded pre-quarantine state (the original one on a second run). */
  readonly preQuarantine?: QuarantineRecord;
  /** Set with status `refused`: why nothing was changed. */
  readonly refusal?: ResponderRefusal;
}

export interface QuarantineDeps {
  /** EC2 in the incident's account; IAM there only when the step revokes role sessions. */
  readonly clients: Ec2Clients & IamClients;
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
}

/** The evidence protections still to switch on. */
export interface EvidencePlan {
  readonly enableTerminationProtection: boolean;
  readonly setShutdownToStop: boolean;
  /** EBS volumes that would be deleted with the instance. */
  readonly keepVolumes: readonly ObservedVolume[];
}

/** Which protections are missing (pure). */
export function planEvidence(instance: ObservedInstance): EvidencePlan {
  return {
    enableTerminationProtection: !instance.disableApiTermination,
    // An instance-store-backed instance cannot stop, so EC2 refuses `stop` as its shutdown behaviour.
    setShutdownToStop: instance.shutdownBehavior !== 'stop' && instance.rootDeviceType !== 'instance-store',
    keepVolumes: instance.ebsVolumes.filter((v) => v.deleteOnTermination),
  };
}

/** How far an ENI is from isolation (pure). */
export function eniIsolationStep(
  eni: ObservedNetworkInterface,
  groups: { readonly untrackGroupId?: string; readonly isolationGroupId?: string },
): 'isolated' | 'isolate-only' | 'untrack-then-isolate' {
  const only = (id: string | undefined) => id !== undefined && eni.groupIds.length === 1 && eni.groupIds[0] === id;
  if (only(groups.isolationGroupId)) return 'isolated';
  // Already moved to the untrack group by an interrupted run: its flows are untracked already.
  if (only(groups.untrackGroupId)) return 'isolate-only';
  return 'untrack-then-isolate';
}

/**
 * True when the instance is fully quarantined: tagged, every ENI only in its VPC's (ready)
 * isolation group, no instance profile (when the step takes it) and every protection on.
 */
export function isFullyQuarantined(
  instance: ObservedInstance,
  vpcGroups: ReadonlyMap<string, VpcGroups>,
  options: QuarantineOptions,
): boolean {
  const evidence = planEvidence(instance);
  const isolated = instance.networkInterfaces.every((eni) => {
    const groups = eni.vpcId ? vpcGroups.get(eni.vpcId) : undefined;
    return (
      groups !== undefined &&
      groupsReady(groups) &&
      eniIsolationStep(eni, { isolationGroupId: groups.isolation?.groupId }) === 'isolated'
    );
  });
  return (
    instance.tags[FIREBREAK_TAGS.status] === 'quarantined' &&
    isolated &&
    (!options.detachInstanceProfile || instance.profileAssociation === undefined) &&
    !evidence.enableTerminationProtection &&
    !evidence.setShutdownToStop &&
    evidence.keepVolumes.length === 0
  );
}

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

/** The instance profile name at the end of its ARN (`arn:aws:iam::123:instance-profile/path/name`). */
export function instanceProfileName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
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
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const { incident, options } = input;
  const logger = deps.logger;
  const environment = deps.environment ?? process.env;
  // The input's mode is a claim: the deployment (and below, the grant) can only lower it.
  let effective: EffectiveMode = effectiveMode(input.mode, environment);
  const finish = (status: QuarantineStatus, extra: Partial<QuarantineResult> = {}): QuarantineResult => {
    const result: QuarantineResult = {
      responder: QUARANTINE_RESPONDER,
      incidentKey: incident.key,
      mode: effective.mode,
      status,
      idempotentReplay: status === 'already-quarantined',
      actions: log.actions,
      networkInterfaces: [],
      ...forcedDryRunField(effective),
      ...extra,
    };
    logger.info('quarantine-instance finished', { status, instanceId: result.instanceId, actions: result.actions.length });
    return result;
  };

  const resource = incident.resource;
  if (resource.kind !== 'ec2-instance') {
    log.record('firebreak:decide', resource.kind, 'skipped', `The incident concerns a ${resource.kind} resource, not an EC2 instance`);
    return finish('not-an-instance');
  }
  const instanceId = resource.instanceId;
  // GuardDuty sample findings name placeholder resources in a real account: no call at all, not
  // even a DryRun one, so a sample can never touch a real instance.
  if (incident.sample || isPlaceholderInstanceId(instanceId)) {
    log.record(
      'firebreak:decide',
      instanceId,
      'skipped',
      incident.sample
        ? 'GuardDuty sample finding: nothing is described or changed'
        : `${instanceId} is a placeholder id (as in GuardDuty sample findings): nothing is described or changed`,
    );
    return finish('skipped-sample', { instanceId });
  }

  // 0. The containment guard's grant for THIS execution, before any call in the incident's account:
  // invoked directly (no execution, a forged or another incident's one), the responder does nothing.
  const grant = await checkContainmentGrant(
    { executionArn: input.execution?.executionArn, incident, instanceId, kind: 'contain' },
    deps.grants,
    now(),
  );
  if (!grant.allowed) {
    log.record('firebreak:check-grant', instanceId, 'skipped', grant.reason);
    logger.warn('quarantine-instance refused: no matching containment grant', { code: grant.code, executionArn: input.execution?.executionArn });
    recordEffectiveMode(log, instanceId, effective);
    return finish('refused', { instanceId, refusal: { code: grant.code, reason: grant.reason } });
  }
  log.record('firebreak:check-grant', instanceId, 'observed', grant.reason);
  effective = effectiveMode(input.mode, environment, { mode: grant.mode, why: 'the containment guard cleared this execution for dry-run only' });
  recordEffectiveMode(log, instanceId, effective);
  const mode = effective.mode;

  logger.info('quarantine-instance started', { instanceId, mode, account: incident.account, region: incident.region });
  const target = { account: incident.account, region: incident.region };
  const ec2 = await deps.clients.ec2(target);

  // 1. One round trip: the instance as EC2 describes it and, beside it, the isolation groups of the
  // VPC the finding names. That VPC is a claim: step 2 keeps only what EC2 confirms.
  const claimedVpcIds = findingVpcIds(resource);
  const [observation, claimedGroups] = await settleAll([
    observeInstance(ec2, instanceId),
    aside(findVpcGroups(ec2, claimedVpcIds)),
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

  // 2. The groups of the VPCs EC2 shows the ENIs in: no further call when the finding named them.
  const vpcIds = [...new Set(instance.networkInterfaces.flatMap((e) => (e.vpcId ? [e.vpcId] : [])))];
  const vpcGroups = await groupsOfInstanceVpcs(ec2, instanceId, vpcIds, claimedVpcIds, claimedGroups, log, logger);
  const primaryVpc = instance.vpcId ?? vpcIds[0];
  const interfacesBefore = (record?: QuarantineRecord) =>
    instance.networkInterfaces.map((eni) => ({
      id: eni.networkInterfaceId,
      groupsBefore: [
        ...(record?.networkInterfaces.find((r) => r.networkInterfaceId === eni.networkInterfaceId)?.groupIds ?? eni.groupIds),
      ],
    }));

  if (isFullyQuarantined(instance, vpcGroups, options)) {
    const groups = primaryVpc ? vpcGroups.get(primaryVpc) : undefined;
    const existing = await deps.records.get(incident.account, incident.region, instanceId);
    log.record(
      'firebreak:decide',
      instanceId,
      'already-done',
      `Already quarantined (by incident ${instance.tags[FIREBREAK_TAGS.incident] ?? 'unknown'}): every ENI is in the isolation group, no instance profile, protections on; nothing changed`,
    );
    return finish('already-quarantined', {
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
  const captured = capturePreQuarantineRecord(instance, { ...target, incidentKey: incident.key }, now().toISOString());
  const preQuarantine = await saveRecord(mode, deps.records, captured, log, logger, deps.sealer);

  // 4. Isolation first: per VPC, its groups made ready (no call on a VPC seen before), then every
  // ENI of that VPC moved, concurrently across ENIs, untrack then isolation within each. The
  // evidence protections run beside the moves, never before them: the record already holds what
  // they change, so release restores them exactly whichever finishes first.
  const [isolation, evidenceActions] = await settleAll([
    isolateInstance(ec2, mode, instance, vpcIds, vpcGroups),
    protectEvidence(ec2, mode, instance),
  ] as const);
  for (const groups of isolation.groups) recordAll(log, groups.actions);
  for (const actions of isolation.moves) recordAll(log, actions);
  recordAll(log, evidenceActions);
  const groupsByVpc = new Map<string, EnsuredGroups>(isolation.groups.map((g) => [g.vpcId, g]));

  // 5. Credentials and tags, once every ENI is isolated.
  const issuedBefore = now().toISOString();
  const [credentials, tagAction] = await settleAll([
    removeCredentials(ec2, deps.clients, target, mode, instance, options, issuedBefore, logger),
    tagInstance(ec2, mode, instance, incident.key, now().toISOString()),
  ] as const);
  recordAll(log, credentials.actions);
  recordAll(log, [tagAction]);

  const primaryGroups = primaryVpc ? groupsByVpc.get(primaryVpc) : undefined;
  return finish(mode === 'dry-run' ? 'dry-run' : 'quarantined', {
    instanceId,
    ...(primaryGroups?.isolationGroupId ? { isolationGroupId: primaryGroups.isolationGroupId } : {}),
    ...(primaryGroups?.untrackGroupId ? { untrackGroupId: primaryGroups.untrackGroupId } : {}),
    networkInterfaces: interfacesBefore(preQuarantine),
    ...(credentials.instanceProfileArn ? { instanceProfileArn: credentials.instanceProfileArn } : {}),
    ...(credentials.revoked ? { revokedRoleSessions: credentials.revoked } : {}),
    preQuarantine,
  });
}

/** The well-formed VPC ids the finding names for the instance's ENIs: claims, used only to look up early. */
export function findingVpcIds(resource: Ec2InstanceResource): string[] {
  return [...new Set(resource.networkInterfaces.flatMap((eni) => (eni.vpcId !== undefined && isWellFormedVpcId(eni.vpcId) ? [eni.vpcId] : [])))];
}

/** A call made beside another whose answer may make it moot: its failure is kept, not thrown. */
type Aside<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

function aside<T>(call: Promise<T>): Promise<Aside<T>> {
  return call.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/**
 * The Firebreak groups of the VPCs EC2 shows the instance's ENIs in. The lookup made beside the
 * describe asked for the VPCs the finding named; its answers count only for VPCs EC2 confirms (and
 * each group's VPC is EC2's answer too), so a finding that names another VPC can never send an ENI
 * to that VPC's groups. Any VPC it did not answer for is looked up now: one more round trip, paid
 * only when the finding named no VPC (a CloudWatch alarm), another VPC, or the early lookup failed.
 */
async function groupsOfInstanceVpcs(
  ec2: EC2Client,
  instanceId: string,
  vpcIds: readonly string[],
  claimedVpcIds: readonly string[],
  early: Aside<Map<string, VpcGroups>>,
  log: ActionLog,
  logger: IncidentLogger,
): Promise<Map<string, VpcGroups>> {
  if (!early.ok) {
    const why = early.error instanceof Error ? `${early.error.name}: ${early.error.message}` : String(early.error);
    logger.warn('The isolation groups of the VPC the finding names could not be looked up beside the describe; looking them up again', { error: why });
  }
  const known = early.ok ? early.value : new Map<string, VpcGroups>();
  const foreign = claimedVpcIds.filter((vpcId) => !vpcIds.includes(vpcId));
  if (foreign.length > 0) {
    log.record(
      'firebreak:check-finding-vpc',
      instanceId,
      'observed',
      `The finding names ${foreign.join(', ')}, but EC2 shows the instance's ENIs in ${vpcIds.join(', ') || 'no VPC'}: only the groups of the VPCs EC2 shows are used`,
    );
  }
  const missing = vpcIds.filter((vpcId) => !known.has(vpcId));
  const late = missing.length > 0 ? await findVpcGroups(ec2, missing) : new Map<string, VpcGroups>();
  return new Map(vpcIds.map((vpcId) => [vpcId, known.get(vpcId) ?? late.get(vpcId) ?? { vpcId }]));
}

/** What `isolateInstance` did: the groups of each VPC, and the moves of each ENI in the instance's order. */
interface IsolationOutcome {
  readonly groups: readonly EnsuredGroups[];
  readonly moves: readonly (readonly PendingAction[])[];
}

/**
 * Isolates every ENI: each VPC's groups are made ready once (no call when they already are), and
 * each ENI moves as soon as the groups of its own VPC are, so a VPC seen for the first time does
 * not hold back the others.
 */
async function isolateInstance(
  ec2: EC2Client,
  mode: ResponderMode,
  instance: ObservedInstance,
  vpcIds: readonly string[],
  vpcGroups: ReadonlyMap<string, VpcGroups>,
): Promise<IsolationOutcome> {
  const ready = new Map(vpcIds.map((vpcId) => [vpcId, ensureVpcGroups(ec2, mode, vpcGroups.get(vpcId) ?? { vpcId })]));
  const [groups, moves] = await settleAll([
    settleAll([...ready.values()]),
    settleAll(
      instance.networkInterfaces.map(async (eni) =>
        isolateNetworkInterface(ec2, mode, eni, eni.vpcId === undefined ? undefined : await ready.get(eni.vpcId)),
      ),
    ),
  ] as const);
  return { groups, moves };
}

async function saveRecord(
  mode: ResponderMode,
  records: QuarantineRecordStore,
  captured: QuarantineRecord,
  log: ActionLog,
  logger: IncidentLogger,
  sealer: RecordSealer | undefined,
): Promise<QuarantineRecord> {
  const api = 'firebreak:record-pre-quarantine-state';
  if (mode === 'dry-run') {
    log.record(api, captured.instanceId, 'would-do', 'Would record the pre-quarantine state (groups per ENI, profile, protections, tags), sealed with the record key, for release');
    return captured;
  }
  const sealed = await sealRecord(captured, log, logger, sealer);
  const saved = await records.saveIfAbsent(sealed);
  if (saved === 'saved') {
    log.record(api, captured.instanceId, 'done', 'Recorded the pre-quarantine state (groups per ENI, profile, protections, tags) for release');
    return sealed;
  }
  const original = await records.get(captured.account, captured.region, captured.instanceId);
  if (original && original.incidentKey !== captured.incidentKey) {
    logger.warn('An unreleased quarantine record from another incident exists; keeping it as the original state', {
      recordIncidentKey: original.incidentKey,
      recordCapturedAt: original.capturedAt,
    });
  }
  log.record(
    api,
    captured.instanceId,
    'already-done',
    `Kept the pre-quarantine state recorded at ${original?.capturedAt ?? 'an earlier run'} (incident ${original?.incidentKey ?? 'unknown'}): a later run never overwrites the original`,
  );
  return original ?? captured;
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

/**
 * Termination protection, shutdown behaviour `stop`, and EBS volumes kept on termination. One
 * attribute per ModifyInstanceAttribute call, as the API requires
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html).
 */
async function protectEvidence(ec2: EC2Client, mode: ResponderMode, instance: ObservedInstance): Promise<PendingAction[]> {
  const plan = planEvidence(instance);
  const id = instance.instanceId;
  const api = 'ec2:ModifyInstanceAttribute';
  const modify = (what: string, attribute: Omit<ConstructorParameters<typeof ModifyInstanceAttributeCommand>[0], 'InstanceId'>) =>
    mutateEc2(mode, api, id, what, (dryRun) =>
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, ...attribute, ...(dryRun ? { DryRun: true } : {}) })),
    ).then((r) => r.action);
  const calls: Promise<PendingAction>[] = [];
  const already: PendingAction[] = [];
  if (plan.enableTerminationProtection) {
    calls.push(modify('turn termination protection on, so the evidence cannot be terminated through the API', { DisableApiTermination: { Value: true } }));
  } else {
    already.push({ api, target: id, outcome: 'already-done', detail: 'Termination protection was already on' });
  }
  if (plan.setShutdownToStop) {
    calls.push(
      modify('set the instance-initiated shutdown behaviour to stop, so a shutdown from inside does not terminate it', {
        InstanceInitiatedShutdownBehavior: { Value: 'stop' },
      }),
    );
  } else if (instance.shutdownBehavior === 'stop') {
    already.push({ api, target: id, outcome: 'already-done', detail: 'Instance-initiated shutdown behaviour was already stop' });
  } else {
    already.push({
      api,
      target: id,
      outcome: 'skipped',
      detail: 'Instance-store-backed instance: it cannot stop, so its shutdown behaviour stays terminate (termination protection does not cover a shutdown from inside)',
    });
  }
  if (plan.keepVolumes.length > 0) {
    calls.push(
      modify(
        `keep EBS volume(s) ${plan.keepVolumes.map((v) => `${v.deviceName}${v.volumeId ? ` (${v.volumeId})` : ''}`).join(', ')} when the instance terminates`,
        { BlockDeviceMappings: plan.keepVolumes.map((v) => ({ DeviceName: v.deviceName, Ebs: { DeleteOnTermination: false } })) },
      ),
    );
  } else {
    already.push({
      api,
      target: id,
      outcome: 'already-done',
      detail: instance.ebsVolumes.length === 0 ? 'No EBS volume to keep' : 'Every EBS volume was already kept on termination',
    });
  }
  return [...(await settleAll(calls)), ...already];
}

/**
 * Moves one ENI to the untrack group, then to the isolation group. Per ENI, because
 * ModifyInstanceAttribute `Groups` fails on instances with several network interfaces
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html).
 */
async function isolateNetworkInterface(
  ec2: EC2Client,
  mode: ResponderMode,
  eni: ObservedNetworkInterface,
  groups: EnsuredGroups | undefined,
): Promise<PendingAction[]> {
  const api = 'ec2:ModifyNetworkInterfaceAttribute';
  const id = eni.networkInterfaceId;
  if (!groups) {
    return [{ api, target: id, outcome: 'skipped', detail: `The VPC of ${id} is unknown: it cannot be isolated` }];
  }
  const step = eniIsolationStep(eni, groups);
  if (step === 'isolated') {
    return [{ api, target: id, outcome: 'already-done', detail: `Already only in the isolation group ${groups.isolationGroupId}` }];
  }
  if (!groups.untrackGroupId || !groups.isolationGroupId) {
    // Dry-run in a VPC without the groups: a DryRun modify must name existing groups.
    const moves = step === 'untrack-then-isolate' ? 'the untrack group, then the isolation group' : 'the isolation group';
    return [
      {
        api,
        target: id,
        outcome: 'would-do',
        detail: `Would move ${id} from ${eni.groupIds.join(', ') || 'no group'} to ${moves} (not probed: the groups do not exist yet, so a DryRun call cannot name them)`,
      },
    ];
  }
  const move = (groupId: string, what: string) =>
    mutateEc2(mode, api, id, what, (dryRun) =>
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Groups: [groupId], ...(dryRun ? { DryRun: true } : {}) }),
      ),
    ).then((r) => r.action);
  const actions: PendingAction[] = [];
  if (step === 'untrack-then-isolate') {
    actions.push(
      await move(
        groups.untrackGroupId,
        `move ${id} from ${eni.groupIds.join(', ') || 'no group'} to the untrack group ${groups.untrackGroupId}, so its tracked connections become untracked`,
      ),
    );
  }
  actions.push(await move(groups.isolationGroupId, `move ${id} to the isolation group ${groups.isolationGroupId}: no traffic in or out`));
  return actions;
}

interface CredentialsOutcome {
  readonly actions: PendingAction[];
  readonly instanceProfileArn?: string;
  readonly revoked?: { readonly roleName: string; readonly policyName: string; readonly issuedBefore: string };
}

/**
 * Takes the instance profile away. Disassociating does not invalidate credentials already handed
 * out through the instance metadata service, so `revokeRoleSessions` also puts an inline deny on
 * the role for every session issued before now: AWS's documented "revoke active sessions" pattern
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html).
 * BLAST RADIUS: the deny applies to the ROLE, so every instance (and every other principal) using
 * that role loses its current credentials too, until it fetches new ones. That is why the option
 * is off by default. The deny is written before the profile is disassociated, so a run interrupted
 * between the two retries with the profile still known.
 */
async function removeCredentials(
  ec2: EC2Client,
  clients: IamClients,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instance: ObservedInstance,
  options: QuarantineOptions,
  issuedBefore: string,
  logger: IncidentLogger,
): Promise<CredentialsOutcome> {
  const id = instance.instanceId;
  const association = instance.profileAssociation;
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
  let revoked: CredentialsOutcome['revoked'];
  if (options.revokeRoleSessions) {
    const iam = await clients.iam(target);
    const profileName = instanceProfileName(association.instanceProfileArn);
    const profile = await sendReadOnly('iam:GetInstanceProfile', () =>
      iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName })),
    );
    const roles = (profile.InstanceProfile?.Roles ?? []).flatMap((r) => (r.RoleName ? [r.RoleName] : []));
    actions.push({
      api: 'iam:GetInstanceProfile',
      target: association.instanceProfileArn,
      outcome: 'observed',
      detail: roles.length ? `Instance profile ${profileName} holds role ${roles.join(', ')}` : `Instance profile ${profileName} holds no role`,
    });
    for (const roleName of roles) {
      logger.warn('Revoking every session of the role issued before now: this hits every instance sharing the role', { roleName, issuedBefore });
      const put = await mutateUnprobed(
        mode,
        'iam:PutRolePolicy',
        roleName,
        `deny every session of role ${roleName} issued before ${issuedBefore} (inline policy ${REVOKE_SESSIONS_POLICY_NAME}; hits every instance sharing the role)`,
        () =>
          iam.send(
            new PutRolePolicyCommand({
              RoleName: roleName,
              PolicyName: REVOKE_SESSIONS_POLICY_NAME,
              PolicyDocument: revokeOlderSessionsPolicy(issuedBefore),
            }),
          ),
      );
      actions.push(put.action);
      revoked = { roleName, policyName: REVOKE_SESSIONS_POLICY_NAME, issuedBefore };
    }
  }
  if (!options.detachInstanceProfile) {
    actions.push({
      api: 'ec2:DisassociateIamInstanceProfile',
      target: id,
      outcome: 'skipped',
      detail: `Option detachInstanceProfile is off: ${association.instanceProfileArn} stays associated`,
    });
    return { actions, ...(revoked ? { revoked } : {}) };
  }
  const disassociated = await mutateUnprobed(
    mode,
    'ec2:DisassociateIamInstanceProfile',
    id,
    `disassociate instance profile ${association.instanceProfileArn} (association ${association.associationId}); credentials already issued stay valid until they expire${options.revokeRoleSessions ? ' or are revoked' : ''}`,
    () => ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: association.associationId })),
  );
  actions.push(disassociated.action);
  return { actions, instanceProfileArn: association.instanceProfileArn, ...(revoked ? { revoked } : {}) };
}

async function tagInstance(
  ec2: EC2Client,
  mode: ResponderMode,
  instance: ObservedInstance,
  incidentKey: string,
  at: string,
): Promise<PendingAction> {
  const id = instance.instanceId;
  if (instance.tags[FIREBREAK_TAGS.status] === 'quarantined') {
    // Keep the tags of the quarantine that is in force (and the incident that started it).
    return {
      api: 'ec2:CreateTags',
      target: id,
      outcome: 'already-done',
      detail: `Already tagged firebreak:status=quarantined (incident ${instance.tags[FIREBREAK_TAGS.incident] ?? 'unknown'})`,
    };
  }
  const tagged = await mutateEc2(mode, 'ec2:CreateTags', id, `tag the instance firebreak:status=quarantined for incident ${incidentKey}`, (dryRun) =>
    ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: FIREBREAK_TAGS.incident, Value: incidentKey },
          { Key: FIREBREAK_TAGS.status, Value: 'quarantined' },
          { Key: FIREBREAK_TAGS.quarantinedAt, Value: at },
        ],
        ...(dryRun ? { DryRun: true } : {}),
      }),
    ),
  );
  return tagged.action;
}

/** quarantine-instance as the responder runtime runs it (lib/responders/runtime.ts). */
export const quarantineResponder = stepResponder(quarantineOptionsSchema, quarantineInstance);

/** What the quarantine-instance Lambda is built from (module-scope in Lambda, injected by the local game day). */
export type QuarantineHandlerDeps = HandlerDeps<QuarantineDeps>;

/** The Lambda handler: parse the state machine's payload, then quarantine. */
export const createQuarantineInstanceHandler = (deps: QuarantineHandlerDeps): ResponderHandler<QuarantineResult> =>
  createResponderHandler(quarantineResponder, deps);
