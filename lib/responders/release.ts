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
 */
import {
  AssociateIamInstanceProfileCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, SecurityGroup } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { Ec2Clients } from '../aws/clients/ec2';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { ACTIONS } from '../playbooks/actions';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import { gameDayRefusal } from './game-day';
import type { ObservedInstance } from './instance-state';
import { FIREBREAK_TAGS, isPlaceholderInstanceId, isTerminatedState, observeInstance } from './instance-state';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateEc2, mutateUnprobed, recordAll, settleAll } from './pending-actions';
import type { QuarantineRecord, QuarantineRecordStore } from './quarantine-records';
import type { RecordSealer } from './record-integrity';
import type { ReleaseClearance } from './release-clearance';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler, stepResponder } from './runtime';
import { RESPONDER_NAMES } from '../contracts/responders';

export const RELEASE_RESPONDER = RESPONDER_NAMES.releaseInstance;

export const releaseOptionsSchema = ACTIONS['release-instance'].options;
export type ReleaseOptions = z.output<typeof releaseOptionsSchema>;

export type ReleaseStatus =
  | 'released'
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
}

export interface ReleaseDeps {
  /** EC2 in the incident's account. */
  readonly clients: Ec2Clients;
  readonly logger: IncidentLogger;
  readonly records: QuarantineRecordStore;
  /** Verifies the record's MAC. @default none: every record is refused (it cannot be verified) */
  readonly sealer?: RecordSealer;
  /** The guard's grant and the approval. @default none: every release is refused */
  readonly clearance?: ReleaseClearance;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Firebreak's quarantine tags that release restores to their recorded value (or removes). */
const RESTORED_TAGS = [FIREBREAK_TAGS.incident, FIREBREAK_TAGS.quarantinedAt] as const;

const sameGroups = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((g, i) => g === [...b].sort()[i]);

/** What release must change to match the record (pure). */
export interface ReleasePlan {
  readonly networkInterfaces: readonly { readonly id: string; readonly from: readonly string[]; readonly to: readonly string[] }[];
  /** Recorded ENIs in the right groups already, or no longer attached. */
  readonly unchangedInterfaces: readonly { readonly id: string; readonly why: 'already' | 'detached' }[];
  readonly disableApiTermination?: boolean;
  readonly shutdownBehavior?: 'stop' | 'terminate';
  readonly deleteOnTermination: readonly { readonly deviceName: string; readonly deleteOnTermination: boolean }[];
  readonly profile:
    | { readonly action: 'associate'; readonly arn: string }
    | { readonly action: 'none'; readonly why: string; readonly outcome: 'already-done' | 'skipped' };
  /** Tags to set (release markers plus recorded values) and tags to remove (absent before). */
  readonly setTags: Readonly<Record<string, string>>;
  readonly removeTags: readonly string[];
}

/** Compares the instance with its record and lists the changes that restore it (pure). */
export function planRelease(
  record: QuarantineRecord,
  instance: ObservedInstance,
  options: ReleaseOptions,
  releasedAt: string,
): ReleasePlan {
  const networkInterfaces: { id: string; from: readonly string[]; to: readonly string[] }[] = [];
  const unchangedInterfaces: { id: string; why: 'already' | 'detached' }[] = [];
  for (const recorded of record.networkInterfaces) {
    const current = instance.networkInterfaces.find((e) => e.networkInterfaceId === recorded.networkInterfaceId);
    if (!current) unchangedInterfaces.push({ id: recorded.networkInterfaceId, why: 'detached' });
    else if (sameGroups(current.groupIds, recorded.groupIds)) unchangedInterfaces.push({ id: recorded.networkInterfaceId, why: 'already' });
    else networkInterfaces.push({ id: recorded.networkInterfaceId, from: current.groupIds, to: recorded.groupIds });
  }

  const deleteOnTermination = record.deleteOnTermination.flatMap((recorded) => {
    const current = instance.ebsVolumes.find((v) => v.deviceName === recorded.deviceName);
    // A volume replaced since (other id on the same device) is not the one recorded: leave it.
    if (!current || (recorded.volumeId && current.volumeId && current.volumeId !== recorded.volumeId)) return [];
    return current.deleteOnTermination === recorded.deleteOnTermination
      ? []
      : [{ deviceName: recorded.deviceName, deleteOnTermination: recorded.deleteOnTermination }];
  });

  const currentArn = instance.profileAssociation?.instanceProfileArn;
  let profile: ReleasePlan['profile'];
  if (!record.instanceProfileArn) {
    profile = currentArn
      ? { action: 'none', outcome: 'skipped', why: `No profile was associated before quarantine; ${currentArn} was associated since and is left as it is` }
      : { action: 'none', outcome: 'already-done', why: 'No instance profile before quarantine, none now' };
  } else if (currentArn === record.instanceProfileArn) {
    profile = { action: 'none', outcome: 'already-done', why: `${currentArn} is associated already` };
  } else if (currentArn) {
    profile = {
      action: 'none',
      outcome: 'skipped',
      why: `${currentArn} was associated since quarantine; it is not replaced by the recorded ${record.instanceProfileArn}`,
    };
  } else if (!options.restoreInstanceProfile) {
    profile = {
      action: 'none',
      outcome: 'skipped',
      why: `Option restoreInstanceProfile is off: ${record.instanceProfileArn} stays disassociated`,
    };
  } else {
    profile = { action: 'associate', arn: record.instanceProfileArn };
  }

  const setTags: Record<string, string> = {
    [FIREBREAK_TAGS.status]: 'released',
    [FIREBREAK_TAGS.releasedAt]: releasedAt,
  };
  const removeTags: string[] = [];
  for (const key of RESTORED_TAGS) {
    const before = record.tags[key];
    if (before !== undefined) {
      if (instance.tags[key] !== before) setTags[key] = before;
    } else if (instance.tags[key] !== undefined) {
      removeTags.push(key);
    }
  }

  return {
    networkInterfaces,
    unchangedInterfaces,
    ...(instance.disableApiTermination !== record.disableApiTermination ? { disableApiTermination: record.disableApiTermination } : {}),
    ...(instance.shutdownBehavior !== record.shutdownBehavior ? { shutdownBehavior: record.shutdownBehavior } : {}),
    deleteOnTermination,
    profile,
    setTags,
    removeTags,
  };
}

/** Restores a quarantined instance to its recorded pre-quarantine state. */
export async function releaseInstance(input: ResponderInput<ReleaseOptions>, deps: ReleaseDeps): Promise<ReleaseResult> {
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const { incident, options } = input;
  const logger = deps.logger;
  // The input's mode is a claim: the deployment's FIREBREAK_MODE can only lower it (issue 8).
  const effective = effectiveMode(input.mode, deps.environment ?? process.env);
  const mode = effective.mode;
  const finish = (status: ReleaseStatus, extra: Partial<ReleaseResult> = {}): ReleaseResult => {
    const result: ReleaseResult = {
      responder: RELEASE_RESPONDER,
      incidentKey: incident.key,
      mode,
      status,
      idempotentReplay: status === 'already-released',
      actions: log.actions,
      networkInterfaces: [],
      ...forcedDryRunField(effective),
      ...extra,
    };
    logger.info('release-instance finished', { status, instanceId: result.instanceId, actions: result.actions.length });
    return result;
  };

  const resource = incident.resource;
  if (resource.kind !== 'ec2-instance') {
    log.record('firebreak:decide', resource.kind, 'skipped', `The incident concerns a ${resource.kind} resource, not an EC2 instance`);
    return finish('not-an-instance');
  }
  const instanceId = resource.instanceId;
  recordEffectiveMode(log, instanceId, effective);
  if (incident.sample || isPlaceholderInstanceId(instanceId)) {
    log.record('firebreak:decide', instanceId, 'skipped', 'Sample finding or placeholder instance id: nothing is read or changed');
    return finish('skipped-sample', { instanceId });
  }
  logger.info('release-instance started', { instanceId, mode, account: incident.account, region: incident.region });

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
  if (record.released) {
    log.record(
      'firebreak:read-pre-quarantine-state',
      instanceId,
      'already-done',
      `Already released at ${record.releasedAt ?? 'an earlier run'} (by ${record.releasedBy ?? 'unknown'}${record.releaseReason !== undefined ? `, reason: ${record.releaseReason}` : ''}); nothing changed`,
    );
    return finish('already-released', { instanceId, preQuarantine: record });
  }
  log.record(
    'firebreak:read-pre-quarantine-state',
    instanceId,
    'observed',
    `Pre-quarantine state recorded at ${record.capturedAt} by incident ${record.incidentKey}`,
  );
  const requestedBy = input.request?.requestedBy;
  const refuse = (api: string, target: string, why: string): ReleaseResult => {
    log.record(api, target, 'skipped', `Refused: ${why}; nothing changed`);
    logger.warn('release-instance refused', { instanceId, refusal: why });
    return finish('refused', { instanceId, refusal: why, ...(requestedBy !== undefined ? { requestedBy } : {}) });
  };

  // 1. The record is what Firebreak wrote (its MAC), and it is this instance's.
  const verdict = deps.sealer
    ? await deps.sealer.verify(record)
    : { valid: false as const, reason: 'no record key is configured, so the record cannot be verified' };
  if (!verdict.valid) return refuse('kms:VerifyMac', instanceId, `the pre-quarantine record failed its integrity check (${verdict.reason})`);
  log.record('kms:VerifyMac', instanceId, 'observed', 'The pre-quarantine record carries a valid MAC of the record key: it is what quarantine-instance wrote');
  const foreign = recordTargetMismatch(record, incident.account, incident.region, instanceId);
  if (foreign !== undefined) return refuse('firebreak:check-record', instanceId, foreign);
  const profileProblem = record.instanceProfileArn !== undefined ? foreignProfile(record.instanceProfileArn, incident.account) : undefined;
  if (profileProblem !== undefined) return refuse('firebreak:check-record', instanceId, profileProblem);

  // 2. A person approved this execution (and the guard cleared it): the approver is the releaser.
  const clearance = deps.clearance
    ? await deps.clearance.check(input, record)
    : { cleared: false as const, reason: 'no approval check is configured' };
  if (!clearance.cleared) return refuse('firebreak:check-approval', instanceId, `the release is not approved (${clearance.reason})`);
  log.record('firebreak:check-approval', clearance.executionArn, 'observed', `Approved by ${clearance.approvedBy} at ${clearance.approvedAt}`);

  const target = { account: incident.account, region: incident.region };
  const ec2 = await deps.clients.ec2(target);
  const observation = await observeInstance(ec2, instanceId);
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

  // 3. Every recorded group that would be restored belongs to the instance's account and the ENI's VPC.
  const groupProblem = await checkRecordedGroups(ec2, record, instance, incident.account);
  if (groupProblem !== undefined) return refuse('ec2:DescribeSecurityGroups', instanceId, groupProblem);

  const releasedAt = now().toISOString();
  const plan = planRelease(record, instance, options, releasedAt);
  const releasedBy = clearance.approvedBy;
  const releaseReason = input.request?.reason ?? undefined;
  const byWhom = `by ${releasedBy} (approver)${requestedBy !== undefined ? `, requested by ${requestedBy} (as the request claims)` : ''}${releaseReason !== undefined ? `, reason: ${releaseReason}` : ', no reason given'}`;

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

  const [protections, profile, tags] = await settleAll([
    restoreProtections(ec2, mode, instanceId, plan),
    restoreProfile(ec2, mode, instanceId, plan),
    restoreTags(ec2, mode, instanceId, plan),
  ] as const);
  recordAll(log, [...protections, profile, ...tags]);

  if (mode === 'dry-run') {
    log.record('firebreak:mark-released', instanceId, 'would-do', `Would mark the pre-quarantine record released ${byWhom}`);
  } else {
    await deps.records.markReleased(incident.account, incident.region, instanceId, {
      releasedAt,
      releasedBy,
      ...(requestedBy !== undefined ? { releaseRequestedBy: requestedBy } : {}),
      ...(releaseReason !== undefined ? { releaseReason } : {}),
    });
    log.record('firebreak:mark-released', instanceId, 'done', `Marked the pre-quarantine record released at ${releasedAt} ${byWhom}`);
  }

  return finish(mode === 'dry-run' ? 'dry-run' : 'released', {
    instanceId,
    networkInterfaces: plan.networkInterfaces.map((e) => ({ id: e.id, groupsRestored: [...e.to] })),
    ...(plan.profile.action === 'associate' ? { instanceProfileArn: plan.profile.arn } : {}),
    preQuarantine: record,
    releasedBy,
    ...(requestedBy !== undefined ? { requestedBy } : {}),
    ...(releaseReason !== undefined ? { releaseReason } : {}),
  });
}

/** Why the record is not this instance's (pure), or undefined. */
export function recordTargetMismatch(record: QuarantineRecord, account: string, region: string, instanceId: string): string | undefined {
  if (record.account === account && record.region === region && record.instanceId === instanceId) return undefined;
  return `the record is for ${record.instanceId} in ${record.account}/${record.region}, not ${instanceId} in ${account}/${region}`;
}

const INSTANCE_PROFILE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):instance-profile\/[\w+=,.@/-]+$/;

