/**
 * `firebreak approve` and `firebreak reject`: the commands. What they send, and how, is the
 * operator's (lib/operator/approvals.ts).
 */
import type { Command } from 'commander';
import { APPROVAL_REJECTED_ERROR } from '../contracts/errors';
import { APPROVAL_URL_OUTPUT_KEY } from '../responders/approval';
import type { ApprovalCliDependencies, ApprovalFlags } from '../operator/approvals';
import { ApprovalRefusedError, ApprovalSetupError, DEFAULT_APPROVAL_CLI_DEPENDENCIES, answer, answerBody, describeShownRequest, exitCodeFor, showRequest, shownRequestId } from '../operator/approvals';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import type { CommandRegistrar } from './registrar';
import { terminalSafe } from './terminal';

const HELP_AFTER = `
The alert of a waiting playbook names its execution ARN and these commands. The command first
asks the approval function what waits there and shows it (playbook, waiting steps, the incident
and its target as the execution itself carries them, who asked and when it expires), then asks
you to confirm; --yes answers without asking (required when standard input is not a terminal).
After your yes it asks again, and sends nothing if the request changed meanwhile (answered by
someone else, ended, or replaced by another). The answer names the request shown (its requestId):
the approval function refuses it if another request is stored by the time it arrives, and refuses
an answer that names none. Nothing is sent for an execution that no longer waits. Your answer is sent,
signed with your AWS credentials (SigV4), to the deployment's approval function (stack output
${APPROVAL_URL_OUTPUT_KEY}); AWS authenticates you and the function records your identity, then
resumes the playbook. One answer only; the instance under investigation cannot answer for itself.
Your identity needs the stack's ApproverPolicy and, when the deployment lists its approvers
(approverArns), to be one of them or a session of a listed role.

Exit status: 0 answered; 1 refused (by AWS or the approval function: already answered, timed out,
not allowed); 2 nothing was sent (a flag, credentials, the stack output, not confirmed).
`;

/** The two commands: what each decides, says and takes as its note. */
const COMMANDS = [
  { decision: 'approve', description: 'Approve a playbook waiting for approval (by its execution ARN): its waiting steps run.', note: '--comment <text>' },
  { decision: 'reject', description: 'Reject a playbook waiting for approval (by its execution ARN): its waiting steps do not run.', note: '--reason <text>' },
] as const;

/** Builds the approve/reject registrar over injected dependencies (tests pass theirs). */
export function createApprovalCommands(overrides: Partial<ApprovalCliDependencies> = {}): CommandRegistrar {
  const deps: ApprovalCliDependencies = terminalSafe({ ...DEFAULT_APPROVAL_CLI_DEPENDENCIES, ...overrides });
  const run = async (decision: 'approve' | 'reject', flags: ApprovalFlags, setExitCode: (code: number) => void) => {
    try {
      answerBody(decision, flags);
      // What waits, as the approval function and the execution say, before anything is answered:
      // the ARN pasted from an alert is checked against the target it names.
      const shown = await showRequest(flags, deps);
      for (const line of describeShownRequest(flags.execution, shown)) deps.out(line);
      if (shown.request.status !== 'RUNNING') throw new ApprovalRefusedError(`nothing was sent: ${shown.message}`);
      // Past its deadline the execution runs its timeout path: a new answer would change nothing, and
      // the function refuses it (one already recorded in time may still be sent again, below).
      if (shown.request.timedOut === true && shown.request.decision === undefined) throw new ApprovalRefusedError(`nothing was sent: ${shown.message}`);
      // The answer names the request shown: an approval function that names none is not asked about it.
      const requestId = shownRequestId(flags.execution, shown);
      // An answer already recorded is not asked about: the function sends it again only for its
      // own approver with the same answer (a delivery that failed) and refuses anything else.
      if (shown.request.decision === undefined && flags.yes !== true) {
        if (!deps.interactive) {
          throw new ApprovalSetupError('nothing was sent: standard input is not a terminal, so nobody can confirm the request shown above; pass --yes to answer without confirming');
        }
        if (!(await deps.confirm(`${decision === 'approve' ? 'Approve' : 'Reject'} this request? [y/N] `))) throw new ApprovalSetupError('nothing was sent: not confirmed');
        // A person takes seconds or minutes to say yes; meanwhile the request shown may have ended and
        // the execution wait on another (other steps, other notes), or someone else answered it. The
        // yes is for what was shown: asked again, anything else is answered nothing. A request stored
        // again in the last moment, between this look and the answer, the function refuses: the
        // answer names the request shown (requestId).
        const now = await showRequest(flags, deps);
        if (JSON.stringify(now.request) !== JSON.stringify(shown.request)) {
          for (const line of describeShownRequest(flags.execution, now)) deps.out(line);
          throw new ApprovalSetupError('nothing was sent: the request changed after it was shown (above: what waits now); run the command again to answer it');
        }
      }
      const outcome = await answer(decision, flags, deps, requestId);
      deps.out(
        outcome.outcome === 'approved'
          ? `Approved by ${outcome.decidedBy} at ${outcome.decidedAt}: the playbook resumes its waiting steps.`
          : `Rejected by ${outcome.decidedBy} at ${outcome.decidedAt}: the playbook takes its rejected path (${APPROVAL_REJECTED_ERROR}).`,
      );
    } catch (error) {
      deps.err(`firebreak ${decision}: ${error instanceof Error ? error.message : String(error)}`);
      setExitCode(exitCodeFor(error));
    }
  };
  return (program: Command, setExitCode) => {
    for (const command of COMMANDS) {
      program
        .command(command.decision)
        .description(command.description)
        .requiredOption('--execution <arn>', 'the execution ARN from the approval alert')
        .option(command.note, 'why, for the incident timeline')
        .option('--stack <name>', 'name of the deployed Firebreak stack (its ApprovalFunctionUrl output)', DEFAULT_STACK_NAME)
        .option('--url <url>', "the approval function's URL, instead of reading the stack output")
        .option('--yes', 'answer without confirming what the request shows (scripts)')
        .addHelpText('after', HELP_AFTER)
        .action(async (flags: ApprovalFlags) => run(command.decision, flags, setExitCode));
    }
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak approve` and `firebreak reject`. */
export const registerApprovalCommands: CommandRegistrar = createApprovalCommands();
