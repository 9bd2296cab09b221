/**
 * `firebreak validate`, `firebreak simulate` and `firebreak schema`: check playbook files, show
 * what Firebreak would do with one event, and regenerate the editors' JSON Schema. None of them
 * calls an AWS API: simulation is triage over the local playbooks with placeholder ARNs.
 *
 * With no playbooks named, they read the Firebreak checkout's `playbooks/`, wherever they are run
 * from: the folder the game day rehearses and the CDK app deploys by default.
 *
 * Exit codes: 0 all good; 1 invalid playbooks; 2 an unreadable or invalid event (or bad usage).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Incident } from '../incident/model';
import { EventParseError, parseEventJson } from '../incident/parse';
import type { PlaybookError } from '../playbooks/errors';
import { formatPlaybookError } from '../playbooks/errors';
import { playbookJsonSchemaText, PLAYBOOK_SCHEMA_FILE } from '../playbooks/json-schema';
import { validatePlaybookPaths } from '../playbooks/loader';
import { securityHubWorkflowStatuses } from '../playbooks/rails';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { Playbook, Step } from '../playbooks/model';
import { routingEnvironment, routingTableFor, routingTableFromEnvironment } from '../playbooks/routing';
import type { TriageDecision, TriageDeployment } from '../playbooks/triage';
import { triage } from '../playbooks/triage';
import { SECURITY_ENV, servedAccountsFromEnvironment } from '../contracts/security';
import { SHIPPED_PLAYBOOKS_DIR } from '../stack/package-root';
import { terminalLine, terminalText } from '../responders/untrusted-text';
import type { CommandRegistrar } from './registrar';

/**
 * A path as the user can read it: relative to the working directory when it is inside it
 * (`playbooks/x.yaml` from the checkout's root), absolute otherwise (never `../../playbooks`).
 */
function shownPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere !== '' && !fromHere.startsWith('..') && !isAbsolute(fromHere) ? fromHere : resolve(path);
}

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function err(text: string): void {
  process.stderr.write(`${text}\n`);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `[quarantine-instance | snapshot-volumes] -> notify`: the shape of a playbook on one line. */
export function stepsOnOneLine(steps: readonly Step[]): string {
  const one = (step: Step): string => (step.kind === 'action' ? step.action : `[${step.branches.map(one).join(' | ')}]`);
  return steps.map(one).join(' -> ');
}

function summaryLine(playbook: Playbook): string {
  return `ok  ${playbook.file}: ${playbook.name} (priority ${playbook.priority}, ${playbook.mode}, ${playbook.match.sources.join('+')}): ${stepsOnOneLine(playbook.steps)}`;
}

function reportPlaybookErrors(errors: readonly PlaybookError[], fileCount: number): void {
  for (const error of errors) err(formatPlaybookError(error));
  const files = new Set(errors.map((error) => error.file)).size;
  err(`${plural(errors.length, 'error')} in ${files} of ${plural(Math.max(fileCount, files), 'file')}.`);
}

// ---------------------------------------------------------------------------------------------
// validate

/**
 * What the member role must allow that it takes from the playbooks' options, not only from their
 * actions: the Security Hub write-back's workflow statuses (row 13d). A member role synthesized from
 * playbooks without a RESOLVED step denies RESOLVED, and "Changing playbooks" ends in deploying the
 * Firebreak stack: said here, the step before that deploy, rather than at the first release in a
 * member account (the write-back step fails, AccessDeniedException). The stack id is lib/stack/app.ts's
 * MEMBER_ROLE_STACK_ID, written out so that validate does not load the CDK (its test compares them).
 */
function memberRoleNote(playbooks: readonly Playbook[]): string | undefined {
  const statuses = securityHubWorkflowStatuses(playbooks);
  if (statuses.length === 0) return undefined;
  return (
    `Member accounts: ${RESPONDER_NAMES.updateSecurityHubFinding} sets Workflow.Status ${statuses.join(', ')}; the member role allows only the statuses of the playbooks it was synthesized from: ` +
    `when this list grew, deploy FirebreakMemberRole (or its StackSet) in every member account before the Firebreak stack (docs/deploy.md, "Upgrading: member roles first").`
  );
}

async function validate(paths: readonly string[], setExitCode: (code: number) => void): Promise<void> {
  if (paths.length === 0) out(`Playbooks in ${SHIPPED_PLAYBOOKS_DIR} (the Firebreak checkout's; name files or directories to check others):`);
  const targets = paths.length > 0 ? paths : [shownPath(SHIPPED_PLAYBOOKS_DIR)];
  const { playbooks, errors, warnings } = await validatePlaybookPaths(targets);
  const failed = new Set(errors.map((error) => error.file));
  for (const playbook of playbooks) if (!failed.has(playbook.file)) out(summaryLine(playbook));
  // Warnings never fail validation: they say what `npm test` would hold against a shipped playbook.
  for (const warning of warnings) err(formatPlaybookError({ ...warning, message: `warning: ${warning.message}` }));
  if (errors.length > 0) {
    reportPlaybookErrors(errors, playbooks.length + [...failed].filter((file) => !playbooks.some((p) => p.file === file)).length);
    setExitCode(1);
    return;
  }
  out(`${plural(playbooks.length, 'playbook')} valid.`);
  const memberNote = memberRoleNote(playbooks);
  if (memberNote !== undefined) out(memberNote);
  if (warnings.length > 0) err(`${plural(warnings.length, 'warning')} (docs/playbooks.md, "Writing a new playbook"); the playbooks are valid.`);
}

// ---------------------------------------------------------------------------------------------
// simulate

interface SimulateOptions {
  readonly event: string;
  readonly json?: boolean;
  /** Default: the checkout's playbooks. */
  readonly playbooks?: string;
  /** The deployment's accounts: with them, the served-account gate the deployed triage applies. */
  readonly securityAccount?: string;
  readonly servedAccounts?: string;
  readonly organization?: string;
  readonly memberRole?: string;
  readonly forensicAccount?: string;
}

/**
 * Each served-account flag: the deployment setting it stands for (cdk.json context,
 * docs/deploy.md) and the variable the stack gives the deployed triage that setting in.
 */
const SERVED_ACCOUNT_FLAGS = [
  { option: 'securityAccount', flag: '--security-account', setting: 'securityAccountId', variable: SECURITY_ENV.securityAccountId },
  { option: 'servedAccounts', flag: '--served-accounts', setting: 'servedAccountIds', variable: SECURITY_ENV.servedAccountIds },
  { option: 'organization', flag: '--organization', setting: 'organizationId', variable: SECURITY_ENV.organizationId },
  { option: 'memberRole', flag: '--member-role', setting: 'memberRoleName', variable: SECURITY_ENV.memberRoleName },
  { option: 'forensicAccount', flag: '--forensic-account', setting: 'forensicAccountId', variable: SECURITY_ENV.forensicAccountId },
] as const;

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The served accounts of the deployment the flags describe: checked as `cdk synth` checks those
 * settings (readFirebreakConfig: formats, and which settings need which), then read by the deployed
 * triage's own parser (servedAccountsFromEnvironment) from the variables the stack sets, so that
 * simulate refuses exactly what triage refuses. Undefined without the flags (no gate); a string
 * naming the flag for values a deployment would not take.
 */
async function servedAccountsOf(options: SimulateOptions): Promise<TriageDeployment['servedAccounts'] | string> {
  const given = SERVED_ACCOUNT_FLAGS.filter(({ option }) => options[option] !== undefined);
  if (given.length === 0) return undefined;
  if (options.securityAccount === undefined) return '--served-accounts, --organization, --member-role and --forensic-account describe a deployment: give its --security-account too';
  const forensic = options.forensicAccount;
  // Checked here first: the configuration would also ask for the key of a malformed account.
  if (forensic !== undefined && !ACCOUNT_ID.test(forensic)) {
    return `--forensic-account (forensicAccountId): a 12-digit AWS account id (the forensic account evidence is copied to), got ${JSON.stringify(forensic.slice(0, 40))}`;
  }
  // Loaded only here: the stack's configuration module brings aws-cdk-lib, which no other path of simulate needs.
  const { FirebreakConfigError, readFirebreakConfig } = await import('../stack/config');
  try {
    readFirebreakConfig((key) => {
      // simulate copies nothing: a key of the forensic account stands in for forensicKmsKeyArn, which
      // a deployment gives beside forensicAccountId, so that only the account's own rules speak
      // (not the security account, not a served account).
      if (key === 'forensicKmsKeyArn') return forensic === undefined ? undefined : `arn:aws:kms:us-east-1:${forensic}:key/simulate`;
      const flag = given.find(({ setting }) => setting === key);
      return flag === undefined ? undefined : options[flag.option];
    });
  } catch (error) {
    if (!(error instanceof FirebreakConfigError)) throw error;
    // The check names the setting; the user typed the flag.
    let problem = error.message.replace(/^Invalid Firebreak configuration: /, '');
    for (const { flag, setting } of SERVED_ACCOUNT_FLAGS) problem = problem.replace(new RegExp(`context "${setting}(\\[\\d+\\])?"`, 'g'), `${flag} (${setting}$1)`);
    return problem;
  }
  const read = servedAccountsFromEnvironment(Object.fromEntries(given.map(({ option, variable }) => [variable, options[option]])));
  return 'served' in read ? read : read.problem;
}

/** A step of the plan, as `--json` prints it (ids and options included, groups nested). */
type PlannedStep =
  | { readonly id: string; readonly action: string; readonly with: Readonly<Record<string, unknown>> }
  | { readonly id: string; readonly parallel: PlannedStep[] };

function planOf(steps: readonly Step[]): PlannedStep[] {
  return steps.map((step) =>
    step.kind === 'action' ? { id: step.id, action: step.action, with: step.with } : { id: step.id, parallel: planOf(step.branches) },
  );
}

function optionsText(options: Readonly<Record<string, unknown>>): string {
  const shown = Object.entries(options)
    .filter(([, value]) => !(typeof value === 'string' && value.length > 40))
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return shown.length > 0 ? ` (${shown.join(', ')})` : '';
}

function planLines(steps: readonly Step[], indent: string): string[] {
  return steps.flatMap((step, index) => {
    const label = `${indent}${index + 1}. `;
    if (step.kind === 'action') return [`${label}${step.id}: ${step.action}${optionsText(step.with)}`];
    return [`${label}${step.id}: in parallel`, ...planLines(step.branches, `${indent}   `)];
  });
}

function incidentLines(incident: Incident): string[] {
  const resource = incident.resource;
  const resourceText =
    resource.kind === 'ec2-instance'
      ? `EC2 instance ${resource.instanceId}${resource.networkInterfaces.length > 0 ? ` (${plural(resource.networkInterfaces.length, 'network interface')})` : ''}`
      : resource.kind === 'access-key'
        ? `access key ${resource.accessKeyId ?? '(unknown)'}${resource.userName ? ` of ${resource.userName}` : ''}`
        : resource.kind === 'other'
          ? `${resource.type}${resource.id ? ` ${resource.id}` : ''}`
          : 'none';
  const flags = [incident.sample ? 'GuardDuty SAMPLE finding' : '', incident.gameDay ? 'game-day injection' : ''].filter(Boolean);
  return [
    'Incident',
    `  ${incident.source === 'guardduty' ? 'GuardDuty finding' : 'CloudWatch alarm'}: ${incident.findingType}${flags.length > 0 ? `  [${flags.join(', ')}]` : ''}`,
    `  title:     ${incident.title}`,
    `  severity:  ${incident.severity.score.toFixed(1)} ${incident.severity.label}`,
    `  resource:  ${resourceText}`,
    `  where:     account ${incident.account}, ${incident.region}`,
    `  key:       ${incident.key} (revision ${incident.revision})`,
  ];
}

function decisionLines(decision: TriageDecision, playbook: Playbook | undefined, routedBy: string): string[] {
  const lines = ['', 'Decision', `  routed by: ${routedBy}`, `  outcome:   ${decision.outcome}`];
  if (decision.playbook !== null) lines.push(`  playbook:  ${decision.playbook}${playbook ? ` (${playbook.file})` : ''}`);
  lines.push(`  mode:      ${decision.mode}`);
  if (decision.executionName !== null) lines.push(`  execution: ${decision.executionName}`);
  lines.push('', 'Planned steps');
  if (playbook !== undefined) lines.push(...planLines(playbook.steps, '  '));
  else lines.push(decision.outcome === 'alert-only' ? '  (no playbook: the dispatcher sends an alert)' : '  (none)');
  lines.push('', 'Reasons', ...decision.reasons.map((reason) => `  - ${reason}`));
  lines.push('', 'Simulated: no AWS API was called.');
  return lines;
}

async function simulate(options: SimulateOptions, setExitCode: (code: number) => void): Promise<void> {
  // The flags first: a mistyped account is a usage error before any file is read.
  const servedAccounts = await servedAccountsOf(options);
  if (typeof servedAccounts === 'string') {
    err(`firebreak simulate: ${servedAccounts}`);
    setExitCode(2);
    return;
  }
  let text: string;
  try {
    text = await readFile(options.event, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    err(`firebreak simulate: cannot read the event file ${options.event}: ${code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error)}`);
    setExitCode(2);
    return;
  }
  let incident: Incident;
  try {
    incident = parseEventJson(text);
  } catch (error) {
    if (!(error instanceof EventParseError)) throw error;
    err(`firebreak simulate: ${options.event} is not an event Firebreak accepts:`);
    for (const issue of error.issues) {
      err(terminalLine(`  - ${issue.path}: expected ${issue.expected}${issue.received === undefined ? '' : `, received ${issue.received}`}`));
    }
    setExitCode(2);
    return;
  }

  const playbookDir = options.playbooks ?? shownPath(SHIPPED_PLAYBOOKS_DIR);
  const { playbooks, errors } = await validatePlaybookPaths([playbookDir]);
  if (errors.length > 0) {
    err(`firebreak simulate: the playbooks in ${playbookDir} are invalid:`);
    reportPlaybookErrors(errors, playbooks.length);
    setExitCode(1);
    return;
  }
  // The routing table as a deployment gives it to triage: written into the function's environment
  // (compressed) and read back from it, so that simulate decides exactly as the deployed triage does.
  const decision = triage(incident, routingTableFromEnvironment(routingEnvironment(routingTableFor(playbooks, { forceDryRun: false }))), servedAccounts === undefined ? {} : { servedAccounts });
  const playbook = playbooks.find((candidate) => candidate.name === decision.playbook);
  const servedAccountGate = servedAccounts === undefined ? 'not applied' : 'applied';

  if (options.json === true) {
    // JSON.stringify escapes only U+0000–U+001F: a C1 control or a bidi override of the finding's text would print as it is.
    out(terminalText(JSON.stringify({ ...decision, plan: playbook ? planOf(playbook.steps) : [], playbookDirectory: resolve(playbookDir), servedAccountGate }, null, 2)));
    return;
  }
  const routedBy = `${plural(playbooks.length, 'playbook')} in ${resolve(playbookDir)}`;
  // The event is a finding, whose text (its title, a resource's name) an attacker influences: each line is
  // printed as one line, escape sequences and line feeds escaped (lib/cli/terminal.ts says why).
  for (const line of [...incidentLines(incident), ...decisionLines(decision, playbook, routedBy)]) out(terminalLine(line));
  if (servedAccounts === undefined) {
    out('Served accounts: not checked (no --security-account): every account is taken as served; a deployment refuses, and only alerts, a finding of an account it does not serve.');
  }
}

// ---------------------------------------------------------------------------------------------
// schema

async function schema(options: { write?: string | boolean }): Promise<void> {
  const text = playbookJsonSchemaText();
  if (options.write === undefined || options.write === false) {
    process.stdout.write(text);
    return;
  }
  const target = typeof options.write === 'string' ? options.write : shownPath(join(SHIPPED_PLAYBOOKS_DIR, PLAYBOOK_SCHEMA_FILE));
  await writeFile(target, text, 'utf8');
  out(`wrote ${target}`);
}

/** Registers validate, simulate and schema on the `firebreak` program. */
export const registerPlaybookCommands: CommandRegistrar = (program: Command, setExitCode) => {
  program
    .command('validate')
    .description("Check playbook files and directories (default: the Firebreak checkout's playbooks/, from any directory); exit 1 listing every error as file:line:col: message; warns, exit 0, about a playbook short of the shipped playbooks' standard.")
    .argument('[paths...]', 'playbook files (.yaml, .yml) or directories of them')
    .action(async (paths: string[]) => validate(paths, setExitCode));

  program
    .command('simulate')
    .description('Show what Firebreak would do with one event: the incident, the decision, the planned steps and the reasons. Calls no AWS API.')
    .requiredOption('--event <file>', 'event JSON: an EventBridge event, a GuardDuty finding (camelCase or PascalCase) or GetFindings output with one finding')
    .option('--json', 'print one JSON object (outcome, playbook, mode, steps, reasons, incident, plan)')
    .option('--playbooks <dir>', "directory of playbooks to route with (default: the Firebreak checkout's playbooks/, from any directory)")
    .option('--security-account <id>', "the account the deployment runs in: apply its served-account gate, as the deployed triage does (without it, every account is taken as served)")
    .option('--served-accounts <ids>', "the deployment's servedAccountIds, comma-separated")
    .option('--organization <o-id>', "the deployment's organizationId")
    .option('--member-role <name>', "the deployment's memberRoleName (needs --organization)")
    .option('--forensic-account <id>', "the deployment's forensicAccountId: a finding of that account is only alerted, as the deployed triage does")
    .action(async (options: SimulateOptions) => simulate(options, setExitCode));

  program
    .command('schema')
    .description(`Print the JSON Schema of playbook files (editors complete and check playbooks with it), generated from the validator's own definitions.`)
    .option('--write [file]', `write it instead (default: the checkout's playbooks/${PLAYBOOK_SCHEMA_FILE})`)
    .action(async (options: { write?: string | boolean }) => schema(options));
};
