/**
 * Sharing and copying EBS snapshots across accounts: ModifySnapshotAttribute (createVolumePermission
 * add/remove), DescribeSnapshotAttribute, and CopySnapshot called in the account that receives a
 * shared snapshot, re-encrypting it with a KMS key of that account. What the forensic copy
 * (lib/responders/snapshot-copy.ts) meets in AWS:
 *
 * - a snapshot encrypted with the account's AWS-managed key (aws/ebs) cannot be shared with another
 *   account, and an encrypted snapshot cannot be made public
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html);
 * - another account can copy a snapshot only once it is shared with it, only when it has completed,
 *   and only when it may use the source's customer key (the key's policy names that account, and the
 *   caller's own policy allows the key through EC2) and the destination key
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html,
 *   https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html);
 * - the copy belongs to the copying account, starts `pending` and completes after
 *   `snapshotCompletionMs` of simulated time; its volume id is arbitrary (`vol-ffffffff`).
 *
 * The KMS permissions EBS uses on the caller's behalf are authorized as the caller's, through EC2
 * (`kms:ViaService` ec2.<region>.amazonaws.com; grants for an AWS resource). The error codes and
 * wording of the refusals below are this simulator's choice where the EC2 API reference names none
 * (marked "simulator's choice"); in particular EC2 may accept a copy whose source key is not usable
 * and fail it later (state `error`), where this simulator refuses the call. That late failure is a
 * fault a game day injects instead (`settings.forensicCopyFailsLate`, SimWorld.lateCopyFailures):
 * the copy is accepted, `pending`, then `error` with the StateMessage given.
 */
import type { CopySnapshotCommandInput, CreateVolumePermission, DescribeSnapshotAttributeCommandInput, ModifySnapshotAttributeCommandInput } from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { applyTags, ec2Error, invalidParameterValue, missingParameter, requireSnapshot, tagList, tagsFromSpecifications } from './ec2-common';
import { snapshotState } from './ec2-views';
import { addKey } from './kms';
import type { KmsKeyRecord, SnapshotRecord } from './model';
import type { SimWorld } from './world';

const ACCOUNT_ID = /^\d{12}$/;

/** The volume id EC2 reports for a snapshot made by CopySnapshot ("an arbitrary volume ID that should not be used for any purpose"). */
export const COPIED_SNAPSHOT_VOLUME_ID = 'vol-ffffffff';

/** The account's AWS-managed EBS key (alias aws/ebs) in a region, created the first time it is needed, as AWS does. */
export function awsManagedEbsKey(world: SimWorld, account: string, region: string): KmsKeyRecord {
  const existing = [...world.kmsKeys.values()].find((key) => key.awsManaged === true && key.account === account && key.region === region);
  return existing ?? addKey(world, { account, region, description: 'Default key that protects my EBS volumes when no other key is defined', keySpec: 'SYMMETRIC_DEFAULT', awsManaged: true });
}

/** The key of an encrypted volume: the one named, else the account's aws/ebs key; none when not encrypted. */
export function volumeKmsKeyId(world: SimWorld, where: { readonly account: string; readonly region: string }, encrypted: boolean, kmsKeyId: string | undefined): string | undefined {
  if (!encrypted) return undefined;
  return kmsKeyId ?? awsManagedEbsKey(world, where.account, where.region).arn;
}

interface PermissionChange {
  readonly add: { readonly users: string[]; readonly groups: string[] };
  readonly remove: { readonly users: string[]; readonly groups: string[] };
}

/** The createVolumePermission change a ModifySnapshotAttribute asks for (OperationType + UserIds/GroupNames, or CreateVolumePermission). */
export function permissionChange(input: Readonly<Record<string, unknown>>): PermissionChange {
  const typed = input as unknown as Partial<ModifySnapshotAttributeCommandInput>;
  const change: PermissionChange = { add: { users: [], groups: [] }, remove: { users: [], groups: [] } };
  const side = typed.OperationType === 'remove' ? change.remove : typed.OperationType === 'add' ? change.add : undefined;
  if (side) {
    side.users.push(...(typed.UserIds ?? []));
    side.groups.push(...(typed.GroupNames ?? []));
  }
  const collect = (permissions: readonly CreateVolumePermission[] | undefined, into: PermissionChange['add']) => {
    for (const permission of permissions ?? []) {
      if (permission.UserId !== undefined) into.users.push(permission.UserId);
      if (permission.Group !== undefined) into.groups.push(permission.Group);
    }
  };
  collect(typed.CreateVolumePermission?.Add, change.add);
  collect(typed.CreateVolumePermission?.Remove, change.remove);
  return change;
}

