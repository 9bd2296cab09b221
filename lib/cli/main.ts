/**
 * Entry point of the `firebreak` command. Each area registers its subcommands here
 * (validate/simulate: lib/cli/playbooks.ts; gameday: lib/cli/gameday.ts; approvals: lib/cli/approvals.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { registerApprovalCommands } from './approvals';
import { registerDnsCommands } from './dns';
import { registerCredentialsCommands } from './credentials';
import { registerGameDayCommands } from './gameday';
import { registerIncidentCommands } from './incidents';
import { registerPauseCommands } from './pause';
import { registerPlaybookCommands } from './playbooks';
import { addHelpCommand, firebreakProgram } from './program';
import { registerReleaseCommands } from './release';
import type { CommandRegistrar } from './registrar';
import { terminalLine } from '../responders/untrusted-text';
import { PROJECT_ROOT } from '../stack/package-root';

// Each area adds its registrar here (one import + one entry).
const registrars: CommandRegistrar[] = [
  registerApprovalCommands,
  registerDnsCommands,
  registerCredentialsCommands,
  registerGameDayCommands,
  registerIncidentCommands,
  registerPauseCommands,
  registerPlaybookCommands,
  registerReleaseCommands,
];

/** The version of the checkout or package the command runs from (its package.json). */
function firebreakVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Builds the program with every registered subcommand; exported for tests. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = firebreakProgram().version(firebreakVersion(), '-V, --version', 'print the version of Firebreak');
  for (const register of registrars) register(program, setExitCode);
  addHelpCommand(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code (never calls process.exit itself). */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = Math.max(exitCode, code);
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; a typo in a flag or command, or a missing argument, exits 2 with its message.
      return error.exitCode === 0 ? 0 : 2;
    }
    // On one line (`terminalLine`, as every command's diagnostics: lib/cli/terminal.ts): the message
    // can quote an AWS error text, whose line feed would print a line of its own.
    console.error(terminalLine(`firebreak: ${error instanceof Error ? error.message : String(error)}`));
    return 2;
  }
  return exitCode;
}
