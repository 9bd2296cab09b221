/**
 * The game day's side of the incident record: after a scenario ran, read every record its steps
 * wrote (the same `incident#` items a deployment keeps), build the same post-incident report
 * `firebreak report` writes, and check the record against the run itself: every responder task of
 * every playbook execution has its entry (nothing lost, failed attempts included; a function stopped
 * at its timeout writes none, as in Lambda), at the times the
 * engine ran it, and the report's phases agree with its timeline. A scenario may assert more with
 * `expect.report` (phases present, status, lessons and follow-ups).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { RESPONDER_NAMES } from '../contracts/responders';
import { UNCONFIRMED_INTAKE_REVISION_SUFFIX } from '../contracts/incident-record';
import { DISPATCHER_STATES } from '../playbooks/dispatcher';
import type { IncidentReport, PhaseTargets } from '../operator/incident-report';
import { buildIncidentReport, CONTAINING_STEPS, containmentTargetFromOutput, custodyLookups, DEFAULT_PHASE_TARGETS, keyRecordLookups, phaseTargetsFor, reportConsistencyProblems } from '../operator/incident-report';
import { KmsSealCheck, NoSealCheck, readKeyRecords, reportCredentialRecords } from '../operator/key-records';
import { readCustodyRecords } from '../operator/custody-records';
import type { CfnTemplate } from '../stack/app';
import { CONTAINMENT_TARGET_OUTPUT_KEY } from '../contracts/metrics';
import type { IncidentSummary } from '../operator/incidents';
import { DEFAULT_KEY_RECORD_LIMIT, listIncidents, readGatheredIncident } from '../operator/incidents';
import type { MacSigner } from '../responders/credential-records';
import type { ExecutionRecord } from './engine';
import type { ExpectationResult } from './expectations';
import { FUNCTION_TIMEOUT_ERROR } from './function-timeouts';

/**
 * The report's targets of a game day: the synthesized deployment's own containment target (its
 * `ContainmentTargetSeconds` output, the alarm's threshold), as `firebreak report` reads a deployed
 * stack's; the report's defaults for hand-made definitions without a template.
 */
export function scenarioPhaseTargets(template: CfnTemplate | undefined): PhaseTargets {
  if (!template) return DEFAULT_PHASE_TARGETS;
  return phaseTargetsFor(containmentTargetFromOutput(template.Outputs?.[CONTAINMENT_TARGET_OUTPUT_KEY]?.Value));
}

/** The operator's KMS client and the deployment's record key, with which the report checks credential records' seals. */
export interface ScenarioRecordKey {
  readonly kms: KMSClient;
  /** Undefined: the deployment has no record key (no playbook seals records). */
  readonly recordKeyArn?: string;
}

/**
 * Every incident of the table, as reports (a game day's table holds only its own scenario's): a
 * sequence's one report gathers its child incidents, a key found already Inactive is judged by
 * its sealed credential record, and each evidence snapshot's custody record is read, as `firebreak report` does.
 */
export async function readScenarioReports(dynamodb: DynamoDBClient, table: string, targets: PhaseTargets = DEFAULT_PHASE_TARGETS, recordKey?: ScenarioRecordKey): Promise<IncidentReport[]> {
  const { incidents } = await listIncidents(dynamodb, table);
  return reportsOf(dynamodb, table, incidents, targets, recordKey);
}

/** The report of each listed incident (its children gathered under it), sorted by key. */
async function reportsOf(dynamodb: DynamoDBClient, table: string, incidents: readonly Pick<IncidentSummary, 'key'>[], targets: PhaseTargets, recordKey: ScenarioRecordKey | undefined): Promise<IncidentReport[]> {
  const reports: IncidentReport[] = [];
  const seals = scenarioSeals(recordKey);
  for (const incident of incidents) {
    const gathered = await readGatheredIncident(dynamodb, table, incident.key);
    if (!gathered) continue;
    const lookups = keyRecordLookups(gathered.record, gathered.children);
    const keyRecords = lookups.length === 0 ? [] : await readKeyRecords(reportCredentialRecords(dynamodb, table, seals), lookups);
    const custodyRecords = await readCustodyRecords(dynamodb, table, seals, custodyLookups(gathered.record, gathered.children));
    reports.push(buildIncidentReport(gathered.record, targets, { children: gathered.children, refused: gathered.refused, keyRecords, custodyRecords }));
  }
  return reports.sort((a, b) => a.key.localeCompare(b.key));
}

/** What a scenario's incident records say: each incident's report, and the list `firebreak incidents` prints. */
export interface ScenarioRecords {
  readonly reports: IncidentReport[];
  readonly listed: IncidentSummary[];
}

/**
 * The reports and the list of a scenario's table (readScenarioReports and readScenarioList) from
 * one Scan of it: the list names the incidents, and the reports are built for the incidents it
 * names. The two reads found the same incidents (no status filter: the list's verified statuses
 * change no key), and each Scan reads the whole table, which a long game day makes large.
 */
