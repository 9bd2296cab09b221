/**
 * Runs one scenario end to end: prepare its environment on a backend, synthesize the deployment's
 * state machines, inject its events through the dispatcher, wait for every execution, inspect the
 * account, build the timeline and check every expectation.
 */
import { CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteSnapshotCommand, DescribeSnapshotsCommand, DescribeSubnetsCommand, ModifyNetworkInterfaceAttributeCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AddRoleToInstanceProfileCommand, CreateRoleCommand, DeleteAccessKeyCommand, DeleteRoleCommand, DetachUserPolicyCommand, GetInstanceProfileCommand, GetRoleCommand, RemoveRoleFromInstanceProfileCommand, TagRoleCommand, TagUserCommand, UpdateAccessKeyCommand, UpdateUserCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { UpdateFirewallDomainsCommand } from '@aws-sdk/client-route53resolver';
import type { Incident } from '../incident/model';
import { EVIDENCE_TAG_KEYS, evidenceSnapshotDescription, evidenceSnapshotTags } from '../responders/snapshot-plan';
import { findingKey } from '../incident/keys';
import { executionNameFor, parseEvent } from '../incident/parse';
import type { Playbook } from '../playbooks/model';
import { readRecordedQuarantine } from '../operator/release/aws';
import { buildReleaseRequest, incidentKeyFromTags, RELEASE_PLAYBOOK, releaseIncidentOf } from '../operator/release/request';
import { buildS3ObjectReleaseRequest, incidentKeyFromObjectTags, RELEASE_S3_OBJECT_PLAYBOOK } from '../operator/release/s3-object';
import { buildDnsUnblockRequest, DNS_UNBLOCK_PLAYBOOK } from '../operator/dns-unblock';
import { buildCredentialReleaseRequest, chooseIncident, CREDENTIAL_RELEASE_PLAYBOOK, describeCredential, readCredentialRecordSummary } from '../operator/credential-release';
import type { ReleasedCredential } from '../operator/credential-release';
import { canonicalDomain } from '../responders/dns-domain';
import { findFirewall } from '../responders/dns-firewall';
import { instanceProfileName } from '../responders/instance-profile-arn';
import { denyAllPolicyArn } from '../responders/credential-rails';
import { DENY_ALL_POLICY_NAME } from '../playbooks/credential-options';
import type { TriageDecision } from '../playbooks/triage';
import type { SynthesizedDefinitions } from '../stack/app';
import type { AccountInspection, GameDayBackend, GameDayCall, RehearsalFinding, ResolvedEnvironment } from './backend';
import { busFor, deployedPolicies, deployedResourcePolicies, deployedRules, forensicRolePolicies, localDeploymentResources, PAUSE_CONTROL_ROLE, memberAccountRoles, memberRoleExternalIds, memberRoleNamesByRole, routeToDispatcher, statementSids, withoutStatements } from './deployment';
import type { DeployedRule, EventRouting } from './deployment';
import type { PolicyDocument } from './sim/iam-policy';
import { didYouMean } from '../playbooks/errors';
import { wallClockMs } from './backend';
import { definitionsFor } from './definitions';
import type { ApprovalDecision, ApprovalDesk, ForgedAnswer, ApprovalRequest, ExecutionRecord, HeldApproval, Json, PauseControlRequest } from './engine';
import { LOCAL_STACK_NAME, LocalEngine } from './engine';
import type { ExpectationResult } from './expectations';
import { alertOriginChecks, evaluateExpectations } from './expectations';
import { LocalBackend, OPERATOR_ROLE as GAMEDAY_OPERATOR_ROLE } from './local-backend';
import type { ApprovalDocument, Scenario } from './scenario';
import { scenarioPlaybooks } from './scenario';
import { scenarioTargetId } from './fleet-scenario';
import { GameDayEventError, buildInjectedEvent, defaultTemplateDirectories, impossibleFindingTimes, setPath } from './templates';
import type { Containment, TimelineRow } from './timeline';
import { buildTimeline, measureContainment } from './timeline';
import type { LatencyModel } from './latency/model';
import { loadLatencyModel } from './latency/model';
import type { Pace } from './latency/pace';
import { medianPace } from './latency/pace';
import type { LatencyPrediction } from './latency/predict';
import { predictLatency } from './latency/predict';
import { RESPONDER_NAMES } from '../contracts/responders';
import { SECURITY_TAGS } from '../contracts/security';
import { DEFAULT_MEMBER_ROLE_NAME } from '../aws/member-accounts';
import type { IncidentReport } from '../operator/incident-report';
import { listChecks, readScenarioRecords, recordChecks, scenarioPhaseTargets } from './incident-records';
import { ScenarioDeadline, ScenarioTimeoutError } from './scenario-timeout';

/** One delivery of an injected event to the dispatcher. */
export interface DeliveryOutcome {
  /** 1-based, in delivery order. */
  readonly index: number;
  /** Which `inject:` entry it came from (0-based). */
  readonly injection: number;
  readonly dispatcher: ExecutionRecord;
  /** Triage's decision, when triage answered. */
  readonly decision?: TriageDecision;
  /** The dispatcher ended in DuplicateDelivery: the playbook had already started for this incident revision. */
  readonly duplicate: boolean;
  /** The EventBridge rule that delivered it (undefined: delivered directly, e.g. raw text). */
  readonly rule?: string;
  /** The dispatcher ran on the oversized-event intake's clipped copy of the event, not on the event as delivered. */
  readonly clipped?: true;
}

/** How EventBridge routed one injected copy of an event. */
export interface RoutingRecord extends EventRouting {
  /** Which `inject:` entry it came from (0-based). */
  readonly injection: number;
  readonly at: Date;
  readonly wallMs: number;
}

/** A responder invoked directly by an `invoke:` injection, and what it answered. */
export interface DirectInvocation {
  /** Which `inject:` entry it came from (0-based). */
  readonly injection: number;
  readonly responder: string;
  readonly payload: unknown;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

export interface ApprovalRecord {
  readonly request: Omit<ApprovalRequest, 'payload'>;
  readonly decision: ApprovalDecision;
}

/** Everything a scenario run produced. */
export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly backend: string;
  readonly environment?: ResolvedEnvironment;
  readonly deliveries: readonly DeliveryOutcome[];
  readonly executions: readonly ExecutionRecord[];
  readonly approvals: readonly ApprovalRecord[];
  /** Responders invoked directly (`invoke:` injections). */
  readonly invocations: readonly DirectInvocation[];
  readonly calls: readonly GameDayCall[];
  readonly before?: AccountInspection;
  readonly after?: AccountInspection;
  readonly timeline: readonly TimelineRow[];
  readonly containment?: Containment;
  readonly expectations: readonly ExpectationResult[];
  /** How EventBridge routed each injected event (empty when the definitions carry no rules). */
  readonly routings: readonly RoutingRecord[];
  /** What the backend could not rehearse faithfully (unevaluated IAM conditions…). */
  readonly findings: readonly RehearsalFinding[];
  /** Wall time of the whole scenario (prepare, synth when not cached, run, inspect), ms. */
  readonly wallMs: number;
  /** Simulated time from injection to the last execution's end, ms. */
  readonly simMs: number;
  /** A scenario that could not run at all (environment, template, engine). */
  readonly error?: string;
  /** Predicted time to containment from the latency model, when the run asked for it. */
  readonly latency?: LatencyPrediction;
  /** The post-incident report of each incident record the run left (what `firebreak report` writes). */
  readonly reports?: readonly IncidentReport[];
  readonly passed: boolean;
}

export interface RunScenarioOptions {
  /** The deployed playbooks (loaded once by the caller). */
  readonly playbooks: readonly Playbook[];
  /** Default: a fresh LocalBackend seeded with the scenario's name. */
  readonly backend?: GameDayBackend;
  /** Where event templates are looked up. */
  readonly templateDirectories?: readonly string[];
  /** The state machine definitions to run; default: what the CDK app synthesizes for the scenario's settings. */
  readonly definitions?: SynthesizedDefinitions;
  /**
   * Time the run with a latency model: p50/p99 of the predicted time to containment over `runs`
   * seeded draws (default 200, seed: the scenario's name) and the critical path. Off by default:
   * a plain game day stays deterministic and fast.
   */
  readonly latency?: { readonly model: LatencyModel; readonly runs?: number; readonly seed?: string };
  /**
   * How the simulated clock moves through the run (lib/gameday/latency/pace.ts): by default each
   * hop takes the shipped latency model's median, so recorded times and the report's phases read
   * like a deployment's (deterministic, no real waiting); `false`: only retries, backoffs and
   * approval timeouts move it.
   */
  readonly pace?: Pace | false;
  /**
   * The wall time the scenario may take, in seconds (prepare, synth, run, inspect): past it the run
   * fails with ScenarioTimeoutError naming the scenario and the bound, its engine aborted. Default:
   * no bound (`gameday run` gives one, DEFAULT_SCENARIO_TIMEOUT_SECONDS).
   */
  readonly timeoutSeconds?: number;
}

let shippedPace: Promise<Pace> | undefined;

/** The default pace: the shipped model's medians (read once per process). */
export function defaultPace(): Promise<Pace> {
  shippedPace ??= loadLatencyModel().then(medianPace);
  return shippedPace;
}

/** PASS, FAIL, or for a `pending:` scenario PENDING (fails as expected) / NOW PASSES (remove `pending:`). */
export type Verdict = 'PASS' | 'FAIL' | 'PENDING' | 'NOW PASSES';

/** The verdict of a run. */
export function verdictOf(run: Pick<ScenarioRun, 'passed' | 'scenario'>): Verdict {
  if (run.scenario.pending === undefined) return run.passed ? 'PASS' : 'FAIL';
  return run.passed ? 'NOW PASSES' : 'PENDING';
}

/** True unless the run fails the game day (a pending scenario never does). */
export function runHolds(run: Pick<ScenarioRun, 'passed' | 'scenario'>): boolean {
  return run.passed || run.scenario.pending !== undefined;
}

/**
 * Answers held until an injection (`answerAfterInjection`): the runner marks each `inject:` entry
 * done once it has been delivered and its executions have settled, which releases the answers held
 * for it; an answer asked for after its injection is done is given at once.
 */
export class HeldAnswers {
  private readonly done = new Set<number>();
  private readonly waiting = new Map<number, (() => void)[]>();

  /** The decision, at once when injection `after` is done, else held until it is. */
  hold(after: number, give: () => ApprovalDecision): ApprovalDecision | HeldApproval {
    if (this.done.has(after)) return give();
    return {
      held: new Promise<ApprovalDecision>((resolve) => {
        this.waiting.set(after, [...(this.waiting.get(after) ?? []), () => resolve(give())]);
      }),
    };
  }

  /** Injection `injection` (1-based) is done: its held answers are given. Returns how many. */
  injectionDone(injection: number): number {
    this.done.add(injection);
    const released = this.waiting.get(injection) ?? [];
    this.waiting.delete(injection);
    for (const release of released) release();
    return released.length;
  }

  /** Gives every answer still held (the run is over: nothing else would). */
  releaseAll(): void {
    for (const injection of [...this.waiting.keys()]) this.injectionDone(injection);
  }
}

/** How long the person takes to answer (`answerAfterSeconds`), when the scenario says. */
const lateBy = (answer: ApprovalDocument): { readonly afterSeconds?: number } => (answer.answerAfterSeconds !== undefined ? { afterSeconds: answer.answerAfterSeconds } : {});

/** An answer forged by direct invocation (`forged`), when the scenario says. */
const forgery = (answer: ApprovalDocument): { readonly forged?: ForgedAnswer } => (answer.forged !== undefined ? { forged: answer.forged } : {});

/**
 * The scenario's `approvals:` answers, consumed in order (by step when one is named); unanswered
 * requests time out. A request whose answer the approval function refused is answered again only by
 * an `afterRefusal` entry, which answers nothing else; without one it times out, unlogged.
 */
export function scenarioApprovalDesk(answers: readonly ApprovalDocument[], log: ApprovalRecord[], held: HeldAnswers = new HeldAnswers()): ApprovalDesk {
  const remaining = [...answers];
  return (request) => {
    const again = request.refused !== undefined;
    const index = remaining.findIndex((answer) => (answer.afterRefusal === true) === again && (answer.step === undefined || answer.step === request.state));
    if (again && index < 0) return { answer: 'timeout' };
    const answer = index >= 0 ? remaining.splice(index, 1)[0] : undefined;
    const decision: ApprovalDecision =
      answer === undefined || answer.answer === 'timeout'
        ? { answer: 'timeout' }
        : answer.answer === 'approve'
          ? { answer: 'approve', by: answer.by, ...lateBy(answer), ...forgery(answer) }
          : { answer: 'reject', by: answer.by, reason: `rejected by ${answer.by} during the game day`, ...lateBy(answer), ...forgery(answer) };
    const { payload: _payload, refused: _refused, ...summary } = request;
    const give = () => {
      log.push({ request: summary, decision });
      return decision;
    };
    return answer?.answerAfterInjection !== undefined ? held.hold(answer.answerAfterInjection, give) : give();
  };
}

/** The instance, its current tags and the deployed manual playbook an injection (`release:`, `unblockDns:`) starts. */
async function manualTarget(engine: LocalEngine, backend: GameDayBackend, environment: ResolvedEnvironment, injection: string, name: string, playbook: string) {
  const instance = environment.instances[name];
  const stateMachineArn = engine.stateMachineArnOf(playbook);
  if (!instance) throw new Error(`${injection}: no instance '${name}' in the environment`);
  if (!stateMachineArn) throw new Error(`${injection}: no ${playbook} playbook is deployed (add playbooks/${playbook}.yaml)`);
  const tags = (await backend.inspect()).instances[instance.instanceId]?.tags ?? {};
  return { instance, stateMachineArn, tags };
}

/**
 * Starts the release-instance playbook for an instance of the environment as `firebreak release`
 * does (lib/operator/release/request.ts): the incident key from `releaseIncident` (--incident) or
 * the instance's pre-quarantine record in the state table, else from its firebreak:incident tag.
 */
async function startRelease(
  engine: LocalEngine,
  backend: GameDayBackend,
  environment: ResolvedEnvironment,
  release: { target: string; reason?: string; incident?: string },
  mode: 'enforce' | 'dry-run',
): Promise<void> {
  const { instance, stateMachineArn, tags } = await manualTarget(engine, backend, environment, 'release', release.target, RELEASE_PLAYBOOK);
  const recorded = await readRecordedQuarantine(backend.clients(GAMEDAY_OPERATOR_ROLE).dynamodb(), environment.deployment.stateTableName, instance, instance.instanceId);
  const request = buildReleaseRequest({
    instanceId: instance.instanceId,
    account: instance.account,
    region: instance.region,
    incidentKey: releaseIncidentOf(instance.instanceId, recorded, release.incident) ?? incidentKeyFromTags(instance.instanceId, tags),
    mode,
    requestedBy: gameDayEngineerArn(environment),
    ...(release.reason !== undefined ? { reason: release.reason } : {}),
    at: backend.now(),
    tags,
  });
  // Started, not awaited: the runner settles it after the delivery, as it does a playbook a finding
  // started, so that an approval held until a later injection waits without holding the run up.
  engine.start(stateMachineArn, request.executionName, request.input);
}

/**
 * A `releaseObject:` injection: starts the release-s3-object playbook for an S3 object of the
 * environment as `firebreak release --bucket --key --version-id` does (lib/operator/release/s3-object.ts):
 * the incident key from the object's firebreak:incident tag, the request the command builds.
 */
async function startObjectRelease(engine: LocalEngine, backend: GameDayBackend, environment: ResolvedEnvironment, release: { object: string; reason?: string }, mode: 'enforce' | 'dry-run'): Promise<void> {
  const object = environment.s3Objects?.[release.object];
  const stateMachineArn = engine.stateMachineArnOf(RELEASE_S3_OBJECT_PLAYBOOK);
  if (!object) throw new Error(`releaseObject: no S3 object '${release.object}' in the environment`);
  if (!stateMachineArn) throw new Error(`releaseObject: no ${RELEASE_S3_OBJECT_PLAYBOOK} playbook is deployed (add playbooks/${RELEASE_S3_OBJECT_PLAYBOOK}.yaml)`);
  const tags = (await backend.inspect()).s3Objects?.[release.object]?.tags ?? {};
  const target = { bucketName: object.bucket, key: object.key, ...(object.versionId !== 'null' ? { versionId: object.versionId } : {}) };
  const request = buildS3ObjectReleaseRequest({
    ...target,
    account: environment.account,
    region: environment.region,
    incidentKey: incidentKeyFromObjectTags(`s3://${object.bucket}/${object.key}`, tags),
    mode,
    requestedBy: gameDayEngineerArn(environment),
    ...(release.reason !== undefined ? { reason: release.reason } : {}),
    at: backend.now(),
  });
  // Started, not awaited: the runner settles it after the delivery, as it does a playbook a finding
  // started, so that an approval held until a later injection waits without holding the run up.
  engine.start(stateMachineArn, request.executionName, request.input);
}

/**
 * An `unblockDns:` injection: starts the unblock-dns-domain playbook as `firebreak dns unblock`
 * does (lib/operator/dns-unblock.ts), for the claim of the instance's incident (its
 * firebreak:incident tag), without the command's early refusals: the step's own checks are what
 * the scenario rehearses.
 */
async function startDnsUnblock(
  engine: LocalEngine,
  backend: GameDayBackend,
  environment: ResolvedEnvironment,
  unblock: { domain: string; instance: string; force: boolean; reason?: string },
  mode: 'enforce' | 'dry-run',
): Promise<void> {
  const { instance, stateMachineArn, tags } = await manualTarget(engine, backend, environment, 'unblockDns', unblock.instance, DNS_UNBLOCK_PLAYBOOK);
  const request = buildDnsUnblockRequest({
    domain: canonicalDomain(unblock.domain),
    account: instance.account,
    region: instance.region,
    claim: { instanceId: instance.instanceId, incidentKey: incidentKeyFromTags(instance.instanceId, tags) },
    force: unblock.force,
    mode,
    requestedBy: gameDayEngineerArn(environment),
    reason: unblock.reason ?? 'game day',
    at: backend.now(),
  });
  // Started, not awaited: the runner settles it after the delivery, as it does a playbook a finding
  // started, so that an approval held until a later injection waits without holding the run up.
  engine.start(stateMachineArn, request.executionName, request.input);
}

/**
 * A `releaseCredentials:` injection: starts the release-credentials playbook as `firebreak
 * credentials release` does (lib/operator/credential-release.ts), for the incident of the
 * scenario's last playbook execution (the command reads it from the credential's record), without
 * the command's early refusals: the step's own checks are what the scenario rehearses.
 */
async function startCredentialRelease(
  engine: LocalEngine,
  backend: GameDayBackend,
  environment: ResolvedEnvironment,
  spec: { user: string; key: number; incident?: 'of-record' } | { role: string },
  reason: string | undefined,
  mode: 'enforce' | 'dry-run',
): Promise<void> {
  const stateMachineArn = engine.stateMachineArnOf(CREDENTIAL_RELEASE_PLAYBOOK);
  if (!stateMachineArn) throw new Error(`releaseCredentials: no ${CREDENTIAL_RELEASE_PLAYBOOK} playbook is deployed (add playbooks/${CREDENTIAL_RELEASE_PLAYBOOK}.yaml)`);
  let credential: ReleasedCredential;
  if ('user' in spec) {
    const accessKeyId = environment.iamUsers?.[spec.user]?.accessKeys[spec.key];
    if (accessKeyId === undefined) throw new Error(`releaseCredentials: the environment has no access key ${spec.key} of user '${spec.user}'`);
    credential = { kind: 'access-key', accessKeyId, userName: spec.user };
  } else {
    if (environment.iamRoles?.[spec.role] === undefined) throw new Error(`releaseCredentials: no role '${spec.role}' in the environment`);
    credential = { kind: 'role-sessions', roleName: spec.role };
  }
  const previous = engine.executions().filter((record) => record.kind === 'playbook').at(-1);
  const incidentKey =
    'user' in spec && spec.incident === 'of-record'
      ? chooseIncident(describeCredential(credential), environment.account, await readCredentialRecordSummary(backend.clients(GAMEDAY_OPERATOR_ROLE).dynamodb(), environment.deployment.stateTableName, environment.account, credential), undefined)
      : (previous?.input as { incident?: { key?: string } } | undefined)?.incident?.key;
  if (incidentKey === undefined) throw new Error('releaseCredentials: no playbook ran before it, so there is no incident to release');
  const request = buildCredentialReleaseRequest({
    credential,
    account: environment.account,
    region: environment.region,
    incidentKey,
    mode,
    requestedBy: gameDayEngineerArn(environment),
    reason: reason ?? 'game day',
    at: backend.now(),
  });
  // Started, not awaited: the runner settles it after the delivery, as it does a playbook a finding
  // started, so that an approval held until a later injection waits without holding the run up.
  engine.start(stateMachineArn, request.executionName, request.input);
}

/**
 * A `pause:` or `resume:` injection: the emergency-pause function sets or lifts the pause as
 * `firebreak pause` / `resume` ask it. A scenario rehearses what follows a pause, so a pause the
 * function did not set (refused, already paused, its role denied) stops the run, naming what it said.
 */
async function controlPause(engine: LocalEngine, request: PauseControlRequest, where: string): Promise<void> {
  const expected = request.action === 'pause' ? 'paused' : 'resumed';
  let answer;
  try {
    answer = await engine.controlPause(request);
  } catch (error) {
    throw new Error(`${where}: ${request.action}: the emergency-pause function failed (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`, { cause: error });
  }
  if (answer.outcome !== expected) throw new Error(`${where}: ${request.action}: the emergency-pause function answered ${answer.outcome} (${answer.statusCode}), not ${expected}: ${answer.message}`);
}

/** The attacker's role of a `tamper:` injection: a role of the member account, outside Firebreak's policies. */
export const TAMPERING_ROLE = 'gameday-attacker-with-delete-snapshot';

/** The instance a `tamper:` injection names, and EC2 in its account as the attacker's role (TAMPERING_ROLE). */
async function attackerEc2(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string) {
  const instance = environment.instances[instanceName];
  if (!instance) throw new Error(`tamper: no instance '${instanceName}' in the environment`);
  return { instance, ec2: await backend.clients(TAMPERING_ROLE).ec2({ account: instance.account, region: instance.region }) };
}

/**
 * A `tamper:` injection: an attacker holding a role in the member account tries to destroy the
 * evidence, DeleteSnapshot on every snapshot tagged as the instance's evidence. Each refusal is
 * kept in the call log (expect `calls` with its error); nothing here throws on a refusal.
 */
async function tamperWithEvidence(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string): Promise<void> {
  const { instance, ec2 } = await attackerEc2(backend, environment, instanceName);
  const { Snapshots = [] } = await ec2.send(
    new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${EVIDENCE_TAG_KEYS.instance}`, Values: [instance.instanceId] }] }),
  );
  for (const snapshot of Snapshots) {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.SnapshotId })).catch(() => undefined);
  }
}

/**
 * A `tamper: { reconnect }` injection: an attacker holding a role of the member account that may
 * change any ENI (the same role as for evidence) moves every ENI of the instance back into the
 * groups the environment gave it, undoing its isolation. Firebreak sees it only when a finding
 * about the instance arrives again (GuardDuty's update of the finding). A refusal is kept in the
 * call log; nothing here throws on one.
 */
async function reconnectInstance(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string): Promise<void> {
  const { instance, ec2 } = await attackerEc2(backend, environment, instanceName);
  for (const eni of instance.networkInterfaces) {
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.networkInterfaceId, Groups: eni.groups.map((group) => group.groupId) })).catch(() => undefined);
  }
}

/** The role of a `tamper: { deleteAccessKey }` injection: an administrator of the account the user is in, outside Firebreak's policies. */
export const ACCOUNT_ADMINISTRATOR_ROLE = 'gameday-account-administrator';

/**
 * A `tamper: { deleteAccessKey }` injection: the account's administrator deletes a compromised
 * access key while its incident is still open (what a person cleaning up does). A refusal is kept
 * in the call log (expect `calls` with its error); nothing here throws on one.
 */
async function deleteAccessKey(backend: GameDayBackend, environment: ResolvedEnvironment, spec: { readonly user: string; readonly key: number }): Promise<void> {
  const accessKeyId = environment.iamUsers?.[spec.user]?.accessKeys[spec.key];
  if (accessKeyId === undefined) throw new Error(`tamper: the environment has no access key ${spec.key} of user '${spec.user}'`);
  const iam = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).iam({ account: environment.account, region: environment.region });
  await iam.send(new DeleteAccessKeyCommand({ UserName: spec.user, AccessKeyId: accessKeyId })).catch(() => undefined);
}

/**
 * A `tamper: { reactivateAccessKey }` injection: whoever holds another credential that may change the
 * user (iam:UpdateAccessKey, iam:DetachUserPolicy) undoes Firebreak's containment of a key behind its
 * back: the key Active again, AWSDenyAll detached from its user. Made with the account administrator's
 * role (the simulated account authorizes by role). A refusal is kept in the call log; nothing here
 * throws on one.
 */
async function reactivateAccessKey(backend: GameDayBackend, environment: ResolvedEnvironment, spec: { readonly user: string; readonly key: number }): Promise<void> {
  const accessKeyId = environment.iamUsers?.[spec.user]?.accessKeys[spec.key];
  if (accessKeyId === undefined) throw new Error(`tamper: the environment has no access key ${spec.key} of user '${spec.user}'`);
  const iam = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).iam({ account: environment.account, region: environment.region });
  await iam.send(new UpdateAccessKeyCommand({ UserName: spec.user, AccessKeyId: accessKeyId, Status: 'Active' })).catch(() => undefined);
  await iam.send(new DetachUserPolicyCommand({ UserName: spec.user, PolicyArn: denyAllPolicyArn(environment.region, DENY_ALL_POLICY_NAME) })).catch(() => undefined);
}

/**
 * A `tamper: { listDomainByHand }` injection: the member account's administrator blocks a domain by
 * hand in Firebreak's DNS Firewall domain list (the domain and `*.` it), found as the responders find
 * it. No incident claims it: no release or unblock may take it out (docs/security.md row 6t).
 */
async function listDomainByHand(backend: GameDayBackend, environment: ResolvedEnvironment, domain: string, where: string): Promise<void> {
  const r53 = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).route53resolver({ account: environment.account, region: environment.region });
  const { domainListId } = await findFirewall(r53, environment.account);
  if (domainListId === undefined) throw new Error(`${where}: tamper: listDomainByHand: Firebreak's DNS Firewall domain list does not exist yet (inject a DNS finding before it)`);
  const name = canonicalDomain(domain);
  await r53.send(new UpdateFirewallDomainsCommand({ FirewallDomainListId: domainListId, Operation: 'ADD', Domains: [name, `*.${name}`] }));
}

/**
 * A `tamper: { renameUser }` injection: whoever holds a user's compromised access key, and may call
 * iam:UpdateUser on that user, gives it a new name after GuardDuty saw the key; the findings keep
 * the old name. Made with the account administrator's role (the simulated account authorizes by
 * role): what it changes is the user's name, as the key's own UpdateUser would. The backend is told,
 * so that the expectations read the user under its new name and the cleanup deletes it.
 */
async function renameUser(backend: GameDayBackend, environment: ResolvedEnvironment, spec: { readonly from: string; readonly to: string }, where: string): Promise<void> {
  const iam = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).iam({ account: environment.account, region: environment.region });
  try {
    await iam.send(new UpdateUserCommand({ UserName: spec.from, NewUserName: spec.to }));
  } catch (error) {
    throw new Error(`${where}: tamper: renaming user ${spec.from} to ${spec.to} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  backend.userRenamed?.(spec.from, spec.to);
}

/**
 * A `tamper: { optOutUser }` or `{ optOutRole }` injection: the principal's owner takes it out of
 * drills (its firebreak:gameday-target tag set to false) after a drill contained its key or denied
 * its sessions, made with the account administrator's role (the simulated account authorizes by role).
 */
async function optOutOfDrills(backend: GameDayBackend, environment: ResolvedEnvironment, principal: { readonly kind: 'user' | 'role'; readonly name: string }, where: string): Promise<void> {
  const iam = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).iam({ account: environment.account, region: environment.region });
  const Tags = [{ Key: SECURITY_TAGS.gameDayTarget.key, Value: 'false' }];
  try {
    if (principal.kind === 'user') await iam.send(new TagUserCommand({ UserName: principal.name, Tags }));
    else await iam.send(new TagRoleCommand({ RoleName: principal.name, Tags }));
  } catch (error) {
    throw new Error(`${where}: tamper: opting ${principal.kind} ${principal.name} out of drills failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Simulated time passing (a `wait:` injection, or a scenario's `waitAfterSeconds`) in 30-second
 * ticks, as a load balancer's health checks and an Auto Scaling group see the account. A no-op
 * against an endpoint, whose clock is the wall clock.
 */
function letTimePass(backend: GameDayBackend, seconds: number): void {
  for (let waited = 0; waited < seconds; waited += 30) backend.advance(Math.min(30, seconds - waited) * 1000);
}

/**
 * A `tamper: { recreateRole }` injection: whoever may create roles in the account deletes a role of
 * the environment and creates it again under the same name, trust policy and tags, after GuardDuty
 * saw the name: IAM gives it a new unique id and a creation date after the finding's. Made with the
 * account administrator's role; the role holds no inline policy yet (DeleteRole would refuse one).
 */
async function recreateRole(backend: GameDayBackend, environment: ResolvedEnvironment, roleName: string, where: string): Promise<void> {
  const iam = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).iam({ account: environment.account, region: environment.region });
  try {
    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    // IAM answers policy documents URL-encoded (RFC 3986).
    const trustPolicy = decodeURIComponent(role?.AssumeRolePolicyDocument ?? '');
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trustPolicy, ...(role?.Path !== undefined ? { Path: role.Path } : {}), ...(role?.Tags !== undefined && role.Tags.length > 0 ? { Tags: role.Tags } : {}) }));
  } catch (error) {
    throw new Error(`${where}: tamper: recreating role ${roleName} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A `tamper: { recreateAutoScalingGroup }` injection: whoever may manage the account's Auto Scaling
 * groups deletes a group of the environment and creates one under the same name while an instance
 * quarantine took out of it waits for its release (docs/security.md row 3j). Its members (the
 * replacement) are detached first, decrementing, so that the group can be deleted; the new group is
 * created empty from one of them, with the old one's maximum size, health checks and load
 * balancers, and then they are terminated (out of every group, nothing else would clean them up).
 * Auto Scaling gives the new group another ARN and a creation time after the capture. Made with the
 * account administrator's role.
 */
async function recreateAutoScalingGroup(backend: GameDayBackend, environment: ResolvedEnvironment, group: string, where: string): Promise<void> {
  const autoScaling = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).autoScaling({ account: environment.account, region: environment.region });
  const name = environment.fleet?.autoScalingGroups[group] ?? group;
  try {
    const old = (await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
    const members = (old?.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
    if (!old || members.length === 0) throw new Error(`the group has ${old ? 'no member to create the new one from' : 'gone'}`);
    await autoScaling.send(new DetachInstancesCommand({ AutoScalingGroupName: name, InstanceIds: members, ShouldDecrementDesiredCapacity: true }));
    await autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name }));
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        InstanceId: members[0],
        MinSize: 0,
        MaxSize: old.MaxSize ?? 1,
        DesiredCapacity: 0,
        ...(old.HealthCheckType !== undefined ? { HealthCheckType: old.HealthCheckType } : {}),
        ...(old.TargetGroupARNs !== undefined ? { TargetGroupARNs: old.TargetGroupARNs } : {}),
        ...(old.LoadBalancerNames !== undefined ? { LoadBalancerNames: old.LoadBalancerNames } : {}),
      }),
    );
    const ec2 = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).ec2({ account: environment.account, region: environment.region });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: members }));
  } catch (error) {
    throw new Error(`${where}: tamper: recreating Auto Scaling group ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A `tamper: { recreateClassicLoadBalancer }` injection: whoever may manage the account's load
 * balancers deletes a Classic Load Balancer of the environment and creates one under the same name
 * (same listeners, a subnet of the same VPC) while an instance quarantine deregistered from it waits
 * for its release (docs/security.md row 3l): Elastic Load Balancing gives the new one a creation time
 * after the capture, and none of the old one's instances. Made with the account administrator's role.
 */
async function recreateClassicLoadBalancer(backend: GameDayBackend, environment: ResolvedEnvironment, loadBalancer: string, where: string): Promise<void> {
  const clients = backend.clients(ACCOUNT_ADMINISTRATOR_ROLE);
  const target = { account: environment.account, region: environment.region };
  const name = environment.fleet?.classicLoadBalancers[loadBalancer] ?? loadBalancer;
  try {
    const elb = await clients.elb(target);
    const old = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [name] }))).LoadBalancerDescriptions?.[0];
    if (!old?.VPCId) throw new Error('the load balancer is gone, or in no VPC');
    const ec2 = await clients.ec2(target);
    const subnet = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [old.VPCId] }] }))).Subnets?.[0]?.SubnetId;
    if (subnet === undefined) throw new Error(`no subnet in ${old.VPCId}`);
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: name }));
    await elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: name,
        Listeners: (old.ListenerDescriptions ?? []).flatMap((description) => (description.Listener ? [description.Listener] : [])),
        Subnets: [subnet],
      }),
    );
  } catch (error) {
    throw new Error(`${where}: tamper: recreating Classic Load Balancer ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A `tamper: { registerTarget }` injection: whoever may register targets in the account (or a
 * deployment tool putting the instance back) registers a quarantined instance in a target group of
 * the environment, by the target id the scenario's target group registers it by, so that a later
 * quarantine run finds a registration its kept record lacks (docs/security.md row 3v). Made with the
 * account administrator's role.
 */
async function registerTarget(backend: GameDayBackend, environment: ResolvedEnvironment, scenario: Scenario, spec: { readonly targetGroup: string; readonly instance: string }, where: string): Promise<void> {
  const arn = environment.fleet?.targetGroups[spec.targetGroup];
  const group = scenario.environment.targetGroups[spec.targetGroup];
  const instance = environment.instances[spec.instance];
  const id = group && instance ? scenarioTargetId(group, instance) : undefined;
  try {
    if (arn === undefined || group === undefined || id === undefined) throw new Error(`no target group ${spec.targetGroup}, or no target id of ${spec.instance} for it`);
    const elbv2 = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).elbv2({ account: environment.account, region: environment.region });
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: group.port }] }));
  } catch (error) {
    throw new Error(`${where}: tamper: registering ${spec.instance} in target group ${spec.targetGroup} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A `tamper: { swapProfileRole }` injection: whoever may manage the account's instance profiles
 * takes every role out of the instance's profile and puts another role of the environment in, while
 * the instance waits for its release (made with the account administrator's role). The profile keeps
 * its ARN, id and creation date: only its role changed (docs/security.md row 3f).
 */
async function swapProfileRole(backend: GameDayBackend, environment: ResolvedEnvironment, spec: { readonly instance: string; readonly role: string }, where: string): Promise<void> {
  const iam = await backend.clients(ACCOUNT_ADMINISTRATOR_ROLE).iam({ account: environment.account, region: environment.region });
  const profileArn = environment.instances[spec.instance]?.instanceProfileArn;
  const profileName = profileArn !== undefined ? instanceProfileName(profileArn) : undefined;
  try {
    if (!profileName) throw new Error(`instance ${spec.instance} has no instance profile`);
    const { InstanceProfile: profile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }));
    for (const role of profile?.Roles ?? []) await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: role.RoleName }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: spec.role }));
  } catch (error) {
    throw new Error(`${where}: tamper: swapping the role of ${spec.instance}'s instance profile for ${spec.role} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A `tamper: { replayPauseRequest }` injection: someone allowed lambda:InvokeFunction on the
 * emergency-pause function sends a captured pause or resume again, whole. The function must refuse
 * it (401, nothing changed); taken, or answered anything else, the run stops saying so.
 */
async function replayPauseRequest(engine: LocalEngine, action: 'pause' | 'resume', where: string): Promise<void> {
  let answer;
  try {
    answer = await engine.replayPauseRequest(action);
  } catch (error) {
    throw new Error(`${where}: tamper: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (answer.statusCode !== 401 || answer.outcome !== 'refused') {
    throw new Error(`${where}: tamper: the ${action} request sent again whole was not refused: the emergency-pause function answered ${answer.outcome} (${answer.statusCode}): ${answer.message}`);
  }
}

/**
 * A `tamper: { untagAfterShare }` injection: the owner of a drill's instance opts it out of drills
 * (deletes its firebreak:gameday-target tag) right after a snapshot of one of its volumes is shared
 * with the forensic account, before copy-evidence copies it. Armed here; the backend acts at that
 * share, between two calls of the responder, which only the simulated account can do.
 */
function untagAfterShare(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string, where: string, after: 'untagAfterShare' | 'untagAfterCopy' = 'untagAfterShare'): void {
  const instance = environment.instances[instanceName];
  if (instance === undefined) throw new Error(`${where}: tamper: no instance '${instanceName}' in the environment`);
  const arm = backend[after]?.bind(backend);
  if (arm === undefined) throw new Error(`${where}: tamper: ${after} needs the local backend (it acts between two calls of a responder)`);
  arm(instance.instanceId, SECURITY_TAGS.gameDayTarget.key);
}

/**
 * A `tamper: { retagEvidenceAfterSnapshot }` injection (row 3x): someone allowed ec2:CreateTags on
 * the member account's snapshots gives the evidence of the instance's data volumes another
 * incident's key right after snapshot-volumes took it, before copy-evidence looks for it. Armed
 * here; the backend acts at that CreateSnapshots, which only the simulated account can do.
 */
function retagEvidenceAfterSnapshot(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string, where: string): void {
  const instance = environment.instances[instanceName];
  if (instance === undefined) throw new Error(`${where}: tamper: no instance '${instanceName}' in the environment`);
  const arm = backend.retagEvidenceAfterSnapshot?.bind(backend);
  if (arm === undefined) throw new Error(`${where}: tamper: retagEvidenceAfterSnapshot needs the local backend (it acts between two calls of a responder)`);
  arm(instance.instanceId, 'gd-another-incident');
}

/**
 * A `tamper: { forgeEvidenceAfterSnapshot }` injection (row 3y): someone allowed ec2:CreateSnapshot
 * and ec2:CreateTags in the member account snapshots the instance's data volumes again right after
 * snapshot-volumes did (the disk as it is then), with the evidence's description and tags. Armed
 * here; the backend acts at that CreateSnapshots, which only the simulated account can do.
 */
function forgeEvidenceAfterSnapshot(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string, where: string): void {
  const instance = environment.instances[instanceName];
  if (instance === undefined) throw new Error(`${where}: tamper: no instance '${instanceName}' in the environment`);
  const arm = backend.forgeEvidenceAfterSnapshot?.bind(backend);
  if (arm === undefined) throw new Error(`${where}: tamper: forgeEvidenceAfterSnapshot needs the local backend (it acts between two calls of a responder)`);
  arm(instance.instanceId);
}

/**
 * A `tamper: { forgeEvidenceBeforeSnapshot }` injection (row 3za): someone allowed
 * ec2:CreateSnapshot and ec2:CreateTags in the member account snapshots the instance's volumes
 * with the description and tags snapshot-volumes gives the evidence of the next finding, before it
 * runs: the incident's key is the finding's id (`gd-<finding id>`), which whoever made the finding
 * happen can predict.
 */
function forgeEvidenceBeforeSnapshot(backend: GameDayBackend, environment: ResolvedEnvironment, instanceName: string, next: unknown, where: string): void {
  const instance = environment.instances[instanceName];
  if (instance === undefined) throw new Error(`${where}: tamper: no instance '${instanceName}' in the environment`);
  const forge = backend.forgeSnapshotsOf?.bind(backend);
  if (forge === undefined) throw new Error(`${where}: tamper: forgeEvidenceBeforeSnapshot needs the local backend (it makes snapshots outside any responder's calls)`);
  const event = next as { source?: unknown; detail?: { id?: unknown; type?: unknown } } | undefined;
  if (event?.source !== 'aws.guardduty' || typeof event.detail?.id !== 'string' || typeof event.detail.type !== 'string') {
    throw new Error(`${where}: tamper: forgeEvidenceBeforeSnapshot must come right before a GuardDuty finding (it forges that finding's evidence)`);
  }
  const incident = { key: findingKey(event.detail.id), findingType: event.detail.type };
  forge(instance.instanceId, evidenceSnapshotDescription(incident), evidenceSnapshotTags(incident, instance.instanceId).tags.map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' })));
}

/** The role of a `tamper: { readObject }` injection: an application of the object's account, outside Firebreak's policies. */
export const APPLICATION_READER_ROLE = 'gameday-application-reader';

/**
 * A `tamper: { readObject }` injection: an application of the account reads the scenario's version
 * of an S3 object (GetObject), as it would before and after Firebreak tags it infected; whether
 * the bucket's policy lets it is the call log's answer (expect `calls`). Nothing here throws on a
 * refusal.
 */
async function readObjectAsApplication(backend: GameDayBackend, environment: ResolvedEnvironment, name: string, where: string): Promise<void> {
  const object = environment.s3Objects?.[name];
  if (!object) throw new Error(`${where}: tamper: no S3 object '${name}' in the environment`);
  const s3 = await backend.clients(APPLICATION_READER_ROLE).s3({ account: environment.account, region: environment.region });
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key, ...(object.versionId !== 'null' ? { VersionId: object.versionId } : {}) }));
    // A real endpoint streams the body: read it, so the connection is given back.
    await (answer.Body as { transformToString?: () => Promise<string> } | undefined)?.transformToString?.();
  } catch {
    // Kept in the call log.
  }
}

