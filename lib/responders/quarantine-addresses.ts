/**
 * Elastic IPs of a contained instance. An Elastic IP stays associated with an isolated instance:
 * the security groups block its traffic, but the address keeps pointing at the evidence, and the
 * first rule someone adds to the wrong group opens it to the internet again. quarantine-instance
 * therefore disassociates every Elastic IP of the instance's ENIs (ec2:DisassociateAddress, with
 * DryRun), after recording each one (allocation, ENI, private IP) in the pre-quarantine record,
 * and release-instance re-associates exactly those (release-addresses.ts).
 *
 * The addresses are read with one ec2:DescribeAddresses filtered on `instance-id` (EC2 fills
 * `InstanceId` for an address associated with any ENI attached to the instance:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAddresses.html), beside the
 * describe of the instance, so it adds no round trip before the first ENI move. EC2's answer is
 * kept only for the ENIs EC2 shows attached to the instance.
 */
import { DescribeAddressesCommand, DisassociateAddressCommand } from '@aws-sdk/client-ec2';
import type { Address, EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../aws/errors';
import type { ResponderMode } from '../contracts/responder-mode';
import type { ObservedInstance } from './instance-state';
import { sendReadOnly } from './mutating';
import type { PendingAction } from './pending-actions';
import { mutateEc2, settleAll } from './pending-actions';

/** One Elastic IP as the pre-quarantine record keeps it: enough to put it back exactly. */
export interface RecordedAddress {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly networkInterfaceId: string;
  readonly privateIpAddress: string;
}

/** An Elastic IP associated with the instance now (its association id is what DisassociateAddress takes). */
export interface ObservedAddress extends RecordedAddress {
  readonly associationId: string;
}

/** The AWS error code of an error, or of the AWS error a responder error wraps. */
export function causeCode(error: unknown): string | undefined {
  return awsErrorCode(error instanceof Error && error.cause !== undefined ? error.cause : error);
}

/** The instance's Elastic IPs, as EC2 describes them now (read-only). */
export async function describeInstanceAddresses(ec2: EC2Client, instanceId: string): Promise<Address[]> {
  const answer = await sendReadOnly('ec2:DescribeAddresses', () =>
    ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
  );
  return answer?.Addresses ?? [];
}

/**
 * The addresses associated with an ENI EC2 shows attached to the instance, with everything
 * release needs (pure). VPC addresses only: an EC2-Classic address has no allocation id and no
 * longer exists.
 */
export function addressesOfInstance(addresses: readonly Address[], instance: ObservedInstance): ObservedAddress[] {
  const enis = new Set(instance.networkInterfaces.map((eni) => eni.networkInterfaceId));
  return addresses.flatMap((address) =>
    address.AllocationId && address.AssociationId && address.PublicIp && address.NetworkInterfaceId && address.PrivateIpAddress && enis.has(address.NetworkInterfaceId)
      ? [
          {
            allocationId: address.AllocationId,
            associationId: address.AssociationId,
            publicIp: address.PublicIp,
            networkInterfaceId: address.NetworkInterfaceId,
            privateIpAddress: address.PrivateIpAddress,
          },
        ]
      : [],
  );
}

/** The record's view of the addresses (pure): no association id, which does not survive a disassociation. */
export function recordAddresses(addresses: readonly ObservedAddress[]): RecordedAddress[] {
  return addresses.map(({ allocationId, publicIp, networkInterfaceId, privateIpAddress }) => ({ allocationId, publicIp, networkInterfaceId, privateIpAddress }));
}

/**
 * Disassociates every Elastic IP of the instance (ec2:DisassociateAddress by association id, DryRun
 * in dry-run). An association gone since the describe (InvalidAssociationID.NotFound) is what the
 * call wanted: already done. With the option off, says what stays associated.
 */
export async function disassociateAddresses(
  ec2: EC2Client,
  mode: ResponderMode,
  addresses: readonly ObservedAddress[],
  disassociate: boolean,
): Promise<PendingAction[]> {
  const api = 'ec2:DisassociateAddress';
  if (!disassociate) {
    return addresses.map((a) => ({
      api,
      target: a.allocationId,
      outcome: 'skipped' as const,
      detail: `Option disassociateElasticIps is off: ${a.publicIp} stays associated with ${a.networkInterfaceId} (${a.privateIpAddress})`,
    }));
  }
  return settleAll(
    addresses.map(async (address): Promise<PendingAction> => {
      try {
        const sent = await mutateEc2(
          mode,
          api,
          address.allocationId,
          `disassociate Elastic IP ${address.publicIp} (${address.allocationId}) from ${address.networkInterfaceId} (${address.privateIpAddress}); release re-associates it`,
          (dryRun) => ec2.send(new DisassociateAddressCommand({ AssociationId: address.associationId, ...(dryRun ? { DryRun: true } : {}) })),
        );
        return sent.action;
      } catch (error) {
        if (causeCode(error) !== 'InvalidAssociationID.NotFound') throw error;
        return { api, target: address.allocationId, outcome: 'already-done', detail: `${address.publicIp} was disassociated already (InvalidAssociationID.NotFound)` };
      }
    }),
  );
}
