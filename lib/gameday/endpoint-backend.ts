/**
 * The game day against an AWS-compatible endpoint (`firebreak gameday run --endpoint-url URL`):
 * LocalStack, a moto server, or an isolated test account. The engine and the real responders are
 * the same as locally; only the account changes:
 *  - prepare() creates the scenario's environment there through the SDK (VPCs, subnets, security
 *    groups and their rules, an instance profile and its role, instances by RunInstances with their
 *    ENIs, volumes, profile, tags and protections, then Stop/Terminate for their state) and the
 *    deployment's own resources (alert topic, a queue subscribed to it to read alerts back, since
 *    SNS has no read API, the kept-events queue and the state table). Everything is remembered.
 *  - clients(role) are real SDK clients aimed at the endpoint. A middleware, below the SDK's retry
 *    step (so every attempt counts), records each call into the call log and applies the
 *    scenario's injected faults and denied actions *in the client*: the endpoint never sees a
 *    faulted or denied call; the responder gets the service's own exception class with the AWS
 *    error code as `name`, `$fault` and the HTTP status, so the SDK retries it as it would AWS's.
 *  - inspect() reads the expectations back with Describe* calls and SQS ReceiveMessage.
 *  - cleanup() deletes what prepare() created, and what the responders created in its VPCs
 *    (isolation groups, snapshots of its volumes), in reverse order, best effort: whatever it could
 *    not delete is reported, never thrown.
 * Time is the wall clock: advance() is a no-op (approval timeouts and retry backoffs really pass).
 */
import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, CreateTableCommand, DeleteTableCommand, DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVolumeCommand,
  DeleteVpcCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { _InstanceType, CreateSecurityGroupCommandInput, Instance, IpPermission, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  IAMServiceException,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SNSServiceException, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, FinalizeRequestMiddleware, RetryStrategyV2 } from '@smithy/types';
import type {
  AccountInspection,
  DeploymentResources,
  ExecutionDirectory,
  GameDayBackend,
  GameDayCall,
  GameDayClients,
  InspectedInstance,
  KeptEvent,
  PublishedAlert,
  ResolvedEnvironment,
  ResolvedInstance,
} from './backend';
import { EndpointBackendUnavailableError, wallClockMs } from './backend';
import type { EnvironmentDocument, InstanceDocument, RuleDocument, SettingsDocument } from './scenario';
import { SERVICE_BY_CLIENT } from './sim/wire';
import { matchesAction } from './sim/permissions';
import { FaultQueue } from './sim/faults';
import { accessDenied } from './sim/call';
import type { ServiceName } from './sim/call';
import { SimulatedServiceError } from './sim/errors';

/** The SDK client configuration the endpoint backend lets a caller add (tests: credentials, a retry strategy without sleeps). */
export interface EndpointClientConfig {
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly retryStrategy?: RetryStrategyV2;
  readonly maxAttempts?: number;
}

/** Any SDK v3 client the backend makes (what `configureClient` receives). */
export type EndpointSdkClient = EC2Client | IAMClient | SNSClient | SQSClient | DynamoDBClient | SFNClient | STSClient | KMSClient;

export interface EndpointBackendOptions {
  /** The AWS-compatible endpoint (LocalStack `http://localhost:4566`, a moto server, or an AWS service endpoint). */
  readonly endpointUrl: string;
  /** AMI for RunInstances (default `FIREBREAK_GAMEDAY_IMAGE_ID` or `ami-0123456789abcdef0`, which LocalStack and moto accept). */
  readonly imageId?: string;
  /** Suffix of the names of everything created (default: 6 random hex digits). */
  readonly runId?: string;
  readonly clientConfig?: EndpointClientConfig;
  /**
   * Called with every SDK client the backend makes, before its first call. For tests only: they
   * pass `(client) => sim.attach(client, { wire: 'full' })` so that a SimulatedAws answers instead
   * of the network (`full` wiring, so the recording middleware sees every attempt).
   */
  readonly configureClient?: (client: EndpointSdkClient) => void;
  /** Between two polls while waiting for instance states and the table (default 2000 ms). */
  readonly pollIntervalMs?: number;
  /** Longest wait for an instance state or the table (default 300000 ms). */
  readonly waitTimeoutMs?: number;
  /** Where cleanup problems are reported (default: standard error). */
  readonly report?: (line: string) => void;
}

/** A resource prepare() created (or the responders created in its VPCs), for cleanup. */
export interface CreatedResource {
  readonly kind:
    | 'vpc'
    | 'subnet'
    | 'security-group'
    | 'instance'
    | 'role'
    | 'instance-profile'
    | 'topic'
    | 'queue'
    | 'table'
    | 'key';
  readonly id: string;
}

/** What cleanup() deleted and what it could not. */
export interface CleanupReport {
  readonly deleted: readonly string[];
  readonly failed: readonly { readonly resource: string; readonly error: string }[];
}