/** A snapshot the caller's account may copy: its own, or one shared with it (or public), in the source region. */
function copyableSource(world: SimWorld, call: SimCall, snapshotId: string, region: string): SnapshotRecord {
  const notFound = ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
  const snapshot = world.snapshots.get(snapshotId);
  if (!snapshot || snapshot.region !== region) {
    // Malformed ids answer as in DescribeSnapshots.
    requireSnapshot(world, { account: call.account, region }, snapshotId);
    throw notFound;
  }
  const shared = snapshot.createVolumePermissions;
  if (snapshot.account !== call.account && !(shared?.has(call.account) === true || shared?.has('all') === true)) throw notFound;
  return snapshot;
}

/** The destination key of a copy: the one named (ARN, or id in the caller's account), else the source's or aws/ebs when encrypted. */
function destinationKey(world: SimWorld, call: SimCall, input: CopySnapshotCommandInput, source: SnapshotRecord): KmsKeyRecord | undefined {
  const encrypted = input.Encrypted === true || source.encrypted;
  if (input.KmsKeyId !== undefined) {
    if (!encrypted) throw ec2Error('InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set.');
    const arn = input.KmsKeyId.startsWith('arn:') ? input.KmsKeyId : `arn:aws:kms:${call.region}:${call.account}:key/${input.KmsKeyId}`;
    const key = world.kmsKeys.get(arn);
    // Simulator's choice of code and wording.
    if (!key || key.region !== call.region) throw invalidParameterValue(`The KMS key '${input.KmsKeyId}' does not exist in ${call.region} or is not accessible.`);
    if (key.account !== call.account && !(key.usableByAccounts ?? []).includes(call.account)) {
      throw invalidParameterValue(`The KMS key '${input.KmsKeyId}' does not exist in ${call.region} or is not accessible.`);
    }
    if (key.state !== 'Enabled') throw ec2Error('IncorrectState', `The KMS key '${key.arn}' is ${key.state.toLowerCase()}.`);
    return key;
  }
  if (!encrypted) return undefined;
  // A copy in the same account keeps the source key; across accounts (or when asked to encrypt) the caller's aws/ebs.
  const own = source.account === call.account && source.kmsKeyId !== undefined ? world.kmsKeys.get(source.kmsKeyId) : undefined;
  return own ?? awsManagedEbsKey(world, call.account, call.region);
}

