/**
 * `firebreak credentials release`: after an investigation, undo what disable-access-key or
 * revoke-role-sessions changed for one credential (an IAM user's access key, or a role's revoked
 * sessions). Reads the credential's record from the deployment's state table to learn the incident
 * that changed it (lib/operator/credential-release.ts), then starts the release-credentials
 * playbook, which waits for a person's approval; its step (lib/responders/release-credentials.ts)
 * verifies the sealed record and undoes only what it says Firebreak changed. The command itself
 * never calls IAM. A noun-then-verb command like `firebreak dns unblock`: `firebreak release` is
 * the instance's, with its own flags.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { approveCommand, manualMode, requesterOf } from '../operator/manual-request';
import { callerIdentity } from '../operator/aws';
import type { ReleasedCredential } from '../operator/credential-release';
import {
  CREDENTIAL_RELEASE_PLAYBOOK,
  buildCredentialReleaseRequest,
  chooseIncident,
  credentialReleaseStateMachineOf,
  describeCredential,
  readCredentialRecordSummary,
} from '../operator/credential-release';
import { startManualExecution } from '../operator/release/aws';
import { ReleaseSetupError, releaseExitCodeFor } from '../operator/release/errors';
import { INCIDENT_KEY_PATTERN } from '../operator/release/request';
import { executionLink } from '../responders/console-links';
import type { DnsDependencies } from './dns';
import { DEFAULT_DNS_DEPENDENCIES, stateTableOf } from './dns';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import type { CommandRegistrar } from './registrar';
import { checkFlags } from './release-flags';
import { terminalSafe } from './terminal';

/** The same clients and outside world as `firebreak dns`: STS, CloudFormation, DynamoDB, Step Functions. */
export type CredentialsDependencies = DnsDependencies;

export interface CredentialReleaseFlags {
  readonly accessKey?: string;
  readonly user?: string;
  readonly role?: string;
  readonly account: string;
  readonly region: string;
  readonly reason: string;
  readonly incident?: string;
  readonly dryRun?: boolean;
  readonly stack: string;
  readonly stackRegion?: string;
  readonly json?: boolean;
}

const REGION = z.string().trim().regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'a region such as eu-west-1');
/** IAM user and role names: 1-64 characters of [\w+=,.@-] (IAM's limits). */
const IAM_NAME = z.string().trim().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM name: 1-64 letters, digits or +=,.@_-');
const flagsSchema = z.object({
  // Long-term keys only: a temporary (ASIA) key is stopped by revoking its role's sessions (--role).
  accessKey: z.string().trim().regex(/^AKIA[A-Z0-9]{16}$/, "an IAM user's long-term access key id (AKIA followed by 16 letters or digits)").optional(),
  user: IAM_NAME.optional(),
  role: IAM_NAME.optional(),
  account: z.string().trim().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  region: REGION,
  reason: z.string().trim().min(1, 'some text: why the credential may work again').max(1000, 'at most 1000 characters'),
  incident: z.string().trim().regex(INCIDENT_KEY_PATTERN, 'an incident key: letters, digits, "-" or "_", at most 64').optional(),
  dryRun: z.boolean().optional(),
  stack: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name'),
  stackRegion: REGION.optional(),
  json: z.boolean().optional(),
});
const FLAG_NAMES: Readonly<Record<string, string>> = { accessKey: '--access-key' };

/** The one credential the flags name, or a ReleaseSetupError naming the flags to fix. */
function credentialOf(flags: z.output<typeof flagsSchema>): ReleasedCredential {
  if (flags.role !== undefined) {
    if (flags.accessKey !== undefined || flags.user !== undefined) throw new ReleaseSetupError('--role names a role; --access-key and --user name a key: release one credential at a time');
    return { kind: 'role-sessions', roleName: flags.role };
  }
  if (flags.accessKey === undefined || flags.user === undefined) {
    throw new ReleaseSetupError('name the credential: --access-key AKIA… --user NAME (the key and its user, as the alert names them), or --role NAME');
  }
  return { kind: 'access-key', accessKeyId: flags.accessKey, userName: flags.user };
}

/**
 * Runs `firebreak credentials release`; answers the exit code: 0 started, 2 nothing started because
 * something is missing or refused (a flag, the stack, a credential Firebreak changed nothing on, a
 * record already released or of another incident), 1 AWS refused or failed the start.
 */
