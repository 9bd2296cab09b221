/**
 * EC2 network APIs: DescribeNetworkInterfaces, ModifyNetworkInterfaceAttribute (security groups
 * per ENI, the only way to re-group a multi-ENI instance), DescribeVpcs, DescribeSubnets.
 */
import type {
  DescribeNetworkInterfacesCommandInput,
  DescribeSubnetsCommandInput,
  DescribeVpcsCommandInput,
  ModifyNetworkInterfaceAttributeCommandInput,
  Subnet,
  Vpc,
} from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import {
  applyFilters,
  booleanValue,
  ec2Error,
  invalidParameterValue,
  located,
  missingParameter,
  requireGroupsInVpc,
  requireNetworkInterface,
  requireSubnet,
  requireVpc,
  tagList,
} from './ec2-common';
import { ipv6CidrOfSubnet, networkInterfaceView } from './ec2-views';
import { SimulatorUnsupportedApiError } from './errors';
import type { NetworkInterfaceRecord } from './model';
import type { SimWorld } from './world';

/** Default quota of security groups per network interface (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html). */
export const GROUPS_PER_INTERFACE = 5;

const MODIFIABLE = ['Description', 'SourceDestCheck', 'Groups', 'Attachment'] as const;
const UNSUPPORTED = ['EnaSrdSpecification', 'ConnectionTrackingSpecification', 'AssociatePublicIpAddress', 'AssociatedSubnetIds'] as const;

