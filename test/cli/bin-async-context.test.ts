/**
 * bin/firebreak.mjs runs `gameday run` (the local engine) under --experimental-async-context-frame
 * (AsyncLocalStorage without a hook on every promise): a node started without it runs the command
 * again under it, as a child that gets the arguments, whose exit status and output are the
 * command's and to which a SIGTERM sent to the command is passed on. Linux only: the child is found
 * through /proc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FLAG = '--experimental-async-context-frame';

/** The command lines (NUL-separated arguments) of the processes whose parent is `pid`. */
function childCommandLines(pid: number): string[][] {
  const lines: string[][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent's pid is the second field after the command name's closing parenthesis.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((part) => part !== ''));
    } catch {
      // The process ended while it was read.
    }
  }
  return lines;
}

describe.runIf(existsSync('/proc/self/stat'))('bin/firebreak.mjs under the async context frame flag', () => {
  it('runs the command again under the flag, with its arguments, and passes on a SIGTERM', async () => {
    const command = spawn(process.execPath, ['bin/firebreak.mjs', 'gameday', 'run', '--all', '--no-reports'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => command.on('exit', (code, signal) => done({ code, signal })));
    let child: string[] | undefined;
    // The child starts within a second; a few seconds' bound detects a wrapper that never starts one.
    for (let tries = 0; tries < 200 && child === undefined; tries += 1) {
      child = childCommandLines(command.pid as number).find((line) => line.includes(FLAG));
      if (child === undefined) await delay(25);
    }
    expect(child).toBeDefined();
    expect(child!.slice(child!.indexOf(FLAG) + 1)).toEqual([resolve(ROOT, 'bin/firebreak.mjs'), 'gameday', 'run', '--all', '--no-reports']);
    command.kill('SIGTERM');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
  }, 60_000);

  it("answers with the command's own exit status and output", () => {
    const unknown = spawnSync(process.execPath, ['bin/firebreak.mjs', 'gameday', 'run', 'no-such-scenario', '--no-reports'], { cwd: ROOT, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("no scenario named 'no-such-scenario'");
    const version = spawnSync(process.execPath, ['bin/firebreak.mjs', '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).version);
  });

  it('starts no second process when node already runs with the flag', async () => {
    const command = spawn(process.execPath, [FLAG, 'bin/firebreak.mjs', 'gameday', 'run', '--all', '--no-reports'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((done) => command.on('exit', (_code, signal) => done(signal)));
    // Long enough for a wrapper to have started its child (the test above finds one within a second).
    await delay(1500);
    expect(childCommandLines(command.pid as number).filter((line) => line.some((part) => part.endsWith('bin/firebreak.mjs')))).toEqual([]);
    command.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
  }, 60_000);
});
