/**
 * Checks a scenario's `expect:` against what the run produced. Pure: every result says what was
 * expected and what actually happened, in words and ids a game-day engineer can act on.
 */
import { evaluateChat } from './chat-expectations';
import type { IncidentReport } from '../operator/incident-report';
import type { IncidentSummary } from '../operator/incidents';
import type { TriageDecision } from '../playbooks/triage';
import { GUARDED_PATH_PREFIXES } from '../playbooks/compile';
import { matchesAction } from './sim/permissions';
import type { AccountInspection, GameDayCall, ResolvedEnvironment } from './backend';
import { isMutatingCall } from './backend';
import type { ExecutionRecord } from './engine';
import type { ExpectationsDocument, Scenario } from './scenario';
import type { Containment } from './timeline';
import { evaluateFleet } from './fleet-expectations';
import { groupDisplayName, normalizeGroupName } from './timeline';
import { REVOKE_SESSIONS_POLICY_NAME, sessionCutOffOf } from '../responders/quarantine-credentials';
import { CUSTODY_STATUSES } from '../responders/snapshot-custody';
import { RESPONDER_NAMES } from '../contracts/responders';
import { MALWARE_OBJECT_TAGS, quarantineBucketDirectory } from '../responders/s3-malware-object';

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
  readonly deliveries: readonly { readonly decision?: TriageDecision; readonly duplicate: boolean; readonly dispatcher: ExecutionRecord; readonly clipped?: true }[];
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
  /** The post-incident reports of the incident records the run left (lib/gameday/incident-records.ts). */
  readonly reports?: readonly IncidentReport[];
  /** The incidents `firebreak incidents` lists for the run's table (lib/gameday/incident-records.ts). */
  readonly listed?: readonly IncidentSummary[];
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
 * (`BeforeApproval-<id>`, `TimedOut-<id>`…: a CamelCase prefix the compiler adds). Not its
 * read-only run before the approval (`Preview-<id>`): that is not the step, and a step that failed
 * after it must not pass for succeeded.
 */
