/**
 * The embedded default: the game day's account is the in-process simulated account
 * (lib/gameday/sim), which answers real SDK clients with AWS's behaviours and error codes. The
 * game-day backend (account-backend/) prepares, inspects and cleans up through it exactly as
 * through an endpoint; what is local is how the clients reach it and the simulator's own
 * abilities: injected faults and denied actions, IAM-policy evaluation, and the simulated clock
 * (nothing reads the wall clock but the timeline's wall-time column).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeSnapshotAttributeCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectTaggingCommand, ListObjectVersionsCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { bareETag, QUARANTINE_PREFIX } from '../responders/s3-malware-object';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ClientFactory } from '../aws/clients';
import { RESPONDER_NAMES } from '../contracts/responders';
import { FORENSIC_COPY_TAG_KEYS } from '../responders/snapshot-copy';
import { CUSTODY_KEY_PREFIX } from '../responders/snapshot-custody';
import { DEFAULT_FORENSIC_ROLE_NAME } from '../contracts/security';
import { AccountBackend } from './account-backend/account-backend';
import type { OperatorClients } from './account-backend/context';
import { EnvironmentSetupError } from './account-backend/context';
import { describeExecution, executionHistory, startExecution } from './account-backend/executions';
import { faultSpecOf } from './account-backend/deployment-resources';
import type { AccountInspection, ExecutionDirectory, ExecutionStarter, ForensicAccount, ForensicInspection, GameDayCall, InspectedSecurityHubFinding, GameDayClients, QuarantineBucketInspection, RehearsalFinding, ResolvedEnvironment } from './backend';
import { LOCAL_ORGANIZATION_ID, responderRole } from './deployment';
import { wallClockMs } from './backend';
import type { EnvironmentDocument, SettingsDocument } from './scenario';
import { SimulatedAws, loadIamCatalog } from './sim';
import type { CallRecord, PolicyDocument, TaskTokenHandler } from './sim';

/** The role the backend prepares, inspects and cleans up as (the simulated account's operator). */
/** The game day's own operator (its calls are not the run's: left out of the call log). */
export const OPERATOR_ROLE = 'firebreak-gameday-operator';
/** Simulated time between two polls (instance transitions take 30 simulated seconds). */
const POLL_INTERVAL_MS = 5_000;

export interface LocalBackendOptions {
  /** Seed of the simulated account's ids (default `firebreak-gameday`). */
  readonly seed?: string;
  readonly account?: string;
  readonly region?: string;
  /** Simulated time at start. */
  readonly start?: Date | string;
  /**
   * Keep every call for `callLog()` (default true; expectations and the timeline read it). The
   * storm bench, which only counts calls, turns it off: `callCount()` still counts every call.
   */
  readonly retainCalls?: boolean;
  /** Keep each published alert's body (default true); see SimulatedAwsOptions.retainMessageBodies. */
  readonly retainMessageBodies?: boolean;
}

/** The game-day backend over one SimulatedAws per scenario. */
export class LocalBackend extends AccountBackend {
  readonly description = 'local simulated account';
  readonly sim: SimulatedAws;
  private readonly operatorArn: string;
  private readonly factories = new Map<string, GameDayClients>();
  private readonly calls: GameDayCall[] = [];
  private readonly retainCalls: boolean;
  private callTotal = 0;
  private forensic: { readonly account: ForensicAccount; readonly region: string; readonly stateTable: string } | undefined;
  private quarantineBucket: { readonly bucket: string; readonly account: string; readonly region: string } | undefined;
  /**
   * The environment's account when it is a member account (settings.securityAccount): the
   * operator's clients create and inspect the environment there, and the deployment's roles
   * (`deployedRoles`) reach it through their member-account roles once prepareMemberRoles made them (`roles`).
   */
  private member:
    | {
        readonly account: string;
        roles?: {
          /** Each deployed role (local name) → the member-account role it assumes there (a responder's own). */
          readonly deployedRoles: ReadonlyMap<string, string>;
          /** What each deployed role sends as ExternalId when it assumes one of them. */
          readonly externalIds: ReadonlyMap<string, string>;
        };
      }
    | undefined;
  /** The scenario declares Security Hub (environment.securityHub): its findings are inspected. */
  private securityHub = false;

