/**
 * readContainmentGuardConfig beyond the cases in containment-guard.test.ts: every optional field of
 * a playbook's rails, the exact form of a playbook name, blank values and the errors' causes.
 * Written for the mutants Stryker found surviving there (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import { readContainmentGuardConfig } from '../../lib/responders/containment-guard-config';

const FULL_RAILS = {
  'contain-each-credential': { approvalRequired: true, onTimeout: 'contain', timeoutSeconds: 600, kind: 'contain', grantScope: 'one-credential', mode: 'dry-run' },
  'unblock-dns-domain': { approvalRequired: true, onTimeout: 'evidence-only', timeoutSeconds: 600, kind: 'release', manualRequest: ['requestedBy', 'reason', 'dnsUnblock'], releasesInstances: true },
};

describe('readContainmentGuardConfig, edges', () => {
  it('reads every optional field of a playbook rails', () => {
    expect(readContainmentGuardConfig({ FIREBREAK_PLAYBOOK_RAILS: JSON.stringify(FULL_RAILS) }).rails).toEqual(FULL_RAILS);
  });

  it.each(['Compromised-host', 'compromised-host-', 'compromised-host!'])('refuses a playbook named %j (its state machine name is <stack>-<playbook>)', (name) => {
    expect(() => readContainmentGuardConfig({ FIREBREAK_PLAYBOOK_RAILS: JSON.stringify({ [name]: FULL_RAILS['unblock-dns-domain'] }) })).toThrow(/FIREBREAK_PLAYBOOK_RAILS/);
  });

  it('reads blank names and blank rails as unset', () => {
    const config = readContainmentGuardConfig({ FIREBREAK_STATE_TABLE: '  ', FIREBREAK_STACK_NAME: '', FIREBREAK_PROTECTED_TAG_KEY: ' ', FIREBREAK_PLAYBOOK_RAILS: '  ' });
    expect(config).not.toHaveProperty('stateTable');
    expect(config).not.toHaveProperty('stackName');
    expect(config).not.toHaveProperty('protectedTagKey');
    expect(config.rails).toEqual({});
  });

  it('refuses a count with anything after its digits, and a tag key EC2 would not take', () => {
    expect(() => readContainmentGuardConfig({ FIREBREAK_BLAST_RADIUS_MAX: '5x' })).toThrow(/FIREBREAK_BLAST_RADIUS_MAX must be a whole number/);
    expect(() => readContainmentGuardConfig({ FIREBREAK_PROTECTED_TAG_KEY: 'k'.repeat(129) })).toThrow(/FIREBREAK_PROTECTED_TAG_KEY: EC2 tag keys have at most 128 characters/);
  });

  it('keeps the cause of a configuration error', () => {
    const parse = (() => {
      try {
        readContainmentGuardConfig({ FIREBREAK_PLAYBOOK_RAILS: 'not json' });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(parse).toBeInstanceOf(TypeError);
    expect(parse?.cause).toBeDefined();
    const policy = (() => {
      try {
        readContainmentGuardConfig({ FIREBREAK_BLAST_RADIUS_MAX: '0' });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(policy?.cause).toBeInstanceOf(RangeError);
  });
});
