/**
 * The embedded default: the game day's account is the in-process simulated account
 * (lib/gameday/sim), which answers real SDK clients with AWS's behaviours and error codes. The
 * game-day backend (account-backend/) prepares, inspects and cleans up through it exactly as
 * through an endpoint; what is local is how the clients reach it and the simulator's own
 * abilities: injected faults and denied actions, IAM-policy evaluation, and the simulated clock
 * (nothing reads the wall clock but the timeline's wall-time column).
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AccountBackend } from './account-backend/account-backend';
import type { OperatorClients } from './account-backend/context';
import { EnvironmentSetupError } from './account-backend/context';
import { describeExecution } from './account-backend/executions';
import type { ExecutionDirectory, GameDayCall, GameDayClients, RehearsalFinding, ResolvedEnvironment } from './backend';
import { wallClockMs } from './backend';
import type { EnvironmentDocument, SettingsDocument } from './scenario';
import { SimulatedAws, loadIamCatalog } from './sim';
import type { CallRecord, PolicyDocument } from './sim';

/** The role the backend prepares, inspects and cleans up as (the simulated account's operator). */
const OPERATOR_ROLE = 'firebreak-gameday-operator';
/** Simulated time between two polls (instance transitions take 30 simulated seconds). */
const POLL_INTERVAL_MS = 5_000;

export interface LocalBackendOptions {
  /** Seed of the simulated account's ids (default `firebreak-gameday`). */
  readonly seed?: string;
  readonly account?: string;
  readonly region?: string;
  /** Simulated time at start. */
  readonly start?: Date | string;
}

/** The game-day backend over one SimulatedAws per scenario. */
export class LocalBackend extends AccountBackend {
  readonly description = 'local simulated account';
  readonly sim: SimulatedAws;
  private readonly operatorArn: string;
  private readonly factories = new Map<string, GameDayClients>();
  private readonly calls: GameDayCall[] = [];

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
    });
    this.operatorArn = `arn:aws:iam::${this.sim.defaultAccount}:role/${OPERATOR_ROLE}`;
    this.sim.addOperator(this.operatorArn);
    this.sim.onCall((record) => {
      if (record.caller.includes(`:assumed-role/${OPERATOR_ROLE}/`)) return;
      this.calls.push(gameDayCall(record, this.calls.length + 1));
    });
  }

  override async prepare(environment: EnvironmentDocument, settings: SettingsDocument): Promise<ResolvedEnvironment> {
    const { account, region } = environment;
    if (account !== this.sim.defaultAccount || region !== this.sim.defaultRegion) {
      throw new EnvironmentSetupError(
        `the local backend was made for ${this.sim.defaultAccount}/${this.sim.defaultRegion} but the environment is in ${account}/${region}`,
      );
    }
    return super.prepare(environment, settings);
  }

  protected operatorClients(region: string): OperatorClients {
    const factory = this.sim.clientFactory({ principal: this.operatorArn, homeRegion: region });
    const target = { account: this.sim.defaultAccount, region };
    return {
      ec2: () => factory.ec2(target),
      iam: () => factory.iam(target),
      sts: () => factory.sts(),
      sns: () => factory.sns(),
      sqs: () => factory.sqs(),
      dynamodb: () => factory.dynamodb(),
      kms: () => factory.kms(),
      autoScaling: () => factory.autoScaling(target),
      elbv2: () => factory.elbv2(target),
      elb: () => factory.elb(target),
    };
  }

  protected async callerAccount(clients: OperatorClients): Promise<string> {
    const identity = await (await clients.sts()).send(new GetCallerIdentityCommand({}));
    return identity.Account ?? this.sim.defaultAccount;
  }

  protected async pause(ms: number): Promise<void> {
    this.sim.advance(ms);
  }

  protected rehearse(environment: EnvironmentDocument): void {
    for (const fault of environment.faults) {
      this.sim.injectFault({ api: fault.api, error: fault.error, times: fault.times, ...(fault.message !== undefined ? { message: fault.message } : {}) });
    }
    if (environment.deniedActions.length > 0) this.sim.denyActions(environment.deniedActions);
  }

  protected override fixInstanceIds(ids: readonly string[]): void {
    this.sim.presetInstanceIds(ids);
  }

  serveExecutions(directory: ExecutionDirectory): void {
    this.sim.defineApi('states:DescribeExecution', (call) => describeExecution(directory, String(call.input.executionArn ?? '')));
  }

  clients(role: string): GameDayClients {
    let factory = this.factories.get(role);
    if (!factory) {
      factory = this.sim.clientFactory({ principal: `arn:aws:iam::${this.sim.defaultAccount}:role/${role}` });
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
    return this.calls.length;
  }

  callLog(): readonly GameDayCall[] {
    return this.calls;
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
