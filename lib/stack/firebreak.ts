/**
 * Firebreak, as one construct a stack adds (the app's FirebreakStack, or a stack of your own):
 *
 *   EventBridge rules on the default bus (GuardDuty findings, CloudWatch alarm state changes), and
 *   game-day injections on a bus of their own that only the named game-day principals may use
 *     → dispatcher (Express state machine: triage Lambda, StartExecution under a deterministic name)
 *       → one Standard state machine per playbook (compiled from the playbook files)
 *         → responder Lambdas (quarantine-instance, snapshot-volumes, publish-alert, …)
 *
 * plus the alert and operations topics (each with its own KMS key), the state table, the
 * undelivered-events dead-letter queue of every rule target and the dispatcher's
 * unprocessable-events queue (both retained), the approval function when a playbook waits for a
 * person, and alarms on both channels for every failed, timed-out or aborted execution, every
 * responder error and every event waiting in a queue, so that nothing fails without a page.
 *
 * It is a composition: each part is a construct of its own with its own props and tests.
 * One Firebreak per stack: its state machines, roles and game-day bus are named after the stack.
 */
import { Annotations, Aws, CfnOutput, CfnRule, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RECORD_KEY_OUTPUT_KEY, SECURITY_ENV, STATE_KEY_PREFIX } from '../contracts/security';
import type { CompiledStateMachine } from '../playbooks/compile';
import { ALERT_RESPONDER, isGuardedPlaybook } from '../playbooks/compile';
import { verifyAlertOrigins } from './alert-origins';
import { verifyStepOrigins } from './invocation-origins';
import { loadPlaybookDirectorySync } from '../playbooks/loader';
import { withParentsTrial } from '../playbooks/compile-per-instance';
import type { Playbook } from '../playbooks/model';
import { APPROVAL_URL_OUTPUT_KEY } from '../responders/approval';
import type { ResponderMode } from '../contracts/responder-mode';
import { AlertChannels, accountRootArn } from './alerting';
import { APPROVAL_DEADLINES_FOR_ALERTS_SID, Approvals, RecordKey } from './approvals';
import { EmergencyPauseControl } from './emergency-pause';
import { PAUSER_POLICY_OUTPUT_KEY, PAUSE_URL_OUTPUT_KEY } from '../responders/pause-control';
import { checkFirebreakProps, FirebreakConfigError } from './config';
import { FIREBREAK_DEFAULTS, pascal } from './defaults';
import { Dispatcher } from './dispatcher';
import type { FirebreakProps } from './firebreak-props';
import { groupsOnly } from './logical-ids';
import { DEFAULT_RESPONDER_ROLE_NAME_PREFIX } from './member-role-stack';
import { PlaybookMachines } from './playbooks';
import { SHIPPED_PLAYBOOKS_DIR } from './package-root';
import { Responders } from './responders';
import { EventRules } from './rules';
import { IncidentState } from './state';
import type { ResponderFunction } from './responder-function';
import { RESPONDER_NAMES } from '../contracts/responders';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { CONTAINMENT_TARGET_OUTPUT_KEY, ResponseDashboard } from './response-dashboard';

export type { FirebreakProps } from './firebreak-props';

