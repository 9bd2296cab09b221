/**
 * The simulated AWS account of the local game day. It keeps the state of one or more accounts and
 * regions and answers real SDK v3 clients with EC2's (and IAM's, SNS's, SQS's, STS's, DynamoDB's,
 * EventBridge's, Step Functions') real behaviours and error codes. Responders get their clients
 * from `clientFactory()` and cannot tell it from AWS: there is no branch for it in their code.
 *
 * A game day's backend (lib/gameday/account-backend) creates the scenario's environment through
 * SDK calls (CreateVpc, RunInstances…) as in any account, and uses this class's own surface only
 * for what has no AWS API: injected faults, denied actions, the deployed IAM policies, the clock.
 * Split by concern: clients.ts (the SDK clients), policy-enforcement.ts (IAM), the handlers per
 * service, inspection.ts (state as plain data).
 *
 *   const sim = new SimulatedAws({ seed: 'multi-eni' });
 *   const clients = sim.clientFactory();            // a lib/aws/clients ClientFactory
 *   const ec2 = await clients.ec2({ account, region });
 *   await ec2.send(new RunInstancesCommand({ ... }));
 *   sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'RequestLimitExceeded', times: 2 });
 *   ... run the pipeline with `clients` ...
 *   sim.instance(instanceId), sim.calls(), sim.stateDigest()
 *
 * The simulator's own unit tests seed state directly, ids included, through
 * test/support/sim-builder.ts; nothing in lib needs that, so this class only answers calls.
 */
import { EnvironmentBuilder } from './builder';
import type { IamCatalog } from './iam-catalog';
import type { PolicyDocument } from './iam-policy';
import { accessDenied, dryRunOperation } from './call';
import type { ApiHandler, ServiceName, SimCall } from './call';
import { cloneData } from './clone-data';
import { dynamodbHandlers } from './dynamodb';
import { ec2InstanceHandlers } from './ec2-instances';
import { ec2AddressHandlers } from './ec2-addresses';
import { route53ResolverHandlers } from './route53resolver';
import { s3CallResource, s3Handlers, s3IamAction } from './s3';
import { securityHubHandlers } from './securityhub';
import { guardDutyHandlers } from './guardduty';
import type { SecurityHubFindingRecord } from './securityhub';
import { ec2NetworkHandlers } from './ec2-network';
import { ec2SecurityGroupHandlers } from './ec2-security-groups';
import { ec2StorageHandlers } from './ec2-storage';
import { ec2SnapshotLockHandlers } from './ec2-snapshot-lock';
import { ec2SnapshotSharingHandlers, permissionChange } from './ec2-snapshot-sharing';
import { SimulatedServiceError, SimulatorSetupError, SimulatorUnsupportedApiError } from './errors';
import { FaultQueue } from './faults';
import type { FaultSpec, InjectedFault } from './faults';
import { iamHandlers } from './iam';
import { iamUserHandlers } from './iam-users';
import { kmsHandlers } from './kms';
import { dynamodbProvisioningHandlers, iamProvisioningHandlers, messagingProvisioningHandlers } from './account-provisioning';
import { ec2ProvisioningHandlers } from './ec2-provisioning';
import {
  instanceState,
  interfaceState,
  resourceState,
  securityGroupState,
  snapshotStates,
  tagRecord,
  volumeState,
} from './inspection';
import type { InstanceState, InterfaceState, SecurityGroupState, SnapshotState, VolumeState } from './inspection';
import { ensureDefaultBus, eventBridgeHandlers, sfnHandlers, snsHandlers, sqsHandlers } from './messaging';
import type { EventListener, TaskTokenHandler } from './messaging';
import type { BusEvent, CallerIdentity, Item, PublishedMessage, QueuedMessage } from './model';
import { simulatedClientFactory } from './clients';
import type { Session, SimulatedClientFactory, SimulatedClientFactoryOptions } from './clients';
import { PermissionTable } from './permissions';
import { PolicyEnforcement } from './policy-enforcement';
import type { AuthorizationFinding } from './policy-enforcement';
import type { PermissionScope } from './permissions';
import { stsHandlers } from './sts';
import { autoScalingHandlers } from './autoscaling';
import { fleetState, holdInPendingWait, placeKey } from './fleet-state';
import { CLASSIC_HANDLER_PREFIX, classicLoadBalancerHandlers, targetGroupHandlers } from './load-balancing';
import { SERVICE_BY_CLIENT, simulatedRetryStrategy, wireClient } from './wire';
import type { WirableClient, WireMode, WireRequest } from './wire';
import { SimWorld } from './world';
import type { SimulatedAwsOptions } from './world';