  constructor(options: LocalBackendOptions = {}) {
    super({
      runId: 'local',
      prefix: 'firebreak',
      imageId: 'ami-0123456789abcdef0',
      pollIntervalMs: POLL_INTERVAL_MS,
      // Simulated waits never time out on the wall clock: instance transitions settle within a few polls.
      waitTimeoutMs: 60_000,
      report: (line) => process.stderr.write(`${line}\n`),
    });
    this.sim = new SimulatedAws({
      seed: options.seed ?? 'firebreak-gameday',
      defaultAccount: options.account ?? '111122223333',
      defaultRegion: options.region ?? 'eu-west-1',
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.retainCalls === false ? { retainCalls: false } : {}),
      ...(options.retainMessageBodies === false ? { retainMessageBodies: false } : {}),
    });
    this.retainCalls = options.retainCalls ?? true;
    this.operatorArn = `arn:aws:iam::${this.sim.defaultAccount}:role/${OPERATOR_ROLE}`;
    this.sim.addOperator(this.operatorArn);
    this.sim.onCall((record) => {
      if (record.caller.includes(`:assumed-role/${OPERATOR_ROLE}/`)) return;
      this.callTotal += 1;
      if (this.retainCalls) this.calls.push(gameDayCall(record, this.callTotal));
    });
  }

  override async prepare(environment: EnvironmentDocument, settings: SettingsDocument): Promise<ResolvedEnvironment> {
    const { account, region } = environment;
    const securityAccount = settings.securityAccount ?? account;
    if (securityAccount !== this.sim.defaultAccount || region !== this.sim.defaultRegion) {
      throw new EnvironmentSetupError(
        `the local backend was made for ${this.sim.defaultAccount}/${this.sim.defaultRegion} but the deployment is in ${securityAccount}/${region}`,
      );
    }
    if (settings.securityAccount !== undefined) {
      if (account === settings.securityAccount) {
        throw new EnvironmentSetupError(`settings.securityAccount names the environment's own account ${account}: leave it out for a single-account game day, or give the environment a member account`);
      }
      // A second account of the organization, made and inspected by its own operator.
      this.member = { account };
      this.sim.addOperator(`arn:aws:iam::${account}:role/${OPERATOR_ROLE}`);
    }
    // The organization holds the deployment's accounts only: an account a finding names outside
    // them is outside the organization, where the member role may not be assumed (aws:ResourceOrgID).
    // A quarantine bucket's account joins them: its policy admits the organization's roles (aws:PrincipalOrgID).
    if (settings.securityAccount !== undefined || settings.quarantineBucket !== undefined) {
      const accounts = [securityAccount, ...(settings.securityAccount !== undefined ? [account] : []), ...(settings.forensicAccount !== undefined ? [settings.forensicAccount] : []), ...(settings.quarantineBucket !== undefined ? [settings.quarantineBucket.account] : [])];
      this.sim.setOrganization(LOCAL_ORGANIZATION_ID, [...new Set(accounts)]);
    }
    const resolved = await super.prepare(environment, settings);
    if (settings.quarantineBucket !== undefined) this.quarantineBucket = await this.prepareQuarantineBucket(settings.quarantineBucket, settings.quarantineBucket.region ?? region);
    const quarantineBucket = this.quarantineBucket ? { quarantineBucket: { bucket: this.quarantineBucket.bucket, account: this.quarantineBucket.account } } : {};
    this.securityHub = environment.securityHub !== undefined;
    if (environment.securityHub?.enabled === true) this.sim.enableSecurityHub(account, region);
    if (settings.forensicAccount === undefined) return { ...resolved, ...quarantineBucket };
    // The environment may be the forensic account itself only as a member account of an organization
    // deployment (a finding about a forensic workstation, which Firebreak must leave to a person).
    if (settings.forensicAccount === account && this.member === undefined) {
      throw new EnvironmentSetupError('settings.forensicAccount must differ from the environment account (the copy leaves the member account), unless the environment is a member account (settings.securityAccount)');
    }
    this.forensic = { account: await this.prepareForensicAccount(settings.forensicAccount, securityAccount, region), region, stateTable: resolved.deployment.stateTableName };
    for (const fault of settings.forensicCopyFailsLate) {
      const volume = resolved.instances[fault.instance]?.volumes.find((candidate) => candidate.device === fault.device);
      if (volume === undefined) throw new EnvironmentSetupError(`settings.forensicCopyFailsLate names ${fault.instance} ${fault.device}, which is not a volume of the environment`);
      this.sim.failCopiesLate(volume.volumeId, fault.stateMessage);
    }
    return { ...resolved, ...quarantineBucket, forensic: this.forensic.account };
  }

  protected override readonly makesSharedResources = true;

  protected override async shareGroupsFromOwners(environment: EnvironmentDocument, groups: Readonly<Record<string, string>>): Promise<void> {
    for (const [name, spec] of Object.entries(environment.securityGroups)) {
      if (spec.sharedBy === undefined) continue;
      if (spec.sharedBy === environment.account) throw new EnvironmentSetupError(`security group '${name}' is sharedBy the environment's own account ${environment.account}: leave sharedBy out`);
      this.sim.shareSecurityGroupFrom(groups[name] as string, spec.sharedBy);
    }
    for (const [name, spec] of Object.entries(environment.sharedDnsFirewallRuleGroups)) {
      if (spec.sharedBy === environment.account) throw new EnvironmentSetupError(`sharedDnsFirewallRuleGroups.${name} is sharedBy the environment's own account ${environment.account}`);
      this.sim.addSharedFirewallRuleGroup({ owner: spec.sharedBy, sharedWith: environment.account, region: environment.region, name: spec.name, creatorRequestId: spec.creatorRequestId, ...(spec.tags ? { tags: spec.tags } : {}) });
    }
  }

  override async inspect(): Promise<AccountInspection> {
    const inspected = await super.inspect();
    const securityHub = this.securityHub ? { securityHub: this.securityHubFindings() } : {};
    const quarantineBucket = this.quarantineBucket ? { quarantineBucket: await this.inspectQuarantineBucket(this.quarantineBucket) } : {};
    return this.forensic ? { ...inspected, ...securityHub, ...quarantineBucket, forensic: await this.inspectForensicAccount(this.forensic) } : { ...inspected, ...securityHub, ...quarantineBucket };
  }

  /**
   * The quarantine bucket (settings.quarantineBucket), made by its own account's operator: versioned,
   * with its policy (after the bucket exists, as an owner would). Its account's principals need no
   * policy; every other account's role writes only where both its identity policy and this allow.
   */
  private async prepareQuarantineBucket(quarantine: NonNullable<SettingsDocument['quarantineBucket']>, region: string): Promise<{ bucket: string; account: string; region: string }> {
    const operator = this.quarantineOperator(quarantine.account, region);
    const s3 = await operator.s3({ account: quarantine.account, region });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: quarantine.bucket, ...(region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}) }));
      await s3.send(new PutBucketVersioningCommand({ Bucket: quarantine.bucket, VersioningConfiguration: { Status: 'Enabled' } }));
      if (quarantine.encryption === 'SSE-KMS') {
        const key = await operator.kms().send(new CreateKeyCommand({ Description: `Firebreak game day: the default SSE-KMS key of quarantine bucket ${quarantine.bucket}`, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
        const arn = key.KeyMetadata?.Arn;
        if (arn === undefined) throw new EnvironmentSetupError(`the quarantine bucket's account ${quarantine.account} did not create its KMS key`);
        await s3.send(new PutBucketEncryptionCommand({ Bucket: quarantine.bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arn } }] } }));
      }
      if (quarantine.bucketPolicy !== undefined) {
        if ('file' in quarantine.bucketPolicy) throw new EnvironmentSetupError(`settings.quarantineBucket.bucketPolicy: ${quarantine.bucketPolicy.file} was not read: load the scenario with the scenario loader, which reads it`);
        await s3.send(new PutBucketPolicyCommand({ Bucket: quarantine.bucket, Policy: JSON.stringify(quarantine.bucketPolicy) }));
      }
    } catch (error) {
      if (error instanceof EnvironmentSetupError) throw error;
      throw new EnvironmentSetupError(`cannot create the quarantine bucket ${quarantine.bucket} in ${quarantine.account}: ${(error as Error).message}`, { cause: error });
    }
    return { bucket: quarantine.bucket, account: quarantine.account, region };
  }

  /** The clients of the quarantine bucket's account's operator (the backend's own, when it is the deployment's account). */
  private quarantineOperator(account: string, region: string) {
    const operator = `arn:aws:iam::${account}:role/${OPERATOR_ROLE}`;
    if (operator !== this.operatorArn) this.sim.addOperator(operator);
    return this.sim.clientFactory({ principal: operator, homeRegion: region });
  }

  /** Every version under firebreak-quarantine/ of the quarantine bucket, with its tags. */
  private async inspectQuarantineBucket(quarantine: { bucket: string; account: string; region: string }): Promise<QuarantineBucketInspection> {
    const s3 = await this.quarantineOperator(quarantine.account, quarantine.region).s3({ account: quarantine.account, region: quarantine.region });
    const { Versions = [] } = await s3.send(new ListObjectVersionsCommand({ Bucket: quarantine.bucket, Prefix: QUARANTINE_PREFIX }));
    const copies = [];
    for (const version of Versions) {
      const key = version.Key ?? '';
      const versionId = version.VersionId ?? 'null';
      const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: quarantine.bucket, Key: key, VersionId: versionId }));
      copies.push({ key, versionId, eTag: bareETag(version.ETag) ?? '', tags: Object.fromEntries(TagSet.map((tag) => [tag.Key ?? '', tag.Value ?? ''])) });
    }
    return { bucket: quarantine.bucket, account: quarantine.account, copies };
  }

  /**
   * GuardDuty holds every finding it emits: recorded in the finding's account and in the security
   * account's detector (the delegated administrator, which is this backend's own account).
   */
  recordGuardDutyFinding(event: unknown): void {
    if (typeof event !== 'object' || event === null) return;
    const { source, 'detail-type': detailType, detail } = event as { source?: unknown; 'detail-type'?: unknown; detail?: unknown };
    if (source !== 'aws.guardduty' || detailType !== 'GuardDuty Finding') return;
    this.sim.setGuardDutyAdministrator(this.sim.defaultAccount);
    this.sim.recordGuardDutyFinding(detail);
  }

  /** GuardDuty exports every finding to the Security Hub of its account and region (where the scenario enabled it). */
  exportFinding(event: unknown): void {
    if (typeof event !== 'object' || event === null) return;
    const { 'detail-type': detailType, detail } = event as { 'detail-type'?: unknown; detail?: unknown };
    if (detailType === 'GuardDuty Finding') this.sim.exportGuardDutyFinding(detail);
  }

  /** The simulated Security Hubs' GuardDuty findings (read from the simulator: the operator has no Security Hub calls to make). */
  private securityHubFindings(): InspectedSecurityHubFinding[] {
    return this.sim.securityHubFindings().map((finding) => ({
      id: finding.id,
      account: finding.account,
      region: finding.region,
      workflowStatus: finding.workflowStatus,
      ...(finding.note !== undefined ? { note: finding.note.text, noteUpdatedBy: finding.note.updatedBy } : {}),
      updates: finding.updates,
    }));
  }

  /** The forensic account's own snapshots (through its operator) and the custody records of the state table. */
  private async inspectForensicAccount(forensic: { account: ForensicAccount; region: string; stateTable: string }): Promise<ForensicInspection> {
    const operator = this.sim.clientFactory({ principal: `arn:aws:iam::${forensic.account.accountId}:role/${OPERATOR_ROLE}`, homeRegion: forensic.region });
    const ec2 = await operator.ec2({ account: forensic.account.accountId, region: forensic.region });
    const { Snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    const copies = Snapshots.map((snapshot) => {
      const source = snapshot.Tags?.find((tag) => tag.Key === FORENSIC_COPY_TAG_KEYS.sourceSnapshot)?.Value;
      return {
        snapshotId: snapshot.SnapshotId ?? '',
        ...(source !== undefined ? { sourceSnapshotId: source } : {}),
        encrypted: snapshot.Encrypted === true,
        ...(snapshot.KmsKeyId !== undefined ? { kmsKeyId: snapshot.KmsKeyId } : {}),
        state: snapshot.State ?? 'unknown',
      };
    });
    const dynamodb = this.operatorClients(forensic.region).dynamodb();
    const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: forensic.stateTable, FilterExpression: 'begins_with(pk, :custody)', ExpressionAttributeValues: { ':custody': { S: CUSTODY_KEY_PREFIX } } }));
    const custody = Items.map((item) => {
      const record =
        item.record?.S !== undefined
          ? (JSON.parse(item.record.S) as { sourceSnapshotId?: string; copySnapshotId?: string; seal?: unknown; status?: string; unshare?: { removed?: boolean; reason?: string } })
          : {};
      return {
        sourceSnapshotId: record.sourceSnapshotId ?? '',
        copySnapshotId: record.copySnapshotId ?? '',
        sealed: record.seal !== undefined,
        status: record.status ?? 'pending',
        shareWithdrawn: record.unshare?.removed === true && record.unshare.reason === 'drill-refused',
      };
    });
    // Whether each copied (or recorded) source is still shared with the forensic account, as the member account reports it.
    const member = await this.operatorClients(forensic.region).ec2();
    const recorded = custody.flatMap((record) => (record.sourceSnapshotId !== '' ? [record.sourceSnapshotId] : []));
    const sources = [...new Set([...copies.flatMap((copy) => (copy.sourceSnapshotId !== undefined ? [copy.sourceSnapshotId] : [])), ...recorded])].sort();
    const sharedSources: string[] = [];
    for (const source of sources) {
      const { CreateVolumePermissions = [] } = await member.send(new DescribeSnapshotAttributeCommand({ SnapshotId: source, Attribute: 'createVolumePermission' }));
      if (CreateVolumePermissions.some((permission) => permission.UserId === forensic.account.accountId)) sharedSources.push(source);
    }
    return { accountId: forensic.account.accountId, kmsKeyArn: forensic.account.kmsKeyArn, copies, custody, sharedSources };
  }

  /**
   * A second account for the forensic copy, made through its own operator's SDK calls: a symmetric
   * KMS key (the copies' key) and the forensic role, trusted by the copy-evidence responder's role
   * alone (the deployed trust policy names it by aws:PrincipalArn). The role's permissions are the
   * synthesized ForensicRoleStack's, enforced by the runner once the deployment is synthesized.
   */
  private async prepareForensicAccount(forensicAccount: string, securityAccount: string, region: string): Promise<ForensicAccount> {
    if (forensicAccount === securityAccount) throw new EnvironmentSetupError('settings.forensicAccount must differ from the security account (the copy leaves the deployment\'s accounts)');
    const operator = `arn:aws:iam::${forensicAccount}:role/${OPERATOR_ROLE}`;
    this.sim.addOperator(operator);
    const clients = this.sim.clientFactory({ principal: operator, homeRegion: region });
    const key = await clients.kms().send(new CreateKeyCommand({ Description: 'Firebreak game day: the forensic account key evidence copies are encrypted with', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
    const kmsKeyArn = key.KeyMetadata?.Arn;
    if (kmsKeyArn === undefined) throw new EnvironmentSetupError('the forensic account did not create its KMS key');
    const copier = `arn:aws:iam::${securityAccount}:role/${responderRole(RESPONDER_NAMES.copyEvidence, region)}`;
    const iam = await clients.iam({ account: forensicAccount, region });
    await iam.send(
      new CreateRoleCommand({
        RoleName: DEFAULT_FORENSIC_ROLE_NAME,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: copier }, Action: 'sts:AssumeRole' }] }),
        MaxSessionDuration: 3600,
      }),
    );
    return { accountId: forensicAccount, kmsKeyArn, roleName: DEFAULT_FORENSIC_ROLE_NAME };
  }

  clientsThroughRole(role: string, roleName: string, sessionName: string, externalId?: string): ClientFactory {
    const key = `${role}|${roleName}|${sessionName}|${externalId ?? ''}`;
    let factory = this.factories.get(key);
    if (!factory) {
      factory = this.sim.clientFactory({
        principal: `arn:aws:iam::${this.sim.defaultAccount}:role/${role}`,
        memberRoleName: roleName,
        roleSessionName: sessionName,
        ...(externalId !== undefined ? { externalId } : {}),
      });
      this.factories.set(key, factory);
    }
    return factory;
  }

  protected operatorClients(region: string): OperatorClients {
    const factory = this.sim.clientFactory({ principal: this.operatorArn, homeRegion: region });
    const target = { account: this.member?.account ?? this.sim.defaultAccount, region };
    return {
      ec2: () => factory.ec2(target),
      iam: () => factory.iam(target),
      sts: () => factory.sts(),
      sns: () => factory.sns(),
      sqs: () => factory.sqs(),
      dynamodb: () => factory.dynamodb(),
      kms: () => factory.kms(),
      environmentKms: () => factory.kmsIn(target),
      autoScaling: () => factory.autoScaling(target),
      elbv2: () => factory.elbv2(target),
      elb: () => factory.elb(target),
      s3: () => factory.s3(target),
      route53resolver: () => factory.route53resolver(target),
    };
  }

  protected async callerAccount(clients: OperatorClients): Promise<string> {
    const identity = await (await clients.sts()).send(new GetCallerIdentityCommand({}));
    return identity.Account ?? this.sim.defaultAccount;
  }

  protected override environmentAccount(securityAccount: string): string {
    return this.member?.account ?? securityAccount;
  }

  protected async pause(ms: number): Promise<void> {
    this.sim.advance(ms);
  }

  protected rehearse(environment: EnvironmentDocument): void {
    for (const fault of environment.faults) {
      this.sim.injectFault(faultSpecOf(fault));
    }
    if (environment.deniedActions.length > 0) this.sim.denyActions(environment.deniedActions);
  }

  protected override holdInPendingWait(account: string, region: string, group: string, instanceIds: readonly string[], elapsedMs: number): void {
    this.sim.holdInPendingWait(account, region, group, instanceIds, elapsedMs);
  }

  protected override fixInstanceIds(ids: readonly string[]): void {
    this.sim.presetInstanceIds(ids);
  }

  serveExecutions(directory: ExecutionDirectory): void {
    this.sim.defineApi('states:DescribeExecution', (call) => describeExecution(directory, String(call.input.executionArn ?? '')));
    this.sim.defineApi('states:GetExecutionHistory', (call) => executionHistory(directory, call.input));
  }

  serveExecutionStarts(starter: ExecutionStarter): void {
    this.sim.defineApi('states:StartExecution', (call) => startExecution(starter, call.input));
  }

  untagAfterShare(instanceId: string, key: string): void {
    this.sim.untagAfterShare(instanceId, key);
  }

  retagEvidenceAfterSnapshot(instanceId: string, value: string): void {
    this.sim.retagEvidenceAfterSnapshot(instanceId, value);
  }

  forgeEvidenceAfterSnapshot(instanceId: string): void {
    this.sim.forgeEvidenceAfterSnapshot(instanceId);
  }

  forgeSnapshotsOf(instanceId: string, description: string, tags: readonly { readonly Key: string; readonly Value: string }[]): void {
    this.sim.forgeSnapshotsOf(instanceId, description, tags);
  }

  untagAfterCopy(instanceId: string, key: string): void {
    this.sim.untagAfterCopy(instanceId, key);
  }

  serveTaskTokens(handler: TaskTokenHandler): void {
    this.sim.onTaskToken(handler);
  }

  async prepareMemberRoles(
    roles: readonly { readonly roleName: string; readonly trustPolicy: PolicyDocument }[],
    deployedRoles: ReadonlyMap<string, string>,
    externalIds: ReadonlyMap<string, string> = new Map(),
  ): Promise<void> {
    const member = this.member;
    if (member === undefined) throw new EnvironmentSetupError('member-account roles need a member account: settings.securityAccount, set before prepare()');
    // Created as the member-role stack creates them: by the member account, with the deployed trust policies.
    const iam = await this.operatorClients(this.sim.defaultRegion).iam();
    for (const role of roles) {
      await iam.send(new CreateRoleCommand({ RoleName: role.roleName, AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy), MaxSessionDuration: 3600 }));
    }
    member.roles = { deployedRoles, externalIds };
    // Clients made before reached the member account directly.
    this.factories.clear();
  }

  clients(role: string): GameDayClients {
    let factory = this.factories.get(role);
    if (!factory) {
      // The deployment's roles reach a member account through their own member-account role; anyone
      // else (the game day's attacker) is a principal of the account it acts in.
      const memberRoles = this.member?.roles;
      const memberRoleName = memberRoles?.deployedRoles.get(role);
      const externalId = memberRoleName !== undefined ? memberRoles?.externalIds.get(role) : undefined;
      factory = this.sim.clientFactory({
        principal: `arn:aws:iam::${this.sim.defaultAccount}:role/${role}`,
        ...(memberRoleName !== undefined ? { memberRoleName } : {}),
        ...(externalId !== undefined ? { externalId } : {}),
      });
      this.factories.set(role, factory);
    }
    return factory;
  }

  now(): Date {
    return this.sim.now();
  }

  advance(ms: number): void {
    if (ms > 0) this.sim.advance(ms);
  }

  callCount(): number {
    return this.callTotal;
  }

  callLog(): readonly GameDayCall[] {
    if (!this.retainCalls) throw new Error('this backend does not keep its calls (retainCalls: false): count them with callCount()');
    return this.calls;
  }

  async enforceIdentityPolicies(
    policies: ReadonlyMap<string, readonly PolicyDocument[]>,
    resourcePolicies: readonly { readonly resourceArn: string; readonly document: PolicyDocument; readonly authoritative: boolean }[] = [],
  ): Promise<void> {
    const catalog = await loadIamCatalog();
    for (const [role, documents] of policies) {
      // A role name of the security account, or a role ARN of another account (the forensic role).
      this.sim.enforceIdentityPolicies(role.startsWith('arn:') ? role : `arn:aws:iam::${this.sim.defaultAccount}:role/${role}`, documents, catalog);
    }
    for (const { resourceArn, document, authoritative } of resourcePolicies) this.sim.enforceResourcePolicy(resourceArn, document, authoritative);
  }

  async enforceTrustPolicies(trustPolicies: ReadonlyMap<string, PolicyDocument>): Promise<void> {
    for (const [roleArn, document] of trustPolicies) this.sim.enforceTrustPolicy(roleArn, document);
  }

  authorizeServiceCall(role: string, iamAction: string, resourceArn: string, input?: Readonly<Record<string, unknown>>): string | undefined {
    return this.sim.authorizeServiceCall(`arn:aws:iam::${this.sim.defaultAccount}:role/${role}`, iamAction, resourceArn, input);
  }

  override findings(): readonly RehearsalFinding[] {
    return [
      ...super.findings(),
      ...this.sim.authorizationFindings().map((finding) => ({
        kind: 'unevaluated condition',
        message:
          `${finding.key} in the policy of ${finding.principal.split('/').pop() ?? finding.principal} for ${finding.action} on ${finding.resource}: ` +
          'AWS supplies this key but the simulated account cannot compute it; the condition was taken as holding',
      })),
    ];
  }
}

/** A simulator call record as the timeline sees it (wall time: when the simulator answered). */
function gameDayCall(call: CallRecord, seq: number): GameDayCall {
  return {
    seq,
    at: call.at,
    wallMs: wallClockMs(),
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
}
