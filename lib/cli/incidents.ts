/**
 * `firebreak incidents`, `firebreak incident <key>` and `firebreak report <key>`: the incident
 * records of a deployment (lib/operator/incidents.ts reads them, lib/operator/incident-report.ts
 * says what they mean, lib/operator/incident-report-render.ts writes the report).
 *
 * Exit status: 0 done; 1 no record for the key; 2 nothing could be read (a flag, credentials, the
 * stack output, a DynamoDB call).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { FirebreakError } from '../contracts/errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import { callError, callerIdentity, describeStack, resolveRegion, setupError } from '../operator/aws';
import { LiveSetupError } from '../operator/errors';
import type { IncidentFilter, IncidentSummary } from '../operator/incidents';
import { DEFAULT_KEY_RECORD_LIMIT, listIncidents, readGatheredIncident } from '../operator/incidents';
import type { IncidentReport, IncidentStatus } from '../operator/incident-report';
import { buildIncidentReport, containmentTargetFromOutput, custodyLookups, DEFAULT_PHASE_TARGETS, formatDuration, INCIDENT_STATUSES, keyRecordLookups, phaseTargetsFor } from '../operator/incident-report';
import { KmsSealCheck, NoSealCheck, readKeyRecords, reportCredentialRecords } from '../operator/key-records';
import { readCustodyRecords } from '../operator/custody-records';
import { RECORD_KEY_OUTPUT_KEY } from '../contracts/security';
import { CONTAINMENT_TARGET_OUTPUT_KEY } from '../stack/response-dashboard';
import { renderIncidentReportHtml, renderIncidentReportMarkdown } from '../operator/incident-report-render';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import type { CommandRegistrar } from './registrar';
import { terminalSafe } from './terminal';
import { spacedField, terminalLine } from '../responders/untrusted-text';
import { STATE_TABLE_OUTPUT_KEY, stateTableOutput } from '../operator/stack';

/** The SDK clients of one region. */
export interface IncidentClients {
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly dynamodb: DynamoDBClient;
  /** kms:VerifyMac of credential records' seals under the record key (the report's). */
  readonly kms: KMSClient;
}

export interface IncidentCliDependencies {
  readonly makeClients: (region?: string) => IncidentClients;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  readonly now: () => Date;
}

export const DEFAULT_INCIDENT_CLI_DEPENDENCIES: IncidentCliDependencies = {
  makeClients: (region) => {
    const config = region ? { region } : {};
    return { sts: new STSClient(config), cloudFormation: new CloudFormationClient(config), dynamodb: new DynamoDBClient(config), kms: new KMSClient(config) };
  },
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  writeFile: async (path, text) => {
    await mkdir(resolve(path, '..'), { recursive: true });
    await writeFile(path, text);
  },
  now: () => new Date(),
};

/** Flags every command takes. */
export interface WhereFlags {
  readonly stack: string;
  readonly region?: string;
  /** The state table's name, instead of the stack's StateTableName output. */
  readonly table?: string;
  readonly json?: boolean;
}

/** The table holds no record for the key. */
export class IncidentNotFoundError extends FirebreakError {
  override readonly name = 'IncidentNotFoundError';
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const KMS_KEY_ARN = /^arn:[\w-]+:kms:[\w-]+:\d{12}:key\/[\w-]+$/;
const INCIDENT_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const RELATIVE = /^(\d+)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The oldest age taken: ten years, far beyond any record's life, and a Date can always be built. */
const MAX_AGE_DAYS = 3650;
/**
 * ISO 8601 as `Date.parse` reads it by the standard: a date, or a date and time with its offset.
 * Anything else is refused, since V8 falls back to a legacy parser that reads "7" as 2001-07-01
 * and a time without an offset as local time.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

/** `--since 24h`, `7d`, `30m`, or an ISO 8601 date or time → ISO 8601; throws LiveSetupError naming the flag. */
export function timeFlag(flag: string, value: string | undefined, now: Date): string | undefined {
  if (value === undefined) return undefined;
  const relative = RELATIVE.exec(value);
  if (relative) {
    const age = Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    if (!(age <= MAX_AGE_DAYS * UNIT_MS.d)) throw new LiveSetupError(`${flag}: an age of at most ${MAX_AGE_DAYS}d (ten years); got ${JSON.stringify(value)}`);
    return new Date(now.getTime() - age).toISOString();
  }
  const iso = ISO_8601.exec(value);
  // The calendar day must exist: the pattern lets 2026-02-30 through, and Date.parse would roll it over.
  const day = iso ? new Date(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]))) : undefined;
  const real = iso !== null && day !== undefined && day.getUTCMonth() === Number(iso[2]) - 1 && day.getUTCDate() === Number(iso[3]);
  // A time needs its offset: without one it would be the local time of whoever runs the command.
  const offsetGiven = iso?.[4] === undefined || /(?:Z|[+-]\d{2}:\d{2})$/.test(value);
  const parsed = Date.parse(value);
  if (!real || !offsetGiven || Number.isNaN(parsed)) {
    const hint = /^\d+$/.test(value) ? ` (an age needs its unit: ${value}d?)` : iso && !offsetGiven ? ' (a time needs its offset: Z or +02:00)' : '';
    throw new LiveSetupError(`${flag} must be an ISO 8601 date or time (2026-12-03, 2026-12-03T10:00:00Z) or an age such as 30m, 24h, 7d; got ${JSON.stringify(value)}${hint}`);
  }
  return new Date(parsed).toISOString();
}