/** Firebreak in one region of the security account. */
export class Firebreak extends Construct {
  /** The playbooks deployed (given, or loaded from `playbooksDir`). */
  public readonly playbooks: readonly Playbook[];
  /** The effective mode every responder gets as FIREBREAK_MODE: dry-run unless the deployment enforces. */
  public readonly effectiveMode: ResponderMode;
  /** The alert and operations channels. */
  public readonly alerting: AlertChannels;
  public readonly alertKey: AlertChannels['alertKey'];
  public readonly alertTopic: AlertChannels['alertTopic'];
  /** The second channel: every alarm goes here too, encrypted with a key of its own. */
  public readonly operationsKey: AlertChannels['operationsKey'];
  public readonly operationsTopic: AlertChannels['operationsTopic'];
  public readonly stateTable: IncidentState['table'];
  /** Events EventBridge could not deliver to the dispatcher (every rule target's DLQ). */
  public readonly undeliveredEventsQueue: EventRules['undeliveredEventsQueue']['queue'];
  /** The oversized-event intake: every rule's second target, which dispatches a clipped copy of an event too large for the dispatcher. */
  public readonly oversizedEventIntake: ResponderFunction;
  /** Events the dispatcher could not handle: unparseable, or a dispatch failure; kept with the reason. */
  public readonly unprocessableEventsQueue: Dispatcher['unprocessableEventsQueue']['queue'];
  /** By responder name. */
  public readonly responders: ReadonlyMap<string, ResponderFunction>;
  /** By playbook name. */
  public readonly playbookStateMachines: ReadonlyMap<string, sfn.StateMachine>;
  /** The `trigger: manual` playbook that releases instances (`firebreak release` starts it), if one is deployed. */
  public readonly releaseStateMachine?: sfn.StateMachine;
  /** The approval function and its URL, when any playbook is guarded. */
  public readonly approvals?: Approvals;
  /** The emergency-pause function and its URL (firebreak pause / resume), when any playbook is guarded. */
  public readonly emergencyPause?: EmergencyPauseControl;
  /** Lets people answer approval requests (the approval function's URL), when any playbook is guarded. */
  public readonly approverPolicy?: iam.ManagedPolicy;
  /** The HMAC key that seals pre-quarantine records, when a playbook quarantines or releases. */
  public readonly recordKey?: RecordKey;
  public readonly dispatcher: sfn.StateMachine;
  /** The response metrics' dashboard and its alarms (time to containment over target, alert delivery, backup channel). */
  public readonly response: ResponseDashboard;
  /** The game-day bus, when game days are enabled (gameDayPrincipals). */
  public readonly gameDayBus?: events.EventBus;
  /** The archive of the default bus's GuardDuty and alarm events (EventRules.archive). */
  public readonly eventArchive: events.Archive;
  public readonly rules: { readonly guardDuty: events.Rule; readonly cloudWatch?: events.Rule; readonly gameDay?: events.Rule };
  /** The compiled definitions, as deployed (before substitution). */
  public readonly compiled: { readonly dispatcher: CompiledStateMachine; readonly playbooks: ReadonlyMap<string, CompiledStateMachine> };

