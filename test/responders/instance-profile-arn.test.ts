import { describe, expect, it } from 'vitest';
import { foreignProfile } from '../../lib/responders/instance-profile-arn';

const ACCOUNT = '111122223333';

describe('foreignProfile', () => {
  it('accepts a profile of the account under any path IAM allows (any ASCII from ! to ~ between the slashes)', () => {
    // IAM paths are "/" or "/…/" with any character from U+0021 through U+007F
    // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html): quarantine
    // takes such a profile away, so neither its revocation nor release may refuse it as "not an ARN".
    for (const path of ['/', '/web/', '/ops~team/', '/a!b#c$/', '/team:ops/', '/x*y?/', '/deep/er/path/']) {
      expect(foreignProfile(`arn:aws:iam::${ACCOUNT}:instance-profile${path}web-server`, ACCOUNT)).toBeUndefined();
    }
    expect(foreignProfile(`arn:aws-us-gov:iam::${ACCOUNT}:instance-profile/web-server`, ACCOUNT)).toBeUndefined();
  });

  it('refuses another account, a look-alike account and what is no instance profile ARN', () => {
    expect(foreignProfile('arn:aws:iam::444455556666:instance-profile/web', ACCOUNT)).toMatch(/belongs to account 444455556666/);
    expect(foreignProfile(`arn:aws:iam::${ACCOUNT}1:instance-profile/web`, ACCOUNT)).toMatch(/not an instance profile ARN/);
    expect(foreignProfile('arn:aws:iam::١١١١٢٢٢٢٣٣٣٣:instance-profile/web', ACCOUNT)).toMatch(/not an instance profile ARN/);
    expect(foreignProfile(`arn:aws:iam::${ACCOUNT}:instance-profile/web/`, ACCOUNT)).toMatch(/not an instance profile ARN/);
    expect(foreignProfile(`arn:aws:iam::${ACCOUNT}:instance-profile/we b/x`, ACCOUNT)).toMatch(/not an instance profile ARN/);
    expect(foreignProfile(`arn:aws:iam::${ACCOUNT}:role/web`, ACCOUNT)).toMatch(/not an instance profile ARN/);
  });
});
