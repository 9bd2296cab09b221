/**
 * `firebreak gameday list`, `run` and `schema` (and `inject`, from lib/gameday/live): rehearse the playbooks with the shipped
 * scenarios (playbooks/scenarios/*.yaml), locally against the simulated account by default.
 *
 * Exit codes: 0 every expectation of every scenario holds; 1 an expectation failed (or a scenario
 * could not run, or ran past its --scenario-timeout); 2 bad usage: an unknown scenario, an invalid scenario or playbook file, an
 * unavailable backend.
 */
import { writeFile } from 'node:fs/promises';
import { terminalLine, terminalText } from '../responders/untrusted-text';
import { writeIncidentReport } from './incidents';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { closestName, formatPlaybookError } from '../playbooks/errors';
import { validatePlaybookPaths } from '../playbooks/loader';
import type { Playbook } from '../playbooks/model';
import { PROJECT_ROOT, SHIPPED_PLAYBOOKS_DIR } from '../stack/package-root';
import type { GameDayBackend } from '../gameday/backend';
import { wallClockMs } from '../gameday/backend';
import { checkEndpointReachable, createEndpointBackend } from '../gameday/endpoint-backend';
import { renderJson, renderScenarioRun, renderSummary } from '../gameday/report';
import type { ScenarioRun } from '../gameday/runner';
import { runHolds, runScenario, verdictOf } from '../gameday/runner';
import type { Scenario } from '../gameday/scenario';
import { SCENARIO_SCHEMA_FILE, scenarioJsonSchemaText } from '../gameday/scenario-json-schema';
import { DEFAULT_SCENARIO_TIMEOUT_SECONDS } from '../gameday/scenario-timeout';
import { validateScenarioDirectory } from '../gameday/scenario-loader';
import { registerInjectCommand } from './gameday-inject';
import { defaultTemplateDirectories, listTemplates } from '../gameday/templates';
import type { LatencyModel } from '../gameday/latency/model';
import { DEFAULT_LATENCY_MODEL_FILE, loadLatencyModel } from '../gameday/latency/model';
import type { CommandRegistrar } from './registrar';

export const DEFAULT_SCENARIO_DIR = 'playbooks/scenarios';

/** Where `gameday run` writes each scenario's post-incident reports by default (relative to the working directory). */
export const DEFAULT_REPORT_DIR = 'gameday-reports';

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A diagnostic: one line, nothing in it run by the terminal (lib/cli/terminal.ts says why). */
function err(text: string): void {
  process.stderr.write(`${terminalLine(text)}\n`);
}

interface Loaded {
  readonly playbooks: Playbook[];
  readonly scenarios: Scenario[];
}

interface DirectoryOptions {
  readonly scenarios: string;
  readonly playbooks: string;
}

/** Loads the playbooks and scenarios; prints every problem and returns undefined when any file is invalid. */
async function load(options: DirectoryOptions): Promise<Loaded | undefined> {
  const playbookDir = resolve(options.playbooks);
  const { playbooks, errors } = await validatePlaybookPaths([playbookDir]);
  if (errors.length > 0) {
    for (const error of errors) err(formatPlaybookError(error));
    err('The playbooks are invalid: fix them first (`firebreak validate`).');
    return undefined;
  }
  const templates = [...(await listTemplates(defaultTemplateDirectories())).keys()];
  const { scenarios, problems } = await validateScenarioDirectory(resolve(options.scenarios), { playbooks, templates });
  if (problems.length > 0) {
    for (const problem of problems) err(formatPlaybookError(problem));
    err(`${problems.length} problem(s) in the scenario files.`);
    return undefined;
  }
  return { playbooks, scenarios };
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/\.(\s|$)/);
  return end >= 0 ? flat.slice(0, end + 1) : flat;
}

interface RunOptions extends DirectoryOptions {
  readonly all?: boolean;
  readonly json?: boolean;
  readonly endpointUrl?: string;
  readonly calls?: boolean;
  /** `--latency [model]`: true for the shipped model, or a model file. */
  readonly latency?: boolean | string;
  readonly runs?: string;
  readonly seed?: string;
  /** `--reports <dir>`: where each scenario's post-incident reports go; `--no-reports`: false. */
  readonly reports?: string | false;
  /** `--scenario-timeout <seconds>`: each scenario's wall-time bound. */
  readonly scenarioTimeout?: string;
}

