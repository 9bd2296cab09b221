/**
 * `firebreak pause`, `firebreak resume` and `firebreak status`: the emergency pause of all automated
 * containment. What they send, and how, is the operator's (lib/operator/emergency-pause.ts).
 */
import type { Command } from 'commander';
import { DEFAULT_APPROVAL_CLI_DEPENDENCIES, exitCodeFor } from '../operator/approvals';
import type { PauseCliDependencies, PauseFlags } from '../operator/emergency-pause';
import { pauseBody, sendPauseRequest } from '../operator/emergency-pause';
import { PAUSE_URL_OUTPUT_KEY } from '../responders/pause-control';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import type { CommandRegistrar } from './registrar';
import { terminalSafe } from './terminal';

const HELP_AFTER = `
The emergency pause stops every automated containment within seconds, everywhere an action
happens: while it holds, the containment guard clears containments in dry-run only, and every
responder that contains (quarantine-instance, the DNS, S3 object and credential steps) acts in
dry-run, even for an execution cleared before the pause. Releases still run (firebreak release
frees instances quarantined by mistake), and evidence steps keep running. Alerts say [PAUSED].

The request is signed with your AWS credentials (SigV4) and sent to the deployment's
emergency-pause function (stack output ${PAUSE_URL_OUTPUT_KEY}); AWS authenticates you, the
function records who paused, and announces every pause and resume on the operations topic before
it takes effect. Your identity needs the stack's PauserPolicy (the same policy pauses and resumes).

Exit status: 0 done (or nothing to do); 1 refused (by AWS or the function: already paused, not
allowed); 2 nothing was sent (a flag, credentials, the stack output).
`;

/** Builds the pause/resume/status registrar over injected dependencies (tests pass theirs). */
export function createPauseCommands(overrides: Partial<PauseCliDependencies> = {}): CommandRegistrar {
  const deps: PauseCliDependencies = terminalSafe({ ...DEFAULT_APPROVAL_CLI_DEPENDENCIES, ...overrides });
  const run = async (action: 'pause' | 'resume' | 'status', flags: PauseFlags, setExitCode: (code: number) => void) => {
    try {
      const answer = await sendPauseRequest(pauseBody(action, flags), flags, deps);
      deps.out(answer.message);
    } catch (error) {
      deps.err(`firebreak ${action}: ${error instanceof Error ? error.message : String(error)}`);
      setExitCode(exitCodeFor(error));
    }
  };
  const common = (command: Command) =>
    command
      .option('--stack <name>', `name of the deployed Firebreak stack (its ${PAUSE_URL_OUTPUT_KEY} output)`, DEFAULT_STACK_NAME)
      .option('--url <url>', "the emergency-pause function's URL, instead of reading the stack output")
      .option('--region <region>', 'the region Firebreak is deployed in (default: AWS_REGION)')
      .addHelpText('after', HELP_AFTER);
  return (program: Command, setExitCode) => {
    common(
      program
        .command('pause')
        .description('Pause all automated containment now (dry-run everywhere) until firebreak resume; releases still run.')
        .requiredOption('--reason <text>', 'why (announced on the operations topic and shown in every alert)'),
    ).action(async (flags: PauseFlags) => run('pause', flags, setExitCode));
    common(program.command('resume').description('Lift the emergency pause: automated containment is enforced again.').option('--reason <text>', 'why (announced on the operations topic)')).action(
      async (flags: PauseFlags) => run('resume', flags, setExitCode),
    );
    common(program.command('status').description('Show whether automated containment is paused, by whom, since when and why.')).action(async (flags: PauseFlags) =>
      run('status', flags, setExitCode),
    );
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak pause`, `resume` and `status`. */
export const registerPauseCommands: CommandRegistrar = createPauseCommands();