function statesOfStep(execution: ExecutionRecord, step: string): string[] {
  const names = new Set([...execution.path, ...execution.tasks.map((task) => task.state)]);
  return [...names].filter((name) => name === step || (name.endsWith(`-${step}`) && /^[A-Z][A-Za-z]*-/.test(name) && !name.startsWith(GUARDED_PATH_PREFIXES.preview)));
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

type Expected<K extends keyof ExpectationsDocument> = Exclude<ExpectationsDocument[K], undefined>;

/** Checks one expectation key against the run: one or more results, in a stable order. */
export type ExpectationEvaluator<K extends keyof ExpectationsDocument> = (expected: Expected<K>, facts: RunFacts) => ExpectationResult[];

/** Triage's decisions, for the deliveries triage answered. */
function decisionsOf(facts: RunFacts): TriageDecision[] {
  return facts.deliveries.flatMap((delivery) => (delivery.decision ? [delivery.decision] : []));
}

const outcome: ExpectationEvaluator<'outcome'> = (expected, facts) => {
  const outcomes = decisionsOf(facts).map((decision) => decision.outcome);
  return [result('triage outcome (every delivery)', sameValues(outcomes, expected) && outcomes.length === facts.deliveries.length, expected, listOrNothing(outcomes))];
};

const playbook: ExpectationEvaluator<'playbook'> = (expected, facts) => {
  const playbooks = decisionsOf(facts).map((decision) => decision.playbook);
  return [result('playbook chosen', sameValues(playbooks, expected), expected ?? 'none', listOrNothing(playbooks.map((p) => p ?? 'none')))];
};

const mode: ExpectationEvaluator<'mode'> = (expected, facts) => {
  const modes = decisionsOf(facts).map((decision) => decision.mode);
  return [result('mode', sameValues(modes, expected), expected, listOrNothing(modes))];
};

const executions: ExpectationEvaluator<'executions'> = (expected, facts) => {
  const names = facts.executions.map((execution) => `${execution.playbook ?? execution.stateMachineName}/${execution.name}`);
  return [result('playbook executions started', facts.executions.length === expected, expected, names.length === 0 ? '0' : `${names.length}: ${names.join(', ')}`)];
};

const duplicates: ExpectationEvaluator<'duplicates'> = (expected, facts) => {
  const count = facts.deliveries.filter((delivery) => delivery.duplicate).length;
  return [result('deliveries ended as duplicates', count === expected, expected, count)];
};

const clippedDeliveries: ExpectationEvaluator<'clippedDeliveries'> = (expected, facts) => {
  const count = facts.deliveries.filter((delivery) => delivery.clipped === true).length;
  return [result("dispatcher runs on the oversized-event intake's clipped copy", count === expected, expected, count)];
};

const undeliveredEvents: ExpectationEvaluator<'undeliveredEvents'> = (spec, facts) => {
  const kept = (facts.after.undeliveredEvents ?? []).slice((facts.before.undeliveredEvents ?? []).length);
  const results: ExpectationResult[] = [];
  if (spec.count !== undefined) results.push(result('events in the undelivered-events queue', kept.length === spec.count, spec.count, kept.length));
  if (spec.errorCodes !== undefined) {
    const codes = kept.map((event) => event.attributes?.ERROR_CODE ?? '(none)');
    const sorted = (values: readonly string[]) => JSON.stringify([...values].sort());
    results.push(result('undelivered error codes', sorted(codes) === sorted(spec.errorCodes), spec.errorCodes.join(', ') || '(none)', codes.join(', ') || '(none)'));
  }
  return results;
};

const status: ExpectationEvaluator<'status'> = (expected, facts) => {
  const statuses = facts.executions.map((execution) => `${execution.status.toLowerCase()}${execution.error ? ` (${execution.error})` : ''}`);
  const passed = facts.executions.length > 0 && facts.executions.every((execution) => execution.status.toLowerCase() === expected);
  return [result('playbook execution status', passed, expected, statuses.length === 0 ? '(no playbook execution)' : statuses.join(', '))];
};

/**
 * A step is judged over the executions that entered it: `skipped` means none did; with several
 * executions (concurrent incidents), every one that entered it must match.
 */
const steps: ExpectationEvaluator<'steps'> = (expectedSteps, facts) =>
  Object.entries(expectedSteps).flatMap(([step, expected]) => {
    const label = `step ${step}`;
    if (facts.executions.length === 0) return [result(label, false, expected, '(no playbook execution)')];
    const results: ExpectationResult[] = [];
    const statuses = facts.executions.map((execution) => stepStatus(execution, step));
    const ran = statuses.filter((candidate) => candidate.status !== 'skipped');
    const many = facts.executions.length > 1;
    const shown = (items: readonly string[]) => (many ? items.map((item, index) => `#${index + 1} ${item}`).join(', ') : (items[0] ?? ''));
    if (expected.status !== undefined) {
      const passed = expected.status === 'skipped' ? ran.length === 0 : ran.length > 0 && ran.every((candidate) => candidate.status === expected.status);
      results.push(result(`${label} status`, passed, expected.status, shown(statuses.map((candidate) => (candidate.state ? `${candidate.status} (as ${candidate.state})` : candidate.status)))));
    }
    if (expected.retries !== undefined) {
      const retries = statuses.reduce((total, candidate) => total + candidate.retries, 0);
      results.push(result(`${label} retries`, retries === expected.retries, expected.retries, retries));
    }
    if (expected.result !== undefined) {
      const outcomes = facts.executions.map((execution) => stepResult(execution, step));
      const produced = outcomes.filter((candidate) => candidate !== undefined);
      const passed = produced.length > 0 && produced.every((candidate) => candidate === expected.result);
      results.push(result(`${label} result`, passed, expected.result, shown(outcomes.map((candidate) => candidate ?? '(no result)'))));
    }
    return results;
  });

type ExpectedInstance = Expected<'instances'>[string];
type InspectedInstance = NonNullable<AccountInspection['instances'][string]>;

/** The groups of each listed ENI, by display name (ids and the isolation/untrack symbols normalized). */
function eniGroupResults(label: string, expected: readonly (readonly string[])[], state: InspectedInstance, facts: RunFacts): ExpectationResult[] {
  const { environment, after } = facts;
  return expected.map((groups, index) => {
    const eni = state.networkInterfaces[index];
    const want = [...new Set(groups.map((group) => (group.startsWith('sg-') ? groupDisplayName(group, environment, after) : normalizeGroupName(group))))].sort();
    const have = eni ? [...new Set(eni.groupIds.map((group) => groupDisplayName(group, environment, after)))].sort() : [];
    return result(
      `${label} ENI ${index + 1}${eni ? ` (${eni.networkInterfaceId})` : ''} groups`,
      eni !== undefined && JSON.stringify(want) === JSON.stringify(have),
      `[${want.join(', ')}]`,
      eni ? `[${have.join(', ')}]` : '(no such ENI)',
    );
  });
}

/** One instance's expected state, attribute by attribute, in a fixed order. */
function instanceResults(label: string, expected: ExpectedInstance, state: InspectedInstance, facts: RunFacts): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  if (expected.state !== undefined) results.push(result(`${label} state`, state.state === expected.state, expected.state, state.state));
  if (expected.enis !== undefined) results.push(...eniGroupResults(label, expected.enis, state, facts));
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
  results.push(...edgeResults(label, expected, state));
  for (const [device, count] of Object.entries(expected.snapshots ?? {})) {
    const volume = state.volumes.find((candidate) => candidate.device === device);
    const actual = volume?.snapshotIds.length ?? 0;
    results.push(
      result(`${label} snapshots of ${device}${volume ? ` (${volume.volumeId})` : ''}`, actual === count, count, volume ? `${actual}${actual > 0 ? `: ${volume.snapshotIds.join(', ')}` : ''}` : 'no such volume'),
    );
  }
  return results;
}

