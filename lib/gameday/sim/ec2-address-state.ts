/** The simulated Elastic IP and instance metadata state (answered by ec2-addresses.ts). */
import type { Located, Tags } from './model';

export interface AddressRecord extends Located {
  readonly allocationId: string;
  readonly publicIp: string;
  associationId?: string;
  networkInterfaceId?: string;
  privateIp?: string;
  readonly tags: Tags;
}

export interface MetadataOptionsRecord {
  httpEndpoint: 'enabled' | 'disabled';
  httpTokens: 'optional' | 'required';
  httpPutResponseHopLimit: number;
}
