/**
 * The game-day backend: one implementation of GameDayBackend, driven through the SDK, that
 * prepares, inspects and cleans up a scenario the same way whatever answers the calls. Its two
 * accounts differ only in how clients reach them and in the abilities a rehearsal needs that have
 * no AWS API (faults, denied actions, the clock, IAM-policy evaluation):
 *  - LocalBackend (../local-backend.ts): the in-process simulated account (lib/gameday/sim);
 *  - EndpointBackend (../endpoint-backend.ts): an AWS-compatible endpoint (`--endpoint-url`).
 *
 * prepare() creates the environment (provision.ts) and the deployment's own resources
 * (deployment-resources.ts), reads them back and compares; inspect() reads the expectations back
 * with describe calls (inspect.ts); cleanup() deletes everything it created (cleanup.ts). The
 * backend's own calls are made as the rehearsal's operator: never faulted or denied, and not in
 * the call log, which holds the responders' and the engine's calls only.
 */
import type {
  AccountInspection,
  ExecutionDirectory,
  GameDayBackend,
  GameDayCall,
  GameDayClients,
  KeptEvent,
  PublishedAlert,
  RehearsalFinding,
  ResolvedEnvironment,
} from '../backend';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { TaskTokenHandler } from '../sim';
import type { EnvironmentDocument, SettingsDocument } from '../scenario';
import type { CleanupReport } from './cleanup';
import { cleanUp } from './cleanup';
import { createIamPrincipals, inspectIamPrincipals } from './iam-principals';
import type { BackendContext, CreatedResource, OperatorClients } from './context';
import { EnvironmentSetupError } from './context';
import { alertOf, createDeployment, drain, keptEventOf } from './deployment-resources';
import { inspectDnsFirewall } from './inspect-edges';
import { inspectAccount } from './inspect';
import { createInstances, createNetwork } from './provision';
import { createFleet, inspectFleet } from './fleet';
import { createS3Objects, inspectS3Objects } from './s3-objects';

export interface AccountBackendOptions {
  /** Suffix of the names and marker tags of everything created. */
  readonly runId: string;
  /** Prefix of the deployment's own resources (`<prefix>-alerts`, `<prefix>-state`…). */
  readonly prefix: string;
  /** AMI for RunInstances. */
  readonly imageId: string;
  /** Between two polls while waiting for instance states and the table. */
  readonly pollIntervalMs: number;
  /** Longest wait for an instance state or the table. */
  readonly waitTimeoutMs: number;
  /** Where problems that do not stop the run (cleanup leftovers, keys the account cannot create) are written. */
  readonly report: (line: string) => void;
}

export abstract class AccountBackend implements GameDayBackend {
  abstract readonly description: string;
  private readonly created: CreatedResource[] = [];
  /** Users a `tamper: { renameUser }` renamed: environment name → current name. */
  private readonly renamedUsers = new Map<string, string>();
  private readonly alerts: PublishedAlert[] = [];
  private readonly kept: KeptEvent[] = [];
  private readonly undelivered: KeptEvent[] = [];
  private readonly setupFindings: RehearsalFinding[] = [];
  private resolved?: ResolvedEnvironment;
  private alertFeedUrl = '';
  private context?: BackendContext;
  private lastCleanup: CleanupReport = { deleted: [], failed: [] };

  protected constructor(protected readonly settings: AccountBackendOptions) {}

  /** The backend's own clients in `region` (see OperatorClients). */
  protected abstract operatorClients(region: string): OperatorClients;
  /** Lets time pass between two polls (the wall clock against an endpoint, the simulated clock locally). */
  protected abstract pause(ms: number): Promise<void>;
  /** Applies the scenario's faults and denied actions to the responders' and the engine's calls from now on. */
  protected abstract rehearse(environment: EnvironmentDocument): void;
  /** Before RunInstances of instances with a scenario-fixed id. */
  protected fixInstanceIds(_ids: readonly string[]): void {
    // An endpoint assigns its own ids.
  }
  /**
   * Holds group members in Pending:Wait under the group's launch hooks (`pendingWait`). No AWS API
   * puts an existing instance there (only the group's own launches enter it), so only the simulated
   * account can rehearse it.
   */
  protected holdInPendingWait(_account: string, _region: string, group: string, _instanceIds: readonly string[], _elapsedMs: number): void {
    throw new EnvironmentSetupError(`Auto Scaling group ${group}: pendingWait can be rehearsed only in the simulated account (no AWS API puts an existing instance in Pending:Wait)`);
  }
  /** How long RunInstances is retried while a new instance profile is not visible to EC2 yet. */
  protected profileRetryMs(): number {
    return Math.min(this.settings.waitTimeoutMs, 60_000);
  }

