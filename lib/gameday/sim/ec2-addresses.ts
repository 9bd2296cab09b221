/**
 * EC2 Elastic IP and instance metadata APIs: AllocateAddress, DescribeAddresses, AssociateAddress
 * (AllowReassociation honoured), DisassociateAddress, ReleaseAddress, ModifyInstanceMetadataOptions.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html
 */
import type {
  Address,
  AllocateAddressCommandInput,
  AssociateAddressCommandInput,
  DescribeAddressesCommandInput,
  DisassociateAddressCommandInput,
  InstanceMetadataOptionsResponse,
  ModifyInstanceMetadataOptionsCommandInput,
  ReleaseAddressCommandInput,
} from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import { applyFilters, applyTags, ec2Error, invalidParameterValue, located, missingParameter, requireInstance, requireNetworkInterface, tagList, tagsFromSpecifications } from './ec2-common';
import type { AddressRecord, MetadataOptionsRecord } from './ec2-address-state';
import type { SimWorld } from './world';

/** EC2's defaults for an instance launched without MetadataOptions (IMDSv1 allowed, hop limit 1). */
export const DEFAULT_METADATA_OPTIONS: Readonly<MetadataOptionsRecord> = { httpEndpoint: 'enabled', httpTokens: 'optional', httpPutResponseHopLimit: 1 };

/** The instance's metadata settings (its own or EC2's defaults). */
export function metadataOptionsOf(world: SimWorld, instanceId: string): MetadataOptionsRecord {
  return world.metadataOptions.get(instanceId) ?? { ...DEFAULT_METADATA_OPTIONS };
}

/** The DescribeInstances `MetadataOptions` of an instance. */
export function metadataOptionsView(world: SimWorld, instanceId: string): InstanceMetadataOptionsResponse {
  const o = metadataOptionsOf(world, instanceId);
  return { State: 'applied', HttpTokens: o.httpTokens, HttpPutResponseHopLimit: o.httpPutResponseHopLimit, HttpEndpoint: o.httpEndpoint, HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'disabled' };
}

/** Sets an instance's metadata settings from a RunInstances / ModifyInstanceMetadataOptions input. */
export function applyMetadataOptions(world: SimWorld, instanceId: string, input: { HttpEndpoint?: string; HttpTokens?: string; HttpPutResponseHopLimit?: number }): MetadataOptionsRecord {
  const current = metadataOptionsOf(world, instanceId);
  if (input.HttpEndpoint !== undefined && input.HttpEndpoint !== 'enabled' && input.HttpEndpoint !== 'disabled') throw invalidParameterValue(`Invalid value '${input.HttpEndpoint}' for HttpEndpoint`);
  if (input.HttpTokens !== undefined && input.HttpTokens !== 'optional' && input.HttpTokens !== 'required') throw invalidParameterValue(`Invalid value '${input.HttpTokens}' for HttpTokens`);
  if (input.HttpPutResponseHopLimit !== undefined && (!Number.isInteger(input.HttpPutResponseHopLimit) || input.HttpPutResponseHopLimit < 1 || input.HttpPutResponseHopLimit > 64)) {
    throw invalidParameterValue('HttpPutResponseHopLimit must be between 1 and 64');
  }
  const next: MetadataOptionsRecord = {
    httpEndpoint: (input.HttpEndpoint as MetadataOptionsRecord['httpEndpoint'] | undefined) ?? current.httpEndpoint,
    httpTokens: (input.HttpTokens as MetadataOptionsRecord['httpTokens'] | undefined) ?? current.httpTokens,
    httpPutResponseHopLimit: input.HttpPutResponseHopLimit ?? current.httpPutResponseHopLimit,
  };
  return next;
}

function addressView(world: SimWorld, address: AddressRecord): Address {
  const eni = address.networkInterfaceId ? world.networkInterfaces.get(address.networkInterfaceId) : undefined;
  const tags = tagList(address.tags);
  return {
    AllocationId: address.allocationId,
    PublicIp: address.publicIp,
    Domain: 'vpc',
    PublicIpv4Pool: 'amazon',
    NetworkBorderGroup: address.region,
    ...(address.associationId ? { AssociationId: address.associationId, NetworkInterfaceId: address.networkInterfaceId, PrivateIpAddress: address.privateIp, NetworkInterfaceOwnerId: address.account } : {}),
    ...(eni?.attachment ? { InstanceId: eni.attachment.instanceId } : {}),
    ...(tags ? { Tags: tags } : {}),
  };
}

function requireAddress(world: SimWorld, call: { account: string; region: string }, allocationId: unknown): AddressRecord {
  if (typeof allocationId !== 'string' || allocationId === '') throw missingParameter('AllocationId');
  const address = world.addresses.get(allocationId);
  if (!address || address.account !== call.account || address.region !== call.region) throw ec2Error('InvalidAllocationID.NotFound', `The allocation ID '${allocationId}' does not exist`);
  return address;
}

export type { AddressRecord, MetadataOptionsRecord };

