/**
 * The game-day timeline: what happened after the injection, in order, with two clocks — simulated
 * time (what the incident would have taken in AWS, retry backoffs included) and wall time on this
 * machine — from the state machines' events, the responders' own action records and the AWS call log.
 */
import type { ResponderAction } from '../responders/model';
import { purposeOfGroupName } from '../responders/isolation-groups';
import type { AccountInspection, GameDayCall, ResolvedEnvironment } from './backend';
import type { ExecutionRecord, TaskInvocation } from './engine';
import { RESPONDER_NAMES } from '../contracts/responders';
import { REVOKE_SESSIONS_POLICY_NAME } from '../responders/quarantine-credentials';
import { MALWARE_OBJECT_TAGS } from '../responders/s3-malware-object';

export type TimelineRowKind = 'execution' | 'state' | 'task' | 'action' | 'call' | 'retry' | 'caught' | 'routing';

/** One line of the timeline. */
export interface TimelineRow {
  /** Simulated ms since the injection. */
  readonly simMs: number;
  /** Wall ms since the injection. */
  readonly wallMs: number;
  readonly kind: TimelineRowKind;
  /** `dispatcher#1`, or the playbook (with `#n` when it ran more than once). */
  readonly execution: string;
  readonly state: string;
  /** The responder, the API, or the state-machine event. */
  readonly action: string;
  readonly resource: string;
  readonly result: string;
  readonly detail?: string;
  /** AWS calls a task made, compressed (`ec2:DescribeInstances, ec2:ModifyNetworkInterfaceAttribute ×4`). */
  readonly calls?: string;
  /** How many AWS calls a task made (every attempt counts). */
  readonly callCount?: number;
}

/**
 * Time to containment: injection → the last call that contained something (an ENI moved to the
 * isolation group alone, an access key deactivated, a role's older sessions denied, an object
 * tagged infected: the containments the incident report counts, lib/operator/incident-report.ts).
 */
export interface Containment {
  readonly simMs: number;
  readonly wallMs?: number;
  /** ENIs moved to the isolation group. */
  readonly isolatedEnis: number;
  /** Distinct resources contained, by kind (only the kinds the run contained). */
  readonly contained: Readonly<Partial<Record<ContainedKind, number>>>;
}

/** What one containing call contained. */
export type ContainedKind = 'eni' | 'access-key' | 'role-sessions' | 's3-object';

/** How a report names a count of each kind. */
const CONTAINED_WORDS: Readonly<Record<ContainedKind, string>> = {
  eni: 'ENI(s) isolated',
  'access-key': 'access key(s) deactivated',
  'role-sessions': "role(s)' older sessions revoked",
  's3-object': 'object(s) tagged infected',
};

/** `2 ENI(s) isolated, 1 access key(s) deactivated`: what a containment holds, for a report line. */
export function describeContained(contained: Containment['contained']): string {
  return (Object.keys(CONTAINED_WORDS) as ContainedKind[])
    .flatMap((kind) => (contained[kind] !== undefined ? [`${contained[kind]} ${CONTAINED_WORDS[kind]}`] : []))
    .join(', ');
}

interface TimelineInput {
  readonly executions: readonly ExecutionRecord[];
  readonly calls: readonly GameDayCall[];
  readonly environment: ResolvedEnvironment;
  readonly injectionSim: Date;
  readonly injectionWall: number;
  /** How EventBridge routed each injected event (one row each). */
  readonly routings?: readonly { readonly bus: string; readonly matched: readonly string[]; readonly refused: readonly { readonly rule: string; readonly reason: string }[]; readonly at: Date; readonly wallMs: number }[];
}

/** `a, b ×3, c`: APIs in first-call order with their counts. */
export function compressCalls(calls: readonly GameDayCall[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.api, (counts.get(call.api) ?? 0) + 1);
  return [...counts].map(([api, count]) => (count > 1 ? `${api} ×${count}` : api)).join(', ');
}

function callsOf(task: TaskInvocation, calls: readonly GameDayCall[]): GameDayCall[] {
  const to = task.toSeq ?? Number.POSITIVE_INFINITY;
  return calls.filter((call) => call.seq >= task.fromSeq && call.seq < to && call.caller.includes(`/${task.role}/`));
}

/** Service integrations by the API they call. */
const INTEGRATION_APIS: Readonly<Record<string, string>> = {
  'arn:aws:states:::states:startExecution': 'states:StartExecution',
  'arn:aws:states:::sqs:sendMessage': 'sqs:SendMessage',
  'arn:aws:states:::sns:publish': 'sns:Publish',
  'arn:aws:states:::dynamodb:updateItem': 'dynamodb:UpdateItem',
};

