/**
 * `firebreak gameday inject`: a live game day against the deployed stack.
 * - Template injection (default): a finding or alarm from the catalogue (./catalogue.ts), aimed at a
 *   real instance, put on the stack's game-day bus with source firebreak.gameday (the bus exists
 *   only when the deployment names game-day principals; never the default bus).
 * - `--guardduty-samples TYPE,…`: GuardDuty's own sample findings (CreateSampleFindings); triage runs
 *   them in dry-run.
 * - `--watch`: follows the playbook executions it caused and prints their timeline and the time to
 *   containment.
 * - `--json`: one JSON document on stdout instead of the text (what was injected, on which bus,
 *   EventBridge's event id or refusal per entry, and with --watch what the executions did); warnings
 *   and errors stay on stderr, the exit status is the same.
 * Every AWS client is made by an injected factory, so tests drive the whole command with mocked clients.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { z } from 'zod';
import { didYouMean } from '../playbooks/errors';
import { createSampleFindings, describeTargetInstance, findDetector, putGameDayEntry } from '../gameday/live/aws';
import type { PutEntryOutcome } from '../gameday/live/aws';
import { awsErrorCode } from '../aws/errors';
import { callerIdentity, describeStack, dispatcherLogGroup, resolveRegion } from '../operator/aws';
import type { Where } from '../operator/aws';
import { DEFAULT_TEMPLATE, LIVE_TEMPLATES, LIVE_TEMPLATE_NAMES, findLiveTemplate } from '../gameday/live/catalogue';
import { InjectionRejectedError, LiveSetupError, liveExitCodeFor } from '../operator/errors';
import { formatContainment, formatEnding, formatTimelineRow, timelineHeader } from '../gameday/live/format';
import type { ExecutionReport } from '../operator/history';
import type { Injection } from '../gameday/live/injection';
import { buildInjection, checkFindingType } from '../gameday/live/injection';
import { SAMPLE_NOTE, parseSampleTypes } from '../gameday/live/samples';
import type { DeployedStack } from '../operator/stack';
import { refuseDefaultEventBus, requireEventBus, requirePlaybooks } from '../operator/stack';
import type { WatchResult, WatchTarget } from '../gameday/live/watch';
import { watchExecutions } from '../gameday/live/watch';
import { terminalSafe } from './terminal';

/** The SDK clients of one run, all in the stack's region. */
export interface LiveClients {
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly eventBridge: EventBridgeClient;
  readonly guardDuty: GuardDutyClient;
  readonly sfn: SFNClient;
  readonly ec2: EC2Client;
}

/** What the command needs from the outside world; tests replace every part. */
export interface InjectDependencies {
  readonly makeClients: (region?: string) => LiveClients;
  readonly now: () => Date;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** 32 hex characters. */
  readonly newFindingId: () => string;
  readonly newEventId: () => string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Turns Ctrl-C into an abort while the watch runs; `dispose` restores the default. */
  readonly interrupts: () => { readonly signal: AbortSignal; readonly dispose: () => void };
}

/** The flags, as commander hands them over. */
export interface InjectFlags {
  readonly template?: string;
  readonly instance?: string;
  readonly account?: string;
  readonly region?: string;
  readonly describe?: boolean;
  readonly severity?: string;
  readonly type?: string;
  readonly eventBus?: string;
  readonly stack: string;
  readonly guarddutySamples?: string;
  readonly watch?: boolean;
  readonly timeout: string;
  readonly dryRunOnly?: boolean;
  readonly listTemplates?: boolean;
  readonly json?: boolean;
}

/** The stack name `npx cdk deploy Firebreak` gives (lib/stack/app.ts FIREBREAK_STACK_ID). */
export const DEFAULT_STACK_NAME = 'Firebreak';
/** Default --timeout: a playbook waiting for approval can take longer; the execution goes on after the watch stops. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 900;
/** Exit status when Ctrl-C stops the watch (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/** Real SDK clients, created only when the command runs. */
export function defaultLiveClients(region?: string): LiveClients {
  const config = region ? { region } : {};
  return {
    sts: new STSClient(config),
    cloudFormation: new CloudFormationClient(config),
    eventBridge: new EventBridgeClient(config),
    guardDuty: new GuardDutyClient(config),
    sfn: new SFNClient(config),
    ec2: new EC2Client(config),
  };
}