/** The endpoint cannot be used: no credentials, or a setup call refused. */
export class EndpointSetupError extends Error {
  override readonly name = 'EndpointSetupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const DEFAULT_IMAGE_ID = 'ami-0123456789abcdef0';
const MARKER_TAG = 'firebreak:gameday';
const EC2_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

// ---- pure builders (unit-tested by their exact output) ---------------------------------------

/** One scenario rule as an EC2 IpPermission (`all` is protocol -1; ICMP is every type and code). */
export function ipPermission(rule: RuleDocument, groupId: (name: string) => string, account: string): IpPermission {
  const protocol = rule.protocol === 'all' ? '-1' : rule.protocol;
  let ports: { FromPort?: number; ToPort?: number } = {};
  if (protocol === 'icmp') ports = { FromPort: -1, ToPort: -1 };
  else if (protocol !== '-1' && rule.ports !== undefined) {
    const [from, to] = typeof rule.ports === 'number' ? [rule.ports, rule.ports] : rule.ports.split('-').map(Number);
    ports = { FromPort: from, ToPort: to };
  }
  const description = rule.description !== undefined ? { Description: rule.description } : {};
  const v6 = rule.cidr?.includes(':') === true;
  return {
    IpProtocol: protocol,
    ...ports,
    ...(rule.cidr !== undefined && !v6 ? { IpRanges: [{ CidrIp: rule.cidr, ...description }] } : {}),
    ...(rule.cidr !== undefined && v6 ? { Ipv6Ranges: [{ CidrIpv6: rule.cidr, ...description }] } : {}),
    ...(rule.group !== undefined ? { UserIdGroupPairs: [{ GroupId: groupId(rule.group), UserId: account, ...description }] } : {}),
  };
}

/** CreateSecurityGroup for a scenario group (its rules follow with Authorize*). */
export function createSecurityGroupInput(
  name: string,
  spec: EnvironmentDocument['securityGroups'][string],
  vpcId: string,
  runId: string,
): CreateSecurityGroupCommandInput {
  return {
    GroupName: name,
    Description: spec.description ?? `firebreak game day ${runId}: ${name}`,
    VpcId: vpcId,
    TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tagList(spec.tags ?? {}), { Key: MARKER_TAG, Value: runId }] }],
  };
}

/** RunInstances for a scenario instance: its ENIs in device order, volumes, profile, tags and protections. */
export function runInstancesInput(args: {
  readonly name: string;
  readonly spec: InstanceDocument;
  readonly subnetId: string;
  readonly groupId: (name: string) => string;
  readonly imageId: string;
}): RunInstancesCommandInput {
  const { spec } = args;
  return {
    ImageId: args.imageId,
    InstanceType: (spec.type ?? 't3.micro') as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    NetworkInterfaces: (spec.enis ?? [{}]).map((eni, index) => ({
      DeviceIndex: index,
      SubnetId: args.subnetId,
      ...(eni.groups ? { Groups: eni.groups.map(args.groupId) } : {}),
      ...(eni.deleteOnTermination !== undefined ? { DeleteOnTermination: eni.deleteOnTermination } : {}),
    })),
    // No volumes listed: the AMI's own root volume. `volumes: []` suppresses the AMI's root device
    // (NoDevice), which only an instance-store AMI allows on AWS (FIREBREAK_GAMEDAY_IMAGE_ID).
    ...(spec.volumes?.length === 0 ? { BlockDeviceMappings: [{ DeviceName: '/dev/xvda', NoDevice: '' }] } : {}),
    ...(spec.volumes && spec.volumes.length > 0
      ? {
          BlockDeviceMappings: spec.volumes.map((volume) => ({
            DeviceName: volume.device,
            Ebs: {
              VolumeSize: volume.sizeGiB ?? 8,
              VolumeType: 'gp3' as const,
              ...(volume.deleteOnTermination !== undefined ? { DeleteOnTermination: volume.deleteOnTermination } : {}),
            },
          })),
        }
      : {}),
    ...(spec.instanceProfile ? { IamInstanceProfile: { Name: spec.instanceProfile } } : {}),
    TagSpecifications: [{ ResourceType: 'instance', Tags: tagList({ Name: args.name, ...spec.tags }) }],
    ...(spec.terminationProtection !== undefined ? { DisableApiTermination: spec.terminationProtection } : {}),
    ...(spec.stopProtection !== undefined ? { DisableApiStop: spec.stopProtection } : {}),
    ...(spec.shutdownBehavior !== undefined ? { InstanceInitiatedShutdownBehavior: spec.shutdownBehavior } : {}),
  };
}