/** Why the recorded instance profile may not be associated with an instance of `account` (pure), or undefined. */
export function foreignProfile(profileArn: string, account: string): string | undefined {
  const owner = INSTANCE_PROFILE_ARN.exec(profileArn)?.[1];
  if (owner === undefined) return `the recorded instance profile ${profileArn} is not an instance profile ARN`;
  return owner === account ? undefined : `the recorded instance profile ${profileArn} belongs to account ${owner}, not the instance's account ${account}`;
}

/**
 * ec2:DescribeSecurityGroups of every group release would put an attached ENI back into: each must
 * exist, be owned by the instance's account and live in that ENI's VPC.
 */
async function checkRecordedGroups(ec2: EC2Client, record: QuarantineRecord, instance: ObservedInstance, account: string): Promise<string | undefined> {
  const wanted = new Map<string, string>();
  for (const recorded of record.networkInterfaces) {
    const current = instance.networkInterfaces.find((eni) => eni.networkInterfaceId === recorded.networkInterfaceId);
    if (!current) continue;
    for (const groupId of recorded.groupIds) {
      const vpc = current.vpcId ?? '';
      const already = wanted.get(groupId);
      if (already !== undefined && already !== vpc) return `the recorded group ${groupId} is recorded for ENIs of two VPCs (${already}, ${vpc})`;
      wanted.set(groupId, vpc);
    }
  }
  if (wanted.size === 0) return undefined;
  let groups: SecurityGroup[];
  try {
    ({ SecurityGroups: groups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...wanted.keys()].sort() })));
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'InvalidGroup.NotFound' || code === 'InvalidGroupId.Malformed') {
      return `a recorded security group does not exist in ${account}/${record.region} (${code}): ${error instanceof Error ? error.message : String(error)}`;
    }
    throw toResponderError(error, 'ec2:DescribeSecurityGroups');
  }
  for (const [groupId, vpc] of wanted) {
    const group = groups.find((candidate) => candidate.GroupId === groupId);
    if (!group) return `the recorded security group ${groupId} does not exist in ${account}/${record.region}`;
    if (group.OwnerId !== account) return `the recorded security group ${groupId} belongs to account ${group.OwnerId ?? 'unknown'}, not the instance's account ${account}`;
    if (group.VpcId !== vpc) return `the recorded security group ${groupId} is in ${group.VpcId ?? 'no VPC'}, not the ENI's VPC ${vpc || 'unknown'}`;
  }
  return undefined;
}

