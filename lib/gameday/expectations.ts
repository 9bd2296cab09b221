/**
 * Checks a scenario's `expect:` against what the run produced. Pure: every result says what was
 * expected and what actually happened, in words and ids a game-day engineer can act on.
 */
import type { TriageDecision } from '../playbooks/triage';
import { matchesAction } from './sim/permissions';
import type { AccountInspection, GameDayCall, ResolvedEnvironment } from './backend';
import { isMutatingCall } from './backend';
import type { ExecutionRecord } from './engine';
import type { Scenario } from './scenario';
import type { Containment } from './timeline';
import { groupDisplayName, normalizeGroupName } from './timeline';

export interface ExpectationResult {
  /** What is checked, e.g. `instance web ENI 1 groups`. */
  readonly name: string;
  readonly passed: boolean;
  readonly expected: string;
  readonly actual: string;
}

/** What a run produced, as expectations see it. */
export interface RunFacts {
  readonly environment: ResolvedEnvironment;
  readonly deliveries: readonly { readonly decision?: TriageDecision; readonly duplicate: boolean; readonly dispatcher: ExecutionRecord }[];
  /** Playbook executions, in start order. */
  readonly executions: readonly ExecutionRecord[];
  readonly before: AccountInspection;
  readonly after: AccountInspection;
  readonly calls: readonly GameDayCall[];
  readonly containment?: Containment;
  /** Responders invoked directly by `invoke:` injections. */
  readonly invocations?: readonly { readonly responder: string; readonly result?: unknown; readonly error?: { readonly name: string; readonly message: string } }[];
  /** How EventBridge routed each injected event (rules matched on its bus). */
  readonly routings?: readonly { readonly matched: readonly string[] }[];
}

function show(value: unknown): string {
  if (value === undefined) return '(nothing)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function result(name: string, passed: boolean, expected: unknown, actual: unknown): ExpectationResult {
  return { name, passed, expected: show(expected), actual: show(actual) };
}

function sameValues(values: readonly unknown[], expected: unknown): boolean {
  return values.length > 0 && values.every((value) => value === expected);
}

function listOrNothing(values: readonly unknown[]): unknown {
  if (values.length === 0) return '(no delivery was triaged)';
  const distinct = [...new Set(values.map(show))];
  return distinct.length === 1 ? distinct[0] : distinct.join(' / ');
}

/**
 * The states that stand for a step: its own state, or its variants on a guarded playbook's paths
 * (`BeforeApproval-<id>`, `TimedOut-<id>`…: a CamelCase prefix the compiler adds).
 */
function statesOfStep(execution: ExecutionRecord, step: string): string[] {
  const names = new Set([...execution.path, ...execution.tasks.map((task) => task.state)]);
  return [...names].filter((name) => name === step || (name.endsWith(`-${step}`) && /^[A-Z][A-Za-z]*-/.test(name)));
}

/** Succeeded, failed (its last try ended in an error, caught or not) or skipped (never entered), in one execution. */
function stepStatus(execution: ExecutionRecord, step: string): { status: 'succeeded' | 'failed' | 'skipped'; retries: number; state?: string } {
  const states = statesOfStep(execution, step);
  const events = execution.events.filter((event) => event.state !== undefined && states.includes(event.state));
  const retries = events.filter((event) => event.type === 'StateRetried').length;
  const entered = states.find((state) => execution.path.includes(state));
  if (entered === undefined) return { status: 'skipped', retries };
  const label = entered === step ? {} : { state: entered };
  const lastTry = [...execution.tasks].reverse().find((task) => task.state === entered);
  if (lastTry) return { status: lastTry.error ? 'failed' : 'succeeded', retries, ...label };
  const last = [...events].reverse().find((event) => event.type === 'StateExited' || event.type === 'StateFailed');
  return { status: last?.type === 'StateExited' ? 'succeeded' : 'failed', retries, ...label };
}

