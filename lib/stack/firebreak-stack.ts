/**
 * The Firebreak stack, deployed into the security account, one per region:
 *
 *   EventBridge rules on the default bus (GuardDuty findings, CloudWatch alarm state changes), and
 *   game-day injections on a bus of their own that only the named game-day principals may use
 *     → dispatcher (Express state machine: triage Lambda, StartExecution under a deterministic name)
 *       → one Standard state machine per playbook (compiled from playbooks/*.yaml)
 *         → responder Lambdas (quarantine-instance, snapshot-volumes, publish-alert, …)
 *
 * plus the alert topic and the operations topic (each with its own KMS key, lib/stack/alerting.ts),
 * the state table (quarantine records, blast-radius slots), the undelivered-events dead-letter
 * queue of every rule target and the unprocessable-events queue of the dispatcher (both retained
 * with the stack), and alarms on both channels for every failed, timed-out or aborted execution,
 * every responder error and every event waiting in a queue, so that nothing fails without a page.
 */
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Annotations, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ACTIONS, iamActionsForStep } from '../playbooks/actions';
import { ALERT_RESPONDER, compilePlaybook, GUARD_RESPONDER, isGuardedPlaybook } from '../playbooks/compile';
import type { CompiledStateMachine } from '../playbooks/compile';
import {
  compileDispatcher,
  INVALID_EVENT_QUEUE_PLACEHOLDER,
  stateMachinePlaceholder,
  TRIAGE_RESPONDER,
} from '../playbooks/dispatcher';
import { functionPlaceholder } from '../playbooks/compile';
import type { Playbook } from '../playbooks/model';
import { flattenSteps, isAutomatic } from '../playbooks/model';
import { routingTableFor } from '../playbooks/routing';
import { DEFAULT_SESSION_REVOKER_ROLE_NAME } from '../aws/member-accounts';
import { SECURITY_ENV, STATE_KEY_PREFIX } from '../contracts/security';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from '../responders/blast-radius';
import { CONTAINMENT_GUARD_IAM_ACTIONS } from '../responders/containment-guard';
import { playbookRailsFor } from '../playbooks/rails';
import type { ResponderMode } from '../contracts/responder-mode';
import { accountRootArn, createAlertChannels, defaultDeploymentPrincipalArns } from './alerting';
import { Approvals, RecordKey, grantStateItems } from './approvals';
import { CompiledStateMachineConstruct } from './compiled-state-machine';
import { GameDayBus } from './game-day-bus';
import type { ResponderArns } from './iam-scopes';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS, planResponderStatements, privilegedRoleArns, ROLE_POLICY_WRITES } from './iam-scopes';
import { DEFAULT_RESPONDER_ROLE_NAME_PREFIX, grantAssumeMemberRole, responderRoleName } from './member-role-stack';
import { ResponderFunction } from './responder-function';

/** Every default of the stack, in one place. */
export const FIREBREAK_DEFAULTS = {
  /** A first deployment proves its permissions without changing anything (issue 5: dry-run first). */
  mode: 'dry-run' as ResponderMode,
  forceDryRun: false,
  playbooksDir: 'playbooks',
  /** A year of responder and execution logs: incidents are investigated long after they are contained. */
  logRetentionDays: 365,
  /** GuardDuty Medium: findings below every playbook's range and this floor never reach the dispatcher. */
  alertSeverityFloor: 4.0,
  /** How long EventBridge keeps retrying delivery to the dispatcher before the event goes to the DLQ. */
  eventMaxAge: Duration.hours(2),
  eventRetryAttempts: 20,
  /** SQS maximum: 14 days to look at an undelivered or unprocessable event. */
  queueRetention: Duration.days(14),
  /** Game-day injections use their own source: EventBridge refuses custom events whose source starts with `aws.`. */
  gameDaySource: 'firebreak.gameday',
  /** The event shapes a game day may inject (what triage parses). */
  gameDayDetailTypes: ['GuardDuty Finding', 'CloudWatch Alarm State Change'],
  /** The game-day bus is named after the stack: `<stackName>-gameday`. */
  gameDayBusSuffix: '-gameday',
} as const;