/** The filters of `firebreak incidents`, checked. */
export function incidentFilter(flags: { account?: string; status?: string; since?: string; until?: string }, now: Date): IncidentFilter {
  if (flags.account !== undefined && !/^\d{12}$/.test(flags.account)) throw new LiveSetupError(`--account must be a 12-digit account id; got ${JSON.stringify(flags.account)}`);
  if (flags.status !== undefined && !(INCIDENT_STATUSES as readonly string[]).includes(flags.status)) {
    throw new LiveSetupError(`--status must be one of ${INCIDENT_STATUSES.join(', ')}; got ${JSON.stringify(flags.status)}`);
  }
  const since = timeFlag('--since', flags.since, now);
  const until = timeFlag('--until', flags.until, now);
  if (since !== undefined && until !== undefined && since > until) {
    throw new LiveSetupError(`--since (${since}) is after --until (${until}): no incident can be in this range`);
  }
  return {
    ...(flags.account !== undefined ? { account: flags.account } : {}),
    ...(flags.status !== undefined ? { status: flags.status as IncidentStatus } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  };
}

/** Where the incident records are, and the deployment's containment target and record key when the stack was read. */
interface RecordStore {
  readonly dynamodb: DynamoDBClient;
  readonly kms: KMSClient;
  readonly table: string;
  /** The stack's ContainmentTargetSeconds output (undefined: --table, or a stack deployed before the output existed). */
  readonly containmentTargetSeconds?: number;
  /** The stack's RecordKeyArn output, or why there is none to check credential records' seals with. */
  readonly recordKey: { readonly arn: string } | { readonly unknown: string };
}

/** The DynamoDB client and the state table: --table, else the stack's StateTableName output. */
async function stateTable(flags: WhereFlags, deps: IncidentCliDependencies): Promise<RecordStore> {
  if (flags.table !== undefined && !TABLE_NAME.test(flags.table)) throw new LiveSetupError(`--table must be a DynamoDB table name; got ${JSON.stringify(flags.table)}`);
  const clients = deps.makeClients(flags.region);
  const region = await resolveRegion(clients.sts);
  const { account } = await callerIdentity(clients.sts);
  if (flags.table !== undefined) return { dynamodb: clients.dynamodb, kms: clients.kms, table: flags.table, recordKey: { unknown: `no record key is known to check its seal with (--table reads no stack, whose ${RECORD_KEY_OUTPUT_KEY} output names it)` } };
  const stack = await describeStack(clients.cloudFormation, flags.stack, { region, account });
  const table = stateTableOutput(stack.outputs);
  if (table === undefined) throw new LiveSetupError(`stack ${flags.stack} in ${region}/${account} has no ${STATE_TABLE_OUTPUT_KEY} output: pass --table NAME of its state table`);
  const target = containmentTargetFromOutput(stack.outputs.find((output) => output.key === CONTAINMENT_TARGET_OUTPUT_KEY)?.value);
  const recordKeyArn = stack.outputs.find((output) => output.key === RECORD_KEY_OUTPUT_KEY)?.value;
  return {
    dynamodb: clients.dynamodb,
    kms: clients.kms,
    table,
    ...(target !== undefined ? { containmentTargetSeconds: target } : {}),
    recordKey: recordKeyArn !== undefined && KMS_KEY_ARN.test(recordKeyArn) ? { arn: recordKeyArn } : { unknown: `no record key is known to check its seal with (stack ${flags.stack} has no ${RECORD_KEY_OUTPUT_KEY} output naming a KMS key)` },
  };
}

function exitCodeFor(error: unknown): number {
  return error instanceof IncidentNotFoundError ? 1 : 2;
}

async function dynamoCall<T>(api: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof LiveSetupError) throw error;
    throw callError(error, api, setupError);
  }
}