function stepResult(execution: ExecutionRecord, step: string): string | undefined {
  const states = statesOfStep(execution, step);
  const task = [...execution.tasks].reverse().find((candidate) => states.includes(candidate.state) && candidate.error === undefined);
  const payload = (task?.result as { Payload?: { status?: unknown } } | undefined)?.Payload;
  return payload?.status === undefined ? undefined : String(payload.status);
}

function profileName(arn: string | undefined): string | null {
  return arn === undefined ? null : (arn.split('/').pop() ?? arn);
}

/** The ids a name in `unchanged:` stands for (an instance brings its ENIs and volumes). */
function resourceIds(name: string, environment: ResolvedEnvironment): string[] {
  const instance = environment.instances[name];
  if (instance) return [instance.instanceId, ...instance.networkInterfaceIds, ...instance.volumes.map((volume) => volume.volumeId)];
  const group = environment.securityGroups[name];
  if (group) return [group];
  const vpc = environment.vpcs[name];
  if (vpc) return [vpc];
  return [name];
}

/** The top-level fields of two canonical JSON documents that differ. */
function changedFields(before: string | undefined, after: string | undefined): string[] {
  if (before === undefined || after === undefined) return [before === undefined ? 'did not exist before' : 'no longer exists'];
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/** Evaluates every expectation of `scenario` (in the order the file lists them). */
export function evaluateExpectations(scenario: Scenario, facts: RunFacts): ExpectationResult[] {
  const expect = scenario.expect;
  const results: ExpectationResult[] = [];
  const decisions = facts.deliveries.flatMap((delivery) => (delivery.decision ? [delivery.decision] : []));
  const { environment, after, before } = facts;

  if (expect.outcome !== undefined) {
    const outcomes = decisions.map((decision) => decision.outcome);
    results.push(result('triage outcome (every delivery)', sameValues(outcomes, expect.outcome) && outcomes.length === facts.deliveries.length, expect.outcome, listOrNothing(outcomes)));
  }
  if (expect.playbook !== undefined) {
    const playbooks = decisions.map((decision) => decision.playbook);
    results.push(result('playbook chosen', sameValues(playbooks, expect.playbook), expect.playbook ?? 'none', listOrNothing(playbooks.map((p) => p ?? 'none'))));
  }
  if (expect.mode !== undefined) {
    const modes = decisions.map((decision) => decision.mode);
    results.push(result('mode', sameValues(modes, expect.mode), expect.mode, listOrNothing(modes)));
  }
  if (expect.executions !== undefined) {
    const names = facts.executions.map((execution) => `${execution.playbook ?? execution.stateMachineName}/${execution.name}`);
    results.push(
      result('playbook executions started', facts.executions.length === expect.executions, expect.executions, names.length === 0 ? '0' : `${names.length}: ${names.join(', ')}`),
    );
  }
  if (expect.duplicates !== undefined) {
    const duplicates = facts.deliveries.filter((delivery) => delivery.duplicate).length;
    results.push(result('deliveries ended as duplicates', duplicates === expect.duplicates, expect.duplicates, duplicates));
  }
  if (expect.status !== undefined) {
    const statuses = facts.executions.map((execution) => `${execution.status.toLowerCase()}${execution.error ? ` (${execution.error})` : ''}`);
    const passed = facts.executions.length > 0 && facts.executions.every((execution) => execution.status.toLowerCase() === expect.status);
    results.push(result('playbook execution status', passed, expect.status, statuses.length === 0 ? '(no playbook execution)' : statuses.join(', ')));
  }
  // A step is judged over the executions that entered it: `skipped` means none did; with several
  // executions (concurrent incidents), every one that entered it must match.
  for (const [step, expected] of Object.entries(expect.steps ?? {})) {
    const label = `step ${step}`;
    if (facts.executions.length === 0) {
      results.push(result(label, false, expected, '(no playbook execution)'));
      continue;
    }
    const statuses = facts.executions.map((execution) => stepStatus(execution, step));
    const ran = statuses.filter((status) => status.status !== 'skipped');
    const many = facts.executions.length > 1;
    const shown = (items: readonly string[]) => (many ? items.map((item, index) => `#${index + 1} ${item}`).join(', ') : (items[0] ?? ''));
    if (expected.status !== undefined) {
      const passed = expected.status === 'skipped' ? ran.length === 0 : ran.length > 0 && ran.every((status) => status.status === expected.status);
      results.push(result(`${label} status`, passed, expected.status, shown(statuses.map((status) => (status.state ? `${status.status} (as ${status.state})` : status.status)))));
    }
    if (expected.retries !== undefined) {
      const retries = statuses.reduce((total, status) => total + status.retries, 0);
      results.push(result(`${label} retries`, retries === expected.retries, expected.retries, retries));
    }
    if (expected.result !== undefined) {
      const outcomes = facts.executions.map((execution) => stepResult(execution, step));
      const produced = outcomes.filter((outcome) => outcome !== undefined);
      const passed = produced.length > 0 && produced.every((outcome) => outcome === expected.result);
      results.push(result(`${label} result`, passed, expected.result, shown(outcomes.map((outcome) => outcome ?? '(no result)'))));
    }
  }

  for (const [name, expected] of Object.entries(expect.instances ?? {})) {
    const declared = environment.instances[name];
    const id = declared?.instanceId ?? name;
    const state = after.instances[id];
    const label = `instance ${name}`;
    if (!state) {
      results.push(result(label, false, 'to exist', `${id} no longer exists`));
      continue;
    }
    if (expected.state !== undefined) results.push(result(`${label} state`, state.state === expected.state, expected.state, state.state));
    if (expected.enis !== undefined) {
      expected.enis.forEach((groups, index) => {
        const eni = state.networkInterfaces[index];
        const want = [...new Set(groups.map((group) => (group.startsWith('sg-') ? groupDisplayName(group, environment, after) : normalizeGroupName(group))))].sort();
        const have = eni ? [...new Set(eni.groupIds.map((group) => groupDisplayName(group, environment, after)))].sort() : [];
        results.push(
          result(
            `${label} ENI ${index + 1}${eni ? ` (${eni.networkInterfaceId})` : ''} groups`,
            eni !== undefined && JSON.stringify(want) === JSON.stringify(have),
            `[${want.join(', ')}]`,
            eni ? `[${have.join(', ')}]` : '(no such ENI)',
          ),
        );
      });
    }
    if (expected.terminationProtection !== undefined) {
      results.push(result(`${label} termination protection`, state.terminationProtection === expected.terminationProtection, expected.terminationProtection, state.terminationProtection));
    }
    if (expected.stopProtection !== undefined) {
      results.push(result(`${label} stop protection`, state.stopProtection === expected.stopProtection, expected.stopProtection, state.stopProtection));
    }
    if (expected.shutdownBehavior !== undefined) {
      results.push(result(`${label} shutdown behaviour`, state.shutdownBehavior === expected.shutdownBehavior, expected.shutdownBehavior, state.shutdownBehavior));
    }
    if (expected.instanceProfile !== undefined) {
      const actual = profileName(state.instanceProfileArn);
      results.push(result(`${label} instance profile`, actual === expected.instanceProfile, expected.instanceProfile ?? 'none', actual ?? 'none'));
    }
    for (const [key, value] of Object.entries(expected.tags ?? {})) {
      const actual = state.tags[key];
      results.push(result(`${label} tag ${key}`, value === null ? actual === undefined : actual === value, value ?? '(absent)', actual ?? '(absent)'));
    }
    for (const [device, count] of Object.entries(expected.snapshots ?? {})) {
      const volume = state.volumes.find((candidate) => candidate.device === device);
      const actual = volume?.snapshotIds.length ?? 0;
      results.push(
        result(`${label} snapshots of ${device}${volume ? ` (${volume.volumeId})` : ''}`, actual === count, count, volume ? `${actual}${actual > 0 ? `: ${volume.snapshotIds.join(', ')}` : ''}` : 'no such volume'),
      );
    }
  }

  if (expect.alerts !== undefined) {
    const alerts = after.alerts.slice(before.alerts.length);
    const spec = expect.alerts;
    if (spec.count !== undefined) {
      results.push(result('alerts published', alerts.length === spec.count, spec.count, `${alerts.length}${alerts.length > 0 ? `: ${alerts.map((alert) => JSON.stringify(alert.subject ?? '')).join(', ')}` : ''}`));
    }
    const subjects = spec.subjectContains === undefined ? [] : Array.isArray(spec.subjectContains) ? spec.subjectContains : [spec.subjectContains];
    const attributes = Object.entries(spec.attributes ?? {});
    const lines = spec.lines ?? [];
    if (subjects.length + attributes.length + lines.length > 0) {
      const fits = (alert: (typeof alerts)[number]) => ({
        subject: subjects.filter((text) => !(alert.subject ?? '').includes(text)),
        attributes: attributes.filter(([key, value]) => alert.attributes[key] !== value),
        lines: lines.filter((line) => !alert.message.includes(line)),
      });
      const scored = alerts.map((alert) => ({ alert, misses: fits(alert) }));
      const best = scored.sort(
        (a, b) =>
          a.misses.subject.length + a.misses.attributes.length + a.misses.lines.length - (b.misses.subject.length + b.misses.attributes.length + b.misses.lines.length),
      )[0];
      const expected = [
        ...subjects.map((text) => `subject contains "${text}"`),
        ...attributes.map(([key, value]) => `attribute ${key}=${value}`),
        ...lines.map((line) => `body has "${line}"`),
      ].join('; ');
      if (!best) results.push(result('an alert with', false, expected, '(no alert was published)'));
      else {
        const misses = best.misses;
        const passed = misses.subject.length + misses.attributes.length + misses.lines.length === 0;
        const actual = passed
          ? `alert "${best.alert.subject ?? ''}"`
          : [
              ...(misses.subject.length > 0 ? [`subject is "${best.alert.subject ?? ''}"`] : []),
              ...misses.attributes.map(([key]) => `attribute ${key}=${best.alert.attributes[key] ?? '(absent)'}`),
              ...misses.lines.map((line) => `body lacks "${line}"`),
            ].join('; ');
        results.push(result('an alert with', passed, expected, actual));
      }
    }
  }

  if (expect.keptEvents !== undefined) {
    const kept = after.keptEvents.slice(before.keptEvents.length);
    const spec = expect.keptEvents;
    if (spec.count !== undefined) results.push(result('events kept in the unprocessable-events queue', kept.length === spec.count, spec.count, kept.length));
    if (spec.reason !== undefined) {
      const reasons = kept.map((event) => {
        try {
          return String((JSON.parse(event.body) as { reason?: unknown }).reason);
        } catch {
          return '(not JSON)';
        }
      });
      results.push(result('kept event reason', kept.length > 0 && reasons.every((reason) => reason === spec.reason), spec.reason, listOrNothing(reasons)));
    }
    for (const text of spec.contains ?? []) {
      results.push(result(`kept event contains "${text}"`, kept.some((event) => event.body.includes(text)), 'present', kept.length === 0 ? '(nothing kept)' : kept.some((event) => event.body.includes(text)) ? 'present' : 'absent'));
    }
  }

  for (const name of expect.unchanged ?? []) {
    const changes = resourceIds(name, environment).flatMap((id) => {
      const fields = changedFields(before.resources[id], after.resources[id]);
      return fields.length > 0 ? [`${id}: ${fields.join(', ')}`] : [];
    });
    results.push(result(`${name} unchanged`, changes.length === 0, 'no change', changes.length === 0 ? 'no change' : `changed ${changes.join('; ')}`));
  }

  if (expect.noMutatingCalls !== undefined) {
    const mutating = facts.calls.filter((call) => (call.api.startsWith('ec2:') || call.api.startsWith('iam:')) && isMutatingCall(call));
    const shown = mutating.map((call) => `${call.api}${typeof call.input.NetworkInterfaceId === 'string' ? ` ${call.input.NetworkInterfaceId}` : ''}`);
    results.push(
      result(
        'no mutating EC2/IAM call',
        expect.noMutatingCalls ? mutating.length === 0 : mutating.length > 0,
        expect.noMutatingCalls ? 'none' : 'at least one',
        mutating.length === 0 ? 'none' : `${mutating.length}: ${[...new Set(shown)].join(', ')}`,
      ),
    );
  }
  if (expect.accountUnchanged !== undefined) {
    const same = before.digest === after.digest;
    const changed = same
      ? 'unchanged'
      : `changed: ${Object.keys(after.resources)
          .filter((id) => before.resources[id] !== after.resources[id])
          .concat(Object.keys(before.resources).filter((id) => after.resources[id] === undefined))
          .join(', ') || 'account-level state'}`;
    results.push(result('account state digest', same === expect.accountUnchanged, expect.accountUnchanged ? 'unchanged' : 'changed', changed));
  }

  for (const spec of expect.calls ?? []) {
    const matching = facts.calls.filter((call) => matchesAction(spec.api, call.api) && (spec.error === undefined || call.errorCode === spec.error));
    const count = matching.length;
    const name = `calls to ${spec.api}${spec.error ? ` answered ${spec.error}` : ''}`;
    const bounds = [
      ...(spec.count !== undefined ? [`exactly ${spec.count}`] : []),
      ...(spec.atLeast !== undefined ? [`at least ${spec.atLeast}`] : []),
      ...(spec.atMost !== undefined ? [`at most ${spec.atMost}`] : []),
    ];
    const passed =
      (spec.count === undefined || count === spec.count) &&
      (spec.atLeast === undefined || count >= spec.atLeast) &&
      (spec.atMost === undefined || count <= spec.atMost) &&
      (bounds.length > 0 || count > 0);
    results.push(result(name, passed, bounds.length > 0 ? bounds.join(' and ') : 'at least 1', count));
  }

  if (expect.invocations !== undefined) {
    const spec = expect.invocations;
    const invoked = facts.invocations ?? [];
    const statusOf = (invocation: (typeof invoked)[number]) =>
      invocation.error ? `error ${invocation.error.name}` : String((invocation.result as { status?: unknown } | undefined)?.status ?? '(no status)');
    if (spec.count !== undefined) results.push(result('responders invoked directly', invoked.length === spec.count, spec.count, invoked.length));
    if (spec.result !== undefined) {
      const statuses = invoked.map(statusOf);
      results.push(result('direct invocation result', sameValues(statuses, spec.result), spec.result, listOrNothing(statuses)));
    }
    if (spec.error !== undefined) {
      const errors = invoked.map((invocation) => invocation.error?.name ?? 'no error');
      results.push(result('direct invocation error', sameValues(errors, spec.error), spec.error, listOrNothing(errors)));
    }
    for (const text of spec.contains ?? []) {
      const bodies = invoked.map((invocation) => JSON.stringify(invocation.error ?? invocation.result ?? null));
      const missing = bodies.filter((body) => !body.includes(text)).length;
      results.push(
        result(`direct invocations mention "${text}"`, bodies.length > 0 && missing === 0, 'in every one', bodies.length === 0 ? '(no invocation)' : missing === 0 ? 'in every one' : `missing in ${missing}`),
      );
    }
  }
  if (expect.notDelivered !== undefined) {
    const dropped = (facts.routings ?? []).filter((routing) => routing.matched.length === 0).length;
    results.push(result('injected events no rule delivered', dropped === expect.notDelivered, expect.notDelivered, dropped));
  }
  for (const [rule, expected] of Object.entries(expect.deliveredBy ?? {})) {
    const count = (facts.routings ?? []).filter((routing) => routing.matched.includes(rule)).length;
    results.push(result(`events delivered by ${rule}`, count === expected, expected, count));
  }

  if (expect.containedWithinSeconds !== undefined) {
    const contained = facts.containment;
    results.push(
      result(
        'time to containment (simulated)',
        contained !== undefined && contained.simMs <= expect.containedWithinSeconds * 1000,
        `≤ ${expect.containedWithinSeconds} s`,
        contained ? `${(contained.simMs / 1000).toFixed(3)} s` : 'no ENI was isolated',
      ),
    );
  }
  return results;
}