  constructor(scope: Construct, id: string, props: FirebreakProps = {}) {
    super(scope, id);
    // Groups only: in the app's FirebreakStack, the resources keep the flat stack's logical ids.
    groupsOnly(this);
    const stack = Stack.of(this);
    checkDeployment(this, stack, props);
    // A per-instance or per-credential playbook that only dry-run playbooks start is deployed dry-run (row 2zh).
    this.playbooks = withParentsTrial(props.playbooks ?? loadPlaybookDirectorySync(props.playbooksDir ?? SHIPPED_PLAYBOOKS_DIR));
    checkPlaybooks(this.playbooks);
    const mode = props.mode ?? FIREBREAK_DEFAULTS.mode;
    const forceDryRun = (props.forceDryRun ?? FIREBREAK_DEFAULTS.forceDryRun) || mode === 'dry-run';
    const logRetention = (props.logRetentionDays ?? FIREBREAK_DEFAULTS.logRetentionDays) as logs.RetentionDays;
    this.effectiveMode = forceDryRun ? 'dry-run' : 'enforce';
    const gameDayPrincipals = props.gameDayPrincipals ?? [];

    const channels = new AlertChannels(this, 'Alerting', {
      alertEmails: props.alertEmails ?? [],
      operationsEmails: props.operationsEmails ?? props.alertEmails ?? [],
      subscriberArns: props.alertSubscriberArns ?? [],
      keyAdminArns: props.keyAdminArns ?? [accountRootArn()],
      ...(props.deploymentPrincipalArns ? { deploymentPrincipalArns: props.deploymentPrincipalArns } : {}),
    });
    this.alerting = channels;
    ({ alertKey: this.alertKey, alertTopic: this.alertTopic, operationsKey: this.operationsKey, operationsTopic: this.operationsTopic } = channels);
    const state = new IncidentState(this, 'State');
    this.stateTable = state.table;

    const responders = new Responders(this, 'Responders', {
      ...props,
      playbooks: this.playbooks,
      effectiveMode: this.effectiveMode,
      gameDaysEnabled: gameDayPrincipals.length > 0,
      state,
      channels,
      logRetention,
    });
    this.responders = responders.functions;

    const playbookMachines = new PlaybookMachines(this, 'Playbooks', { playbooks: this.playbooks, responders, channels, logRetention });
    this.playbookStateMachines = playbookMachines.stateMachines;
    this.releaseStateMachine = playbookMachines.release?.stateMachine;

    ({ approvals: this.approvals, recordKey: this.recordKey } = this.addRails(state, responders, playbookMachines, channels, logRetention, props));
    this.approverPolicy = this.approvals?.approverPolicy;
    // The emergency pause: only a guarded playbook contains, so only then is there anything to pause.
    if (this.approvals) {
      this.emergencyPause = new EmergencyPauseControl(this, 'EmergencyPause', { stateTable: state.table, logRetention, environment: responders.environment });
      // It writes and deletes its one item: the table's policy lets it past (its own policy says which item).
      state.admitWriter(this.emergencyPause.function.role);
      // Every pause and resume is announced on the operations topic before it takes effect.
      channels.useOperationsAsBackupFor(this.emergencyPause.function.function, this.emergencyPause.function.role, DEPLOYMENT_ENV.backupTopicArn);
      channels.alarmOnErrors(this, 'ResponderEmergencyPauseErrorsAlarm', this.emergencyPause.function.function, RESPONDER_NAMES.emergencyPause);
    }

    const dispatcher = new Dispatcher(this, 'Dispatch', {
      playbookMachines,
      responders,
      channels,
      logRetention,
      state,
    });
    this.dispatcher = dispatcher.stateMachine;
    this.unprocessableEventsQueue = dispatcher.unprocessableEventsQueue.queue;
    this.compiled = { dispatcher: dispatcher.compiled, playbooks: playbookMachines.compiled };

    // The backup channel (docs/communication.md): publish-alert copies Critical incidents and failures to the operations topic.
    const alerter = responders.functions.get(ALERT_RESPONDER);
    if (alerter) channels.useOperationsAsBackupFor(alerter.function, alerter.role, DEPLOYMENT_ENV.backupTopicArn);
    // publish-alert verifies that the playbook execution an alert names sent it (docs/security.md §D5).
    if (alerter) verifyAlertOrigins(alerter, Stack.of(this).stackName, this.playbooks.map((playbook) => playbook.name));
    // snapshot-volumes and copy-evidence act only for a task their playbook execution scheduled (docs/security.md §D5).
    verifyStepOrigins(responders.functions, Stack.of(this).stackName, this.playbooks);
    this.response = new ResponseDashboard(this, 'Response', {
      channels,
      containmentTarget: Duration.seconds(props.containmentTargetSeconds ?? FIREBREAK_DEFAULTS.containmentTargetSeconds),
      stateMachines: [this.dispatcher, ...this.playbookStateMachines.values()],
    });

    const rules = new EventRules(this, 'Rules', {
      playbooks: this.playbooks,
      dispatcher: this.dispatcher,
      gameDayPrincipals,
      channels,
      logRetention,
      environment: responders.environment,
      ...(props.eventArchiveRetentionDays !== undefined ? { eventArchiveRetentionDays: props.eventArchiveRetentionDays } : {}),
    });
    this.eventArchive = rules.archive;
    this.undeliveredEventsQueue = rules.undeliveredEventsQueue.queue;
    this.oversizedEventIntake = rules.oversizedEventIntake.function;
    this.gameDayBus = rules.gameDay?.eventBus;
    this.rules = { guardDuty: rules.guardDuty, ...(rules.cloudWatch ? { cloudWatch: rules.cloudWatch } : {}), ...(rules.gameDay ? { gameDay: rules.gameDay.rule } : {}) };

    this.addOutputs(playbookMachines);
  }

