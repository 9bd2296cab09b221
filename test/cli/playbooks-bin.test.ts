import { execFile, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

async function firebreak(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return firebreakIn(ROOT, ...args);
}

async function firebreakIn(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [resolve(ROOT, 'bin/firebreak.mjs'), ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('bin/firebreak.mjs, as a user runs it from a clone', () => {
  it('validates the shipped playbooks: exit 0', async () => {
    const result = await firebreak('validate');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^\d+ playbooks valid\.$/m);
    expect(result.stdout).toContain('ok  playbooks/release-instance.yaml');
    expect(result.code).toBe(0);
  });

  it("validates the checkout's playbooks from any other directory, as the game day finds them", async () => {
    const result = await firebreakIn(tmpdir(), 'validate');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`Playbooks in ${resolve(ROOT, 'playbooks')} (the Firebreak checkout's`);
    expect(result.stdout).toMatch(/^\d+ playbooks valid\.$/m);
    expect(result.code).toBe(0);
  });

  it('exits 1 with file:line:col errors for a broken playbook', async () => {
    const result = await firebreak('validate', 'test/fixtures/playbooks/broken/duplicate-step-ids.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("test/fixtures/playbooks/broken/duplicate-step-ids.yaml:15:9: duplicate step id 'contain'");
  });

  // `firebreak gameday list | head -2`: head exits after two lines and the pipe closes under the
  // command; the rest of the output has nowhere to go, which is no error of the command's.
  for (const args of [['gameday', 'list'], ['simulate', '--event', 'playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json']]) {
    it(`exits 0, quietly, when the reader of its output goes away (firebreak ${args.slice(0, 2).join(' ')} | head)`, async () => {
      const child = spawn(process.execPath, ['bin/firebreak.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      // Closed before the command writes a line (it takes a second to start), so every write meets EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.on('close', done));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });
  }
});
