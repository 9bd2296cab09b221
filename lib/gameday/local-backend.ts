/**
 * The embedded default: the game day's AWS side is the simulated account (lib/gameday/sim), which
 * answers real SDK clients with EC2's behaviours and error codes. Nothing leaves the process and
 * nothing reads the wall clock but the timeline's wall-time column.
 */
import type { IpPermission } from '@aws-sdk/client-ec2';
import type { InitializeMiddleware } from '@smithy/types';
import { SimulatedAws } from './sim';
import type { InstanceSpec, SimulatedClientFactory } from './sim';
import { SimulatedServiceError } from './sim/errors';
import type {
  AccountInspection,
  DeploymentResources,
  ExecutionDirectory,
  GameDayBackend,
  GameDayCall,
  GameDayClients,
  InspectedInstance,
  ResolvedEnvironment,
  ResolvedInstance,
} from './backend';
import { wallClockMs } from './backend';
import type { EnvironmentDocument, RuleDocument, SettingsDocument } from './scenario';
import { loadIamCatalog } from './sim/iam-catalog';
import type { PolicyDocument } from './sim/iam-policy';
import type { RehearsalFinding } from './backend';

/** Names the deployment's own resources get in the simulated security account. */
export const LOCAL_DEPLOYMENT_NAMES = {
  alertTopic: 'firebreak-alerts',
  unprocessableEventsQueue: 'firebreak-unprocessable-events',
  stateTable: 'firebreak-state',
  /** The alert topic's key (a fixed key id: the simulated account has no KMS service of its own). */
  alertKeyId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
} as const;

/** A mistake in the scenario's environment that only shows when it is built (a group used before it is declared). */
export class EnvironmentSetupError extends Error {
  override readonly name = 'EnvironmentSetupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function toPermission(rule: RuleDocument, groupId: (name: string) => string, account: string): IpPermission {
  const protocol = rule.protocol === 'all' ? '-1' : rule.protocol;
  let ports: { FromPort?: number; ToPort?: number } = {};
  if (protocol === 'icmp') ports = { FromPort: -1, ToPort: -1 };
  else if (protocol !== '-1' && rule.ports !== undefined) {
    const [from, to] = typeof rule.ports === 'number' ? [rule.ports, rule.ports] : rule.ports.split('-').map(Number);
    ports = { FromPort: from, ToPort: to };
  }
  const description = rule.description !== undefined ? { Description: rule.description } : {};
  return {
    IpProtocol: protocol,
    ...ports,
    ...(rule.cidr !== undefined && !rule.cidr.includes(':') ? { IpRanges: [{ CidrIp: rule.cidr, ...description }] } : {}),
    ...(rule.cidr !== undefined && rule.cidr.includes(':') ? { Ipv6Ranges: [{ CidrIpv6: rule.cidr, ...description }] } : {}),
    ...(rule.group !== undefined ? { UserIdGroupPairs: [{ GroupId: groupId(rule.group), UserId: account, ...description }] } : {}),
  };
}

/** The local backend over one SimulatedAws per scenario. */
export class LocalBackend implements GameDayBackend {
  readonly description = 'local simulated account';
  readonly sim: SimulatedAws;
  private readonly factories = new Map<string, GameDayClients>();
  private readonly timed = new WeakSet<object>();
  private readonly wallByRequest = new Map<string, number>();
  private baseline = 0;
  private resolved?: ResolvedEnvironment;

  constructor(options: { readonly seed?: string; readonly account?: string; readonly region?: string; readonly start?: Date | string } = {}) {
    this.sim = new SimulatedAws({
      seed: options.seed ?? 'firebreak-gameday',
      defaultAccount: options.account ?? '111122223333',
      defaultRegion: options.region ?? 'eu-west-1',
      ...(options.start !== undefined ? { start: options.start } : {}),
    });
  }

