/**
 * `firebreak release`: after an investigation, start the release playbook
 * (playbooks/release-instance.yaml) for one quarantined instance. Its release-instance responder
 * reads the pre-quarantine record from the state table, puts the instance back exactly as recorded
 * (groups per ENI, instance profile, protections, Firebreak's tags) and marks the record released;
 * the execution's input keeps who asked and why, for the incident timeline.
 *
 * The playbook runs where Firebreak is deployed (the security account), and the responder acts in
 * the instance's account through the member role, as for a quarantine. Every AWS client is made by
 * an injected factory, so tests drive the whole command with mocked clients and a fake clock.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { z } from 'zod';
import { callerIdentity, describeStack } from '../operator/aws';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import { LiveSetupError } from '../operator/errors';
import { describeInstanceToRelease, readRecordedQuarantine, startManualExecution, watchReleaseExecution } from '../operator/release/aws';
import { ReleaseSetupError, releaseExitCodeFor } from '../operator/release/errors';
import type { ReleaseStateMachine } from '../operator/release/request';
import {
  INCIDENT_TAG,
  INSTANCE_ID_PATTERN,
  RELEASE_OUTPUT_KEY,
  RELEASE_PLAYBOOK,
  buildReleaseRequest,
  checkReleasableInstanceId,
  incidentKeyFromTags,
  otherClaimsNotice,
  releaseIncidentOf,
  releaseStateMachineOf,
} from '../operator/release/request';
import { formatReleaseOutcome, releaseOutcomesOf } from '../operator/release/result';
import { awsErrorCode, isAccessDeniedAwsError } from '../aws/errors';
import { executionLink, regionOfArn } from '../responders/console-links';
import { approveCommand, manualMode, requesterOf } from '../operator/manual-request';
import type { CommandRegistrar } from './registrar';
import { runS3ObjectRelease } from './release-s3-object';
import { RELEASE_COMMON_FLAGS, checkFlags } from './release-flags';
import type { ReleaseFlags } from './release-flags';
import { terminalSafe } from './terminal';
import { terminalLine } from '../responders/untrusted-text';
import { stateTableOutput } from '../operator/stack';

/** The SDK clients of one region. */
export interface ReleaseClients {
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly ec2: EC2Client;
  readonly sfn: SFNClient;
  /** For `--bucket/--key` (the object's incident tag); made on demand when absent. */
  readonly s3?: S3Client;
  /** For the instance's pre-quarantine record in the state table; made on demand when absent. */
  readonly dynamodb?: DynamoDBClient;
}

