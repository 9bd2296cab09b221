/**
 * The ways in: EventBridge rules from the default bus to the dispatcher (GuardDuty findings at or
 * above the lowest severity any playbook acts on, CloudWatch alarms entering ALARM), and game-day
 * injections on a bus of their own that only the named principals may use. Each rule has a second
 * target, the oversized-event intake, for events too large for the dispatcher. Every target retries
 * and sends what it could not deliver to the undelivered-events queue, where it waits for a person.
 */
import { Duration, PhysicalName, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as eventsRules from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { S3_OBJECT_SCAN_DETAIL_TYPE } from '../incident/schemas';
import { S3_SCAN_RESULT_SCORES, s3ScanFindingType } from '../incident/s3-scan-types';
import { matchesAnyGlob } from '../playbooks/glob';
import type { Playbook } from '../playbooks/model';
import { isAutomatic } from '../playbooks/model';
import type { AlertChannels } from './alerting';
import { archiveNameIfValid, FIREBREAK_DEFAULTS } from './defaults';
import { GameDayBus } from './game-day-bus';
import { KeptEventsQueue } from './kept-events-queue';
import { groupsOnly } from './logical-ids';
import { OversizedEventIntake } from './oversized-event-intake';
import { EVENTBRIDGE_EVENT_LIMIT_BYTES } from '../contracts/payload-size';

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
  // Same dialect: `*` is the only wildcard; EventBridge escapes a literal backslash as `\\`, and
  // refuses consecutive wildcards (the rule would fail to deploy), where a glob's `**` is one `*`:
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
  const globs = [...new Set(alarmPlaybooks.flatMap((playbook) => playbook.match.alarmNames ?? []).map((glob) => glob.replace(/\*{2,}/g, '*')))].sort();
  return globs.map((glob) => ({ wildcard: glob.replace(/\\/g, '\\\\') }));
}

/**
 * The Malware Protection for S3 scan results the deployed playbooks (or the default alert floor)
 * act on, as the scan-result rule's filter: `undefined` when no automatic GuardDuty playbook takes
 * a `MalwareScan:S3/*` type at all (no rule), `[]` when every status passes (no filter), otherwise
 * the known statuses scored below every such playbook's minimum, which the rule leaves out
 * (`anything-but`). A status Firebreak does not know yet is not in that list, so it still arrives
 * (scored Medium by the parser: a person should hear of it).
 */
export function s3ScanStatusesFiltered(playbooks: readonly Playbook[], floor: number = FIREBREAK_DEFAULTS.alertSeverityFloor): string[] | undefined {
  const statuses = Object.keys(S3_SCAN_RESULT_SCORES);
  const takers = playbooks.filter(
    (playbook) =>
      isAutomatic(playbook) &&
      playbook.match.sources.includes('guardduty') &&
      (playbook.match.findingTypes === undefined || statuses.some((status) => matchesAnyGlob(playbook.match.findingTypes!, s3ScanFindingType(status)))),
  );
  if (takers.length === 0) return undefined;
  const threshold = Math.min(floor, ...takers.map((playbook) => playbook.match.severity?.min ?? 0));
  return statuses.filter((status) => S3_SCAN_RESULT_SCORES[status]! < threshold);
}

export interface EventRulesProps {
  /** The deployed playbooks: their sources and ranges decide what the rules let through. */
  readonly playbooks: readonly Playbook[];
  /** Where every rule sends its events. */
  readonly dispatcher: sfn.IStateMachine;
  /**
   * Principal ARNs (patterns) that may put game-day events; none: no game-day bus at all.
   * @default none
   */
  readonly gameDayPrincipals?: readonly string[];
  /** Where the alarm on undelivered events goes. */
  readonly channels: AlertChannels;
  /**
   * The oversized-event intake's log retention.
   * @default FIREBREAK_DEFAULTS.logRetentionDays
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Variables every Firebreak function gets (Responders.environment), for the intake.
   * @default POWERTOOLS_SERVICE_NAME only
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How long the event archive keeps events, in days.
   * @default FIREBREAK_DEFAULTS.eventArchiveRetentionDays
   */
  readonly eventArchiveRetentionDays?: number;
}