/** The role of a `tamper: { uploadObject }` injection: whoever uploads to the bucket (an application of the account, outside Firebreak's policies). */
export const UPLOADER_ROLE = 'gameday-uploader';

/**
 * A `tamper: { uploadObject }` injection: the uploader puts new content at an S3 object's key (PutObject, no tags). In a
 * bucket without versioning that is the version `null` again, replacing the object and its tags
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html); in a versioned one
 * a new version, which the scenario's object (its version id) is not.
 */
async function uploadObjectAsUploader(backend: GameDayBackend, environment: ResolvedEnvironment, upload: { readonly uploadObject: string; readonly body: string }, where: string): Promise<void> {
  const object = environment.s3Objects?.[upload.uploadObject];
  if (!object) throw new Error(`${where}: tamper: no S3 object '${upload.uploadObject}' in the environment`);
  const s3 = await backend.clients(UPLOADER_ROLE).s3({ account: environment.account, region: environment.region });
  await s3.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: upload.body }));
}

/** The role of a `tamper: { reopenReleases }` injection: an operator of the security account, outside Firebreak's policies. */
export const STATE_TABLE_WRITER_ROLE = 'gameday-security-operator';

/**
 * A `tamper: { reopenReleases }` injection: someone the security account lets write DynamoDB tries
 * to make each finished release run again, first with `SET released = false` on its record, then
 * by putting back the record as it was before the release (a saved copy: its seal still verifies).
 * Each refusal is kept in the call log (expect `calls` with its error); nothing here throws on one.
 */