  abstract clients(role: string): GameDayClients;
  abstract now(): Date;
  abstract advance(ms: number): void;
  abstract callLog(): readonly GameDayCall[];
  abstract callCount(): number;
  abstract serveExecutions(directory: ExecutionDirectory): void;
  abstract serveTaskTokens(handler: TaskTokenHandler): void;

  userRenamed(from: string, to: string): void {
    const environmentName = [...this.renamedUsers].find(([, current]) => current === from)?.[0] ?? from;
    this.renamedUsers.set(environmentName, to);
    const at = this.created.findIndex((resource) => resource.kind === 'user' && resource.id === from);
    if (at >= 0) this.created[at] = { kind: 'user', id: to };
  }

  /** Everything prepare() created so far, in creation order. */
  createdResources(): readonly CreatedResource[] {
    return [...this.created];
  }

  /** What the last cleanup() deleted and could not delete. */
  cleanupReport(): CleanupReport {
    return this.lastCleanup;
  }

  findings(): readonly RehearsalFinding[] {
    return this.setupFindings;
  }

  /** The account the operator's credentials are in (sts:GetCallerIdentity): the deployment's. */
  protected abstract callerAccount(clients: OperatorClients): Promise<string>;
  /**
   * The account the environment is created in, which the operator's clients reach: the operator's
   * own unless the backend prepared a member account (LocalBackend, settings.securityAccount).
   */
  protected environmentAccount(securityAccount: string): string {
    return securityAccount;
  }

  /**
   * Gives the groups a scenario declares `sharedBy` another account to that account, shared with the
   * environment's (a shared VPC's owner's groups), and makes the DNS Firewall rule groups other
   * accounts share with it (`sharedDnsFirewallRuleGroups`). Only the simulated account can: a real
   * account cannot make a resource another account owns, so it refuses such a scenario.
   */
  protected async shareGroupsFromOwners(_environment: EnvironmentDocument, _groups: Readonly<Record<string, string>>): Promise<void> {}

  /** Whether this backend can make resources of another account shared with the environment's (shareGroupsFromOwners). */
  protected readonly makesSharedResources: boolean = false;

  /** Refuses, before anything is made, a scenario declaring another account's shared resources on a backend that cannot make them. */
  private refuseSharedResources(environment: EnvironmentDocument): void {
    if (this.makesSharedResources) return;
    const shared = Object.entries(environment.securityGroups).filter(([, spec]) => spec.sharedBy !== undefined);
    if (shared.length > 0) {
      throw new EnvironmentSetupError(`security group(s) ${shared.map(([name]) => name).join(', ')} declare sharedBy (another account's group shared into the VPC): the local backend only`);
    }
    const ruleGroups = Object.keys(environment.sharedDnsFirewallRuleGroups);
    if (ruleGroups.length > 0) {
      throw new EnvironmentSetupError(`sharedDnsFirewallRuleGroups (${ruleGroups.join(', ')}: rule groups another account shares): the local backend only`);
    }
  }

  async prepare(environment: EnvironmentDocument, _settings: SettingsDocument): Promise<ResolvedEnvironment> {
    this.refuseSharedResources(environment);
    const region = environment.region;
    const clients = this.operatorClients(region);
    const securityAccount = await this.callerAccount(clients);
    const account = this.environmentAccount(securityAccount);
    const context: BackendContext = {
      account,
      securityAccount,
      region,
      runId: this.settings.runId,
      prefix: this.settings.prefix,
      clients,
      created: this.created,
      waitFor: (what, probe) => this.waitFor(what, probe),
      report: this.settings.report,
    };
    this.context = context;
    const network = await createNetwork(context, environment);
    const instances = await createInstances(context, environment, network, {
      imageId: this.settings.imageId,
      fixedIds: (ids) => this.fixInstanceIds(ids),
      profileRetryMs: this.profileRetryMs(),
    });
    await this.shareGroupsFromOwners(environment, network.groups);
    const fleet = await createFleet(clients, environment, network, instances);
    for (const [name, group] of Object.entries(environment.autoScalingGroups)) {
      for (const held of group.pendingWait) {
        const instance = instances[held.instance];
        if (instance) this.holdInPendingWait(account, region, fleet.autoScalingGroups[name] ?? name, [instance.instanceId], held.elapsedSeconds * 1000);
      }
    }
    const s3Objects = await createS3Objects(context, environment);
    const principals = await createIamPrincipals(context, environment);
    this.rehearse(environment);
    const deployment = await createDeployment(context);
    this.alertFeedUrl = deployment.alertFeedUrl;
    this.setupFindings.push(...deployment.findings);
    this.resolved = { account, region, vpcs: network.vpcs, securityGroups: network.groups, instances, ...(Object.keys(s3Objects).length > 0 ? { s3Objects } : {}), deployment: deployment.resources, fleet, ...principals };
    return this.resolved;
  }

