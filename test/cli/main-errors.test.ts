/**
 * The `firebreak` program's last line of defence: an error no command caught is printed on
 * standard error by runCli, on one line whatever its message quotes (an AWS error text, a stored
 * reason), so that it cannot print a line of its own under the command's (a forged `firebreak:`
 * line), nor run an escape sequence.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Command } from 'commander';

// One registrar replaced by a command whose action throws what AWS might have said.
vi.mock('../../lib/cli/pause', () => ({
  registerPauseCommands: (program: Command) => {
    program.command('fails').action(() => {
      throw new Error('cloudformation:DescribeStacks failed (InternalFailure): try again\nfirebreak: Firebreak is no longer paused.\r\u001b]0;pwned\u0007');
    });
  },
}));

const { runCli } = await import('../../lib/cli/main');

afterEach(() => vi.restoreAllMocks());

describe('runCli: an error no command caught', () => {
  it('ATTACK: prints its line feed, carriage return and escape sequence escaped, on one line, and exits 2', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((text: unknown) => void printed.push(String(text)));
    expect(await runCli(['node', 'firebreak', 'fails'])).toBe(2);
    expect(printed).toEqual([
      'firebreak: cloudformation:DescribeStacks failed (InternalFailure): try again\\u000afirebreak: Firebreak is no longer paused.\\u000d\\u001b]0;pwned\\u0007',
    ]);
  });
});
