/**
 * What quarantine-instance does at the edges security groups do not close (issue 11), wired in
 * one place so that quarantine.ts only calls it: the Elastic IPs of the instance
 * (quarantine-addresses.ts) and its instance metadata service (quarantine-metadata.ts). Read
 * beside the describe, recorded with the pre-quarantine state, changed once every ENI is isolated.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Address } from '@aws-sdk/client-ec2';
import { CONTAINMENT_EDGE_DEFAULTS } from '../playbooks/containment-edges';
import type { ResponderMode } from '../contracts/responder-mode';
import type { ObservedInstance } from './instance-state';
import type { PendingAction } from './pending-actions';
import { settleAll } from './pending-actions';
import type { ObservedAddress } from './quarantine-addresses';
import { addressesOfInstance, describeInstanceAddresses, disassociateAddresses, recordAddresses } from './quarantine-addresses';
import type { Aside } from './quarantine-isolation';
import type { InstanceMetadataChoice } from './quarantine-metadata';
import { metadataDone, restrictMetadata } from './quarantine-metadata';
import type { QuarantineOptions } from './quarantine-plan';
import type { QuarantineRecord } from './quarantine-records';

/** The edges as the options and EC2 say they are now. */
export interface ContainmentEdges {
  readonly disassociateElasticIps: boolean;
  readonly instanceMetadata: InstanceMetadataChoice;
  /** The instance's Elastic IPs now (empty when the option is off or they could not be read). */
  readonly addresses: readonly ObservedAddress[];
  /** Set when DescribeAddresses failed: containment goes on, and the timeline says what was not done. */
  readonly unread?: PendingAction;
}

/** The options with their defaults (containment-edges.ts). */
export function edgeChoices(options: QuarantineOptions): { disassociateElasticIps: boolean; instanceMetadata: InstanceMetadataChoice } {
  return {
    disassociateElasticIps: options.disassociateElasticIps ?? CONTAINMENT_EDGE_DEFAULTS.disassociateElasticIps,
    instanceMetadata: options.instanceMetadata ?? CONTAINMENT_EDGE_DEFAULTS.instanceMetadata,
  };
}

/** Reads the Elastic IPs beside the describe of the instance (no call when the option is off). */
export function readEdges(ec2: EC2Client, instanceId: string, options: QuarantineOptions): Promise<readonly Address[]> {
  return edgeChoices(options).disassociateElasticIps ? describeInstanceAddresses(ec2, instanceId) : Promise.resolve([]);
}

/**
 * The edges of the instance EC2 describes (pure). A failed DescribeAddresses does not hold up
 * isolation (the first change that limits the attacker): the Elastic IPs are then left as they
 * are and the timeline says so.
 */
export function observeEdges(read: Aside<readonly Address[]>, instance: ObservedInstance, options: QuarantineOptions): ContainmentEdges {
  const choices = edgeChoices(options);
  if (read.ok) return { ...choices, addresses: addressesOfInstance(read.value, instance) };
  const why = read.error instanceof Error ? `${read.error.name}: ${read.error.message}` : String(read.error);
  return {
    ...choices,
    addresses: [],
    unread: { api: 'ec2:DescribeAddresses', target: instance.instanceId, outcome: 'skipped', detail: `The instance's Elastic IPs could not be read (${why}): none is disassociated or recorded` },
  };
}

/** True when nothing is left to do at the edges (for the already-quarantined check). */
export function edgesDone(edges: ContainmentEdges, instance: ObservedInstance): boolean {
  return (!edges.disassociateElasticIps || edges.addresses.length === 0) && metadataDone(instance, edges.instanceMetadata);
}

/** The record's fields for the edges (pure): only what quarantine will change, so release restores exactly that. */
export function edgeRecordFields(edges: ContainmentEdges, instance: ObservedInstance): Pick<QuarantineRecord, 'elasticIps' | 'instanceMetadata'> {
  return {
    ...(edges.disassociateElasticIps && edges.addresses.length > 0 ? { elasticIps: recordAddresses(edges.addresses) } : {}),
    ...(!metadataDone(instance, edges.instanceMetadata) && instance.metadataOptions ? { instanceMetadata: { ...instance.metadataOptions } } : {}),
  };
}

/** Disassociates the Elastic IPs and restricts the metadata service, concurrently. */
export async function closeEdges(ec2: EC2Client, mode: ResponderMode, instance: ObservedInstance, edges: ContainmentEdges): Promise<PendingAction[]> {
  const [addresses, metadata] = await settleAll([
    disassociateAddresses(ec2, mode, edges.addresses, edges.disassociateElasticIps),
    restrictMetadata(ec2, mode, instance, edges.instanceMetadata),
  ] as const);
  return [...(edges.unread ? [edges.unread] : []), ...addresses, ...metadata];
}
