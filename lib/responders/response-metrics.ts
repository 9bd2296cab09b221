/**
 * Response metrics (issue 13): how fast Firebreak contains, gathers evidence and alerts, how
 * incidents end, what triage, the guard and approvers decide, and what fails. Each responder's
 * Lambda wraps its handler with `withResponseMetrics`; what to count is read from the invocation's
 * payload and result by a pure function per responder (below), so no responder's logic changes and
 * each Lambda bundles only its own reading. The sink writes CloudWatch embedded metric format lines
 * in Lambda (metrics-sink.ts: no API call on the path to containment) and is a recorder in tests and
 * the local game day.
 *
 * Every metric carries `origin` (finding, game-day, sample) so drills and samples never move the
 * figures the dashboard and the time-to-containment alarm read. Dimension values come from the
 * deployment (responder names, statuses, error class names, step ids), never from finding text.
 */
import type { MetricOrigin, ResponseMetricName } from '../contracts/metrics';
import { METRIC_DIMENSION, RESPONSE_METRIC } from '../contracts/metrics';

export interface MetricPoint {
  readonly name: ResponseMetricName;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Where metric points go: EMF lines in Lambda (metrics-sink.ts), a recorder in tests. */
export interface MetricsSink {
  emit(service: string, points: readonly MetricPoint[]): void;
}

/** What one responder's invocation yields: its payload and either its result or the error it threw. */
export type Invocation = { readonly payload: unknown; readonly result: unknown } | { readonly payload: unknown; readonly error: unknown };

/** Reads the points of one invocation; pure. */
export type MetricsReading = (invocation: Invocation, now: Date) => MetricPoint[];

/** A sink that keeps what it is given (tests, the local game day). */
export class RecordingMetricsSink implements MetricsSink {
  readonly points: { readonly service: string; readonly point: MetricPoint }[] = [];
  emit(service: string, points: readonly MetricPoint[]): void {
    for (const point of points) this.points.push({ service, point });
  }
}

/**
 * Wraps a Lambda handler: after each invocation, the points its reading finds (and a
 * ResponderFailures point when it threw) go to the sink. Counting never changes the outcome: a
 * reading or sink that throws is swallowed, the handler's result or error stands.
 */
export function withResponseMetrics<Result>(
  service: string,
  handler: (event: unknown) => Promise<Result>,
  options: { readonly sink: MetricsSink; readonly reading?: MetricsReading; readonly now?: () => Date },
): (event: unknown) => Promise<Result> {
  const now = options.now ?? (() => new Date());
  const emit = (invocation: Invocation) => {
    try {
      const points = [...('error' in invocation ? failurePoints(invocation.payload, invocation.error) : []), ...(options.reading?.(invocation, now()) ?? [])];
      if (points.length > 0) options.sink.emit(service, points);
    } catch {
      // Metrics are never why an incident step fails.
    }
  };
  return async (event) => {
    try {
      const result = await handler(event);
      emit({ payload: event, result });
      return result;
    } catch (error) {
      emit({ payload: event, error });
      throw error;
    }
  };
}

// ---- reading payloads loosely: they are the state machine's, already validated by the responder ----

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** finding, game-day or sample, from the incident in a payload (or a triage decision). */
export function originOf(incident: unknown): MetricOrigin {
  if (field(incident, 'gameDay') === true) return 'game-day';
  if (field(incident, 'sample') === true) return 'sample';
  return 'finding';
}

/** Milliseconds from the incident's arrival at Firebreak to `now`, when the arrival is readable and not in the future. */
export function sinceArrival(incident: unknown, now: Date): number | undefined {
  const received = text(field(incident, 'times', 'received'));
  if (received === undefined) return undefined;
  const at = Date.parse(received);
  if (Number.isNaN(at) || at > now.getTime()) return undefined;
  return now.getTime() - at;
}

/** A dimension value fit for CloudWatch (printable, at most 250 characters); undefined when empty. */
function dimensionValue(value: unknown): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const clean = raw.replace(/[^\x20-\x7E]/g, '').slice(0, 250).trim();
  return clean === '' ? undefined : clean;
}