  async prepare(environment: EnvironmentDocument, _settings: SettingsDocument): Promise<ResolvedEnvironment> {
    const sim = this.sim;
    const { account, region } = environment;
    if (account !== sim.defaultAccount || region !== sim.defaultRegion) {
      throw new EnvironmentSetupError(
        `the local backend was made for ${sim.defaultAccount}/${sim.defaultRegion} but the environment is in ${account}/${region}`,
      );
    }
    const vpcs: Record<string, string> = {};
    const defaultGroups: Record<string, string> = {};
    const declaredVpcs = Object.entries(environment.vpcs);
    // Every scenario gets at least one VPC of its own (named "main") when it declares none.
    for (const [name, spec] of declaredVpcs.length > 0 ? declaredVpcs : [['main', {}] as const]) {
      const vpc = sim.addVpc({ ...('cidr' in spec && spec.cidr ? { cidr: spec.cidr } : {}), tags: { Name: name, ...('tags' in spec ? spec.tags : {}) } });
      vpcs[name] = vpc.id;
      defaultGroups[name] = vpc.defaultSecurityGroupId;
      if ('subnet' in spec && spec.subnet) sim.addSubnet({ vpcId: vpc.id, cidr: spec.subnet });
    }
    const onlyVpc = Object.keys(vpcs)[0] as string;
    const groups: Record<string, string> = {};
    const groupVpc: Record<string, string> = {};
    const groupId = (name: string, vpcName: string): string => {
      if (name === 'default') return defaultGroups[vpcName] as string;
      const id = groups[name];
      if (id === undefined) throw new EnvironmentSetupError(`security group '${name}' is used before it is declared: declare it earlier in environment.securityGroups`);
      return id;
    };
    for (const [name, spec] of Object.entries(environment.securityGroups)) {
      const vpcName = spec.vpc ?? onlyVpc;
      const vpcId = vpcs[vpcName] as string;
      groupVpc[name] = vpcName;
      groups[name] = sim.addSecurityGroup({
        vpcId,
        name,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        ingress: spec.ingress.map((rule) => toPermission(rule, (peer) => groupId(peer, vpcName), account)),
        ...(spec.egress !== undefined ? { egress: spec.egress.map((rule) => toPermission(rule, (peer) => groupId(peer, vpcName), account)) } : {}),
        ...(spec.tags ? { tags: spec.tags } : {}),
      });
    }
    const instances: Record<string, ResolvedInstance> = {};
    for (const [name, spec] of Object.entries(environment.instances)) {
      const vpcName = spec.vpc ?? onlyVpc;
      const vpcId = vpcs[vpcName] as string;
      const instanceSpec: InstanceSpec = {
        ...(spec.id !== undefined ? { id: spec.id } : {}),
        vpcId,
        ...(spec.type !== undefined ? { type: spec.type } : {}),
        state: spec.state,
        ...(spec.enis ? { enis: spec.enis.map((eni) => ({
          ...(eni.groups ? { groupIds: eni.groups.map((group) => groupId(group, vpcName)) } : {}),
          ...(eni.deleteOnTermination !== undefined ? { deleteOnTermination: eni.deleteOnTermination } : {}),
        })) } : {}),
        ...(spec.volumes ? { volumes: spec.volumes.map((volume, index) => ({
          device: volume.device,
          boot: index === 0,
          ...(volume.sizeGiB !== undefined ? { sizeGiB: volume.sizeGiB } : {}),
          ...(volume.deleteOnTermination !== undefined ? { deleteOnTermination: volume.deleteOnTermination } : {}),
          ...(volume.tags ? { tags: volume.tags } : {}),
        })) } : {}),
        ...(spec.instanceProfile ? { instanceProfile: spec.instanceProfile } : {}),
        tags: { Name: name, ...spec.tags },
        ...(spec.terminationProtection !== undefined ? { disableApiTermination: spec.terminationProtection } : {}),
        ...(spec.stopProtection !== undefined ? { disableApiStop: spec.stopProtection } : {}),
        ...(spec.shutdownBehavior !== undefined ? { shutdownBehavior: spec.shutdownBehavior } : {}),
      };
      const built = sim.addInstance(instanceSpec);
      const state = sim.instance(built.instanceId);
      const groupName = (id: string) => sim.securityGroup(id)?.name ?? id;
      instances[name] = {
        name,
        instanceId: built.instanceId,
        account: built.account,
        region: built.region,
        vpcId: built.vpcId,
        state: spec.state,
        ...(state ? { instanceType: state.instanceType, availabilityZone: state.availabilityZone } : {}),
        networkInterfaceIds: built.networkInterfaceIds,
        networkInterfaces: (state?.networkInterfaces ?? []).map((eni) => ({
          networkInterfaceId: eni.networkInterfaceId,
          vpcId: eni.vpcId,
          subnetId: eni.subnetId,
          privateIp: eni.privateIp,
          groups: eni.groupIds.map((id) => ({ groupId: id, name: groupName(id) })),
        })),
        volumes: (state?.volumes ?? []).map((volume) => ({ volumeId: volume.volumeId, device: volume.device ?? '' })),
        ...(built.instanceProfileArn ? { instanceProfileArn: built.instanceProfileArn } : {}),
        tags: state?.tags ?? { Name: name, ...spec.tags },
      };
    }
    for (const fault of environment.faults) {
      sim.injectFault({ api: fault.api, error: fault.error, times: fault.times, ...(fault.message !== undefined ? { message: fault.message } : {}) });
    }
    if (environment.deniedActions.length > 0) sim.denyActions(environment.deniedActions);

    const alertKeyArn = `arn:aws:kms:${region}:${account}:key/${LOCAL_DEPLOYMENT_NAMES.alertKeyId}`;
    const deployment: DeploymentResources = {
      account,
      region,
      alertKeyArn,
      alertTopicArn: sim.addTopic({ name: LOCAL_DEPLOYMENT_NAMES.alertTopic, kmsKeyArn: alertKeyArn }),
      unprocessableEventsQueueUrl: sim.addQueue({ name: LOCAL_DEPLOYMENT_NAMES.unprocessableEventsQueue }),
      stateTableName: LOCAL_DEPLOYMENT_NAMES.stateTable,
      recordKeyArn: sim.addHmacKey({ description: 'Firebreak: seals pre-quarantine records' }),
    };
    sim.addTable({ name: LOCAL_DEPLOYMENT_NAMES.stateTable, partitionKey: 'pk' });
    this.baseline = sim.calls().length;
    this.resolved = { account, region, vpcs, securityGroups: groups, instances, deployment };
    return this.resolved;
  }

