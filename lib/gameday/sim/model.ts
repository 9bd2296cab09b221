/**
 * The simulated account's state, as plain records. Every resource carries the account and region
 * it lives in: a lookup from another account or region finds nothing, as in AWS.
 */
import type { PolicyDocument } from './iam-policy';

export type Tags = Map<string, string>;

export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** State codes from https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html */
export const INSTANCE_STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Located {
  readonly account: string;
  readonly region: string;
}

export interface VpcRecord extends Located {
  readonly id: string;
  readonly cidr: string;
  /** The VPC's IPv6 block, when it has one (its groups then also get the IPv6 allow-all egress rule). */
  readonly ipv6Cidr?: string;
  readonly isDefault: boolean;
  readonly tags: Tags;
  defaultGroupId: string;
}

export interface SubnetRecord extends Located {
  readonly id: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly cidr: string;
  /** The subnet's IPv6 block (a /64 of its VPC's), when it has one: its ENIs may then get IPv6 addresses. */
  readonly ipv6Cidr?: string;
  readonly tags: Tags;
  /** Next host number handed out for a private IP. */
  nextHost: number;
  /** Next host number handed out for an IPv6 address. */
  nextIpv6Host?: number;
  /** Next /80 handed out as a delegated IPv6 prefix (its fifth group). */
  nextIpv6Prefix?: number;
}

export type RulePeer =
  | { readonly kind: 'cidr4'; readonly value: string }
  | { readonly kind: 'cidr6'; readonly value: string }
  | { readonly kind: 'group'; readonly value: string; readonly userId: string }
  | { readonly kind: 'prefix-list'; readonly value: string };

/** One security-group rule: one protocol/port range and one peer, as AWS stores them (sgr-...). */
export interface RuleRecord {
  readonly id: string;
  readonly egress: boolean;
  /** `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number. */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly peer: RulePeer;
  readonly description?: string;
}

export interface SecurityGroupRecord extends Located {
  readonly id: string;
  readonly vpcId: string;
  readonly name: string;
  readonly description: string;
  rules: RuleRecord[];
  readonly tags: Tags;
  /**
   * The accounts its owner (`account`, a shared VPC's owner) shares it with through RAM: they list it
   * (DescribeSecurityGroups, under the owner's OwnerId) and may put their ENIs in it, but only the owner
   * changes it (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-sharing.html).
   */
  readonly sharedWith?: readonly string[];
}

export interface EniAttachment {
  readonly attachmentId: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  deleteOnTermination: boolean;
  readonly attachTime: number;
}

export interface NetworkInterfaceRecord extends Located {
  readonly id: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly privateIp: string;
  /** Its IPv6 addresses (from its subnet's IPv6 block), when it has any. */
  readonly ipv6Addresses?: readonly string[];
  /**
   * The prefixes delegated to it (EC2 prefix delegation: /28 IPv4, /80 IPv6 blocks of its subnet's,
   * RunInstances Ipv4PrefixCount/Ipv6PrefixCount), when it has any: every address in them is its own.
   */
  readonly ipv4Prefixes?: readonly string[];
  readonly ipv6Prefixes?: readonly string[];
  readonly macAddress: string;
  groupIds: string[];
  description: string;
  sourceDestCheck: boolean;
  attachment?: EniAttachment;
  readonly tags: Tags;
}

export interface VolumeAttachment {
  readonly instanceId: string;
  readonly device: string;
  deleteOnTermination: boolean;
  readonly attachTime: number;
}

export interface VolumeRecord extends Located {
  readonly id: string;
  readonly availabilityZone: string;
  readonly sizeGiB: number;
  readonly volumeType: string;
  readonly encrypted: boolean;
  /** The KMS key (ARN) of an encrypted volume: a customer key, or the account's AWS-managed aws/ebs key. */
  readonly kmsKeyId?: string;
  readonly createTime: number;
  state: 'available' | 'in-use' | 'deleted';
  attachment?: VolumeAttachment;
  readonly tags: Tags;
}

export interface SnapshotRecord extends Located {
  readonly id: string;
  readonly volumeId: string;
  readonly volumeSize: number;
  readonly description: string;
  readonly startTime: number;
  /** When the snapshot turns from `pending` to `completed` on the simulated clock. */
  readonly completesAt: number;
  readonly encrypted: boolean;
  /** The KMS key (ARN) of an encrypted snapshot (lib/gameday/sim/ec2-snapshot-sharing.ts). */
  readonly kmsKeyId?: string;
  /** Accounts (or `all`) that may create volumes from it and copy it: createVolumePermission (ModifySnapshotAttribute). */
  createVolumePermissions?: Set<string>;
  /** The snapshot a CopySnapshot copied (the copy's own volume id is arbitrary, as in EC2). */
  readonly sourceSnapshotId?: string;
  /** A copy that ends in `error` at `completesAt` instead of `completed`, with this StateMessage (a fault: SimWorld.lateCopyFailures). */
  readonly failsWith?: string;
  readonly tags: Tags;
  /** EBS Snapshot Lock (LockSnapshot), when locked (lib/gameday/sim/ec2-snapshot-lock.ts). */
  lock?: SnapshotLockRecord;
}

/** A snapshot's lock as LockSnapshot set it; times in simulated epoch ms. */
export interface SnapshotLockRecord {
  readonly mode: 'governance' | 'compliance';
  readonly durationDays: number;
  readonly coolOffHours?: number;
  readonly createdOn: number;
}

