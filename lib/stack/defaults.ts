/** Every default of a Firebreak deployment, in one place, and the small naming rules its constructs share. */
import { Duration, Token } from 'aws-cdk-lib';
import { DEFAULT_CONTAINMENT_TARGET_SECONDS } from '../contracts/metrics';
import type { ResponderMode } from '../contracts/responder-mode';
import { ALARM_DETAIL_TYPE, GUARDDUTY_DETAIL_TYPE, S3_OBJECT_SCAN_DETAIL_TYPE } from '../incident/schemas';

/** Every default of the Firebreak construct, in one place. */
export const FIREBREAK_DEFAULTS = {
  /** A first deployment proves its permissions without changing anything (issue 5: dry-run first). */
  mode: 'dry-run' as ResponderMode,
  forceDryRun: false,
  /** The playbooks folder of the app (relative to the repository root); the construct's default is the package's own. */
  playbooksDir: 'playbooks',
  /** A year of responder and execution logs: incidents are investigated long after they are contained. */
  logRetentionDays: 365,
  /** Time to containment a deployment expects (arrival to isolation), in seconds (lib/contracts/metrics.ts). */
  containmentTargetSeconds: DEFAULT_CONTAINMENT_TARGET_SECONDS,
  /** GuardDuty Medium: findings below every playbook's range and this floor never reach the dispatcher. */
  alertSeverityFloor: 4.0,
  /** How long EventBridge keeps retrying delivery to the dispatcher before the event goes to the DLQ. */
  eventMaxAge: Duration.hours(2),
  eventRetryAttempts: 20,
  /**
   * How long the event archive keeps every event the rules could deliver, in days: as long as an
   * incident record is kept (lib/responders/incident-record-model.ts), so that a record's events can
   * be read whole, or replayed, for as long as the record exists.
   */
  eventArchiveRetentionDays: 400,
  /** The event archive is named after the stack: `<stackName>-events`. */
  eventArchiveSuffix: '-events',
  /** SQS maximum: 14 days to look at an undelivered or unprocessable event. */
  queueRetention: Duration.days(14),
  /** Game-day injections use their own source: EventBridge refuses custom events whose source starts with `aws.`. */
  gameDaySource: 'firebreak.gameday',
  /** The event shapes a game day may inject (what triage parses). */
  gameDayDetailTypes: [GUARDDUTY_DETAIL_TYPE, ALARM_DETAIL_TYPE, S3_OBJECT_SCAN_DETAIL_TYPE],
  /** The game-day bus is named after the stack: `<stackName>-gameday`. */
  gameDayBusSuffix: '-gameday',
} as const;

/** `compromised-ec2` → `CompromisedEc2`: construct ids and output keys from responder and playbook names. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** `{ archiveName }` when `name` is a valid, resolved archive name (1-48 of [.-_A-Za-z0-9]), else `{}` (CloudFormation names it). */
export function archiveNameIfValid(name: string): { archiveName?: string } {
  return !Token.isUnresolved(name) && /^[.\-_A-Za-z0-9]{1,48}$/.test(name) ? { archiveName: name } : {};
}

/** `{ stateMachineName }` when `name` is a valid state machine name, else nothing (CloudFormation names it). */
export function stateMachineNameIfValid(name: string): { stateMachineName?: string } {
  // State machine names: 1-80 of [A-Za-z0-9_-] (tokens cannot be checked, so are left to CloudFormation).
  return !Token.isUnresolved(name) && /^[A-Za-z0-9_-]{1,80}$/.test(name) ? { stateMachineName: name } : {};
}
