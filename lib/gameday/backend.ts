/**
 * Where a game day's AWS side lives. The engine (state machines, real responder handlers) is the
 * same everywhere; only the account behind the SDK clients changes. One backend
 * (account-backend/) creates the environment through the SDK, checks expectations with describe
 * calls and deletes what it created, in either account:
 *  - `LocalBackend` (local-backend.ts): the simulated account, the embedded default;
 *  - `EndpointBackend` (endpoint-backend.ts, `--endpoint-url URL`): LocalStack, moto or an
 *    isolated test account.
 *
 * The contract is deliberately small: prepare the environment (→ the ids it got), hand out SDK
 * clients per role, inspect the account for expectations, give the call log, clean up.
 */
import type { Route53ResolverClients } from '../aws/clients/route53resolver';
import type { S3Clients } from '../aws/clients/s3';
import type { SecurityHubClients } from '../aws/clients/securityhub';
import type { GuardDutyClients } from '../aws/clients/guardduty';
import type { InspectedS3Object, ResolvedS3Object } from './account-backend/s3-objects';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ClientFactory } from '../aws/clients';
import type { AutoScalingClients } from '../aws/clients/autoscaling';
import type { LoadBalancingClients } from '../aws/clients/load-balancing';
import type { CallRecord, PolicyDocument, TaskTokenHandler } from './sim';
import type { EnvironmentDocument, SettingsDocument } from './scenario';
import type { InspectedFleet, ResolvedFleet } from './fleet-types';

/** Wall-clock time in epoch milliseconds with sub-millisecond precision (the timeline's wall column). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The security-account resources every deployment has (alert topic, kept-events queue, state table). */
export interface DeploymentResources {
  readonly account: string;
  readonly region: string;
  readonly alertTopicArn: string;
  /** The second (operations) topic, publish-alert's backup channel, when the backend prepared one. */
  readonly backupTopicArn?: string;
  /** The backup topic's own KMS key, when the backend encrypts it as the stack does. */
  readonly backupKeyArn?: string;
  readonly unprocessableEventsQueueUrl: string;
  /** The dead-letter queue of every rule target and of the oversized-event intake, when the backend prepared one. */
  readonly undeliveredEventsQueueUrl?: string;
  readonly stateTableName: string;
  /** The KMS HMAC key that seals pre-quarantine records; '' when the backend could not create one (release then refuses every record). */
  readonly recordKeyArn: string;
  /** The alert topic's KMS key, when the backend encrypts the topic as the stack does. */
  readonly alertKeyArn?: string;
}

/** Something the backend could not rehearse faithfully (an IAM condition it could not evaluate…). */
export interface RehearsalFinding {
  /** `unevaluated condition`. */
  readonly kind: string;
  /** One line: what, where, and what it means for the result. */
  readonly message: string;
}

export interface ResolvedGroupRef {
  readonly groupId: string;
  readonly name: string;
}

export interface ResolvedNetworkInterface {
  readonly networkInterfaceId: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly privateIp: string;
  /** Its IPv6 addresses as EC2 gave them (none: left out). */
  readonly ipv6Addresses?: readonly string[];
  /** The IPv4 and IPv6 prefixes delegated to it, as EC2 gave them (none: left out). */
  readonly prefixes?: readonly string[];
  readonly groups: readonly ResolvedGroupRef[];
}

export interface ResolvedVolume {
  readonly volumeId: string;
  readonly device: string;
}