/** Memory and timeout per responder; responders not listed use `default`. */
const RESPONDER_SETTINGS: Readonly<Record<string, { memorySize: number; timeout: Duration; description: string }>> = {
  [TRIAGE_RESPONDER]: { memorySize: 256, timeout: Duration.seconds(10), description: 'Firebreak triage: event → incident → playbook decision' },
  [ALERT_RESPONDER]: { memorySize: 256, timeout: Duration.seconds(30), description: 'Firebreak publish-alert: actionable alerts to the alert topic' },
  // Containment is on the critical path: more memory is more CPU, a shorter cold start.
  'quarantine-instance': { memorySize: 512, timeout: Duration.seconds(120), description: 'Firebreak quarantine-instance: isolate every ENI, keep the instance as evidence' },
  'release-instance': { memorySize: 512, timeout: Duration.seconds(120), description: 'Firebreak release-instance: restore a quarantined instance exactly' },
  'snapshot-volumes': { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak snapshot-volumes: crash-consistent evidence snapshots' },
  // On the critical path before containment: one DescribeInstances and two DynamoDB calls.
  [GUARD_RESPONDER]: { memorySize: 256, timeout: Duration.seconds(30), description: 'Firebreak containment-guard: protected instances, approval and blast radius before containment' },
  default: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak responder' },
};

/**
 * State-table access per responder, in the security account (the ACTIONS registry lists what a
 * responder needs where it acts): the operations, and the partition keys of the only items it may
 * touch (`dynamodb:LeadingKeys`). Quarantine records (`quarantine#<account>#<region>#<instance>`)
 * are written once and updated; the containment guard takes blast-radius slots
 * (`blast#<account>#<slot>`) with conditional PutItem and reads them in a batch.
 */
export const STATE_TABLE_ACCESS: Readonly<
  Record<string, { readonly actions: readonly string[]; readonly keys: readonly string[]; readonly readOnlyKeys?: readonly string[] }>
> = {
  // The mutating responders only READ grants and approvals (GetItem): only the guard writes grants.
  'quarantine-instance': {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.quarantine}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`],
  },
  'release-instance': {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.quarantine}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`],
  },
  [GUARD_RESPONDER]: {
    actions: CONTAINMENT_GUARD_IAM_ACTIONS.stateTable,
    keys: [`${STATE_KEY_PREFIX.blastRadius}*`, `${STATE_KEY_PREFIX.gameDayBlastRadius}*`, `${STATE_KEY_PREFIX.grant}*`],
  },
};

export interface FirebreakStackProps extends StackProps {
  /** The playbooks to deploy; each becomes a Standard state machine. At least one. */
  readonly playbooks: readonly Playbook[];
  /**
   * E-mail addresses subscribed to the alert topic (each must confirm the subscription).
   * @default no subscription
   */
  readonly alertEmails?: readonly string[];
  /**
   * `dry-run` forces every playbook into dry-run (mutating EC2 calls are sent with DryRun: true);
   * `enforce` lets each playbook's own `mode` apply.
   * @default 'dry-run'
   */
  readonly mode?: ResponderMode;
  /**
   * Forces dry-run everywhere, like `mode: 'dry-run'`; conflicts with `mode: 'enforce'`.
   * @default false
   */
  readonly forceDryRun?: boolean;
  /**
   * Instances that are never quarantined automatically (they get evidence and an alert).
   * @default none
   */
  readonly protectedInstanceIds?: readonly string[];
  /**
   * Instances carrying this tag key are never quarantined automatically. Anyone with
   * ec2:CreateTags can set it unless a service control policy guards the key.
   * @default no tag-based protection
   */
  readonly protectedTagKey?: string;
  /**
   * Role assumed in member accounts (deploy lib/stack/member-role-stack.ts there).
   * @default responders act in the security account only
   */
  readonly memberRoleName?: string;
  /**
   * The organization id (`o-…`): responders may assume member roles only in its accounts
   * (`aws:ResourceOrgID`), so a forged event naming an outside account cannot send them there.
   * Required whenever `memberRoleName` is set, and only then.
   * @default none (and then no member role either)
   */
  readonly organizationId?: string;
  /**
   * The member-account role that may write role policies (session revocation), separate from the
   * member role and trusted by quarantine-instance only. Requires `memberRoleName`.
   * @default 'FirebreakSessionRevoker'
   */
  readonly sessionRevokerRoleName?: string;
  /**
   * Accounts served besides the security account (12-digit ids), the allowlist responders and
   * triage read from `FIREBREAK_SERVED_ACCOUNT_IDS`.
   * @default none: the security account, and with `organizationId` the organization's accounts
   */
  readonly servedAccountIds?: readonly string[];
  /**
   * IAM principal ARNs (users or roles, `*` allowed in the name) that may inject game-day events.
   * When set, a bus `<stackName>-gameday` admits exactly these principals and its rule sends
   * `firebreak.gameday` events to the dispatcher; when empty, the deployment accepts no game-day
   * event at all (none is ever accepted on the default bus).
   * @default none: game days off
   */
  readonly gameDayPrincipals?: readonly string[];
  /**
   * E-mail addresses subscribed to the operations topic, the second channel of every alarm.
   * @default the alertEmails
   */
  readonly operationsEmails?: readonly string[];
  /**
   * IAM principal ARNs (patterns) that may subscribe to the alert and operations topics besides
   * the CloudFormation deployment; every other principal is denied sns:Subscribe.
   * @default none
   */
  readonly alertSubscriberArns?: readonly string[];
  /**
   * IAM principal ARNs (patterns) that may disable, schedule the deletion of, or rewrite the
   * policy of the alert and operations keys; every other principal is denied.
   * @default the account's root user
   */
  readonly keyAdminArns?: readonly string[];
  /**
   * The principals CloudFormation deploys the stack as; they may put the key policies.
   * @default the CDK bootstrap's CloudFormation execution role of the stack synthesizer
   */
  readonly deploymentPrincipalArns?: readonly string[];
  /**
   * Administrator and break-glass role name patterns (IAM `*` wildcard): no responder may write a
   * policy to, or pass, a matching role. Firebreak's own roles are always excluded as well.
   * @default DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS
   */
  readonly privilegedRoleNamePatterns?: readonly string[];
  /**
   * `sts:ExternalId` the member roles require. Requires `memberRoleName`.
   * @default none
   */
  readonly memberRoleExternalId?: string;
  /**
   * Retention of every log group, in days (a CloudWatch Logs retention period).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Containments per account in the sliding window before the containment guard asks for approval.
   * @default the containment guard's own default
   */
  readonly blastRadiusMax?: number;
  /**
   * Length of the blast-radius sliding window, in seconds.
   * @default the containment guard's own default
   */
  readonly blastRadiusWindowSeconds?: number;
  /**
   * Reserved concurrency of each responder that calls EC2, capping the EC2 request rate of a
   * finding storm. Off by default: new accounts have a concurrency quota of 10 and Lambda refuses
   * reservations that leave less than 10 unreserved.
   * @default no reservation
   */
  readonly reservedConcurrency?: number;
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The lowest severity any GuardDuty-sourced playbook (or the default alert floor) acts on. Manual
 * playbooks (`trigger: manual`, e.g. release) are never routed from events, so they do not count.
 */
export function guardDutySeverityThreshold(playbooks: readonly Playbook[], floor: number = FIREBREAK_DEFAULTS.alertSeverityFloor): number {
  const minimums = playbooks
    .filter((playbook) => isAutomatic(playbook) && playbook.match.sources.includes('guardduty'))
    .map((playbook) => playbook.match.severity?.min ?? 0);
  return Math.min(floor, ...minimums);
}

/**
 * The alarm-name filter for the CloudWatch rule: the union of the alarm playbooks' globs as
 * EventBridge wildcard patterns, or undefined (no filter) when any alarm playbook takes every name.
 */
export function alarmNameFilter(playbooks: readonly Playbook[]): { wildcard: string }[] | undefined {
  const alarmPlaybooks = playbooks.filter((playbook) => isAutomatic(playbook) && playbook.match.sources.includes('cloudwatch'));
  if (alarmPlaybooks.some((playbook) => !playbook.match.alarmNames || playbook.match.alarmNames.includes('*'))) {
    return undefined;
  }
  const globs = [...new Set(alarmPlaybooks.flatMap((playbook) => playbook.match.alarmNames ?? []))].sort();
  // Same dialect: `*` is the only wildcard; EventBridge escapes a literal backslash as `\\`.
  return globs.map((glob) => ({ wildcard: glob.replace(/\\/g, '\\\\') }));
}

/** The responders the deployed playbooks use, with the IAM actions each needs where it acts. */
export function responderActions(playbooks: readonly Playbook[]): Map<string, Set<string>> {
  const byResponder = new Map<string, Set<string>>([
    [TRIAGE_RESPONDER, new Set()],
    // Every playbook alerts its failures, whether or not it has a notify step.
    [ALERT_RESPONDER, new Set(ACTIONS.notify.iamActions)],
  ]);
  // The guard reads the instance's current tags where it lives (protected tag key).
  // It also verifies, in the security account, the execution it clears (states:DescribeExecution).
  if (playbooks.some(isGuardedPlaybook)) {
    byResponder.set(GUARD_RESPONDER, new Set([...CONTAINMENT_GUARD_IAM_ACTIONS.targetAccount, ...CONTAINMENT_GUARD_IAM_ACTIONS.securityAccount]));
  }
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) {
      const responder = ACTIONS[step.action].responder;
      const actions = byResponder.get(responder) ?? new Set<string>();
      for (const action of iamActionsForStep(step.action, step.with)) actions.add(action);
      byResponder.set(responder, actions);
    }
  }
  return byResponder;
}