/**
 * What the line adds after the key when a credential record decides the status and did not: the
 * record was not read (the list stopped verifying), and, when reading it could change the status,
 * what its entries say (the status column's) and what it could be once verified; or the containment
 * is not confirmed (the record could not be read or believed, or does not carry the claim its step
 * recorded: the report says why); or a key is held by the incident's claim (another incident set it
 * Inactive: contained, by no change of its own). Nothing else when
 * the records were verified and said all they could; the status column is the report's status, or
 * the entries' when a record was not read.
 */
function keyRecordNote(incident: IncidentSummary): string | undefined {
  const records = incident.keyRecords;
  const couldBe = (incident.possibleStatuses ?? []).filter((status) => status !== incident.status);
  if (couldBe.length > 0) {
    const own = records?.verified === false ? records.accessKeyIds : [];
    const ofChildren = (incident.children ?? []).some((child) => child.possibleStatuses !== undefined);
    const whose = [
      ...(own.length > 0 ? [`the credential record${own.length > 1 ? 's' : ''} of ${own.join(', ')}`] : []),
      ...(ofChildren ? ["its child incidents' credential records (below)"] : []),
    ];
    const verb = own.length > 1 || ofChildren ? 'are' : 'is';
    return `(unverified: ${incident.status} by its entries, could be ${couldBe.join(' or ')} once ${whose.join(' and ')} ${verb} verified; not read past --verify-limit)`;
  }
  if (records === undefined) return undefined;
  if (!records.verified) return `(unverified: the credential record of ${records.accessKeyIds.join(', ')} was not read)`;
  // A key another incident set Inactive, held for this one by its claim: contained, but by no change of its own.
  const held = records.heldByClaim.length > 0 ? `${records.heldByClaim.join(', ')} held by its claim, another incident having set ${records.heldByClaim.length > 1 ? 'them' : 'it'} Inactive` : undefined;
  if (records.notConfirmed.length === 0) return held !== undefined ? `(${held}: firebreak report ${incident.key} names it)` : undefined;
  return `(${held !== undefined ? `${held}; ` : ''}containment of ${records.notConfirmed.map((key) => key.accessKeyId).join(', ')} not confirmed: firebreak report ${incident.key} says why)`;
}

/** One incident of the list, on one line whatever its record holds (`terminalLine`: a line feed would print a row of its own). */
function summaryLine(incident: IncidentSummary): string {
  const note = keyRecordNote(incident);
  // Each of the record's facts with its runs of spaces as one (row 14i): padded, one would print the rest of its row as a row of its own.
  const f = (text: string | undefined, none: string) => spacedField(text ?? none);
  return terminalLine([
    f(incident.receivedAt, '(no receipt time)'),
    f(incident.status, '').padEnd(9),
    f(incident.account, '?').padEnd(12),
    f(incident.severityLabel, '?').padEnd(8),
    f(incident.resource, '').padEnd(19),
    f(incident.findingType, ''),
    f(incident.key, ''),
    ...(note !== undefined ? [note] : []),
  ].join('  '));
}

/** The number of incidents whose credential records the list verifies: --verify-limit, else DEFAULT_KEY_RECORD_LIMIT. */
export function verifyLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_KEY_RECORD_LIMIT;
  if (!/^\d{1,4}$/.test(value)) throw new LiveSetupError(`--verify-limit must be a number of incidents from 0 to 9999; got ${JSON.stringify(value)}`);
  return Number(value);
}

/** The seal check of credential records: under the stack's record key, or none, saying why. */
function sealsOf(store: RecordStore): KmsSealCheck | NoSealCheck {
  return 'arn' in store.recordKey ? new KmsSealCheck(store.kms, store.recordKey.arn) : new NoSealCheck(store.recordKey.unknown);
}