/** The rules, the game-day bus and the undelivered-events queue; groups only, so they keep the flat stack's logical ids. */
export class EventRules extends Construct {
  public readonly guardDuty: events.Rule;
  /** Present when a playbook takes Malware Protection for S3 scan results (`MalwareScan:S3/*`, or every GuardDuty type). */
  public readonly s3ObjectScan?: events.Rule;
  /** Present when a playbook takes CloudWatch alarms. */
  public readonly cloudWatch?: events.Rule;
  /** The game-day bus and its rule, when game days are enabled (gameDayPrincipals). */
  public readonly gameDay?: GameDayBus;
  /** Events EventBridge could not deliver to the dispatcher or the intake (every rule target's DLQ, and the intake's). */
  public readonly undeliveredEventsQueue: KeptEventsQueue;
  /** The oversized-event intake: every rule's second target. */
  public readonly oversizedEventIntake: OversizedEventIntake;
  /**
   * Every event of the kinds the default bus's rules deliver (all severities and alarm states: a
   * superset of what they deliver), kept whole for the retention: the kept copy of an event too large
   * for the queues is its envelope only, and an event the dispatcher failed can be replayed to the
   * rules (docs/deploy.md, "Replaying events"). Game-day injections are not archived.
   */
  public readonly archive: eventsRules.Archive;

