/**
 * `firebreak dns list`: which domains Firebreak's DNS Firewall blocks, where, and for which
 * incidents and instances (lib/operator/dns-blocks.ts). Read from the deployment's state table, in
 * the security account, with the caller's credentials: no call in a member account.
 *
 * `firebreak dns unblock DOMAIN`: reads who claims the domain from the same table, then starts the
 * unblock-dns-domain playbook (lib/operator/dns-unblock.ts) for that claim; the playbook's step, in
 * the member account through the responder role, removes it after a person approves. The command
 * itself never calls Route 53 Resolver.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { z } from 'zod';
import { callerIdentity, describeStack } from '../operator/aws';
import { formatDnsBlocks, listDnsBlocks } from '../operator/dns-blocks';
import { buildDnsUnblockRequest, chooseClaim, dnsUnblockStateMachineOf } from '../operator/dns-unblock';
import { LiveSetupError } from '../operator/errors';
import { startManualExecution, watchReleaseExecution } from '../operator/release/aws';
import { releaseExitCodeFor } from '../operator/release/errors';
import { stepResultsOf } from '../operator/release/result';
import { INCIDENT_KEY_PATTERN } from '../operator/release/request';
import { approveCommand, manualMode, requesterOf } from '../operator/manual-request';
import { DynamoDbDnsBlockStore } from '../responders/dns-block-records';
import { canonicalDomain } from '../responders/dns-domain';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import type { CommandRegistrar } from './registrar';
import { checkFlags } from './release-flags';
import { DEFAULT_RELEASE_TIMEOUT_SECONDS, WATCH_INTERVAL_MS } from './release';
import { RESPONDER_NAMES } from '../contracts/responders';
import { regionOfArn } from '../responders/console-links';
import { setTimeout as delay } from 'node:timers/promises';
import { terminalSafe } from './terminal';
import { spacedField, terminalLine } from '../responders/untrusted-text';
import { STATE_TABLE_OUTPUT_KEY, stateTableOutput } from '../operator/stack';

export interface DnsClients {
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
}

export interface DnsDependencies {
  readonly makeClients: (region?: string) => DnsClients;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
  /** Waits between two DescribeExecution calls of --watch (tests pass a fake). @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DnsListFlags {
  readonly stack: string;
  readonly region?: string;
  readonly json?: boolean;
}

/** Real clients and the console; `firebreak credentials` uses the same (lib/cli/credentials.ts). */
export const DEFAULT_DNS_DEPENDENCIES: DnsDependencies = {
  makeClients: (region) => {
    const config = region ? { region } : {};
    return { sts: new STSClient(config), cloudFormation: new CloudFormationClient(config), dynamodb: new DynamoDBClient(config), sfn: new SFNClient(config) };
  },
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  now: () => new Date(),
};

/** Runs `firebreak dns list`; answers the exit code (0 listed, 2 setup problem, 1 anything else). */
export async function runDnsList(flags: DnsListFlags, deps: DnsDependencies = DEFAULT_DNS_DEPENDENCIES): Promise<number> {
  try {
    const clients = deps.makeClients(flags.region);
    const identity = await callerIdentity(clients.sts);
    const region = flags.region ?? (await clients.cloudFormation.config.region());
    const { stack, table } = await stateTableOf(clients, flags.stack, region, identity.account);
    const entries = await listDnsBlocks(clients.dynamodb, table);
    if (flags.json) deps.out(JSON.stringify({ stack: stack.stackName, region, blocks: entries }, null, 2));
    else for (const line of formatDnsBlocks(entries, stack.stackName)) deps.out(line);
    return 0;
  } catch (error) {
    deps.err(`firebreak dns list: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof LiveSetupError ? 2 : 1;
  }
}

/** The table and the deployed stack the DNS (and credential) commands read. */
export async function stateTableOf(clients: DnsClients, stackName: string, region: string, account: string) {
  const stack = await describeStack(clients.cloudFormation, stackName, { account, region });
  const table = stateTableOutput(stack.outputs);
  if (!table) {
    throw new LiveSetupError(`stack ${stack.stackName} in ${region}/${account} has no ${STATE_TABLE_OUTPUT_KEY} output: redeploy it with \`npx cdk deploy Firebreak\``);
  }
  return { stack, table };
}