/** The containment edges of one instance (issue 11): its Elastic IP and its metadata settings, as the account reports them. */
function edgeResults(label: string, expected: ExpectedInstance, state: InspectedInstance): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  if (expected.elasticIp !== undefined) {
    const ips = state.elasticIps;
    results.push(
      result(
        `${label} Elastic IP`,
        ips !== undefined && (ips.length > 0) === expected.elasticIp,
        expected.elasticIp ? 'associated' : 'none',
        ips === undefined ? 'not read (DescribeAddresses failed on this backend)' : ips.length > 0 ? `associated: ${ips.join(', ')}` : 'none',
      ),
    );
  }
  for (const [field, want] of Object.entries(expected.metadata ?? {})) {
    const have = state.metadata?.[field as keyof NonNullable<InspectedInstance['metadata']>];
    results.push(result(`${label} metadata ${field}`, have === want, want, have ?? '(not reported)'));
  }
  return results;
}

const instances: ExpectationEvaluator<'instances'> = (expectedInstances, facts) =>
  Object.entries(expectedInstances).flatMap(([name, expected]) => {
    const id = facts.environment.instances[name]?.instanceId ?? name;
    const state = facts.after.instances[id];
    const label = `instance ${name}`;
    return state ? instanceResults(label, expected, state, facts) : [result(label, false, 'to exist', `${id} no longer exists`)];
  });

const s3Objects: ExpectationEvaluator<'s3Objects'> = (expectedObjects, facts) =>
  Object.entries(expectedObjects).flatMap(([name, expected]) => {
    const label = `S3 object ${name}`;
    const state = facts.after.s3Objects?.[name];
    if (state === undefined) return [result(label, false, 'to be in the environment', 'no such S3 object was prepared')];
    const checks: ExpectationResult[] = [];
    if (expected.exists !== undefined) checks.push(result(`${label} still there`, (state.tags !== undefined) === expected.exists, expected.exists, state.tags !== undefined));
    for (const [key, value] of Object.entries(expected.tags ?? {})) {
      const actual = state.tags?.[key];
      checks.push(result(`${label} tag ${key}`, value === null ? actual === undefined : actual === value, value === null ? 'absent' : value, actual ?? 'absent'));
    }
    if (expected.quarantineCopies !== undefined) {
      checks.push(result(`${label} quarantine copies`, state.quarantineCopies === expected.quarantineCopies, expected.quarantineCopies, state.quarantineCopies));
    }
    return checks;
  });

type PublishedAlert = NonNullable<AccountInspection['alerts'][number]>;

/** The one alert that best fits subject, attributes and body lines together (all must hold for one same alert). */
function alertContentResult(spec: Expected<'alerts'>, alerts: readonly PublishedAlert[]): ExpectationResult | undefined {
  const subjects = spec.subjectContains === undefined ? [] : Array.isArray(spec.subjectContains) ? spec.subjectContains : [spec.subjectContains];
  const attributes = Object.entries(spec.attributes ?? {});
  const lines = spec.lines ?? [];
  if (subjects.length + attributes.length + lines.length === 0) return undefined;
  const fits = (alert: PublishedAlert) => ({
    subject: subjects.filter((text) => !(alert.subject ?? '').includes(text)),
    attributes: attributes.filter(([key, value]) => alert.attributes[key] !== value),
    lines: lines.filter((line) => !alert.message.includes(line)),
  });
  const scored = alerts.map((alert) => ({ alert, misses: fits(alert) }));
  const best = scored.sort(
    (a, b) => a.misses.subject.length + a.misses.attributes.length + a.misses.lines.length - (b.misses.subject.length + b.misses.attributes.length + b.misses.lines.length),
  )[0];
  const expected = [
    ...subjects.map((text) => `subject contains "${text}"`),
    ...attributes.map(([key, value]) => `attribute ${key}=${value}`),
    ...lines.map((line) => `body has "${line}"`),
  ].join('; ');
  if (!best) return result('an alert with', false, expected, '(no alert was published)');
  const misses = best.misses;
  const passed = misses.subject.length + misses.attributes.length + misses.lines.length === 0;
  const actual = passed
    ? `alert "${best.alert.subject ?? ''}"`
    : [
        ...(misses.subject.length > 0 ? [`subject is "${best.alert.subject ?? ''}"`] : []),
        ...misses.attributes.map(([key]) => `attribute ${key}=${best.alert.attributes[key] ?? '(absent)'}`),
        ...misses.lines.map((line) => `body lacks "${line}"`),
      ].join('; ');
  return result('an alert with', passed, expected, actual);
}

