/**
 * EC2 APIs that *build and tear down* an environment (VPCs, subnets, images, RunInstances,
 * deletions). Responders never call them; the game-day backend (lib/gameday/account-backend)
 * prepares and cleans up every scenario with them, here as against an endpoint. Each handler
 * follows the API reference page it cites; what it does not model (launch templates, public IPs)
 * is refused with InvalidParameterValue rather than silently ignored.
 */
import { applyMetadataOptions } from './ec2-addresses';
import type {
  CreateSubnetCommandInput,
  CreateVpcCommandInput,
  DeleteNetworkInterfaceCommandInput,
  DeleteSnapshotCommandInput,
  DeleteSubnetCommandInput,
  DeleteVolumeCommandInput,
  DeleteVpcCommandInput,
  DescribeImagesCommandInput,
  RunInstancesCommandInput,
  Tag,
} from '@aws-sdk/client-ec2';
import { EnvironmentBuilder } from './builder';
import type { NetworkInterfaceSpec, TagMap, VolumeSpec } from './builder';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import {
  ec2Error,
  invalidParameterValue,
  missingParameter,
  requireNetworkInterface,
  requireSnapshot,
  requireSubnet,
  requireVolume,
  requireVpc,
  tagList,
  tagsFromSpecifications,
} from './ec2-common';
import { instanceView, ipv6CidrOfSubnet } from './ec2-views';
import { SimulatorSetupError } from './errors';
import type { InstanceRecord } from './model';
import type { SimWorld } from './world';
import { refuseLockedDeletion } from './ec2-snapshot-lock';

/** The root device of the AMIs the simulator pretends to launch (DescribeImages says so). */
const AMI_ROOT_DEVICE = '/dev/xvda';

/** Instances one RunInstances may launch here (EC2's own limit is the account's vCPU quota). */
const MAX_LAUNCH = 10_000;

function tagMap(tags: readonly Tag[]): TagMap | undefined {
  if (tags.length === 0) return undefined;
  return Object.fromEntries(tags.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** The builder speaks SimulatorSetupError; an API call answers InvalidParameterValue instead. */
function asAnswer<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof SimulatorSetupError) throw invalidParameterValue(error.message);
    throw error;
  }
}

function enisHaveFixedAddresses(input: RunInstancesCommandInput): boolean {
  return input.PrivateIpAddress !== undefined || (input.NetworkInterfaces ?? []).some((eni) => eni.PrivateIpAddress !== undefined);
}

function dependencyViolation(message: string) {
  return ec2Error('DependencyViolation', message);
}

