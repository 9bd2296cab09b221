/**
 * Usage errors of every `firebreak` command: a misspelt option is named as the misspelling, with
 * the option meant, before any required option is said to be missing (the new-user review:
 * `firebreak simulate --evnet FILE` used to say only that --event was missing).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, runCli } from '../../lib/cli/main';

let stderr: string[];

beforeEach(() => {
  stderr = [];
  const capture = (chunk: string | Uint8Array) => {
    stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation((() => true) as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const run = (...args: string[]) => runCli(['node', 'firebreak', ...args]);
const err = () => stderr.join('');

/** Every subcommand of the program with the words that reach it (`['gameday', 'run']`). */
function everyCommand(command: Command, path: readonly string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((sub) => [{ path: [...path, sub.name()], command: sub }, ...everyCommand(sub, [...path, sub.name()])]);
}

/** The typo of two neighbouring letters swapped in the middle of the name: `--event` → `--evnet`. */
function transposed(long: string): string {
  const name = long.slice(2);
  const middle = Math.floor((name.length - 1) / 2);
  const starts = [...Array(name.length - 1).keys()].sort((a, b) => Number(a < middle) - Number(b < middle) || a - b);
  for (const i of starts) {
    if (name[i] !== name[i + 1]) return `--${name.slice(0, i)}${name[i + 1] ?? ''}${name[i] ?? ''}${name.slice(i + 2)}`;
  }
  throw new Error(`no typo of ${long}`);
}

const commands = everyCommand(buildProgram(() => undefined));
const misspellings = commands.flatMap(({ path, command }) =>
  command.options.filter((option) => option.long !== undefined).map((option) => ({ path, long: option.long ?? '', typo: transposed(option.long ?? '') })),
);

describe('every firebreak command, given a misspelt option', () => {
  it('has commands and options to check (the walk found them)', () => {
    expect(commands.map(({ path }) => path.join(' '))).toEqual(expect.arrayContaining(['simulate', 'validate', 'gameday run', 'dns unblock', 'credentials release', 'approve']));
    expect(misspellings.length).toBeGreaterThan(20);
  });

  it.each(misspellings.map((entry) => [`${[...entry.path, entry.typo].join(' ')}`, entry] as const))(
    'firebreak %s: names the misspelling and the option meant, exit 2',
    async (_, { path, long, typo }) => {
      expect(await run(...path, typo, 'value')).toBe(2);
      expect(err()).toBe(`error: unknown option '${typo}' (did you mean ${long}?)\n`);
    },
  );
});

describe('firebreak simulate --evnet FILE (the new-user review)', () => {
  it('reports the misspelling, not the required --event as missing', async () => {
    expect(await run('simulate', '--evnet', 'playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json')).toBe(2);
    expect(err()).toBe("error: unknown option '--evnet' (did you mean --event?)\n");
  });

  it('names the option of --evnet=FILE without its value', async () => {
    expect(await run('simulate', '--evnet=event.json')).toBe(2);
    expect(err()).toBe("error: unknown option '--evnet' (did you mean --event?)\n");
  });

  it('suggests nothing for an option no name is near, and still names it', async () => {
    expect(await run('simulate', '--event', 'event.json', '--verbose')).toBe(2);
    expect(err()).toBe("error: unknown option '--verbose'\n");
  });

  it('still says a required option is missing when no option is unknown', async () => {
    expect(await run('simulate', '--json')).toBe(2);
    expect(err()).toBe("error: required option '--event <file>' not specified\n");
  });

  it('names every required option that is missing in turn, the first first', async () => {
    expect(await run('dns', 'unblock', 'evil.example.com', '--account', '111122223333')).toBe(2);
    expect(err()).toBe("error: required option '--region <region>' not specified\n");
  });
});

// Found by a new user: `firebreak --version` answered "error: unknown option '--version'" (exit 2).
describe('firebreak --version', () => {
  it("prints the package's version and exits 0, with -V too", async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const printed: string[] = [];
      vi.mocked(process.stdout.write).mockImplementation(((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      }) as typeof process.stdout.write);
      expect(await run(flag)).toBe(0);
      expect(printed.join('')).toBe(`${version}\n`);
    }
  });
});