/** One API call as the game-day timeline shows it (every SDK attempt is one record). */
export interface CallRecord {
  readonly seq: number;
  /** Simulated time of the call. */
  readonly at: Date;
  readonly service: ServiceName;
  /** `ec2:ModifyNetworkInterfaceAttribute`. */
  readonly api: string;
  readonly account: string;
  readonly region: string;
  /** The caller's session ARN (or `unknown` for credentials the simulator never issued). */
  readonly caller: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly outcome: 'ok' | 'error';
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** True when the request carried EC2's DryRun=true on the wire. */
  readonly dryRun: boolean;
  /** True when the answer was an injected fault. */
  readonly injected: boolean;
  /** SDK attempt number of this call (1 for the first try). */
  readonly attempt: number;
  readonly requestId: string;
}

/** The simulated AWS account (see the module comment). */
export class SimulatedAws {
  /** The simulated accounts' state; protected so that test support can seed it (test/support/sim-builder.ts). */
  protected readonly world: SimWorld;
  private readonly builder: EnvironmentBuilder;
  private readonly permissions = new PermissionTable();
  private readonly faults = new FaultQueue();
  private readonly callLog: CallRecord[] = [];
  private readonly retainCalls: boolean;
  private callTotal = 0;
  private readonly handlers = new Map<string, ApiHandler>();
  private readonly customHandlers = new Map<string, ApiHandler>();
  private readonly eventListeners: EventListener[] = [];
  private taskTokenHandler: TaskTokenHandler | undefined;
  private readonly baseSessions = new Map<string, Session>();
  private readonly policies: PolicyEnforcement;
  private readonly operators = new Set<string>();
  private readonly callListeners: ((record: CallRecord) => void)[] = [];

  constructor(options: SimulatedAwsOptions = {}) {
    this.world = new SimWorld(options);
    this.retainCalls = options.retainCalls ?? true;
    this.policies = new PolicyEnforcement(this.world);
    this.builder = new EnvironmentBuilder(this.world);
    const world = this.world;
    const register = (service: ServiceName, handlers: Record<string, ApiHandler>) => {
      for (const [action, handler] of Object.entries(handlers)) this.handlers.set(`${service}:${action}`, handler);
    };
    register('ec2', ec2InstanceHandlers(world));
    register('ec2', ec2NetworkHandlers(world));
    register('ec2', ec2SecurityGroupHandlers(world));
    register('ec2', ec2StorageHandlers(world));
    register('ec2', ec2SnapshotLockHandlers(world));
    register('ec2', ec2AddressHandlers(world));
    register('route53resolver', route53ResolverHandlers(world));
    register('s3', s3Handlers(world));
    register('securityhub', securityHubHandlers(world.securityHub, () => world.now()));
    register('guardduty', guardDutyHandlers(world.guardDuty));
    register('ec2', ec2SnapshotSharingHandlers(world));
    register('iam', iamHandlers(world));
    register('iam', iamUserHandlers(world));
    register('sts', stsHandlers(world, (identity, expiresAt) => this.issue(identity, expiresAt)));
    register('sns', snsHandlers(world));
    register('sqs', sqsHandlers(world));
    register('events', eventBridgeHandlers(world, () => this.eventListeners));
    register('states', sfnHandlers(() => this.taskTokenHandler));
    register('dynamodb', dynamodbHandlers(world));
    register('kms', kmsHandlers(world));
    register('autoscaling', autoScalingHandlers(world));
    register('elasticloadbalancing', targetGroupHandlers(world));
    // The Classic Load Balancer API shares IAM prefix and action names with v2: kept apart, picked by client.
    for (const [action, handler] of Object.entries(classicLoadBalancerHandlers(world))) this.handlers.set(`${CLASSIC_HANDLER_PREFIX}:${action}`, handler);
    // Creating and deleting environments (the endpoint game-day backend, pointed at the simulator).
    register('ec2', ec2ProvisioningHandlers(world));
    register('iam', iamProvisioningHandlers(world));
    const messaging = messagingProvisioningHandlers(world);
    register('sns', messaging.sns);
    register('sqs', messaging.sqs);
    register('dynamodb', dynamodbProvisioningHandlers(world));
  }

  // ---- clock -----------------------------------------------------------------------------------

  /** The simulated time. */
  now(): Date {
    return new Date(this.world.now());
  }