/** The wall-time bound of each scenario, in seconds; throws for a value that is not a number above 0. */
function scenarioTimeoutOption(options: RunOptions): number {
  if (options.scenarioTimeout === undefined) return DEFAULT_SCENARIO_TIMEOUT_SECONDS;
  const seconds = options.scenarioTimeout.trim() === '' ? Number.NaN : Number(options.scenarioTimeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--scenario-timeout takes a number of seconds above 0 (got '${options.scenarioTimeout}')`);
  return seconds;
}

/** The latency option of a run: undefined without --latency; throws for a bad model or run count. */
async function latencyOption(options: RunOptions): Promise<{ model: LatencyModel; runs: number; seed?: string } | undefined> {
  if (options.latency === undefined || options.latency === false) {
    if (options.runs !== undefined || options.seed !== undefined) throw new Error('--runs and --seed time a run with the latency model: add --latency');
    return undefined;
  }
  const runs = options.runs === undefined ? 200 : Number(options.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100_000) throw new Error(`--runs takes a whole number from 1 to 100000 (got '${options.runs ?? ''}')`);
  const model = await loadLatencyModel(options.latency === true ? DEFAULT_LATENCY_MODEL_FILE : resolve(options.latency));
  return { model, runs, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
}

/**
 * Picks the scenarios named on the command line (all when none, or with --all alone); undefined,
 * after a message for each problem, for names beside --all (a misspelt one would go unnoticed in a
 * run of everything) or for any unknown name.
 */
function select(scenarios: readonly Scenario[], names: readonly string[], all: boolean | undefined): Scenario[] | undefined {
  if (all && names.length > 0) {
    err(`firebreak gameday: name scenarios or pass --all, not both (got --all and ${names.join(' ')}); \`npx firebreak gameday run ${names.join(' ')}\` runs only those (npm run gameday passes --all)`);
    return undefined;
  }
  if (names.length === 0) return [...scenarios];
  const chosen: Scenario[] = [];
  let unknown = false;
  for (const name of names) {
    const scenario = scenarios.find((candidate) => candidate.name === name);
    if (!scenario) {
      const suggestion = closestName(name, scenarios.map((candidate) => candidate.name));
      err(`firebreak gameday: no scenario named '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; \`firebreak gameday list\` lists them.`);
      unknown = true;
    } else chosen.push(scenario);
  }
  return unknown ? undefined : chosen;
}

function backendFor(options: RunOptions): (() => GameDayBackend) | undefined {
  if (options.endpointUrl === undefined) return undefined;
  const url = options.endpointUrl;
  // Built per scenario: each scenario's environment is created, checked and cleaned up on its own.
  return () => createEndpointBackend(url);
}

async function run(names: readonly string[], options: RunOptions, setExitCode: (code: number) => void): Promise<void> {
  const loaded = await load(options);
  if (!loaded) return setExitCode(2);
  const chosen = select(loaded.scenarios, names, options.all);
  if (!chosen) return setExitCode(2);
  let makeBackend: (() => GameDayBackend) | undefined;
  let latency: Awaited<ReturnType<typeof latencyOption>>;
  let timeoutSeconds: number;
  try {
    timeoutSeconds = scenarioTimeoutOption(options);
    latency = await latencyOption(options);
    makeBackend = backendFor(options);
    // An endpoint without credentials or not running is a setup problem: said once, exit 2,
    // rather than the same failure in every scenario.
    if (options.endpointUrl !== undefined) await checkEndpointReachable(options.endpointUrl);
  } catch (error) {
    err(`firebreak gameday: ${error instanceof Error ? error.message : String(error)}`);
    return setExitCode(2);
  }
  // The simulated account's SDK clients never reach AWS: the SDK's Node-version notice would only
  // interleave with the report (an endpoint run keeps it).
  if (!makeBackend) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const color = !options.json && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const started = wallClockMs();
  const runs: ScenarioRun[] = [];
  for (const [index, scenario] of chosen.entries()) {
    err(`[${index + 1}/${chosen.length}] ${scenario.name} …`);
    // A scenario that never ends fails at its bound, and the game day goes on to the next one.
    const result = await runScenario(scenario, { playbooks: loaded.playbooks, timeoutSeconds, ...(makeBackend ? { backend: makeBackend() } : {}), ...(latency ? { latency } : {}) });
    runs.push(result);
    err(`[${index + 1}/${chosen.length}] ${scenario.name}: ${verdictOf(result)} (${result.wallMs.toFixed(0)} ms)`);
    // A drill leaves the same artefact as a real incident: firebreak report's Markdown and HTML, per scenario.
    if (options.reports !== false) {
      for (const report of result.reports ?? []) {
        const written = await writeIncidentReport(report, join(resolve(options.reports ?? DEFAULT_REPORT_DIR), scenario.name));
        err(`    report ${report.key}: ${written.markdown} (and .html)`);
      }
    }
    if (!options.json) {
      out(renderScenarioRun(result, { color, calls: options.calls !== false }));
      out();
    }
  }
  const wallMs = wallClockMs() - started;
  // JSON.stringify escapes only U+0000–U+001F: a C1 control or a bidi override of a value would print as it is.
  if (options.json) out(terminalText(renderJson(runs, wallMs)));
  else out(renderSummary(runs, wallMs, { color }));
  setExitCode(runs.every(runHolds) ? 0 : 1);
}