/** `firebreak incidents`. */
export async function runListIncidents(flags: WhereFlags & ListFlags, deps: IncidentCliDependencies): Promise<number> {
  const filter = incidentFilter(flags, deps.now());
  const limit = verifyLimit(flags.verifyLimit);
  const store = await stateTable(flags, deps);
  const { table } = store;
  // An incident whose status a key's credential record decides is judged from that record, as its
  // report is (lib/operator/incidents.ts): the same status in both, at a bounded number of reads.
  const { incidents, truncated, keyRecords } = await dynamoCall('dynamodb:Scan', () =>
    listIncidents(store.dynamodb, table, filter, {
      onPage: (page, found) => {
        if (!flags.json && page > 1) deps.err(`… read ${page} pages of ${table}, ${found} incident(s) so far`);
      },
      keyRecords: { store: reportCredentialRecords(store.dynamodb, table, sealsOf(store)), limit },
    }),
  );
  if (flags.json) {
    deps.out(JSON.stringify({ table, filter, incidents, truncated, keyRecords }, null, 2));
    return 0;
  }
  for (const incident of incidents) {
    deps.out(summaryLine(incident));
    // A sequence's child incidents (one per resource), under it rather than as incidents of their own.
    for (const child of incident.children ?? []) deps.out(`  └ ${summaryLine(child)}`);
  }
  const listed = incidents.flatMap((incident) => [incident, ...(incident.children ?? [])]);
  const notConfirmed = listed.filter((incident) => incident.keyRecords?.verified === true && incident.keyRecords.notConfirmed.length > 0).length;
  if (notConfirmed > 0) {
    deps.out(
      `${notConfirmed} incident(s) name a key found already Inactive whose credential record could not be read or verified, or does not carry the claim its step recorded: that the incident set it Inactive, or holds it by its claim, is not confirmed, so its status is what its entries say (firebreak report <key> says why).`,
    );
  }
  if (keyRecords.unverified > 0) {
    // With --status, an incident whose unread record could give it that status is listed, marked, rather than left out.
    const unsettled = incidents.filter((incident) => (incident.possibleStatuses?.length ?? 0) > 1).length;
    const filtered = filter.status !== undefined ? `; --status ${filter.status} also lists those whose status is not settled and could be ${filter.status}, marked (${unsettled} listed here)` : '';
    deps.out(
      `Stopped verifying credential records after ${keyRecords.verified} incident(s) (--verify-limit ${limit}): ${keyRecords.unverified} incident(s) marked "unverified" show what their entries say, which a verified record could change to contained${filtered}; firebreak report <key> verifies one, or narrow the list (--since, --account) or raise --verify-limit.`,
    );
  }
  deps.out(`${incidents.length} incident(s) in ${table}${truncated ? ' (list cut: narrow it with --since, --account or --status)' : ''}`);
  return 0;
}

/** The flags of `firebreak incidents` beside WhereFlags. */
interface ListFlags {
  readonly account?: string;
  readonly status?: string;
  readonly since?: string;
  readonly until?: string;
  readonly verifyLimit?: string;
}

function checkedKey(key: string): string {
  if (!INCIDENT_KEY.test(key)) throw new LiveSetupError(`the incident key must be 1 to 64 letters, digits, "-" or "_" (as alerts name it); got ${JSON.stringify(key.slice(0, 80))}`);
  return key;
}

/**
 * The report of one incident, its containment target: `--containment-target`, else the deployed
 * stack's (its ContainmentTargetSeconds output, the alarm's threshold), else the deployment default
 * (with --table, or a stack deployed before the output existed: `note` says so).
 */
async function reportOf(key: string, flags: WhereFlags, deps: IncidentCliDependencies, override?: number): Promise<{ report: IncidentReport; targetSource: string }> {
  const store = await stateTable(flags, deps);
  const gathered = await dynamoCall('dynamodb:GetItem', () => readGatheredIncident(store.dynamodb, store.table, checkedKey(key)));
  if (!gathered) throw new IncidentNotFoundError(`no incident record ${key} in ${store.table} (never recorded, or deleted by the retention)`);
  const seconds = override ?? store.containmentTargetSeconds;
  const targetSource =
    override !== undefined
      ? '--containment-target'
      : store.containmentTargetSeconds !== undefined
        ? `stack ${flags.stack} (${CONTAINMENT_TARGET_OUTPUT_KEY})`
        : `the deployment default (${flags.table !== undefined ? '--table reads no stack' : `stack ${flags.stack} has no ${CONTAINMENT_TARGET_OUTPUT_KEY} output`}; pass --containment-target)`;
  // A key a step found already Inactive with no attempt recorded as setting it: its sealed credential
  // record says whether this incident did (lib/operator/key-records.ts); read only for such keys.
  const lookups = keyRecordLookups(gathered.record, gathered.children);
  const keyRecords = lookups.length === 0 ? [] : await readKeyRecords(reportCredentialRecords(store.dynamodb, store.table, sealsOf(store)), lookups);
  // The custody record of each evidence snapshot: a drill's kept copy, a share that may remain, a share refused (lib/operator/custody-records.ts).
  const custodyRecords = await readCustodyRecords(store.dynamodb, store.table, sealsOf(store), custodyLookups(gathered.record, gathered.children));
  // A sequence's report gathers its child incidents (one per resource): lib/operator/incidents.ts readGatheredIncident.
  return { report: buildIncidentReport(gathered.record, phaseTargetsFor(seconds), { children: gathered.children, refused: gathered.refused, keyRecords, custodyRecords }), targetSource };
}

