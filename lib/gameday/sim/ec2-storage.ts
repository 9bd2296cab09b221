/**
 * EBS volumes and snapshots, and EC2 tags: DescribeVolumes, CreateSnapshots (one crash-consistent
 * snapshot per selected EBS volume of an instance), CreateSnapshot, DescribeSnapshots, CreateTags,
 * DeleteTags, DescribeTags.
 */
import type {
  CreateSnapshotCommandInput,
  CreateSnapshotsCommandInput,
  CreateTagsCommandInput,
  DeleteTagsCommandInput,
  DescribeSnapshotsCommandInput,
  DescribeTagsCommandInput,
  DescribeVolumesCommandInput,
  SnapshotInfo,
  Tag,
  TagDescription,
} from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import {
  applyFilters,
  applyTags,
  ec2Error,
  invalidParameterValue,
  located,
  missingParameter,
  requireInstance,
  requireNetworkInterface,
  requireSecurityGroup,
  requireSnapshot,
  requireSubnet,
  requireVolume,
  requireVpc,
  tagList,
  tagsFromSpecifications,
  validateTags,
} from './ec2-common';
import { snapshotState, snapshotView, volumeView } from './ec2-views';
import type { SnapshotRecord, Tags, VolumeRecord } from './model';
import type { SimWorld } from './world';

interface Taggable {
  readonly id: string;
  readonly type: string;
  readonly tags: Tags;
}

/** Id prefix → the resource type and its lookup (which answers the resource's own NotFound code). */
const TAGGABLE: Readonly<Record<string, { readonly type: string; readonly find: (world: SimWorld, call: SimCall, id: string) => { readonly tags: Taggable['tags'] } }>> = {
  i: { type: 'instance', find: requireInstance },
  vol: { type: 'volume', find: requireVolume },
  snap: { type: 'snapshot', find: requireSnapshot },
  sg: { type: 'security-group', find: requireSecurityGroup },
  eni: { type: 'network-interface', find: requireNetworkInterface },
  vpc: { type: 'vpc', find: requireVpc },
  subnet: { type: 'subnet', find: requireSubnet },
};

/** Every EC2 resource a tag call can name, found by id prefix with the resource's own NotFound code. */
function taggable(world: SimWorld, call: SimCall, id: string): Taggable {
  const prefix = id.slice(0, id.lastIndexOf('-'));
  const kind = Object.hasOwn(TAGGABLE, prefix) ? TAGGABLE[prefix] : undefined;
  if (!kind) throw ec2Error('InvalidID', `The ID '${id}' is not valid`);
  return { id, type: kind.type, tags: kind.find(world, call, id).tags };
}

function allTaggables(world: SimWorld, call: SimCall): Taggable[] {
  return [
    ...located(world.instances.values(), call).map((r) => ({ id: r.id, type: 'instance', tags: r.tags })),
    ...located(world.volumes.values(), call).map((r) => ({ id: r.id, type: 'volume', tags: r.tags })),
    ...located(world.snapshots.values(), call).map((r) => ({ id: r.id, type: 'snapshot', tags: r.tags })),
    ...located(world.securityGroups.values(), call).map((r) => ({ id: r.id, type: 'security-group', tags: r.tags })),
    ...located(world.networkInterfaces.values(), call).map((r) => ({ id: r.id, type: 'network-interface', tags: r.tags })),
    ...located(world.vpcs.values(), call).map((r) => ({ id: r.id, type: 'vpc', tags: r.tags })),
    ...located(world.subnets.values(), call).map((r) => ({ id: r.id, type: 'subnet', tags: r.tags })),
  ];
}

function userTags(tags: Tags): Tag[] {
  return [...tags].filter(([key]) => !key.toLowerCase().startsWith('aws:')).map(([Key, Value]) => ({ Key, Value }));
}

