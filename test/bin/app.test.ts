/**
 * bin/app.ts as `cdk synth` runs it (`npx tsx bin/app.ts`, context in CDK_CONTEXT_JSON): a bad
 * context value or playbook is the user's to fix, and is said as one message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function synth(context: Record<string, unknown>): { status: number | null; stderr: string } {
  const out = mkdtempSync(join(tmpdir(), 'firebreak-app-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bin/app.ts')], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: out },
      encoding: 'utf8',
    });
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// Found by a new user's `npx cdk synth -c mode=enforced`: the message came inside Node's stack
// trace, the source line and zod's whole issue list, about thirty lines for one typo.
describe('bin/app.ts', () => {
  it('says a bad context value in one line and exits 1, without a stack trace', () => {
    const { status, stderr } = synth({ mode: 'enforced' });
    expect(status).toBe(1);
    expect(stderr).toBe('firebreak: Invalid Firebreak configuration: context "mode": Invalid option: expected one of "enforce"|"dry-run", got "enforced"\n');
  });

  it('lists the problems of invalid playbooks as file:line:col, without a stack trace', () => {
    const playbooks = mkdtempSync(join(tmpdir(), 'firebreak-playbooks-'));
    try {
      const alert = readFileSync(resolve(ROOT, 'playbooks/default-alert.yaml'), 'utf8').replace('- action: notify', '- action: notfy');
      writeFileSync(join(playbooks, 'default-alert.yaml'), alert);
      const line = alert.split('\n').findIndex((text) => text.includes('notfy')) + 1;
      const { status, stderr } = synth({ playbooksDir: playbooks });
      expect(status).toBe(1);
      expect(stderr).toMatch(new RegExp(`^firebreak: \\S*default-alert\\.yaml:${line}:\\d+: unknown action 'notfy' \\(did you mean 'notify'\\?\\)[^\\n]*\\n$`));
    } finally {
      rmSync(playbooks, { recursive: true, force: true });
    }
  });
});
