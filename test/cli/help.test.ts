/**
 * `firebreak help <command> <subcommand>…`, as a user runs it: commander's own help command
 * resolved one name only, so `firebreak help gameday run` printed the help of `gameday`.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The command as a user runs it (bin/firebreak.mjs, its own process). */
function firebreak(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, ['bin/firebreak.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status, stdout, stderr };
}

describe('firebreak help', () => {
  it('prints the help of the deepest command named, the same text as its --help', () => {
    const help = firebreak('help', 'gameday', 'run');
    expect(help.stdout).toMatch(/^Usage: firebreak gameday run \[options\] \[scenario\.\.\.\]\n/);
    expect(help).toEqual(firebreak('gameday', 'run', '--help'));
    expect(help.status).toBe(0);
    expect(firebreak('help', 'dns', 'unblock')).toEqual(firebreak('dns', 'unblock', '--help'));
  });

  it('prints the help of a command with subcommands, and of the program without a name', () => {
    const gameday = firebreak('help', 'gameday');
    expect(gameday.status).toBe(0);
    expect(gameday.stdout).toMatch(/^Usage: firebreak gameday \[options\] \[command\]\n/);
    const program = firebreak('help');
    expect(program.status).toBe(0);
    expect(program.stdout).toMatch(/^Usage: firebreak \[options\] \[command\]\n/);
  });

  it('exits 2 naming an unknown command, at any depth, and prints no help', () => {
    const nested = firebreak('help', 'gameday', 'rnu');
    expect(nested.status).toBe(2);
    expect(nested.stdout).toBe('');
    expect(nested.stderr).toBe("error: unknown command 'gameday rnu' (did you mean 'gameday run'?)\n");
    const top = firebreak('help', 'gamedya', 'run');
    expect(top.status).toBe(2);
    expect(top.stdout).toBe('');
    expect(top.stderr).toBe("error: unknown command 'gamedya' (did you mean 'gameday'?)\n");
  });
});