  /**
   * The stack's side of the rails (lib/stack/approvals.ts): the approval function, the only one
   * that answers waiting playbooks, when a playbook is guarded; the HMAC key with which quarantine
   * seals the records that release verifies, when either is deployed.
   */
  private addRails(
    state: IncidentState,
    responders: Responders,
    playbookMachines: PlaybookMachines,
    channels: AlertChannels,
    logRetention: logs.RetentionDays,
    { recordVerifierArns = [], approverArns = [] }: Pick<FirebreakProps, 'recordVerifierArns' | 'approverArns'>,
  ): { approvals?: Approvals; recordKey?: RecordKey } {
    const releaser = responders.functions.get(RESPONDER_NAMES.releaseInstance);
    const guarded = this.playbooks.filter(isGuardedPlaybook).map((playbook) => playbookMachines.stateMachineOf(playbook.name));
    let approvals: Approvals | undefined;
    if (guarded.length > 0) {
      approvals = new Approvals(this, 'Approvals', {
        stateTable: state.table,
        guardedPlaybooks: guarded,
        deniedApproverRolePrefixes: [DEFAULT_RESPONDER_ROLE_NAME_PREFIX, `${Stack.of(this).stackName}-`],
        approverArns,
        logRetention,
        environment: responders.environment,
      });
      if (approverArns.length === 0) {
        // A security team expects to say who approves containment, not to find out from IAM: an
        // administrator's lambda:* or a broad CI role may otherwise answer (docs/safety-rails.md).
        Annotations.of(Stack.of(this)).addWarningV2(
          '@firebreak/approvers-unlisted',
          'No approverArns: IAM alone decides who answers approval requests, i.e. every principal allowed lambda:InvokeFunctionUrl on the approval function ' +
            '(ApproverPolicy, and any administrator or CI role with lambda:* on it), and every principal allowed lambda:InvokeFunction on it alone, who can invoke it directly, past its URL, ' +
            'and answer as themselves. List the on-call roles and users in approverArns so that the approval function refuses everyone else.',
        );
      }
      channels.alarmOnErrors(this, 'ResponderApprovalErrorsAlarm', approvals.function.function, RESPONDER_NAMES.approval);
      // It records each decision in its approval# item (ReadAndDecideApprovalRequests).
      state.admitWriter(approvals.function.role);
      const alerter = responders.functionOf(ALERT_RESPONDER);
      state.grantItems(alerter.role, 'StoreApprovalRequests', ['dynamodb:PutItem'], STATE_KEY_PREFIX.approval);
      // The alert of a request gives the deadline the approval function holds answers to: the guard's
      // grant's (lib/responders/approval-request.ts). GetItem only: publish-alert never writes a grant.
      state.grantItems(alerter.role, APPROVAL_DEADLINES_FOR_ALERTS_SID, ['dynamodb:GetItem'], STATE_KEY_PREFIX.grant);
      // publish-alert stores a request only once Step Functions confirms it (docs/security.md §C3).
      Approvals.verifyRequestsIn(
        alerter,
        Stack.of(this).stackName,
        this.playbooks.filter(isGuardedPlaybook).map((playbook) => playbook.name),
      );
      if (releaser) state.grantItems(releaser.role, 'ReadApprovals', ['dynamodb:GetItem'], STATE_KEY_PREFIX.approval);
    }
    const sealer = responders.functions.get(RESPONDER_NAMES.quarantineInstance);
    // copy-evidence seals its custody records and verifies them when it reads them back.
    const custodian = responders.functions.get(RESPONDER_NAMES.copyEvidence);
    // snapshot-volumes seals the record of each evidence snapshot, and verifies one before reusing it (row 3za).
    const snapshotter = responders.functions.get(RESPONDER_NAMES.snapshotVolumes);
    // The credential steps seal what they changed (revoke-role-sessions also verifies its record on a
    // rerun); release-credentials verifies before it undoes anything.
    const keyDisabler = responders.functions.get(RESPONDER_NAMES.disableAccessKey);
    const sessionRevoker = responders.functions.get(RESPONDER_NAMES.revokeRoleSessions);
    const credentialReleaser = responders.functions.get(RESPONDER_NAMES.releaseCredentials);
    if (credentialReleaser && approvals) state.grantItems(credentialReleaser.role, 'ReadApprovals', ['dynamodb:GetItem'], STATE_KEY_PREFIX.approval);
    const holders = [sealer, releaser, custodian, snapshotter, keyDisabler, sessionRevoker, credentialReleaser];
    if (holders.every((holder) => holder === undefined)) return approvals ? { approvals } : {};
    const recordKey = new RecordKey(this, 'RecordKey', {
      sealers: [sealer, custodian, snapshotter, keyDisabler, sessionRevoker].flatMap((holder) => (holder ? [holder.role] : [])),
      verifiers: [releaser, custodian, snapshotter, sessionRevoker, credentialReleaser].flatMap((holder) => (holder ? [holder.role] : [])),
      reportVerifierArns: recordVerifierArns,
    });
    for (const holder of holders) holder?.function.addEnvironment(SECURITY_ENV.recordKey, recordKey.key.keyArn);
    return { ...(approvals ? { approvals } : {}), recordKey };
  }

