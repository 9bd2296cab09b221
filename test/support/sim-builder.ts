/**
 * Test support: a simulator whose state the simulator's own unit tests seed directly (a precise
 * starting point, ids included), besides answering calls. The game day's backends create their
 * environments through SDK calls (CreateVpc, RunInstances…), so this seeding lives here, not in lib.
 */
import { SimulatedAws } from '../../lib/gameday/sim';
import type {
  BuiltInstance,
  InstanceProfileSpec,
  InstanceSpec,
  NamedResourceSpec,
  RoleSpec,
  SimulatedAwsOptions,
  SubnetSpec,
  TableSpec,
  TagMap,
  VpcSpec,
} from '../../lib/gameday/sim';
import type { TopicSpec } from '../../lib/gameday/sim/builder';
import { SimulatorSetupError } from '../../lib/gameday/sim';
import { EnvironmentBuilder } from '../../lib/gameday/sim/builder';
import { addKey } from '../../lib/gameday/sim/kms';
import { newSecurityGroup } from '../../lib/gameday/sim/ec2-security-groups';
import type { RuleRecord, SecurityGroupRecord } from '../../lib/gameday/sim/model';
import type { SimWorld } from '../../lib/gameday/sim/world';
import type { IpPermission } from '@aws-sdk/client-ec2';

/** A security group to seed (lenient: rules are taken as given). */
export interface SecurityGroupSpec {
  readonly id?: string;
  readonly vpcId: string;
  readonly name: string;
  readonly description?: string;
  /** Inbound rules (default none). */
  readonly ingress?: readonly IpPermission[];
  /** Outbound rules; default: EC2's allow-all IPv4 rule. `[]` for a group with no outbound rule. */
  readonly egress?: readonly IpPermission[];
  readonly tags?: TagMap;
}

/**
 * The rules of a seeded group's permissions, taken as given: unlike AuthorizeSecurityGroupIngress
 * (rulesOf in lib/gameday/sim/ec2-security-groups.ts) nothing is validated, so a test can start
 * from any state.
 */