async function reopenReleases(backend: GameDayBackend, environment: ResolvedEnvironment): Promise<void> {
  const TableName = environment.deployment.stateTableName;
  const dynamodb = backend.clients(STATE_TABLE_WRITER_ROLE).dynamodb();
  const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName, FilterExpression: 'released = :true', ExpressionAttributeValues: { ':true': { BOOL: true } } }));
  for (const item of Items) {
    await dynamodb
      .send(new UpdateItemCommand({ TableName, Key: { pk: item.pk! }, UpdateExpression: 'SET released = :false', ExpressionAttributeValues: { ':false': { BOOL: false } } }))
      .catch(() => undefined);
    const before = Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('release')));
    await dynamodb.send(new PutItemCommand({ TableName, Item: { ...before, released: { BOOL: false } } })).catch(() => undefined);
  }
}

/**
 * The incident an `invoke:` or `start:` injection carries: its event, parsed as triage parses it,
 * received when the game day hands it in on the simulated clock (never the wall clock, so that two
 * runs of a scenario write the same report).
 */
function incidentOf(event: unknown, receivedAt: Date): Incident {
  return parseEvent(event, { receivedAt });
}

/** Who starts a game day's releases and manual playbooks: a person of the security account, where Firebreak runs. */
function gameDayEngineerArn(environment: ResolvedEnvironment): string {
  return `arn:aws:sts::${environment.deployment.account}:assumed-role/gameday-engineer/gameday`;
}