export function ec2AddressHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    AllocateAddress(call) {
      const input = inputOf<AllocateAddressCommandInput>(call);
      call.dryRunGate();
      const allocationId = world.ids.resourceId('eipalloc');
      const n = world.addresses.size + 10;
      const address: AddressRecord = { account: call.account, region: call.region, allocationId, publicIp: `198.51.100.${n % 250}`, tags: new Map() };
      applyTags(address.tags, tagsFromSpecifications(input.TagSpecifications, 'elastic-ip'));
      world.addresses.set(allocationId, address);
      return { AllocationId: allocationId, PublicIp: address.publicIp, Domain: 'vpc', PublicIpv4Pool: 'amazon', NetworkBorderGroup: call.region };
    },
    DescribeAddresses(call) {
      const input = inputOf<DescribeAddressesCommandInput>(call);
      const candidates = input.AllocationIds?.length ? input.AllocationIds.map((id) => requireAddress(world, call, id)) : located(world.addresses.values(), call);
      const matched = applyFilters<AddressRecord>(candidates, input.Filters, {
        'allocation-id': (a) => [a.allocationId],
        'association-id': (a) => (a.associationId ? [a.associationId] : []),
        'network-interface-id': (a) => (a.networkInterfaceId ? [a.networkInterfaceId] : []),
        'private-ip-address': (a) => (a.privateIp ? [a.privateIp] : []),
        'public-ip': (a) => [a.publicIp],
        'instance-id': (a) => {
          const eni = a.networkInterfaceId ? world.networkInterfaces.get(a.networkInterfaceId) : undefined;
          return eni?.attachment ? [eni.attachment.instanceId] : [];
        },
        domain: () => ['vpc'],
      }, (a) => a.tags);
      return { Addresses: matched.filter((a) => !input.PublicIps?.length || input.PublicIps.includes(a.publicIp)).map((a) => addressView(world, a)) };
    },
    AssociateAddress(call) {
      const input = inputOf<AssociateAddressCommandInput>(call);
      const address = requireAddress(world, call, input.AllocationId);
      let eniId = input.NetworkInterfaceId;
      if (!eniId) {
        if (!input.InstanceId) throw missingParameter('NetworkInterfaceId');
        const instance = requireInstance(world, call, input.InstanceId);
        eniId = world.interfacesOf(instance.id).find((e) => e.attachment?.deviceIndex === 0)?.id;
        if (!eniId) throw ec2Error('InvalidInstanceID', `The instance ${instance.id} has no primary network interface`);
      }
      const eni = requireNetworkInterface(world, call, eniId);
      const privateIp = input.PrivateIpAddress ?? eni.privateIp;
      if (privateIp !== eni.privateIp) throw invalidParameterValue(`The private IP address ${privateIp} is not assigned to ${eni.id}`);
      if (address.associationId && !(address.networkInterfaceId === eni.id && address.privateIp === privateIp) && input.AllowReassociation !== true) {
        throw ec2Error('Resource.AlreadyAssociated', `resource ${address.allocationId} is already associated with associate-id ${address.associationId}`);
      }
      const taken = [...world.addresses.values()].find((a) => a !== address && a.networkInterfaceId === eni.id && a.privateIp === privateIp);
      if (taken && input.AllowReassociation !== true) throw ec2Error('Resource.AlreadyAssociated', `${eni.id} (${privateIp}) already has the Elastic IP ${taken.publicIp}`);
      call.dryRunGate();
      if (taken) {
        delete taken.associationId;
        delete taken.networkInterfaceId;
        delete taken.privateIp;
      }
      address.associationId = world.ids.resourceId('eipassoc');
      address.networkInterfaceId = eni.id;
      address.privateIp = privateIp;
      return { AssociationId: address.associationId };
    },
    DisassociateAddress(call) {
      const input = inputOf<DisassociateAddressCommandInput>(call);
      if (!input.AssociationId) throw missingParameter('AssociationId');
      const address = located(world.addresses.values(), call).find((a) => a.associationId === input.AssociationId);
      if (!address) throw ec2Error('InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
      call.dryRunGate();
      delete address.associationId;
      delete address.networkInterfaceId;
      delete address.privateIp;
      return {};
    },
    ReleaseAddress(call) {
      const input = inputOf<ReleaseAddressCommandInput>(call);
      const address = requireAddress(world, call, input.AllocationId);
      if (address.associationId) throw ec2Error('InvalidIPAddress.InUse', `Address ${address.publicIp} is in use`);
      call.dryRunGate();
      world.addresses.delete(address.allocationId);
      return {};
    },
    ModifyInstanceMetadataOptions(call) {
      const input = inputOf<ModifyInstanceMetadataOptionsCommandInput>(call);
      const instance = requireInstance(world, call, input.InstanceId);
      const next = applyMetadataOptions(world, instance.id, input);
      call.dryRunGate();
      world.metadataOptions.set(instance.id, next);
      return { InstanceId: instance.id, InstanceMetadataOptions: { ...metadataOptionsView(world, instance.id), State: 'pending' } };
    },
  };
}