export function ec2ProvisioningHandlers(world: SimWorld): Record<string, ApiHandler> {
  const builder = new EnvironmentBuilder(world);
  return {
    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html */
    CreateVpc(call) {
      const input = inputOf<CreateVpcCommandInput>(call);
      if (!input.CidrBlock) throw missingParameter('CidrBlock');
      const tags = tagsFromSpecifications(input.TagSpecifications, 'vpc');
      if (tags.length > 0) call.authorize('ec2:CreateTags');
      call.dryRunGate();
      const tagged = tagMap(tags);
      // AmazonProvidedIpv6CidrBlock: a /56 of Amazon's pool (here one of 2600:1f18::/32, made up),
      // written as EC2 writes it (no leading zeros: each group starts with 1).
      const ipv6Cidr = input.AmazonProvidedIpv6CidrBlock === true ? `2600:1f18:1${world.ids.hex(3)}:1${world.ids.hex(1)}00::/56` : undefined;
      const vpc = asAnswer(() =>
        builder.addVpc({ account: call.account, region: call.region, cidr: input.CidrBlock as string, ...(ipv6Cidr ? { ipv6Cidr } : {}), ...(tagged ? { tags: tagged } : {}) }),
      );
      return {
        Vpc: {
          CidrBlock: vpc.cidr,
          ...(vpc.ipv6Cidr !== undefined ? { Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: vpc.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' }, Ipv6Pool: 'Amazon', NetworkBorderGroup: vpc.region }] } : {}),
          InstanceTenancy: 'default',
          IsDefault: false,
          OwnerId: vpc.account,
          State: 'available',
          VpcId: vpc.id,
          ...(tagList(vpc.tags) ? { Tags: tagList(vpc.tags) } : {}),
        },
      };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html */
    CreateSubnet(call) {
      const input = inputOf<CreateSubnetCommandInput>(call);
      const vpc = requireVpc(world, call, input.VpcId);
      if (!input.CidrBlock) throw missingParameter('CidrBlock');
      const tags = tagsFromSpecifications(input.TagSpecifications, 'subnet');
      if (tags.length > 0) call.authorize('ec2:CreateTags');
      call.dryRunGate();
      const tagged = tagMap(tags);
      const subnet = asAnswer(() =>
        builder.addSubnet({
          vpcId: vpc.id,
          cidr: input.CidrBlock as string,
          ...(input.Ipv6CidrBlock !== undefined ? { ipv6Cidr: input.Ipv6CidrBlock } : {}),
          ...(input.AvailabilityZone !== undefined ? { availabilityZone: input.AvailabilityZone } : {}),
          ...(tagged ? { tags: tagged } : {}),
        }),
      );
      return {
        Subnet: {
          AvailabilityZone: subnet.availabilityZone,
          CidrBlock: subnet.cidr,
          ...ipv6CidrOfSubnet(subnet),
          OwnerId: subnet.account,
          State: 'available',
          SubnetId: subnet.id,
          VpcId: subnet.vpcId,
          ...(tagList(subnet.tags) ? { Tags: tagList(subnet.tags) } : {}),
        },
      };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html: one instance
     * (MinCount = MaxCount = 1), either an instance-level SubnetId/SecurityGroupIds or
     * NetworkInterfaces by DeviceIndex, BlockDeviceMappings, IamInstanceProfile (Name or Arn,
     * which must exist: "Value (…) for parameter iamInstanceProfile.name is invalid"), tags for
     * the instance, its volumes and its interfaces, and the protections. The instance starts
     * `running` (the simulator skips `pending`).
     */
    RunInstances(call) {
      const input = inputOf<RunInstancesCommandInput>(call);
      if (!input.ImageId) throw missingParameter('ImageId');
      const count = input.MaxCount ?? 0;
      if (!Number.isInteger(input.MinCount) || !Number.isInteger(count) || (input.MinCount ?? 0) < 1 || count < (input.MinCount ?? 0)) {
        throw invalidParameterValue('MinCount and MaxCount must be positive integers with MinCount <= MaxCount');
      }
      if (count > MAX_LAUNCH) throw ec2Error('InstanceLimitExceeded', `You have requested more instances (${count}) than your current instance limit of ${MAX_LAUNCH} allows.`);
      if (count > 1 && enisHaveFixedAddresses(input)) {
        throw invalidParameterValue('a private IP address can be given for one instance only (MaxCount = 1)');
      }
      const enis = [...(input.NetworkInterfaces ?? [])].sort((a, b) => (a.DeviceIndex ?? 0) - (b.DeviceIndex ?? 0));
      if (enis.length > 0 && (input.SubnetId !== undefined || (input.SecurityGroupIds?.length ?? 0) > 0)) {
        throw ec2Error('InvalidParameterCombination', 'Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request');
      }
      if (enis.length > 0 && enis[0]?.DeviceIndex !== 0) throw invalidParameterValue('Each instance must have a network interface at device index 0');
      const primarySubnet = enis.length > 0 ? enis[0]?.SubnetId : input.SubnetId;
      if (!primarySubnet) throw missingParameter('SubnetId');
      const subnet = requireSubnet(world, call, primarySubnet);
      for (const eni of enis) {
        const other = requireSubnet(world, call, eni.SubnetId ?? primarySubnet);
        if (other.vpcId !== subnet.vpcId || other.availabilityZone !== subnet.availabilityZone) {
          throw invalidParameterValue('Network interfaces of one instance must be in the same VPC and Availability Zone');
        }
      }
      const instanceTags = tagsFromSpecifications(
        input.TagSpecifications?.filter((spec) => spec.ResourceType === 'instance'),
        'instance',
      );
      const volumeTags = tagMap(tagsFromSpecifications(input.TagSpecifications?.filter((spec) => spec.ResourceType === 'volume'), 'volume'));
      const eniTags = tagMap(
        tagsFromSpecifications(input.TagSpecifications?.filter((spec) => spec.ResourceType === 'network-interface'), 'network-interface'),
      );
      const unknownType = input.TagSpecifications?.find((spec) => !['instance', 'volume', 'network-interface'].includes(String(spec.ResourceType)));
      if (unknownType) throw invalidParameterValue(`'${String(unknownType.ResourceType)}' is not a valid taggable resource type for this operation.`);
      let profileArn: string | undefined;
      if (input.IamInstanceProfile) {
        const wanted = input.IamInstanceProfile;
        const profile = [...world.instanceProfiles.values()].find(
          (p) => p.account === call.account && (wanted.Arn !== undefined ? p.arn === wanted.Arn : p.name === wanted.Name),
        );
        if (!profile) {
          throw invalidParameterValue(
            wanted.Arn !== undefined
              ? `Value (${wanted.Arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`
              : `Value (${String(wanted.Name)}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
          );
        }
        call.authorize('iam:PassRole', profile.arn);
        profileArn = profile.arn;
      }
      if (input.TagSpecifications?.length) call.authorize('ec2:CreateTags');
      const groupsOf = (ids: readonly string[] | undefined) => {
        for (const id of ids ?? []) {
          const group = world.securityGroups.get(id);
          if (!group || group.vpcId !== subnet.vpcId) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist in VPC '${subnet.vpcId}'`);
        }
        return ids && ids.length > 0 ? { groupIds: [...ids] } : {};
      };
      const eniSpecs: NetworkInterfaceSpec[] =
        enis.length > 0
          ? enis.map((eni) => ({
              ...groupsOf(eni.Groups),
              ...(eni.SubnetId !== undefined ? { subnetId: eni.SubnetId } : {}),
              ...(eni.DeleteOnTermination !== undefined ? { deleteOnTermination: eni.DeleteOnTermination } : {}),
              ...(eni.Description !== undefined ? { description: eni.Description } : {}),
              ...(eni.PrivateIpAddress !== undefined ? { privateIp: eni.PrivateIpAddress } : {}),
              ...(eni.Ipv6AddressCount !== undefined ? { ipv6AddressCount: eni.Ipv6AddressCount } : {}),
              ...(eni.Ipv4PrefixCount !== undefined ? { ipv4PrefixCount: eni.Ipv4PrefixCount } : {}),
              ...(eni.Ipv6PrefixCount !== undefined ? { ipv6PrefixCount: eni.Ipv6PrefixCount } : {}),
              ...(eniTags ? { tags: eniTags } : {}),
            }))
          : [{ ...groupsOf(input.SecurityGroupIds), ...(eniTags ? { tags: eniTags } : {}) }];
      const volumes: VolumeSpec[] | undefined = input.BlockDeviceMappings?.filter((mapping) => mapping.NoDevice === undefined).map((mapping, index) => {
        if (!mapping.DeviceName) throw missingParameter('BlockDeviceMapping.DeviceName');
        const ebs = mapping.Ebs ?? {};
        return {
          device: mapping.DeviceName,
          boot: index === 0,
          ...(ebs.VolumeSize !== undefined ? { sizeGiB: ebs.VolumeSize } : {}),
          ...(ebs.DeleteOnTermination !== undefined ? { deleteOnTermination: ebs.DeleteOnTermination } : {}),
          ...(ebs.VolumeType !== undefined ? { volumeType: ebs.VolumeType } : {}),
          ...(ebs.Encrypted !== undefined ? { encrypted: ebs.Encrypted } : {}),
          ...(ebs.KmsKeyId !== undefined ? { kmsKeyId: ebs.KmsKeyId } : {}),
          ...(volumeTags ? { tags: volumeTags } : {}),
        };
      });
      const suppressesRoot = input.BlockDeviceMappings?.some((mapping) => mapping.NoDevice !== undefined && mapping.DeviceName === AMI_ROOT_DEVICE) === true;
      call.dryRunGate();
      const tags = tagMap(instanceTags);
      const reservationId = world.ids.resourceId('r');
      const launch = () =>
        builder.addInstance({
          reservationId,
          ...(world.presetInstanceIds.length > 0 ? { id: world.presetInstanceIds.shift() as string } : {}),
          account: call.account,
          region: call.region,
          vpcId: subnet.vpcId,
          subnetId: subnet.id,
          imageId: input.ImageId as string,
          ...(input.InstanceType !== undefined ? { type: input.InstanceType } : {}),
          enis: eniSpecs,
          // No mapping: the AMI's own root volume (8 GiB at /dev/xvda here); NoDevice on it
          // suppresses it ("Suppresses the specified device included in the block device mapping
          // of the AMI": https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_BlockDeviceMapping.html).
          ...(volumes !== undefined && (volumes.length > 0 || suppressesRoot) ? { volumes } : {}),
          ...(profileArn !== undefined ? { instanceProfileArn: profileArn } : {}),
          ...(tags ? { tags } : {}),
          ...(input.DisableApiTermination !== undefined ? { disableApiTermination: input.DisableApiTermination } : {}),
          ...(input.DisableApiStop !== undefined ? { disableApiStop: input.DisableApiStop } : {}),
          ...(input.InstanceInitiatedShutdownBehavior !== undefined
            ? { shutdownBehavior: input.InstanceInitiatedShutdownBehavior as 'stop' | 'terminate' }
            : {}),
        });
      const metadata = input.MetadataOptions;
      const launched = asAnswer(() =>
        Array.from({ length: count }, () => {
          const built = launch();
          if (metadata) world.metadataOptions.set(built.instanceId, applyMetadataOptions(world, built.instanceId, metadata));
          return built;
        }),
      );
      return {
        ReservationId: reservationId,
        OwnerId: call.account,
        Groups: [],
        Instances: launched.map((built) => instanceView(world, world.instances.get(built.instanceId) as InstanceRecord)),
      };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html: every
     * well-formed AMI id is an available EBS-backed image whose root device is /dev/xvda (8 GiB).
     */
    DescribeImages(call) {
      const input = inputOf<DescribeImagesCommandInput>(call);
      const ids = input.ImageIds ?? [];
      for (const id of ids) if (!/^ami-[0-9a-z]+$/.test(id)) throw ec2Error('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
      return {
        Images: ids.map((id) => ({
          ImageId: id,
          State: 'available',
          RootDeviceName: AMI_ROOT_DEVICE,
          RootDeviceType: 'ebs',
          BlockDeviceMappings: [{ DeviceName: AMI_ROOT_DEVICE, Ebs: { VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } }],
        })),
      };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html: every subnet, non-default group and interface must be gone first. */
    DeleteVpc(call) {
      const input = inputOf<DeleteVpcCommandInput>(call);
      const vpc = requireVpc(world, call, input.VpcId);
      call.dryRunGate();
      const blocking = [
        ...[...world.subnets.values()].filter((s) => s.vpcId === vpc.id).map((s) => s.id),
        ...[...world.securityGroups.values()].filter((g) => g.vpcId === vpc.id && g.id !== vpc.defaultGroupId).map((g) => g.id),
        ...[...world.networkInterfaces.values()].filter((e) => e.vpcId === vpc.id).map((e) => e.id),
      ];
      if (blocking.length > 0) {
        throw dependencyViolation(`The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
      }
      world.securityGroups.delete(vpc.defaultGroupId);
      world.vpcs.delete(vpc.id);
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html: no network interface may remain in it. */
    DeleteSubnet(call) {
      const input = inputOf<DeleteSubnetCommandInput>(call);
      if (!input.SubnetId) throw missingParameter('SubnetId');
      const subnet = requireSubnet(world, call, input.SubnetId);
      call.dryRunGate();
      if ([...world.networkInterfaces.values()].some((eni) => eni.subnetId === subnet.id)) {
        throw dependencyViolation(`The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
      }
      world.subnets.delete(subnet.id);
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNetworkInterface.html: only a detached interface. */
    DeleteNetworkInterface(call) {
      const input = inputOf<DeleteNetworkInterfaceCommandInput>(call);
      const eni = requireNetworkInterface(world, call, input.NetworkInterfaceId);
      call.dryRunGate();
      if (eni.attachment) throw ec2Error('InvalidNetworkInterface.InUse', `Interface: [${eni.id}] in use.`);
      world.networkInterfaces.delete(eni.id);
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html: only an `available` (detached) volume. */
    DeleteVolume(call) {
      const input = inputOf<DeleteVolumeCommandInput>(call);
      if (!input.VolumeId) throw missingParameter('VolumeId');
      const volume = requireVolume(world, call, input.VolumeId);
      call.dryRunGate();
      if (volume.attachment || volume.state === 'in-use') throw ec2Error('VolumeInUse', `Volume ${volume.id} is currently attached to ${volume.attachment?.instanceId ?? 'an instance'}`);
      world.volumes.delete(volume.id);
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html */
    DeleteSnapshot(call) {
      const input = inputOf<DeleteSnapshotCommandInput>(call);
      if (!input.SnapshotId) throw missingParameter('SnapshotId');
      const snapshot = requireSnapshot(world, call, input.SnapshotId);
      call.dryRunGate();
      refuseLockedDeletion(world, snapshot);
      world.snapshots.delete(snapshot.id);
      return {};
    },
  };
}
