import { describe, expect, it } from 'vitest';
import { INSTANCE_REGIONS_ENV } from '../../lib/contracts/environment';
import type { Playbook } from '../../lib/playbooks/model';
import { COMPROMISED, DEFAULT_ALERT, action, playbook, firebreakFunctions, synthesize } from './support';

const CREDENTIALS: Playbook = playbook(
  'iam-credentials',
  [action('revoke', 'revoke-role-sessions'), action('alert', 'notify')],
  { findingTypes: ['AttackSequence:IAM/*'], resourceKinds: ['access-key'] },
  250,
);

// Row 2z: where role-holders looks for protected instances holding a role. The setting reaches the
// two responders that deny a role's sessions, and no other function (the template is near its limit).
describe('instanceRegions in the environment of the responders that deny role sessions (holder-regions-setting)', () => {
  it('sets FIREBREAK_INSTANCE_REGIONS from the config on quarantine-instance and revoke-role-sessions only', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, CREDENTIALS, DEFAULT_ALERT], instanceRegions: ['eu-west-1', 'us-east-1'] });
    const functions = firebreakFunctions(template);
    const carrying = Object.entries(functions).filter(([, variables]) => INSTANCE_REGIONS_ENV in variables);
    expect(carrying.map(([id]) => id.replace(/[A-F0-9]{8}$/, '')).sort()).toEqual(['ResponderQuarantineInstanceFunction', 'ResponderRevokeRoleSessionsFunction']);
    for (const [, variables] of carrying) expect(variables[INSTANCE_REGIONS_ENV]).toBe('eu-west-1,us-east-1');
  });

  it('sets none when the deployment has not said where instances run (every enabled region is read)', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, CREDENTIALS, DEFAULT_ALERT] });
    const functions = Object.values(firebreakFunctions(template));
    expect(functions.length).toBeGreaterThan(3);
    expect(functions.filter((variables) => INSTANCE_REGIONS_ENV in variables)).toEqual([]);
  });
});