export interface DnsUnblockFlags {
  readonly account: string;
  readonly region: string;
  readonly reason: string;
  readonly incident?: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly stack: string;
  readonly stackRegion?: string;
  readonly json?: boolean;
  readonly watch?: boolean;
  readonly timeout?: string;
}

const REGION = z.string().trim().regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'a region such as eu-west-1');
const unblockFlagsSchema = z.object({
  domain: z
    .string()
    .transform(canonicalDomain)
    .pipe(z.string().regex(/^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/, 'a domain name such as c2.example.com')),
  account: z.string().trim().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  region: REGION,
  reason: z.string().trim().min(1, 'some text: why the domain may resolve again').max(1000, 'at most 1000 characters'),
  incident: z.string().trim().regex(INCIDENT_KEY_PATTERN, 'an incident key: letters, digits, "-" or "_", at most 64').optional(),
  force: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  stack: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name'),
  stackRegion: REGION.optional(),
  json: z.boolean().optional(),
  watch: z.boolean().optional(),
  timeout: z.coerce
    .number({ error: 'a whole number of seconds' })
    .int('a whole number of seconds')
    .positive('a whole number of seconds above 0')
    .default(DEFAULT_RELEASE_TIMEOUT_SECONDS),
});
const UNBLOCK_FLAG_NAMES: Readonly<Record<string, string>> = { domain: 'DOMAIN' };

/**
 * Runs `firebreak dns unblock DOMAIN`; answers the exit code: 0 started (with --watch: the execution
 * SUCCEEDED and its unblock step was not refused), 2 nothing started because something is missing or
 * refused (a flag, the stack, a domain no incident blocks, another incident's claim without --force),
 * 1 AWS refused or failed the start, or with --watch the execution did not succeed, its step refused,
 * or --timeout passed (the watch is the release's: lib/operator/release/aws.ts).
 */
