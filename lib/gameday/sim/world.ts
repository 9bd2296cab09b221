/**
 * The simulated account's state container: every resource of every simulated account and region,
 * the clock, the id source, and the time-driven transitions (an instance that is stopping becomes
 * stopped, a pending snapshot completes, a terminated instance eventually disappears).
 */
import { SimClock } from './clock';
import { IdSource } from './ids';
import type { AddressRecord, MetadataOptionsRecord } from './ec2-address-state';
import { DnsFirewallState } from './route53resolver-state';
import { S3State } from './s3-state';
import { SecurityHubState } from './securityhub';
import { GuardDutyState } from './guardduty';
import type {
  InstanceStateName,
  CallerIdentity,
  EventBusRecord,
  InstanceProfileRecord,
  InstanceRecord,
  KmsKeyRecord,
  NetworkInterfaceRecord,
  ProfileAssociationRecord,
  QueueRecord,
  RoleRecord,
  UserRecord,
  SecurityGroupRecord,
  SnapshotRecord,
  SubnetRecord,
  TableRecord,
  TopicRecord,
  VolumeRecord,
  VpcRecord,
} from './model';

export interface SimulatedAwsOptions {
  /** Seed of every generated id (default `firebreak`). */
  readonly seed?: string;
  /** Simulated time at start (default 2025-01-15T09:00:00Z). */
  readonly start?: Date | string | number;
  /** Account used when a builder call names none (default 111111111111). */
  readonly defaultAccount?: string;
  /** Region used when a builder call names none (default us-east-1). */
  readonly defaultRegion?: string;
  /** How long pending→running, stopping→stopped and shutting-down→terminated take (default 30 s). */
  readonly instanceTransitionMs?: number;
  /** How long a snapshot stays `pending` before `completed` (default 60 s). */
  readonly snapshotCompletionMs?: number;
  /**
   * How long a terminated instance stays visible to DescribeInstances (default 1 h: "terminated
   * instances remain visible for approximately one hour",
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html).
   */
  readonly terminatedVisibleMs?: number;
  /**
   * Keep every call in the call log (`calls()`; default true). A storm of tens of thousands of
   * calls that only counts them turns it off: the calls are still made, counted and reported to
   * `onCall` listeners, but not held (their copied inputs were most of the storm's heap).
   */
  readonly retainCalls?: boolean;
  /**
   * Keep the body of every message published to a topic (default true; expectations read them).
   * The storm bench, which checks each alert's subject, turns it off: every Publish is still
   * validated in full (structure, attributes, size) and kept with its subject and attributes, and
   * its body is replaced by a note of its size (the bodies of 2,000 alerts, about 20 KB each, were
   * the largest part of the storm's live heap).
   */
  readonly retainMessageBodies?: boolean;
}

export interface ResolvedOptions {
  readonly seed: string;
  readonly defaultAccount: string;
  readonly defaultRegion: string;
  readonly instanceTransitionMs: number;
  readonly snapshotCompletionMs: number;
  readonly terminatedVisibleMs: number;
  readonly retainMessageBodies: boolean;
}

/** Credentials the simulator issued, and whom they stand for. */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly identity: CallerIdentity;
  /** Simulated epoch ms after which calls answer ExpiredToken; undefined: never. */
  readonly expiresAt?: number;
}

export class SimWorld {
  readonly options: ResolvedOptions;
  readonly clock: SimClock;
  readonly ids: IdSource;

  readonly vpcs = new Map<string, VpcRecord>();
  readonly subnets = new Map<string, SubnetRecord>();
  readonly securityGroups = new Map<string, SecurityGroupRecord>();
  readonly networkInterfaces = new Map<string, NetworkInterfaceRecord>();
  readonly instances = new Map<string, InstanceRecord>();
  readonly volumes = new Map<string, VolumeRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  /**
   * Faults of EBS itself: a copy (CopySnapshot) of a snapshot of one of these volumes is accepted and
   * then ends in state `error` with this StateMessage, as EC2 does with a source key the copying
   * account cannot use (ec2-snapshot-sharing.ts).
   */
  readonly lateCopyFailures = new Map<string, string>();
  readonly associations = new Map<string, ProfileAssociationRecord>();
  /** Elastic IPs by allocation id (ec2-addresses.ts). */
  readonly addresses = new Map<string, AddressRecord>();
  /** Instance metadata settings by instance id; an instance without an entry has EC2's defaults (ec2-addresses.ts). */
  readonly metadataOptions = new Map<string, MetadataOptionsRecord>();
  /** Route 53 Resolver DNS Firewall state (route53resolver.ts). */
  readonly dnsFirewall = new DnsFirewallState();
  /** S3 buckets and object versions (s3.ts). */
  readonly s3 = new S3State();
  /** Security Hub subscriptions and the GuardDuty findings exported there (securityhub.ts). */
  readonly securityHub = new SecurityHubState();
  /** GuardDuty's detectors and the findings it emitted (guardduty.ts). */
  readonly guardDuty = new GuardDutyState();
  /** By ARN. */
  readonly instanceProfiles = new Map<string, InstanceProfileRecord>();
  /** By ARN. */
  readonly roles = new Map<string, RoleRecord>();
  /** IAM users, by ARN (iam-users.ts). */
  readonly users = new Map<string, UserRecord>();
  /** By ARN. */
  readonly topics = new Map<string, TopicRecord>();
  /** By URL. */
  readonly queues = new Map<string, QueueRecord>();
  /** By ARN. */
  readonly eventBuses = new Map<string, EventBusRecord>();
  /** By ARN. */
  readonly tables = new Map<string, TableRecord>();
  /** By access key id. */
  readonly credentials = new Map<string, IssuedCredentials>();
  /** KMS HMAC keys, by ARN. */
  readonly kmsKeys = new Map<string, KmsKeyRecord>();
  /** Ids the next RunInstances give their instances, first come first served (SimulatedAws.presetInstanceIds). */
  readonly presetInstanceIds: string[] = [];
  /** Other time-driven behaviours (fleet-state.ts: Auto Scaling health checks and launches), run first by settle(). */
  readonly settlers: (() => void)[] = [];
  private readonly unsettled = new Set<InstanceRecord>();
  private readonly attachments = new Map<string, { enis: string[]; volumes: string[] }>();

