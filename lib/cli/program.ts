/**
 * The commander program every `firebreak` command hangs from, with the usage errors a new user
 * meets said in the right order. Commander checks required options before it looks for unknown
 * ones, so `firebreak simulate --evnet FILE` was refused with "required option '--event <file>'
 * not specified", hiding the typo that caused it. Here an unknown option is reported first, by
 * name, with the nearest option of the command (`did you mean --event?`, the same nearest-name
 * rule as the playbooks' did-you-mean), and only then a required option that is still missing.
 * A flag given with its own `--no-` form (`--reports DIR --no-reports`) is refused naming both:
 * commander would let the last one win without a word.
 */
import type { Option } from 'commander';
import { Command } from 'commander';
import { closestName } from '../playbooks/errors';

// Options declared with requiredOption(), checked after the unknown ones (see addOption).
const requiredAfterParsing = new WeakMap<Command, Option[]>();

// The options given on the command line of each command, in the order given (see addOption).
const givenOnCommandLine = new WeakMap<Command, Option[]>();

/**
 * The first option given together with its opposite (`--reports <dir>` and `--no-reports`), as a
 * pair [positive, negative]. Commander's `conflicts()` cannot say so: both forms set the same value,
 * so it only ever sees the one given last.
 */
function contradictoryPair(given: readonly Option[]): [Option, Option] | undefined {
  for (const negative of given.filter((option) => option.negate)) {
    const positive = given.find((option) => !option.negate && option.attributeName() === negative.attributeName());
    if (positive) return [positive, negative];
  }
  return undefined;
}

/** The long flags (`--event`) an option of `command` can be given by, its parents' included. */
function longFlagsOf(command: Command): string[] {
  const flags: string[] = [];
  for (let current: Command | null = command; current !== null; current = current.parent) {
    for (const option of current.createHelp().visibleOptions(current)) if (option.long !== undefined) flags.push(option.long);
  }
  return flags;
}

/** ` (did you mean --event?)` for a near miss of one of the command's long flags, else ''. */
export function optionSuggestion(flag: string, command: Command): string {
  if (!flag.startsWith('--')) return '';
  const names = longFlagsOf(command).map((long) => long.slice(2));
  const nearest = closestName(flag.slice(2), names);
  return nearest === undefined ? '' : ` (did you mean --${nearest}?)`;
}

/** A commander `Command` whose subcommands are `FirebreakCommand`s too (commander's `createCommand`). */
export class FirebreakCommand extends Command {
  constructor(name?: string) {
    super(name);
    // Runs after commander has refused unknown options and checked the arguments, before the action.
    this.hook('preAction', (hooked) => {
      const pair = contradictoryPair(givenOnCommandLine.get(hooked) ?? []);
      if (pair) {
        // Commander's own wording for options that conflict.
        hooked.error(`error: option '${pair[0].flags}' cannot be used with option '${pair[1].flags}'`, { code: 'commander.conflictingOption' });
      }
      for (const option of requiredAfterParsing.get(hooked) ?? []) {
        if (hooked.getOptionValue(option.attributeName()) === undefined) {
          hooked.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
        }
      }
    });
  }

  override createCommand(name?: string): FirebreakCommand {
    return new FirebreakCommand(name);
  }

  /**
   * Takes over the required-option check of `requiredOption()`, so that it comes after the
   * unknown-option check, and notes each option given, for the check of contradictory flags.
   */
  override addOption(option: Option): this {
    if (option.mandatory) {
      option.makeOptionMandatory(false);
      requiredAfterParsing.set(this, [...(requiredAfterParsing.get(this) ?? []), option]);
    }
    super.addOption(option);
    // Commander emits `option:<name>` for each option it reads from the command line (never for a default).
    this.on(`option:${option.name()}`, () => {
      givenOnCommandLine.set(this, [...(givenOnCommandLine.get(this) ?? []), option]);
    });
    return this;
  }

  /**
   * Commander calls this for the first option the command does not know (no Firebreak command
   * allows unknown options). `--evnet=FILE` is named without its value.
   */
  unknownOption(flag: string): never {
    const name = flag.split('=')[0] ?? flag;
    this.error(`error: unknown option '${name}'${optionSuggestion(name, this)}`, { code: 'commander.unknownOption' });
  }
}

/** The full name of a command below the program: `gameday run`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * Adds `help [command...]`, which replaces commander's own help command: that one looks up a single
 * name, so `firebreak help gameday run` printed the help of `gameday`. This one walks every name
 * given and prints the deepest command's help (the text of its --help); an unknown name exits 2.
 * Added last, so that it is listed last, where commander lists its own.
 */
export function addHelpCommand(program: Command): void {
  program
    .command('help')
    .description('display help for a command (firebreak help gameday run)')
    .argument('[command...]', 'the command and its subcommands')
    .action((names: string[]) => {
      let command = program;
      for (const name of names) {
        const sub = command.commands.find((candidate) => candidate.name() === name || candidate.aliases().includes(name));
        if (!sub) {
          const nearest = closestName(name, command.commands.map((candidate) => candidate.name()).filter((candidate) => candidate !== 'help'));
          const within = (last: string) => [commandPath(command), last].filter((part) => part !== '').join(' ');
          program.error(`error: unknown command '${within(name)}'${nearest === undefined ? '' : ` (did you mean '${within(nearest)}'?)`}`, { code: 'commander.unknownCommand' });
        }
        command = sub;
      }
      command.outputHelp();
    });
}

/** The `firebreak` program, before any subcommand is added; lib/cli/main.ts and the CLI tests build on it. */
export function firebreakProgram(): FirebreakCommand {
  return new FirebreakCommand('firebreak')
    .description('Automated incident response for AWS: playbooks, simulation and game days.')
    .showSuggestionAfterError(true)
    .exitOverride();
}