function tagList(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** The VPC's first /24 after its base address (10.20.0.0/16 → 10.20.1.0/24), as the local simulator picks it. */
export function defaultSubnetCidr(vpcCidr: string): string {
  const [address = '10.0.0.0'] = vpcCidr.split('/');
  const value = address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0) + 256;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')}/24`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The error's code as the SDK names it (IAM's modeled codes carry an `Exception` suffix: EntityAlreadyExistsException). */
function errorCode(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

const EXCEPTION_BY_SERVICE: Readonly<Partial<Record<ServiceName, new (options: ConstructorParameters<typeof EC2ServiceException>[0]) => Error>>> = {
  ec2: EC2ServiceException,
  iam: IAMServiceException,
  sns: SNSServiceException,
  sqs: SQSServiceException,
  dynamodb: DynamoDBServiceException,
  states: SFNServiceException,
};

/** The exception the service's SDK client would throw for this answer (code as `name`, HTTP status in `$metadata`). */
function sdkError(service: ServiceName, answer: SimulatedServiceError, attempt: number): Error {
  const Exception = EXCEPTION_BY_SERVICE[service] ?? EC2ServiceException;
  return new Exception({
    name: answer.code,
    message: answer.message,
    $fault: answer.httpStatus >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: answer.httpStatus, attempts: attempt, totalRetryDelay: 0 },
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The endpoint backend (see the module comment). */
export class EndpointBackend implements GameDayBackend {
  readonly description: string;
  readonly runId: string;
  private readonly options: EndpointBackendOptions;
  private readonly endpoint: URL;
  private region = 'us-east-1';
  private account = '000000000000';
  private readonly calls: GameDayCall[] = [];
  private readonly faults = new FaultQueue();
  private denied: readonly string[] = [];
  /** The engine's executions: DescribeExecution is answered from them (the endpoint does not run the state machines). */
  private executions?: ExecutionDirectory;
  private readonly roleClients = new Map<string, GameDayClients>();
  private admin?: GameDayClients & { sts(): STSClient };
  private readonly created: CreatedResource[] = [];
  private resolved?: ResolvedEnvironment;
  private alertFeedUrl = '';
  private readonly alerts: PublishedAlert[] = [];
  private readonly kept: KeptEvent[] = [];
  private lastCleanup: CleanupReport = { deleted: [], failed: [] };

  constructor(options: EndpointBackendOptions) {
    try {
      this.endpoint = new URL(options.endpointUrl);
    } catch (error) {
      throw new EndpointBackendUnavailableError(`--endpoint-url ${options.endpointUrl} is not a URL (for LocalStack: http://localhost:4566)`, { cause: error });
    }
    if (this.endpoint.protocol !== 'http:' && this.endpoint.protocol !== 'https:') {
      throw new EndpointBackendUnavailableError(`--endpoint-url ${options.endpointUrl} must be an http:// or https:// URL`);
    }
    this.options = options;
    this.runId = options.runId ?? randomBytes(3).toString('hex');
    this.description = `endpoint ${options.endpointUrl}`;
  }

  /** Everything prepare() created so far, in creation order. */
  createdResources(): readonly CreatedResource[] {
    return [...this.created];
  }

  /** What the last cleanup() deleted and could not delete. */
  cleanupReport(): CleanupReport {
    return this.lastCleanup;
  }

  /**
   * The endpoint for one service: the URL itself, except that an AWS service endpoint
   * (`https://ec2.eu-west-1.amazonaws.com`) serves only its own service; the others then use
   * their default endpoints in the scenario's region.
   */
  private endpointFor(service: string): string | undefined {
    const aws = /^([a-z0-9-]+)\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.exec(this.endpoint.hostname);
    if (aws && aws[1] !== service) return undefined;
    return this.options.endpointUrl;
  }

  private makeClient<C extends EndpointSdkClient>(
    Client: new (config: Record<string, unknown>) => C,
    service: string,
    role: string | undefined,
  ): C {
    const endpoint = this.endpointFor(service);
    const extra = this.options.clientConfig ?? {};
    const client = new Client({
      region: this.region,
      ...(endpoint !== undefined ? { endpoint } : {}),
      maxAttempts: extra.maxAttempts ?? 3,
      ...(extra.credentials !== undefined ? { credentials: extra.credentials } : {}),
      ...(extra.retryStrategy !== undefined ? { retryStrategy: extra.retryStrategy } : {}),
    });
    if (role !== undefined) this.record(client, role);
    this.options.configureClient?.(client);
    return client;
  }

  /**
   * Records every attempt of `client` into the call log and answers injected faults and denied
   * actions in its place. Below the retry middleware, so each SDK attempt is one record and a
   * throttling fault is retried by the SDK exactly as AWS's would be.
   */
  private record(client: EndpointSdkClient, role: string): void {
    const middleware: FinalizeRequestMiddleware<object, object> = (next, context) => async (args) => {
      const service = SERVICE_BY_CLIENT[context.clientName ?? ''] ?? 'ec2';
      const api = `${service}:${String(context.commandName ?? '').replace(/Command$/, '')}`;
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      const body = request.body;
      const dryRun = service === 'ec2' && typeof body === 'string' && /(^|&)DryRun=true(&|$)/.test(body);
      const attempt = Number(/attempt=(\d+)/.exec(request.headers?.['amz-sdk-request'] ?? '')?.[1] ?? 1);
      const input = structuredClone(args.input) as Record<string, unknown>;
      const caller = `arn:aws:sts::${this.account}:assumed-role/${role}/firebreak-gameday`;
      const log = (outcome: 'ok' | 'error', code?: string, injected = false) => {
        this.calls.push({
          seq: this.calls.length + 1,
          at: new Date(),
          wallMs: wallClockMs(),
          api,
          account: this.account,
          region: this.region,
          caller,
          input,
          outcome,
          ...(code !== undefined ? { errorCode: code } : {}),
          dryRun,
          injected,
          attempt,
        });
      };
      const fault = this.faults.take(api, this.account, this.region, input);
      if (fault) {
        log('error', fault.code, true);
        throw sdkError(service, fault, attempt);
      }
      if (this.denied.some((pattern) => matchesAction(pattern, api))) {
        const identity = { account: this.account, principalArn: `arn:aws:iam::${this.account}:role/${role}`, sessionArn: caller, userId: role };
        const answer = accessDenied(service, identity, api, 'with an explicit deny in an identity-based policy (game-day deniedActions, applied in the client)');
        log('error', answer.code);
        throw sdkError(service, answer, attempt);
      }
      if (api === 'states:DescribeExecution' && this.executions !== undefined) {
        // The state machines run in the engine, not at the endpoint: answer as Step Functions would.
        const executionArn = String(input.executionArn ?? '');
        const execution = this.executions(executionArn);
        if (!execution) {
          log('error', 'ExecutionDoesNotExist');
          throw sdkError(service, new SimulatedServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`, 400), attempt);
        }
        log('ok');
        const { stopDate, ...described } = execution;
        return {
          output: { ...described, ...(stopDate !== undefined ? { stopDate } : {}), inputDetails: { included: true }, $metadata: { httpStatusCode: 200, attempts: attempt } },
          response: { statusCode: 200, headers: {} },
        } as never;
      }
      try {
        const result = await next(args);
        log('ok');
        return result;
      } catch (error) {
        log('error', errorCode(error));
        throw error;
      }
    };
    (client.middlewareStack as unknown as {
      addRelativeTo(m: FinalizeRequestMiddleware<object, object>, o: { relation: 'after'; toMiddleware: string; name: string }): void;
    }).addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'firebreakGameDayEndpointRecorder' });
  }

  private factory(role: string | undefined): GameDayClients & { sts(): STSClient } {
    const cache = new Map<string, EndpointSdkClient>();
    const get = <C extends EndpointSdkClient>(key: string, Client: new (config: Record<string, unknown>) => C): C => {
      let client = cache.get(key) as C | undefined;
      if (!client) {
        client = this.makeClient(Client, key, role);
        cache.set(key, client);
      }
      return client;
    };
    // One endpoint, one account: the target's account names the incident, the endpoint decides.
    return {
      ec2: async () => get('ec2', EC2Client),
      iam: async () => get('iam', IAMClient),
      sns: () => get('sns', SNSClient),
      sfn: () => get('states', SFNClient),
      dynamodb: () => get('dynamodb', DynamoDBClient),
      sqs: () => get('sqs', SQSClient),
      kms: () => get('kms', KMSClient),
      sts: () => get('sts', STSClient),
    };
  }

  /** The backend's own clients (setup, inspection, cleanup): not in the call log, no faults. */
  private adminClients(): GameDayClients & { sts(): STSClient } {
    this.admin ??= this.factory(undefined);
    return this.admin;
  }

  serveExecutions(directory: ExecutionDirectory): void {
    this.executions = directory;
  }

  clients(role: string): GameDayClients {
    let clients = this.roleClients.get(role);
    if (!clients) {
      clients = this.factory(role);
      this.roleClients.set(role, clients);
    }
    return clients;
  }

  now(): Date {
    return new Date();
  }

  advance(_ms: number): void {
    // The endpoint's clock is the wall clock: retries and timeouts really wait.
  }

  private async waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + (this.options.waitTimeoutMs ?? 300_000);
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new EndpointSetupError(`timed out waiting for ${what}`);
      await sleep(this.options.pollIntervalMs ?? 2000);
    }
  }

  private async describeInstance(instanceId: string): Promise<Instance | undefined> {
    const ec2 = await this.adminClients().ec2({ account: this.account, region: this.region });
    try {
      const answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      return answer.Reservations?.flatMap((reservation) => reservation.Instances ?? [])[0];
    } catch (error) {
      if (errorCode(error) === 'InvalidInstanceID.NotFound') return undefined;
      throw error;
    }
  }

  private async waitForState(instanceId: string, states: readonly string[]): Promise<Instance> {
    return this.waitFor(`${instanceId} to be ${states.join(' or ')}`, async () => {
      const instance = await this.describeInstance(instanceId);
      return instance && states.includes(instance.State?.Name ?? '') ? instance : undefined;
    });
  }

  private async callerAccount(): Promise<string> {
    try {
      const identity = await this.adminClients().sts().send(new GetCallerIdentityCommand({}));
      return identity.Account ?? this.account;
    } catch (error) {
      const name = errorCode(error);
      if (name === 'CredentialsProviderError' || /credential/i.test(error instanceof Error ? error.message : '')) {
        throw new EndpointSetupError(
          `no AWS credentials for ${this.options.endpointUrl}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
            '(LocalStack and moto accept any value, e.g. test/test) or AWS_PROFILE for a test account',
          { cause: error },
        );
      }
      throw new EndpointSetupError(`${this.options.endpointUrl} did not answer sts:GetCallerIdentity (${errorText(error)}); is the endpoint running?`, {
        cause: error,
      });
    }
  }

  async prepare(environment: EnvironmentDocument, _settings: SettingsDocument): Promise<ResolvedEnvironment> {
    this.region = environment.region;
    this.account = await this.callerAccount();
    const admin = this.adminClients();
    const ec2 = await admin.ec2({ account: this.account, region: this.region });
    const iam = await admin.iam({ account: this.account, region: this.region });
    const account = this.account;
    const runId = this.runId;

    const vpcs: Record<string, string> = {};
    const subnets: Record<string, string> = {};
    const defaultGroups: Record<string, string> = {};
    const declaredVpcs = Object.entries(environment.vpcs);
    for (const [name, spec] of declaredVpcs.length > 0 ? declaredVpcs : [['main', {}] as const]) {
      const cidr = ('cidr' in spec && spec.cidr) || '10.0.0.0/16';
      const vpc = await ec2.send(
        new CreateVpcCommand({
          CidrBlock: cidr,
          TagSpecifications: [{ ResourceType: 'vpc', Tags: tagList({ Name: name, ...('tags' in spec ? spec.tags : {}), [MARKER_TAG]: runId }) }],
        }),
      );
      const vpcId = vpc.Vpc?.VpcId as string;
      vpcs[name] = vpcId;
      this.created.push({ kind: 'vpc', id: vpcId });
      const subnet = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: ('subnet' in spec && spec.subnet) || defaultSubnetCidr(cidr),
          TagSpecifications: [{ ResourceType: 'subnet', Tags: tagList({ Name: name, [MARKER_TAG]: runId }) }],
        }),
      );
      subnets[name] = subnet.Subnet?.SubnetId as string;
      this.created.push({ kind: 'subnet', id: subnets[name] });
      const groups = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: ['default'] }] }),
      );
      defaultGroups[name] = groups.SecurityGroups?.[0]?.GroupId as string;
    }
    const onlyVpc = Object.keys(vpcs)[0] as string;

    const groups: Record<string, string> = {};
    const groupId = (name: string, vpcName: string): string => {
      if (name === 'default') return defaultGroups[vpcName] as string;
      const id = groups[name];
      if (id === undefined) throw new EndpointSetupError(`security group '${name}' is used before it is declared: declare it earlier in environment.securityGroups`);
      return id;
    };
    for (const [name, spec] of Object.entries(environment.securityGroups)) {
      const vpcName = spec.vpc ?? onlyVpc;
      const created = await ec2.send(new CreateSecurityGroupCommand(createSecurityGroupInput(name, spec, vpcs[vpcName] as string, runId)));
      const id = created.GroupId as string;
      groups[name] = id;
      this.created.push({ kind: 'security-group', id });
      const peer = (group: string) => groupId(group, vpcName);
      if (spec.ingress.length > 0) {
        await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: spec.ingress.map((rule) => ipPermission(rule, peer, account)) }));
      }
      if (spec.egress !== undefined) {
        // EC2 gives every new group the allow-all IPv4 egress rule; the scenario lists the rules it wants instead.
        await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
        if (spec.egress.length > 0) {
          await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: spec.egress.map((rule) => ipPermission(rule, peer, account)) }));
        }
      }
    }

    const profiles = new Set(Object.values(environment.instances).flatMap((spec) => (spec.instanceProfile ? [spec.instanceProfile] : [])));
    for (const profile of profiles) await this.createInstanceProfile(iam, profile);

    const imageId = this.options.imageId ?? process.env.FIREBREAK_GAMEDAY_IMAGE_ID ?? DEFAULT_IMAGE_ID;
    const instances: Record<string, ResolvedInstance> = {};
    for (const [name, spec] of Object.entries(environment.instances)) {
      const vpcName = spec.vpc ?? onlyVpc;
      const input = runInstancesInput({ name, spec, subnetId: subnets[vpcName] as string, groupId: (group) => groupId(group, vpcName), imageId });
      const launched = await this.runInstance(ec2, input);
      const instanceId = launched.InstanceId as string;
      this.created.push({ kind: 'instance', id: instanceId });
      let described = await this.waitForState(instanceId, ['running']);
      for (const volume of spec.volumes ?? []) {
        const volumeId = described.BlockDeviceMappings?.find((mapping) => mapping.DeviceName === volume.device)?.Ebs?.VolumeId;
        if (volumeId && volume.tags && Object.keys(volume.tags).length > 0) {
          await ec2.send(new CreateTagsCommand({ Resources: [volumeId], Tags: tagList(volume.tags) }));
        }
      }
      const launchedView = described;
      if (spec.state === 'stopped' || spec.state === 'stopping') {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        if (spec.state === 'stopped') described = await this.waitForState(instanceId, ['stopped']);
      } else if (spec.state === 'terminated' || spec.state === 'shutting-down') {
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
        if (spec.state === 'terminated') described = await this.waitForState(instanceId, ['terminated']);
      }
      instances[name] = resolvedInstance(name, spec.state, launchedView, described, account, this.region);
    }

    for (const fault of environment.faults) {
      this.faults.inject({ api: fault.api, error: fault.error, times: fault.times, ...(fault.message !== undefined ? { message: fault.message } : {}) });
    }
    this.denied = [...environment.deniedActions];

    const deployment = await this.createDeployment();
    this.resolved = { account, region: this.region, vpcs, securityGroups: groups, instances, deployment };
    return this.resolved;
  }

  private async runInstance(ec2: EC2Client, input: RunInstancesCommandInput): Promise<Instance> {
    // A new instance profile takes a few seconds to reach EC2 (IAM is eventually consistent).
    const deadline = Date.now() + Math.min(this.options.waitTimeoutMs ?? 300_000, 60_000);
    for (;;) {
      try {
        const answer = await ec2.send(new RunInstancesCommand(input));
        return answer.Instances?.[0] as Instance;
      } catch (error) {
        const profileNotVisible = errorCode(error) === 'InvalidParameterValue' && /iamInstanceProfile/i.test(error instanceof Error ? error.message : '');
        if (!profileNotVisible || Date.now() > deadline) throw error;
        await sleep(this.options.pollIntervalMs ?? 2000);
      }
    }
  }

  private async createInstanceProfile(iam: IAMClient, name: string): Promise<void> {
    try {
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: EC2_TRUST_POLICY, Description: `firebreak game day ${this.runId}` }));
      this.created.push({ kind: 'role', id: name });
    } catch (error) {
      if (!errorCode(error).startsWith('EntityAlreadyExists')) throw error;
    }
    try {
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
      this.created.push({ kind: 'instance-profile', id: name });
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
    } catch (error) {
      // An existing profile (a previous run, a shared account) is used as it is and left alone.
      if (!errorCode(error).startsWith('EntityAlreadyExists')) throw error;
    }
  }

  private async createDeployment(): Promise<DeploymentResources> {
    const admin = this.adminClients();
    const prefix = `firebreak-gameday-${this.runId}`;
    const topic = await admin.sns().send(new CreateTopicCommand({ Name: `${prefix}-alerts` }));
    const alertTopicArn = topic.TopicArn as string;
    this.created.push({ kind: 'topic', id: alertTopicArn });
    const kept = await admin.sqs().send(new CreateQueueCommand({ QueueName: `${prefix}-unprocessable-events` }));
    const unprocessableEventsQueueUrl = kept.QueueUrl as string;
    this.created.push({ kind: 'queue', id: unprocessableEventsQueueUrl });
    // SNS has no read API: alerts are read back from a queue subscribed to the topic. The queue
    // policy lets the topic deliver (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
    const feedName = `${prefix}-alert-feed`;
    const feedArn = `arn:aws:sqs:${this.region}:${this.account}:${feedName}`;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: feedArn, Condition: { ArnEquals: { 'aws:SourceArn': alertTopicArn } } },
      ],
    });
    const feed = await admin.sqs().send(new CreateQueueCommand({ QueueName: feedName, Attributes: { Policy: policy } }));
    this.alertFeedUrl = feed.QueueUrl as string;
    this.created.push({ kind: 'queue', id: this.alertFeedUrl });
    const attributes = await admin.sqs().send(new GetQueueAttributesCommand({ QueueUrl: this.alertFeedUrl, AttributeNames: ['QueueArn'] }));
    await admin.sns().send(
      new SubscribeCommand({
        TopicArn: alertTopicArn,
        Protocol: 'sqs',
        Endpoint: attributes.Attributes?.QueueArn ?? feedArn,
        Attributes: { RawMessageDelivery: 'false' },
        ReturnSubscriptionArn: true,
      }),
    );
    const stateTableName = `${prefix}-state`;
    await admin.dynamodb().send(
      new CreateTableCommand({
        TableName: stateTableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    this.created.push({ kind: 'table', id: stateTableName });
    await this.waitFor(`table ${stateTableName} to be ACTIVE`, async () => {
      const table = await admin.dynamodb().send(new DescribeTableCommand({ TableName: stateTableName }));
      return table.Table?.TableStatus === 'ACTIVE' ? true : undefined;
    });
    return { account: this.account, region: this.region, alertTopicArn, unprocessableEventsQueueUrl, stateTableName, recordKeyArn: await this.createRecordKey(prefix) };
  }

  /**
   * The HMAC key that seals pre-quarantine records. An endpoint without KMS HMAC keys (an old
   * LocalStack or moto) still runs the game day: quarantine then saves unsealed records, release
   * refuses them, and the report says why.
   */
  private async createRecordKey(prefix: string): Promise<string> {
    try {
      const key = await this.adminClients().kms().send(
        new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: `${prefix}: seals pre-quarantine records` }),
      );
      const arn = key.KeyMetadata?.Arn ?? '';
      if (arn) this.created.push({ kind: 'key', id: arn });
      return arn;
    } catch (error) {
      (this.options.report ?? ((line: string) => process.stderr.write(`${line}\n`)))(
        `the endpoint could not create a KMS HMAC key (${errorCode(error)}): quarantine records stay unsealed and release refuses them`,
      );
      return '';
    }
  }

  /** Every message of a queue not read yet (each read hides it for 12 hours, the longest visibility timeout). */
  private async drain(queueUrl: string): Promise<{ body: string; sentAt?: Date }[]> {
    const sqs = this.adminClients().sqs();
    const out: { body: string; sentAt?: Date }[] = [];
    for (;;) {
      const answer = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 43_200, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['SentTimestamp'] }),
      );
      const messages = answer.Messages ?? [];
      if (messages.length === 0) return out;
      for (const message of messages) {
        const sent = message.Attributes?.SentTimestamp;
        out.push({ body: message.Body ?? '', ...(sent !== undefined ? { sentAt: new Date(Number(sent)) } : {}) });
      }
    }
  }

  async inspect(): Promise<AccountInspection> {
    const resolved = this.resolved;
    if (!resolved) throw new EndpointSetupError('inspect() before prepare()');
    const ec2 = await this.adminClients().ec2({ account: this.account, region: this.region });
    const resources: Record<string, string> = {};
    const instances: Record<string, InspectedInstance | undefined> = {};
    const vpcIds = Object.values(resolved.vpcs);
    const volumeIds = Object.values(resolved.instances).flatMap((instance) => instance.volumes.map((volume) => volume.volumeId));
    const snapshots = volumeIds.length > 0
      ? ((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: volumeIds }] }))).Snapshots ?? [])
      : [];
    snapshots.sort((a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0));
    for (const declared of Object.values(resolved.instances)) {
      const instance = await this.describeInstance(declared.instanceId);
      if (!instance) {
        instances[declared.instanceId] = undefined;
        continue;
      }
      resources[declared.instanceId] = JSON.stringify(instance);
      const attribute = async (name: 'disableApiTermination' | 'disableApiStop' | 'instanceInitiatedShutdownBehavior') =>
        ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: declared.instanceId, Attribute: name }));
      const termination = await attribute('disableApiTermination');
      const stop = await attribute('disableApiStop');
      const shutdown = await attribute('instanceInitiatedShutdownBehavior');
      const associations = await ec2.send(
        new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [declared.instanceId] }] }),
      );
      const association = associations.IamInstanceProfileAssociations?.find((a) => a.State === 'associated' || a.State === 'associating');
      instances[declared.instanceId] = {
        instanceId: declared.instanceId,
        state: instance.State?.Name ?? 'unknown',
        terminationProtection: termination.DisableApiTermination?.Value ?? false,
        stopProtection: stop.DisableApiStop?.Value ?? false,
        shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
        ...(association?.IamInstanceProfile?.Arn ? { instanceProfileArn: association.IamInstanceProfile.Arn } : {}),
        tags: tagRecord(instance.Tags),
        networkInterfaces: [...(instance.NetworkInterfaces ?? [])]
          .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
          .map((eni) => ({ networkInterfaceId: eni.NetworkInterfaceId ?? '', groupIds: (eni.Groups ?? []).map((group) => group.GroupId ?? '') })),
        volumes: (instance.BlockDeviceMappings ?? []).flatMap((mapping) => {
          const volumeId = mapping.Ebs?.VolumeId;
          if (!volumeId) return [];
          return [{ volumeId, device: mapping.DeviceName ?? '', snapshotIds: snapshots.filter((s) => s.VolumeId === volumeId).map((s) => s.SnapshotId ?? '') }];
        }),
      };
    }
    const groupNames: Record<string, string> = {};
    if (vpcIds.length > 0) {
      const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }));
      for (const group of groups.SecurityGroups ?? []) {
        groupNames[group.GroupId ?? ''] = group.GroupName ?? '';
        resources[group.GroupId ?? ''] = JSON.stringify(group);
      }
      for (const vpc of (await ec2.send(new DescribeVpcsCommand({ VpcIds: vpcIds }))).Vpcs ?? []) resources[vpc.VpcId ?? ''] = JSON.stringify(vpc);
      const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }));
      for (const eni of enis.NetworkInterfaces ?? []) resources[eni.NetworkInterfaceId ?? ''] = JSON.stringify(eni);
    }
    if (volumeIds.length > 0) {
      const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: volumeIds }] }));
      for (const volume of volumes.Volumes ?? []) resources[volume.VolumeId ?? ''] = JSON.stringify(volume);
    }
    for (const message of await this.drain(this.alertFeedUrl)) this.alerts.push(alertOf(message.body, message.sentAt));
    for (const message of await this.drain(resolved.deployment.unprocessableEventsQueueUrl)) {
      this.kept.push({ body: message.body, at: message.sentAt ?? new Date() });
    }
    const digest = JSON.stringify({
      resources: Object.keys(resources).sort().map((id) => [id, resources[id]]),
      instances: Object.keys(instances).sort().map((id) => [id, instances[id] ?? null]),
      snapshots: snapshots.map((s) => s.SnapshotId),
    });
    return { instances, groupNames, alerts: [...this.alerts], keptEvents: [...this.kept], resources, digest };
  }

  callLog(): readonly GameDayCall[] {
    return [...this.calls];
  }

  callCount(): number {
    return this.calls.length;
  }

  /** Deletes what prepare() created, in reverse order; never throws (problems are in cleanupReport() and reported). */
  async cleanup(): Promise<void> {
    const deleted: string[] = [];
    const failed: { resource: string; error: string }[] = [];
    const attempt = async (resource: string, run: () => Promise<unknown>) => {
      try {
        await run();
        deleted.push(resource);
      } catch (error) {
        failed.push({ resource, error: errorText(error) });
      }
    };
    const admin = this.adminClients();
    const target = { account: this.account, region: this.region };
    const of = (kind: CreatedResource['kind']) => this.created.filter((resource) => resource.kind === kind).map((resource) => resource.id).reverse();
    let ec2: EC2Client | undefined;
    let iam: IAMClient | undefined;
    try {
      ec2 = await admin.ec2(target);
      iam = await admin.iam(target);
    } catch (error) {
      failed.push({ resource: 'clients', error: errorText(error) });
    }
    const vpcIds = of('vpc');
    if (ec2) {
      const client = ec2;
      const instanceIds = of('instance');
      const volumeIds = new Set<string>();
      for (const instanceId of instanceIds) {
        const instance = await this.describeInstance(instanceId).catch(() => undefined);
        for (const mapping of instance?.BlockDeviceMappings ?? []) if (mapping.Ebs?.VolumeId) volumeIds.add(mapping.Ebs.VolumeId);
        if (!instance || instance.State?.Name === 'terminated') continue;
        // A quarantine turns termination (and maybe stop) protection on: take it off to clean up.
        await attempt(`protections of ${instanceId}`, async () => {
          await client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: false } }));
          await client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiStop: { Value: false } }));
        });
        await attempt(instanceId, () => client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
      }
      for (const resolved of Object.values(this.resolved?.instances ?? {})) for (const volume of resolved.volumes) volumeIds.add(volume.volumeId);
      // Its ENIs, volumes and groups are released only once it is terminated.
      for (const instanceId of instanceIds) await attempt(`${instanceId} (terminated)`, () => this.waitForState(instanceId, ['terminated']));
      if (volumeIds.size > 0) {
        const snapshots = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [...volumeIds] }] })).catch(() => undefined);
        for (const snapshot of snapshots?.Snapshots ?? []) {
          const id = snapshot.SnapshotId as string;
          await attempt(id, () => client.send(new DeleteSnapshotCommand({ SnapshotId: id })));
        }
        const volumes = await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [...volumeIds] }] })).catch(() => undefined);
        for (const volume of volumes?.Volumes ?? []) {
          const id = volume.VolumeId as string;
          await attempt(id, () => client.send(new DeleteVolumeCommand({ VolumeId: id })));
        }
      }
      if (vpcIds.length > 0) {
        const enis = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] })).catch(() => undefined);
        for (const eni of enis?.NetworkInterfaces ?? []) {
          const id = eni.NetworkInterfaceId as string;
          await attempt(id, () => client.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })));
        }
        // Every group of the VPCs but `default`: the scenario's and those the responders made
        // (isolation). Rules naming another group are revoked first, or DeleteSecurityGroup
        // answers DependencyViolation.
        const described = await client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] })).catch(() => undefined);
        const groups = (described?.SecurityGroups ?? []).filter((group) => group.GroupName !== 'default');
        for (const group of groups) {
          const id = group.GroupId as string;
          const referencing = (permissions: IpPermission[] | undefined) => (permissions ?? []).filter((p) => (p.UserIdGroupPairs ?? []).length > 0);
          const ingress = referencing(group.IpPermissions);
          const egress = referencing(group.IpPermissionsEgress);
          if (ingress.length > 0) await attempt(`ingress rules of ${id}`, () => client.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: ingress })));
          if (egress.length > 0) await attempt(`egress rules of ${id}`, () => client.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: egress })));
        }
        for (const group of groups) {
          const id = group.GroupId as string;
          await attempt(id, () => client.send(new DeleteSecurityGroupCommand({ GroupId: id })));
        }
      }
      for (const id of of('subnet')) await attempt(id, () => client.send(new DeleteSubnetCommand({ SubnetId: id })));
      for (const id of vpcIds) await attempt(id, () => client.send(new DeleteVpcCommand({ VpcId: id })));
    }
    if (iam) {
      const client = iam;
      for (const name of of('instance-profile')) {
        await attempt(`instance profile ${name}`, async () => {
          await client.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })).catch((error: unknown) => {
            if (!errorCode(error).startsWith('NoSuchEntity')) throw error;
          });
          await client.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
        });
      }
      for (const name of of('role')) {
        await attempt(`role ${name}`, async () => {
          // Revoking the role's sessions (a responder) leaves an inline deny policy on it.
          const policies = await client.send(new ListRolePoliciesCommand({ RoleName: name }));
          for (const policy of policies.PolicyNames ?? []) await client.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy }));
          await client.send(new DeleteRoleCommand({ RoleName: name }));
        });
      }
    }
    for (const name of of('table')) await attempt(name, () => admin.dynamodb().send(new DeleteTableCommand({ TableName: name })));
    for (const url of of('queue')) await attempt(url, () => admin.sqs().send(new DeleteQueueCommand({ QueueUrl: url })));
    for (const arn of of('topic')) await attempt(arn, () => admin.sns().send(new DeleteTopicCommand({ TopicArn: arn })));
    for (const arn of of('key')) await attempt(arn, () => admin.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 })));
    this.lastCleanup = { deleted, failed };
    if (failed.length > 0) {
      const report = this.options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
      report(`firebreak gameday: cleanup of ${this.options.endpointUrl} (run ${this.runId}) could not delete ${failed.length} resource(s); delete them by hand:`);
      for (const problem of failed) report(`  ${problem.resource}: ${problem.error}`);
    }
  }
}

