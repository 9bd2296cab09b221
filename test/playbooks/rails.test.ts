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

  it('says which release playbooks release instances (the guard reads their claims for the approval request), and only those', () => {
    const rails = (name: string) => railsOf(shipped.find((playbook) => playbook.name === name)!);
    expect(rails('release-instance')).toMatchObject({ kind: 'release', releasesInstances: true });
    // A DNS unblock is a release on an instance too, but restores nothing of it.
    expect(rails('unblock-dns-domain')).toMatchObject({ kind: 'release' });
    expect(rails('unblock-dns-domain')).not.toHaveProperty('releasesInstances');
    expect(railsOf(compromised)).not.toHaveProperty('releasesInstances');
    // And which release S3 objects (the guard reads the version's claims), and only those.
    expect(rails('release-s3-object')).toMatchObject({ kind: 'release', releasesObjects: true });
    expect(rails('release-s3-object')).not.toHaveProperty('releasesInstances');
    expect(rails('release-instance')).not.toHaveProperty('releasesObjects');
    expect(railsOf(compromised)).not.toHaveProperty('releasesObjects');
  });

  it('ATTACK (approvals): says which release playbooks lift the instance\'s DNS Firewall blocks (the guard reads them for the approval request, row 5r), and only those', () => {
    const rails = (name: string) => railsOf(shipped.find((playbook) => playbook.name === name)!);
    expect(rails('release-instance')).toMatchObject({ kind: 'release', liftsDnsBlocks: true });
    // firebreak dns unblock names its one domain in the request itself.
    expect(rails('unblock-dns-domain')).not.toHaveProperty('liftsDnsBlocks');
    expect(rails('release-s3-object')).not.toHaveProperty('liftsDnsBlocks');
    expect(railsOf(compromised)).not.toHaveProperty('liftsDnsBlocks');
  });

  it('says which playbooks only disable keys (the guard takes no slot for keys all Inactive already, row 11t), and only those', () => {
    const rails = (name: string) => railsOf(shipped.find((playbook) => playbook.name === name)!);
    expect(rails('iam-user-key-compromise')).toMatchObject({ kind: 'contain', disablesKeysOnly: true });
    // AWSDenyAll changes the user whatever its keys' status; a role's sessions, an instance, are not keys.
    expect(rails('iam-credentials-attack-sequence-credential')).not.toHaveProperty('disablesKeysOnly');
    expect(railsOf(compromised)).not.toHaveProperty('disablesKeysOnly');
    expect(rails('release-credentials')).not.toHaveProperty('disablesKeysOnly');
  });

  it('says which playbooks reach beyond the instance they contain (a held instance takes a slot for them, row 15s), and only those', () => {
    const rails = (name: string) => railsOf(shipped.find((playbook) => playbook.name === name)!);
    expect(railsOf(compromised)).toMatchObject({ kind: 'contain', blocksDns: true });
    expect(railsOf(compromised)).not.toHaveProperty('renewsRoleSessions');
    expect(rails('instance-credential-exfiltration')).toMatchObject({ kind: 'contain', renewsRoleSessions: true });
    expect(rails('instance-credential-exfiltration')).not.toHaveProperty('blocksDns');
    for (const name of ['ec2-malware-found', 'attack-sequence-ec2-instance', 'release-instance']) {
      expect(rails(name)).not.toHaveProperty('blocksDns');
      expect(rails(name)).not.toHaveProperty('renewsRoleSessions');
    }
  });

  it('adds no mode for an enforce playbook: the deployment and the execution decide', () => {
    expect(compromised.mode).toBe('enforce');
    expect(railsOf(compromised)).not.toHaveProperty('mode');
  });
});
