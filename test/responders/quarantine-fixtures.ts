/**
 * An EC2 account as the containment responders see it, for aws-sdk-client-mock: one instance with
 * its ENIs, profile association, attributes and volumes, and the Firebreak groups of its VPC.
 * Every SDK client a test gets through `TestClientFactory` records the order of the calls and the
 * longest chain of dependent calls (how many round trips one after another), without timers.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateIamInstanceProfileCommand,
  AssociateIamInstanceProfileCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { Instance, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { AwsTarget, ClientFactory } from '../../lib/aws/clients';
import type { GrantReader } from '../../lib/responders/grants';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import type { RecordSealer } from '../../lib/responders/record-integrity';
import { ACCOUNT, INSTANCE_ID, REGION } from '../support/incidents';

export const VPC = 'vpc-0123456789abcdef0';
export const OTHER_VPC = 'vpc-0fedcba9876543210';
export const ENI_A = 'eni-0aaa1111bbbb2222c';
export const ENI_B = 'eni-0bbb3333cccc4444d';
export const APP_SG = 'sg-0app000000000000a';
export const DB_SG = 'sg-0db00000000000000b';
export const MON_SG = 'sg-0mon00000000000000c';
export const UNTRACK_SG = 'sg-0untrack000000001';
export const ISOLATION_SG = 'sg-0isolation0000002';
export const PROFILE_ARN = 'arn:aws:iam::111122223333:instance-profile/web/web-server';
export const ASSOCIATION_ID = 'iip-assoc-0123456789abcdef0';
export const ROLE_NAME = 'web-server-role';
export const ROOT_VOLUME = 'vol-0root000000000001';
export const DATA_VOLUME = 'vol-0data000000000002';

/** web-1 as an incident's quarantine leaves it (tagged for `incidentKey`, quarantined at `quarantinedAt`): every ENI isolated, no profile, protections on. */
export function quarantinedInstance(incidentKey: string, quarantinedAt: string) {
  return {
    enis: [
      { id: ENI_A, groups: [ISOLATION_SG] },
      { id: ENI_B, groups: [ISOLATION_SG] },
    ],
    profileArn: undefined,
    terminationProtection: true,
    shutdownBehavior: 'stop' as const,
    volumes: [
      { device: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: false },
      { device: '/dev/sdb', volumeId: DATA_VOLUME, deleteOnTermination: false },
    ],
    tags: { Name: 'web-1', 'firebreak:incident': incidentKey, 'firebreak:status': 'quarantined', 'firebreak:quarantined-at': quarantinedAt },
  };
}

/** The EC2 commands that change something: a sample finding must reach none of them. */
export const MUTATING_EC2_COMMANDS = [
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  CreateSecurityGroupCommand,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  DisassociateIamInstanceProfileCommand,
  AssociateIamInstanceProfileCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
] as const;

export interface InstanceShape {
  readonly state?: string;
  /** ENI id → groups; the first is the primary ENI. */
  readonly enis?: readonly { readonly id: string; readonly groups: readonly string[]; readonly vpcId?: string }[];
  /** Associated instance profile (undefined = none). */
  readonly profileArn?: string | undefined;
  readonly terminationProtection?: boolean;
  readonly shutdownBehavior?: 'stop' | 'terminate';
  readonly volumes?: readonly { readonly device: string; readonly volumeId: string; readonly deleteOnTermination: boolean }[];
  readonly tags?: Readonly<Record<string, string>>;
}

export const DEFAULT_SHAPE: Required<Omit<InstanceShape, 'profileArn'>> & { profileArn: string | undefined } = {
  state: 'running',
  enis: [
    { id: ENI_A, groups: [APP_SG] },
    { id: ENI_B, groups: [DB_SG, MON_SG] },
  ],
  profileArn: PROFILE_ARN,
  terminationProtection: false,
  shutdownBehavior: 'terminate',
  volumes: [
    { device: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: true },
    { device: '/dev/sdb', volumeId: DATA_VOLUME, deleteOnTermination: false },
  ],
  tags: { Name: 'web-1' },
};

/**
 * What quarantine records for `DEFAULT_SHAPE` (groups per ENI, profile, protections, volumes, no
 * firebreak tags yet): the quarantine tests expect it, the release tests restore from it.
 */