const alerts: ExpectationEvaluator<'alerts'> = (spec, facts) => {
  const published = facts.after.alerts.slice(facts.before.alerts.length);
  const results: ExpectationResult[] = [];
  if (spec.count !== undefined) {
    results.push(
      result('alerts published', published.length === spec.count, spec.count, `${published.length}${published.length > 0 ? `: ${published.map((alert) => JSON.stringify(alert.subject ?? '')).join(', ')}` : ''}`),
    );
  }
  const content = alertContentResult(spec, published);
  if (content) results.push(content);
  return results;
};

/** Lists compared in order: the key statuses in creation order, the policies as IAM lists them. */
const sameList = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((value, index) => value === b[index]);

const iamUsers: ExpectationEvaluator<'iamUsers'> = (expectedUsers, facts) =>
  Object.entries(expectedUsers).flatMap(([name, expected]) => {
    const actual = facts.after.iam?.users[name];
    const out: ExpectationResult[] = [];
    if (expected.accessKeys !== undefined) out.push(result(`iam user ${name} access keys`, sameList(actual?.accessKeys, expected.accessKeys), expected.accessKeys, actual?.accessKeys ?? 'no such user'));
    if (expected.attachedPolicies !== undefined) {
      out.push(result(`iam user ${name} attached policies`, sameList(actual?.attachedPolicies, expected.attachedPolicies), expected.attachedPolicies, actual?.attachedPolicies ?? 'no such user'));
    }
    return out;
  });

const iamRoles: ExpectationEvaluator<'iamRoles'> = (expectedRoles, facts) =>
  Object.entries(expectedRoles).flatMap(([name, expected]) => {
    const actual = facts.after.iam?.roles[name];
    const wanted = [...(expected.inlinePolicies ?? [])].sort();
    return [
      ...(expected.inlinePolicies === undefined ? [] : [result(`iam role ${name} inline policies`, sameList(actual?.inlinePolicies, wanted), wanted, actual?.inlinePolicies ?? 'no such role')]),
      ...(expected.sessionCutOffs === undefined ? [] : [sessionCutOffsResult(name, expected.sessionCutOffs, facts)]),
    ];
  });

/**
 * The session denies the run wrote on role `name` (each successful PutRolePolicy of
 * FirebreakRevokeOlderSessions, in call order): `count` of them, each cut-off (the policy's
 * aws:TokenIssueTime) later than the one before, so that a session taken after one cut-off is
 * denied by the next (docs/security.md row 11i).
 */
function sessionCutOffsResult(name: string, count: number, facts: RunFacts): ExpectationResult {
  const cutOffs = facts.calls
    .filter((call) => call.api === 'iam:PutRolePolicy' && call.outcome === 'ok' && call.input.RoleName === name && call.input.PolicyName === REVOKE_SESSIONS_POLICY_NAME)
    // Each document exactly the deny Firebreak writes (quarantine-credentials.ts), or no cut-off.
    .map((call) => (typeof call.input.PolicyDocument === 'string' ? sessionCutOffOf(call.input.PolicyDocument) : undefined));
  const later = cutOffs.every((cutOff, index) => cutOff !== undefined && (index === 0 || Date.parse(cutOff) > Date.parse(cutOffs[index - 1] ?? '')));
  const shown = cutOffs.length === 0 ? 'none' : cutOffs.map((cutOff) => cutOff ?? '(no cut-off)').join(' → ');
  return result(`iam role ${name} session cut-offs`, cutOffs.length === count && later, `${count}, each later than the one before`, `${cutOffs.length}: ${shown}`);
}

/** The injected GuardDuty findings as Security Hub holds them after the run: status, note, number of updates, for each. */
const securityHub: ExpectationEvaluator<'securityHub'> = (spec, facts) => {
  const findings = facts.after.securityHub;
  if (findings === undefined || findings.length === 0) {
    return [result('security hub findings', false, 'the injected findings in Security Hub (environment.securityHub.enabled)', 'none')];
  }
  const contains = spec.noteContains === undefined ? [] : Array.isArray(spec.noteContains) ? spec.noteContains : [spec.noteContains];
  return findings.flatMap((finding) => {
    const label = `security hub finding ${finding.id.split('/').pop() ?? finding.id}`;
    const out: ExpectationResult[] = [];
    if (spec.workflowStatus !== undefined) out.push(result(`${label} workflow status`, finding.workflowStatus === spec.workflowStatus, spec.workflowStatus, finding.workflowStatus));
    for (const text of contains) out.push(result(`${label} note contains`, finding.note?.includes(text) === true, text, finding.note ?? '(no note)'));
    if (spec.noNote === true) out.push(result(`${label} has no note`, finding.note === undefined, '(no note)', finding.note ?? '(no note)'));
    if (spec.updates !== undefined) out.push(result(`${label} updates`, finding.updates === spec.updates, spec.updates, finding.updates));
    return out;
  });
};

