import { describe, expect, it } from 'vitest';
import type { ServedAccounts } from '../../lib/contracts/security';
import { servedAccountsFromEnvironment, unservedAccountReason } from '../../lib/contracts/security';
import { findingAccountOf } from '../../lib/incident/finding-account';
import { childIncidentKey, findingKey, incidentKey, placementHash } from '../../lib/incident/keys';

const SECURITY = '111122223333';
const MEMBER = '444455556666';
const FORENSIC = '999988887777';
const ORGANIZATION = 'o-a1b2c3d4e5';

/** An organization deployment with member roles: every account of the organization is served, the forensic account excepted. */
const ORGANIZATION_SERVED: ServedAccounts = { securityAccountId: SECURITY, allowlist: [], organizationId: ORGANIZATION, memberRoles: true, forensicAccountId: FORENSIC };

describe('unservedAccountReason: the forensic account', () => {
  it('refuses the forensic account in an organization deployment, where every other account is served', () => {
    expect(unservedAccountReason(MEMBER, ORGANIZATION_SERVED)).toBeUndefined();
    expect(unservedAccountReason(FORENSIC, ORGANIZATION_SERVED)).toBe(
      `account ${FORENSIC} is the deployment's forensic account (the evidence vault): Firebreak never acts there automatically; a person must`,
    );
  });

  it('refuses it even on the allowlist (a deployment the synth check did not see)', () => {
    expect(unservedAccountReason(FORENSIC, { securityAccountId: SECURITY, allowlist: [FORENSIC], memberRoles: true, forensicAccountId: FORENSIC })).toContain(
      "is the deployment's forensic account",
    );
  });

  it('serves the organization\'s accounts as before when the deployment has no forensic account', () => {
    const { forensicAccountId: _none, ...withoutForensic } = ORGANIZATION_SERVED;
    expect(unservedAccountReason(FORENSIC, withoutForensic)).toBeUndefined();
    expect(unservedAccountReason(SECURITY, ORGANIZATION_SERVED)).toBeUndefined();
  });
});