export interface InstanceRecord extends Located {
  readonly id: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly launchTime: number;
  readonly rootDeviceName: string;
  readonly rootDeviceType: 'ebs' | 'instance-store';
  state: InstanceStateName;
  /** A transition in progress (stopping → stopped ...) and when it completes. */
  transition?: { readonly to: InstanceStateName; readonly at: number };
  stateTransitionReason: string;
  stateReason?: { readonly code: string; readonly message: string };
  /** When the instance reached `terminated` (it stays visible for a while, then disappears). */
  terminatedAt?: number;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior: 'stop' | 'terminate';
  readonly tags: Tags;
}

export type AssociationState = 'associating' | 'associated' | 'disassociating' | 'disassociated';

export interface ProfileAssociationRecord extends Located {
  readonly id: string;
  readonly instanceId: string;
  readonly profileArn: string;
  readonly profileId: string;
  state: AssociationState;
  readonly timestamp: number;
}

export interface InstanceProfileRecord {
  readonly account: string;
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly path: string;
  roleNames: string[];
  readonly createDate: number;
}

export interface RoleRecord {
  readonly account: string;
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly path: string;
  /**
   * The role's trust policy, as CreateRole received it (or as the builder wrote it from a RoleSpec):
   * AssumeRole evaluates it, principals and conditions alike (sts.ts), and GetRole returns it.
   */
  trustPolicy: PolicyDocument;
  readonly inlinePolicies: Map<string, string>;
  readonly createDate: number;
  /** The role's tags (CreateRole Tags): GetRole returns them. */
  tags?: Record<string, string>;
  /**
   * Created on demand for a caller (the deployed stack's own roles, e.g. a responder's): part of
   * the deployment, not of the account under test, so left out of the state digest while untouched.
   */
  readonly implicit?: boolean;
}

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  /** As published: with `structure: 'json'`, a JSON object of one message per protocol (`default` required). */
  readonly message: string;
  readonly structure?: 'json';
  readonly messageAttributes: Record<string, { readonly dataType: string; readonly value: string }>;
  readonly at: Date;
  readonly publishedBy: string;
}

export interface TopicRecord extends Located {
  readonly arn: string;
  readonly name: string;
  /** The topic's KMS key (server-side encryption): publishers need kms:GenerateDataKey and kms:Decrypt on it. */
  readonly kmsKeyArn?: string;
  readonly messages: PublishedMessage[];
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly queueUrl: string;
  readonly body: string;
  readonly messageAttributes: Record<string, { readonly dataType: string; readonly value: string }>;
  readonly delaySeconds?: number;
  readonly at: Date;
}

export interface QueueRecord extends Located {
  readonly url: string;
  readonly arn: string;
  readonly name: string;
  readonly messages: QueuedMessage[];
}

export interface BusEvent {
  readonly eventId: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly resources: readonly string[];
  readonly time: Date;
  readonly account: string;
  readonly region: string;
}

export interface EventBusRecord extends Located {
  readonly name: string;
  readonly arn: string;
  readonly events: BusEvent[];
}

/** A DynamoDB attribute value in the wire shape ({ S: 'x' }, { N: '1' }, ...). */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: Uint8Array }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly Uint8Array[] }
  | { readonly L: readonly AttributeValue[] }
  | { readonly M: Readonly<Record<string, AttributeValue>> };

export type Item = Record<string, AttributeValue>;

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface TableRecord extends Located {
  readonly name: string;
  readonly arn: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Items by their key (canonical JSON of the key attributes). */
  readonly items: Map<string, Item>;
  readonly createdAt: number;
}

/** The caller of an API: the role session whose credentials signed the request. */
export interface CallerIdentity {
  readonly account: string;
  /** The IAM role (or user) ARN that permissions and trust are checked against. */
  readonly principalArn: string;
  /** The ARN GetCallerIdentity reports (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
  readonly sessionArn: string;
  readonly userId: string;
  /**
   * When the session's credentials were issued (simulated ms): IAM puts it in every request made
   * with temporary credentials as aws:TokenIssueTime. Undefined: not known (the key is then reported
   * as unevaluated, never judged absent).
   */
  readonly issuedAt?: number;
}

/** One simulated HMAC key. */
/** What a simulated key is for: sealing records (HMAC) or encrypting (the alert topic's key). */
export type KmsKeySpec = 'HMAC_256' | 'SYMMETRIC_DEFAULT';

export interface KmsKeyRecord {
  readonly keyId: string;
  readonly spec: KmsKeySpec;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly description: string;
  readonly secret: Buffer;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  /** An AWS-managed key (aws/ebs): usable by its own account only, never shareable. */
  readonly awsManaged?: boolean;
  /** Other accounts its key policy lets use it (EBS through a grant); none unless said. */
  usableByAccounts?: readonly string[];
}

/** An IAM user with its access keys (iam-users.ts): what disable-access-key reads and changes. */
export interface UserRecord {
  readonly account: string;
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly path: string;
  tags: Record<string, string>;
  /** By key id; never more than two (IAM's quota), deleted only by DeleteAccessKey. */
  readonly accessKeys: Map<string, { readonly id: string; status: 'Active' | 'Inactive'; readonly createDate: number }>;
  /** Managed policy ARNs attached to the user, in attachment order. */
  readonly attachedPolicies: string[];
  readonly createDate: number;
}