export async function readScenarioRecords(dynamodb: DynamoDBClient, table: string, targets: PhaseTargets = DEFAULT_PHASE_TARGETS, recordKey?: ScenarioRecordKey): Promise<ScenarioRecords> {
  const listed = await readScenarioList(dynamodb, table, recordKey);
  return { reports: await reportsOf(dynamodb, table, listed, targets, recordKey), listed };
}

/** The operator's seal check of the run: under the deployment's record key, as the CLI checks under the stack's RecordKeyArn. */
function scenarioSeals(recordKey: ScenarioRecordKey | undefined): MacSigner {
  return recordKey?.recordKeyArn !== undefined ? new KmsSealCheck(recordKey.kms, recordKey.recordKeyArn) : new NoSealCheck('no record key is known to check its seal with (the deployment has none)');
}

/**
 * The incidents `firebreak incidents` lists for the table, read as an operator would: its
 * credential records verified as the CLI verifies them by default, so that each can be held
 * against its report (listChecks).
 */
export async function readScenarioList(dynamodb: DynamoDBClient, table: string, recordKey?: ScenarioRecordKey): Promise<IncidentSummary[]> {
  const { incidents } = await listIncidents(dynamodb, table, {}, { keyRecords: { store: reportCredentialRecords(dynamodb, table, scenarioSeals(recordKey)), limit: DEFAULT_KEY_RECORD_LIMIT } });
  return incidents;
}

/**
 * The list against the reports: each incident, and each child incident of a sequence, has the
 * status in `firebreak incidents` that its report gives it. The two read the same records and
 * judge them with the same functions, so a difference is a bug in one of them.
 */
export function listChecks(reports: readonly IncidentReport[], listed: readonly IncidentSummary[]): ExpectationResult[] {
  const byKey = new Map(listed.map((incident) => [incident.key, incident]));
  return reports.map((report) => {
    const incident = byKey.get(report.key);
    const want = [report.status, ...(report.children ?? []).map((child) => `${child.key} ${child.status}`)].join(', ');
    const got = incident === undefined ? '(not listed)' : [incident.status, ...(report.children ?? []).map((child) => `${child.key} ${incident.children?.find((found) => found.key === child.key)?.status ?? '(not listed)'}`)].join(', ');
    return result(`incident list ${report.key}: the status its report gives`, want === got, want, got);
  });
}

function incidentKeyOfInput(input: unknown): string | undefined {
  const incident = input !== null && typeof input === 'object' ? (input as { incident?: { key?: unknown } }).incident : undefined;
  return typeof incident?.key === 'string' ? incident.key : undefined;
}

/**
 * Triage's entry against the run: every dispatcher execution whose RecordTriage (or RecordDuplicateTriage) write succeeded left
 * triage's entry for its revision in the incident's record; one whose write failed still dispatched
 * (the playbook started or the alert went out) and succeeded: the write never stops dispatch.
 */
function triageChecks(byKey: ReadonlyMap<string, IncidentReport>, executions: readonly ExecutionRecord[]): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  for (const execution of executions) {
    if (execution.kind !== 'dispatcher') continue;
    // A delivery whose execution existed already writes too (RecordDuplicateTriage, row 17c).
    const writes = execution.tasks.filter((task) => task.state === DISPATCHER_STATES.recordTriage || task.state === DISPATCHER_STATES.recordDuplicateTriage);
    const last = writes.at(-1);
    if (!last) continue;
    const triageTask = [...execution.tasks].reverse().find((task) => task.responder === RESPONDER_NAMES.triage && task.error === undefined);
    const decision = (triageTask?.result as { Payload?: { incident?: { key?: unknown }; record?: { revision?: unknown } } } | undefined)?.Payload;
    const key = typeof decision?.incident?.key === 'string' ? decision.incident.key : '?';
    const revision = typeof decision?.record?.revision === 'string' ? decision.record.revision : '?';
    // An unconfirmed intake copy's revision is marked in the triaged set; its entry names the bare execution name.
    const entryName = revision.endsWith(UNCONFIRMED_INTAKE_REVISION_SUFFIX) ? revision.slice(0, -UNCONFIRMED_INTAKE_REVISION_SUFFIX.length) : revision;
    const written = last.error === undefined || last.error.name === 'DynamoDB.ConditionalCheckFailedException';
    if (written) {
      const entries = (byKey.get(key)?.timeline ?? []).filter((row) => row.step === RESPONDER_NAMES.triage && row.executionName === entryName);
      results.push(result(`incident record ${key}: triage's entry of ${revision}`, entries.length === 1, 'recorded once', entries.length === 1 ? 'recorded once' : `recorded ${entries.length} time(s)`));
    } else {
      const dispatched = execution.status === 'SUCCEEDED' && (execution.path.includes(DISPATCHER_STATES.triageNotRecorded) || last.state === DISPATCHER_STATES.recordDuplicateTriage);
      results.push(
        result(
          `dispatcher ${execution.name}: triage's entry not written (${last.error?.name ?? 'error'}), dispatch went on`,
          dispatched,
          'the execution succeeded past the failed write',
          `${execution.status}, last state ${execution.path.at(-1) ?? '?'}`,
        ),
      );
    }
  }
  return results;
}