/** `firebreak incident <key>`: the timeline. */
export async function runShowIncident(key: string, flags: WhereFlags, deps: IncidentCliDependencies): Promise<number> {
  const { report } = await reportOf(key, flags, deps);
  if (flags.json) {
    deps.out(JSON.stringify(report, null, 2));
    return 0;
  }
  // Each line one line whatever the record holds: a line feed in a finding type or a target would
  // print a step of its own (`terminalLine`).
  const line = (text: string) => deps.out(terminalLine(text));
  // The record's words with their runs of spaces as one (row 14i): the line's own columns are aligned with spaces.
  const f = (text: string | undefined, none = '?') => spacedField(text ?? none);
  const h = report.header;
  line(`${f(report.key)}  ${f(report.status)}  ${f(h.findingType, '')} (${f(h.severityLabel)}) on ${f(h.resource)} in ${f(h.account)}/${f(h.region)}`);
  line(`received ${f(report.receivedAt, '(unrecorded)')}`);
  for (const child of report.children ?? []) line(`child ${f(child.key)}  ${f(child.status)}  ${f(child.resource)} in ${f(child.account)}/${f(child.region)}`);
  for (const refused of report.refusedChildren ?? []) line(`left out ${f(refused.key)}: ${f(refused.reason)}`);
  for (const row of report.timeline) {
    const offset = row.sinceReceivedMs === undefined ? '' : `+${formatDuration(row.sinceReceivedMs)}`;
    const child = report.children !== undefined ? ` [${f(row.incidentKey ?? report.key)}]` : '';
    line(`  ${f(row.startedAt)}  ${offset.padEnd(10)} ${f(row.step).padEnd(20)} ${row.outcome === 'failed' ? `FAILED ${f(row.status)}` : f(row.status)}${row.alertKind ? ` (${f(row.alertKind)})` : ''}${row.unconfirmed === true ? ' (not confirmed as its execution\'s)' : ''}  took ${formatDuration(row.durationMs)}${child}`);
    // Triage's entry: the decision's reasons (and the child incidents it started), as triage gave them.
    if (row.step === RESPONDER_NAMES.triage) {
      for (const reason of row.reasons ?? []) line(`      ${f(reason)}`);
    }
    for (const action of row.actions) line(`      ${f(action.outcome).padEnd(15)} ${f(action.api)} ${f(action.target)}`);
  }
  for (const phase of report.phases) line(`phase ${phase.name}: ${phase.timeNotRecorded ? 'at most ' : ''}${formatDuration(phase.sinceReceivedMs)} from receipt (${phase.by})`);
  return 0;
}

/** `firebreak report <key>`: writes `<out>/<key>.md` and `<out>/<key>.html`. */
export async function runIncidentReport(key: string, flags: WhereFlags & { out: string; containmentTarget?: string }, deps: IncidentCliDependencies): Promise<number> {
  let override: number | undefined;
  if (flags.containmentTarget !== undefined) {
    override = Number(flags.containmentTarget);
    if (!Number.isFinite(override) || override <= 0) throw new LiveSetupError(`--containment-target must be a number of seconds above 0; got ${JSON.stringify(flags.containmentTarget)}`);
  }
  const { report, targetSource } = await reportOf(key, flags, deps, override);
  const written = await writeIncidentReport(report, flags.out, deps.writeFile);
  const target = formatDuration(report.targets.containment);
  if (flags.json) deps.out(JSON.stringify({ ...written, containmentTarget: { ms: report.targets.containment ?? null, source: targetSource }, report }, null, 2));
  else deps.out(`wrote ${written.markdown} and ${written.html} (${report.status}, ${report.timeline.length} step(s); containment target ${target} from ${targetSource})`);
  return 0;
}

