/** The `firebreak` command line. Subcommands live in lib/cli/. */
import { runCli } from '../lib/cli/main';

process.exitCode = await runCli(process.argv);
