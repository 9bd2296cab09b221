/**
 * release-instance's side of the containment edges (quarantine-edges.ts): the Elastic IPs the
 * record says quarantine disassociated are associated again, each with the ENI and private IP it
 * had, and the metadata settings the record holds are put back.
 *
 * An Elastic IP is never taken from wherever it went since: ec2:AssociateAddress is sent with
 * `AllowReassociation: false` (EC2 then refuses to move an address that is associated,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html), and only for
 * an address that ec2:DescribeAddresses shows unassociated. An address released since, associated
 * elsewhere, or whose ENI left the instance is reported, not restored.
 */
import { AssociateAddressCommand, DescribeAddressesCommand, ModifyInstanceMetadataOptionsCommand } from '@aws-sdk/client-ec2';
import type { Address, EC2Client } from '@aws-sdk/client-ec2';
import type { ResponderMode } from '../contracts/responder-mode';
import type { ObservedInstance } from './instance-state';
import { sendReadOnly } from './mutating';
import type { PendingAction } from './pending-actions';
import { mutateEc2, settleAll } from './pending-actions';
import type { RecordedAddress } from './quarantine-addresses';
import { causeCode } from './quarantine-addresses';
import { describeMetadataSettings, metadataOptionsInput, sameMetadataSettings } from './quarantine-metadata';
import type { QuarantineRecord } from './quarantine-records';

/** What release did with one recorded Elastic IP. */
export type AddressRestoreOutcome = 'reassociated' | 'would-reassociate' | 'already-associated' | 'associated-elsewhere' | 'released-since' | 'eni-detached' | 'would-be-denied';

export interface AddressRestore {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly networkInterfaceId: string;
  readonly privateIpAddress: string;
  readonly outcome: AddressRestoreOutcome;
}

/** The decision for one recorded address, from what EC2 says now (pure). */
export function planAddressRestore(
  recorded: RecordedAddress,
  current: Address | undefined,
  instance: ObservedInstance,
): { readonly outcome: 'associate' | Exclude<AddressRestoreOutcome, 'reassociated' | 'would-reassociate' | 'would-be-denied'>; readonly why: string } {
  const where = `${recorded.networkInterfaceId} (${recorded.privateIpAddress})`;
  if (!instance.networkInterfaces.some((eni) => eni.networkInterfaceId === recorded.networkInterfaceId)) {
    return { outcome: 'eni-detached', why: `${recorded.networkInterfaceId} is no longer attached to the instance: ${recorded.publicIp} is not re-associated` };
  }
  if (!current) return { outcome: 'released-since', why: `${recorded.publicIp} (${recorded.allocationId}) was released since quarantine: there is nothing to re-associate` };
  if (current.AssociationId) {
    if (current.NetworkInterfaceId === recorded.networkInterfaceId && current.PrivateIpAddress === recorded.privateIpAddress) {
      return { outcome: 'already-associated', why: `${recorded.publicIp} is associated with ${where} already` };
    }
    const elsewhere = current.NetworkInterfaceId ?? current.InstanceId ?? 'another resource';
    return {
      outcome: 'associated-elsewhere',
      why: `${recorded.publicIp} was associated with ${elsewhere}${current.PrivateIpAddress ? ` (${current.PrivateIpAddress})` : ''} since quarantine: it is not taken back`,
    };
  }
  return { outcome: 'associate', why: '' };
}