describe('servedAccountsFromEnvironment: the forensic account', () => {
  const BASE = { FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY, FIREBREAK_ORGANIZATION_ID: ORGANIZATION, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder' };

  it('reads FIREBREAK_FORENSIC_ACCOUNT_ID into the served accounts, and refuses that account', () => {
    const read = servedAccountsFromEnvironment({ ...BASE, FIREBREAK_FORENSIC_ACCOUNT_ID: FORENSIC });
    expect(read).toEqual({ served: ORGANIZATION_SERVED });
    expect('served' in read && unservedAccountReason(FORENSIC, read.served)).toContain('evidence vault');
  });

  it('leaves it out when the deployment has none', () => {
    expect(servedAccountsFromEnvironment(BASE)).toEqual({ served: { securityAccountId: SECURITY, allowlist: [], organizationId: ORGANIZATION, memberRoles: true } });
    expect(servedAccountsFromEnvironment({ ...BASE, FIREBREAK_FORENSIC_ACCOUNT_ID: '' })).toEqual(servedAccountsFromEnvironment(BASE));
  });

  it.each([
    ['too short', '12345'],
    ['a wildcard', '*'],
    ['Arabic-Indic digits', '٩٩٩٩٨٨٨٨٧٧٧٧'],
    ['two accounts', `${FORENSIC},${MEMBER}`],
  ])('refuses a forensic account id that is %s, as a problem (nothing is served)', (_what, value) => {
    expect(servedAccountsFromEnvironment({ ...BASE, FIREBREAK_FORENSIC_ACCOUNT_ID: value })).toEqual({
      problem: 'FIREBREAK_FORENSIC_ACCOUNT_ID is not a 12-digit account id, so the deployment cannot tell which account holds its evidence',
    });
  });
});

describe('unservedAccountReason: servedAccountIds with an organization', () => {
  const OTHER_MEMBER = '777788889999';

  it('serves only the listed accounts of the organization when servedAccountIds is set (a pilot of a few accounts), and says so for the others', () => {
    const pilot: ServedAccounts = { ...ORGANIZATION_SERVED, allowlist: [MEMBER] };
    expect(unservedAccountReason(MEMBER, pilot)).toBeUndefined();
    expect(unservedAccountReason(SECURITY, pilot)).toBeUndefined();
    expect(unservedAccountReason(OTHER_MEMBER, pilot)).toBe(
      `account ${OTHER_MEMBER} is not in the served-account allowlist, which narrows the organization ${ORGANIZATION} to the accounts it lists`,
    );
    expect(unservedAccountReason(FORENSIC, { ...pilot, allowlist: [MEMBER, FORENSIC] })).toContain('evidence vault');
  });

  it('serves every account of the organization when servedAccountIds is empty, as before', () => {
    expect(unservedAccountReason(OTHER_MEMBER, ORGANIZATION_SERVED)).toBeUndefined();
  });
});

describe('unservedAccountReason: the security account for another account\'s finding (row 9h)', () => {
  it("ATTACK (review-accounts): refuses the security account when the finding is a member account's, and serves it for its own finding", () => {
    expect(unservedAccountReason(SECURITY, ORGANIZATION_SERVED, MEMBER)).toBe(
      `account ${SECURITY} is the security account, and the finding is account ${MEMBER}'s: Firebreak acts there for its own findings only; a person must`,
    );
    expect(unservedAccountReason(SECURITY, ORGANIZATION_SERVED, SECURITY)).toBeUndefined();
    expect(unservedAccountReason(SECURITY, ORGANIZATION_SERVED)).toBeUndefined();
    // A member's finding still reaches another served member (a sequence may span members), never the forensic account.
    expect(unservedAccountReason('555566667777', ORGANIZATION_SERVED, MEMBER)).toBeUndefined();
    expect(unservedAccountReason(FORENSIC, ORGANIZATION_SERVED, MEMBER)).toContain("is the deployment's forensic account");
  });

  it("findingAccountOf reads a fan-out child's finding ARN (the child takes its resource's account); the finding's own incident is its account's", () => {
    const arn = `arn:aws:guardduty:eu-west-1:${MEMBER}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/b9e1`;
    const finding = (over: { arn?: string } = {}) => ({ findingId: 'b9e1', arn, count: 1, remoteIndicators: [], ...over });
    const child = 'gd-b9e1-i-0abc1234def567890-0a1b2c3d';
    expect(findingAccountOf({ key: child, account: SECURITY, guardDuty: finding() })).toBe(MEMBER);
    expect(findingAccountOf({ key: child, account: SECURITY, guardDuty: finding({ arn: arn.replace('arn:aws:', 'arn:aws-us-gov:') }) })).toBe(MEMBER);
    // The finding's own incident (and its drill's): its account, whatever its ARN says.
    expect(findingAccountOf({ key: 'gd-b9e1', account: SECURITY, guardDuty: finding() })).toBe(SECURITY);
    expect(findingAccountOf({ key: 'gameday-gd-b9e1', account: SECURITY, guardDuty: finding() })).toBe(SECURITY);
    // No ARN (an alarm, a finding without one) or no GuardDuty ARN: the incident's own account.
    expect(findingAccountOf({ key: child, account: SECURITY })).toBe(SECURITY);
    expect(findingAccountOf({ key: child, account: SECURITY, guardDuty: finding({ arn: `arn:aws:iam::${MEMBER}:role/x` }) })).toBe(SECURITY);
  });

  it("tried (rereview-one): no child key the fan-out can make reads as the finding's own key, so a child placed in the security account never takes its account for the finding's", () => {
    // A GuardDuty id, a long sanitized one and their drills' keys; a child's suffix as per-instance.ts and
    // per-credential.ts make it (another account's resource adds the placement hash), the shortened form included.
    for (const findingId of ['c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3', `x${'y'.repeat(120)}:z`]) {
      for (const gameDay of [false, true]) {
        const parent = incidentKey(findingKey(findingId), gameDay);
        const arn = `arn:aws:guardduty:eu-west-1:${MEMBER}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${findingId}`;
        for (const suffix of ['-i-0abc1234def567890', `-${placementHash(SECURITY, 'eu-west-1')}-i-0abc1234def567890`, '-k-AKIAQ3EGRW6JCEXAMPLE', `-r-${'a'.repeat(16)}`]) {
          const key = childIncidentKey(parent, suffix);
          expect(key).not.toBe(parent);
          expect(findingAccountOf({ key, account: SECURITY, guardDuty: { findingId, arn, count: 1, remoteIndicators: [] } })).toBe(MEMBER);
        }
      }
    }
  });
});
