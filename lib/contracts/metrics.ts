/**
 * The response metrics' contract, written once: the responders emit them (CloudWatch embedded metric
 * format, lib/responders/response-metrics.ts and metrics-sink.ts) and the stack's dashboard
 * and alarms read them (lib/stack/response-dashboard.ts). A name or dimension changed on one side
 * only would leave a graph empty or an alarm silent. String enums, as in ./security.ts: a bundle
 * carries only the names it reads.
 */

/** The metrics sink reads its namespace from this variable (Powertools Metrics' name for it); the stack sets `Firebreak/<stack name>`. */
export const METRICS_NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';

/** The namespace of a deployment's metrics. */
export function metricsNamespace(stackName: string): string {
  return `Firebreak/${stackName}`;
}

export enum RESPONSE_METRIC {
  /** Milliseconds from the event's arrival at Firebreak to the instance isolated (quarantine-instance, enforce, a new quarantine). */
  timeToContainment = 'TimeToContainment',
  /** Milliseconds from arrival to the evidence snapshots started (snapshot-volumes). */
  timeToEvidence = 'TimeToEvidence',
  /** Milliseconds from arrival to an alert published (publish-alert, per kind). */
  timeToAlert = 'TimeToAlert',
  /** An incident's end as its last alert says it: contained, evidence-only, alerted, dry-run, failed, … (publish-alert). */
  incidents = 'Incidents',
  /** What triage decided (the dispatcher's Lambda). */
  triageDecisions = 'TriageDecisions',
  /** What the containment guard decided. */
  guardDecisions = 'GuardDecisions',
  /** Approval answers (approved, rejected, refused). */
  approvals = 'Approvals',
  /** Milliseconds from the approval request to its answer. */
  approvalWait = 'ApprovalWait',
  /** A responder invocation that threw (per responder and error name). */
  responderFailures = 'ResponderFailures',
  /** A failure alert: the playbook step that failed and its error. */
  stepFailures = 'StepFailures',
  /** An alert the backup channel refused. */
  backupChannelFailures = 'BackupChannelFailures',
  /** Instances released. */
  releases = 'Releases',
}

export type ResponseMetricName = `${RESPONSE_METRIC}`;

/**
 * Dimensions besides Powertools' own `service` (the responder's name). `origin` keeps drills and
 * samples out of the figures that matter: the dashboard and alarms read `origin=finding`.
 */
export enum METRIC_DIMENSION {
  service = 'service',
  origin = 'origin',
  outcome = 'outcome',
  kind = 'kind',
  error = 'error',
  step = 'step',
}

export const METRIC_ORIGINS = ['finding', 'game-day', 'sample'] as const;

export type MetricOrigin = (typeof METRIC_ORIGINS)[number];

/**
 * The stack output carrying the time-to-containment target in seconds: the same setting the alarm
 * uses, read by `firebreak report` (and by the game day from the synthesized template) as the
 * report's containment target. Here, apart from the CDK code, so that the game day does not load
 * aws-cdk-lib for it.
 */
export const CONTAINMENT_TARGET_OUTPUT_KEY = 'ContainmentTargetSeconds';

/**
 * Time to containment a deployment expects (arrival to isolation), in seconds: the predicted p99 of
 * the shipped playbooks is well under a minute (docs/gameday.md, latency model), so two minutes is a
 * miss worth a page, not noise. The construct's default (FIREBREAK_DEFAULTS) and the report's.
 */
export const DEFAULT_CONTAINMENT_TARGET_SECONDS = 120;
