/**
 * How a game day reads: per scenario, the timeline (simulated and wall time since injection, state,
 * action, resource, result, AWS calls), the time to containment, then every expectation as PASS or
 * FAIL with expected versus actual. `--json` gives the same content as one document.
 * The text quotes what the run read: from the scenario's own resources in the simulated account, or
 * from an AWS-compatible endpoint or a test account (`--endpoint-url`): an S3 key, a tag, a refusal's
 * reason, an AWS error text. lib/cli/gameday.ts prints it as it is (its own colours are escape
 * sequences), so each such value goes through `terminalLine` here: an escape sequence in it runs
 * nothing in the terminal and a line feed prints no row, expectation or verdict of its own
 * (docs/security.md rows 1zb, 1ze).
 */
import { terminalLine } from '../responders/untrusted-text';
import type { GameDayCall } from './backend';
import type { ScenarioRun } from './runner';
import { verdictOf } from './runner';
import type { TimelineRow } from './timeline';
import { describeContained } from './timeline';
import type { LatencyPrediction } from './latency/predict';
import { unimplementedCalls } from './endpoint-coverage';

export interface RenderOptions {
  /** ANSI colours for PASS/FAIL (only on a terminal). */
  readonly color?: boolean;
  /** Show every AWS call a task made, not only the compressed list (default true). */
  readonly calls?: boolean;
}

const ANSI = { green: '\u001b[32m', red: '\u001b[31m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' } as const;

function paint(text: string, colour: keyof typeof ANSI, enabled: boolean | undefined): string {
  return enabled ? `${ANSI[colour]}${text}${ANSI.reset}` : text;
}

function pad(text: string, width: number): string {
  const cut = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return cut.padEnd(width);
}

/** `+1.250s`: simulated seconds since injection. */
export function formatSim(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}

/** `12.3ms`: wall milliseconds since injection. */
export function formatWall(ms: number): string {
  return `${ms.toFixed(1)}ms`;
}

function timelineLine(quoted: TimelineRow, options: RenderOptions): string[] {
  // Every text of the row, each one line (the module comment says why).
  const row = { ...quoted, execution: terminalLine(quoted.execution), state: terminalLine(quoted.state), action: terminalLine(quoted.action), resource: terminalLine(quoted.resource), result: terminalLine(quoted.result), detail: quoted.detail && terminalLine(quoted.detail), calls: quoted.calls && terminalLine(quoted.calls) };
  const times = `${formatSim(row.simMs).padStart(9)} ${formatWall(row.wallMs).padStart(9)}`;
  if (row.kind === 'action' || row.kind === 'call') {
    const marker = row.kind === 'call' ? '✗' : '↳';
    const what = `${marker} ${row.action}${row.resource ? ` ${row.resource}` : ''}: ${row.result}`;
    return [`${times}  ${' '.repeat(20)} ${' '.repeat(26)}   ${what}${row.detail ? paint(` — ${row.detail}`, 'dim', options.color) : ''}`];
  }
  const head = `${times}  ${pad(row.execution, 20)} ${pad(row.state || '·', 26)} ${row.action}${row.resource ? ` ${row.resource}` : ''} → ${row.result}`;
  const lines = [head];
  if (row.kind === 'task') {
    const calls = row.callCount ?? 0;
    if (calls > 0 && options.calls !== false) lines.push(`${' '.repeat(70)}AWS calls (${calls}): ${row.calls ?? ''}`);
    if (row.detail) lines.push(`${' '.repeat(70)}${paint(row.detail, 'dim', options.color)}`);
  } else if (row.detail) {
    lines.push(`${' '.repeat(70)}${paint(row.detail, 'dim', options.color)}`);
  }
  return lines;
}