function sigintInterrupts(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  // `once`: a second Ctrl-C falls back to Node's default and ends the process at once.
  process.once('SIGINT', onInterrupt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onInterrupt) };
}

export const DEFAULT_INJECT_DEPENDENCIES: InjectDependencies = {
  makeClients: defaultLiveClients,
  now: () => new Date(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : {});
  },
  newFindingId: () => randomBytes(16).toString('hex'),
  newEventId: () => randomUUID(),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  interrupts: sigintInterrupts,
};

const flagsSchema = z.object({
  template: z.string().trim().min(1, 'give a template name').optional(),
  instance: z
    .string()
    .trim()
    .regex(/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, 'an EC2 instance id such as i-0123456789abcdef0')
    .optional(),
  account: z.string().trim().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
  region: z.string().trim().regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'a region such as eu-west-1').optional(),
  describe: z.boolean().optional(),
  severity: z.coerce.number({ error: 'a number from 1.0 to 10.0' }).min(1, 'a number from 1.0 to 10.0').max(10, 'a number from 1.0 to 10.0').optional(),
  type: z.string().trim().min(1, 'a GuardDuty finding type such as Backdoor:EC2/C&CActivity.B').optional(),
  eventBus: z.string().trim().min(1, 'give the bus name or ARN').optional(),
  stack: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name'),
  guarddutySamples: z.string().optional(),
  watch: z.boolean().optional(),
  timeout: z.coerce.number({ error: 'a whole number of seconds' }).int('a whole number of seconds').positive('a whole number of seconds above 0'),
  dryRunOnly: z.boolean().optional(),
  json: z.boolean().optional(),
});

const FLAG_NAMES: Readonly<Record<string, string>> = {
  eventBus: '--event-bus',
  guarddutySamples: '--guardduty-samples',
  dryRunOnly: '--dry-run-only',
};

type CheckedFlags = z.output<typeof flagsSchema>;

/** Checks the flags before any AWS call: every problem is a LiveSetupError naming its flag. */
export function checkFlags(flags: InjectFlags): CheckedFlags {
  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `${FLAG_NAMES[key] ?? `--${key}`}: expected ${issue.message}`;
    });
    throw new LiveSetupError(problems.join('; '));
  }
  const checked = parsed.data;
  if (checked.guarddutySamples !== undefined) {
    const notForSamples = (
      [
        ['template', '--template'],
        ['instance', '--instance'],
        ['account', '--account'],
        ['describe', '--describe'],
        ['severity', '--severity'],
        ['type', '--type'],
        ['eventBus', '--event-bus'],
      ] as const
    )
      .filter(([key]) => checked[key] !== undefined && checked[key] !== false)
      .map(([, flag]) => flag);
    if (notForSamples.length > 0) {
      throw new LiveSetupError(
        `--guardduty-samples asks GuardDuty for findings about placeholder resources, so ${notForSamples.join(', ')} do${notForSamples.length > 1 ? '' : 'es'} not apply: drop ${notForSamples.length > 1 ? 'them' : 'it'}, or drop --guardduty-samples to inject a template finding`,
      );
    }
    parseSampleTypes(checked.guarddutySamples);
    return checked;
  }
  refuseDefaultEventBus(checked.eventBus);
  if (checked.template !== undefined && !findLiveTemplate(checked.template)) {
    throw new LiveSetupError(`--template ${checked.template} is not in the catalogue${didYouMean(checked.template, LIVE_TEMPLATE_NAMES)}; the templates are: ${LIVE_TEMPLATE_NAMES.join(', ')}`);
  }
  if (checked.type !== undefined) checkFindingType(checked.type);
  if (checked.instance === undefined) {
    throw new LiveSetupError('--instance is required: name the real instance the game-day finding is about (e.g. --instance i-0123456789abcdef0), or pass --guardduty-samples TYPE');
  }
  return checked;
}