const count = (name: ResponseMetricName, dimensions: Record<string, string>): MetricPoint => ({ name, unit: 'Count', value: 1, dimensions });
const duration = (name: ResponseMetricName, value: number, dimensions: Record<string, string>): MetricPoint => ({ name, unit: 'Milliseconds', value, dimensions });

function failurePoints(payload: unknown, error: unknown): MetricPoint[] {
  const name = error instanceof Error ? dimensionValue(error.name) : undefined;
  return [count(RESPONSE_METRIC.responderFailures, { [METRIC_DIMENSION.origin]: originOf(field(payload, 'incident')), [METRIC_DIMENSION.error]: name ?? 'Error' })];
}

/**
 * The points of a responder whose status is the metric: one count per outcome, and a duration when
 * `timed` says so. The readings below call it from an arrow function rather than being built by a
 * call at module scope, so a bundle that uses none of them drops them.
 */
function statusPoints(invocation: Invocation, now: Date, counted: ResponseMetricName | undefined, timed?: { readonly name: ResponseMetricName; readonly statuses: readonly string[] }): MetricPoint[] {
  if (!('result' in invocation)) return [];
  const incident = field(invocation.payload, 'incident');
  const origin = originOf(incident);
  const status = dimensionValue(field(invocation.result, 'status'));
  const points: MetricPoint[] = [];
  if (counted !== undefined && status !== undefined) points.push(count(counted, { [METRIC_DIMENSION.origin]: origin, [METRIC_DIMENSION.outcome]: status }));
  if (timed !== undefined && status !== undefined && timed.statuses.includes(status) && field(invocation.result, 'mode') === 'enforce') {
    const elapsed = sinceArrival(incident, now);
    if (elapsed !== undefined) points.push(duration(timed.name, elapsed, { [METRIC_DIMENSION.origin]: origin }));
  }
  return points;
}

/** quarantine-instance: time to containment for a new quarantine in enforce (a replay or a dry-run contains nothing). */
export const quarantineMetrics: MetricsReading = (invocation, now) =>
  statusPoints(invocation, now, undefined, { name: RESPONSE_METRIC.timeToContainment, statuses: ['quarantined'] });

/** snapshot-volumes: time to evidence for new snapshots in enforce. */
export const snapshotMetrics: MetricsReading = (invocation, now) => statusPoints(invocation, now, undefined, { name: RESPONSE_METRIC.timeToEvidence, statuses: ['snapshotted'] });

/** containment-guard: one count per decision (proceed, needs-approval, evidence-only). */
export const guardMetrics: MetricsReading = (invocation, now) => statusPoints(invocation, now, RESPONSE_METRIC.guardDecisions);

/** release-instance: one count per outcome. */
export const releaseMetrics: MetricsReading = (invocation, now) => statusPoints(invocation, now, RESPONSE_METRIC.releases);

/** triage: one count per decision (start-playbook, alert-only, ignore, invalid). */
export const triageMetrics: MetricsReading = (invocation) => {
  if (!('result' in invocation)) return [];
  const outcome = dimensionValue(field(invocation.result, 'outcome'));
  if (outcome === undefined) return [];
  return [count(RESPONSE_METRIC.triageDecisions, { [METRIC_DIMENSION.origin]: originOf(field(invocation.result, 'incident')), [METRIC_DIMENSION.outcome]: outcome })];
};