/** An execution ARN of the deployment's playbook that was never started (what a forger would name). */
/** An execution ARN of one of the deployment's playbooks (its state machines are the security account's, wherever the environment is). */
function playbookExecutionArn(environment: ResolvedEnvironment, playbook: string, name: string): string {
  return `arn:aws:states:${environment.deployment.region}:${environment.deployment.account}:execution:${LOCAL_STACK_NAME}-${playbook}:${name}`;
}

function forgedExecutionArn(environment: ResolvedEnvironment, playbook: string, index: number): string {
  return playbookExecutionArn(environment, playbook, `forged-${index}`);
}

/**
 * The execution ARN the dispatcher will give this incident's playbook execution: execution names
 * derive from the incident (executionNameFor), so a forger who knows the finding can name it before
 * it starts.
 */
function predictedExecutionArn(environment: ResolvedEnvironment, playbook: string, incident: Pick<Incident, 'key' | 'revision'>): string {
  return playbookExecutionArn(environment, playbook, executionNameFor(incident));
}

/**
 * The incident of the previous playbook execution's own input, as someone who read it with
 * states:DescribeExecution would send it, with the attacker's overrides by dotted path.
 */
function previousIncidentOf(previous: ExecutionRecord | undefined, overrides: Readonly<Record<string, unknown>>): Json {
  const incident = (previous?.input as { incident?: Json } | undefined)?.incident;
  if (incident === null || typeof incident !== 'object' || Array.isArray(incident)) throw new GameDayEventError("'incident: { from: previous-execution }': no playbook execution ran before this injection");
  const copy = structuredClone(incident);
  for (const [path, value] of Object.entries(overrides)) setPath(copy, path, value);
  return copy;
}