  constructor(scope: Construct, id: string, props: EventRulesProps) {
    super(scope, id);
    groupsOnly(this);
    this.undeliveredEventsQueue = new KeptEventsQueue(this, 'Undelivered', {
      purpose: 'the dead-letter queue of every EventBridge rule target and of the oversized-event intake: events that could not be delivered or dispatched',
      alarmWhat: 'EventBridge could not deliver events to the Firebreak dispatcher (or the oversized-event intake could not dispatch one)',
      channels: props.channels,
      // An event too large for the dispatcher (EventBridge's 1 MB against Step Functions' 256 KiB)
      // is refused there and kept here: the queue takes it whole.
      maxMessageSizeBytes: EVENTBRIDGE_EVENT_LIMIT_BYTES,
    });
    this.oversizedEventIntake = new OversizedEventIntake(this, 'OversizedEvents', {
      dispatcher: props.dispatcher,
      deadLetterQueue: this.undeliveredEventsQueue.queue,
      channels: props.channels,
      logRetention: props.logRetention ?? (FIREBREAK_DEFAULTS.logRetentionDays as logs.RetentionDays),
      environment: props.environment ?? { POWERTOOLS_SERVICE_NAME: 'firebreak' },
    });
    const role = dispatcherEventsRole(props.dispatcher);
    const delivery = {
      deadLetterQueue: this.undeliveredEventsQueue.queue,
      retryAttempts: FIREBREAK_DEFAULTS.eventRetryAttempts,
      maxEventAge: FIREBREAK_DEFAULTS.eventMaxAge,
    };
    // Every rule has two targets, delivered in parallel: the dispatcher, and the intake that
    // dispatches a clipped copy of an event too large for it (lib/responders/oversized-event.ts).
    const ruleTargets = (): events.IRuleTarget[] => [
      new targets.SfnStateMachine(props.dispatcher, { role, ...delivery }),
      new targets.LambdaFunction(this.oversizedEventIntake.function.function, delivery),
    ];
    // AWS services' own events on the default bus (EventBridge refuses custom events whose source starts with `aws.`).
    this.guardDuty = new eventsRules.Rule(this, 'GuardDutyFindingsRule', {
      description: 'GuardDuty findings at or above the lowest severity any playbook (or the default alert) acts on',
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        // Severity bands are numeric ranges (Medium is 4.0–6.9): match numerically, never by listed values.
        detail: { severity: [{ numeric: ['>=', guardDutySeverityThreshold(props.playbooks)] }] },
      },
      targets: ruleTargets(),
    });
    // Malware Protection for S3 puts its scan results on the bucket owner's default bus, source
    // aws.guardduty, with no severity (the parser scores the result status): filter on the status.
    // https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html
    const leftOut = s3ScanStatusesFiltered(props.playbooks);
    if (leftOut !== undefined) {
      this.s3ObjectScan = new eventsRules.Rule(this, 'S3ObjectScanResultsRule', {
        description: `Malware Protection for S3 scan results a playbook (or the default alert) acts on${leftOut.length > 0 ? ` (not ${leftOut.join(', ')})` : ''}`,
        eventPattern: {
          source: ['aws.guardduty'],
          detailType: [S3_OBJECT_SCAN_DETAIL_TYPE],
          ...(leftOut.length > 0 ? { detail: { scanResultDetails: { scanResultStatus: [{ 'anything-but': leftOut }] } } } : {}),
        },
        targets: ruleTargets(),
      });
    }
    if (props.playbooks.some((playbook) => playbook.match.sources.includes('cloudwatch'))) {
      const names = alarmNameFilter(props.playbooks);
      this.cloudWatch = new eventsRules.Rule(this, 'CloudWatchAlarmsRule', {
        description: 'CloudWatch alarms entering ALARM (OK and INSUFFICIENT_DATA start nothing, so they are filtered here)',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { state: { value: ['ALARM'] }, ...(names ? { alarmName: names } : {}) },
        },
        targets: ruleTargets(),
      });
    }
    const detailTypes = [
      'GuardDuty Finding',
      ...(this.s3ObjectScan ? [S3_OBJECT_SCAN_DETAIL_TYPE] : []),
      ...(this.cloudWatch ? ['CloudWatch Alarm State Change'] : []),
    ];
    this.archive = new eventsRules.Archive(this, 'EventArchive', {
      ...archiveNameIfValid(`${Stack.of(this).stackName}${FIREBREAK_DEFAULTS.eventArchiveSuffix}`),
      description: 'Firebreak: every GuardDuty finding and alarm state change the rules could deliver, kept whole to read or replay',
      sourceEventBus: eventsRules.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      eventPattern: { source: this.cloudWatch ? ['aws.guardduty', 'aws.cloudwatch'] : ['aws.guardduty'], detailType: detailTypes },
      retention: Duration.days(props.eventArchiveRetentionDays ?? FIREBREAK_DEFAULTS.eventArchiveRetentionDays),
    });
    // Game-day injections never on the default bus: a bus of their own, only for the named principals.
    const gameDayPrincipals = props.gameDayPrincipals ?? [];
    if (gameDayPrincipals.length > 0) {
      this.gameDay = new GameDayBus(this, 'GameDayBus', {
        eventBusName: `${Stack.of(this).stackName}${FIREBREAK_DEFAULTS.gameDayBusSuffix}`,
        principals: gameDayPrincipals,
        source: FIREBREAK_DEFAULTS.gameDaySource,
        detailTypes: FIREBREAK_DEFAULTS.gameDayDetailTypes,
        targets: ruleTargets(),
      });
    }
  }
}

/**
 * The role EventBridge assumes to start the dispatcher, for this account's rules in this region
 * only (aws:SourceAccount, aws:SourceArn: EventBridge names the rule that delivers,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html), not for any
 * rule anywhere that names it. The exact rule ARNs cannot be named: each rule's target names this
 * role, so a trust policy naming the rules would make a dependency cycle; the rule names are
 * CloudFormation's. Made where the CDK's SfnStateMachine target makes its own (the state machine's
 * `EventsRole`), so its logical id is the one deployed stacks have.
 */
function dispatcherEventsRole(dispatcher: sfn.IStateMachine): iam.IRole {
  const stack = Stack.of(dispatcher);
  return new iam.Role(dispatcher, 'EventsRole', {
    roleName: PhysicalName.GENERATE_IF_NEEDED,
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*` },
    }),
  });
}
