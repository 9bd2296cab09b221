import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

async function firebreak(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/firebreak.mjs', ...args], { cwd: ROOT });
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

  it('exits 1 with file:line:col errors for a broken playbook', async () => {
    const result = await firebreak('validate', 'test/fixtures/playbooks/broken/duplicate-step-ids.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("test/fixtures/playbooks/broken/duplicate-step-ids.yaml:15:9: duplicate step id 'contain'");
  });
});