const dnsBlocked: ExpectationEvaluator<'dnsBlocked'> = (spec, facts) => {
  const firewall = facts.after.dnsFirewall;
  if (!firewall) return [result("Firebreak's DNS Firewall", false, 'read back', 'not read: this backend could not list Route 53 Resolver DNS Firewall')];
  const want = [...new Set(spec.domains.map((domain) => domain.toLowerCase().replace(/\.$/, '')))].sort();
  const results = [result('domains blocked by DNS Firewall', JSON.stringify(want) === JSON.stringify(firewall.domains), `[${want.join(', ')}]`, `[${firewall.domains.join(', ')}]`)];
  if (spec.vpcsOf !== undefined) {
    const vpcs = [...new Set(spec.vpcsOf.map((name) => facts.environment.instances[name]?.vpcId ?? `(no instance ${name})`))].sort();
    results.push(result('VPCs the DNS Firewall rule group guards', JSON.stringify(vpcs) === JSON.stringify(firewall.vpcIds), `[${vpcs.join(', ')}]`, `[${firewall.vpcIds.join(', ')}]`));
  }
  return results;
};

const quarantineBucket: ExpectationEvaluator<'quarantineBucket'> = (spec, facts) => {
  const bucket = facts.after.quarantineBucket;
  if (!bucket) return [result('quarantine bucket', false, 'a quarantine bucket (settings.quarantineBucket)', 'none: the scenario has no quarantine bucket')];
  const label = `quarantine bucket ${bucket.bucket} (${bucket.account})`;
  const results: ExpectationResult[] = [];
  const keys = (copies: readonly { key: string }[]) => (copies.length === 0 ? 'none' : copies.map((copy) => copy.key).join(', '));
  if (spec.copies !== undefined) results.push(result(`${label}: copies`, bucket.copies.length === spec.copies, spec.copies, `${bucket.copies.length}: ${keys(bucket.copies)}`));
  for (const [name, expected] of Object.entries(spec.copiesOf ?? {})) {
    const object = facts.environment.s3Objects?.[name];
    if (object === undefined) {
      results.push(result(`${label}: copies of S3 object ${name}`, false, 'an S3 object of the environment', 'no such S3 object was prepared'));
      continue;
    }
    const key = `${quarantineBucketDirectory(facts.environment.account)}${object.bucket}/${object.key}`;
    const copies = bucket.copies.filter((copy) => copy.key === key && copy.eTag === object.eTag);
    results.push(result(`${label}: copies of S3 object ${name} at ${key}`, copies.length === expected, expected, copies.length));
  }
  if (spec.taggedInfected !== undefined) {
    const wrong = bucket.copies.filter((copy) => {
      const keysOfCopy = Object.keys(copy.tags).sort();
      const tagged = copy.tags[MALWARE_OBJECT_TAGS.scan.key] === MALWARE_OBJECT_TAGS.scan.value && (copy.tags[MALWARE_OBJECT_TAGS.incident.key] ?? '') !== '';
      return !(tagged && keysOfCopy.length === 2);
    });
    results.push(result(`${label}: every copy tagged infected, and only so`, (wrong.length === 0) === spec.taggedInfected, spec.taggedInfected, wrong.length === 0 ? true : `not: ${wrong.map((copy) => `${copy.key} ${JSON.stringify(copy.tags)}`).join('; ')}`));
  }
  return results;
};