  /**
   * The stack outputs the operator tools read (`firebreak release`, `approve`, `gameday live`…),
   * each under its own key whatever the construct's path.
   */
  private addOutputs(playbookMachines: PlaybookMachines): void {
    const output = (key: string, value: string, description?: string) =>
      new CfnOutput(this, key, { value, ...(description ? { description } : {}) }).overrideLogicalId(key);
    output('DispatcherArn', this.dispatcher.stateMachineArn, 'The dispatcher state machine (Express)');
    for (const [name, machine] of this.playbookStateMachines) output(`Playbook${pascal(name)}Arn`, machine.stateMachineArn, `Playbook ${name}`);
    const release = playbookMachines.release;
    if (release) {
      output(
        'ReleaseStateMachineArn',
        release.stateMachine.stateMachineArn,
        `The release playbook (${release.playbook.name}): firebreak release starts it with { incident, mode, playbook }`,
      );
      output('ReleasePlaybookName', release.playbook.name, 'The release playbook name (the playbook field of its input)');
    }
    if (this.approvals) {
      output(APPROVAL_URL_OUTPUT_KEY, this.approvals.url.url, 'The approval function (AuthType AWS_IAM): firebreak approve / reject --execution ARN sign their answer to it');
      output('ApproverPolicyArn', this.approvals.approverPolicy.managedPolicyArn, 'Attach to the on-call role: lets it answer approval requests (firebreak approve / reject)');
    }
    if (this.emergencyPause) {
      output(PAUSE_URL_OUTPUT_KEY, this.emergencyPause.url.url, 'firebreak pause / resume / status sign their request to it');
      output(PAUSER_POLICY_OUTPUT_KEY, this.emergencyPause.pauserPolicy.managedPolicyArn, 'Lets a role pause and resume containment');
    }
    output('AlertTopicArn', this.alertTopic.topicArn);
    output('OperationsTopicArn', this.operationsTopic.topicArn, 'The second channel: every Firebreak alarm (failed executions, responder errors, waiting events)');
    output('StateTableName', this.stateTable.tableName);
    if (this.recordKey) output(RECORD_KEY_OUTPUT_KEY, this.recordKey.key.keyArn, 'The record key: firebreak report checks credential records\' seals with it (kms:VerifyMac, for the recordVerifierArns only)');
    output('UndeliveredEventsQueueUrl', this.undeliveredEventsQueue.queueUrl);
    output('UnprocessableEventsQueueUrl', this.unprocessableEventsQueue.queueUrl);
    output('EventArchiveArn', this.eventArchive.archiveArn, 'Every GuardDuty finding and alarm state change the rules could deliver, kept whole: read or replay them (docs/deploy.md, "Replaying events")');
    if (this.gameDayBus) {
      output('GameDayEventBusName', this.gameDayBus.eventBusName, 'Where game-day events are put (source firebreak.gameday); only the gameDayPrincipals may put them');
    }
    // The console shows each description beside its value, so each says what this value means.
    output(
      'GameDaysEnabled',
      String(this.gameDayBus !== undefined),
      this.gameDayBus !== undefined
        ? 'true: the gameDayPrincipals, and no one else, may put game-day events on the GameDayEventBusName bus'
        : 'false: this deployment accepts no game-day event (deploy with -c gameDayPrincipals=<principal ARN> to enable)',
    );
    output(
      'Mode',
      this.effectiveMode,
      this.effectiveMode === 'enforce'
        ? "enforce: each playbook's own mode applies (a playbook that says mode: dry-run stays in dry-run)"
        : 'dry-run: every playbook runs in dry-run, whatever its own mode (deploy with -c mode=enforce to let each apply)',
    );
    output(
      CONTAINMENT_TARGET_OUTPUT_KEY,
      String(this.response.containmentTarget.toSeconds()),
      'Time to containment target in seconds (containmentTargetSeconds): the alarm pages above it; firebreak report asks why when an incident took longer',
    );
  }
}