/** What the command needs from the outside world; tests replace every part. */
export interface ReleaseDependencies {
  /** Clients for a region; without one, the SDK's default chain (AWS_REGION, the profile). */
  readonly makeClients: (region?: string) => ReleaseClients;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The flags, as commander hands them over (one set for an instance and an S3 object). */
export type { ReleaseFlags } from './release-flags';

/** Default --timeout of --watch: a release is a handful of EC2 calls, but the responder retries throttling with backoff. */
export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 600;
/** Between two DescribeExecution calls while watching (well under the API's throttling bucket). */
export const WATCH_INTERVAL_MS = 2000;

/** Real SDK clients, created only when the command runs. */
export function defaultReleaseClients(region?: string): ReleaseClients {
  const config = region ? { region } : {};
  return {
    sts: new STSClient(config),
    cloudFormation: new CloudFormationClient(config),
    ec2: new EC2Client(config),
    sfn: new SFNClient(config),
    s3: new S3Client(config),
    dynamodb: new DynamoDBClient(config),
  };
}

export const DEFAULT_RELEASE_DEPENDENCIES: ReleaseDependencies = {
  makeClients: defaultReleaseClients,
  now: () => new Date(),
  sleep: async (ms) => {
    await delay(ms);
  },
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

const flagsSchema = z.object({
  instance: z.string({ error: 'what to release: --instance i-… (or --bucket NAME --key KEY for an S3 object)' }).trim().regex(INSTANCE_ID_PATTERN, 'an EC2 instance id such as i-0123456789abcdef0'),
  ...RELEASE_COMMON_FLAGS,
});
type CheckedFlags = z.output<typeof flagsSchema>;

/** Checks the flags before any AWS call: every problem is a ReleaseSetupError naming its flag. */
export function checkReleaseFlags(flags: ReleaseFlags): CheckedFlags {
  const checked = checkFlags(flagsSchema, flags);
  checkReleasableInstanceId(checked.instance);
  return checked;
}

/** The region to work in: --region, else the SDK's (AWS_REGION, the profile), else a ReleaseSetupError. */
async function resolveInstanceRegion(flag: string | undefined, clients: ReleaseClients): Promise<string> {
  if (flag) return flag;
  try {
    const configured = await clients.sts.config.region();
    if (configured) return configured;
  } catch (error) {
    if (!/region is missing/i.test(error instanceof Error ? error.message : String(error))) throw error;
  }
  throw new ReleaseSetupError("no AWS region: pass --region (the instance's region) or set AWS_REGION");
}

/** Clients made once per region for the whole run. */
function clientsByRegion(make: (region?: string) => ReleaseClients): (region: string) => ReleaseClients {
  const made = new Map<string, ReleaseClients>();
  return (wanted) => {
    const existing = made.get(wanted);
    if (existing) return existing;
    const clients = make(wanted);
    made.set(wanted, clients);
    return clients;
  };
}

interface Target {
  readonly stateMachine: ReleaseStateMachine;
  /** The deployment's mode (the stack's Mode output), when the stack was read. */
  readonly deployedMode?: string;
  /** The state table (the stack's StateTableName output) and its region, when the stack was read and names it. */
  readonly stateTable?: { readonly name: string; readonly region: string };
}

/** The release state machine: --state-machine-arn, else the deployed stack's output. */
async function findReleaseStateMachine(flags: CheckedFlags, clientsIn: (region: string) => ReleaseClients, instanceRegion: string, account: string): Promise<Target> {
  if (flags.stateMachineArn) return { stateMachine: { stateMachineArn: flags.stateMachineArn, from: '--state-machine-arn' } };
  const stackRegion = flags.stackRegion ?? instanceRegion;
  const where = { region: stackRegion, account };
  let stack;
  try {
    stack = await describeStack(clientsIn(stackRegion).cloudFormation, flags.stack, where);
  } catch (error) {
    if (!(error instanceof LiveSetupError)) throw error;
    throw new ReleaseSetupError(
      `${error.message}${stackRegion === instanceRegion ? ' (pass --stack-region when Firebreak is deployed in another region than the instance)' : ''}; or pass --state-machine-arn ARN of the release state machine`,
      { cause: error },
    );
  }
  const stateMachine = releaseStateMachineOf(stack, `${stackRegion}/${account}`);
  const table = stateTableOutput(stack.outputs);
  return { stateMachine, ...(stack.mode ? { deployedMode: stack.mode } : {}), ...(table ? { stateTable: { name: table, region: stackRegion } } : {}) };
}

/**
 * The instance's pre-quarantine record as the state table holds it, when the stack names the table
 * and the caller may read it; else undefined, and the incident key comes from --incident or the
 * instance's tag (the release step refuses it all the same if it is not the record's).
 */
async function readRecord(target: Target, clientsIn: (region: string) => ReleaseClients, where: { account: string; region: string }, instanceId: string, deps: ReleaseDependencies) {
  if (!target.stateTable) return undefined;
  const { name, region } = target.stateTable;
  const dynamodb = clientsIn(region).dynamodb ?? new DynamoDBClient({ region });
  try {
    return await readRecordedQuarantine(dynamodb, name, where, instanceId);
  } catch (error) {
    if (!isAccessDeniedAwsError(error)) throw error;
    deps.err(
      `Not allowed to read the pre-quarantine record of ${instanceId} in table ${name} (dynamodb:GetItem ${awsErrorCode(error) ?? 'AccessDenied'}): the incident key comes from --incident or the instance's ${INCIDENT_TAG} tag, and the release step refuses it if it is not the record's.`,
    );
    return undefined;
  }
}

/** Runs `firebreak release` and resolves to its exit status (never calls process.exit). */
export async function runRelease(flags: ReleaseFlags, deps: ReleaseDependencies = DEFAULT_RELEASE_DEPENDENCIES): Promise<number> {
  try {
    const checked = checkReleaseFlags(flags);
    const instanceId = checked.instance;
    const clientsIn = clientsByRegion(deps.makeClients);
    const instanceRegion = await resolveInstanceRegion(checked.region, checked.region ? clientsIn(checked.region) : deps.makeClients());
    const identity = await callerIdentity(clientsIn(instanceRegion).sts);
    const account = checked.account ?? identity.account;

    const target = await findReleaseStateMachine(checked, clientsIn, instanceRegion, identity.account);
    const stateMachineArn = target.stateMachine.stateMachineArn;
    const { mode, notice } = manualMode(checked.dryRun, target.deployedMode, checked.stack, { run: 'the release', would: 'restore' });
    if (notice) deps.err(notice);

    // The record's incident, when the state table can be read: the tag is a claim anyone who may tag the instance can change.
    const recorded = await readRecord(target, clientsIn, { account, region: instanceRegion }, instanceId, deps);
    let incidentKey = releaseIncidentOf(instanceId, recorded, checked.incident);
    let tags: Readonly<Record<string, string>> | undefined;
    if (incidentKey === undefined) {
      if (account !== identity.account) {
        throw new ReleaseSetupError(
          `${instanceId} is in account ${account}, but your credentials are for ${identity.account}: the incident key is read from the instance's ${INCIDENT_TAG} tag, which needs credentials that can describe the instance; pass --incident KEY (the key is in the quarantine alert) and run with credentials for the Firebreak stack`,
        );
      }
      const instance = await describeInstanceToRelease(clientsIn(instanceRegion).ec2, instanceId, { region: instanceRegion, account });
      tags = instance.tags;
      incidentKey = incidentKeyFromTags(instanceId, instance.tags);
      if (instance.state === 'terminated' || instance.state === 'shutting-down') {
        deps.err(`${instanceId} is ${instance.state}: the release playbook will record that there is nothing to release.`);
      }
    }

    const request = buildReleaseRequest({
      instanceId,
      account,
      region: instanceRegion,
      incidentKey,
      mode,
      requestedBy: requesterOf(identity),
      ...(checked.reason ? { reason: checked.reason } : {}),
      at: deps.now(),
      ...(tags ? { tags } : {}),
    });
    deps.out(
      `Releasing ${instanceId} in ${account}/${instanceRegion} (incident ${incidentKey}, mode ${mode}) as ${request.input.requestedBy}: starting ${stateMachineArn} (from ${target.stateMachine.from}) as ${request.executionName}.`,
    );
    const sfnRegion = regionOfArn(stateMachineArn) ?? instanceRegion;
    const sfn = clientsIn(sfnRegion).sfn;
    const started = await startManualExecution(sfn, stateMachineArn, request);
    deps.out(`Started: ${started.executionArn}`);
    // Several incidents may hold the instance: the approver and the requester should know that this release restores nothing.
    const others = otherClaimsNotice(instanceId, recorded, incidentKey);
    if (others !== undefined) deps.out(others);
    // The release playbook is guarded: nothing is restored until a person approves it (issue 8).
    deps.out(
      `It waits for approval: \`${approveCommand(started.executionArn)}\` (or reject --reason "..."); the approver, not the requester, is recorded as the releaser.`,
    );
    const link = executionLink(started.executionArn);
    if (link) deps.out(`Console: ${link}`);
    if (!checked.watch) {
      deps.out(`Not watching: rerun with --watch, or follow it with \`aws stepfunctions describe-execution --execution-arn ${started.executionArn} --region ${sfnRegion}\`.`);
      return 0;
    }
    return await watch(deps, sfn, started.executionArn, sfnRegion, checked.timeout);
  } catch (error) {
    deps.err(`firebreak release: ${error instanceof Error ? error.message : String(error)}`);
    return releaseExitCodeFor(error);
  }
}

async function watch(deps: ReleaseDependencies, sfn: SFNClient, executionArn: string, sfnRegion: string, timeoutSeconds: number): Promise<number> {
  deps.out(`Watching the release (timeout ${timeoutSeconds} s; Ctrl-C stops watching, not the release).`);
  const watched = await watchReleaseExecution(sfn, executionArn, {
    now: deps.now,
    sleep: deps.sleep,
    timeoutMs: timeoutSeconds * 1000,
    intervalMs: WATCH_INTERVAL_MS,
  });
  if (watched.kind === 'timed-out') {
    deps.err(
      `Timed out after ${timeoutSeconds} s; the release is still running in AWS: \`aws stepfunctions describe-execution --execution-arn ${executionArn} --region ${sfnRegion}\`.`,
    );
    return 1;
  }
  deps.out(`The release execution ended ${watched.status}.`);
  const outcomes = watched.status === 'SUCCEEDED' ? releaseOutcomesOf(watched.output) : [];
  for (const outcome of outcomes) for (const line of formatReleaseOutcome(outcome)) deps.out(line);
  if (watched.status === 'SUCCEEDED') {
    // A refused release changed nothing: the instance stays quarantined, and the exit status says so.
    if (outcomes.some((outcome) => outcome.status === 'refused')) return 1;
    if (outcomes.length === 0) deps.out(`Its output holds no ${RELEASE_PLAYBOOK} result: see the execution in the console for what the playbook did.`);
    return 0;
  }
  // On one line: a cause can quote a tag or an error text, whose line feeds would print lines of their own.
  const cause = watched.cause ? `: ${terminalLine(watched.cause.length > 1000 ? `${watched.cause.slice(0, 1000)}…` : watched.cause)}` : '';
  deps.err(`The release did not succeed (${watched.status}${watched.error ? `, ${watched.error}` : ''})${cause}. The playbook alerted its failure; see the execution for which step failed.`);
  return 1;
}

const HELP_AFTER = `
What it does: starts the release playbook (${RELEASE_PLAYBOOK}) of the deployed stack for one
instance. The responder restores exactly the state recorded before quarantine (security groups
of each ENI, instance profile, termination protection, shutdown behaviour, DeleteOnTermination,
Firebreak's tags), tags the instance firebreak:status=released and marks the record released.
Without a record it changes nothing.

Several incidents can hold one instance quarantined (two findings on it are two incidents): each
release takes back only its own incident's claim, and the instance is restored only by the release
of the last incident holding it; until then the release answers claim-released and names the
incidents that still hold it (the command says so before it starts).

The incident key comes from the instance's pre-quarantine record in the stack's state table
(dynamodb:GetItem; --incident must then name an incident that holds it, and is needed when several
do and the record's own incident is not one of them), else from --incident, else from
the instance's ${INCIDENT_TAG} tag (read with your credentials: for an instance in another
account, pass --incident). The release step refuses any incident that is not the record's. The
state machine comes from --state-machine-arn, else from the stack output ${RELEASE_OUTPUT_KEY} (or
the per-playbook output of ${RELEASE_PLAYBOOK}) of --stack in --stack-region (default: --region).

Exit status: 0 started (with --watch: the release execution SUCCEEDED); 1 Step Functions refused
the start, the execution did not succeed, or --timeout passed; 2 nothing was started because
something is missing or wrong (a flag, credentials, region, stack or output, incident key).

With --bucket NAME --key KEY [--version-id V] instead of --instance: starts the release-s3-object
playbook for an S3 object Firebreak tagged infected (a false positive). After approval its step takes
Firebreak's tags (firebreak:malware-scan, firebreak:incident) off and keeps the owner's; the quarantine
copy stays as evidence. The incident key comes from --incident, else from the object's
firebreak:incident tag (s3:GetObjectTagging with your credentials); the state machine from
--state-machine-arn, else the stack's per-playbook output of release-s3-object. --json prints the
start (and, with --watch, the outcome) as one JSON document.

Examples:
  npx firebreak release --bucket acme-uploads --key "incoming/invoice-4471.pdf" --region eu-west-1 \\
    --reason "INC-4712: EICAR test file from the QA team" --watch
  npx firebreak release --instance i-0123456789abcdef0 --region eu-west-1 --dry-run --watch
  npx firebreak release --instance i-0123456789abcdef0 --account 111122223333 --region eu-west-1 \\
    --incident gd-6ac3f0e9a1b2 --reason "INC-4711: credentials rotated, image rebuilt" --watch
`;

/** Builds the release registrar over injected dependencies (tests pass mocked clients and a fake clock). */
export function createReleaseCommand(overrides: Partial<ReleaseDependencies> = {}): CommandRegistrar {
  const deps: ReleaseDependencies = terminalSafe({ ...DEFAULT_RELEASE_DEPENDENCIES, ...overrides });
  return (program: Command, setExitCode) => {
    program
      .command('release')
      .description('After an investigation, restore a quarantined instance to its recorded pre-quarantine state (through the release playbook), or take Firebreak\'s infected tags off an S3 object (--bucket/--key, through release-s3-object).')
      .option('--instance <id>', 'the quarantined instance (i-…)')
      .option('--bucket <name>', 'or: the bucket of an S3 object Firebreak tagged infected (with --key)')
      .option('--key <key>', 'the object key, exactly (with --bucket)')
      .option('--version-id <id>', 'the object version (versioned buckets; default: the current version)')
      .option('--account <id>', "the instance's or bucket's account (default: the account of your credentials)")
      .option('--region <region>', "the instance's or bucket's region (default: AWS_REGION / profile)")
      .option('--stack <name>', 'name of the deployed Firebreak stack', DEFAULT_STACK_NAME)
      .option('--stack-region <region>', 'region of the Firebreak stack when it is not the instance\'s (default: --region)')
      .option('--state-machine-arn <arn>', 'the release state machine, instead of reading the stack outputs')
      .option('--incident <key>', `the incident that quarantined it (default: the instance's ${INCIDENT_TAG} tag)`)
      .option('--dry-run', 'only report what the release would restore; change nothing')
      .option('--watch', 'follow the release until it ends and print what was restored')
      .option('--timeout <seconds>', 'how long --watch follows before giving up', String(DEFAULT_RELEASE_TIMEOUT_SECONDS))
      .option('--reason <text>', 'why the instance (or object) may go back into service, for the incident timeline')
      .option('--json', 'with --bucket/--key: print one JSON document')
      .addHelpText('after', HELP_AFTER)
      .action(async (flags: ReleaseFlags) => {
        const objectFlags = flags.bucket !== undefined || flags.key !== undefined || flags.versionId !== undefined || flags.json !== undefined;
        setExitCode(objectFlags ? await runS3ObjectRelease(flags, { ...deps, watchIntervalMs: WATCH_INTERVAL_MS }) : await runRelease(flags, deps));
      });
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak release`. */
export const registerReleaseCommands: CommandRegistrar = createReleaseCommand();