  constructor(options: SimulatedAwsOptions = {}) {
    this.options = {
      seed: options.seed ?? 'firebreak',
      defaultAccount: options.defaultAccount ?? '111111111111',
      defaultRegion: options.defaultRegion ?? 'us-east-1',
      instanceTransitionMs: options.instanceTransitionMs ?? 30_000,
      snapshotCompletionMs: options.snapshotCompletionMs ?? 60_000,
      terminatedVisibleMs: options.terminatedVisibleMs ?? 3_600_000,
      retainMessageBodies: options.retainMessageBodies ?? true,
    };
    this.clock = new SimClock(options.start ?? '2025-01-15T09:00:00.000Z');
    this.ids = new IdSource(this.options.seed);
  }

  now(): number {
    return this.clock.nowMs();
  }

  /** Applies every time-driven transition due at the current simulated time. */
  settle(): void {
    for (const settler of this.settlers) settler();
    if (this.unsettled.size === 0) return;
    const now = this.now();
    for (const instance of this.unsettled) {
      if (instance.transition && instance.transition.at <= now) {
        const { to, at } = instance.transition;
        delete instance.transition;
        instance.state = to;
        if (to === 'terminated') this.releaseTerminatedInstance(instance, at);
      }
      if (instance.state === 'terminated' && instance.terminatedAt !== undefined) {
        if (instance.terminatedAt + this.options.terminatedVisibleMs <= now) {
          this.instances.delete(instance.id);
          this.unsettled.delete(instance);
        }
      } else if (!instance.transition) {
        this.unsettled.delete(instance);
      }
    }
  }

  /**
   * Notes an instance whose state moves with the clock (a transition under way, or terminated and
   * still visible): settle() looks at these only, not at every instance of the account.
   */
  watch(instance: InstanceRecord): void {
    this.unsettled.add(instance);
  }

  /** Puts an instance in a transitional state that ends in `to` once instanceTransitionMs have passed. */
  startTransition(instance: InstanceRecord, state: InstanceStateName, to: InstanceStateName): void {
    instance.state = state;
    instance.transition = { to, at: this.now() + this.options.instanceTransitionMs };
    this.watch(instance);
  }

  /**
   * What AWS does once an instance is terminated: EBS volumes with DeleteOnTermination are
   * deleted, the others detached; network interfaces attached with DeleteOnTermination are
   * deleted, the others detached; the instance profile association ends
   * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html).
   */
  releaseTerminatedInstance(instance: InstanceRecord, at: number): void {
    instance.terminatedAt = at;
    this.watch(instance);
    for (const volume of this.volumesOf(instance.id)) {
      if (volume.attachment?.deleteOnTermination) {
        this.volumes.delete(volume.id);
      } else {
        delete volume.attachment;
        volume.state = 'available';
      }
    }
    for (const eni of this.interfacesOf(instance.id)) {
      if (eni.attachment?.deleteOnTermination) this.networkInterfaces.delete(eni.id);
      else delete eni.attachment;
    }
    for (const association of [...this.associations.values()]) {
      if (association.instanceId === instance.id) this.associations.delete(association.id);
    }
  }

  /** The network interfaces attached to an instance, primary (device index 0) first. */
  interfacesOf(instanceId: string): NetworkInterfaceRecord[] {
    return this.attachedTo(instanceId)
      .enis.flatMap((id) => {
        const eni = this.networkInterfaces.get(id);
        return eni?.attachment?.instanceId === instanceId ? [eni] : [];
      })
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  /**
   * Notes that an interface or a volume was created attached to an instance (attachments are made
   * at launch only), so that an instance's view does not scan every interface and volume of the
   * account: the lists stay short, and a detached or deleted one is skipped when read.
   */
  noteAttached(kind: 'enis' | 'volumes', instanceId: string, id: string): void {
    this.attachedTo(instanceId)[kind].push(id);
  }

  private attachedTo(instanceId: string): { enis: string[]; volumes: string[] } {
    let attached = this.attachments.get(instanceId);
    if (!attached) {
      attached = { enis: [], volumes: [] };
      this.attachments.set(instanceId, attached);
    }
    return attached;
  }

  /** The EBS volumes attached to an instance: the root device first, then by device name. */
  volumesOf(instanceId: string): VolumeRecord[] {
    const root = this.instances.get(instanceId)?.rootDeviceName;
    const rank = (volume: VolumeRecord) => (volume.attachment?.device === root ? '' : (volume.attachment?.device ?? ''));
    return this.attachedTo(instanceId)
      .volumes.flatMap((id) => {
        const volume = this.volumes.get(id);
        return volume?.attachment?.instanceId === instanceId ? [volume] : [];
      })
      .sort((a, b) => rank(a).localeCompare(rank(b)));
  }

  /** The live (not disassociated) instance profile association of an instance. */
  associationOf(instanceId: string): ProfileAssociationRecord | undefined {
    return [...this.associations.values()].find(
      (a) => a.instanceId === instanceId && (a.state === 'associated' || a.state === 'associating'),
    );
  }
}