const forensicCopies: ExpectationEvaluator<'forensicCopies'> = (spec, facts) => {
  const forensic = facts.after.forensic;
  if (!forensic) return [result('forensic account', false, 'a forensic account (settings.forensicAccount)', 'none: the scenario has no forensic account')];
  const copies = forensic.copies.filter((copy) => copy.sourceSnapshotId !== undefined);
  const ids = (list: readonly { snapshotId: string }[]) => list.map((copy) => copy.snapshotId).join(', ') || 'none';
  const results: ExpectationResult[] = [];
  if (spec.count !== undefined) results.push(result(`copies in the forensic account ${forensic.accountId}`, copies.length === spec.count, spec.count, `${copies.length}: ${ids(copies)}`));
  if (spec.encryptedWithForensicKey !== undefined) {
    const other = copies.filter((copy) => !copy.encrypted || copy.kmsKeyId !== forensic.kmsKeyArn);
    const holds = copies.length > 0 && other.length === 0;
    results.push(
      result(
        `copies encrypted with the forensic key ${forensic.kmsKeyArn}`,
        holds === spec.encryptedWithForensicKey,
        spec.encryptedWithForensicKey,
        copies.length === 0 ? 'no copy' : other.length === 0 ? 'all' : `not: ${other.map((copy) => `${copy.snapshotId} (${copy.encrypted ? copy.kmsKeyId : 'unencrypted'})`).join(', ')}`,
      ),
    );
  }
  if (spec.completed !== undefined) {
    const pending = copies.filter((copy) => copy.state !== 'completed');
    results.push(result('copies completed', (copies.length > 0 && pending.length === 0) === spec.completed, spec.completed, pending.length === 0 ? `${copies.length} completed` : `not completed: ${pending.map((copy) => `${copy.snapshotId} (${copy.state})`).join(', ')}`));
  }
  if (spec.custodyRecords !== undefined) {
    const owned = new Set(copies.map((copy) => copy.snapshotId));
    const records = forensic.custody.filter((record) => record.sealed && owned.has(record.copySnapshotId));
    results.push(
      result('sealed custody records of the copies (state table)', records.length === spec.custodyRecords, spec.custodyRecords, `${records.length}${records.length > 0 ? `: ${records.map((record) => `${record.sourceSnapshotId} → ${record.copySnapshotId}`).join(', ')}` : ''}`),
    );
  }
  for (const status of CUSTODY_STATUSES) {
    const want = spec.custodyStatus?.[status];
    if (want === undefined) continue;
    const records = forensic.custody.filter((record) => record.status === status);
    results.push(result(`custody records ${status}`, records.length === want, want, `${records.length}${records.length > 0 ? `: ${records.map((record) => `${record.sourceSnapshotId} → ${record.copySnapshotId || 'no copy'}`).join(', ')}` : ''}`));
  }
  if (spec.sharesWithdrawn !== undefined) {
    const records = forensic.custody.filter((record) => record.sealed && record.shareWithdrawn === true);
    results.push(result('custody records of shares withdrawn (a drill refused mid-copy)', records.length === spec.sharesWithdrawn, spec.sharesWithdrawn, `${records.length}${records.length > 0 ? `: ${records.map((record) => record.sourceSnapshotId).join(', ')}` : ''}`));
  }
  if (spec.sourcesShared !== undefined) {
    const shared = forensic.sharedSources;
    results.push(result(`sources still shared with ${forensic.accountId}`, shared.length === spec.sourcesShared, spec.sourcesShared, `${shared.length}${shared.length > 0 ? `: ${shared.join(', ')}` : ''}`));
  }
  if (spec.sourcesKept !== undefined) {
    const sources = new Set(Object.values(facts.after.instances).flatMap((instance) => instance?.volumes.flatMap((volume) => volume.snapshotIds) ?? []));
    const lost = copies.filter((copy) => !sources.has(copy.sourceSnapshotId as string));
    const holds = copies.length > 0 && lost.length === 0;
    results.push(result('sources of the copies kept in the member account', holds === spec.sourcesKept, spec.sourcesKept, copies.length === 0 ? 'no copy' : lost.length === 0 ? `all ${copies.length} kept` : `gone: ${lost.map((copy) => copy.sourceSnapshotId).join(', ')}`));
  }
  return results;
};

const keptEvents: ExpectationEvaluator<'keptEvents'> = (spec, facts) => {
  const kept = facts.after.keptEvents.slice(facts.before.keptEvents.length);
  const results: ExpectationResult[] = [];
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
    const present = kept.some((event) => event.body.includes(text));
    results.push(result(`kept event contains "${text}"`, present, 'present', kept.length === 0 ? '(nothing kept)' : present ? 'present' : 'absent'));
  }
  return results;
};

const unchanged: ExpectationEvaluator<'unchanged'> = (names, facts) =>
  names.map((name) => {
    const changes = resourceIds(name, facts.environment).flatMap((id) => {
      const fields = changedFields(facts.before.resources[id], facts.after.resources[id]);
      return fields.length > 0 ? [`${id}: ${fields.join(', ')}`] : [];
    });
    return result(`${name} unchanged`, changes.length === 0, 'no change', changes.length === 0 ? 'no change' : `changed ${changes.join('; ')}`);
  });

const noMutatingCalls: ExpectationEvaluator<'noMutatingCalls'> = (expected, facts) => {
  const mutating = facts.calls.filter((call) => (call.api.startsWith('ec2:') || call.api.startsWith('iam:')) && isMutatingCall(call));
  const shown = mutating.map((call) => `${call.api}${typeof call.input.NetworkInterfaceId === 'string' ? ` ${call.input.NetworkInterfaceId}` : ''}`);
  return [
    result(
      'no mutating EC2/IAM call',
      expected ? mutating.length === 0 : mutating.length > 0,
      expected ? 'none' : 'at least one',
      mutating.length === 0 ? 'none' : `${mutating.length}: ${[...new Set(shown)].join(', ')}`,
    ),
  ];
};

const accountUnchanged: ExpectationEvaluator<'accountUnchanged'> = (expected, facts) => {
  const { before, after } = facts;
  const same = before.digest === after.digest;
  const changed = same
    ? 'unchanged'
    : `changed: ${Object.keys(after.resources)
        .filter((id) => before.resources[id] !== after.resources[id])
        .concat(Object.keys(before.resources).filter((id) => after.resources[id] === undefined))
        .join(', ') || 'account-level state'}`;
  return [result('account state digest', same === expected, expected ? 'unchanged' : 'changed', changed)];
};