/** One Firebreak per stack, props as the app's context is checked, and the tag-key warning. */
function checkDeployment(firebreak: Firebreak, stack: Stack, props: FirebreakProps): void {
  const other = stack.node.findAll().find((construct) => construct instanceof Firebreak && construct !== firebreak);
  if (other) {
    throw new FirebreakConfigError(`Firebreak: ${stack.node.path} has Firebreak at ${other.node.path} already; one per stack (names derive from the stack name)`);
  }
  checkFirebreakProps(props);
  checkForensicAccountIsNotOwn(firebreak, stack, props.forensicAccountId);
  if (props.protectedTagKey !== undefined) {
    // Anyone with ec2:CreateTags on an instance (often the instance's own role) can exempt it:
    // only a service control policy on that tag key makes the rule safe (docs/security.md §B5).
    Annotations.of(stack).addWarningV2(
      '@firebreak/protected-tag-key',
      `protectedTagKey "${props.protectedTagKey}": any principal allowed ec2:CreateTags on an instance can exempt it from containment. ` +
        'Deploy the service control policy of docs/security.md (B5) that reserves this tag key to named administrators, or use protectedInstanceIds instead.',
    );
  }
}

/**
 * The forensic account is never the account Firebreak is deployed to, the security account (row 1u):
 * Firebreak never acts in the forensic account (row 1n), so every incident of the security account
 * would be alerted only. The configuration compares a configured securityAccountId (row 1q); here the
 * stack's own account is compared at synth when its env names it, and an environment-agnostic
 * template carries a CloudFormation rule that fails its deployment into the forensic account.
 * CDK_DEFAULT_ACCOUNT (the CLI's credentials) is not the stack's account: the same app is
 * synthesized with the forensic account's credentials to deploy the FirebreakForensicRole stack
 * there (docs/deploy.md), so it only warns, and the rule fails this stack's own deployment (row 11y).
 */
function checkForensicAccountIsNotOwn(firebreak: Firebreak, stack: Stack, forensicAccountId: string | undefined): void {
  if (forensicAccountId === undefined || Token.isUnresolved(forensicAccountId)) return;
  const agnostic = Token.isUnresolved(stack.account);
  const reason = 'the forensic account must be an account of its own (Firebreak never acts in it, so every incident of the security account would be alerted only)';
  if (!agnostic) {
    if (stack.account !== forensicAccountId) return;
    throw new FirebreakConfigError(`Firebreak: forensicAccountId ${forensicAccountId} is the account Firebreak is deployed to (the security account), as the env of stack ${stack.node.path} says: ${reason}`);
  }
  if (process.env.CDK_DEFAULT_ACCOUNT === forensicAccountId) {
    Annotations.of(stack).addWarningV2(
      '@firebreak/forensic-account-is-cli-account',
      `forensicAccountId ${forensicAccountId} is CDK_DEFAULT_ACCOUNT (the CLI's credentials are the forensic account's): fine for deploying the FirebreakForensicRole stack there; this stack's own deployment there fails (CloudFormation rule ForensicAccountIsNotTheSecurityAccount): ${reason}.`,
    );
  }
  // Rules may compare pseudo parameters; CloudFormation evaluates them before it creates or updates
  // any resource (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html).
  new CfnRule(firebreak, 'ForensicAccountIsNotTheSecurityAccount', {
    assertions: [
      {
        assert: Fn.conditionNot(Fn.conditionEquals(forensicAccountId, Aws.ACCOUNT_ID)),
        assertDescription: `forensicAccountId ${forensicAccountId} is the account this stack is deployed to (the security account): ${reason}. Deploy Firebreak to another account, or name another forensic account.`,
      },
    ],
  });
}

function checkPlaybooks(playbooks: readonly Playbook[]): void {
  if (playbooks.length === 0) {
    throw new FirebreakConfigError('Firebreak: no playbooks to deploy; add at least one file to the playbooks directory');
  }
  const names = playbooks.map((playbook) => playbook.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new FirebreakConfigError(`Firebreak: two playbooks are named "${duplicate}"`);
}