  private async waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + this.settings.waitTimeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new EnvironmentSetupError(`timed out waiting for ${what}`);
      await this.pause(this.settings.pollIntervalMs);
    }
  }

  async inspect(): Promise<AccountInspection> {
    const resolved = this.resolved;
    const context = this.context;
    if (!resolved || !context) throw new EnvironmentSetupError('inspect() before prepare()');
    const inspected = await inspectAccount(context, resolved);
    const fleet = resolved.fleet ? await inspectFleet(context.clients, resolved.fleet) : undefined;
    const s3Objects = await inspectS3Objects(context, resolved.s3Objects ?? {});
    // What a responder could change in S3 belongs to the digest too (accountUnchanged).
    const objectsDigest = Object.keys(s3Objects).length > 0 ? JSON.stringify({ account: inspected.digest, s3Objects }) : inspected.digest;
    for (const message of await drain(context, this.alertFeedUrl)) this.alerts.push(alertOf(message.body, message.sentAt));
    for (const message of await drain(context, resolved.deployment.unprocessableEventsQueueUrl)) this.kept.push(keptEventOf(message, this.now()));
    const undeliveredUrl = resolved.deployment.undeliveredEventsQueueUrl;
    if (undeliveredUrl !== undefined) for (const message of await drain(context, undeliveredUrl)) this.undelivered.push(keptEventOf(message, this.now()));
    const iam = await inspectIamPrincipals(context, resolved, this.renamedUsers);
    const dnsFirewall = await inspectDnsFirewall(await context.clients.route53resolver(), resolved.account);
    // The users' keys and policies are part of what "nothing changed" covers, like S3.
    const digest = iam === undefined ? objectsDigest : `${objectsDigest}${JSON.stringify(iam)}`;
    return { ...inspected, digest, ...(Object.keys(s3Objects).length > 0 ? { s3Objects } : {}), ...(iam !== undefined ? { iam } : {}), alerts: [...this.alerts], keptEvents: [...this.kept], undeliveredEvents: [...this.undelivered], ...(fleet ? { fleet } : {}), ...(dnsFirewall ? { dnsFirewall } : {}) };
  }

  /**
   * EventBridge's dead-letter queue: the event as the body, why it was not delivered in the
   * attributes EventBridge sets (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
   */
  async keepUndelivered(event: unknown, error: { readonly code: string; readonly message: string }, rule: string): Promise<void> {
    const queueUrl = this.resolved?.deployment.undeliveredEventsQueueUrl;
    const context = this.context;
    if (queueUrl === undefined || !context) return;
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value.slice(0, 1024) || '-' });
    await context.clients.sqs().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { ERROR_CODE: attribute(error.code), ERROR_MESSAGE: attribute(error.message), RULE_ARN: attribute(rule) },
      }),
    );
  }

  /** Deletes what prepare() created, in reverse order; never throws (problems are in cleanupReport() and reported). */
  async cleanup(): Promise<void> {
    if (!this.context) return;
    const volumes = Object.values(this.resolved?.instances ?? {}).flatMap((instance) => instance.volumes.map((volume) => volume.volumeId));
    this.lastCleanup = await cleanUp(this.context, volumes, this.resolved?.fleet, this.resolved?.s3Objects);
    const { failed } = this.lastCleanup;
    if (failed.length > 0) {
      this.settings.report(`firebreak gameday: cleanup of ${this.description} (run ${this.settings.runId}) could not delete ${failed.length} resource(s); delete them by hand:`);
      for (const problem of failed) this.settings.report(`  ${problem.resource}: ${problem.error}`);
    }
  }
}