/** Re-associates the recorded Elastic IPs, each exactly where it was, never stealing one. */
export async function restoreAddresses(
  ec2: EC2Client,
  mode: ResponderMode,
  record: QuarantineRecord,
  instance: ObservedInstance,
): Promise<{ readonly actions: PendingAction[]; readonly addresses: AddressRestore[] }> {
  const recorded = record.elasticIps ?? [];
  if (recorded.length === 0) return { actions: [], addresses: [] };
  // A filter, not AllocationIds: one address released since would fail the whole call (InvalidAllocationID.NotFound).
  const described = await sendReadOnly('ec2:DescribeAddresses', () =>
    ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: recorded.map((a) => a.allocationId) }] })),
  );
  const current = new Map((described?.Addresses ?? []).flatMap((a) => (a.AllocationId ? [[a.AllocationId, a] as const] : [])));
  const results = await settleAll(
    recorded.map(async (address): Promise<{ action: PendingAction; restore: AddressRestore }> => {
      const api = 'ec2:AssociateAddress';
      const decision = planAddressRestore(address, current.get(address.allocationId), instance);
      const restore = (outcome: AddressRestoreOutcome): AddressRestore => ({ ...address, outcome });
      if (decision.outcome !== 'associate') {
        return {
          action: { api, target: address.allocationId, outcome: decision.outcome === 'already-associated' ? 'already-done' : 'skipped', detail: decision.why },
          restore: restore(decision.outcome),
        };
      }
      try {
        const sent = await mutateEc2(
          mode,
          api,
          address.allocationId,
          `re-associate Elastic IP ${address.publicIp} (${address.allocationId}) with ${address.networkInterfaceId} (${address.privateIpAddress}), never taking it from another association`,
          (dryRun) =>
            ec2.send(
              new AssociateAddressCommand({
                AllocationId: address.allocationId,
                NetworkInterfaceId: address.networkInterfaceId,
                PrivateIpAddress: address.privateIpAddress,
                AllowReassociation: false,
                ...(dryRun ? { DryRun: true } : {}),
              }),
            ),
        );
        const outcome: AddressRestoreOutcome =
          sent.action.outcome === 'done' ? 'reassociated' : sent.action.outcome === 'would-do' ? 'would-reassociate' : 'would-be-denied';
        return { action: sent.action, restore: restore(outcome) };
      } catch (error) {
        // Associated by someone else between the describe and the call: EC2 refused to move it.
        if (causeCode(error) !== 'Resource.AlreadyAssociated') throw error;
        return {
          action: { api, target: address.allocationId, outcome: 'skipped', detail: `${address.publicIp} was associated elsewhere meanwhile (Resource.AlreadyAssociated): it is not taken back` },
          restore: restore('associated-elsewhere'),
        };
      }
    }),
  );
  return {
    actions: [
      { api: 'ec2:DescribeAddresses', target: record.instanceId, outcome: 'observed', detail: `${current.size} of the ${recorded.length} recorded Elastic IP(s) still allocated in the account` },
      ...results.map((r) => r.action),
    ],
    addresses: results.map((r) => r.restore),
  };
}

/** Puts the recorded metadata settings back (all three fields in one call), where they differ. */
export async function restoreMetadata(ec2: EC2Client, mode: ResponderMode, record: QuarantineRecord, instance: ObservedInstance): Promise<PendingAction[]> {
  const recorded = record.instanceMetadata;
  if (!recorded) return [];
  const api = 'ec2:ModifyInstanceMetadataOptions';
  const id = instance.instanceId;
  if (instance.metadataOptions && sameMetadataSettings(instance.metadataOptions, recorded)) {
    return [{ api, target: id, outcome: 'already-done', detail: `The metadata service is back as recorded already (${describeMetadataSettings(recorded)})` }];
  }
  const sent = await mutateEc2(mode, api, id, `set the instance metadata service back to ${describeMetadataSettings(recorded)}`, (dryRun) =>
    ec2.send(new ModifyInstanceMetadataOptionsCommand(metadataOptionsInput(id, recorded, dryRun))),
  );
  return [sent.action];
}

/** The release of the containment edges: addresses and metadata, concurrently. */
export async function restoreEdges(
  ec2: EC2Client,
  mode: ResponderMode,
  record: QuarantineRecord,
  instance: ObservedInstance,
): Promise<{ readonly actions: PendingAction[]; readonly addresses: AddressRestore[] }> {
  const [addresses, metadata] = await settleAll([restoreAddresses(ec2, mode, record, instance), restoreMetadata(ec2, mode, record, instance)] as const);
  return { actions: [...addresses.actions, ...metadata], addresses: addresses.addresses };
}
