/**
 * The quarantine-instance options for the edges of containment that security groups do not close
 * (issue 11): the Elastic IPs of the instance and its instance metadata service. Kept apart from
 * actions.ts so that the registry entry only spreads them in; what each does is in
 * docs/responders/quarantine-instance.md.
 */
import * as z from 'zod';

/** The choices of `instanceMetadata` (lib/responders/quarantine-metadata.ts). */
export const INSTANCE_METADATA_CHOICES = ['keep', 'disable', 'require-tokens'] as const;

/** Defaults of the options below, in one place (the schema leaves them optional, so older inputs stay valid). */
export const CONTAINMENT_EDGE_DEFAULTS = {
  disassociateElasticIps: true,
  instanceMetadata: 'keep',
} as const satisfies { disassociateElasticIps: boolean; instanceMetadata: (typeof INSTANCE_METADATA_CHOICES)[number] };

/** The option fields quarantine-instance's schema spreads in. */
export const containmentEdgeOptions = {
  /**
   * Disassociate every Elastic IP of the instance's ENIs, recorded (allocation, ENI, private IP)
   * so release re-associates exactly those (default true).
   */
  disassociateElasticIps: z.boolean().optional(),
  /**
   * The instance metadata service during quarantine: `keep` (default), `disable` (endpoint off)
   * or `require-tokens` (IMDSv2 only, PUT response hop limit 1). The settings before are recorded
   * and restored by release.
   */
  instanceMetadata: z.enum(INSTANCE_METADATA_CHOICES).optional(),
};

/** The IAM actions quarantine-instance needs for these options, as a playbook sets them. */
export function containmentEdgeIamActions(options: Record<string, unknown>): string[] {
  return [
    ...(options.disassociateElasticIps !== false ? ['ec2:DescribeAddresses', 'ec2:DisassociateAddress'] : []),
    ...(typeof options.instanceMetadata === 'string' && options.instanceMetadata !== 'keep' ? ['ec2:ModifyInstanceMetadataOptions'] : []),
  ];
}

/**
 * What release-instance needs to put these back from any record: it cannot know which options the
 * quarantine that wrote a record used, so it may always re-associate and restore.
 */
export const RELEASE_EDGE_IAM_ACTIONS = ['ec2:DescribeAddresses', 'ec2:AssociateAddress', 'ec2:ModifyInstanceMetadataOptions'] as const;