/** The JSON body of a Function URL response (the approval function's), or the result itself. */
function responseBody(result: unknown): unknown {
  const body = field(result, 'body');
  if (typeof body !== 'string') return result;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** approval: one count per answer (approved, rejected, refused), and the wait from request to answer when both times are known. */
export const approvalMetrics: MetricsReading = (invocation) => {
  if (!('result' in invocation)) return [];
  const answer = responseBody(invocation.result);
  const outcome = dimensionValue(field(answer, 'outcome'));
  if (outcome === undefined) return [];
  const points = [count(RESPONSE_METRIC.approvals, { [METRIC_DIMENSION.outcome]: outcome })];
  const requested = Date.parse(text(field(answer, 'requestedAt')) ?? '');
  const decided = Date.parse(text(field(answer, 'decidedAt')) ?? '');
  if (!Number.isNaN(requested) && !Number.isNaN(decided) && decided >= requested) {
    points.push(duration(RESPONSE_METRIC.approvalWait, decided - requested, { [METRIC_DIMENSION.outcome]: outcome }));
  }
  return points;
};

/** The responders whose result says the instance is contained. */
const CONTAINED = new Set(['quarantined', 'already-quarantined']);

/**
 * How an incident ended, as the alert that closes it reads its steps: `failed` (a failure alert),
 * `alerted` (triage only alerted), `dry-run`, `contained` (an instance isolated), `not-contained`
 * (the playbook holds a containment step that did not contain: protected, rejected, timed out,
 * evidence only) or `alerted` (no containment step). Approval requests end nothing.
 */
export function incidentOutcome(payload: unknown): string | undefined {
  const kind = field(payload, 'kind');
  if (kind === 'failure') return 'failed';
  if (kind === 'triage-only') return 'alerted';
  if (kind !== 'report') return undefined;
  if (field(payload, 'mode') === 'dry-run') return 'dry-run';
  const results = field(payload, 'results');
  const steps = results !== null && typeof results === 'object' ? Object.values(results as Record<string, unknown>) : [];
  const quarantines = steps.filter((step) => field(step, 'responder') === 'quarantine-instance');
  if (quarantines.some((step) => CONTAINED.has(String(field(step, 'status'))))) return 'contained';
  const guarded = steps.some((step) => field(step, 'responder') === 'containment-guard') || field(payload, 'reason', 'outcome') !== undefined;
  return quarantines.length > 0 || guarded ? 'not-contained' : 'alerted';
}

/**
 * publish-alert: time to each alert (per kind), how the incident ended, which step failed, and
 * whether the backup channel refused its copy.
 */
export const alertMetrics: MetricsReading = (invocation, now) => {
  const payload = invocation.payload;
  const incident = field(payload, 'incident');
  const origin = originOf(incident);
  const kind = dimensionValue(field(payload, 'kind')) ?? 'unknown';
  if (!('result' in invocation)) return [];
  const points: MetricPoint[] = [];
  const elapsed = sinceArrival(incident, now);
  if (elapsed !== undefined) points.push(duration(RESPONSE_METRIC.timeToAlert, elapsed, { [METRIC_DIMENSION.origin]: origin, [METRIC_DIMENSION.kind]: kind }));
  // A parallel group's summary (lib/playbooks/compile.ts) repeats a failure its branch's own alert
  // already counted, with the incident it failed: counted again, one failure would read as two.
  const repeated = field(payload, 'group') !== undefined;
  const outcome = repeated ? undefined : incidentOutcome(payload);
  if (outcome !== undefined) points.push(count(RESPONSE_METRIC.incidents, { [METRIC_DIMENSION.origin]: origin, [METRIC_DIMENSION.outcome]: outcome }));
  if (kind === 'failure' && !repeated) {
    points.push(
      count(RESPONSE_METRIC.stepFailures, {
        [METRIC_DIMENSION.origin]: origin,
        [METRIC_DIMENSION.step]: dimensionValue(field(payload, 'failure', 'step')) ?? 'unknown',
        [METRIC_DIMENSION.error]: dimensionValue(field(payload, 'failure', 'error'))?.slice(0, 100) ?? 'unknown',
      }),
    );
  }
  if (field(invocation.result, 'backup', 'status') === 'failed') points.push(count(RESPONSE_METRIC.backupChannelFailures, { [METRIC_DIMENSION.origin]: origin }));
  return points;
};