function isResponderResult(value: unknown): value is { status?: unknown; actions?: ResponderAction[] } {
  return value !== null && typeof value === 'object';
}

function summarizeTask(task: TaskInvocation): { action: string; result: string; detail?: string; actions: readonly ResponderAction[] } {
  const integration = INTEGRATION_APIS[task.resource] ?? task.resource.replace('arn:aws:states:::', '');
  const action = task.responder ?? integration;
  if (task.error) return { action, result: `error ${task.error.name}`, detail: task.error.message.slice(0, 300), actions: [] };
  if (task.approval) {
    const decision = task.approval;
    return { action, result: decision.answer === 'timeout' ? 'approval timed out' : `${decision.answer === 'approve' ? 'approved' : 'rejected'} by ${decision.by}`, actions: [] };
  }
  const payload = (task.result as { Payload?: unknown } | undefined)?.Payload;
  if (task.responder === RESPONDER_NAMES.triage && payload && typeof payload === 'object') {
    const decision = payload as { outcome?: string; playbook?: string | null; mode?: string; reasons?: string[] };
    const target = decision.playbook ? ` → ${decision.playbook} (${decision.mode ?? '?'})` : '';
    return { action, result: `${decision.outcome ?? '?'}${target}`, detail: decision.reasons?.at(-1) ?? '', actions: [] };
  }
  if (task.responder !== undefined && isResponderResult(payload)) {
    return { action, result: String(payload.status ?? 'ok'), actions: payload.actions ?? [] };
  }
  const answer = task.result as Record<string, unknown> | undefined;
  if (answer?.ExecutionArn) return { action: integration, result: `started ${String(answer.ExecutionArn).split(':').pop() ?? ''}`, actions: [] };
  if (answer?.MessageId) return { action: integration, result: `sent ${String(answer.MessageId)}`, actions: [] };
  return { action, result: 'ok', actions: [] };
}