const calls: ExpectationEvaluator<'calls'> = (specs, facts) =>
  specs.map((spec) => {
    const count = facts.calls.filter((call) => matchesAction(spec.api, call.api) && (spec.error === undefined || call.errorCode === spec.error)).length;
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
    return result(name, passed, bounds.length > 0 ? bounds.join(' and ') : 'at least 1', count);
  });

const invocations: ExpectationEvaluator<'invocations'> = (spec, facts) => {
  const invoked = facts.invocations ?? [];
  const statusOf = (invocation: (typeof invoked)[number]) =>
    invocation.error ? `error ${invocation.error.name}` : String((invocation.result as { status?: unknown } | undefined)?.status ?? '(no status)');
  const results: ExpectationResult[] = [];
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
  return results;
};

const refusedAnswers: ExpectationEvaluator<'refusedAnswers'> = (spec, facts) => {
  const refusals = facts.executions.flatMap((execution) => execution.tasks.flatMap((task) => task.refusedAnswers ?? []));
  const results: ExpectationResult[] = [];
  if (spec.count !== undefined) results.push(result('refused approval answers', refusals.length === spec.count, spec.count, refusals.length));
  if (spec.by !== undefined) {
    const by = refusals.map((refusal) => refusal.decision.by);
    results.push(result('refused approval answers by', sameList(by, spec.by), spec.by, by));
  }
  if (spec.statusCodes !== undefined) {
    const codes = refusals.map((refusal) => refusal.response.statusCode);
    results.push(result('refused approval answers status', codes.length === spec.statusCodes.length && codes.every((code, index) => code === spec.statusCodes?.[index]), spec.statusCodes, codes));
  }
  for (const text of spec.contains ?? []) {
    const missing = refusals.filter((refusal) => !refusal.response.message.includes(text)).length;
    results.push(result(`refused approval answers say "${text}"`, refusals.length > 0 && missing === 0, 'in every one', refusals.length === 0 ? '(no refusal)' : missing === 0 ? 'in every one' : `missing in ${missing}`));
  }
  return results;
};

const notDelivered: ExpectationEvaluator<'notDelivered'> = (expected, facts) => {
  const dropped = (facts.routings ?? []).filter((routing) => routing.matched.length === 0).length;
  return [result('injected events no rule delivered', dropped === expected, expected, dropped)];
};

const deliveredBy: ExpectationEvaluator<'deliveredBy'> = (expectedByRule, facts) =>
  Object.entries(expectedByRule).map(([rule, expected]) => {
    const count = (facts.routings ?? []).filter((routing) => routing.matched.includes(rule)).length;
    return result(`events delivered by ${rule}`, count === expected, expected, count);
  });

const containedWithinSeconds: ExpectationEvaluator<'containedWithinSeconds'> = (expected, facts) => {
  const contained = facts.containment;
  return [
    result(
      'time to containment (simulated)',
      contained !== undefined && contained.simMs <= expected * 1000,
      `≤ ${expected} s`,
      contained ? `${(contained.simMs / 1000).toFixed(3)} s` : 'nothing was contained',
    ),
  ];
};

const report: ExpectationEvaluator<'report'> = (expected, facts) => {
  const reports = facts.reports ?? [];
  const results: ExpectationResult[] = [];
  if (expected.count !== undefined) results.push(result('incident reports', reports.length === expected.count, expected.count, reports.length));
  const every = (name: string, holds: (found: IncidentReport) => boolean, want: unknown, got: (found: IncidentReport) => unknown) =>
    results.push(result(name, reports.length > 0 && reports.every(holds), want, reports.length === 0 ? '(no incident record)' : listOrNothing(reports.map(got))));
  const phasesOf = (found: IncidentReport) => found.phases.map((phase) => phase.name);
  for (const phase of expected.phases ?? []) every(`report phase ${phase}`, (found) => phasesOf(found).includes(phase), `present`, (found) => phasesOf(found).join(', ') || '(none)');
  for (const phase of expected.absentPhases ?? []) every(`report phase ${phase} absent`, (found) => !phasesOf(found).includes(phase), 'absent', (found) => phasesOf(found).join(', ') || '(none)');
  if (expected.status !== undefined) every('report status', (found) => found.status === expected.status, expected.status, (found) => found.status);
  for (const [status, count] of Object.entries(expected.statuses ?? {})) {
    const found = reports.filter((one) => one.status === status).length;
    results.push(result(`reports with status ${status}`, found === count, count, `${found}${found > 0 ? ` (${reports.filter((one) => one.status === status).map((one) => one.key).join(', ')})` : ''}`));
  }
  if (expected.listStatus !== undefined) {
    const listed = facts.listed ?? [];
    results.push(
      result(
        'incident list status (firebreak incidents)',
        listed.length > 0 && listed.every((found) => found.status === expected.listStatus),
        expected.listStatus,
        listed.length === 0 ? '(no incident listed)' : listOrNothing(listed.map((found) => found.status)),
      ),
    );
  }
  for (const text of expected.lessonsContain ?? []) every(`report lessons mention "${text}"`, (found) => found.lessons.some((lesson) => lesson.includes(text)), text, (found) => found.lessons.join(' | '));
  for (const text of expected.followUpsContain ?? []) every(`report follow-ups mention "${text}"`, (found) => found.followUps.some((item) => item.includes(text)), text, (found) => found.followUps.join(' | ') || '(none)');
  for (const [name, text] of Object.entries(expected.phaseEndedBy ?? {})) {
    const endedBy = (found: IncidentReport) => found.phases.find((phase) => phase.name === name)?.by;
    every(`report phase ${name} ended by "${text}"`, (found) => endedBy(found)?.includes(text) === true, text, (found) => endedBy(found) ?? '(no such phase)');
  }
  for (const [step, apis] of Object.entries(expected.failedAttemptsDid ?? {})) {
    const done = (found: IncidentReport) =>
      new Set(found.timeline.filter((row) => row.step === step && row.outcome === 'failed').flatMap((row) => row.actions.filter((action) => action.outcome === 'done').map((action) => action.api)));
    for (const api of apis) every(`report: a failed attempt of ${step} recorded ${api} done`, (found) => done(found).has(api), 'recorded', (found) => [...done(found)].join(', ') || '(nothing done)');
  }
  return results;
};