export function ec2NetworkHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html */
    DescribeNetworkInterfaces(call) {
      const input = inputOf<DescribeNetworkInterfacesCommandInput>(call);
      const candidates = input.NetworkInterfaceIds?.length
        ? input.NetworkInterfaceIds.map((id) => requireNetworkInterface(world, call, id))
        : located(world.networkInterfaces.values(), call);
      const matched = applyFilters<NetworkInterfaceRecord>(
        candidates,
        input.Filters,
        {
          'network-interface-id': (eni) => [eni.id],
          'attachment.instance-id': (eni) => (eni.attachment ? [eni.attachment.instanceId] : []),
          'attachment.device-index': (eni) => (eni.attachment ? [String(eni.attachment.deviceIndex)] : []),
          'attachment.attachment-id': (eni) => (eni.attachment ? [eni.attachment.attachmentId] : []),
          'vpc-id': (eni) => [eni.vpcId],
          'subnet-id': (eni) => [eni.subnetId],
          'group-id': (eni) => eni.groupIds,
          'group-name': (eni) => eni.groupIds.map((id) => world.securityGroups.get(id)?.name ?? ''),
          status: (eni) => [eni.attachment ? 'in-use' : 'available'],
          'private-ip-address': (eni) => [eni.privateIp],
          'availability-zone': (eni) => [eni.availabilityZone],
          'owner-id': (eni) => [eni.account],
        },
        (eni) => eni.tags,
      );
      call.dryRunGate();
      return { NetworkInterfaces: matched.map((eni) => networkInterfaceView(world, eni)) };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html —
     * "You can modify only one attribute at a time"; `Groups` replaces the ENI's groups, each must
     * exist in the ENI's VPC, at least one and at most the per-interface quota.
     */
    ModifyNetworkInterfaceAttribute(call) {
      const input = inputOf<ModifyNetworkInterfaceAttributeCommandInput & Record<string, unknown>>(call);
      const unsupported = UNSUPPORTED.find((field) => input[field] !== undefined);
      if (unsupported) throw new SimulatorUnsupportedApiError(`ec2:ModifyNetworkInterfaceAttribute (${unsupported})`, 'ModifyNetworkInterfaceAttributeCommand');
      const fields = MODIFIABLE.filter((field) => input[field] !== undefined);
      if (fields.length === 0) throw missingParameter('Attribute');
      if (fields.length > 1) {
        throw ec2Error('InvalidParameterCombination', `Fields for multiple attribute types specified: ${fields.join(', ')}`);
      }
      const eni = requireNetworkInterface(world, call, input.NetworkInterfaceId);
      switch (fields[0]) {
        case 'Groups': {
          const groupIds = [...new Set(input.Groups ?? [])];
          if (groupIds.length === 0) throw missingParameter('SecurityGroupId');
          if (groupIds.length > GROUPS_PER_INTERFACE) {
            throw ec2Error('SecurityGroupsPerInterfaceLimitExceeded', 'The maximum number of security groups per interface has been reached.');
          }
          requireGroupsInVpc(world, call, groupIds, eni.vpcId);
          call.dryRunGate();
          eni.groupIds = groupIds;
          break;
        }
        case 'Description': {
          call.dryRunGate();
          eni.description = input.Description?.Value ?? '';
          break;
        }
        case 'SourceDestCheck': {
          const value = booleanValue(input.SourceDestCheck?.Value);
          if (value === undefined) throw invalidParameterValue('Value for parameter sourceDestCheck is invalid. Expected a boolean.');
          call.dryRunGate();
          eni.sourceDestCheck = value;
          break;
        }
        case 'Attachment': {
          const change = input.Attachment ?? {};
          if (!eni.attachment || change.AttachmentId !== eni.attachment.attachmentId) {
            throw ec2Error('InvalidAttachmentID.NotFound', `The network interface attachment ID '${String(change.AttachmentId)}' does not exist`);
          }
          const value = booleanValue(change.DeleteOnTermination);
          if (value === undefined) throw missingParameter('Attachment.DeleteOnTermination');
          call.dryRunGate();
          eni.attachment.deleteOnTermination = value;
          break;
        }
      }
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html */
    DescribeVpcs(call) {
      const input = inputOf<DescribeVpcsCommandInput>(call);
      const candidates = input.VpcIds?.length ? input.VpcIds.map((id) => requireVpc(world, call, id)) : located(world.vpcs.values(), call);
      const matched = applyFilters(
        candidates,
        input.Filters,
        { 'vpc-id': (v) => [v.id], 'is-default': (v) => [String(v.isDefault)], 'cidr-block': (v) => [v.cidr], 'owner-id': (v) => [v.account] },
        (v) => v.tags,
      );
      call.dryRunGate();
      const Vpcs: Vpc[] = matched.map((v) => ({
        CidrBlock: v.cidr,
        InstanceTenancy: 'default',
        IsDefault: v.isDefault,
        ...(v.ipv6Cidr !== undefined ? { Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: v.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' } }] } : {}),
        OwnerId: v.account,
        State: 'available',
        VpcId: v.id,
        ...(tagList(v.tags) ? { Tags: tagList(v.tags) } : {}),
      }));
      return { Vpcs };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html */
    DescribeSubnets(call) {
      const input = inputOf<DescribeSubnetsCommandInput>(call);
      const candidates = input.SubnetIds?.length
        ? input.SubnetIds.map((id) => requireSubnet(world, call, id))
        : located(world.subnets.values(), call);
      const matched = applyFilters(
        candidates,
        input.Filters,
        { 'subnet-id': (s) => [s.id], 'vpc-id': (s) => [s.vpcId], 'availability-zone': (s) => [s.availabilityZone], 'cidr-block': (s) => [s.cidr] },
        (s) => s.tags,
      );
      call.dryRunGate();
      const Subnets: Subnet[] = matched.map((s) => ({
        AvailabilityZone: s.availabilityZone,
        CidrBlock: s.cidr,
        ...ipv6CidrOfSubnet(s),
        OwnerId: s.account,
        State: 'available',
        SubnetArn: `arn:aws:ec2:${s.region}:${s.account}:subnet/${s.id}`,
        SubnetId: s.id,
        VpcId: s.vpcId,
        ...(tagList(s.tags) ? { Tags: tagList(s.tags) } : {}),
      }));
      return { Subnets };
    },
  };
}