/** True when a responder acts on resources in the incident's account (EC2, IAM): it may assume the member role. */
export function actsInIncidentAccount(actions: ReadonlySet<string>): boolean {
  return [...actions].some((action) => action.startsWith('ec2:') || action.startsWith('iam:'));
}

/** Firebreak in one region of the security account. */
export class FirebreakStack extends Stack {
  public readonly alertKey: kms.Key;
  public readonly alertTopic: sns.Topic;
  /** The second channel: every alarm goes here too, encrypted with a key of its own. */
  public readonly operationsKey: kms.Key;
  public readonly operationsTopic: sns.Topic;
  /** The game-day bus, when game days are enabled (gameDayPrincipals). */
  public readonly gameDayBus?: events.EventBus;
  /** The effective mode every responder gets as FIREBREAK_MODE: dry-run unless the deployment enforces. */
  public readonly effectiveMode: ResponderMode;
  public readonly stateTable: dynamodb.Table;
  /** Events EventBridge could not deliver to the dispatcher (every rule target's DLQ). */
  public readonly undeliveredEventsQueue: sqs.Queue;
  /** Events the dispatcher could not handle: unparseable, or a dispatch failure; kept with the reason. */
  public readonly unprocessableEventsQueue: sqs.Queue;
  public readonly responders: ReadonlyMap<string, ResponderFunction>;
  public readonly playbookStateMachines: ReadonlyMap<string, sfn.StateMachine>;
  /** The `trigger: manual` playbook that releases instances (`firebreak release` starts it), if one is deployed. */
  public readonly releaseStateMachine?: sfn.StateMachine;
  /** Lets people answer approval requests (the approval function's URL), when any playbook is guarded. */
  public readonly approverPolicy?: iam.ManagedPolicy;
  /** The approval function and its URL, when any playbook is guarded. */
  public readonly approvals?: Approvals;
  /** The HMAC key that seals pre-quarantine records, when a playbook quarantines. */
  public readonly recordKey?: RecordKey;
  public readonly dispatcher: sfn.StateMachine;
  public readonly rules: { readonly guardDuty: events.Rule; readonly cloudWatch?: events.Rule; readonly gameDay?: events.Rule };
  /** Lets `role` publish to the alert topic; every other principal is denied (CloudWatch alarms aside). */
  public readonly allowAlertPublisher: (role: iam.IRole) => void;
  /** Lets `role` publish to the operations topic; every other principal is denied (CloudWatch alarms aside). */
  public readonly allowOperationsPublisher: (role: iam.IRole) => void;
  /** Sends `alarm` to both the alert and the operations topic. */
  public readonly alarmToBothChannels: (alarm: cloudwatch.Alarm) => void;
  /** The compiled definitions, as deployed (before substitution). */
  public readonly compiled: { readonly dispatcher: CompiledStateMachine; readonly playbooks: ReadonlyMap<string, CompiledStateMachine> };