/** EBS reads an encrypted source with its key on the caller's behalf: the key's policy and the caller's own policy must both let it. */
function authorizeSourceKey(world: SimWorld, call: SimCall, source: SnapshotRecord): void {
  if (!source.encrypted || source.kmsKeyId === undefined) return;
  const key = world.kmsKeys.get(source.kmsKeyId);
  const usable = key !== undefined && key.state === 'Enabled' && (key.account === call.account || (key.awsManaged !== true && (key.usableByAccounts ?? []).includes(call.account)));
  if (!usable) {
    // Simulator's choice of code and wording (see the module comment).
    throw ec2Error(
      'UnauthorizedOperation',
      `You are not authorized to perform this operation: the KMS key '${source.kmsKeyId}' that encrypts the snapshot '${source.id}' is not usable by account ${call.account} (its key policy does not allow it).`,
    );
  }
  for (const action of ['kms:DescribeKey', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant']) call.authorize(action, key.arn);
}

export function ec2SnapshotSharingHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html (createVolumePermission only). */
    ModifySnapshotAttribute(call) {
      const input = inputOf<ModifySnapshotAttributeCommandInput>(call);
      if (!input.SnapshotId) throw missingParameter('SnapshotId');
      if (input.Attribute !== undefined && input.Attribute !== 'createVolumePermission') {
        throw invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. The simulated account shares snapshots through createVolumePermission only.`);
      }
      if (input.OperationType !== undefined && input.OperationType !== 'add' && input.OperationType !== 'remove') {
        throw invalidParameterValue(`Value (${String(input.OperationType)}) for parameter operationType is invalid.`);
      }
      const change = permissionChange(call.input);
      const named = [...change.add.users, ...change.add.groups, ...change.remove.users, ...change.remove.groups];
      if (named.length === 0) throw missingParameter('CreateVolumePermission');
      const badGroup = [...change.add.groups, ...change.remove.groups].find((group) => group !== 'all');
      if (badGroup !== undefined) throw invalidParameterValue(`Value (${badGroup}) for parameter group is invalid. Only 'all' is supported.`);
      const badUser = [...change.add.users, ...change.remove.users].find((user) => !ACCOUNT_ID.test(user));
      if (badUser !== undefined) throw invalidParameterValue(`Value (${badUser}) for parameter userId is invalid. An account id has 12 digits.`);
      const snapshot = requireSnapshot(world, call, input.SnapshotId);
      if (snapshot.encrypted && change.add.groups.length > 0) {
        // Simulator's choice of code and wording.
        throw ec2Error('InvalidParameter', `The snapshot '${snapshot.id}' is encrypted: encrypted snapshots cannot be shared publicly.`);
      }
      const key = snapshot.kmsKeyId !== undefined ? world.kmsKeys.get(snapshot.kmsKeyId) : undefined;
      if (snapshot.encrypted && key?.awsManaged === true && change.add.users.length > 0) {
        // Simulator's choice of code; the wording is the console's.
        throw ec2Error('InvalidParameter', `Snapshots encrypted with the AWS Managed KMS key (aws/ebs) can't be shared. Try again with a customer managed key. (snapshot '${snapshot.id}')`);
      }
      call.dryRunGate();
      const permissions = snapshot.createVolumePermissions ?? new Set<string>();
      for (const id of [...change.add.users, ...change.add.groups]) permissions.add(id);
      for (const id of [...change.remove.users, ...change.remove.groups]) permissions.delete(id);
      snapshot.createVolumePermissions = permissions;
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotAttribute.html (createVolumePermission only). */
    DescribeSnapshotAttribute(call) {
      const input = inputOf<DescribeSnapshotAttributeCommandInput>(call);
      if (!input.SnapshotId) throw missingParameter('SnapshotId');
      if (input.Attribute !== 'createVolumePermission') {
        throw invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. The simulated account describes createVolumePermission only.`);
      }
      const snapshot = requireSnapshot(world, call, input.SnapshotId);
      call.dryRunGate();
      const permissions = [...(snapshot.createVolumePermissions ?? [])].sort().map((id) => (id === 'all' ? { Group: 'all' as const } : { UserId: id }));
      return { SnapshotId: snapshot.id, CreateVolumePermissions: permissions };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html: called in the
     * destination account and region; the source is named by id and region.
     */
    CopySnapshot(call) {
      const input = inputOf<CopySnapshotCommandInput>(call);
      if (!input.SourceSnapshotId) throw missingParameter('SourceSnapshotId');
      if (!input.SourceRegion) throw missingParameter('SourceRegion');
      if (input.SourceRegion !== call.region) {
        throw invalidParameterValue(`The simulated account copies within a region only (source ${input.SourceRegion}, destination ${call.region}).`);
      }
      const source = copyableSource(world, call, input.SourceSnapshotId, input.SourceRegion);
      if (snapshotState(world, source) !== 'completed') {
        // Simulator's choice of code and wording.
        throw ec2Error('IncorrectState', `Snapshot is in invalid state - ${snapshotState(world, source)} (snapshot '${source.id}'): only a completed snapshot can be copied.`);
      }
      const key = destinationKey(world, call, input, source);
      authorizeSourceKey(world, call, source);
      if (key !== undefined && key.awsManaged !== true) {
        for (const action of ['kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptTo', 'kms:CreateGrant']) call.authorize(action, key.arn);
      }
      const tags = tagsFromSpecifications(input.TagSpecifications, 'snapshot');
      if (tags.length > 0) call.authorize('ec2:CreateTags');
      call.dryRunGate();
      const copy: SnapshotRecord = {
        id: world.ids.resourceId('snap'),
        account: call.account,
        region: call.region,
        volumeId: COPIED_SNAPSHOT_VOLUME_ID,
        volumeSize: source.volumeSize,
        description: input.Description ?? `[Copied ${source.id} from ${source.region}]`,
        startTime: world.now(),
        completesAt: world.now() + world.options.snapshotCompletionMs,
        encrypted: key !== undefined,
        ...(key !== undefined ? { kmsKeyId: key.arn } : {}),
        sourceSnapshotId: source.id,
        ...(world.lateCopyFailures.has(source.volumeId) ? { failsWith: world.lateCopyFailures.get(source.volumeId) as string } : {}),
        tags: new Map(),
      };
      applyTags(copy.tags, tags);
      world.snapshots.set(copy.id, copy);
      const list = tagList(copy.tags);
      return { SnapshotId: copy.id, ...(list ? { Tags: list } : {}) };
    },
  };
}