/** One instance of the scenario as the backend created it. */
export interface ResolvedInstance {
  readonly name: string;
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  readonly vpcId: string;
  readonly state: string;
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  readonly networkInterfaceIds: readonly string[];
  readonly networkInterfaces: readonly ResolvedNetworkInterface[];
  readonly volumes: readonly ResolvedVolume[];
  readonly instanceProfileArn?: string;
  readonly instanceProfileId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The IAM users (with their access key ids, in creation order) and roles the backend created, by their IAM names. */
export interface ResolvedIamPrincipals {
  readonly iamUsers?: Readonly<Record<string, { readonly userName: string; readonly arn: string; readonly accessKeys: readonly string[] }>>;
  readonly iamRoles?: Readonly<Record<string, { readonly roleName: string; readonly arn: string; readonly roleId: string }>>;
}

/** Scenario names → the ids the backend gave them (and `${…}` references resolve against this). */
export interface ResolvedEnvironment extends ResolvedIamPrincipals {
  readonly account: string;
  readonly region: string;
  readonly vpcs: Readonly<Record<string, string>>;
  readonly securityGroups: Readonly<Record<string, string>>;
  readonly instances: Readonly<Record<string, ResolvedInstance>>;
  /** The scenario's S3 objects (environment.s3Objects). */
  readonly s3Objects?: Readonly<Record<string, ResolvedS3Object>>;
  readonly deployment: DeploymentResources;
  /** The forensic account the backend prepared (settings.forensicAccount): its key and the role copy-evidence assumes there. */
  readonly forensic?: ForensicAccount;
  /** The quarantine bucket the backend prepared (settings.quarantineBucket). */
  readonly quarantineBucket?: { readonly bucket: string; readonly account: string };
  /** Target groups, Classic Load Balancers and Auto Scaling groups by scenario name (account-backend/fleet.ts). */
  readonly fleet?: ResolvedFleet;
}

/** A forensic account of the game day: where copy-evidence copies evidence to. */
export interface ForensicAccount {
  readonly accountId: string;
  readonly kmsKeyArn: string;
  readonly roleName: string;
}

/** An instance as the account describes it after the run. */
export interface InspectedInstance {
  readonly instanceId: string;
  readonly state: string;
  readonly terminationProtection: boolean;
  readonly stopProtection: boolean;
  readonly shutdownBehavior: string;
  readonly instanceProfileArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** In device order. */
  readonly networkInterfaces: readonly { readonly networkInterfaceId: string; readonly groupIds: readonly string[] }[];
  readonly volumes: readonly { readonly volumeId: string; readonly device: string; readonly snapshotIds: readonly string[] }[];
  /** Public IPs of the Elastic IPs associated with the instance (DescribeAddresses); undefined when the backend could not read them. */
  readonly elasticIps?: readonly string[];
  /** The instance metadata service's settings (DescribeInstances MetadataOptions). */
  readonly metadata?: { readonly endpoint?: string; readonly tokens?: string; readonly hopLimit?: number };
}

export interface PublishedAlert {
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly at: Date;
}

export interface KeptEvent {
  readonly body: string;
  readonly at: Date;
  /** Its message attributes (the undelivered-events queue's ERROR_CODE, ERROR_MESSAGE, RULE_ARN). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** What expectations are checked against, read after (or before) a run. */
export interface AccountInspection {
  /** The scenario's instances by id (undefined once gone). */
  readonly instances: Readonly<Record<string, InspectedInstance | undefined>>;
  /** Every security group of the scenario's VPCs: id → name (marked when named like Firebreak's but not Firebreak's: timeline's NOT_FIREBREAKS_GROUP_MARK). */
  readonly groupNames: Readonly<Record<string, string>>;
  readonly alerts: readonly PublishedAlert[];
  readonly keptEvents: readonly KeptEvent[];
  /** What the undelivered-events queue holds: events a rule target could not take (EventBridge's dead-letter queue). */
  readonly undeliveredEvents?: readonly KeptEvent[];
  /** Canonical JSON of each scenario resource (instance, group, VPC, ENI, volume) by id, for `unchanged`. */
  readonly resources: Readonly<Record<string, string>>;
  /**
   * A digest, for `accountUnchanged`, of what a responder could change: the scenario's resources,
   * every group, interface and subnet of its VPCs, its volumes' snapshots and its instance roles'
   * policies (not messages).
   */
  readonly digest: string;
  /** The forensic account, when the scenario has one (settings.forensicAccount). */
  readonly forensic?: ForensicInspection;
  /** The quarantine bucket, when the scenario has one (settings.quarantineBucket). */
  readonly quarantineBucket?: QuarantineBucketInspection;
  /** The scenario's IAM users and roles (environment.iamUsers / iamRoles), when it has any. */
  readonly iam?: {
    readonly users: Readonly<Record<string, { readonly accessKeys: readonly string[]; readonly attachedPolicies: readonly string[] }>>;
    readonly roles: Readonly<Record<string, { readonly inlinePolicies: readonly string[] }>>;
  };
  /** Who is in each Auto Scaling group and load balancer, when the scenario declares some. */
  readonly fleet?: InspectedFleet;
  /** The scenario's S3 objects after the run, by name. */
  readonly s3Objects?: Readonly<Record<string, InspectedS3Object>>;
  /** The GuardDuty findings in Security Hub, when the scenario enables it (environment.securityHub). */
  readonly securityHub?: readonly InspectedSecurityHubFinding[];
  /**
   * Firebreak's DNS Firewall in the account (lib/responders/dns-firewall.ts): the domains its
   * domain list blocks (each with its subdomains) and the VPCs its rule group is associated with;
   * undefined when the backend could not read Route 53 Resolver.
   */
  readonly dnsFirewall?: { readonly domains: readonly string[]; readonly vpcIds: readonly string[] };
}

/** One GuardDuty finding of Security Hub after the run (what the write-back changes). */
export interface InspectedSecurityHubFinding {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly workflowStatus: string;
  readonly note?: string;
  readonly noteUpdatedBy?: string;
  /** How many BatchUpdateFindings calls changed it. */
  readonly updates: number;
}

/** What the quarantine bucket holds after a run: every object version under firebreak-quarantine/, with its tags. */
export interface QuarantineBucketInspection {
  readonly bucket: string;
  readonly account: string;
  readonly copies: readonly { readonly key: string; readonly versionId: string; readonly eTag: string; readonly tags: Readonly<Record<string, string>> }[];
}

/** What the forensic account holds after a run: the snapshots it owns and the custody records of the state table. */
export interface ForensicInspection {
  readonly accountId: string;
  readonly kmsKeyArn: string;
  /** Snapshots owned by the forensic account, copied from a snapshot (the firebreak:source-snapshot tag). */
  readonly copies: readonly { readonly snapshotId: string; readonly sourceSnapshotId?: string; readonly encrypted: boolean; readonly kmsKeyId?: string; readonly state: string }[];
  /**
   * custody# items of the state table: the source and copy they name ('' before any copy), whether
   * they carry a seal, the copy's status (sharing, pending, completed, failed, withdrawn), and
   * whether they say the share was withdrawn for a drill refused mid-copy.
   */
  readonly custody: readonly { readonly sourceSnapshotId: string; readonly copySnapshotId: string; readonly sealed: boolean; readonly status: string; readonly shareWithdrawn?: boolean }[];
  /** The sources of the copies (member account) still shared with the forensic account (createVolumePermission, DescribeSnapshotAttribute). */
  readonly sharedSources: readonly string[];
}

/**
 * One AWS call as the timeline and the expectations see it (every SDK attempt is one); `at` is the
 * backend's time (the simulated clock locally, the wall clock against an endpoint).
 */
export interface GameDayCall extends Omit<CallRecord, 'service' | 'errorMessage' | 'requestId'> {
  /** Wall-clock ms (performance.now()) when the call was answered, when known. */
  readonly wallMs?: number;
  /** The endpoint answered that it does not implement this call (endpoint-coverage.ts); never set locally. */
  readonly unimplemented?: boolean;
}

const READ_ONLY = /^(Describe|Get|List)/;

/** True for a call that changed something: it succeeded, was not a DryRun and is not a Describe/Get/List. */
export function isMutatingCall(call: Pick<GameDayCall, 'api' | 'dryRun' | 'outcome'>): boolean {
  const action = call.api.split(':')[1] ?? '';
  return call.outcome === 'ok' && !call.dryRun && !READ_ONLY.test(action);
}

/** The clients one role (a responder's, the dispatcher's) gets. */
export interface GameDayClients extends ClientFactory, AutoScalingClients, LoadBalancingClients, Route53ResolverClients, S3Clients, SecurityHubClients, GuardDutyClients {
  sqs(): SQSClient;
  /** KMS in the security account (the record key). */
  kms(): KMSClient;
}

/** A Step Functions execution as DescribeExecution reports it (what the engine knows of its own executions). */
export interface DescribedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  /** The execution input, as JSON text. */
  readonly input: string;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** The output, as JSON text, once it succeeded. */
  readonly output?: string;
  /**
   * The tasks it scheduled, oldest first (what its history's TaskScheduled events carry, the task
   * tokens among the parameters): GetExecutionHistory answers from these, never DescribeExecution.
   */
  readonly scheduledTasks?: readonly ScheduledTask[];
}

/** One TaskScheduled event: the integration (`lambda`, `invoke`) and the parameters it was called with. */
export interface ScheduledTask {
  readonly resourceType: string;
  readonly resource: string;
  readonly parameters: unknown;
}

/** Looks an execution up by ARN (undefined: it does not exist). */
export type ExecutionDirectory = (executionArn: string) => DescribedExecution | undefined;

/** StartExecution as the engine plays it: the started execution, or the service's error (thrown, named as Step Functions names it). */
export type ExecutionStarter = (stateMachineArn: string, input: string) => { readonly executionArn: string; readonly startDate: Date };

export interface GameDayBackend {
  /**
   * Makes `states:DescribeExecution` answer from the engine's executions (the containment guard
   * verifies the execution it clears), and `states:GetExecutionHistory` with the TaskScheduled
   * events of their task tokens (publish-alert and the approval function check a request's token
   * is the execution's), behind the backend's call log, faults and permissions.
   */
  serveExecutions?(directory: ExecutionDirectory): void;
  /**
   * Makes `states:StartExecution` start the engine's state machines (the oversized-event intake
   * starts the dispatcher), behind the backend's call log, faults and permissions.
   */
  serveExecutionStarts?(starter: ExecutionStarter): void;
  /**
   * Keeps an event a rule target could not take in the undelivered-events queue, as EventBridge's
   * dead-letter queue does (the event as the body, the error in the message attributes). Optional:
   * absent, the refusal is only in the run's report.
   */
  keepUndelivered?(event: unknown, error: { readonly code: string; readonly message: string }, rule: string): Promise<void>;
  /**
   * Makes `states:SendTaskHeartbeat` (and SendTaskSuccess / SendTaskFailure) answer from the engine's
   * waiting tasks (publish-alert proves an approval request's token waits before storing it), behind
   * the backend's call log, faults and permissions.
   */
  serveTaskTokens?(handler: TaskTokenHandler): void;
  /**
   * Arms a `tamper: { untagAfterShare }`: once a snapshot of one of the instance's volumes is shared
   * with another account, the instance's tag `key` is deleted before the sharer's next call.
   * Optional: only the simulated account can act between two calls of a responder.
   */
  untagAfterShare?(instanceId: string, key: string): void;
  /**
   * Arms a `tamper: { retagEvidenceAfterSnapshot }`: once the instance's volumes are snapshotted
   * (CreateSnapshots), the `firebreak:incident` tag of its data volumes' snapshots is set to `value`
   * before the snapshotter's next call. Optional: only the simulated account can act between two calls.
   */
  retagEvidenceAfterSnapshot?(instanceId: string, value: string): void;
  /**
   * Arms a `tamper: { forgeEvidenceAfterSnapshot }`: once the instance's volumes are snapshotted
   * (CreateSnapshots), a second snapshot of each data volume is made a second later with the
   * evidence's description and tags (row 3y). Optional: only the simulated account can act between two calls.
   */
  forgeEvidenceAfterSnapshot?(instanceId: string): void;
  /**
   * Acts a `tamper: { forgeEvidenceBeforeSnapshot }` now: a snapshot of each EBS volume of the
   * instance with the description and tags given (row 3za). Optional: only the simulated account
   * can make a snapshot outside any responder's calls.
   */
  forgeSnapshotsOf?(instanceId: string, description: string, tags: readonly { readonly Key: string; readonly Value: string }[]): void;
  /** Arms a `tamper: { untagAfterCopy }`: as `untagAfterShare`, once a snapshot of one of the instance's volumes is copied (CopySnapshot accepted). */
  untagAfterCopy?(instanceId: string, key: string): void;
  /**
   * Told after a `tamper: { renameUser }` renamed a user of the environment: its keys and policies
   * are read under the new name (the expectations keep the environment's name), and the cleanup
   * deletes the user by it.
   */
  userRenamed?(from: string, to: string): void;
  /** `local` or `endpoint <url>`, for the report. */
  readonly description: string;
  /** Creates the environment (and the deployment's topic, queue and table); returns the ids it got. */
  prepare(environment: EnvironmentDocument, settings: SettingsDocument): Promise<ResolvedEnvironment>;
  /** SDK clients signed as `role` (a role name in the security account, e.g. `firebreak-responder-eu-west-1-quarantine-instance`). */
  clients(role: string): GameDayClients;
  /**
   * Clients signed as `role` that reach every other account by sts:AssumeRole into `roleName`
   * there (copy-evidence into the forensic role), sending `externalId` when given (none: sent
   * without). Optional: absent, the role's own clients are used.
   */
  clientsThroughRole?(role: string, roleName: string, sessionName: string, externalId?: string): ClientFactory;
  /** The backend's clock (simulated locally: nothing reads the wall clock there). */
  now(): Date;
  /** Moves the backend's clock (locally: state-machine retry backoffs, approval timeouts); a no-op against a real endpoint. */
  advance(ms: number): void;
  /** Reads what expectations check. */
  inspect(): Promise<AccountInspection>;
  /** Every AWS call the responders and the dispatcher made so far. */
  callLog(): readonly GameDayCall[];
  /** How many calls `callLog()` holds (cheap: the engine asks around every task). */
  callCount(): number;
  /** Deletes what `prepare` created; never throws (what it could not delete is reported). */
  cleanup(): Promise<void>;
  /**
   * Enforces the deployed identity policies (by local role name, as `clients(role)` signs) on
   * every call from now on. Optional: an AWS-compatible endpoint enforces its own IAM, or none.
   */
  enforceIdentityPolicies?(
    policies: ReadonlyMap<string, readonly PolicyDocument[]>,
    resourcePolicies?: readonly { readonly resourceArn: string; readonly document: PolicyDocument; readonly authoritative: boolean }[],
  ): Promise<void>;
  /**
   * Replaces the trust policies of roles the backend prepared (by role ARN) with the deployed ones,
   * which its STS then evaluates on AssumeRole. Optional: an AWS-compatible endpoint keeps its own.
   */
  enforceTrustPolicies?(trustPolicies: ReadonlyMap<string, PolicyDocument>): Promise<void>;
  /**
   * A member-account game day (settings.securityAccount): creates the member-account roles in the
   * environment's account with their deployed trust policies, and from then on the deployment's
   * roles (the keys of `deployedRoles`, local names) reach that account only by sts:AssumeRole into
   * the member-account role each maps to (a responder's own, as its function's synthesized
   * environment names it; through clientsThroughRole, another of them), as the responders do in
   * Lambda. Their identity policies come with enforceIdentityPolicies (by role ARN). `externalIds`
   * (local role name → ExternalId) is what each deployed role sends with that AssumeRole, as its
   * function's synthesized environment gives it (none: sent without). Optional: absent, a scenario
   * with settings.securityAccount is refused.
   */
  prepareMemberRoles?(
    roles: readonly { readonly roleName: string; readonly trustPolicy: PolicyDocument }[],
    deployedRoles: ReadonlyMap<string, string>,
    externalIds?: ReadonlyMap<string, string>,
  ): Promise<void>;
  /**
   * Authorizes a call the engine makes itself as `role` (a state machine invoking a function,
   * starting an execution): undefined when allowed, else the denial. Optional: absent, allowed.
   */
  authorizeServiceCall?(role: string, iamAction: string, resourceArn: string, input?: Readonly<Record<string, unknown>>): string | undefined;
  /** What the backend could not rehearse faithfully so far (reported with the run). */
  findings?(): readonly RehearsalFinding[];
  /**
   * GuardDuty's export of an injected finding to the Security Hub of its account and region (where
   * the scenario enabled it), before the event is delivered. Optional: absent (an endpoint), nothing is exported.
   */
  exportFinding?(event: unknown): void;
  /**
   * GuardDuty records a finding event it emits on the default bus (source aws.guardduty), so that
   * GetFindings answers it: what the oversized-event intake confirms an oversized event with.
   */
  recordGuardDutyFinding?(event: unknown): void;
}