function result(name: string, passed: boolean, expected: string, actual: string): ExpectationResult {
  return { name, passed, expected, actual };
}

/**
 * The record against the run: for each playbook execution, each Lambda task but triage appears in
 * its incident's record (same step, started and ended within the task's simulated times, failed
 * when the task threw); and each report's own arithmetic holds.
 */
export function recordChecks(
  reports: readonly IncidentReport[],
  executions: readonly ExecutionRecord[],
  run?: { readonly containment?: { readonly simMs: number }; readonly injectionSim: Date },
): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  // A child incident's steps are in its parent's gathered report.
  const byKey = new Map(reports.flatMap((report) => [[report.key, report] as const, ...(report.children ?? []).map((child) => [child.key, report] as const)]));
  results.push(...triageChecks(byKey, executions));
  for (const execution of executions) {
    if (execution.kind !== 'playbook') continue;
    const key = incidentKeyOfInput(execution.input);
    if (key === undefined) continue;
    // A function stopped at its timeout (functionTimeouts) never returned to write its entry, as in
    // Lambda: the failure alert the playbook's Catch sends is recorded instead (its own task, below).
    const tasks = execution.tasks.filter(
      (task) =>
        task.responder !== undefined &&
        task.responder !== RESPONDER_NAMES.triage &&
        task.responder !== RESPONDER_NAMES.approval &&
        task.error?.name !== FUNCTION_TIMEOUT_ERROR,
    );
    if (tasks.length === 0) continue;
    const report = byKey.get(key);
    const name = `incident record ${key} (${execution.playbook ?? execution.name})`;
    if (!report) {
      results.push(result(`${name} exists`, false, `${tasks.length} step(s) recorded`, 'no record'));
      continue;
    }
    const unmatched = [...report.timeline];
    const missing: string[] = [];
    for (const task of tasks) {
      const start = task.startSim.getTime();
      const end = (task.endSim ?? task.startSim).getTime();
      const waits = task.resource.endsWith('.waitForTaskToken');
      const index = unmatched.findIndex(
        (row) =>
          row.step === task.responder &&
          (row.executionArn === undefined || row.executionArn === execution.executionArn) &&
          Date.parse(row.startedAt) >= start &&
          Date.parse(row.endedAt) <= end &&
          // A waiting task's error is the person's answer (rejected, timed out), not its function's:
          // the function returned (the request was sent), and that is what its entry says.
          (waits || (row.outcome === 'failed') === (task.error !== undefined)),
      );
      if (index < 0) missing.push(`${task.state} (${task.responder}, attempt ${task.attempt}${task.error ? `, ${task.error.name}` : ''})`);
      else unmatched.splice(index, 1);
    }
    results.push(result(`${name} has every step of the run, at its times`, missing.length === 0, `${tasks.length} step(s)`, missing.length === 0 ? `${tasks.length} step(s)` : `missing: ${missing.join(', ')}`));
  }
  // The run's own measure (injection → the last containing call, from the call log) falls within a
  // containing step the report recorded, at or after the one that opened its containment phase: the
  // two clocks agree. A phase whose change left no time (only a sealed record says it was made)
  // claims only that it ended by then: the run's containment must come at or before it. A phase held
  // by a claim (another incident's change, found and claimed) made no call of the run: not compared.
  const contained = reports.filter((report) => report.phases.some((phase) => phase.name === 'containment' && phase.heldByClaim !== true));
  if (run?.containment && contained.length === 1) {
    const report = contained[0] as IncidentReport;
    const phase = report.phases.find((found) => found.name === 'containment');
    const containedAt = run.injectionSim.getTime() + run.containment.simMs;
    const steps = report.timeline.filter((row) => CONTAINING_STEPS.has(row.step) && phase !== undefined && Date.parse(row.endedAt) >= Date.parse(phase.at));
    if (phase?.timeNotRecorded === true) {
      results.push(
        result(
          `incident report ${report.key}: containment matches the run`,
          containedAt <= Date.parse(phase.at),
          `last containing call at ${new Date(containedAt).toISOString()}, at or before the phase's latest end (its time not recorded)`,
          `phase ended by ${phase.at} at the latest`,
        ),
      );
    } else {
      const holds = steps.some((row) => Date.parse(row.startedAt) <= containedAt && containedAt <= Date.parse(row.endedAt));
      results.push(
        result(
          `incident report ${report.key}: containment matches the run`,
          holds,
          `last containing call at ${new Date(containedAt).toISOString()}, within a recorded containing step`,
          steps.length > 0 ? steps.map((row) => `${row.step} ${row.startedAt} → ${row.endedAt}`).join('; ') : 'no containing step ends the containment phase',
        ),
      );
    }
  }
  for (const report of reports) {
    const problems = reportConsistencyProblems(report);
    results.push(result(`incident report ${report.key}: phases agree with the timeline`, problems.length === 0, 'consistent', problems.length === 0 ? 'consistent' : problems.join('; ')));
  }
  return results;
}