/** The role a `removedStatements` entry names, as the local role name the backend signs with. */
function localRoleOf(role: string, region: string, policies: ReadonlyMap<string, readonly PolicyDocument[]>, accountRoles: AccountRoleArns): string | undefined {
  const candidates = [Object.hasOwn(accountRoles, role) ? accountRoles[role] : undefined, role === 'dispatcher' ? 'firebreak-dispatcher' : undefined, role === RESPONDER_NAMES.approval ? 'firebreak-approval' : undefined, role === RESPONDER_NAMES.emergencyPause ? PAUSE_CONTROL_ROLE : undefined, role.startsWith('playbook:') ? `firebreak-states-${role.slice('playbook:'.length)}` : undefined, `firebreak-responder-${region}-${role}`];
  return candidates.find((candidate) => candidate !== undefined && policies.has(candidate));
}

/** The member-account roles' ARNs by the name removedStatements gives them (member-role:<responder>, session-revoker-role:<responder>). */
type AccountRoleArns = Readonly<Record<string, string | undefined>>;

/** The deployed policies with the scenario's `removedStatements` taken out; throws for a role or Sid the template does not have. */
function scenarioPolicies(
  scenario: Scenario,
  policies: ReadonlyMap<string, readonly PolicyDocument[]>,
  region: string,
  accountRoles: AccountRoleArns = {},
): Map<string, readonly PolicyDocument[]> {
  const result = new Map(policies);
  for (const { role, sid } of scenario.environment.removedStatements) {
    const local = localRoleOf(role, region, result, accountRoles);
    if (local === undefined) throw new Error(`environment.removedStatements: the synthesized templates have no role '${role}' for this deployment`);
    const { documents, missing } = withoutStatements(result.get(local) ?? [], [sid]);
    if (missing.length > 0) {
      const sids = statementSids(result.get(local) ?? []);
      throw new Error(`environment.removedStatements: role '${role}' has no statement '${sid}' in the synthesized template${didYouMean(sid, sids)}; its statements: ${sids.join(', ')}`);
    }
    result.set(local, documents);
  }
  return result;
}