/** Writes the report in both formats under `directory`; the game day writes its reports the same way. */
export async function writeIncidentReport(
  report: IncidentReport,
  directory: string,
  write: (path: string, text: string) => Promise<void> = DEFAULT_INCIDENT_CLI_DEPENDENCIES.writeFile,
): Promise<{ markdown: string; html: string }> {
  const markdown = join(directory, `${report.key}.md`);
  const html = join(directory, `${report.key}.html`);
  await write(markdown, renderIncidentReportMarkdown(report));
  await write(html, renderIncidentReportHtml(report));
  return { markdown, html };
}

const HELP_AFTER = `
The incident record is the state table's incident#<key> item, which every step of a playbook
appends to as it runs (docs/incident-record.md). Your identity needs dynamodb:Scan and
dynamodb:GetItem on the state table, and cloudformation:DescribeStacks on the stack unless you
pass --table. A key a step found already Inactive with no attempt recorded as setting it is
counted as this incident's containment only if its sealed credential record says so: the report,
and the list for at most --verify-limit incidents (the others are marked unverified), read that
record (dynamodb:GetItem) and check its seal with kms:VerifyMac on the record key (the stack's
RecordKeyArn output), which the key policy allows only the principals the deployment names in
recordVerifierArns; without it they say the key's containment is not confirmed.

Exit status: 0 done; 1 no record for the key; 2 nothing could be read (a flag, credentials, the
stack output, a DynamoDB call).
`;

/** Builds the three commands over injected dependencies (tests pass theirs). */
export function createIncidentCommands(overrides: Partial<IncidentCliDependencies> = {}): CommandRegistrar {
  const deps: IncidentCliDependencies = terminalSafe({ ...DEFAULT_INCIDENT_CLI_DEPENDENCIES, ...overrides });
  const run = async (name: string, work: () => Promise<number>, setExitCode: (code: number) => void) => {
    try {
      setExitCode(await work());
    } catch (error) {
      deps.err(`firebreak ${name}: ${error instanceof Error ? error.message : String(error)}`);
      setExitCode(exitCodeFor(error));
    }
  };
  const where = (command: Command) =>
    command
      .option('--stack <name>', 'name of the deployed Firebreak stack (its StateTableName output)', DEFAULT_STACK_NAME)
      .option('--region <region>', 'the region the stack is deployed in (default: AWS_REGION or the profile)')
      .option('--table <name>', "the state table's name, instead of reading the stack output")
      .option('--json', 'print one JSON document instead of text')
      .addHelpText('after', HELP_AFTER);
  return (program: Command, setExitCode) => {
    where(
      program
        .command('incidents')
        .description('List incidents (open, contained, released, failed), newest first.')
        .option('--account <id>', 'only incidents in this account')
        .option('--status <status>', `only incidents in this status (${INCIDENT_STATUSES.join(', ')})`)
        .option('--since <time>', 'received at or after: an ISO 8601 date or time with its offset (2026-12-03, 2026-12-03T10:00:00Z), or an age such as 30m, 24h, 7d')
        .option('--until <time>', 'received at or before: an ISO 8601 date or time, or an age')
        .option(
          '--verify-limit <n>',
          `verify the credential records of at most n incidents, the newest first (a key found already Inactive, whose record decides the status, as in the report); the others are marked unverified, and --status lists each under every status it could have once verified (default ${DEFAULT_KEY_RECORD_LIMIT})`,
        ),
    ).action(async (flags: WhereFlags & ListFlags) => run('incidents', () => runListIncidents(flags, deps), setExitCode));
    where(program.command('incident').argument('<key>', 'the incident key (alerts name it)').description("Show one incident's timeline and phases.")).action(
      async (key: string, flags: WhereFlags) => run('incident', () => runShowIncident(key, flags, deps), setExitCode),
    );
    where(
      program
        .command('report')
        .argument('<key>', 'the incident key')
        .description('Write the post-incident report of an incident: <out>/<key>.md and <out>/<key>.html (self-contained).')
        .option('--out <dir>', 'where to write the two files', '.')
        .option('--containment-target <seconds>', `time to containment from receipt above which the report asks why (default: the stack's ${CONTAINMENT_TARGET_OUTPUT_KEY} output, the alarm's target; else ${(DEFAULT_PHASE_TARGETS.containment ?? 0) / 1000} s)`),
    ).action(async (key: string, flags: WhereFlags & { out: string; containmentTarget?: string }) => run('report', () => runIncidentReport(key, flags, deps), setExitCode));
  };
}

export const registerIncidentCommands: CommandRegistrar = createIncidentCommands();