async function restoreGroups(
  ec2: EC2Client,
  mode: ResponderMode,
  eni: ReleasePlan['networkInterfaces'][number],
): Promise<PendingAction> {
  const moved = await mutateEc2(
    mode,
    'ec2:ModifyNetworkInterfaceAttribute',
    eni.id,
    `move ${eni.id} from ${eni.from.join(', ') || 'no group'} back to its recorded groups ${eni.to.join(', ')}`,
    (dryRun) =>
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.id, Groups: [...eni.to], ...(dryRun ? { DryRun: true } : {}) }),
      ),
  );
  return moved.action;
}

async function restoreProtections(ec2: EC2Client, mode: ResponderMode, instanceId: string, plan: ReleasePlan): Promise<PendingAction[]> {
  const api = 'ec2:ModifyInstanceAttribute';
  const modify = (what: string, attribute: Omit<ConstructorParameters<typeof ModifyInstanceAttributeCommand>[0], 'InstanceId'>) =>
    mutateEc2(mode, api, instanceId, what, (dryRun) =>
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, ...attribute, ...(dryRun ? { DryRun: true } : {}) })),
    ).then((r) => r.action);
  const calls: Promise<PendingAction>[] = [];
  if (plan.disableApiTermination !== undefined) {
    calls.push(
      modify(`set termination protection back to ${plan.disableApiTermination ? 'on' : 'off'}`, {
        DisableApiTermination: { Value: plan.disableApiTermination },
      }),
    );
  }
  if (plan.shutdownBehavior !== undefined) {
    calls.push(
      modify(`set the instance-initiated shutdown behaviour back to ${plan.shutdownBehavior}`, {
        InstanceInitiatedShutdownBehavior: { Value: plan.shutdownBehavior },
      }),
    );
  }
  if (plan.deleteOnTermination.length > 0) {
    calls.push(
      modify(
        `set DeleteOnTermination back to ${plan.deleteOnTermination.map((d) => `${d.deleteOnTermination} on ${d.deviceName}`).join(', ')}`,
        {
          BlockDeviceMappings: plan.deleteOnTermination.map((d) => ({
            DeviceName: d.deviceName,
            Ebs: { DeleteOnTermination: d.deleteOnTermination },
          })),
        },
      ),
    );
  }
  const actions = await settleAll(calls);
  return actions.length > 0
    ? actions
    : [{ api, target: instanceId, outcome: 'already-done', detail: 'Protections already as recorded' }];
}