function resolvedInstance(name: string, state: string, launched: Instance, now: Instance, account: string, region: string): ResolvedInstance {
  const enis = [...(launched.NetworkInterfaces ?? [])].sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
  return {
    name,
    instanceId: launched.InstanceId as string,
    account,
    region,
    vpcId: launched.VpcId ?? '',
    state,
    ...(launched.InstanceType ? { instanceType: launched.InstanceType } : {}),
    ...(launched.Placement?.AvailabilityZone ? { availabilityZone: launched.Placement.AvailabilityZone } : {}),
    networkInterfaceIds: enis.map((eni) => eni.NetworkInterfaceId ?? ''),
    networkInterfaces: enis.map((eni) => ({
      networkInterfaceId: eni.NetworkInterfaceId ?? '',
      vpcId: eni.VpcId ?? '',
      subnetId: eni.SubnetId ?? '',
      privateIp: eni.PrivateIpAddress ?? '',
      groups: (eni.Groups ?? []).map((group) => ({ groupId: group.GroupId ?? '', name: group.GroupName ?? '' })),
    })),
    volumes: (launched.BlockDeviceMappings ?? []).map((mapping) => ({ volumeId: mapping.Ebs?.VolumeId ?? '', device: mapping.DeviceName ?? '' })),
    ...(launched.IamInstanceProfile?.Arn ? { instanceProfileArn: launched.IamInstanceProfile.Arn } : {}),
    ...(launched.IamInstanceProfile?.Id ? { instanceProfileId: launched.IamInstanceProfile.Id } : {}),
    tags: tagRecord(now.Tags ?? launched.Tags),
  };
}