/**
 * One evaluator per expectation key (the type makes a new key of the schema fail to compile until
 * it has one); evaluated in this order, whatever the order of the scenario file.
 */
export const EXPECTATION_EVALUATORS: { readonly [K in keyof ExpectationsDocument]-?: ExpectationEvaluator<K> } = {
  outcome,
  playbook,
  mode,
  executions,
  duplicates,
  clippedDeliveries,
  status,
  steps,
  instances,
  s3Objects,
  iamUsers,
  iamRoles,
  securityHub,
  alerts,
  chat: evaluateChat,
  keptEvents,
  undeliveredEvents,
  unchanged,
  noMutatingCalls,
  accountUnchanged,
  calls,
  invocations,
  refusedAnswers,
  notDelivered,
  quarantineBucket,
  forensicCopies,
  dnsBlocked,
  deliveredBy,
  containedWithinSeconds,
  fleet: evaluateFleet,
  report,
};

/** Evaluates one expectation key, when the scenario sets it. */
function evaluateKey<K extends keyof ExpectationsDocument>(key: K, expect: ExpectationsDocument, facts: RunFacts): ExpectationResult[] {
  const expected = expect[key];
  // TypeScript cannot correlate the key of the table with the key of the document: each entry's type is checked where the table is written.
  const evaluator = EXPECTATION_EVALUATORS[key] as (expected: unknown, facts: RunFacts) => ExpectationResult[];
  return expected === undefined ? [] : evaluator(expected, facts);
}

/** Evaluates every expectation of `scenario`, key by key in the order of EXPECTATION_EVALUATORS. */
/**
 * Always checked: every alert the run's executions sent (publish-alert tasks of the playbooks and
 * the dispatcher) is one Step Functions confirms (publish-alert's `origin`: lib/responders/alert-origin.ts),
 * or a dispatcher alert that claims no action. A genuine alert marked `[UNVERIFIED]` in a drill would
 * be marked in production too, and teach people to ignore the mark; only a scenario's direct
 * invocations (`invoke:`) may be unverified.
 */
export function alertOriginChecks(executions: readonly Pick<ExecutionRecord, 'name' | 'tasks'>[]): ExpectationResult[] {
  const alerts = executions.flatMap((execution) =>
    execution.tasks
      // An approval request's task (.waitForTaskToken) ends with the person's answer, not the function's
      // result; publish-alert refuses such a request outright unless Step Functions confirms it.
      .filter((task) => task.responder === RESPONDER_NAMES.publishAlert && task.result !== undefined && !task.resource.endsWith('.waitForTaskToken'))
      // The lambda:invoke integration's answer wraps the function's result in Payload.
      .map((task) => ({ where: `${execution.name} ${task.state}`, origin: ((task.result as { Payload?: { origin?: unknown } }).Payload ?? (task.result as { origin?: unknown })).origin })),
  );
  if (alerts.length === 0) return [];
  const unverified = alerts.filter((alert) => alert.origin !== 'verified' && alert.origin !== 'dispatcher');
  return [
    result(
      `every alert the executions sent is confirmed by Step Functions (${alerts.length})`,
      unverified.length === 0,
      'verified or a dispatcher alert',
      unverified.length === 0 ? 'verified or a dispatcher alert' : unverified.map((alert) => `${alert.where}: ${show(alert.origin)}`).join('; '),
    ),
  ];
}

export function evaluateExpectations(scenario: Scenario, facts: RunFacts): ExpectationResult[] {
  return (Object.keys(EXPECTATION_EVALUATORS) as (keyof ExpectationsDocument)[]).flatMap((key) => evaluateKey(key, scenario.expect, facts));
}
