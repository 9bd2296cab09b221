/**
 * What each area of the CLI exports for lib/cli/main.ts: a function that adds its subcommands to
 * the program. In a module of its own so that the areas never import main (which imports them).
 */
import type { Command } from 'commander';

export type CommandRegistrar = (program: Command, setExitCode: (code: number) => void) => void;
