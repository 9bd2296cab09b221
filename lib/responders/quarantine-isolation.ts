/**
 * Network isolation for quarantine-instance: the isolation groups of the VPCs EC2 shows the ENIs
 * in (the VPC a finding names is only a claim), and every ENI moved to the untrack group, then to
 * the isolation group (isolation-groups.ts finds and creates the groups).
 */
import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ActionLog } from './action-log';
import type { ObservedInstance, ObservedNetworkInterface } from './instance-state';
import type { EnsuredGroups, GroupNaming, VpcGroups } from './isolation-groups';
import { ensureVpcGroups, findVpcGroups } from './isolation-groups';
import type { IncidentLogger } from './logging';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateEc2, settleAll } from './pending-actions';
import { eniIsolationStep } from './quarantine-plan';

/** A call made beside another whose answer may make it moot: its failure is kept, not thrown. */
export type Aside<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export function aside<T>(call: Promise<T>): Promise<Aside<T>> {
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
export async function groupsOfInstanceVpcs(
  ec2: EC2Client,
  owner: string,
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
  const late = missing.length > 0 ? await findVpcGroups(ec2, owner, missing) : new Map<string, VpcGroups>();
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
export async function isolateInstance(
  ec2: EC2Client,
  mode: ResponderMode,
  owner: string,
  instance: ObservedInstance,
  vpcIds: readonly string[],
  vpcGroups: ReadonlyMap<string, VpcGroups>,
  naming: GroupNaming = {},
): Promise<IsolationOutcome> {
  const ready = new Map(vpcIds.map((vpcId) => [vpcId, ensureVpcGroups(ec2, mode, owner, vpcGroups.get(vpcId) ?? { vpcId }, naming)]));
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