function rulesOf(world: SimWorld, group: SecurityGroupRecord, permissions: readonly IpPermission[], egress: boolean): RuleRecord[] {
  return permissions.flatMap((p) => {
    const protocol = p.IpProtocol === undefined || p.IpProtocol === 'all' ? '-1' : p.IpProtocol.toLowerCase();
    const ports = protocol === '-1' ? {} : { fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    const make = (peer: RuleRecord['peer'], description: string | undefined): RuleRecord => ({
      id: world.ids.resourceId('sgr'),
      egress,
      protocol,
      ...ports,
      peer,
      ...(description !== undefined ? { description } : {}),
    });
    return [
      ...(p.IpRanges ?? []).map((r) => make({ kind: 'cidr4', value: r.CidrIp ?? '' }, r.Description)),
      ...(p.Ipv6Ranges ?? []).map((r) => make({ kind: 'cidr6', value: r.CidrIpv6 ?? '' }, r.Description)),
      ...(p.UserIdGroupPairs ?? []).map((r) => make({ kind: 'group', value: r.GroupId ?? '', userId: r.UserId ?? group.account }, r.Description)),
      ...(p.PrefixListIds ?? []).map((r) => make({ kind: 'prefix-list', value: r.PrefixListId ?? '' }, r.Description)),
    ];
  });
}

/** A SimulatedAws with seeding methods (add*) and an instance's own shutdown, for the simulator's tests. */
export class SeededSimulatedAws extends SimulatedAws {
  private readonly seeder: EnvironmentBuilder;

  constructor(options: SimulatedAwsOptions = {}) {
    super(options);
    this.seeder = new EnvironmentBuilder(this.world);
  }

  /** Adds a VPC (with its `default` security group); returns its id and default group id. */
  addVpc(spec: VpcSpec = {}): { readonly id: string; readonly defaultSecurityGroupId: string; readonly account: string; readonly region: string } {
    const vpc = this.seeder.addVpc(spec);
    return { id: vpc.id, defaultSecurityGroupId: vpc.defaultGroupId, account: vpc.account, region: vpc.region };
  }

  /** Adds a subnet; returns its id. */
  addSubnet(spec: SubnetSpec): string {
    return this.seeder.addSubnet(spec).id;
  }

  /** Adds a security group (default egress: allow all IPv4 unless `egress` is given); returns its id. */
  addSecurityGroup(spec: SecurityGroupSpec): string {
    const vpc = this.world.vpcs.get(spec.vpcId);
    if (!vpc) throw new SimulatorSetupError(`security group ${spec.name}: VPC ${spec.vpcId} does not exist`);
    const clash = [...this.world.securityGroups.values()].find((g) => g.vpcId === vpc.id && g.name.toLowerCase() === spec.name.toLowerCase());
    if (clash) throw new SimulatorSetupError(`security group name '${spec.name}' is already used in ${vpc.id} (${clash.id})`);
    const id = this.seeder.claimId(spec.id, 'sg', (candidate) => this.world.securityGroups.has(candidate));
    const group = newSecurityGroup(this.world, {
      id,
      account: vpc.account,
      region: vpc.region,
      vpcId: vpc.id,
      name: spec.name,
      description: spec.description ?? spec.name,
    });
    if (spec.egress !== undefined) group.rules = [];
    group.rules.push(...rulesOf(this.world, group, spec.ingress ?? [], false), ...rulesOf(this.world, group, spec.egress ?? [], true));
    for (const [k, v] of Object.entries(spec.tags ?? {})) group.tags.set(k, v);
    return group.id;
  }

  /** Adds an instance with its ENIs, EBS volumes and instance profile association. */
  addInstance(spec: InstanceSpec = {}): BuiltInstance {
    return this.seeder.addInstance(spec);
  }

  /** Adds an IAM role (the member role, an instance role...); returns its ARN. */
  addRole(spec: RoleSpec): string {
    return this.seeder.addRole(spec).arn;
  }

  /** Adds an instance profile (and its role when missing); returns its ARN and id. */
  addInstanceProfile(spec: InstanceProfileSpec): { readonly arn: string; readonly id: string; readonly name: string } {
    return this.seeder.addInstanceProfile(spec);
  }

  /** Adds a KMS HMAC_256 key (GENERATE_VERIFY_MAC, a secret of its own); returns its ARN. */
  addHmacKey(spec: { readonly account?: string; readonly region?: string; readonly description?: string } = {}): string {
    return addKey(this.world, spec).arn;
  }

  /** Adds a symmetric (ENCRYPT_DECRYPT) KMS key, optionally usable by other accounts through its key policy; returns its ARN. */
  addSymmetricKey(spec: { readonly account?: string; readonly region?: string; readonly usableByAccounts?: readonly string[] } = {}): string {
    const key = addKey(this.world, { ...(spec.account ? { account: spec.account } : {}), ...(spec.region ? { region: spec.region } : {}), keySpec: 'SYMMETRIC_DEFAULT' });
    if (spec.usableByAccounts) key.usableByAccounts = [...spec.usableByAccounts];
    return key.arn;
  }

  /** Adds an SNS topic (with its KMS key when encrypted); returns its ARN. */
  addTopic(spec: TopicSpec): string {
    return this.seeder.addTopic(spec);
  }

  /** Adds an SQS queue; returns its URL. */
  addQueue(spec: NamedResourceSpec): string {
    return this.seeder.addQueue(spec);
  }

  /** Adds a DynamoDB table; returns its ARN. */
  addTable(spec: TableSpec): string {
    return this.seeder.addTable(spec);
  }

  /**
   * The instance shuts itself down (`shutdown -h` from its operating system): it stops, or
   * terminates when its InstanceInitiatedShutdownBehavior is `terminate`
   * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html#Using_ChangingInstanceInitiatedShutdownBehavior).
   */
  shutdownFromInside(instanceId: string): void {
    const instance = this.world.instances.get(instanceId);
    if (!instance) throw new SimulatorSetupError(`no instance ${instanceId}`);
    if (instance.state !== 'running') throw new SimulatorSetupError(`instance ${instanceId} is ${instance.state}, not running`);
    const terminate = instance.shutdownBehavior === 'terminate';
    this.world.startTransition(instance, terminate ? 'shutting-down' : 'stopping', terminate ? 'terminated' : 'stopped');
    instance.stateReason = { code: 'Client.InstanceInitiatedShutdown', message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown' };
    this.world.settle();
  }
}
