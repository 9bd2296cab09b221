/**
 * A playbook execution's Step Functions history → the game-day timeline (time since injection,
 * state, action, resource, result) and the time to containment. Pure: the history events come in
 * as GetExecutionHistory returned them.
 *
 * How the history reads (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * a Task state is TaskStateEntered → TaskScheduled → TaskStarted → TaskSucceeded | TaskFailed
 * (→ TaskScheduled again when a Retry applies) → TaskStateExited, each event pointing at the one
 * before it with `previousEventId`. Inside a Parallel state the branches' events interleave, so the
 * state an event belongs to is found by following that chain back to its *StateEntered event,
 * never by "the last state entered". The optimized Lambda integration's TaskSucceeded output is the
 * Invoke response, whose `Payload` is the responder's own result (status, actions, instance).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { ACTIONS } from '../playbooks/actions';

/** One line of the live timeline; the same columns as the local game day's. */
export interface LiveTimelineRow {
  /** History event id (per execution), to print each row once while an execution runs. */
  readonly eventId: number;
  /** ms since the injection (negative when this machine's clock is ahead of AWS's). */
  readonly atMs: number;
  /** The playbook. */
  readonly execution: string;
  readonly state: string;
  /** The responder, the AWS API it called, or the Step Functions event. */
  readonly action: string;
  readonly resource: string;
  readonly result: string;
  readonly detail?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Time to containment: injection → the first successful run of the containment responder. */
export interface ContainmentMeasure {
  readonly atMs: number;
  readonly state: string;
  /** The responder's status: quarantined / already-quarantined (contained), dry-run (would have been), or why not. */
  readonly status: string;
  /** True when the instance really was isolated (enforce), false when the run only proved it would be. */
  readonly contained: boolean;
  readonly instanceId?: string;
}

/** What the history of one execution says. */
export interface ExecutionReport {
  readonly executionArn: string;
  readonly name: string;
  readonly playbook: string;
  readonly status: ExecutionStatus;
  /** `mode` of the execution input (enforce / dry-run). */
  readonly mode?: string;
  /** The incident of the execution input, when it is there. */
  readonly incident?: { readonly key?: string; readonly findingType?: string; readonly sample?: boolean };
  readonly startedAtMs?: number;
  readonly endedAtMs?: number;
  readonly rows: readonly LiveTimelineRow[];
  readonly containment?: ContainmentMeasure;
  readonly error?: string;
  readonly cause?: string;
}

/** The responder whose success is containment. */
export const CONTAINMENT_RESPONDER = ACTIONS['quarantine-instance'].responder;

/** Responder statuses that mean the instance is isolated now. */
const CONTAINED_STATUSES = new Set(['quarantined', 'already-quarantined']);

const ENDINGS: Readonly<Record<string, ExecutionStatus>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

const DETAIL_MAX = 300;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The responder's result inside a Lambda Invoke output (`{Payload: …}`), or the output itself. */
function responderResult(output: string | undefined): Record<string, unknown> | undefined {
  const parsed = record(parseJson(output));
  return record(parsed?.Payload) ?? parsed;
}

/** Resolves the state each event belongs to by walking `previousEventId` back to a *StateEntered event. */
function stateResolver(events: readonly HistoryEvent[]): (event: HistoryEvent) => string {
  const byId = new Map<number, HistoryEvent>();
  for (const event of events) if (event.id !== undefined) byId.set(event.id, event);
  const cache = new Map<number, string>();
  return (event) => {
    const seen: number[] = [];
    let current: HistoryEvent | undefined = event;
    let found = '';
    while (current) {
      if (current.id !== undefined && cache.has(current.id)) {
        found = cache.get(current.id) ?? '';
        break;
      }
      if (current.id !== undefined) seen.push(current.id);
      if (current.type?.endsWith('StateEntered')) {
        found = current.stateEnteredEventDetails?.name ?? '';
        break;
      }
      if (current.type?.endsWith('StateExited')) {
        found = current.stateExitedEventDetails?.name ?? '';
        break;
      }
      current = current.previousEventId !== undefined ? byId.get(current.previousEventId) : undefined;
    }
    for (const id of seen) cache.set(id, found);
    return found;
  };
}

/** Builds the timeline of one playbook execution from its history. */
export function executionReport(
  execution: { readonly executionArn: string; readonly name: string; readonly playbook: string },
  events: readonly HistoryEvent[],
  injectedAt: Date,
): ExecutionReport {
  const sorted = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const stateOf = stateResolver(sorted);
  const since = (event: HistoryEvent) => (event.timestamp ? new Date(event.timestamp).getTime() - injectedAt.getTime() : 0);
  const rows: LiveTimelineRow[] = [];
  const attempts = new Map<string, number>();
  const push = (event: HistoryEvent, row: Omit<LiveTimelineRow, 'eventId' | 'atMs' | 'execution'>) =>
    rows.push({ eventId: event.id ?? rows.length, atMs: since(event), execution: execution.playbook, ...row });

  let status: ExecutionStatus = 'RUNNING';
  let mode: string | undefined;
  let incident: ExecutionReport['incident'];
  let startedAtMs: number | undefined;
  let endedAtMs: number | undefined;
  let containment: ContainmentMeasure | undefined;
  let error: string | undefined;
  let cause: string | undefined;

  for (const event of sorted) {
    const type = event.type ?? '';
    if (type === 'ExecutionStarted') {
      const input = record(parseJson(event.executionStartedEventDetails?.input));
      mode = text(input?.mode);
      const given = record(input?.incident);
      if (given) {
        incident = {
          ...(text(given.key) ? { key: text(given.key) } : {}),
          ...(text(given.findingType) ? { findingType: text(given.findingType) } : {}),
          ...(typeof given.sample === 'boolean' ? { sample: given.sample } : {}),
        };
      }
      startedAtMs = since(event);
      // The execution name (up to 80 characters) is printed when the execution is found; the row shows what it is about.
      const resource = record(given?.resource);
      push(event, {
        state: '',
        action: 'ExecutionStarted',
        resource: text(resource?.instanceId) ?? '',
        result: `started${mode ? ` in ${mode}` : ''}${incident?.sample ? ' (sample finding)' : ''}`,
      });
      continue;
    }
    if (type in ENDINGS) {
      status = ENDINGS[type] ?? 'FAILED';
      endedAtMs = since(event);
      const failure = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
      error = failure?.error;
      cause = failure?.cause;
      push(event, {
        state: '',
        action: type,
        resource: '',
        result: `${status}${error ? ` ${error}` : ''}`,
        ...(cause ? { detail: cause.slice(0, DETAIL_MAX) } : {}),
      });
      continue;
    }
    if (type.endsWith('StateEntered') && type !== 'TaskStateEntered') {
      push(event, { state: event.stateEnteredEventDetails?.name ?? '', action: type.replace(/StateEntered$/, ''), resource: '', result: 'entered' });
      continue;
    }
    const state = stateOf(event);
    if (type === 'TaskScheduled') {
      attempts.set(state, (attempts.get(state) ?? 0) + 1);
      continue;
    }
    const attempt = attempts.get(state) ?? 1;
    const label = (action: string) => (attempt > 1 ? `${action} (attempt ${attempt})` : action);
    if (type === 'TaskSubmitted') {
      const resourceType = event.taskSubmittedEventDetails?.resource ?? '';
      if (resourceType.endsWith('.waitForTaskToken')) push(event, { state, action: label(state), resource: '', result: 'waiting for an answer (task token sent)' });
      continue;
    }
    if (type === 'TaskSucceeded') {
      const result = responderResult(event.taskSucceededEventDetails?.output);
      const responder = text(result?.responder);
      // A task-token state's output is the answer sent back (lib/operator/approvals.ts), not a responder result.
      const approvedBy = result?.approved === true ? text(result.by) : undefined;
      const resultStatus = text(result?.status) ?? (approvedBy ? `approved by ${approvedBy}` : 'succeeded');
      const instanceId = text(result?.instanceId);
      push(event, { state, action: label(responder ?? state), resource: instanceId ?? '', result: resultStatus });
      for (const action of Array.isArray(result?.actions) ? result.actions : []) {
        const taken = record(action);
        if (!taken) continue;
        push(event, {
          state,
          action: text(taken.api) ?? '',
          resource: text(taken.target) ?? '',
          result: text(taken.outcome) ?? '',
          ...(text(taken.detail) ? { detail: text(taken.detail) } : {}),
        });
      }
      const isContainment = responder === CONTAINMENT_RESPONDER || (responder === undefined && state === CONTAINMENT_RESPONDER);
      if (isContainment && containment === undefined) {
        containment = {
          atMs: since(event),
          state,
          status: resultStatus,
          contained: CONTAINED_STATUSES.has(resultStatus),
          ...(instanceId ? { instanceId } : {}),
        };
      }
      continue;
    }
    if (type === 'TaskFailed' || type === 'TaskTimedOut' || type === 'TaskStartFailed' || type === 'TaskSubmitFailed') {
      const failure =
        event.taskFailedEventDetails ?? event.taskTimedOutEventDetails ?? event.taskStartFailedEventDetails ?? event.taskSubmitFailedEventDetails;
      push(event, {
        state,
        action: label(state),
        resource: '',
        result: `${type === 'TaskTimedOut' ? 'timed out' : 'error'} ${failure?.error ?? ''}`.trim(),
        ...(failure?.cause ? { detail: failure.cause.slice(0, DETAIL_MAX) } : {}),
      });
    }
  }

  return {
    executionArn: execution.executionArn,
    name: execution.name,
    playbook: execution.playbook,
    status,
    ...(mode ? { mode } : {}),
    ...(incident ? { incident } : {}),
    ...(startedAtMs !== undefined ? { startedAtMs } : {}),
    ...(endedAtMs !== undefined ? { endedAtMs } : {}),
    rows,
    ...(containment ? { containment } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
  };
}