export async function runDnsUnblock(domain: string, flags: DnsUnblockFlags, deps: DnsDependencies = DEFAULT_DNS_DEPENDENCIES): Promise<number> {
  try {
    const checked = checkFlags(unblockFlagsSchema, { ...flags, domain }, UNBLOCK_FLAG_NAMES);
    const stackRegion = checked.stackRegion ?? checked.region;
    const clients = deps.makeClients(stackRegion);
    const identity = await callerIdentity(clients.sts);
    const { stack, table } = await stateTableOf(clients, checked.stack, stackRegion, identity.account);
    const stateMachineArn = dnsUnblockStateMachineOf(stack, `${stackRegion}/${identity.account}`);
    const claims = await new DynamoDbDnsBlockStore(clients.dynamodb, table).claimsOf(checked.account, checked.region, checked.domain);
    const { claim, others } = chooseClaim(checked.domain, `${checked.account}/${checked.region}`, claims, checked.incident, checked.force ?? false);
    const { mode, notice } = manualMode(checked.dryRun, stack.mode, stack.stackName, { run: 'the unblock', would: 'remove' });
    if (notice) deps.err(notice);
    const request = buildDnsUnblockRequest({
      domain: checked.domain,
      account: checked.account,
      region: checked.region,
      claim,
      force: others.length > 0,
      mode,
      requestedBy: requesterOf(identity),
      reason: checked.reason,
      at: deps.now(),
    });
    const started = await startManualExecution(clients.sfn, stateMachineArn, request, { name: 'DNS unblock', asked: 'an unblock of this domain' });
    const approve = approveCommand(started.executionArn);
    const summary = { domain: checked.domain, account: checked.account, region: checked.region, claim, forcedPast: others, mode, requestedBy: request.input.requestedBy, executionName: request.executionName, executionArn: started.executionArn, approve };
    if (!checked.json) {
      deps.out(
        `Unblocking ${checked.domain} in ${checked.account}/${checked.region} for incident ${claim.incidentKey} on ${claim.instanceId} (mode ${mode}) as ${request.input.requestedBy}${others.length > 0 ? `, forcing past ${others.map((c) => `incident ${c.incidentKey} on ${c.instanceId}`).join(', ')}` : ''}.`,
      );
      deps.out(`Started: ${started.executionArn}`);
      deps.out(`It waits for approval: \`${approve}\` (or reject --reason "..."); nothing is unblocked before.`);
    }
    if (!checked.watch) {
      if (checked.json) deps.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const sfnRegion = regionOfArn(started.executionArn) ?? stackRegion;
    return await watchUnblock(deps, clients.sfn, started.executionArn, sfnRegion, checked.timeout, checked.json ? summary : undefined);
  } catch (error) {
    deps.err(`firebreak dns unblock: ${error instanceof Error ? error.message : String(error)}`);
    return releaseExitCodeFor(error);
  }
}

/** What the unblock step of a watched execution did (its result in the execution output), as --watch prints it. */
export interface WatchedUnblock {
  readonly step: string;
  readonly status: string;
  readonly domains: readonly { readonly domain: string; readonly incidentKey: string; readonly outcome: string }[];
  readonly refusal?: string;
}

const unblockResultSchema = z.looseObject({
  responder: z.literal(RESPONDER_NAMES.unblockDnsDomains),
  status: z.string(),
  domains: z.array(z.looseObject({ domain: z.string(), incidentKey: z.string(), outcome: z.string() })).default([]),
  refusal: z.string().optional(),
});

/** The unblock step results an execution's output holds (a playbook's output keeps each step's result under results.<step>.result). */
export function unblockOutcomesOf(output: string | undefined): WatchedUnblock[] {
  return stepResultsOf(output, unblockResultSchema).map(({ step, status, domains, refusal }) => ({
    step,
    status,
    domains: domains.map(({ domain, incidentKey, outcome }) => ({ domain, incidentKey, outcome })),
    ...(refusal !== undefined ? { refusal } : {}),
  }));
}

/** Follows a started unblock to its end (the shared release watch), then says what it did. 0: it succeeded and was not refused. */
async function watchUnblock(deps: DnsDependencies, sfn: SFNClient, executionArn: string, sfnRegion: string, timeoutSeconds: number, json: Record<string, unknown> | undefined): Promise<number> {
  if (!json) deps.out(`Watching the DNS unblock (timeout ${timeoutSeconds} s, approval included; Ctrl-C stops watching, not the unblock).`);
  const watched = await watchReleaseExecution(sfn, executionArn, {
    now: deps.now,
    sleep: deps.sleep ?? (async (ms) => void (await delay(ms))),
    timeoutMs: timeoutSeconds * 1000,
    intervalMs: WATCH_INTERVAL_MS,
    what: 'DNS unblock',
  });
  if (watched.kind === 'timed-out') {
    if (json) deps.out(JSON.stringify({ ...json, watched: { status: 'TIMED_OUT_WATCHING', timeoutSeconds } }, null, 2));
    deps.err(`Timed out after ${timeoutSeconds} s; the DNS unblock is still running in AWS (approved yet?): \`aws stepfunctions describe-execution --execution-arn ${executionArn} --region ${sfnRegion}\`.`);
    return 1;
  }
  const outcomes = watched.status === 'SUCCEEDED' ? unblockOutcomesOf(watched.output) : [];
  const refused = outcomes.some((outcome) => outcome.status === 'refused');
  if (json) {
    deps.out(JSON.stringify({ ...json, watched: { status: watched.status, ...(watched.error !== undefined ? { error: watched.error } : {}), ...(watched.cause !== undefined ? { cause: watched.cause } : {}), unblocks: outcomes } }, null, 2));
  } else {
    deps.out(`The DNS unblock execution ended ${watched.status}.`);
    // Each on one line (`terminalLine`): the execution's output is the step's claim, and a line feed in it would print a line of its own;
    // nor may its runs of spaces pad what follows to the start of a screen line, where it reads as a line of its own (row 14i).
    for (const outcome of outcomes) {
      deps.out(terminalLine(`Unblock (step ${spacedField(outcome.step)}): status ${spacedField(outcome.status)}${outcome.refusal !== undefined ? `: ${spacedField(outcome.refusal)}` : ''}`));
      for (const domain of outcome.domains) deps.out(terminalLine(`  ${spacedField(domain.outcome).padEnd(14)} ${spacedField(domain.domain)} (incident ${spacedField(domain.incidentKey)})`));
    }
    if (watched.status === 'SUCCEEDED' && outcomes.length === 0) deps.out('Its output holds no unblock result: see the execution in the console for what the playbook did (a rejected approval ends it without one).');
  }
  if (watched.status === 'SUCCEEDED') return refused ? 1 : 0;
  const cause = watched.cause ? `: ${terminalLine(watched.cause.length > 1000 ? `${watched.cause.slice(0, 1000)}…` : watched.cause)}` : '';
  deps.err(`The DNS unblock did not succeed (${watched.status}${watched.error ? `, ${watched.error}` : ''})${cause}. The playbook alerted its failure; see the execution for which step failed.`);
  return 1;
}

/** `firebreak dns list`, with injectable dependencies for tests. */
export function createDnsCommands(overrides: Partial<DnsDependencies> = {}): CommandRegistrar {
  const deps: DnsDependencies = terminalSafe({ ...DEFAULT_DNS_DEPENDENCIES, ...overrides });
  return (program: Command, setExitCode) => {
    const dns = program.command('dns').description("Firebreak's DNS Firewall blocks (block-dns-domain).");
    dns
      .command('list')
      .description('List the domains Firebreak blocks, per account and region, with the incidents and instances that claim each (read from the state table).')
      .option('--stack <name>', 'name of the deployed Firebreak stack', DEFAULT_STACK_NAME)
      .option('--region <region>', "the stack's region (default: AWS_REGION / profile)")
      .option('--json', 'print one JSON document')
      .action(async (flags: DnsListFlags) => {
        setExitCode(await runDnsList(flags, deps));
      });
    dns
      .command('unblock <domain>')
      .description(
        'Take back one blocked domain (and its subdomains) without releasing the instance: starts the unblock-dns-domain playbook, which waits for approval; refused for a domain no incident blocked, or one another open incident claims unless --force.',
      )
      .requiredOption('--account <id>', 'the account the domain is blocked in')
      .requiredOption('--region <region>', 'the region the domain is blocked in')
      .requiredOption('--reason <text>', 'why the domain may resolve again, for the incident record')
      .option('--incident <key>', 'the incident whose block is taken back (default: the only incident that claims the domain)')
      .option('--force', "also drop the other open incidents' claims on the domain (recorded with you as the requester)")
      .option('--dry-run', 'only report what would be removed; change nothing')
      .option('--stack <name>', 'name of the deployed Firebreak stack', DEFAULT_STACK_NAME)
      .option('--stack-region <region>', "region of the Firebreak stack when it is not the domain's (default: --region)")
      .option('--json', 'print one JSON document')
      .option('--watch', 'follow the unblock (approval included) until it ends and print what was removed')
      .option('--timeout <seconds>', 'how long --watch follows before giving up', String(DEFAULT_RELEASE_TIMEOUT_SECONDS))
      .action(async (domain: string, flags: DnsUnblockFlags) => {
        setExitCode(await runDnsUnblock(domain, flags, deps));
      });
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak dns`. */
export const registerDnsCommands: CommandRegistrar = createDnsCommands();