  /** Moves simulated time forward (instance transitions and snapshots progress with it). */
  advance(ms: number): void {
    this.world.clock.advance(ms);
    this.world.settle();
  }

  /** The default account and region of builder calls. */
  get defaultAccount(): string {
    return this.world.options.defaultAccount;
  }

  get defaultRegion(): string {
    return this.world.options.defaultRegion;
  }

  // ---- identities and permissions --------------------------------------------------------------

  /** Credentials for a role (created when missing), as the role's own session would hold them. */
  credentialsFor(principalArn: string): { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string } {
    const existing = this.baseSessions.get(principalArn);
    if (existing) return existing;
    const role = this.builder.roleForArn(principalArn);
    const identity: CallerIdentity = {
      account: role.account,
      principalArn: role.arn,
      sessionArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/firebreak-gameday`,
      userId: `${role.id}:firebreak-gameday`,
    };
    const session = this.issue(identity, undefined);
    this.baseSessions.set(principalArn, session);
    return session;
  }

  private issue(identity: CallerIdentity, expiresAt: number | undefined): Session {
    const session: Session = {
      accessKeyId: `ASIA${this.world.ids.upperAlnum(16)}`,
      secretAccessKey: this.world.ids.hex(40),
      sessionToken: `FwoGZXIvYXdzE${this.world.ids.hex(48)}`,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    // Every session carries its issue time (aws:TokenIssueTime), as AWS's temporary credentials do.
    this.world.credentials.set(session.accessKeyId, { ...session, identity: { ...identity, issuedAt: identity.issuedAt ?? this.world.now() } });
    return session;
  }

  /** Denies IAM actions (`ec2:ModifyInstanceAttribute`, `ec2:*`) to a principal, an account, or everyone. */
  denyActions(actions: readonly string[], scope?: PermissionScope): void {
    this.permissions.deny(actions, scope);
  }

  /**
   * Makes a principal the rehearsal's operator (the game-day backend preparing, inspecting and
   * cleaning up the account): its calls are answered and logged like any other, but injected
   * faults and `denyActions` never apply to them, as the rehearsed failures are the responders'.
   */
  /** Makes every later copy of a snapshot of `volumeId` fail late: accepted, `pending`, then `error` with `stateMessage`. */
  failCopiesLate(volumeId: string, stateMessage: string): void {
    this.world.lateCopyFailures.set(volumeId, stateMessage);
  }

  /**
   * Once, right after the first ModifySnapshotAttribute that adds a createVolumePermission to a
   * snapshot of a volume attached to `instanceId` succeeds, the instance's tag `key` is deleted, as
   * its owner would delete it: between that share and whatever the sharer calls next (a game day's
   * `tamper: { untagAfterShare }`). Made on the world directly, so it is not in the call log.
   */
  untagAfterShare(instanceId: string, key: string): void {
    const stop = this.onCall((record) => {
      if (record.api !== 'ec2:ModifySnapshotAttribute' || record.outcome !== 'ok' || record.dryRun) return;
      const added = permissionChange(record.input).add;
      if (added.users.length === 0 && added.groups.length === 0) return;
      const snapshot = this.world.snapshots.get(String(record.input.SnapshotId));
      if (snapshot === undefined || this.world.volumes.get(snapshot.volumeId)?.attachment?.instanceId !== instanceId) return;
      this.world.instances.get(instanceId)?.tags.delete(key);
      stop();
    });
  }

  /**
   * Once, right after the first CreateSnapshots of `instanceId` succeeds, the `firebreak:incident`
   * tag of every snapshot of its data volumes (not its root device's) is set to `value`, as anyone
   * allowed ec2:CreateTags on snapshots of the account would set it (a lock keeps a snapshot from
   * deletion, not its tags from change): between snapshot-volumes and copy-evidence (a game day's
   * `tamper: { retagEvidenceAfterSnapshot }`, row 3x). Made on the world directly, so it is not in
   * the call log.
   */
  retagEvidenceAfterSnapshot(instanceId: string, value: string): void {
    const stop = this.onCall((record) => {
      if (record.api !== 'ec2:CreateSnapshots' || record.outcome !== 'ok' || record.dryRun) return;
      const instance = this.world.instances.get(instanceId);
      if (instance === undefined || (record.input.InstanceSpecification as { InstanceId?: unknown } | undefined)?.InstanceId !== instanceId) return;
      for (const snapshot of this.world.snapshots.values()) {
        const attachment = this.world.volumes.get(snapshot.volumeId)?.attachment;
        if (attachment?.instanceId !== instanceId || attachment.device === instance.rootDeviceName || !snapshot.tags.has('firebreak:incident')) continue;
        snapshot.tags.set('firebreak:incident', value);
      }
      stop();
    });
  }

  /**
   * Once, right after the first CreateSnapshots of `instanceId` succeeds, a second snapshot of each
   * of its data volumes (not its root device's) is made one simulated second later, with the
   * description and tags of that volume's evidence, as anyone allowed ec2:CreateSnapshot and
   * ec2:CreateTags in the account could make it: between snapshot-volumes and copy-evidence (a game
   * day's `tamper: { forgeEvidenceAfterSnapshot }`, row 3y). Made on the world directly, so it is
   * not in the call log.
   */
  forgeEvidenceAfterSnapshot(instanceId: string): void {
    const stop = this.onCall((record) => {
      if (record.api !== 'ec2:CreateSnapshots' || record.outcome !== 'ok' || record.dryRun) return;
      const instance = this.world.instances.get(instanceId);
      if (instance === undefined || (record.input.InstanceSpecification as { InstanceId?: unknown } | undefined)?.InstanceId !== instanceId) return;
      for (const snapshot of [...this.world.snapshots.values()]) {
        const attachment = this.world.volumes.get(snapshot.volumeId)?.attachment;
        if (attachment?.instanceId !== instanceId || attachment.device === instance.rootDeviceName || !snapshot.tags.has('firebreak:incident')) continue;
        const later = this.world.now() + 1000;
        const { lock: _lock, createVolumePermissions: _shares, ...rest } = snapshot;
        const forged = { ...rest, id: this.world.ids.resourceId('snap'), startTime: later, completesAt: later + this.world.options.snapshotCompletionMs, tags: new Map(snapshot.tags) };
        this.world.snapshots.set(forged.id, forged);
      }
      stop();
    });
  }

  /**
   * Now, a snapshot of each EBS volume attached to `instanceId`, with `description` and `tags`, as
   * anyone allowed ec2:CreateSnapshot and ec2:CreateTags in the account could make it: the
   * evidence's marks of an incident whose key is predictable, before snapshot-volumes runs (a game
   * day's `tamper: { forgeEvidenceBeforeSnapshot }`, row 3za). Made on the world directly, so it is
   * not in the call log.
   */
  forgeSnapshotsOf(instanceId: string, description: string, tags: readonly { readonly Key: string; readonly Value: string }[]): void {
    for (const volume of [...this.world.volumes.values()]) {
      if (volume.attachment?.instanceId !== instanceId) continue;
      const id = this.world.ids.resourceId('snap');
      const now = this.world.now();
      this.world.snapshots.set(id, {
        id,
        account: volume.account,
        region: volume.region,
        volumeId: volume.id,
        volumeSize: volume.sizeGiB,
        description,
        startTime: now,
        completesAt: now + this.world.options.snapshotCompletionMs,
        encrypted: volume.encrypted,
        ...(volume.kmsKeyId !== undefined ? { kmsKeyId: volume.kmsKeyId } : {}),
        tags: new Map(tags.map((tag) => [tag.Key, tag.Value])),
      });
    }
  }

  /**
   * Once, right after the first CopySnapshot of a snapshot of a volume attached to `instanceId`
   * succeeds, the instance's tag `key` is deleted, as its owner would delete it: between that copy
   * and whatever the copier calls next (a game day's `tamper: { untagAfterCopy }`). Made on the
   * world directly, so it is not in the call log.
   */
  untagAfterCopy(instanceId: string, key: string): void {
    const stop = this.onCall((record) => {
      if (record.api !== 'ec2:CopySnapshot' || record.outcome !== 'ok' || record.dryRun) return;
      const snapshot = this.world.snapshots.get(String(record.input.SourceSnapshotId));
      if (snapshot === undefined || this.world.volumes.get(snapshot.volumeId)?.attachment?.instanceId !== instanceId) return;
      this.world.instances.get(instanceId)?.tags.delete(key);
      stop();
    });
  }

  addOperator(principalArn: string): void {
    this.operators.add(principalArn);
  }

  /** Calls `listener` with every call record as it is logged; returns the unsubscribe function. */
  onCall(listener: (record: CallRecord) => void): () => void {
    this.callListeners.push(listener);
    return () => {
      const index = this.callListeners.indexOf(listener);
      if (index >= 0) this.callListeners.splice(index, 1);
    };
  }

  /**
   * Holds members of an Auto Scaling group in Pending:Wait under its launch hooks, as if it had just
   * launched them `elapsedMs` ago (fleet-state.ts): no AWS API puts an existing instance there.
   */
  holdInPendingWait(account: string, region: string, groupName: string, instanceIds: readonly string[], elapsedMs: number): void {
    const group = fleetState(this.world).groups.get(placeKey(account, region, groupName));
    if (!group) throw new SimulatorSetupError(`cannot hold instances in Pending:Wait: no Auto Scaling group ${groupName} in ${account}/${region}`);
    holdInPendingWait(this.world, group, instanceIds, elapsedMs);
  }

  /** The next instances RunInstances launches get these ids, in order (a scenario's fixed ids). */
  presetInstanceIds(ids: readonly string[]): void {
    this.world.presetInstanceIds.push(...ids);
  }

  /**
   * Enforces identity policies for a role (by role ARN): from now on each of its calls is
   * evaluated against them as IAM would (action, resource ARN, condition keys; an explicit Deny
   * wins; nothing allowed is denied), with the catalog giving each action's resource types and
   * condition keys. Roles without policies keep the permissive default (plus `denyActions`).
   */
  enforceIdentityPolicies(principalArn: string, documents: readonly PolicyDocument[], catalog: IamCatalog): void {
    this.policies.enforceIdentityPolicies(principalArn, documents, catalog);
  }

  /** Gives an existing role a new trust policy (a deployed template's), which AssumeRole evaluates from now on (sts.ts). */
  enforceTrustPolicy(roleArn: string, document: PolicyDocument): void {
    const role = this.world.roles.get(roleArn);
    if (!role) throw new SimulatorSetupError(`cannot enforce a trust policy on ${roleArn}: no such role in the simulated account`);
    role.trustPolicy = document;
  }

  /**
   * Enforces a resource-based policy (a KMS key policy, a queue, topic or table policy). A key
   * policy is authoritative: it grants on its own, and identity policies count only where it
   * delegates to the account; other resource policies add to identity policies in the same
   * account. An explicit Deny in either wins, and a Deny binds the principals without enforced
   * identity policies too (an administrator, an attacker's role), the rehearsal's operators aside.
   */
  enforceResourcePolicy(resourceArn: string, document: PolicyDocument, authoritative: boolean): void {
    this.policies.enforceResourcePolicy(resourceArn, document, authoritative);
  }

  /**
   * The organization of the simulated accounts (`aws:ResourceOrgID`, `aws:PrincipalOrgID`): every
   * account, or only `accounts` when given (any other account then belongs to no organization).
   */
  setOrganization(organizationId: string | undefined, accounts?: readonly string[]): void {
    this.policies.setOrganization(organizationId, accounts);
  }

  /** Conditions the simulated account could not evaluate, one per principal, action and key. */
  authorizationFindings(): readonly AuthorizationFinding[] {
    return this.policies.findings();
  }

  /**
   * Authorizes a call made outside the SDK clients (a state machine's own Lambda invocations and
   * StartExecution, which the engine plays): undefined when allowed, else the AccessDenied message.
   */
  authorizeServiceCall(principalArn: string, iamAction: string, resourceArn: string, input: Readonly<Record<string, unknown>> = {}): string | undefined {
    const [service] = iamAction.split(':') as [ServiceName];
    const account = /^arn:aws:iam::(\d{12}):/.exec(principalArn)?.[1] ?? this.defaultAccount;
    const name = principalArn.split('/').pop() ?? principalArn;
    const caller: CallerIdentity = { account, principalArn, sessionArn: `arn:aws:sts::${account}:assumed-role/${name}/firebreak-gameday`, userId: `AROA${name}:firebreak-gameday` };
    const region = resourceArn.split(':')[3] || this.defaultRegion;
    try {
      this.policies.evaluate(service, { service, action: iamAction.split(':')[1] ?? '', api: iamAction, input, caller, account, region, dryRun: false }, iamAction, resourceArn);
      return undefined;
    } catch (error) {
      if (error instanceof SimulatedServiceError) return error.message;
      throw error;
    }
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Answers the next `times` attempts of an API with an error (consumed in injection order). */
  injectFault(spec: FaultSpec): InjectedFault {
    return this.faults.inject(spec);
  }

  pendingFaults(): InjectedFault[] {
    return this.faults.pending();
  }

  // ---- hooks -----------------------------------------------------------------------------------

  /** Where SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat go (the engine running the state machines). */
  onTaskToken(handler: TaskTokenHandler | undefined): void {
    this.taskTokenHandler = handler;
  }

  // ---- Security Hub ----------------------------------------------------------------------------

  /** Subscribes an account and region to Security Hub (the scenario's `environment.securityHub`). */
  enableSecurityHub(account: string, region: string): void {
    this.world.securityHub.enable(account, region);
  }

  /** GuardDuty's export of a finding (a GuardDuty Finding event's `detail`) to the Security Hub of its account and region. */
  exportGuardDutyFinding(detail: unknown): void {
    this.world.securityHub.importGuardDutyFinding(detail);
  }

  // ---- GuardDuty -------------------------------------------------------------------------------

  /** The account whose detectors hold every account's findings (GuardDuty's delegated administrator: the security account). */
  setGuardDutyAdministrator(account: string): void {
    this.world.guardDuty.setAdministrator(account);
  }

  /** GuardDuty records a finding it emits (a GuardDuty Finding event's `detail`): GetFindings answers it from then on. */
  recordGuardDutyFinding(detail: unknown): void {
    this.world.guardDuty.record(detail);
  }

  /** Every finding of the simulated Security Hubs, as they are now. */
  securityHubFindings(): SecurityHubFindingRecord[] {
    return [...this.world.securityHub.findings.values()].map((finding) => cloneData({ ...finding }));
  }

  /** Called for every event PutEvents accepts; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.eventListeners.push(listener);
    return () => {
      const index = this.eventListeners.indexOf(listener);
      if (index >= 0) this.eventListeners.splice(index, 1);
    };
  }

  /** Every API this account answers (`ec2:ModifyNetworkInterfaceAttribute`, `s3:HeadObject`…), as the call log names them. */
  answeredApis(): string[] {
    const names = [...this.handlers.keys(), ...this.customHandlers.keys()].map((api) =>
      api.startsWith(`${CLASSIC_HANDLER_PREFIX}:`) ? `elasticloadbalancing:${api.slice(CLASSIC_HANDLER_PREFIX.length + 1)}` : api,
    );
    return [...new Set(names)].sort();
  }

  /**
   * Answers one more API (`states:StartExecution`...) or replaces a built-in one. The handler gets
   * the call (input, caller, account, region) after faults and permissions, and returns the output
   * or throws a SimulatedServiceError.
   */
  defineApi(api: string, handler: ApiHandler): void {
    if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(api)) throw new SimulatorSetupError(`'${api}' is not an API name like states:StartExecution`);
    this.customHandlers.set(api, handler);
  }

  // ---- clients ---------------------------------------------------------------------------------

  /** Wires any SDK v3 client whose credentials the simulator issued (credentialsFor, sts:AssumeRole). */
  attach<C extends WirableClient>(client: C, options: { readonly wire?: WireMode } = {}): C {
    return wireClient(
      client,
      {
        answer: (request) => this.answer(request),
        newRequestId: () => this.world.ids.uuid(),
      },
      options.wire ?? 'fast',
    );
  }

  /**
   * The ClientFactory responders take (lib/aws/clients.ts), backed by the simulator, plus STS,
   * SQS and EventBridge clients. Clients are cached per account and region.
   */
  clientFactory(options: SimulatedClientFactoryOptions = {}): SimulatedClientFactory {
    return simulatedClientFactory(
      {
        defaultAccount: this.defaultAccount,
        defaultRegion: this.defaultRegion,
        now: () => this.now(),
        roleForArn: (principalArn) => this.builder.roleForArn(principalArn),
        credentialsFor: (principalArn) => this.credentialsFor(principalArn),
        attach: (client, attachOptions) => this.attach(client, attachOptions),
        retryStrategy: (maxAttempts) => simulatedRetryStrategy(this.world.clock, maxAttempts),
      },
      options,
    );
  }

  // ---- dispatch --------------------------------------------------------------------------------

  private answer(request: WireRequest): object {
    this.world.settle();
    const service = SERVICE_BY_CLIENT[request.clientName] as ServiceName;
    const action = request.commandName.replace(/Command$/, '');
    const api = `${service}:${action}`;
    const issued = this.world.credentials.get(request.accessKeyId);
    const identity = issued?.identity;
    const account = identity?.account ?? 'unknown';
    const dryRun = service === 'ec2' && request.wireDryRun;
    const base = {
      seq: this.callTotal + 1,
      at: new Date(this.world.now()),
      service,
      api,
      account,
      region: request.region,
      caller: identity?.sessionArn ?? 'unknown',
      input: cloneData(request.input) as Record<string, unknown>,
      dryRun,
      attempt: request.attempt,
      requestId: request.requestId,
    };
    let injected = false;
    try {
      const handler =
        this.customHandlers.get(api) ??
        this.handlers.get(request.clientName === 'ElasticLoadBalancingClient' ? `${CLASSIC_HANDLER_PREFIX}:${action}` : api);
      if (!handler) throw new SimulatorUnsupportedApiError(api, request.commandName);
      if (!identity) throw unrecognizedCredentials(service);
      if (issued.expiresAt !== undefined && issued.expiresAt <= this.world.now()) throw expiredCredentials(service);
      const operator = this.operators.has(identity.principalArn);
      const fault = operator ? undefined : this.faults.take(api, account, request.region, request.input);
      if (fault && !fault.takesEffect) {
        injected = true;
        throw fault.error;
      }
      const permissions = this.permissions;
      const evaluate = (iamAction: string, resource: string | undefined) => this.policies.evaluate(service, facts, iamAction, resource, operator);
      const facts = { service, action, api, input: request.input, caller: identity, account, region: request.region, dryRun };
      const call: SimCall = {
        service,
        action,
        api,
        input: request.input,
        caller: identity,
        account,
        region: request.region,
        dryRun,
        authorize(iamAction: string, resource?: string) {
          const reason = operator ? undefined : permissions.denialReason(identity, iamAction);
          if (reason !== undefined) throw accessDenied(service, identity, iamAction, reason, resource);
          evaluate(iamAction, resource);
        },
        dryRunGate() {
          if (dryRun) throw dryRunOperation();
        },
      };
      // "No permissions are required to perform this operation" (sts:GetCallerIdentity).
      // S3 authorizes on IAM actions that are not its API names (HeadObject is s3:GetObject).
      if (service === 's3') call.authorize(s3IamAction(action, request.input), s3CallResource(action, request.input));
      else if (api !== 'sts:GetCallerIdentity') call.authorize(api, typeof request.input.RoleArn === 'string' ? request.input.RoleArn : undefined);
      const output = handler(call);
      // A fault that takes effect: the call is carried out (authorized, the change made), its answer lost.
      if (fault) {
        injected = true;
        throw fault.error;
      }
      this.log({ ...base, outcome: 'ok', injected });
      return cloneData(output);
    } catch (error) {
      const code = error instanceof SimulatedServiceError ? error.code : error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      this.log({ ...base, outcome: 'error', errorCode: code, errorMessage: message, injected });
      throw error;
    }
  }

  private log(record: CallRecord): void {
    this.callTotal += 1;
    if (this.retainCalls) this.callLog.push(record);
    for (const listener of this.callListeners) listener(record);
  }

  // ---- inspection ------------------------------------------------------------------------------

  /** Every call so far, in order (optionally only those of one API, e.g. `ec2:CreateSnapshots`). */
  calls(filter?: { readonly api?: string; readonly service?: ServiceName; readonly outcome?: 'ok' | 'error' }): CallRecord[] {
    if (!this.retainCalls) throw new Error('this simulated account does not keep its calls (retainCalls: false): count them with callCount()');
    return this.callLog.filter(
      (c) =>
        (filter?.api === undefined || c.api === filter.api) &&
        (filter?.service === undefined || c.service === filter.service) &&
        (filter?.outcome === undefined || c.outcome === filter.outcome),
    );
  }
  /** How many calls were made so far (kept in the log or not). */
  callCount(): number {
    return this.callTotal;
  }


  /** An instance as it is now (undefined once it is gone). */
  instance(id: string): InstanceState | undefined {
    this.world.settle();
    return instanceState(this.world, id);
  }

  networkInterface(id: string): InterfaceState | undefined {
    this.world.settle();
    return interfaceState(this.world, id);
  }

  volume(id: string): VolumeState | undefined {
    this.world.settle();
    return volumeState(this.world, id);
  }

  securityGroup(id: string): SecurityGroupState | undefined {
    const group = this.world.securityGroups.get(id);
    return group ? securityGroupState(group) : undefined;
  }

  /**
   * Makes a group another account's, shared with the one that made it (a game-day setup: a shared
   * VPC's owner made it and shares it into the VPC through RAM). Same id, name, rules and tags.
   */
  shareSecurityGroupFrom(id: string, owner: string): void {
    const group = this.world.securityGroups.get(id);
    if (!group) throw new Error(`no security group ${id}`);
    this.world.securityGroups.set(id, { ...group, account: owner, sharedWith: [group.account] });
  }

  /**
   * A DNS Firewall rule group another account (`owner`) made and shares with `sharedWith` through RAM
   * (a game-day setup: a member account's lookalike of Firebreak's group). Empty, tagged as given.
   */
  addSharedFirewallRuleGroup(spec: { owner: string; sharedWith: string; region: string; name: string; creatorRequestId: string; tags?: Readonly<Record<string, string>> }): string {
    const id = this.world.ids.resourceId('rslvr-frg');
    this.world.dnsFirewall.ruleGroups.set(id, {
      account: spec.owner,
      region: spec.region,
      id,
      arn: `arn:aws:route53resolver:${spec.region}:${spec.owner}:firewall-rule-group/${id}`,
      name: spec.name,
      creatorRequestId: spec.creatorRequestId,
      rules: [],
      tags: new Map(Object.entries(spec.tags ?? {})),
      sharedWith: [spec.sharedWith],
    });
    return id;
  }

  /** The security groups of one VPC, by name (e.g. to find the isolation groups a responder created). */
  securityGroupsInVpc(vpcId: string): SecurityGroupState[] {
    return [...this.world.securityGroups.values()].filter((g) => g.vpcId === vpcId).map(securityGroupState);
  }

  /** Snapshots of one volume, oldest first. */
  snapshotsForVolume(volumeId: string): SnapshotState[] {
    return snapshotStates(this.world, volumeId);
  }

  /** Every snapshot, oldest first. */
  snapshots(): SnapshotState[] {
    return snapshotStates(this.world);
  }

  /** Messages published to one topic (or all topics). */
  publishedMessages(topicArn?: string): PublishedMessage[] {
    return [...this.world.topics.values()].filter((t) => topicArn === undefined || t.arn === topicArn).flatMap((t) => [...t.messages]);
  }

  /** Messages sent to one queue (or all queues). */
  queueMessages(queueUrl?: string): QueuedMessage[] {
    return [...this.world.queues.values()].filter((q) => queueUrl === undefined || q.url === queueUrl).flatMap((q) => [...q.messages]);
  }

  /** Events PutEvents accepted, on one bus (name or ARN) or all. */
  busEvents(bus?: string): BusEvent[] {
    ensureDefaultBus(this.world, this.defaultAccount, this.defaultRegion);
    return [...this.world.eventBuses.values()].filter((b) => bus === undefined || b.name === bus || b.arn === bus).flatMap((b) => [...b.events]);
  }

  /** The items of a table (by name in the default account and region, or by ARN), in wire shape. */
  tableItems(table: string): Item[] {
    const record = [...this.world.tables.values()].find(
      (t) => t.arn === table || (t.name === table && t.account === this.defaultAccount && t.region === this.defaultRegion),
    );
    if (!record) throw new SimulatorSetupError(`no table ${table}`);
    return [...record.items.values()].map((item) => cloneData(item));
  }

  /** Tags of any EC2 resource by id. */
  tagsOf(resourceId: string): Readonly<Record<string, string>> | undefined {
    const w = this.world;
    const tags =
      w.instances.get(resourceId)?.tags ??
      w.volumes.get(resourceId)?.tags ??
      w.snapshots.get(resourceId)?.tags ??
      w.securityGroups.get(resourceId)?.tags ??
      w.networkInterfaces.get(resourceId)?.tags ??
      w.vpcs.get(resourceId)?.tags ??
      w.subnets.get(resourceId)?.tags;
    return tags ? tagRecord(tags) : undefined;
  }

  /** Every resource as plain, key-sorted data (no call log, messages or events). */
  state(): unknown {
    this.world.settle();
    return resourceState(this.world);
  }

  /** A deterministic JSON digest of every resource, for "what must not have changed" comparisons. */
  stateDigest(): string {
    return JSON.stringify(this.state());
  }

}

function unrecognizedCredentials(service: ServiceName): SimulatedServiceError {
  if (service === 'ec2') return new SimulatedServiceError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  if (service === 'iam' || service === 'sts' || service === 'sns') {
    return new SimulatedServiceError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  }
  return new SimulatedServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
}

function expiredCredentials(service: ServiceName): SimulatedServiceError {
  if (service === 'ec2') return new SimulatedServiceError('RequestExpired', 'Request has expired.', 400);
  if (service === 'iam' || service === 'sts' || service === 'sns') {
    return new SimulatedServiceError('ExpiredToken', 'The security token included in the request is expired', 400);
  }
  return new SimulatedServiceError('ExpiredTokenException', 'The security token included in the request is expired', 400);
}
