import { describe, expect, it } from 'vitest';
import { APPROVER_ARN_PATTERN, APPROVER_ENTRY_PATTERN, isListedApprover } from '../../lib/responders/approver-allowlist';

const ON_CALL = 'arn:aws:iam::111122223333:role/OnCall';
const ON_CALL_WITH_PATH = 'arn:aws:iam::111122223333:role/teams/security/OnCall';
const ALICE = 'arn:aws:iam::111122223333:user/alice';

describe('isListedApprover', () => {
  it('admits a session of a listed role, whatever its session name, and a listed user', () => {
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [ON_CALL])).toBe(true);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/i-0abc1234def567890', [ON_CALL])).toBe(true);
    expect(isListedApprover(ALICE, [ALICE])).toBe(true);
  });

  it("matches a listed role with a path by its name: a session's ARN never carries the role's path", () => {
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [ON_CALL_WITH_PATH])).toBe(true);
    // Identity Center's roles live under a path the session ARN drops.
    const sso = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_OnCall_0123456789abcdef';
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_OnCall_0123456789abcdef/carol@example.com', [sso])).toBe(true);
  });

  it('matches a user with or without a path, and names in any case (IAM names are unique in an account whatever their case or path)', () => {
    expect(isListedApprover('arn:aws:iam::111122223333:user/people/alice', [ALICE])).toBe(true);
    expect(isListedApprover(ALICE, ['arn:aws:iam::111122223333:user/people/alice'])).toBe(true);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/oncall/carol', [ON_CALL])).toBe(true);
  });

  it('refuses another role, another account, another partition, a role that merely starts with the name, and a user of the role\'s name', () => {
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/Admin/carol', [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws:sts::444455556666:assumed-role/OnCall/carol', [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws-us-gov:sts::111122223333:assumed-role/OnCall/carol', [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCallAdmin/carol', [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCal/carol', [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws:iam::111122223333:user/OnCall', [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/alice/x', [ALICE])).toBe(false);
  });

  it('never admits the root user, a federated user, a role ARN as a caller, or anything unparseable, even when listed as such', () => {
    expect(isListedApprover('arn:aws:iam::111122223333:root', [ON_CALL, ALICE, 'arn:aws:iam::111122223333:root'])).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:federated-user/alice', [ALICE])).toBe(false);
    expect(isListedApprover(ON_CALL, [ON_CALL])).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', ['arn:aws:iam::111122223333:role/*'])).toBe(false);
    expect(isListedApprover('', [ON_CALL])).toBe(false);
  });

  it('admits nobody through an empty list (FIREBREAK_APPROVER_ARNS set but naming nobody: the function refuses everyone; unset, it checks no list)', () => {
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [])).toBe(false);
  });
});

describe('APPROVER_ARN_PATTERN', () => {
  it('takes IAM role and user ARNs, with or without a path, and nothing else', () => {
    for (const arn of [ON_CALL, ON_CALL_WITH_PATH, ALICE, 'arn:aws:iam::111122223333:user/people/alice', 'arn:aws-cn:iam::111122223333:role/OnCall']) {
      expect(APPROVER_ARN_PATTERN.test(arn), arn).toBe(true);
    }
    for (const arn of [
      'arn:aws:iam::111122223333:root',
      'arn:aws:iam::111122223333:role/*',
      'arn:aws:iam::111122223333:role/On*',
      'arn:aws:sts::111122223333:assumed-role/OnCall/carol',
      'arn:aws:iam::111122223333:group/oncall',
      'arn:aws:iam::1111:role/OnCall',
      '111122223333',
      'OnCall',
      // The approval function reads the list from one comma-separated variable: an entry with a comma
      // (IAM allows one in a path or a name) would be read back as other entries than the one checked.
      'arn:aws:iam::111122223333:role/x,arn:aws:iam::444455556666:role/Evil',
      'arn:aws:iam::111122223333:role/On,Call',
      'arn:aws:iam::111122223333:user/team,a/alice',
    ]) {
      expect(APPROVER_ARN_PATTERN.test(arn), arn).toBe(false);
    }
  });

  it('takes a role or user unique id as an entry (AROA…, AIDA…), and an ARN, and nothing else', () => {
    for (const entry of [ON_CALL, ALICE, 'AROAQ3EGRW6JONCALL01', 'AIDAQ3EGRW6JALICE001']) expect(APPROVER_ENTRY_PATTERN.test(entry), entry).toBe(true);
    for (const entry of ['AKIAQ3EGRW6JEXAMPLE1', 'ASIAQ3EGRW6JEXAMPLE1', 'AROAQ3EGRW6JONCALL01:carol', 'aroaq3egrw6joncall01', 'AROA', 'AROA*', 'AGPAQ3EGRW6JGROUP001']) {
      expect(APPROVER_ENTRY_PATTERN.test(entry), entry).toBe(false);
    }
  });
});

describe('isListedApprover by unique id: the role or user itself, not whatever has its name now', () => {
  const ROLE_ID = 'AROAQ3EGRW6JONCALL01';
  const USER_ID = 'AIDAQ3EGRW6JALICE001';

  it("admits a session of the listed role by the unique id STS gives the caller, and the listed user", () => {
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [ROLE_ID], `${ROLE_ID}:carol`)).toBe(true);
    expect(isListedApprover(ALICE, [USER_ID], USER_ID)).toBe(true);
  });

  it('ATTACK: refuses a role deleted and created again under the listed name (a new unique id), which a name entry admits', () => {
    const recreated = 'AROAQ3EGRW6JIMPOSTOR';
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [ROLE_ID], `${recreated}:carol`)).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [ON_CALL], `${recreated}:carol`)).toBe(true);
    expect(isListedApprover(ALICE, [USER_ID], 'AIDAQ3EGRW6JIMPOSTOR')).toBe(false);
  });

  it("never admits by id without the caller's unique id, across kinds, or by an id inside another field", () => {
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [ROLE_ID])).toBe(false);
    // A user whose unique id were listed as a role's, a session under a user's id: kinds never cross.
    expect(isListedApprover(ALICE, [ROLE_ID], ROLE_ID)).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol', [USER_ID], `${USER_ID}:carol`)).toBe(false);
    // The session part of the id is the session name, never a second id.
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/Other/x', [ROLE_ID], `AROAQ3EGRW6JOTHER001:${ROLE_ID}`)).toBe(false);
  });
});


describe('isListedApprover by unique id under attack (review review-pause)', () => {
  const ROLE_ID = 'AROAQ3EGRW6JONCALL01';
  const CAROL = 'arn:aws:sts::111122223333:assumed-role/OnCall/carol';

  it('ATTACK: an id entry that synth would refuse (another case, blanks, a session, a wildcard) matches nobody at the function: a garbled entry fails closed', () => {
    for (const entry of [ROLE_ID.toLowerCase(), ` ${ROLE_ID}`, `${ROLE_ID}\n`, `${ROLE_ID}:carol`, 'AROA*', `${ROLE_ID},${ROLE_ID}`]) {
      expect(isListedApprover(CAROL, [entry], `${ROLE_ID}:carol`), JSON.stringify(entry)).toBe(false);
    }
  });

  it("ATTACK: a unique id whose session part is not the ARN's session, or holds another ':', never matches (STS session names hold no ':')", () => {
    expect(isListedApprover(CAROL, [ROLE_ID], `${ROLE_ID}:carol:x`)).toBe(false);
    expect(isListedApprover(CAROL, [ROLE_ID], `${ROLE_ID}:mallory`)).toBe(false);
    expect(isListedApprover(CAROL, [ROLE_ID], `${ROLE_ID}carol`)).toBe(false);
    expect(isListedApprover('arn:aws:sts::111122223333:assumed-role/OnCall/carol:x', [ROLE_ID], `${ROLE_ID}:carol:x`)).toBe(false);
    // A user's unique id is the id alone: a user caller whose id carried a session is not the listed user.
    expect(isListedApprover(ALICE, ['AIDAQ3EGRW6JALICE001'], 'AIDAQ3EGRW6JALICE001:x')).toBe(false);
  });
});