/** An alert as the feed queue holds it: SNS's JSON envelope (RawMessageDelivery false). */
function alertOf(body: string, sentAt: Date | undefined): PublishedAlert {
  try {
    const envelope = JSON.parse(body) as {
      Subject?: string;
      Message?: string;
      Timestamp?: string;
      MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
    };
    return {
      ...(envelope.Subject !== undefined && envelope.Subject !== null ? { subject: envelope.Subject } : {}),
      message: envelope.Message ?? body,
      attributes: Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([name, attribute]) => [name, attribute.Value ?? ''])),
      at: envelope.Timestamp ? new Date(envelope.Timestamp) : (sentAt ?? new Date()),
    };
  } catch {
    return { message: body, attributes: {}, at: sentAt ?? new Date() };
  }
}

/** The `--endpoint-url` backend; the image id may come from FIREBREAK_GAMEDAY_IMAGE_ID. */
export function createEndpointBackendFor(options: EndpointBackendOptions): EndpointBackend {
  return new EndpointBackend(options);
}

/**
 * The `--endpoint-url` backend (lib/gameday/endpoint-backend.ts): creates the environment on
 * `endpointUrl` through the SDK, applies faults and denied actions in the client, inspects with
 * Describe* calls and deletes what it created. Throws EndpointBackendUnavailableError for a URL it
 * cannot use. The AMI comes from FIREBREAK_GAMEDAY_IMAGE_ID when set.
 */
export function createEndpointBackend(endpointUrl: string): GameDayBackend {
  return new EndpointBackend({ endpointUrl });
}