export async function runCredentialRelease(flags: CredentialReleaseFlags, deps: CredentialsDependencies = DEFAULT_DNS_DEPENDENCIES): Promise<number> {
  try {
    const checked = checkFlags(flagsSchema, flags, FLAG_NAMES);
    const credential = credentialOf(checked);
    const what = describeCredential(credential);
    const stackRegion = checked.stackRegion ?? checked.region;
    const clients = deps.makeClients(stackRegion);
    const identity = await callerIdentity(clients.sts);
    const { stack, table } = await stateTableOf(clients, checked.stack, stackRegion, identity.account);
    const stateMachineArn = credentialReleaseStateMachineOf(stack, `${stackRegion}/${identity.account}`);
    const summary = await readCredentialRecordSummary(clients.dynamodb, table, checked.account, credential);
    const incidentKey = chooseIncident(what, `${checked.account}/${checked.region}`, summary, checked.incident);
    const { mode, notice } = manualMode(checked.dryRun, stack.mode, stack.stackName, { run: 'the release', would: 'undo' });
    if (notice) deps.err(notice);
    const request = buildCredentialReleaseRequest({
      credential,
      account: checked.account,
      region: checked.region,
      incidentKey,
      mode,
      requestedBy: requesterOf(identity),
      reason: checked.reason,
      at: deps.now(),
    });
    const started = await startManualExecution(clients.sfn, stateMachineArn, request, { name: 'credential release', asked: 'a release of this credential' });
    const approve = approveCommand(started.executionArn);
    if (checked.json) {
      deps.out(JSON.stringify({ credential, account: checked.account, region: checked.region, incidentKey, mode, requestedBy: request.input.requestedBy, executionName: request.executionName, executionArn: started.executionArn, approve }, null, 2));
      return 0;
    }
    deps.out(`Releasing ${what} in ${checked.account}/${checked.region} (incident ${incidentKey}, mode ${mode}) as ${request.input.requestedBy}: started ${CREDENTIAL_RELEASE_PLAYBOOK}.`);
    deps.out(`Started: ${started.executionArn}`);
    deps.out(`It waits for approval: \`${approve}\` (or reject --reason "..."); nothing is undone before, and only what Firebreak's sealed record says it changed.`);
    const link = executionLink(started.executionArn);
    if (link) deps.out(`Console: ${link}`);
    return 0;
  } catch (error) {
    deps.err(`firebreak credentials release: ${error instanceof Error ? error.message : String(error)}`);
    return releaseExitCodeFor(error);
  }
}

const HELP_AFTER = `
What it does: starts the ${CREDENTIAL_RELEASE_PLAYBOOK} playbook for one credential. After a person
approves, its step re-activates the access key only if Firebreak deactivated it (a key that was
already Inactive stays so), detaches AWSDenyAll only if Firebreak attached it, and deletes the
revoke-sessions deny on a role only when it is still the one Firebreak wrote and every session it
denies has expired (12 hours after its cut-off). Each change is undone from the sealed record the
containing step wrote; without one, nothing changes.

Exit status: 0 started; 1 Step Functions refused the start; 2 nothing was started because something
is missing or wrong (a flag, credentials, the stack, no record of a change, a record already released).

Examples:
  npx firebreak credentials release --access-key AKIAQ3EGRW6JCEXAMPLE --user ci-deployer \\
    --account 111122223333 --region eu-west-1 --reason "INC-4711: key rotated, CloudTrail reviewed"
  npx firebreak credentials release --role ci-deploy-role --account 111122223333 --region eu-west-1 \\
    --reason "INC-4711: sessions expired, trust policy tightened" --dry-run --json
`;

/** `firebreak credentials`, with injectable dependencies for tests. */
export function createCredentialsCommands(overrides: Partial<CredentialsDependencies> = {}): CommandRegistrar {
  const deps: CredentialsDependencies = terminalSafe({ ...DEFAULT_DNS_DEPENDENCIES, ...overrides });
  return (program: Command, setExitCode) => {
    const credentials = program.command('credentials').description("IAM credentials Firebreak contained (disable-access-key, revoke-role-sessions).");
    credentials
      .command('release')
      .description('Undo what Firebreak changed on one credential, from its sealed record: starts the release-credentials playbook, which waits for approval.')
      .option('--access-key <id>', "the IAM user's access key (AKIA…) Firebreak set Inactive")
      .option('--user <name>', 'the IAM user whose key it is')
      .option('--role <name>', 'the role whose sessions Firebreak revoked (instead of --access-key/--user)')
      .requiredOption('--account <id>', 'the account of the credential')
      .requiredOption('--region <region>', 'the region of the incident')
      .requiredOption('--reason <text>', 'why the credential may work again, for the incident record')
      .option('--incident <key>', 'the incident whose change is undone (default: the one the record names)')
      .option('--dry-run', 'only report what would be undone; change nothing')
      .option('--stack <name>', 'name of the deployed Firebreak stack', DEFAULT_STACK_NAME)
      .option('--stack-region <region>', 'region of the Firebreak stack when it is not --region')
      .option('--json', 'print one JSON document')
      .addHelpText('after', HELP_AFTER)
      .action(async (flags: CredentialReleaseFlags) => {
        setExitCode(await runCredentialRelease(flags, deps));
      });
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak credentials`. */
export const registerCredentialsCommands: CommandRegistrar = createCredentialsCommands();
