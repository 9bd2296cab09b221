import { describe, expect, it } from 'vitest';
import { SECURITY_ENV } from '../../lib/contracts/security';
import type { Playbook } from '../../lib/playbooks/model';
import { ALARM, COMPROMISED, DEFAULT_ALERT, action, playbook, firebreakFunctions, synthesize } from './support';

const FORENSIC = '444455556666';
const KEY_ARN = `arn:aws:kms:eu-west-1:${FORENSIC}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ORGANIZATION = { memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5' };
const COPYING: Playbook = playbook('forensic-copy', [
  { kind: 'parallel', id: 'respond', branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes', { tags: {} })] },
  action('forensic-copy', 'copy-evidence', { waitMinutes: 120 }),
  action('alert', 'notify'),
]);

// Every function that reads the served accounts must know the forensic account, or the organization
// would serve it to that function (lib/contracts/security.ts unservedAccountReason).
describe('the forensic account in every function environment', () => {
  it.each([
    ['with a copy-evidence playbook', [COPYING, COMPROMISED, DEFAULT_ALERT]],
    ['without one (the forensic account configured for another stack)', [COMPROMISED, ALARM, DEFAULT_ALERT]],
  ])('names it to triage, the guard and every responder when the deployment configures one, %s', (_what, playbooks) => {
    const { template } = synthesize({ playbooks, ...ORGANIZATION, forensicAccountId: FORENSIC, forensicKmsKeyArn: KEY_ARN });
    const functions = firebreakFunctions(template);
    const ids = Object.keys(functions);
    expect(ids).toEqual(expect.arrayContaining([expect.stringMatching(/^ResponderTriage/), expect.stringMatching(/^ResponderContainmentGuard/), expect.stringMatching(/^ResponderQuarantineInstance/)]));
    const without = ids.filter((id) => functions[id]![SECURITY_ENV.forensicAccountId] !== FORENSIC);
    expect(without).toEqual([]);
  });

  it('names none when the deployment has no forensic account', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT], ...ORGANIZATION });
    const functions = Object.values(firebreakFunctions(template));
    expect(functions.length).toBeGreaterThan(3);
    expect(functions.filter((variables) => SECURITY_ENV.forensicAccountId in variables)).toEqual([]);
  });
});