function callSummary(calls: readonly GameDayCall[]): string {
  if (calls.length === 0) return 'AWS calls: none';
  const byService = new Map<string, number>();
  for (const call of calls) {
    const service = call.api.split(':')[0] ?? '?';
    byService.set(service, (byService.get(service) ?? 0) + 1);
  }
  const errors = calls.filter((call) => call.outcome === 'error' && call.errorCode !== 'DryRunOperation');
  const injected = errors.filter((call) => call.injected).length;
  const dryRuns = calls.filter((call) => call.dryRun).length;
  return (
    `AWS calls: ${calls.length} (${[...byService].map(([service, count]) => `${service} ${count}`).join(', ')})` +
    (dryRuns > 0 ? `, ${dryRuns} DryRun` : '') +
    (errors.length > 0 ? `, ${errors.length} answered with an error${injected > 0 ? ` (${injected} injected)` : ''}` : '')
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** The latency model's prediction: p50/p99 and the median run's critical path, hop by hop. */
export function renderLatency(prediction: LatencyPrediction, options: RenderOptions = {}): string[] {
  const { containment, completion, runs } = prediction;
  const lines = [
    containment
      ? `   predicted time to containment (latency model, ${runs} seeded runs): p50 ${seconds(containment.p50Ms)}, p99 ${seconds(containment.p99Ms)}`
      : `   predicted time to containment (latency model, ${runs} seeded runs): nothing was contained`,
    `   predicted time to the last execution's end: p50 ${seconds(completion.p50Ms)}, p99 ${seconds(completion.p99Ms)}`,
    `   critical path of the median run (${containment ? 'to the last containing call' : "to the last execution's end"}):`,
  ];
  for (const hop of prediction.criticalPath) {
    const duration = hop.endMs - hop.startMs;
    lines.push(`     ${formatSim(hop.startMs).padStart(10)} ${`+${duration.toFixed(0)}ms`.padStart(9)}  ${pad(hop.kind, 11)} ${terminalLine(hop.label)}${hop.execution ? paint(` (${terminalLine(hop.execution)})`, 'dim', options.color) : ''}`);
  }
  return lines;
}

/** The text report of one scenario run. */
export function renderScenarioRun(run: ScenarioRun, options: RenderOptions = {}): string {
  const { scenario } = run;
  const lines: string[] = [];
  const name = terminalLine(scenario.name);
  lines.push(paint(`━━ ${name} ━━ playbook under test: ${terminalLine(scenario.playbook ?? 'none')} (${terminalLine(run.backend)})`, 'bold', options.color));
  // The description's own lines stay lines; nothing in one runs in the terminal.
  lines.push(...scenario.description.trim().split('\n').map((line) => `   ${terminalLine(line)}`));
  lines.push('');
  if (run.timeline.length > 0) {
    lines.push(`   ${'sim'.padStart(9)} ${'wall'.padStart(9)}  ${pad('execution', 20)} ${pad('state', 26)} action resource → result`);
    for (const row of run.timeline) lines.push(...timelineLine(row, options).map((line) => ` ${line}`));
    lines.push('');
  }
  // An answer the approval function refused (not an approver, a principal the incident names) changed nothing: say so.
  const refusals = new Map(run.executions.flatMap((execution) => execution.tasks.flatMap((task) => (task.refusedAnswers ?? []).map((refused) => [`${execution.executionArn} ${refused.decision.by}`, refused.response.statusCode] as const))));
  for (const approval of run.approvals) {
    const decision = approval.decision;
    const after = decision.answer !== 'timeout' && decision.afterSeconds !== undefined ? ` after ${decision.afterSeconds} s` : '';
    const refused = decision.answer === 'timeout' ? undefined : refusals.get(`${approval.request.executionArn} ${decision.by}`);
    const answered =
      decision.answer === 'timeout'
        ? 'nobody answered (timed out)'
        : refused !== undefined
          ? `${decision.by} answered ${decision.answer}${after}: refused by the approval function (${refused}), nothing recorded or sent`
          : `${decision.answer === 'approve' ? 'approved' : 'rejected'} by ${decision.by}${after}`;
    lines.push(terminalLine(`   approval ${approval.request.state}: ${answered}`));
  }
  if (run.containment) {
    const wall = run.containment.wallMs !== undefined ? `, ${formatWall(run.containment.wallMs)} wall` : '';
    lines.push(`   time to containment: ${(run.containment.simMs / 1000).toFixed(3)} s simulated${wall} (injection → the last containing call; ${describeContained(run.containment.contained)})`);
  } else {
    lines.push('   time to containment: nothing was contained');
  }
  if (run.latency) lines.push(...renderLatency(run.latency, options));
  lines.push(`   ${callSummary(run.calls)}`);
  const unimplemented = unimplementedCalls(run.calls);
  if (unimplemented.length > 0) {
    lines.push(
      paint(
        terminalLine(`   NOT IMPLEMENTED by ${run.backend}: ${unimplemented.map((c) => `${c.api} (${c.attempts} attempt${c.attempts === 1 ? '' : 's'})`).join(', ')}; what depends on these calls cannot hold there, whatever Firebreak does (the local game day rehearses them)`),
        'bold',
        options.color,
      ),
    );
  }
  const dropped = run.routings.filter((routing) => routing.matched.length === 0).length;
  if (run.routings.length > 0) {
    lines.push(`   EventBridge: ${run.routings.length - dropped} of ${run.routings.length} injected event(s) delivered by the deployed rules${dropped > 0 ? `, ${dropped} not delivered (no rule matched)` : ''}`);
  }
  for (const finding of run.findings) lines.push(paint(terminalLine(`   ${finding.kind}: ${finding.message}`), 'bold', options.color));
  if (run.error) lines.push(paint(terminalLine(`   the scenario could not run: ${run.error}`), 'red', options.color));
  lines.push('   expectations:');
  for (const expectation of run.expectations) {
    const mark = expectation.passed ? paint('PASS', 'green', options.color) : paint('FAIL', 'red', options.color);
    const said = terminalLine(expectation.passed ? `${expectation.name}: ${expectation.actual}` : `${expectation.name}: expected ${expectation.expected}, actual ${expectation.actual}`);
    lines.push(`   ${mark} ${said}`);
  }
  const failed = run.expectations.filter((expectation) => !expectation.passed).length;
  const word = verdictOf(run);
  const verdict = paint(word, word === 'FAIL' ? 'red' : word === 'PASS' ? 'green' : 'bold', options.color);
  lines.push(
    `${verdict} ${name}: ${run.expectations.length - failed}/${run.expectations.length} expectations hold (${run.wallMs.toFixed(0)} ms wall, ${(run.simMs / 1000).toFixed(3)} s simulated)`,
  );
  if (word === 'PENDING') lines.push(terminalLine(`   pending, so it does not fail the game day: ${scenario.pending ?? ''}`));
  if (word === 'NOW PASSES') lines.push(terminalLine(`   this pending scenario now passes: remove its 'pending:' line (${scenario.pending ?? ''})`));
  return lines.join('\n');
}

/** The closing summary of a game day. */
export function renderSummary(runs: readonly ScenarioRun[], wallMs: number, options: RenderOptions = {}): string {
  const failed = runs.filter((run) => verdictOf(run) === 'FAIL');
  const pending = runs.filter((run) => verdictOf(run) === 'PENDING' || verdictOf(run) === 'NOW PASSES');
  const passed = runs.length - failed.length - pending.length;
  const expectations = runs.reduce((total, run) => total + run.expectations.length, 0);
  const failedExpectations = runs.reduce((total, run) => total + run.expectations.filter((expectation) => !expectation.passed).length, 0);
  const lines = [
    `Game day: ${passed} of ${runs.length} scenario(s) passed${pending.length > 0 ? `, ${pending.length} pending` : ''}, ${expectations - failedExpectations} of ${expectations} expectations hold, in ${(wallMs / 1000).toFixed(2)} s wall.`,
  ];
  for (const run of failed) lines.push(paint(terminalLine(`  FAIL ${run.scenario.name} (${run.scenario.file})`), 'red', options.color));
  for (const run of pending) lines.push(terminalLine(`  ${verdictOf(run)} ${run.scenario.name}: ${run.scenario.pending ?? ''}`));
  lines.push(`${passed} passed, ${failed.length} failed${pending.length > 0 ? `, ${pending.length} skipped` : ''}`);
  return lines.join('\n');
}

function jsonRun(run: ScenarioRun): Record<string, unknown> {
  const byService: Record<string, number> = {};
  for (const call of run.calls) {
    const service = call.api.split(':')[0] ?? '?';
    byService[service] = (byService[service] ?? 0) + 1;
  }
  return {
    name: run.scenario.name,
    file: run.scenario.file,
    description: run.scenario.description.trim(),
    playbook: run.scenario.playbook,
    backend: run.backend,
    passed: run.passed,
    verdict: verdictOf(run),
    ...(run.scenario.pending !== undefined ? { pending: run.scenario.pending } : {}),
    ...(run.error ? { error: run.error } : {}),
    wallMs: Number(run.wallMs.toFixed(1)),
    simMs: run.simMs,
    containment: run.containment ?? null,
    ...(unimplementedCalls(run.calls).length > 0 ? { notImplementedByEndpoint: unimplementedCalls(run.calls) } : {}),
    ...(run.latency
      ? {
          latency: {
            runs: run.latency.runs,
            seed: run.latency.seed,
            containment: run.latency.containment ?? null,
            completion: run.latency.completion,
            criticalPath: run.latency.criticalPath.map((hop) => ({
              kind: hop.kind,
              label: hop.label,
              execution: hop.execution ?? null,
              startMs: Number(hop.startMs.toFixed(1)),
              durationMs: Number((hop.endMs - hop.startMs).toFixed(1)),
            })),
          },
        }
      : {}),
    deliveries: run.deliveries.map((delivery) => ({
      index: delivery.index,
      injection: delivery.injection,
      outcome: delivery.decision?.outcome ?? null,
      playbook: delivery.decision?.playbook ?? null,
      mode: delivery.decision?.mode ?? null,
      executionName: delivery.decision?.executionName ?? null,
      duplicate: delivery.duplicate,
      dispatcherStatus: delivery.dispatcher.status,
      rule: delivery.rule ?? null,
    })),
    routings: run.routings.map((routing) => ({ injection: routing.injection, bus: routing.bus, matched: routing.matched, refused: routing.refused })),
    findings: run.findings,
    executions: run.executions.map((execution) => ({
      playbook: execution.playbook ?? null,
      name: execution.name,
      executionArn: execution.executionArn,
      status: execution.status,
      ...(execution.error ? { error: execution.error } : {}),
      path: execution.path,
    })),
    approvals: run.approvals.map((approval) => ({ state: approval.request.state, execution: approval.request.executionName, decision: approval.decision })),
    calls: {
      total: run.calls.length,
      byService,
      errors: run.calls
        .filter((call) => call.outcome === 'error')
        .map((call) => ({ seq: call.seq, api: call.api, errorCode: call.errorCode ?? null, attempt: call.attempt, injected: call.injected, dryRun: call.dryRun })),
    },
    timeline: run.timeline,
    expectations: run.expectations,
  };
}

/** One JSON document for the whole game day (what `--json` prints). */
export function renderJson(runs: readonly ScenarioRun[], wallMs: number): string {
  const failed = runs.filter((run) => verdictOf(run) === 'FAIL').length;
  const pending = runs.filter((run) => run.scenario.pending !== undefined).length;
  const expectations = runs.flatMap((run) => run.expectations);
  return JSON.stringify(
    {
      passed: failed === 0,
      summary: {
        scenarios: runs.length,
        passed: runs.length - failed - pending,
        failed,
        pending,
        expectations: expectations.length,
        failedExpectations: expectations.filter((expectation) => !expectation.passed).length,
        wallMs: Number(wallMs.toFixed(1)),
      },
      scenarios: runs.map(jsonRun),
    },
    null,
    2,
  );
}