  serveExecutions(directory: ExecutionDirectory): void {
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
    this.sim.defineApi('states:DescribeExecution', (call) => {
      const executionArn = String(call.input.executionArn ?? '');
      if (!/^arn:[\w-]+:states:/.test(executionArn)) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`, 400);
      const execution = directory(executionArn);
      if (!execution) throw new SimulatedServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`, 400);
      return {
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        ...(execution.stopDate !== undefined ? { stopDate: execution.stopDate } : {}),
        input: execution.input,
        inputDetails: { included: true },
      };
    });
  }

  clients(role: string): GameDayClients {
    let factory = this.factories.get(role);
    if (!factory) {
      const principal = `arn:aws:iam::${this.sim.defaultAccount}:role/${role}`;
      factory = this.timedFactory(this.sim.clientFactory({ principal }));
      this.factories.set(role, factory);
    }
    return factory;
  }

  /** Notes the wall time each command returns, by the request id the simulator answered with. */
  private timedFactory(inner: SimulatedClientFactory): GameDayClients {
    const time = <C extends { middlewareStack: { add: (...args: never[]) => void } }>(client: C): C => {
      if (this.timed.has(client)) return client;
      this.timed.add(client);
      const wall = this.wallByRequest;
      const middleware: InitializeMiddleware<object, object> = (next) => async (args) => {
        try {
          const result = await next(args);
          const id = (result.output as { $metadata?: { requestId?: string } }).$metadata?.requestId;
          if (id) wall.set(id, wallClockMs());
          return result;
        } catch (error) {
          const id = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
          if (id) wall.set(id, wallClockMs());
          throw error;
        }
      };
      (client.middlewareStack as unknown as { add: (m: InitializeMiddleware<object, object>, o: object) => void }).add(middleware, {
        step: 'initialize',
        priority: 'high',
        name: 'firebreakGameDayWallClock',
      });
      return client;
    };
    return {
      ec2: async (target) => time(await inner.ec2(target)),
      iam: async (target) => time(await inner.iam(target)),
      sns: () => time(inner.sns()),
      sfn: () => time(inner.sfn()),
      dynamodb: () => time(inner.dynamodb()),
      sqs: () => time(inner.sqs()),
      kms: () => time(inner.kms()),
    };
  }

  now(): Date {
    return this.sim.now();
  }

  advance(ms: number): void {
    if (ms > 0) this.sim.advance(ms);
  }

  async inspect(): Promise<AccountInspection> {
    const sim = this.sim;
    const resolved = this.resolved;
    if (!resolved) throw new EnvironmentSetupError('inspect() before prepare()');
    const instances: Record<string, InspectedInstance | undefined> = {};
    const vpcIds = new Set<string>(Object.values(resolved.vpcs));
    for (const declared of Object.values(resolved.instances)) {
      vpcIds.add(declared.vpcId);
      const state = sim.instance(declared.instanceId);
      instances[declared.instanceId] = state && {
        instanceId: state.instanceId,
        state: state.state,
        terminationProtection: state.disableApiTermination,
        stopProtection: state.disableApiStop,
        shutdownBehavior: state.shutdownBehavior,
        ...(state.instanceProfileArn ? { instanceProfileArn: state.instanceProfileArn } : {}),
        tags: state.tags,
        networkInterfaces: [...state.networkInterfaces]
          .sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0))
          .map((eni) => ({ networkInterfaceId: eni.networkInterfaceId, groupIds: [...eni.groupIds] })),
        volumes: state.volumes.map((volume) => ({
          volumeId: volume.volumeId,
          device: volume.device ?? '',
          snapshotIds: sim.snapshotsForVolume(volume.volumeId).map((snapshot) => snapshot.snapshotId),
        })),
      };
    }
    const groupNames: Record<string, string> = {};
    for (const vpcId of vpcIds) for (const group of sim.securityGroupsInVpc(vpcId)) groupNames[group.groupId] = group.name;

    const state = sim.state() as Record<string, unknown>;
    const resources: Record<string, string> = {};
    const index = (list: unknown, key: string) => {
      for (const item of (list as Record<string, unknown>[] | undefined) ?? []) {
        const id = item[key];
        if (typeof id === 'string') resources[id] = JSON.stringify(item);
      }
    };
    index(state.vpcs, 'id');
    index(state.securityGroups, 'groupId');
    index(state.instances, 'instanceId');
    index(state.networkInterfaces, 'networkInterfaceId');
    index(state.volumes, 'volumeId');
    // Firebreak's own state table (quarantine records, blast-radius slots) and roles (created when a
    // responder first signs a call) are not the account's resources.
    const { tables: _tables, roles, ...accountState } = state;
    const accountRoles = ((roles as { name?: string }[] | undefined) ?? []).filter((role) => !String(role.name).startsWith('firebreak-'));
    return {
      instances,
      groupNames,
      alerts: sim.publishedMessages(resolved.deployment.alertTopicArn).map((message) => ({
        ...(message.subject !== undefined ? { subject: message.subject } : {}),
        message: message.message,
        attributes: Object.fromEntries(Object.entries(message.messageAttributes).map(([name, attribute]) => [name, attribute.value])),
        at: message.at,
      })),
      keptEvents: sim.queueMessages(resolved.deployment.unprocessableEventsQueueUrl).map((message) => ({ body: message.body, at: message.at })),
      resources,
      digest: JSON.stringify({ ...accountState, roles: accountRoles }),
    };
  }

  callCount(): number {
    return this.sim.calls().length - this.baseline;
  }

  callLog(): readonly GameDayCall[] {
    return this.sim.calls().slice(this.baseline).map((call) => {
      const wallMs = this.wallByRequest.get(call.requestId);
      return {
        seq: call.seq - this.baseline,
        at: call.at,
        ...(wallMs !== undefined ? { wallMs } : {}),
        api: call.api,
        account: call.account,
        region: call.region,
        caller: call.caller,
        input: call.input,
        outcome: call.outcome,
        ...(call.errorCode !== undefined ? { errorCode: call.errorCode } : {}),
        dryRun: call.dryRun,
        injected: call.injected,
        attempt: call.attempt,
      };
    });
  }

  async enforceIdentityPolicies(
    policies: ReadonlyMap<string, readonly PolicyDocument[]>,
    resourcePolicies: readonly { readonly resourceArn: string; readonly document: PolicyDocument; readonly authoritative: boolean }[] = [],
  ): Promise<void> {
    const catalog = await loadIamCatalog();
    for (const [role, documents] of policies) {
      this.sim.enforceIdentityPolicies(`arn:aws:iam::${this.sim.defaultAccount}:role/${role}`, documents, catalog);
    }
    for (const { resourceArn, document, authoritative } of resourcePolicies) this.sim.enforceResourcePolicy(resourceArn, document, authoritative);
  }

  authorizeServiceCall(role: string, iamAction: string, resourceArn: string, input?: Readonly<Record<string, unknown>>): string | undefined {
    return this.sim.authorizeServiceCall(`arn:aws:iam::${this.sim.defaultAccount}:role/${role}`, iamAction, resourceArn, input);
  }

  findings(): readonly RehearsalFinding[] {
    return this.sim.authorizationFindings().map((finding) => ({
      kind: 'unevaluated condition',
      message:
        `${finding.key} in the policy of ${finding.principal.split('/').pop() ?? finding.principal} for ${finding.action} on ${finding.resource}: ` +
        'AWS supplies this key but the simulated account cannot compute it; the condition was taken as holding',
    }));
  }

  async cleanup(): Promise<void> {
    // Nothing outlives the process: the simulated account is garbage once the scenario ends.
  }
}