async function restoreProfile(ec2: EC2Client, mode: ResponderMode, instanceId: string, plan: ReleasePlan): Promise<PendingAction> {
  const api = 'ec2:AssociateIamInstanceProfile';
  if (plan.profile.action === 'none') {
    return { api, target: instanceId, outcome: plan.profile.outcome, detail: plan.profile.why };
  }
  const arn = plan.profile.arn;
  const associated = await mutateUnprobed(mode, api, instanceId, `re-associate instance profile ${arn}`, () =>
    ec2.send(new AssociateIamInstanceProfileCommand({ IamInstanceProfile: { Arn: arn }, InstanceId: instanceId })),
  );
  return associated.action;
}

async function restoreTags(ec2: EC2Client, mode: ResponderMode, instanceId: string, plan: ReleasePlan): Promise<PendingAction[]> {
  const calls: Promise<PendingAction>[] = [
    mutateEc2(
      mode,
      'ec2:CreateTags',
      instanceId,
      `tag the instance ${Object.entries(plan.setTags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
      (dryRun) =>
        ec2.send(
          new CreateTagsCommand({
            Resources: [instanceId],
            Tags: Object.entries(plan.setTags).map(([Key, Value]) => ({ Key, Value })),
            ...(dryRun ? { DryRun: true } : {}),
          }),
        ),
    ).then((r) => r.action),
  ];
  if (plan.removeTags.length > 0) {
    calls.push(
      mutateEc2(mode, 'ec2:DeleteTags', instanceId, `remove ${plan.removeTags.join(', ')} (absent before quarantine)`, (dryRun) =>
        ec2.send(
          new DeleteTagsCommand({
            Resources: [instanceId],
            Tags: plan.removeTags.map((Key) => ({ Key })),
            ...(dryRun ? { DryRun: true } : {}),
          }),
        ),
      ).then((r) => r.action),
    );
  }
  return settleAll(calls);
}

/** release-instance as the responder runtime runs it (lib/responders/runtime.ts). */
export const releaseResponder = stepResponder(releaseOptionsSchema, releaseInstance);

/** What the release-instance Lambda is built from (module-scope in Lambda, injected by the local game day). */
export type ReleaseHandlerDeps = HandlerDeps<ReleaseDeps>;

/** The Lambda handler: parse the state machine's payload, then release. */
export const createReleaseInstanceHandler = (deps: ReleaseHandlerDeps): ResponderHandler<ReleaseResult> =>
  createResponderHandler(releaseResponder, deps);