export function recordOfDefaultInstance(incidentKey: string, capturedAt: string): QuarantineRecord {
  return {
    account: ACCOUNT,
    region: REGION,
    instanceId: INSTANCE_ID,
    incidentKey,
    capturedAt,
    networkInterfaces: [
      { networkInterfaceId: ENI_A, groupIds: [APP_SG] },
      { networkInterfaceId: ENI_B, groupIds: [DB_SG, MON_SG] },
    ],
    instanceProfileArn: PROFILE_ARN,
    disableApiTermination: false,
    shutdownBehavior: 'terminate',
    deleteOnTermination: [
      { deviceName: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: true },
      { deviceName: '/dev/sdb', volumeId: DATA_VOLUME, deleteOnTermination: false },
    ],
    tags: {},
  };
}

/** The DescribeInstances view of a shape. */
export function describedInstance(shape: InstanceShape = {}): Instance {
  const s = { ...DEFAULT_SHAPE, ...shape };
  return {
    InstanceId: INSTANCE_ID,
    State: { Name: s.state as 'running' },
    VpcId: VPC,
    NetworkInterfaces: s.enis.map((eni, index) => ({
      NetworkInterfaceId: eni.id,
      VpcId: eni.vpcId ?? VPC,
      Attachment: { DeviceIndex: index },
      Groups: eni.groups.map((g) => ({ GroupId: g, GroupName: g })),
    })),
    ...(s.profileArn ? { IamInstanceProfile: { Arn: s.profileArn, Id: 'AIPAEXAMPLE' } } : {}),
    BlockDeviceMappings: s.volumes.map((v) => ({
      DeviceName: v.device,
      Ebs: { VolumeId: v.volumeId, DeleteOnTermination: v.deleteOnTermination, Status: 'attached' },
    })),
    Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Answers the four describe calls for the shape. */
export function givenInstance(ec2: AwsClientStub<EC2Client>, shape: InstanceShape = {}): void {
  const s = { ...DEFAULT_SHAPE, ...shape };
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [describedInstance(shape)] }] });
  ec2.on(DescribeIamInstanceProfileAssociationsCommand).resolves({
    IamInstanceProfileAssociations: s.profileArn
      ? [{ AssociationId: ASSOCIATION_ID, InstanceId: INSTANCE_ID, State: 'associated', IamInstanceProfile: { Arn: s.profileArn, Id: 'AIPAEXAMPLE' } }]
      : [],
  });
  ec2
    .on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiTermination' })
    .resolves({ InstanceId: INSTANCE_ID, DisableApiTermination: { Value: s.terminationProtection } });
  ec2
    .on(DescribeInstanceAttributeCommand, { Attribute: 'instanceInitiatedShutdownBehavior' })
    .resolves({ InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: s.shutdownBehavior } });
}