  constructor(scope: Construct, id: string, props: FirebreakStackProps) {
    super(scope, id, {
      ...props,
      description: props.description ?? 'Firebreak: automated incident response for GuardDuty findings and CloudWatch alarms',
    });
    validateProps(props);
    if (props.protectedTagKey !== undefined) {
      // Anyone with ec2:CreateTags on an instance (often the instance's own role) can exempt it:
      // only a service control policy on that tag key makes the rule safe (docs/security.md §B5).
      Annotations.of(this).addWarningV2(
        '@firebreak/protected-tag-key',
        `protectedTagKey "${props.protectedTagKey}": any principal allowed ec2:CreateTags on an instance can exempt it from containment. ` +
          'Deploy the service control policy of docs/security.md (B5) that reserves this tag key to named administrators, or use protectedInstanceIds instead.',
      );
    }
    const mode = props.mode ?? FIREBREAK_DEFAULTS.mode;
    const forceDryRun = (props.forceDryRun ?? FIREBREAK_DEFAULTS.forceDryRun) || mode === 'dry-run';
    const logRetention = (props.logRetentionDays ?? FIREBREAK_DEFAULTS.logRetentionDays) as logs.RetentionDays;
    this.effectiveMode = forceDryRun ? 'dry-run' : 'enforce';
    const gameDayPrincipals = props.gameDayPrincipals ?? [];

    // ---- Alerting: two channels, each with a customer-managed key of its own (lib/stack/alerting.ts).
    const deploymentPrincipalArns = props.deploymentPrincipalArns ?? defaultDeploymentPrincipalArns(this) ?? [];
    const channels = createAlertChannels(this, {
      alertEmails: props.alertEmails ?? [],
      operationsEmails: props.operationsEmails ?? props.alertEmails ?? [],
      subscriberArns: props.alertSubscriberArns ?? [],
      keyAdminArns: props.keyAdminArns ?? [accountRootArn()],
      deploymentPrincipalArns,
    });
    this.alertKey = channels.alertKey;
    this.alertTopic = channels.alertTopic;
    this.operationsKey = channels.operationsKey;
    this.operationsTopic = channels.operationsTopic;
    this.allowAlertPublisher = channels.allowAlertPublisher;
    this.allowOperationsPublisher = channels.allowOperationsPublisher;
    this.alarmToBothChannels = channels.alarmToBothChannels;

    // ---- State: quarantine records (what release restores) and blast-radius slots.
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: BLAST_RADIUS_TTL_ATTRIBUTE,
      deletionProtection: true,
      // The records are what a release restores instances from: never delete them with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Queues where events wait for a person instead of being lost.
    this.undeliveredEventsQueue = this.keptEventsQueue(
      'UndeliveredEventsQueue',
      'the dead-letter queue of every EventBridge rule target: events EventBridge could not deliver to the dispatcher',
    );
    this.unprocessableEventsQueue = this.keptEventsQueue(
      'UnprocessableEventsQueue',
      'where the dispatcher keeps events it could not parse or dispatch, each with the reason',
    );

    // ---- Responders.
    // Any region: with a central Firebreak region (docs/organization.md) findings about this
    // account's instances arrive from every region, and the responders act in the finding's region.
    const arns: ResponderArns = {
      ec2: (resourceType) => `arn:${Aws.PARTITION}:ec2:*:${Aws.ACCOUNT_ID}:${resourceType}/*`,
      snapshots: `arn:${Aws.PARTITION}:ec2:*::snapshot/*`,
      iam: (resourceType) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resourceType}/*`,
      ownRoles: [
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${DEFAULT_RESPONDER_ROLE_NAME_PREFIX}*`,
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${this.stackName}-*`,
      ],
      privilegedRoles: privilegedRoleArns(
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/`,
        props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
      ),
      alertTopic: this.alertTopic.topicArn,
      alertKey: this.alertKey.keyArn,
      stateTable: this.stateTable.tableArn,
      // The guard verifies executions of this stack's playbooks only (state machines `<stackName>-<playbook>`).
      playbookExecutions: `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${this.stackName}-*:*`,
    };
    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: 'firebreak',
      ALERT_TOPIC_ARN: this.alertTopic.topicArn,
      FIREBREAK_STATE_TABLE: this.stateTable.tableName,
      FIREBREAK_SECURITY_ACCOUNT_ID: Aws.ACCOUNT_ID,
      FIREBREAK_PROTECTED_INSTANCE_IDS: (props.protectedInstanceIds ?? []).join(','),
      ...(props.protectedTagKey ? { FIREBREAK_PROTECTED_TAG_KEY: props.protectedTagKey } : {}),
      ...(props.memberRoleName ? { FIREBREAK_MEMBER_ROLE_NAME: props.memberRoleName } : {}),
      ...(props.memberRoleExternalId ? { FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: props.memberRoleExternalId } : {}),
      ...(props.blastRadiusMax !== undefined ? { FIREBREAK_BLAST_RADIUS_MAX: String(props.blastRadiusMax) } : {}),
      ...(props.blastRadiusWindowSeconds !== undefined
        ? { FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS: String(props.blastRadiusWindowSeconds) }
        : {}),
      // The deployment's own facts (lib/contracts/security.ts), never the input's.
      [SECURITY_ENV.mode]: this.effectiveMode,
      [SECURITY_ENV.servedAccountIds]: (props.servedAccountIds ?? []).join(','),
      ...(props.organizationId ? { [SECURITY_ENV.organizationId]: props.organizationId } : {}),
      [SECURITY_ENV.gameDayEnabled]: String(gameDayPrincipals.length > 0),
    };
    const revokesSessions = [...responderActions(props.playbooks).values()].some((actions) =>
      ROLE_POLICY_WRITES.some((action) => actions.has(action)),
    );
    const sessionRevokerRoleName = props.sessionRevokerRoleName ?? DEFAULT_SESSION_REVOKER_ROLE_NAME;
    if (props.memberRoleName && revokesSessions) environment[SECURITY_ENV.sessionRevokerRoleName] = sessionRevokerRoleName;

    const responders = new Map<string, ResponderFunction>();
    for (const [responder, actions] of responderActions(props.playbooks)) {
      const inIncidentAccount = actsInIncidentAccount(actions);
      const stateTable = STATE_TABLE_ACCESS[responder];
      const needed = new Set([...actions, ...(stateTable?.actions ?? [])]);
      const settings = RESPONDER_SETTINGS[responder] ?? RESPONDER_SETTINGS.default!;
      const fn = new ResponderFunction(this, `Responder${pascal(responder)}`, {
          responder,
          description: settings.description,
          environment:
            responder === GUARD_RESPONDER
              ? {
                  ...environment,
                  // The guard's rails per playbook come from the deployment, never from its input.
                  [SECURITY_ENV.stackName]: this.stackName,
                  [SECURITY_ENV.playbookRails]: JSON.stringify(playbookRailsFor(props.playbooks)),
                }
              : environment,
          statements: planResponderStatements(
            needed,
            arns,
            stateTable ? { stateTableKeys: stateTable.keys, ...(stateTable.readOnlyKeys ? { stateTableReadOnlyKeys: stateTable.readOnlyKeys } : {}) } : {},
          ),
          logRetention,
          memorySize: settings.memorySize,
          timeout: settings.timeout,
          // Member roles trust responder roles by name (lib/stack/member-role-stack.ts).
          ...(inIncidentAccount ? { roleName: responderRoleName(responder, Aws.REGION) } : {}),
          ...(inIncidentAccount && props.reservedConcurrency !== undefined
            ? { reservedConcurrentExecutions: props.reservedConcurrency }
            : {}),
      });
      if (inIncidentAccount && props.memberRoleName) {
        grantAssumeMemberRole(fn.role, {
          memberRoleName: props.memberRoleName,
          ...(props.organizationId ? { organizationId: props.organizationId } : {}),
        });
        // Only the responder that revokes sessions may reach the member account's role-policy writer.
        if (ROLE_POLICY_WRITES.some((action) => actions.has(action))) {
          grantAssumeMemberRole(fn.role, {
            memberRoleName: sessionRevokerRoleName,
            sid: 'AssumeFirebreakSessionRevokerRole',
            ...(props.organizationId ? { organizationId: props.organizationId } : {}),
          });
        }
      }
      if (actions.has('sns:Publish')) this.allowAlertPublisher(fn.role);
      this.alarmToBothChannels(responderErrorsAlarm(fn.function, responder));
      responders.set(responder, fn);
    }
    this.responders = responders;
    const fn = (responder: string) => {
      const found = responders.get(responder);
      if (!found) throw new Error(`no responder function ${responder}`);
      return found.function;
    };

    // ---- Playbooks: one Standard state machine each (exactly once, 1-year executions, task tokens).
    const playbookMachines = new Map<string, sfn.StateMachine>();
    const compiledPlaybooks = new Map<string, CompiledStateMachine>();
    for (const playbook of props.playbooks) {
      const compiled = compilePlaybook(playbook);
      compiledPlaybooks.set(playbook.name, compiled);
      const used = compiled.substitutions.map((placeholder) => responderOfPlaceholder(placeholder, responders));
      const machine = new CompiledStateMachineConstruct(this, `Playbook${pascal(playbook.name)}`, {
        compiled,
        type: sfn.StateMachineType.STANDARD,
        ...this.nameIfValid(`${this.stackName}-${playbook.name}`),
        comment: `Firebreak playbook ${playbook.name} (${playbook.file})`,
        substitutions: Object.fromEntries(used.map((responder) => [functionPlaceholder(responder), fn(responder).functionArn])),
        invokes: used.map(fn),
        logRetention,
        // A playbook that can wait for approval hands publish-alert its task token: keep event
        // data (and so the token) out of its logs. The execution history still has it (docs/security.md).
        ...(isGuardedPlaybook(playbook) ? { includeExecutionData: false } : {}),
      });
      playbookMachines.set(playbook.name, machine.stateMachine);
      this.alarmOnExecutions(`Playbook${pascal(playbook.name)}`, machine.stateMachine, `playbook ${playbook.name}`);
    }
    this.playbookStateMachines = playbookMachines;
    const release = releasePlaybook(props.playbooks);
    if (release) this.releaseStateMachine = playbookMachines.get(release.name);

    // ---- Approvals (lib/stack/approvals.ts): only the approval function answers waiting playbooks.
    const guarded = props.playbooks.filter(isGuardedPlaybook).map((playbook) => playbookMachines.get(playbook.name)!);
    if (guarded.length > 0) {
      this.approvals = new Approvals(this, 'Approvals', {
        stateTable: this.stateTable,
        guardedPlaybooks: guarded,
        deniedApproverRolePrefixes: [DEFAULT_RESPONDER_ROLE_NAME_PREFIX, `${this.stackName}-`],
        logRetention,
        environment,
      });
      this.approverPolicy = this.approvals.approverPolicy;
      this.alarmToBothChannels(responderErrorsAlarm(this.approvals.function.function, 'approval'));
      grantStateItems(responders.get(ALERT_RESPONDER)!.role, this.stateTable, 'StoreApprovalRequests', ['dynamodb:PutItem'], STATE_KEY_PREFIX.approval);
      const releaser = responders.get('release-instance');
      if (releaser) grantStateItems(releaser.role, this.stateTable, 'ReadApprovals', ['dynamodb:GetItem'], STATE_KEY_PREFIX.approval);
    }

    // ---- Record integrity (lib/stack/approvals.ts): quarantine seals, release verifies.
    const sealer = responders.get('quarantine-instance');
    const verifier = responders.get('release-instance');
    if (sealer || verifier) {
      this.recordKey = new RecordKey(this, 'RecordKey', { sealers: sealer ? [sealer.role] : [], verifiers: verifier ? [verifier.role] : [] });
      for (const holder of [sealer, verifier]) holder?.function.addEnvironment(SECURITY_ENV.recordKey, this.recordKey.key.keyArn);
    }

    // ---- Dispatcher: Express, at-least-once in, exactly-once out by execution name. It never
    // starts a manual playbook (release): not routed by triage, and not in its IAM policy either.
    const routed = props.playbooks.filter(isAutomatic);
    const placeholders = Object.fromEntries(
      routed.map((playbook) => [playbook.name, `\${${stateMachinePlaceholder(playbook.name)}}`]),
    );
    const dispatcherCompiled = compileDispatcher({
      routing: routingTableFor(routed, placeholders, { forceDryRun }),
      playbooks: routed.map((playbook) => playbook.name),
      alertMode: forceDryRun ? 'dry-run' : 'enforce',
    });
    this.compiled = { dispatcher: dispatcherCompiled, playbooks: compiledPlaybooks };
    const dispatcher = new CompiledStateMachineConstruct(this, 'Dispatcher', {
      compiled: dispatcherCompiled,
      type: sfn.StateMachineType.EXPRESS,
      ...this.nameIfValid(`${this.stackName}-dispatcher`),
      comment: 'Firebreak dispatcher: triage every event, start its playbook exactly once',
      substitutions: {
        [functionPlaceholder(TRIAGE_RESPONDER)]: fn(TRIAGE_RESPONDER).functionArn,
        [functionPlaceholder(ALERT_RESPONDER)]: fn(ALERT_RESPONDER).functionArn,
        [INVALID_EVENT_QUEUE_PLACEHOLDER]: this.unprocessableEventsQueue.queueUrl,
        ...Object.fromEntries(
          routed.map(({ name }) => [stateMachinePlaceholder(name), playbookMachines.get(name)!.stateMachineArn]),
        ),
      },
      invokes: [fn(TRIAGE_RESPONDER), fn(ALERT_RESPONDER)],
      statements: [
        new iam.PolicyStatement({
          sid: 'StartPlaybooks',
          actions: ['states:StartExecution'],
          resources: routed.map(({ name }) => playbookMachines.get(name)!.stateMachineArn),
        }),
        new iam.PolicyStatement({
          sid: 'KeepUnprocessableEvents',
          actions: ['sqs:SendMessage'],
          resources: [this.unprocessableEventsQueue.queueArn],
        }),
      ],
      logRetention,
    });
    this.dispatcher = dispatcher.stateMachine;
    this.alarmOnExecutions('Dispatcher', this.dispatcher, 'the dispatcher');

    // ---- Rules: every target with retries and a dead-letter queue. AWS services' own events on
    // the default bus (EventBridge refuses custom events whose source starts with `aws.`).
    const target = () =>
      new targets.SfnStateMachine(this.dispatcher, {
        deadLetterQueue: this.undeliveredEventsQueue,
        retryAttempts: FIREBREAK_DEFAULTS.eventRetryAttempts,
        maxEventAge: FIREBREAK_DEFAULTS.eventMaxAge,
      });
    const guardDuty = new events.Rule(this, 'GuardDutyFindingsRule', {
      description: 'GuardDuty findings at or above the lowest severity any playbook (or the default alert) acts on',
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        // Severity bands are numeric ranges (Medium is 4.0–6.9): match numerically, never by listed values.
        detail: { severity: [{ numeric: ['>=', guardDutySeverityThreshold(props.playbooks)] }] },
      },
      targets: [target()],
    });
    let cloudWatch: events.Rule | undefined;
    if (props.playbooks.some((playbook) => playbook.match.sources.includes('cloudwatch'))) {
      const names = alarmNameFilter(props.playbooks);
      cloudWatch = new events.Rule(this, 'CloudWatchAlarmsRule', {
        description: 'CloudWatch alarms entering ALARM (OK and INSUFFICIENT_DATA start nothing, so they are filtered here)',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { state: { value: ['ALARM'] }, ...(names ? { alarmName: names } : {}) },
        },
        targets: [target()],
      });
    }
    // Game-day injections never on the default bus: a bus of their own, only for the named principals.
    let gameDay: events.Rule | undefined;
    if (gameDayPrincipals.length > 0) {
      const bus = new GameDayBus(this, 'GameDayBus', {
        eventBusName: `${this.stackName}${FIREBREAK_DEFAULTS.gameDayBusSuffix}`,
        principals: gameDayPrincipals,
        source: FIREBREAK_DEFAULTS.gameDaySource,
        detailTypes: FIREBREAK_DEFAULTS.gameDayDetailTypes,
        target: target(),
      });
      this.gameDayBus = bus.eventBus;
      gameDay = bus.rule;
    }
    this.rules = { guardDuty, ...(cloudWatch ? { cloudWatch } : {}), ...(gameDay ? { gameDay } : {}) };

    // ---- Page a person (on both channels) when an event waits in a queue.
    this.alarmOnKeptEvents('UndeliveredEventsAlarm', this.undeliveredEventsQueue, 'EventBridge could not deliver events to the Firebreak dispatcher');
    this.alarmOnKeptEvents('UnprocessableEventsAlarm', this.unprocessableEventsQueue, 'The Firebreak dispatcher kept events it could not handle');

    // ---- Outputs.
    new CfnOutput(this, 'DispatcherArn', { value: this.dispatcher.stateMachineArn, description: 'The dispatcher state machine (Express)' });
    for (const [name, machine] of playbookMachines) {
      new CfnOutput(this, `Playbook${pascal(name)}Arn`, { value: machine.stateMachineArn, description: `Playbook ${name}` });
    }
    if (release && this.releaseStateMachine) {
      new CfnOutput(this, 'ReleaseStateMachineArn', {
        value: this.releaseStateMachine.stateMachineArn,
        description: `The release playbook (${release.name}): firebreak release starts it with { incident, mode, playbook }`,
      });
      new CfnOutput(this, 'ReleasePlaybookName', { value: release.name, description: 'The release playbook name (the playbook field of its input)' });
    }
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn });
    new CfnOutput(this, 'OperationsTopicArn', {
      value: this.operationsTopic.topicArn,
      description: 'The second channel: every Firebreak alarm (failed executions, responder errors, waiting events)',
    });
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.tableName });
    new CfnOutput(this, 'UndeliveredEventsQueueUrl', { value: this.undeliveredEventsQueue.queueUrl });
    new CfnOutput(this, 'UnprocessableEventsQueueUrl', { value: this.unprocessableEventsQueue.queueUrl });
    if (this.gameDayBus) {
      new CfnOutput(this, 'GameDayEventBusName', {
        value: this.gameDayBus.eventBusName,
        description: 'Where game-day events are put (source firebreak.gameday); only the gameDayPrincipals may put them',
      });
    }
    new CfnOutput(this, 'GameDaysEnabled', {
      value: String(this.gameDayBus !== undefined),
      description: 'false: this deployment accepts no game-day event (deploy with -c gameDayPrincipals=<principal ARN> to enable)',
    });
    new CfnOutput(this, 'Mode', { value: forceDryRun ? 'dry-run' : 'enforce', description: 'dry-run: every playbook runs in dry-run' });
  }

  private nameIfValid(name: string): { stateMachineName?: string } {
    // State machine names: 1-80 of [A-Za-z0-9_-] (tokens cannot be checked, so are left to CloudFormation).
    return !Token.isUnresolved(name) && /^[A-Za-z0-9_-]{1,80}$/.test(name) ? { stateMachineName: name } : {};
  }

  private keptEventsQueue(id: string, purpose: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: FIREBREAK_DEFAULTS.queueRetention,
      // The events kept here are the incident record of what was not handled: never delete them with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // enforceSSL would deny `sqs:*`; the same deny with every SQS action named keeps the stack free of wildcard actions.
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyRequestsWithoutTls',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...SQS_QUEUE_ACTIONS],
        resources: [queue.queueArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the last stop (${purpose}); a dead-letter queue behind it would only move the problem. Its depth is alarmed to the alert and operations topics.`,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS4',
      reason:
        'The queue policy denies every SQS action on this queue without TLS (statement DenyRequestsWithoutTls, aws:SecureTransport false); ' +
        'the actions are named instead of sqs:* so that no statement of the stack has a wildcard action, which the rule does not recognise.',
    });
    return queue;
  }

  private alarmOnKeptEvents(id: string, queue: sqs.Queue, what: string): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `${what}; they are kept in ${queue.node.id} for up to 14 days.`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarmToBothChannels(alarm);
  }

  /** One alarm per way an execution can end badly (failed, timed out, aborted), to both channels. */
  private alarmOnExecutions(id: string, machine: sfn.StateMachine, what: string): void {
    const endings = [
      ['Failed', machine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }), 'failed'],
      ['TimedOut', machine.metricTimedOut({ period: Duration.minutes(1), statistic: 'Sum' }), 'timed out'],
      ['Aborted', machine.metricAborted({ period: Duration.minutes(1), statistic: 'Sum' }), 'was aborted'],
    ] as const;
    for (const [ending, metric, said] of endings) {
      this.alarmToBothChannels(
        new cloudwatch.Alarm(this, `${id}Executions${ending}Alarm`, {
          alarmDescription: `An execution of Firebreak ${what} ${said}: an incident may be unhandled. Look at the execution history in the Step Functions console.`,
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}

/** Every SQS action that applies to a queue (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html). */
const SQS_QUEUE_ACTIONS = [
  'sqs:AddPermission',
  'sqs:CancelMessageMoveTask',
  'sqs:ChangeMessageVisibility',
  'sqs:CreateQueue',
  'sqs:DeleteMessage',
  'sqs:DeleteQueue',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ListDeadLetterSourceQueues',
  'sqs:ListMessageMoveTasks',
  'sqs:ListQueueTags',
  'sqs:PurgeQueue',
  'sqs:ReceiveMessage',
  'sqs:RemovePermission',
  'sqs:SendMessage',
  'sqs:SetQueueAttributes',
  'sqs:StartMessageMoveTask',
  'sqs:TagQueue',
  'sqs:UntagQueue',
] as const;

/** Alarms as soon as a responder Lambda reports an error (an unhandled failure, a timeout, a throttle retry exhausted). */
function responderErrorsAlarm(fn: lambda.IFunction, responder: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(fn.stack, `Responder${pascal(responder)}ErrorsAlarm`, {
    alarmDescription: `The Firebreak ${responder} responder reported an error: a step may have failed. Look at its log group and the playbook executions.`,
    metric: fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/**
 * The release playbook: the one `trigger: manual` playbook whose steps release an instance (the
 * one named `release-instance` when there are several); undefined when none is deployed.
 */
export function releasePlaybook(playbooks: readonly Playbook[]): Playbook | undefined {
  const candidates = playbooks.filter(
    (playbook) => !isAutomatic(playbook) && flattenSteps(playbook.steps).some((step) => step.action === 'release-instance'),
  );
  return candidates.length === 1 ? candidates[0] : candidates.find((playbook) => playbook.name === 'release-instance');
}

function responderOfPlaceholder(placeholder: string, responders: ReadonlyMap<string, unknown>): string {
  for (const responder of responders.keys()) {
    if (functionPlaceholder(responder) === placeholder) return responder;
  }
  throw new Error(`no responder function for placeholder ${placeholder}`);
}

function validateProps(props: FirebreakStackProps): void {
  if (props.playbooks.length === 0) {
    throw new Error('FirebreakStack: no playbooks to deploy; add at least one file to the playbooks directory');
  }
  const names = props.playbooks.map((playbook) => playbook.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`FirebreakStack: two playbooks are named "${duplicate}"`);
  for (const key of ['memberRoleExternalId', 'organizationId', 'sessionRevokerRoleName'] as const) {
    if (props[key] !== undefined && props.memberRoleName === undefined) {
      throw new Error(`FirebreakStack: ${key} is set but memberRoleName is not; set both or neither`);
    }
  }
  if (props.memberRoleName !== undefined && props.organizationId === undefined) {
    // Without it, aws:ResourceOrgID cannot confine the member-role grant: a forged event naming an
    // outside account's role of that name would send responders there.
    throw new Error(
      'FirebreakStack: memberRoleName is set but organizationId is not; member roles require the organization id (o-…), which confines sts:AssumeRole to its accounts',
    );
  }
  for (const id of props.servedAccountIds ?? []) {
    if (!/^\d{12}$/.test(id)) throw new Error(`FirebreakStack: servedAccountIds must be 12-digit account ids, got '${id}'`);
  }
  if (props.blastRadiusMax !== undefined && (!Number.isInteger(props.blastRadiusMax) || props.blastRadiusMax < 1 || props.blastRadiusMax > 100)) {
    // One BatchGetItem reads every slot of an account: the limiter refuses more than 100.
    throw new Error(`FirebreakStack: blastRadiusMax must be a whole number from 1 to 100, got ${props.blastRadiusMax}`);
  }
  if (
    props.blastRadiusWindowSeconds !== undefined &&
    (!Number.isInteger(props.blastRadiusWindowSeconds) || props.blastRadiusWindowSeconds < 60 || props.blastRadiusWindowSeconds > 604_800)
  ) {
    throw new Error(
      `FirebreakStack: blastRadiusWindowSeconds must be a whole number of seconds from 60 to 604800 (a week), got ${props.blastRadiusWindowSeconds}`,
    );
  }
  if (props.mode === 'enforce' && props.forceDryRun === true) {
    throw new Error(
      'FirebreakStack: mode "enforce" and forceDryRun true contradict each other; drop forceDryRun to enforce, or set mode "dry-run"',
    );
  }
}