/** Builds the timeline of a run: each execution in its own event order, executions merged by wall time. */
export function buildTimeline(input: TimelineInput): TimelineRow[] {
  const { executions, calls, injectionSim, injectionWall } = input;
  const sim = (at: Date | undefined) => (at ? at.getTime() - injectionSim.getTime() : 0);
  const wall = (ms: number | undefined) => (ms === undefined ? 0 : Math.max(0, ms - injectionWall));

  let dispatcherCount = 0;
  const playbookRuns = new Map<string, number>();
  const labels = new Map<string, string>();
  for (const record of executions) {
    if (record.kind === 'dispatcher') labels.set(record.executionArn, `dispatcher#${(dispatcherCount += 1)}`);
    else {
      const runs = (playbookRuns.get(record.playbook ?? '') ?? 0) + 1;
      playbookRuns.set(record.playbook ?? '', runs);
      labels.set(record.executionArn, runs === 1 ? (record.playbook ?? record.stateMachineName) : `${record.playbook ?? ''}#${runs}`);
    }
  }

  const taskRows = (execution: string, task: TaskInvocation): TimelineRow[] => {
    const summary = summarizeTask(task);
    const made = callsOf(task, calls);
    const rows: TimelineRow[] = [
      {
        simMs: sim(task.endSim ?? task.startSim),
        wallMs: wall(task.endWallMs ?? task.startWallMs),
        kind: 'task',
        execution,
        state: task.state,
        action: task.attempt > 1 ? `${summary.action} (attempt ${task.attempt})` : summary.action,
        resource: '',
        result: summary.result,
        ...(summary.detail ? { detail: summary.detail } : {}),
        calls: compressCalls(made),
        callCount: made.length,
      },
    ];
    for (const action of summary.actions) {
      rows.push({ simMs: sim(new Date(action.at)), wallMs: wall(task.endWallMs), kind: 'action', execution, state: task.state, action: action.api, resource: action.target, result: action.outcome, detail: action.detail });
    }
    for (const call of made.filter((candidate) => candidate.outcome === 'error')) {
      rows.push({
        simMs: sim(call.at),
        wallMs: wall(task.endWallMs),
        kind: 'call',
        execution,
        state: task.state,
        action: call.api,
        resource: '',
        result: `${call.errorCode ?? 'error'}${call.injected ? ' (injected)' : ''}`,
        detail: `attempt ${call.attempt}${call.dryRun ? ', DryRun' : ''}`,
      });
    }
    return rows;
  };

  const perExecution: TimelineRow[][] = executions.map((record) => {
    const execution = labels.get(record.executionArn) ?? record.name;
    const rows: TimelineRow[] = [
      {
        simMs: sim(record.startSim),
        wallMs: wall(record.startWallMs),
        kind: 'execution',
        execution,
        state: '',
        action: 'ExecutionStarted',
        resource: record.name,
        result:
          record.kind === 'dispatcher'
            ? 'event delivered'
            : record.parentArn
              ? `started by ${labels.get(record.parentArn) ?? 'dispatcher'}`
              : 'started directly (StartExecution, as firebreak release does)',
      },
    ];
    // The k-th end (StateExited or StateFailed) of a Task state is its k-th invocation.
    const ends = new Map<string, number>();
    const invocations = (state: string) => record.tasks.filter((task) => task.state === state);
    for (const event of record.events) {
      const at = { simMs: sim(event.simAt), wallMs: wall(event.wallMs), execution, state: event.state ?? '' };
      if (event.stateType === 'Task' && (event.type === 'StateExited' || event.type === 'StateFailed') && event.state) {
        const index = ends.get(event.state) ?? 0;
        ends.set(event.state, index + 1);
        const task = invocations(event.state)[index];
        if (task) rows.push(...taskRows(execution, task));
      } else if (event.type === 'StateRetried') {
        rows.push({ ...at, kind: 'retry', action: 'StateRetried', resource: '', result: `retry #${event.retry ?? '?'}` });
      } else if (event.type === 'StateCaught') {
        rows.push({ ...at, kind: 'caught', action: 'StateCaught', resource: '', result: 'error caught' });
      } else if (event.type === 'StateEntered' && event.stateType !== 'Task') {
        rows.push({ ...at, kind: 'state', action: event.stateType ?? 'State', resource: '', result: 'entered' });
      }
    }
    // Invocations no event closed (events not recorded, or an execution cut short).
    for (const [state, count] of new Map(record.tasks.map((task) => [task.state, invocations(task.state).length]))) {
      for (const task of invocations(state).slice(ends.get(state) ?? 0, count)) rows.push(...taskRows(execution, task));
    }
    if (record.status !== 'RUNNING') {
      rows.push({
        simMs: sim(record.endSim),
        wallMs: wall(record.endWallMs),
        kind: 'execution',
        execution,
        state: record.path.at(-1) ?? '',
        action: record.status === 'SUCCEEDED' ? 'ExecutionSucceeded' : 'ExecutionFailed',
        resource: record.name,
        result: record.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED ${record.error ?? ''}`.trim(),
        ...(record.cause && record.status === 'FAILED' ? { detail: record.cause.slice(0, 300) } : {}),
      });
    }
    return rows;
  });

  perExecution.unshift(
    (input.routings ?? []).map((routing): TimelineRow => ({
      simMs: sim(routing.at),
      wallMs: wall(routing.wallMs),
      kind: 'routing',
      execution: 'eventbridge',
      state: '',
      action: 'PutEvents',
      resource: `bus ${routing.bus}`,
      result: routing.matched.length > 0 ? `delivered by ${routing.matched.join(', ')}` : 'not delivered: no rule matched',
      ...(routing.matched.length === 0
        ? { detail: routing.refused.length > 0 ? routing.refused.map(({ rule, reason }) => `${rule}: ${reason}`).join('; ') : `no rule targets the dispatcher on bus ${routing.bus}` }
        : {}),
    })),
  );

  // Merge: each execution keeps its own order; the earliest head (by wall time) goes next.
  const merged: TimelineRow[] = [];
  const heads = perExecution.map(() => 0);
  for (;;) {
    let best = -1;
    perExecution.forEach((rows, index) => {
      const row = rows[heads[index] as number];
      if (row === undefined) return;
      const current = best >= 0 ? perExecution[best]?.[heads[best] as number] : undefined;
      if (current === undefined || row.wallMs < current.wallMs) best = index;
    });
    if (best < 0) break;
    merged.push(perExecution[best]?.[heads[best] as number] as TimelineRow);
    heads[best] = (heads[best] as number) + 1;
  }
  return merged;
}

/**
 * What the inspection appends to the name of a group named like Firebreak's that is not Firebreak's
 * (isolation-groups' `notFirebreaksReason`: another owner, no managed tag, a rule Firebreak never
 * sets), so that it never reads as `isolation` or `untrack`: neither in an ENI's expected groups nor
 * in the containment measure (row 9f).
 */
export const NOT_FIREBREAKS_GROUP_MARK = " (not Firebreak's)";

/**
 * Group display names: the scenario's own names, `isolation` / `untrack` for Firebreak's groups, else
 * EC2's name or the id. A group the inspection found is not Firebreak's keeps its marked name,
 * whatever the scenario calls it (an impostor it declares as `firebreak-isolation`).
 */
export function groupDisplayName(groupId: string, environment: ResolvedEnvironment, inspection: AccountInspection): string {
  const inspected = inspection.groupNames[groupId];
  if (inspected?.endsWith(NOT_FIREBREAKS_GROUP_MARK)) return inspected;
  const declared = Object.entries(environment.securityGroups).find(([, id]) => id === groupId)?.[0];
  return normalizeGroupName(declared ?? inspected ?? groupId);
}

/** Firebreak's own groups (plain or suffixed names) read as `isolation` and `untrack`, whoever created them. */
export function normalizeGroupName(name: string): string {
  return purposeOfGroupName(name) ?? name;
}

/** A call as the containment measures read it (the call log's and the latency trace's calls alike). */
interface ObservedCall {
  readonly api: string;
  readonly outcome?: string;
  readonly dryRun: boolean;
  readonly input: Readonly<Record<string, unknown>>;
}

/**
 * What a successful, real (not DryRun) call contained, if it contained something: an ENI left in
 * the isolation group alone (ModifyNetworkInterfaceAttribute), an access key made Inactive
 * (UpdateAccessKey), a role given Firebreak's deny of older sessions (PutRolePolicy of
 * REVOKE_SESSIONS_POLICY_NAME), an object tagged infected (PutObjectTagging with the malware tag;
 * a release's tagging leaves the tag out). The id tells resources apart (an ENI moved twice is one).
 */
export function containedBy(call: ObservedCall, groupNames: Readonly<Record<string, string>>): { readonly kind: ContainedKind; readonly id: string } | undefined {
  if (call.outcome !== 'ok' || call.dryRun) return undefined;
  const { input } = call;
  switch (call.api) {
    case 'ec2:ModifyNetworkInterfaceAttribute': {
      const groups = input.Groups;
      const isolated = Array.isArray(groups) && groups.length === 1 && purposeOfGroupName(groupNames[String(groups[0])] ?? '') === 'isolation';
      return isolated ? { kind: 'eni', id: String(input.NetworkInterfaceId) } : undefined;
    }
    case 'iam:UpdateAccessKey':
      return input.Status === 'Inactive' ? { kind: 'access-key', id: String(input.AccessKeyId) } : undefined;
    case 'iam:PutRolePolicy':
      return input.PolicyName === REVOKE_SESSIONS_POLICY_NAME ? { kind: 'role-sessions', id: String(input.RoleName) } : undefined;
    case 's3:PutObjectTagging': {
      const tagSet = (input.Tagging as { readonly TagSet?: unknown } | undefined)?.TagSet;
      const infected = Array.isArray(tagSet) && tagSet.some((tag: { readonly Key?: unknown; readonly Value?: unknown }) => tag.Key === MALWARE_OBJECT_TAGS.scan.key && tag.Value === MALWARE_OBJECT_TAGS.scan.value);
      return infected ? { kind: 's3-object', id: `${String(input.Bucket)}/${String(input.Key)}${input.VersionId !== undefined ? `?versionId=${String(input.VersionId)}` : ''}` } : undefined;
    }
    default:
      return undefined;
  }
}

/** Injection → the last call that contained something (containedBy), with what the run contained. */
export function measureContainment(
  calls: readonly GameDayCall[],
  after: AccountInspection,
  injectionSim: Date,
  injectionWall: number,
): Containment | undefined {
  const byKind = new Map<ContainedKind, Set<string>>();
  let last: GameDayCall | undefined;
  for (const call of calls) {
    const found = containedBy(call, after.groupNames);
    if (!found) continue;
    last = call;
    const ids = byKind.get(found.kind) ?? new Set<string>();
    ids.add(found.id);
    byKind.set(found.kind, ids);
  }
  if (!last) return undefined;
  return {
    simMs: last.at.getTime() - injectionSim.getTime(),
    ...(last.wallMs !== undefined ? { wallMs: last.wallMs - injectionWall } : {}),
    isolatedEnis: byKind.get('eni')?.size ?? 0,
    contained: Object.fromEntries([...byKind].map(([kind, ids]) => [kind, ids.size])),
  };
}