function decisionOf(dispatcher: ExecutionRecord): TriageDecision | undefined {
  const triage = [...dispatcher.tasks].reverse().find((task) => task.responder === RESPONDER_NAMES.triage && task.error === undefined);
  const payload = (triage?.result as { Payload?: unknown } | undefined)?.Payload;
  return payload && typeof payload === 'object' ? (payload as TriageDecision) : undefined;
}

/** Runs one scenario; never throws for a scenario problem (it becomes a failed run with `error`). */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions): Promise<ScenarioRun> {
  const startedWall = wallClockMs();
  const { environment: env, settings } = scenario;
  // The local account is the deployment's: the security account, which is the environment's unless settings.securityAccount says otherwise.
  const backend = options.backend ?? new LocalBackend({ seed: scenario.name, account: settings.securityAccount ?? env.account, region: env.region });
  const approvals: ApprovalRecord[] = [];
  const heldAnswers = new HeldAnswers();
  const deliveries: DeliveryOutcome[] = [];
  const invocations: DirectInvocation[] = [];
  const routings: RoutingRecord[] = [];
  let engine: LocalEngine | undefined;
  let resolved: ResolvedEnvironment | undefined;
  let before: AccountInspection | undefined;
  let injectionWall = startedWall;
  let injectionSim = backend.now();
  const deadline = options.timeoutSeconds !== undefined ? new ScenarioDeadline(scenario.name, options.timeoutSeconds, startedWall) : undefined;
  let timedOut = false;
  // The run itself; raced with the scenario's bound when it has one (a run stuck waiting is given
  // up at the bound: see the finally below for what is still running then).
  let run: Promise<ScenarioRun> | undefined;
  try {
    run = (async (): Promise<ScenarioRun> => {
      const pace = options.pace === false ? undefined : (options.pace ?? (await defaultPace()));
      // Refused before anything is created, and again below once the deployment is synthesized.
      const memberAccountUnsupported = () =>
        new Error(`settings.securityAccount needs a deployment with a member role and a backend that prepares a member account and enforces the deployed policies; ${backend.description} does not`);
      if (settings.securityAccount !== undefined && !backend.prepareMemberRoles) {
        throw memberAccountUnsupported();
      }
      resolved = await backend.prepare(env, settings);
      deadline?.check();
      const environment = resolved;
      before = await backend.inspect();
      if (settings.forensicCopyFailsLate.length > 0 && settings.forensicAccount === undefined) {
        throw new Error('settings.forensicCopyFailsLate needs settings.forensicAccount (the copies it fails are the forensic account\'s)');
      }
      if (settings.quarantineBucket !== undefined && environment.quarantineBucket === undefined) {
        throw new Error(`settings.quarantineBucket needs a backend that makes a bucket in another account; ${backend.description} does not`);
      }
      if (settings.forensicAccount !== undefined && environment.forensic === undefined) {
        throw new Error(`settings.forensicAccount needs a backend that prepares a second account; ${backend.description} does not`);
      }
      // Only a backend that models GuardDuty's export to Security Hub can rehearse the write-back.
      if (env.securityHub !== undefined && backend.exportFinding === undefined) {
        throw new Error(`environment.securityHub needs a backend that models Security Hub (the local simulated account); ${backend.description} does not`);
      }
      const definitions = options.definitions ?? (await definitionsFor(settings, scenarioPlaybooks(options.playbooks, scenario.ownPlaybooks), environment.forensic));
      deadline?.check();
      const local = localDeploymentResources(environment.deployment);
      // Rehearse what is deployed: the roles' identity policies and the rules' patterns, from the synthesized templates.
      const rules: readonly DeployedRule[] | undefined = definitions.deployment ? deployedRules(definitions.deployment, local) : undefined;
      const deployed = definitions.deployment ? deployedPolicies(definitions.deployment, local).roles : undefined;
      // A member-account game day: the member-account roles, made in the environment's account with
      // the deployed trust policies; the deployment's roles reach that account only through them.
      const memberRoles = settings.securityAccount !== undefined && definitions.deployment ? memberAccountRoles(definitions.deployment, local, environment.account) : undefined;
      const accountRoles = [...(memberRoles?.values() ?? [])];
      if (settings.securityAccount !== undefined) {
        if (!memberRoles || !deployed || !backend.prepareMemberRoles || !backend.enforceIdentityPolicies) {
          throw memberAccountUnsupported();
        }
        // Each deployed role assumes the member-account role its function's environment names (a
        // responder's own); the others (state machines, the dispatcher) the configured name, which
        // names no role there: they never act in the member account.
        const ownRoles = memberRoleNamesByRole(definitions.environments, local.region);
        const deployedRoles = new Map([...deployed.keys()].map((role) => [role, ownRoles.get(role) ?? DEFAULT_MEMBER_ROLE_NAME]));
        await backend.prepareMemberRoles(accountRoles, deployedRoles, memberRoleExternalIds(definitions.environments, local.region));
      }
      if (definitions.deployment && deployed && backend.enforceIdentityPolicies) {
        const withMemberRoles = new Map([...deployed, ...accountRoles.map((role) => [role.roleArn, role.documents] as const)]);
        const roles = new Map(scenarioPolicies(scenario, withMemberRoles, local.region, Object.fromEntries([...(memberRoles ?? [])].map(([label, role]) => [label, role.roleArn]))));
        // The forensic role, in the forensic account, as the ForensicRoleStack template grants it.
        const forensicRole = environment.forensic ? forensicRolePolicies(definitions.deployment, local, environment.forensic.accountId) : undefined;
        if (forensicRole) roles.set(forensicRole.roleArn, forensicRole.documents);
        await backend.enforceIdentityPolicies(roles, deployedResourcePolicies(definitions.deployment, local));
        // And who may assume it: the template's trust policy (aws:PrincipalArn of copy-evidence's role), not the one prepare wrote.
        if (forensicRole && backend.enforceTrustPolicies) await backend.enforceTrustPolicies(new Map([[forensicRole.roleArn, forensicRole.trustPolicy]]));
      } else if (scenario.environment.removedStatements.length > 0) {
        throw new Error(`environment.removedStatements needs a backend that enforces the deployed policies; ${backend.description} does not`);
      }
      engine = new LocalEngine({
        backend,
        definitions,
        environment,
        settings,
        approvals: scenarioApprovalDesk(scenario.approvals, approvals, heldAnswers),
        traceCalls: options.latency !== undefined,
        ...(pace ? { pace } : {}),
        ...(scenario.functionTimeouts.length > 0 ? { functionTimeouts: scenario.functionTimeouts } : {}),
      });
      const directories = options.templateDirectories ?? defaultTemplateDirectories();
      const planned: {
        injection: number;
        event?: unknown;
        raw?: boolean;
        bus?: string;
        release?: { target: string; reason?: string; incident?: string };
        releaseObject?: { object: string; reason?: string };
        unblockDns?: { domain: string; instance: string; force: boolean; reason?: string };
        releaseCredentials?: { spec: { user: string; key: number; incident?: 'of-record' } | { role: string }; reason?: string };
        tamper?: { deleteEvidenceOf: string } | { reconnect: string } | { reopenReleases: true } | { deleteAccessKey: { user: string; key: number } } | { reactivateAccessKey: { user: string; key: number } } | { renameUser: { from: string; to: string } } | { recreateRole: string } | { optOutUser: string } | { optOutRole: string } | { recreateAutoScalingGroup: string } | { recreateClassicLoadBalancer: string } | { registerTarget: { targetGroup: string; instance: string } } | { swapProfileRole: { instance: string; role: string } } | { listDomainByHand: string } | { replayPauseRequest: 'pause' | 'resume' } | { untagAfterShare: string } | { untagAfterCopy: string } | { retagEvidenceAfterSnapshot: string } | { forgeEvidenceAfterSnapshot: string } | { forgeEvidenceBeforeSnapshot: string } | { readObject: string } | { uploadObject: string; body: string };
        pauseControl?: PauseControlRequest;
        /** Seconds of simulated time let pass here. */
        wait?: number;
        direct?: {
          kind: 'invoke' | 'start';
          name: string;
          /** `event`: the function is sent the event itself, as a rule target is (the oversized-event intake). */
          input: 'step' | 'event';
          mode: 'enforce' | 'dry-run';
          execution: 'none' | 'forged' | 'previous' | 'first' | 'predicted';
          /** Overrides of the previous execution's own incident, sent instead of the template's. */
          previousIncident?: Readonly<Record<string, unknown>>;
          /** What else the attacker writes into the input, by dotted path. */
          payload?: Readonly<Record<string, unknown>>;
          options?: Readonly<Record<string, unknown>>;
        };
      }[] = [];
      for (const [injection, entry] of scenario.inject.entries()) {
        if (entry.release !== undefined) {
          planned.push({
            injection,
            release: { target: entry.release, ...(entry.reason !== undefined ? { reason: entry.reason } : {}), ...(entry.releaseIncident !== undefined ? { incident: entry.releaseIncident } : {}) },
          });
          continue;
        }
        if (entry.releaseObject !== undefined) {
          planned.push({ injection, releaseObject: { object: entry.releaseObject, ...(entry.reason !== undefined ? { reason: entry.reason } : {}) } });
          continue;
        }
        if (entry.unblockDns !== undefined) {
          planned.push({ injection, unblockDns: { ...entry.unblockDns, ...(entry.reason !== undefined ? { reason: entry.reason } : {}) } });
          continue;
        }
        if (entry.tamper !== undefined) {
          planned.push({ injection, tamper: entry.tamper });
          continue;
        }
        if (entry.pause !== undefined) {
          planned.push({ injection, pauseControl: { action: 'pause', by: entry.pause.by, reason: entry.pause.reason } });
          continue;
        }
        if (entry.resume !== undefined) {
          planned.push({ injection, pauseControl: { action: 'resume', by: entry.resume.by, ...(entry.resume.reason !== undefined ? { reason: entry.resume.reason } : {}) } });
          continue;
        }
        if (entry.wait !== undefined) {
          planned.push({ injection, wait: entry.wait.seconds });
          continue;
        }
        if (entry.releaseCredentials !== undefined) {
          planned.push({ injection, releaseCredentials: { spec: entry.releaseCredentials, ...(entry.reason !== undefined ? { reason: entry.reason } : {}) } });
          continue;
        }
        const event = await buildInjectedEvent(entry, environment, directories);
        if (entry.invoke !== undefined || entry.start !== undefined) {
          const kind = entry.invoke !== undefined ? 'invoke' : 'start';
          planned.push({
            injection,
            event,
            direct: {
              kind,
              name: (entry.invoke ?? entry.start) as string,
              input: entry.input ?? 'step',
              mode: entry.mode ?? 'enforce',
              execution: entry.execution ?? 'none',
              ...(entry.incident !== undefined ? { previousIncident: entry.incident.set } : {}),
              ...(entry.payload !== undefined ? { payload: entry.payload } : {}),
              ...(entry.options !== undefined ? { options: entry.options } : {}),
            },
          });
          continue;
        }
        for (let copy = 0; copy < entry.deliveries; copy += 1) {
          planned.push({ injection, event: structuredClone(event), ...(entry.raw !== undefined ? { raw: true } : {}), ...(entry.bus !== undefined ? { bus: entry.bus } : {}) });
        }
      }
      const running = engine;
      const mode = settings.forceDryRun || settings.mode === 'dry-run' ? 'dry-run' : 'enforce';
      const deliver = async ({ injection, event, raw, bus, release, releaseObject, unblockDns, releaseCredentials, tamper, pauseControl, wait, direct }: (typeof planned)[number], index: number) => {
        if (wait !== undefined) {
          letTimePass(backend, wait);
          return;
        }
        if (pauseControl) {
          await controlPause(running, pauseControl, `${scenario.file}: inject[${injection}]`);
          return;
        }
        if (releaseCredentials) {
          await startCredentialRelease(running, backend, environment, releaseCredentials.spec, releaseCredentials.reason, mode);
          return;
        }
        if (release) {
          await startRelease(running, backend, environment, release, mode);
          return;
        }
        if (releaseObject) {
          await startObjectRelease(running, backend, environment, releaseObject, mode);
          return;
        }
        if (unblockDns) {
          await startDnsUnblock(running, backend, environment, unblockDns, mode);
          return;
        }
        if (tamper) {
          if ('deleteEvidenceOf' in tamper) await tamperWithEvidence(backend, environment, tamper.deleteEvidenceOf);
          else if ('reconnect' in tamper) await reconnectInstance(backend, environment, tamper.reconnect);
          else if ('deleteAccessKey' in tamper) await deleteAccessKey(backend, environment, tamper.deleteAccessKey);
          else if ('reactivateAccessKey' in tamper) await reactivateAccessKey(backend, environment, tamper.reactivateAccessKey);
          else if ('renameUser' in tamper) await renameUser(backend, environment, tamper.renameUser, `${scenario.file}: inject[${injection}]`);
          else if ('recreateRole' in tamper) await recreateRole(backend, environment, tamper.recreateRole, `${scenario.file}: inject[${injection}]`);
          else if ('optOutUser' in tamper) await optOutOfDrills(backend, environment, { kind: 'user', name: tamper.optOutUser }, `${scenario.file}: inject[${injection}]`);
          else if ('optOutRole' in tamper) await optOutOfDrills(backend, environment, { kind: 'role', name: tamper.optOutRole }, `${scenario.file}: inject[${injection}]`);
          else if ('recreateAutoScalingGroup' in tamper) await recreateAutoScalingGroup(backend, environment, tamper.recreateAutoScalingGroup, `${scenario.file}: inject[${injection}]`);
          else if ('recreateClassicLoadBalancer' in tamper) await recreateClassicLoadBalancer(backend, environment, tamper.recreateClassicLoadBalancer, `${scenario.file}: inject[${injection}]`);
          else if ('registerTarget' in tamper) await registerTarget(backend, environment, scenario, tamper.registerTarget, `${scenario.file}: inject[${injection}]`);
          else if ('swapProfileRole' in tamper) await swapProfileRole(backend, environment, tamper.swapProfileRole, `${scenario.file}: inject[${injection}]`);
          else if ('listDomainByHand' in tamper) await listDomainByHand(backend, environment, tamper.listDomainByHand, `${scenario.file}: inject[${injection}]`);
          else if ('replayPauseRequest' in tamper) await replayPauseRequest(running, tamper.replayPauseRequest, `${scenario.file}: inject[${injection}]`);
          else if ('untagAfterShare' in tamper) untagAfterShare(backend, environment, tamper.untagAfterShare, `${scenario.file}: inject[${injection}]`);
          else if ('readObject' in tamper) await readObjectAsApplication(backend, environment, tamper.readObject, `${scenario.file}: inject[${injection}]`);
          else if ('uploadObject' in tamper) await uploadObjectAsUploader(backend, environment, tamper, `${scenario.file}: inject[${injection}]`);
          else if ('untagAfterCopy' in tamper) untagAfterShare(backend, environment, tamper.untagAfterCopy, `${scenario.file}: inject[${injection}]`, 'untagAfterCopy');
          else if ('retagEvidenceAfterSnapshot' in tamper) retagEvidenceAfterSnapshot(backend, environment, tamper.retagEvidenceAfterSnapshot, `${scenario.file}: inject[${injection}]`);
          else if ('forgeEvidenceAfterSnapshot' in tamper) forgeEvidenceAfterSnapshot(backend, environment, tamper.forgeEvidenceAfterSnapshot, `${scenario.file}: inject[${injection}]`);
          else if ('forgeEvidenceBeforeSnapshot' in tamper)
            forgeEvidenceBeforeSnapshot(backend, environment, tamper.forgeEvidenceBeforeSnapshot, planned.slice(index + 1).find((next) => next.event !== undefined)?.event, `${scenario.file}: inject[${injection}]`);
          else await reopenReleases(backend, environment);
          return;
        }
        // A finding from the future would hide what depends on its age (templates.ts
        // impossibleFindingTimes); an invoke: is a forgery, which may claim any time.
        const impossible = raw || direct?.kind === 'invoke' ? undefined : impossibleFindingTimes(event, backend.now());
        if (impossible !== undefined) {
          const template = scenario.inject[injection]?.template;
          throw new GameDayEventError(`${scenario.file}: inject[${injection}]${template !== undefined ? ` (template ${template})` : ''}: ${impossible}`);
        }
        if (direct?.kind === 'start') {
          // StartExecution on the playbook itself: no triage, no dispatcher, the input the caller chose.
          const incident = incidentOf(event, backend.now());
          const stateMachineArn = running.stateMachineArnOf(direct.name);
          if (!stateMachineArn) throw new Error(`start: no ${direct.name} playbook is deployed`);
          // A manual playbook (release-s3-object) also reads who asked and why, as `firebreak release` sends them.
          const request = options.playbooks.some((candidate) => candidate.name === direct.name && candidate.trigger === 'manual') ? { requestedBy: gameDayEngineerArn(environment), reason: 'game day' } : {};
          // Settled after the delivery, as every started execution is (an answer held until a later injection must not hold the run up).
          running.start(stateMachineArn, `direct-${index + 1}-${incident.key}`.slice(0, 80), { incident, mode: direct.mode, playbook: direct.name, ...request });
          return;
        }
        if (direct?.kind === 'invoke' && direct.input === 'event') {
          // The event itself, past EventBridge: what whoever may invoke a rule's function target can send it.
          invocations.push({ injection, responder: direct.name, payload: event, ...(await running.invokeDirectly(direct.name, event)) });
          return;
        }
        if (direct?.kind === 'invoke') {
          const playbook = scenario.playbook ?? 'compromised-ec2-instance';
          const playbookExecutions = running.executions().filter((record) => record.kind === 'playbook');
          // The execution the input names (and whose own incident it may send): the last one, or the first.
          const previous = playbookExecutions.at(direct.execution === 'first' ? 0 : -1);
          const incident = direct.previousIncident !== undefined ? previousIncidentOf(previous, direct.previousIncident) : incidentOf(event, backend.now());
          const executionArn =
            direct.execution === 'forged'
              ? forgedExecutionArn(environment, playbook, index + 1)
              : direct.execution === 'previous' || direct.execution === 'first'
                ? previous?.executionArn
                : direct.execution === 'predicted'
                  ? predictedExecutionArn(environment, playbook, incident as unknown as Pick<Incident, 'key' | 'revision'>)
                  : undefined;
          const payload: Record<string, unknown> = {
            incident,
            mode: direct.mode,
            options: direct.options ?? {},
            ...(executionArn !== undefined ? { execution: { executionArn, playbook } } : {}),
          };
          for (const [path, value] of Object.entries(direct.payload ?? {})) setPath(payload, path, structuredClone(value));
          invocations.push({ injection, responder: direct.name, payload, ...(await running.invokeDirectly(direct.name, payload)) });
          return;
        }
        // GuardDuty sends the same finding to Security Hub (where the account enabled it) as to EventBridge.
        if (!raw) backend.exportFinding?.(event);
        // GuardDuty holds the finding it emits on the default bus: GetFindings answers it from now on.
        if (!raw && (bus ?? (rules ? busFor(event, rules) : 'default')) === 'default') backend.recordGuardDutyFinding?.(event);
        // EventBridge delivers an event once per rule of its bus whose pattern matches, and never
        // delivers text: a raw injection goes straight to the dispatcher, as documented.
        let targets: { rule: string | undefined; denial?: string }[] = [{ rule: undefined }];
        if (rules && !raw) {
          // EventBridge starts the dispatcher as the target's role: a rule whose role may not is a
          // failed delivery of that target (straight to its dead-letter queue, never retried), not
          // a delivery; the rule's intake target still gets the event (routeToDispatcher).
          const routed = routeToDispatcher(event, bus ?? busFor(event, rules), rules, running.dispatcherArn, backend.authorizeServiceCall?.bind(backend));
          routings.push({ ...routed, injection, at: backend.now(), wallMs: wallClockMs() });
          const denied = new Map((routed.deniedTargets ?? []).map(({ rule, reason }) => [rule, reason]));
          targets = rules
            .filter((rule) => routed.matched.includes(rule.name) || denied.has(rule.name))
            .map((rule) => ({ rule: rule.name, ...(denied.has(rule.name) ? { denial: denied.get(rule.name) as string } : {}) }));
        }
        const delivered = (dispatcher: ExecutionRecord, rule: string | undefined, clipped: boolean) => {
          const decision = decisionOf(dispatcher);
          deliveries.push({
            index: index + 1,
            injection,
            dispatcher,
            ...(decision ? { decision } : {}),
            duplicate: dispatcher.path.includes('DuplicateDelivery'),
            ...(rule !== undefined ? { rule } : {}),
            ...(clipped ? { clipped: true as const } : {}),
          });
        };
        // What a target could not take goes to the undelivered-events queue, as EventBridge's (and
        // Lambda's) dead-letter queue keeps it.
        const undeliverable = async (rule: string | undefined, error: { code: string; message: string }) => {
          await backend.keepUndelivered?.(event, error, rule ?? '(direct)');
        };
        await Promise.all(
          targets.map(async ({ rule, denial }) => {
            const intake = rule !== undefined ? rules?.find((candidate) => candidate.name === rule)?.functionTarget : undefined;
            // EventBridge delivers to every target of the rule, in parallel: the dispatcher, and the
            // oversized-event intake, which starts the dispatcher with a clipped copy of an event too large for it.
            await Promise.all([
              (async () => {
                // The target's role may not start the dispatcher: EventBridge's error code for a
                // missing permission, and no retry (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
                if (denial !== undefined) {
                  await undeliverable(rule, { code: 'NO_PERMISSIONS', message: denial });
                  return;
                }
                try {
                  delivered(await running.deliver(event), rule, false);
                } catch (error) {
                  // StartExecution refused the event (over 256 KiB): EventBridge does not retry a
                  // refusal, it keeps the event in the target's dead-letter queue.
                  await undeliverable(rule, { code: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) });
                }
              })(),
              intake === undefined
                ? undefined
                : (async () => {
                    const invoked = await running.invokeAsync(intake, event);
                    if (invoked.error !== undefined) {
                      await undeliverable(rule, invoked.error);
                      return;
                    }
                    const executionArn = (invoked.result as { executionArn?: unknown } | undefined)?.executionArn;
                    const started = typeof executionArn === 'string' ? running.executionByArn(executionArn) : undefined;
                    if (started === undefined) return;
                    await started.done;
                    delivered(started, rule, true);
                  })(),
            ]);
          }),
        );
      };
      injectionWall = wallClockMs();
      injectionSim = backend.now();
      if (scenario.delivery === 'all-at-once') {
        await Promise.all(planned.map((delivery, index) => deliver(delivery, index)));
      } else {
        for (const [index, delivery] of planned.entries()) {
          deadline?.check();
          await deliver(delivery, index);
          // One by one: each delivery's playbook ends before the next arrives (but for an execution
          // waiting on an answer held until a later injection).
          await running.settle();
          // The last delivery of its inject: entry: the answers held until that entry are given, and
          // what they let go on ends before the next entry.
          if (planned[index + 1]?.injection !== delivery.injection && heldAnswers.injectionDone(delivery.injection + 1) > 0) await running.settle();
        }
      }
      deadline?.check();
      // Nothing else would answer a request still held.
      heldAnswers.releaseAll();
      await running.settle();
      deadline?.check();
      // Time for what the account does on its own afterwards (an Auto Scaling group replacing an unhealthy instance).
      // In 30-second ticks, as a load balancer's health checks see the account.
      letTimePass(backend, scenario.waitAfterSeconds);
      deliveries.sort((a, b) => a.index - b.index);
      const after = await backend.inspect();
      const calls = backend.callLog();
      const executions = engine.executions().filter((record) => record.kind === 'playbook');
      const containment = measureContainment(calls, after, injectionSim, injectionWall);
      const timeline = buildTimeline({ executions: engine.executions(), calls, environment, injectionSim, injectionWall, routings });
      // The incident records the steps wrote, read as an operator would (its calls are not the run's).
      const operator = backend.clients(GAMEDAY_OPERATOR_ROLE);
      const recordKey = { kms: operator.kms(), ...(environment.deployment.recordKeyArn ? { recordKeyArn: environment.deployment.recordKeyArn } : {}) };
      // Their reports, and the list `firebreak incidents` prints, which must give each incident its
      // report's status: both from one Scan of the table.
      const { reports, listed } = await readScenarioRecords(operator.dynamodb(), environment.deployment.stateTableName, scenarioPhaseTargets(definitions.deployment?.template), recordKey);
      const expectations = [
        ...evaluateExpectations(scenario, {
        reports,
        listed,
        environment,
        deliveries,
        executions,
        before,
        after,
        calls,
        invocations,
        routings,
        ...(containment ? { containment } : {}),
        }),
        // Always: the record holds every step of the run, at its times (nothing lost), and each report adds up.
        ...recordChecks(reports, engine.executions(), { ...(containment ? { containment } : {}), injectionSim }),
        ...listChecks(reports, listed),
        // Always: every alert the executions sent is one Step Functions confirms (never a genuine alert marked [UNVERIFIED]).
        ...alertOriginChecks(engine.executions()),
      ];
      // A run that kept moving past its bound (the timer cannot interrupt it) fails as one that stuck.
      deadline?.check();
      const lastEnd = Math.max(injectionSim.getTime(), ...engine.executions().map((record) => record.endSim?.getTime() ?? 0));
      const timed = engine;
      const latency = options.latency
        ? predictLatency(
            { executions: timed.executions(), definitionOf: (arn) => timed.definitionOf(arn), groupNames: after.groupNames },
            options.latency.model,
            { ...(options.latency.runs !== undefined ? { runs: options.latency.runs } : {}), seed: options.latency.seed ?? scenario.name },
          )
        : undefined;
      return {
        scenario,
        backend: backend.description,
        environment,
        deliveries,
        executions,
        approvals,
        invocations,
        calls,
        before,
        after,
        timeline,
        ...(containment ? { containment } : {}),
        expectations,
        routings,
        findings: backend.findings?.() ?? [],
        wallMs: wallClockMs() - startedWall,
        simMs: lastEnd - injectionSim.getTime(),
        ...(latency ? { latency } : {}),
        reports,
        passed: expectations.every((result) => result.passed),
      };
    })();
    return await (deadline ? Promise.race([run, deadline.expiry()]) : run);
  } catch (error) {
    timedOut = error instanceof ScenarioTimeoutError;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // Copies: a run given up at its bound may still add to them until it notices.
    const calls = resolved ? [...backend.callLog()] : [];
    return {
      scenario,
      backend: backend.description,
      ...(resolved ? { environment: resolved } : {}),
      deliveries: [...deliveries],
      executions: engine?.executions().filter((record) => record.kind === 'playbook') ?? [],
      approvals: [...approvals],
      invocations: [...invocations],
      calls,
      ...(before ? { before } : {}),
      timeline:
        engine && resolved ? buildTimeline({ executions: engine.executions(), calls, environment: resolved, injectionSim, injectionWall, routings }) : [],
      expectations: [{ name: 'the scenario runs', passed: false, expected: 'it runs to the end', actual: message }],
      routings: [...routings],
      findings: resolved ? (backend.findings?.() ?? []) : [],
      wallMs: wallClockMs() - startedWall,
      simMs: 0,
      error: message,
      passed: false,
    };
  } finally {
    deadline?.clear();
    // An approval still held for an injection that will never come (a run cut short) is given up,
    // and what it held up ends, before the account goes: otherwise its task keeps the process alive.
    // Past the bound, every task is given up too: one may wait on a call that never answers.
    if (engine) {
      if (timedOut) engine.abort();
      else engine.stop();
      await engine.settle();
    }
    // The run given up at its bound ends at its next check once its engine has stopped; one stuck
    // on something else (an endpoint that never answers) is left behind after a grace period.
    if (timedOut && run) await settledWithin(run, ABANDONED_RUN_GRACE_MS);
    await backend.cleanup();
  }
}

/** How long a scenario given up at its bound may take to notice before its account is cleaned up under it. */
const ABANDONED_RUN_GRACE_MS = 5_000;

/** Resolves when `promise` settles or after `ms`, whichever comes first (never rejects; leaves no timer behind). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise.then(noop, noop),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
