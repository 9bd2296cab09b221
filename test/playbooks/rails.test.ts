/** The rails the stack hands the containment guard per playbook (FIREBREAK_PLAYBOOK_RAILS). */
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { railsOf } from '../../lib/playbooks/rails';

const shipped = loadPlaybookDirectorySync('playbooks');
const compromised = shipped.find((playbook) => playbook.name === 'compromised-ec2-instance')!;

describe('railsOf', () => {
  it("carries a playbook's own dry-run mode, so the guard holds executions started by hand in enforce to it", () => {
    expect(railsOf({ ...compromised, mode: 'dry-run' })).toMatchObject({ kind: 'contain', mode: 'dry-run' });
  });

  it('adds no mode for an enforce playbook: the deployment and the execution decide', () => {
    expect(compromised.mode).toBe('enforce');
    expect(railsOf(compromised)).not.toHaveProperty('mode');
  });
});
