/** The `firebreak` command line. Subcommands live in lib/cli/. */
import { runCli } from '../lib/cli/main';

// `firebreak gameday list | head -2`: once the reader has what it wanted and closes the pipe, the
// rest of the output has nowhere to go. That is how a pipeline ends, not a failure of the command,
// so it stops quietly instead of dying on an unhandled 'error' event with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv);