const ALL_IN: IpPermission[] = [
  { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
];

/** A ready Firebreak group as DescribeSecurityGroups shows it. */
export function firebreakGroup(
  purpose: 'untrack' | 'isolation',
  overrides: Partial<SecurityGroup> = {},
): SecurityGroup {
  return {
    GroupId: purpose === 'untrack' ? UNTRACK_SG : ISOLATION_SG,
    GroupName: `firebreak-${purpose}`,
    VpcId: VPC,
    OwnerId: ACCOUNT,
    Tags: [
      { Key: 'firebreak:managed', Value: 'true' },
      { Key: 'firebreak:purpose', Value: purpose },
    ],
    IpPermissions: purpose === 'untrack' ? ALL_IN : [],
    IpPermissionsEgress: purpose === 'untrack' ? [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] : [],
    ...overrides,
  };
}

/** Both groups exist (a VPC seen before), or neither (first incident in the VPC). */
export function givenGroups(ec2: AwsClientStub<EC2Client>, groups: SecurityGroup[] = [firebreakGroup('untrack'), firebreakGroup('isolation')]): void {
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
}

/** Every mutating call succeeds; CreateSecurityGroup returns the fixture group ids. */
export function givenMutationsSucceed(ec2: AwsClientStub<EC2Client>): void {
  for (const command of MUTATING_EC2_COMMANDS) ec2.on(command as typeof CreateTagsCommand).resolves({});
  ec2.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-untrack' }).resolves({ GroupId: UNTRACK_SG });
  ec2.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-isolation' }).resolves({ GroupId: ISOLATION_SG });
  ec2.on(RevokeSecurityGroupEgressCommand).resolves({ Return: true });
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
}

/** An SDK v3 service error as the SDK throws it. */
export function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** The input of every call of one command, in call order. */
export function inputsOf<I extends object>(
  stub: { commandCalls: (command: never) => { args: [{ input: I }] }[] },
  command: unknown,
): I[] {
  return stub.commandCalls(command as never).map((call) => call.args[0].input);
}

/** One call as the factory saw it leave: how many round trips had to end before it could start. */
export interface StartedCall {
  readonly call: string;
  /** Round trips of any tracked service (EC2, IAM, and what `roundTrip` wraps: grants, key, record store) before it. */
  readonly depth: number;
  /** EC2 round trips before it. */
  readonly ec2Depth: number;
}

/**
 * Hands out one client per service (intercepted by aws-sdk-client-mock), records the targets it was
 * asked for, the order of calls (`sent`) and the longest chain of dependent calls: `ec2Depth` for
 * EC2 alone, `depth` for every tracked call (SDK clients, and the grant, key and record-store calls
 * a test wraps in `roundTrip`). Each call starts at the depth reached when it is sent and ends one
 * deeper, and answers on a later turn of the event loop so that concurrent calls overlap.
 */
export class TestClientFactory implements ClientFactory {
  readonly targets: { service: string; target: AwsTarget }[] = [];
  readonly sent: string[] = [];
  /** Every tracked call, in send order, with the round trips before it. */
  readonly started: StartedCall[] = [];
  /** Longest chain of dependent EC2 calls (the figure DESIGN's "What fast means" budgets). */
  ec2Depth = 0;
  /** Longest chain of dependent tracked calls, every service. */
  depth = 0;
  /** One EC2 client per region, as the responders' factories make them (EC2 is regional: row 2z). */
  private readonly ec2Clients = new Map<string, EC2Client>([[REGION, this.instrument(new EC2Client({ region: REGION }), 'ec2')]]);
  private readonly iamClient = this.instrument(new IAMClient({ region: 'us-east-1' }), 'iam');

  async ec2(target: AwsTarget): Promise<EC2Client> {
    this.targets.push({ service: 'ec2', target });
    let client = this.ec2Clients.get(target.region);
    if (client === undefined) this.ec2Clients.set(target.region, (client = this.instrument(new EC2Client({ region: target.region }), 'ec2')));
    return client;
  }
  async iam(target: AwsTarget): Promise<IAMClient> {
    this.targets.push({ service: 'iam', target });
    return this.iamClient;
  }
  sns(): SNSClient {
    return new SNSClient({ region: REGION });
  }
  sfn(): SFNClient {
    return new SFNClient({ region: REGION });
  }
  dynamodb(): DynamoDBClient {
    return new DynamoDBClient({ region: REGION });
  }

  /** Runs `call` as one round trip named `name` (`ec2:…` names count in `ec2Depth` too). */
  async roundTrip<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.sent.push(name);
    const start = { depth: this.depth, ec2Depth: this.ec2Depth };
    this.started.push({ call: name, ...start });
    await new Promise((resolve) => setImmediate(resolve));
    try {
      return await call();
    } finally {
      this.depth = Math.max(this.depth, start.depth + 1);
      if (name.startsWith('ec2:')) this.ec2Depth = Math.max(this.ec2Depth, start.ec2Depth + 1);
    }
  }

  /** The first call named `name`, as it started (throws when there was none). */
  firstStarted(name: string): StartedCall {
    const call = this.started.find((c) => c.call === name);
    if (!call) throw new Error(`No ${name} call was sent (sent: ${this.sent.join(', ')})`);
    return call;
  }

  /** The grant reader `reader`, each read one tracked round trip. */
  trackGrants(reader: GrantReader): GrantReader {
    return {
      getGrant: (executionArn) => this.roundTrip('dynamodb:GetItem(grant)', () => reader.getGrant(executionArn)),
      getApproval: (executionArn) => this.roundTrip('dynamodb:GetItem(approval)', () => reader.getApproval(executionArn)),
      executionStatus: (executionArn) => this.roundTrip('states:DescribeExecution', () => reader.executionStatus(executionArn)),
      pauseState: () => this.roundTrip('dynamodb:GetItem(pause)', () => reader.pauseState()),
    };
  }

  /** The sealer `sealer`, each KMS call one tracked round trip. */
  trackSealer(sealer: RecordSealer): RecordSealer {
    return {
      seal: (record) => this.roundTrip('kms:GenerateMac', () => sealer.seal(record)),
      verify: (record) => this.roundTrip('kms:VerifyMac', () => sealer.verify(record)),
    };
  }

  protected instrument<C extends { send: (...args: never[]) => Promise<unknown> }>(client: C, service: string): C {
    // Looked up on every call: aws-sdk-client-mock replaces the prototype's stub on reset().
    const original = (command: { constructor: { name: string } }) =>
      (Object.getPrototypeOf(client) as { send: (c: unknown) => Promise<unknown> }).send.call(client, command);
    const instrumented = (command: { constructor: { name: string } }) =>
      this.roundTrip(`${service}:${command.constructor.name.replace(/Command$/, '')}`, () => original(command));
    (client as unknown as { send: typeof instrumented }).send = instrumented;
    return client;
  }
}
