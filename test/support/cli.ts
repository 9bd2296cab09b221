/**
 * What the operator-command tests (test/cli) share: a commander run as lib/cli/main.ts makes it,
 * captured output, a fake clock the fake sleep moves, the deployed stack as DescribeStacks answers
 * it, AWS errors by name, and the StartExecution calls a manual playbook command made.
 */
import type { DescribeStacksCommandOutput, Output } from '@aws-sdk/client-cloudformation';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { firebreakProgram } from '../../lib/cli/program';

/** An AWS SDK error as the clients throw it: its `name` is the error code. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/** DescribeStacks' answer for one deployed stack with these outputs. */
export function deployedStackAnswer(outputs: readonly Output[], options: { readonly stackName?: string; readonly status?: string } = {}): Partial<DescribeStacksCommandOutput> {
  return {
    Stacks: [{ StackName: options.stackName ?? 'Firebreak', StackStatus: (options.status ?? 'UPDATE_COMPLETE') as 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [...outputs] }],
  };
}

/** Lines a command printed, and the `out`/`err` dependencies that collect them. */
export interface CapturedOutput {
  readonly out: string[];
  readonly err: string[];
  readonly deps: { readonly out: (line: string) => void; readonly err: (line: string) => void };
}

export function captureOutput(): CapturedOutput {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, deps: { out: (line) => void out.push(line), err: (line) => void err.push(line) } };
}

/** A clock that only the fake sleep moves: a watch never waits for real, and every wait is recorded. */
export interface FakeClock {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly sleeps: number[];
}

export function fakeClock(start: Date): FakeClock {
  let nowMs = start.getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(nowMs),
    sleep: async (ms) => {
      sleeps.push(ms);
      nowMs += ms;
    },
    sleeps,
  };
}

/**
 * Runs `firebreak ARGV` through a fresh commander program as lib/cli/main.ts would (suggestions on,
 * output captured), after `register` added the command; answers the exit status: the highest one
 * the command set, or 2 for a usage error commander refused (0 for --help).
 */
export async function runCommand(register: (program: Command, setExitCode: (code: number) => void) => void, argv: readonly string[], output: CapturedOutput): Promise<number> {
  let code = 0;
  const program = firebreakProgram().configureOutput({ writeOut: (text) => output.out.push(text), writeErr: (text) => output.err.push(text) });
  register(program, (exitCode) => {
    code = Math.max(code, exitCode);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode === 0 ? 0 : 2;
  }
  return code;
}

/**
 * The StartExecution calls made, with each execution input parsed from its JSON (typed as JSON.parse
 * types it unless the test names a type: a test reads the fields it asserts on).
 */
export function startedExecutions<I = ReturnType<typeof JSON.parse>>(sfn: AwsClientStub<SFNClient>): { readonly stateMachineArn?: string; readonly name?: string; readonly input: I }[] {
  return sfn.commandCalls(StartExecutionCommand).map((call) => ({ ...call.args[0].input, input: JSON.parse(call.args[0].input.input ?? 'null') as I }));
}