/** The catalogue, one template a line, for --list-templates and --help. */
export function templateCatalogue(): string {
  const width = Math.max(...LIVE_TEMPLATE_NAMES.map((name) => name.length));
  return LIVE_TEMPLATES.map(
    (template) => `  ${template.name.padEnd(width)}  ${template.summary}${template.name === DEFAULT_TEMPLATE ? ' (default)' : ''} → ${template.expectedPlaybook}`,
  ).join('\n');
}

interface RunContext {
  readonly deps: InjectDependencies;
  readonly clients: LiveClients;
  readonly where: Where;
  readonly stack: DeployedStack;
  /** Progress for a person: deps.out, or nothing with --json (the document says it all at the end). */
  readonly say: (line: string) => void;
  /** What the --json document says of the run before what was injected. */
  readonly summary: InjectSummary;
}

/** The head of the --json document: where, as whom, into which deployment. */
interface InjectSummary {
  readonly stack: string;
  readonly region: string;
  readonly account: string;
  readonly injectedAs: string;
  readonly stackMode: string | null;
}

/** One entry of the --json document: what was put on the bus, and EventBridge's event id or its refusal. */
export interface InjectedEntryJson {
  readonly template: string;
  readonly source: string;
  readonly detailType: string;
  readonly findingType: string;
  readonly severity: number;
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  readonly incidentKey: string;
  readonly executionName: string;
  readonly expectedPlaybook: string;
  readonly time: string;
  readonly eventId: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** What --watch saw, for the --json document. */
function watchedJson(result: WatchResult): Record<string, unknown> {
  return {
    outcome: result.outcome,
    executions: result.executions.map((report) => ({
      playbook: report.playbook,
      name: report.name,
      executionArn: report.executionArn,
      status: report.status,
      mode: report.mode ?? null,
      containment: report.containment ?? null,
      ...(report.error !== undefined ? { error: report.error } : {}),
      ...(report.cause !== undefined ? { cause: report.cause } : {}),
    })),
    awaitedTypes: result.awaitedTypes,
  };
}

/** Says where the dispatcher's runs are logged, and answers the log group (undefined without a DispatcherArn output). */
async function printDispatcherLogs(context: RunContext, filter: string | undefined): Promise<string | undefined> {
  const { clients, stack, where, say } = context;
  if (!stack.dispatcherArn) {
    say(`The dispatcher's runs are only in its CloudWatch Logs log group; stack ${stack.stackName} has no DispatcherArn output to find it by.`);
    return undefined;
  }
  const group = await dispatcherLogGroup(clients.sfn, stack.dispatcherArn);
  if (!group) return undefined;
  const pattern = filter ? ` --filter-pattern '"${filter}"'` : '';
  say(
    `The dispatcher is an Express state machine: Step Functions lists no history for its runs, they are only in CloudWatch Logs, log group ${group}:\n` +
      `  aws logs filter-log-events --log-group-name ${group}${pattern} --region ${where.region}`,
  );
  return group;
}

function exitCodeOfWatch(result: WatchResult): number {
  if (result.outcome === 'interrupted') return INTERRUPTED_EXIT_CODE;
  if (result.outcome === 'timed-out') return 1;
  return result.executions.every((report) => report.status === 'SUCCEEDED') ? 0 : 1;
}

async function watch(context: RunContext, target: WatchTarget, injectedAt: Date, timeoutSeconds: number, logFilter: string | undefined): Promise<{ readonly code: number; readonly result: WatchResult }> {
  const { deps, clients, stack, say } = context;
  const playbooks = requirePlaybooks(stack);
  const awaited =
    target.kind === 'execution'
      ? `the playbook execution named ${target.executionName}`
      : `playbook executions of the sample findings (${target.findingTypes.join(', ')})`;
  say(`Watching ${awaited} in ${playbooks.length} playbook state machine${playbooks.length === 1 ? '' : 's'} (timeout ${timeoutSeconds} s; Ctrl-C stops watching, not the executions).`);
  const interrupts = deps.interrupts();
  let headerPrinted = false;
  let result: WatchResult;
  try {
    result = await watchExecutions(clients.sfn, {
      target,
      playbooks,
      injectedAt,
      timeoutMs: timeoutSeconds * 1000,
      now: deps.now,
      sleep: deps.sleep,
      signal: interrupts.signal,
      onFound: (execution) => say(`Found ${execution.playbook} execution ${execution.name}.`),
      onRows: (rows) => {
        if (!headerPrinted) say(timelineHeader());
        headerPrinted = true;
        for (const row of rows) say(formatTimelineRow(row));
      },
      onEnded: (report) => say(formatEnding(report)),
      onNotice: (text) => deps.err(text),
    });
  } finally {
    interrupts.dispose();
  }
  for (const report of result.executions) if (report.status !== 'RUNNING' || report.containment) say(formatContainment(report.containment, report));
  reportOutcome(context, target, result, timeoutSeconds, logFilter);
  return { code: exitCodeOfWatch(result), result };
}

function reportOutcome(context: RunContext, target: WatchTarget, result: WatchResult, timeoutSeconds: number, logFilter: string | undefined): void {
  const { deps } = context;
  const running = result.executions.filter((report) => report.status === 'RUNNING');
  // Each command on a line of its own: standard error prints every diagnostic on one line (terminal.ts).
  const follow = (reports: readonly ExecutionReport[]) => {
    for (const report of reports) deps.err(`  aws stepfunctions describe-execution --execution-arn ${report.executionArn}`);
  };
  if (result.outcome === 'interrupted') {
    deps.err(`Stopped watching (Ctrl-C). ${running.length > 0 ? 'Still running in AWS:' : 'Nothing seen was still running.'}`);
    follow(running);
    return;
  }
  if (result.outcome === 'timed-out') {
    if (result.executions.length === 0) {
      const what = target.kind === 'execution' ? `no playbook execution named ${target.executionName}` : 'no playbook execution of a requested sample finding';
      deps.err(
        `${what} started within ${timeoutSeconds} s. Triage may have sent an alert only or ignored the event (the dispatcher's log group says which${logFilter ? `: filter on "${logFilter}"` : ''}), ` +
          'EventBridge may not have delivered it (look at the UndeliveredEventsQueueUrl queue of the stack), or GuardDuty has not published it yet.',
      );
      return;
    }
    const awaitedTypes = result.awaitedTypes.length > 0 ? ` No ended execution yet for: ${result.awaitedTypes.join(', ')} (these may only have been alerted).` : '';
    if (running.length === 0) {
      deps.err(`Timed out after ${timeoutSeconds} s.${awaitedTypes}`);
      return;
    }
    deps.err(`Timed out after ${timeoutSeconds} s. Still running in AWS:`);
    // The awaited types came after the commands: they still do.
    follow(running);
    if (awaitedTypes !== '') deps.err(awaitedTypes.trimStart());
    return;
  }
  const failed = result.executions.filter((report) => report.status !== 'SUCCEEDED');
  if (failed.length > 0) deps.err(`${failed.length} execution${failed.length === 1 ? '' : 's'} did not succeed: ${failed.map((report) => `${report.playbook} ${report.status}`).join(', ')}.`);
}

async function injectTemplate(context: RunContext, flags: CheckedFlags, identity: { account: string; partition: string }): Promise<number> {
  const { deps, clients, stack, where } = context;
  const template = findLiveTemplate(flags.template ?? DEFAULT_TEMPLATE);
  if (!template || flags.instance === undefined) throw new LiveSetupError('--instance and a catalogue --template are required');
  const instanceId = flags.instance;
  const account = flags.account ?? identity.account;

  if (stack.mode === 'enforce') {
    if (flags.dryRunOnly) {
      throw new LiveSetupError(`--dry-run-only: stack ${stack.stackName} runs in enforce (its Mode output), so nothing was injected; deploy it with -c mode=dry-run to rehearse without changes`);
    }
    deps.err(
      `WARNING: stack ${stack.stackName} runs in ENFORCE: a playbook that matches will really act on ${instanceId} (quarantine, snapshots) unless its own mode is dry-run. Pass --dry-run-only to refuse this.`,
    );
  } else if (stack.mode === undefined && flags.dryRunOnly) {
    throw new LiveSetupError(`--dry-run-only: stack ${stack.stackName} has no Mode output, so it cannot be shown to run in dry-run; nothing was injected`);
  }

  const eventBusName = requireEventBus(stack, flags.eventBus);
  // What --watch needs is checked before anything is put on the bus: a missing output must not leave a half-done rehearsal.
  if (flags.watch) requirePlaybooks(stack);
  if (flags.describe && account !== identity.account) {
    throw new LiveSetupError(
      `--describe reads the instance with your credentials, in account ${identity.account}, but --account is ${account}: drop --describe (the finding then names only the instance, and the responders describe it in its own account) or aim at an instance of ${identity.account}`,
    );
  }
  const described = flags.describe ? await describeTargetInstance(clients.ec2, instanceId, where) : undefined;
  const now = deps.now();
  const injection: Injection = buildInjection(
    template,
    { instanceId, account, region: where.region, partition: identity.partition, ...(described ? { described } : {}) },
    { account: identity.account, region: where.region, eventBusName },
    { findingId: deps.newFindingId(), eventId: deps.newEventId(), now },
    { ...(flags.severity !== undefined ? { severity: flags.severity } : {}), ...(flags.type !== undefined ? { findingType: flags.type } : {}) },
  );
  const incident = injection.incident;
  const enis = described ? `, ${described.networkInterfaces.length} ENI${described.networkInterfaces.length === 1 ? '' : 's'} from ec2:DescribeInstances` : '';
  context.say(
    `Injecting ${template.name}: ${incident.findingType}, severity ${incident.severity.score} (${incident.severity.label}), about ${instanceId} in ${account}/${where.region}${enis}, on bus ${eventBusName}.`,
  );
  context.say(`Incident ${incident.key}; its playbook execution will be named ${injection.executionName} (the shipped playbooks route it to ${template.expectedPlaybook}).`);
  const outcome = await putEntry(context, injection, flags.json === true);
  const entry: InjectedEntryJson = {
    template: template.name,
    source: injection.entry.Source,
    detailType: injection.entry.DetailType,
    findingType: incident.findingType,
    severity: incident.severity.score,
    instanceId,
    account,
    region: where.region,
    incidentKey: incident.key,
    executionName: injection.executionName,
    expectedPlaybook: template.expectedPlaybook,
    time: injection.injectedAt.toISOString(),
    eventId: outcome.ok ? outcome.eventId : null,
    error: outcome.ok ? null : { code: outcome.errorCode, message: outcome.message },
  };
  const document = { ...context.summary, kind: 'template', eventBus: eventBusName, entries: [entry], injected: outcome.ok ? 1 : 0, failed: outcome.ok ? 0 : 1 };
  if (!outcome.ok) {
    // --json only: without it putEntry threw. The document says what was refused; stderr says it too.
    deps.err(`firebreak gameday inject: ${outcome.message}`);
    deps.out(JSON.stringify(document, null, 2));
    return 1;
  }
  context.say(`Put on the bus at ${injection.injectedAt.toISOString()}: EventBridge event ${outcome.eventId}.`);
  const logGroup = await printDispatcherLogs(context, incident.key);
  if (!flags.watch) {
    context.say(`Not watching: rerun with --watch to follow it (each injection is a new finding), or find ${injection.executionName} in the Step Functions console.`);
    if (flags.json) deps.out(JSON.stringify({ ...document, dispatcherLogGroup: logGroup ?? null }, null, 2));
    return 0;
  }
  const watched = await watch(context, { kind: 'execution', executionName: injection.executionName }, injection.injectedAt, flags.timeout, incident.key);
  if (flags.json) deps.out(JSON.stringify({ ...document, dispatcherLogGroup: logGroup ?? null, watched: watchedJson(watched.result) }, null, 2));
  return watched.code;
}

/**
 * Puts the injection's entry on the bus. Without --json a refusal throws (and is printed as the
 * command's error); with --json a refused entry, or a call the bus refused as a whole, is an
 * outcome the document reports per entry. Missing credentials stay an error (exit 2).
 */
async function putEntry(context: RunContext, injection: Injection, json: boolean): Promise<PutEntryOutcome> {
  try {
    const outcome = await putGameDayEntry(context.clients.eventBridge, injection.entry);
    if (!outcome.ok && !json) throw new InjectionRejectedError(outcome.message);
    return outcome;
  } catch (error) {
    if (!json || !(error instanceof InjectionRejectedError) || error.cause === undefined) throw error;
    return { ok: false, errorCode: awsErrorCode(error.cause) ?? 'UnknownError', message: error.message };
  }
}

async function injectSamples(context: RunContext, flags: CheckedFlags): Promise<number> {
  const { deps, clients, where } = context;
  const findingTypes = parseSampleTypes(flags.guarddutySamples ?? '');
  if (flags.watch) requirePlaybooks(context.stack);
  const detectorId = await findDetector(clients.guardDuty, where);
  const requestedAt = deps.now();
  await createSampleFindings(clients.guardDuty, detectorId, findingTypes);
  context.say(`Asked GuardDuty (detector ${detectorId}) for sample findings at ${requestedAt.toISOString()}: ${findingTypes.join(', ')}.`);
  context.say(SAMPLE_NOTE);
  const logGroup = await printDispatcherLogs(context, undefined);
  // GuardDuty publishes the samples itself, later: no event ids here, and no per-type refusal (CreateSampleFindings is one call).
  const document = {
    ...context.summary,
    kind: 'guardduty-samples',
    detectorId,
    requestedAt: requestedAt.toISOString(),
    entries: findingTypes.map((findingType) => ({ findingType, error: null })),
    injected: findingTypes.length,
    failed: 0,
    dispatcherLogGroup: logGroup ?? null,
  };
  if (!flags.watch) {
    if (flags.json) deps.out(JSON.stringify(document, null, 2));
    return 0;
  }
  const watched = await watch(context, { kind: 'samples', findingTypes }, requestedAt, flags.timeout, undefined);
  if (flags.json) deps.out(JSON.stringify({ ...document, watched: watchedJson(watched.result) }, null, 2));
  return watched.code;
}

/** Runs `firebreak gameday inject` and resolves to its exit status (never calls process.exit). */
export async function runInject(flags: InjectFlags, deps: InjectDependencies = DEFAULT_INJECT_DEPENDENCIES): Promise<number> {
  try {
    if (flags.listTemplates) {
      const templates = LIVE_TEMPLATES.map((template) => ({ name: template.name, summary: template.summary, expectedPlaybook: template.expectedPlaybook, default: template.name === DEFAULT_TEMPLATE }));
      deps.out(flags.json ? JSON.stringify({ templates }, null, 2) : templateCatalogue());
      return 0;
    }
    const checked = checkFlags(flags);
    const clients = deps.makeClients(checked.region);
    const region = await resolveRegion(clients.sts);
    const identity = await callerIdentity(clients.sts);
    const where: Where = { region, account: identity.account };
    const stack = await describeStack(clients.cloudFormation, checked.stack, where);
    const say = checked.json ? () => undefined : deps.out;
    say(`Stack ${stack.stackName} in ${region}/${identity.account}: mode ${stack.mode ?? 'unknown (no Mode output)'}; injecting as ${identity.arn}.`);
    const summary: InjectSummary = { stack: stack.stackName, region, account: identity.account, injectedAs: identity.arn, stackMode: stack.mode ?? null };
    const context: RunContext = { deps, clients, where, stack, say, summary };
    return checked.guarddutySamples !== undefined ? await injectSamples(context, checked) : await injectTemplate(context, checked, identity);
  } catch (error) {
    deps.err(`firebreak gameday inject: ${error instanceof Error ? error.message : String(error)}`);
    return liveExitCodeFor(error);
  }
}

const HELP_AFTER = `
Templates (--template NAME):
${templateCatalogue()}

Each injection is a new finding: a fresh finding id and updatedAt (a fresh state time for alarms), so
its deterministic playbook execution name is new too. Step Functions refuses a reused execution name
for 90 days, and Firebreak treats a repeated name as a duplicate delivery.

Events are put with source firebreak.gameday (EventBridge refuses custom sources starting with "aws.")
and detail-type "GuardDuty Finding" or "CloudWatch Alarm State Change", on the deployment's game-day
bus (its GameDayEventBusName output), never the default bus. That bus exists only when the stack was
deployed with -c gameDayPrincipals=<principal ARNs>, and admits only those principals: inject with one
of them. The playbook state machines and the mode also come from the outputs of the deployed stack
(--stack, default ${DEFAULT_STACK_NAME}).

--json prints one JSON document on stdout instead of the text: the stack, region, account and
principal; kind (template or guardduty-samples); eventBus; entries, each with what was put (template,
finding type, severity, instance, incident key, execution name) and EventBridge's eventId or its
error {code, message}; injected and failed counts; the dispatcher's log group; with --watch,
watched {outcome, executions}. Warnings and errors stay on stderr.

Exit status: 0 injected (and, with --watch, every execution succeeded); 1 AWS refused the injection (any
entry), an execution failed, or --timeout passed; 2 something is missing (credentials, region, stack, output,
GuardDuty detector, a valid flag); ${INTERRUPTED_EXIT_CODE} Ctrl-C while watching (the executions go on).

Examples:
  npx firebreak gameday inject --instance i-0123456789abcdef0 --region eu-west-1 --watch
  npx firebreak gameday inject --template ssh-brute-force-actor --instance i-0123456789abcdef0 --describe --dry-run-only --watch
  npx firebreak gameday inject --guardduty-samples "Backdoor:EC2/C&CActivity.B,Recon:EC2/PortProbeUnprotectedPort" --watch
`;

/** Builds the `inject` registrar over injected dependencies (tests pass mocked clients and a fake clock). */
export function createInjectCommand(overrides: Partial<InjectDependencies> = {}): (gameday: Command, setExitCode: (code: number) => void) => void {
  const deps: InjectDependencies = terminalSafe({ ...DEFAULT_INJECT_DEPENDENCIES, ...overrides });
  return (gameday, setExitCode) => {
    gameday
      .command('inject')
      .description('Live game day: put a game-day finding on the deployed stack\'s bus (or ask GuardDuty for sample findings) and follow what Firebreak does.')
      .option('--template <name>', `finding or alarm template from the catalogue (default ${DEFAULT_TEMPLATE}; see --list-templates)`)
      .option('--instance <id>', 'the real instance the finding is about (i-…)')
      .option('--account <id>', "the instance's account (default: the account of your credentials)")
      .option('--region <region>', 'region of the deployed stack and the instance (default: AWS_REGION / profile)')
      .option('--describe', "fill the finding's ENIs, VPC, groups, instance profile and tags from ec2:DescribeInstances")
      .option('--severity <score>', "override the template's severity (GuardDuty's 1.0–10.0)")
      .option('--type <findingType>', "override the template's GuardDuty finding type")
      .option('--event-bus <name>', 'bus to put the event on (default: the stack output GameDayEventBusName; never the default bus)')
      .option('--stack <name>', 'name of the deployed CloudFormation stack', DEFAULT_STACK_NAME)
      .option('--guardduty-samples <types>', 'instead of a template: ask GuardDuty for sample findings of these types (comma-separated); they run in dry-run')
      .option('--watch', 'follow the playbook executions it caused until they end, with their timeline and the time to containment')
      .option('--timeout <seconds>', 'how long --watch follows before giving up', String(DEFAULT_WATCH_TIMEOUT_SECONDS))
      .option('--dry-run-only', 'refuse to inject a template unless the stack runs in dry-run (its Mode output)')
      .option('--list-templates', 'print the template catalogue and exit')
      .option('--json', 'print one JSON document instead of text (what was injected, on which bus, event ids, failures per entry)')
      .addHelpText('after', HELP_AFTER)
      .action(async (flags: InjectFlags) => {
        setExitCode(await runInject(flags, deps));
      });
  };
}

/** Adds `inject` to the `gameday` command (lib/cli/gameday.ts calls this). */
export function registerInjectCommand(gameday: Command, setExitCode: (code: number) => void): void {
  createInjectCommand()(gameday, setExitCode);
}