/** Registers `firebreak gameday list|run`. */
export const registerGameDayCommands: CommandRegistrar = (program: Command, setExitCode) => {
  const gameday = program
    .command('gameday')
    .description('Rehearse the playbooks: inject findings into a simulated account (or an AWS-compatible endpoint) and check what Firebreak did.');
  const dirs = (command: Command) =>
    command
      .option('--scenarios <dir>', 'scenario directory', resolve(PROJECT_ROOT, DEFAULT_SCENARIO_DIR))
      .option('--playbooks <dir>', 'playbook directory (the deployment under test)', SHIPPED_PLAYBOOKS_DIR);

  dirs(gameday.command('list').description('List the scenarios, one line each.')).action(async (options: DirectoryOptions) => {
    const loaded = await load(options);
    if (!loaded) return setExitCode(2);
    const width = Math.max(...loaded.scenarios.map((scenario) => scenario.name.length), 8);
    for (const scenario of loaded.scenarios) {
      out(`${scenario.name.padEnd(width)}  ${(scenario.playbook ?? '(none)').padEnd(32)}  ${firstSentence(scenario.description)}`);
    }
    out(`${loaded.scenarios.length} scenario(s) in ${options.scenarios}`);
  });

  // Live game day (lib/gameday/live): `firebreak gameday inject [--watch]`.
  registerInjectCommand(gameday, setExitCode);

  gameday
    .command('schema')
    .description(`Print the JSON Schema of scenario files (--write: regenerate ${DEFAULT_SCENARIO_DIR}/${SCENARIO_SCHEMA_FILE}).`)
    .option('--write', 'write the shipped schema file instead of printing it')
    .action(async (options: { write?: boolean }) => {
      if (!options.write) return out(scenarioJsonSchemaText().trimEnd());
      const file = join(PROJECT_ROOT, DEFAULT_SCENARIO_DIR, SCENARIO_SCHEMA_FILE);
      await writeFile(file, scenarioJsonSchemaText());
      out(`wrote ${file}`);
    });

  dirs(
    gameday
      .command('run')
      .description('Run scenarios (all when none is named): timelines, time to containment, every expectation as PASS or FAIL.')
      .argument('[scenario...]', 'scenario names (see `firebreak gameday list`)')
      .option('--all', 'run every scenario')
      .option('--json', 'print one JSON document instead of text')
      .option('--no-calls', 'do not list the AWS calls of each task')
      .option('--endpoint-url <url>', 'run against an AWS-compatible endpoint (LocalStack, moto, a test account) instead of the simulated account')
      .option('--latency [model]', 'predict the time to containment with a latency model (default: the shipped lib/gameday/latency/model.json): p50/p99 and the critical path')
      .option('--runs <n>', 'seeded runs of the latency prediction (with --latency; default 200)')
      .option('--seed <text>', "seed of the latency prediction (with --latency; default: each scenario's name)")
      .option('--reports <dir>', `where each scenario's post-incident reports are written (<dir>/<scenario>/<incident key>.md and .html; default ${DEFAULT_REPORT_DIR})`)
      .option('--no-reports', 'write no report files')
      .option('--scenario-timeout <seconds>', `wall time each scenario may take; past it the scenario fails and the run goes on to the next (default ${DEFAULT_SCENARIO_TIMEOUT_SECONDS})`),
  ).action(async (names: string[], options: RunOptions) => run(names, options, setExitCode));
};