export function ec2StorageHandlers(world: SimWorld): Record<string, ApiHandler> {
  const newSnapshot = (call: SimCall, volume: VolumeRecord, description: string, tags: readonly Tag[]): SnapshotRecord => {
    const snapshot: SnapshotRecord = {
      id: world.ids.resourceId('snap'),
      account: call.account,
      region: call.region,
      volumeId: volume.id,
      volumeSize: volume.sizeGiB,
      description,
      startTime: world.now(),
      completesAt: world.now() + world.options.snapshotCompletionMs,
      encrypted: volume.encrypted,
      ...(volume.kmsKeyId !== undefined ? { kmsKeyId: volume.kmsKeyId } : {}),
      tags: new Map(),
    };
    applyTags(snapshot.tags, tags);
    world.snapshots.set(snapshot.id, snapshot);
    return snapshot;
  };

  return {
    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html */
    DescribeVolumes(call) {
      const input = inputOf<DescribeVolumesCommandInput>(call);
      const candidates = input.VolumeIds?.length ? input.VolumeIds.map((id) => requireVolume(world, call, id)) : located(world.volumes.values(), call);
      const matched = applyFilters<VolumeRecord>(
        candidates,
        input.Filters,
        {
          'volume-id': (v) => [v.id],
          'attachment.instance-id': (v) => (v.attachment ? [v.attachment.instanceId] : []),
          'attachment.device': (v) => (v.attachment ? [v.attachment.device] : []),
          'attachment.delete-on-termination': (v) => (v.attachment ? [String(v.attachment.deleteOnTermination)] : []),
          'attachment.status': (v) => (v.attachment ? ['attached'] : []),
          status: (v) => [v.state],
          'availability-zone': (v) => [v.availabilityZone],
          size: (v) => [String(v.sizeGiB)],
          'volume-type': (v) => [v.volumeType],
          encrypted: (v) => [String(v.encrypted)],
        },
        (v) => v.tags,
      );
      call.dryRunGate();
      return { Volumes: matched.map(volumeView) };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html — "each volume
     * attached to the specified instance will produce one snapshot that is crash-consistent across
     * the instance". An instance without EBS volumes is refused with InvalidParameterValue "There
     * are no attached EBS-backed volumes on the instance id (i-…)." Snapshots start `pending` and
     * complete after `snapshotCompletionMs` of simulated time.
     */
    CreateSnapshots(call) {
      const input = inputOf<CreateSnapshotsCommandInput>(call);
      const spec = input.InstanceSpecification;
      if (!spec) throw missingParameter('InstanceSpecification');
      const instance = requireInstance(world, call, spec.InstanceId);
      const attached = world.volumesOf(instance.id);
      const root = attached.find((v) => v.attachment?.device === instance.rootDeviceName);
      const excluded = new Set(spec.ExcludeDataVolumeIds ?? []);
      for (const id of excluded) {
        if (root && id === root.id) {
          throw invalidParameterValue(`The root volume '${id}' cannot be excluded with ExcludeDataVolumeIds; use ExcludeBootVolume.`);
        }
        if (!attached.some((v) => v.id === id)) throw invalidParameterValue(`The volume '${id}' is not attached to instance '${instance.id}'.`);
      }
      const selected = attached.filter((v) => !excluded.has(v.id) && !(spec.ExcludeBootVolume === true && v === root));
      if (selected.length === 0) {
        throw invalidParameterValue(`There are no attached EBS-backed volumes on the instance id (${instance.id}).`);
      }
      if (input.CopyTagsFromSource !== undefined && input.CopyTagsFromSource !== 'volume') {
        throw invalidParameterValue(`Value (${String(input.CopyTagsFromSource)}) for parameter CopyTagsFromSource is invalid.`);
      }
      const specified = tagsFromSpecifications(input.TagSpecifications, 'snapshot');
      const copying = input.CopyTagsFromSource === 'volume';
      if (specified.length > 0 || (copying && selected.some((v) => v.tags.size > 0))) call.authorize('ec2:CreateTags');
      call.dryRunGate();
      // Tags copied from the volume first, then the TagSpecifications (which win on a shared key).
      const tagsOf = (volume: VolumeRecord): Tag[] => [...(copying ? userTags(volume.tags) : []), ...specified];
      // One refused snapshot refuses the call, and a refused call creates nothing: every tag set is
      // checked (50 per resource, TagLimitExceeded) before the first snapshot exists.
      for (const volume of selected) applyTags(new Map(), tagsOf(volume));
      const Snapshots: SnapshotInfo[] = selected.map((volume) => {
        const snapshot = newSnapshot(call, volume, input.Description ?? '', tagsOf(volume));
        return {
          Description: snapshot.description,
          Encrypted: snapshot.encrypted,
          ...(snapshot.kmsKeyId !== undefined ? { KmsKeyId: snapshot.kmsKeyId } : {}),
          OwnerId: snapshot.account,
          Progress: '',
          SnapshotId: snapshot.id,
          StartTime: new Date(snapshot.startTime),
          State: snapshotState(world, snapshot),
          VolumeId: snapshot.volumeId,
          VolumeSize: snapshot.volumeSize,
          ...(tagList(snapshot.tags) ? { Tags: tagList(snapshot.tags) } : {}),
        };
      });
      return { Snapshots };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshot.html */
    CreateSnapshot(call) {
      const input = inputOf<CreateSnapshotCommandInput>(call);
      if (!input.VolumeId) throw missingParameter('VolumeId');
      const volume = requireVolume(world, call, input.VolumeId);
      const tags = tagsFromSpecifications(input.TagSpecifications, 'snapshot');
      if (tags.length > 0) call.authorize('ec2:CreateTags');
      call.dryRunGate();
      return snapshotView(world, newSnapshot(call, volume, input.Description ?? '', tags));
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html */
    DescribeSnapshots(call) {
      const input = inputOf<DescribeSnapshotsCommandInput>(call);
      const candidates = input.SnapshotIds?.length
        ? input.SnapshotIds.map((id) => requireSnapshot(world, call, id))
        : located(world.snapshots.values(), call);
      const owners = input.OwnerIds ?? [];
      const owned = owners.length === 0 ? candidates : candidates.filter((s) => owners.some((o) => o === 'self' || o === s.account));
      const matched = applyFilters<SnapshotRecord>(
        owned,
        input.Filters,
        {
          'snapshot-id': (s) => s.id,
          'volume-id': (s) => s.volumeId,
          status: (s) => snapshotState(world, s),
          'owner-id': (s) => s.account,
          description: (s) => s.description,
          'volume-size': (s) => String(s.volumeSize),
          encrypted: (s) => String(s.encrypted),
        },
        (s) => s.tags,
      );
      call.dryRunGate();
      return { Snapshots: matched.map((s) => snapshotView(world, s)) };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html — all resources
     * must exist (each kind answers its own NotFound code); nothing is tagged otherwise.
     */
    CreateTags(call) {
      const input = inputOf<CreateTagsCommandInput>(call);
      if (!input.Resources?.length) throw missingParameter('ResourceId');
      if (!input.Tags?.length) throw missingParameter('Tag');
      validateTags(input.Tags);
      const targets = input.Resources.map((id) => taggable(world, call, id));
      for (const target of targets) applyTags(new Map(target.tags), input.Tags);
      call.dryRunGate();
      for (const target of targets) applyTags(target.tags, input.Tags);
      return {};
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html — a key with a
     * value deletes the tag only when the value matches; a key alone deletes it whatever its value;
     * no tags at all deletes every user tag.
     */
    DeleteTags(call) {
      const input = inputOf<DeleteTagsCommandInput>(call);
      if (!input.Resources?.length) throw missingParameter('ResourceId');
      const targets = input.Resources.map((id) => taggable(world, call, id));
      call.dryRunGate();
      for (const target of targets) {
        if (!input.Tags || input.Tags.length === 0) {
          for (const key of [...target.tags.keys()]) if (!key.toLowerCase().startsWith('aws:')) target.tags.delete(key);
          continue;
        }
        for (const tag of input.Tags) {
          const key = tag.Key ?? '';
          if (tag.Value === undefined || target.tags.get(key) === tag.Value) target.tags.delete(key);
        }
      }
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html */
    DescribeTags(call) {
      const input = inputOf<DescribeTagsCommandInput>(call);
      const rows = allTaggables(world, call).flatMap((t) => [...t.tags].map(([key, value]) => ({ t, key, value })));
      const matched = applyFilters(
        rows,
        input.Filters,
        {
          'resource-id': ({ t }) => [t.id],
          'resource-type': ({ t }) => [t.type],
          key: ({ key }) => [key],
          value: ({ value }) => [value],
        },
        () => new Map(),
      );
      call.dryRunGate();
      const Tags: TagDescription[] = matched.map(({ t, key, value }) => ({
        Key: key,
        ResourceId: t.id,
        ResourceType: t.type as TagDescription['ResourceType'],
        Value: value,
      }));
      return { Tags };
    },
  };
}
