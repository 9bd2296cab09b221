/**
 * The two rules a user's or role's current IAM tags decide, which the containment guard and the
 * credential steps share: the deployment's protected tag key (present, whatever its value), and a
 * game-day incident's opt-in tag (key and value). Each is tried both ways.
 */
import { describe, expect, it } from 'vitest';
import { SECURITY_TAGS } from '../../lib/contracts/security';
import { carriesProtectedTagKey, gameDayForbids, protectedTagOf } from '../../lib/responders/tag-rules';

const PROTECTED_KEY = 'security:do-not-contain';
const OPT_IN = { [SECURITY_TAGS.gameDayTarget.key]: SECURITY_TAGS.gameDayTarget.value };

describe('carriesProtectedTagKey', () => {
  it('protects a principal carrying the key, whatever its value', () => {
    expect(carriesProtectedTagKey({ [PROTECTED_KEY]: 'yes', team: 'payments' }, PROTECTED_KEY)).toBe(true);
    expect(carriesProtectedTagKey({ [PROTECTED_KEY]: 'false' }, PROTECTED_KEY)).toBe(true);
  });

  it('protects a principal carrying the key with an empty value', () => {
    expect(carriesProtectedTagKey({ [PROTECTED_KEY]: '' }, PROTECTED_KEY)).toBe(true);
  });

  it('does not protect a principal without the key, even one whose value names it', () => {
    expect(carriesProtectedTagKey({}, PROTECTED_KEY)).toBe(false);
    expect(carriesProtectedTagKey({ team: PROTECTED_KEY, 'security:do-not-contain-later': 'yes' }, PROTECTED_KEY)).toBe(false);
  });

  it("does not take a key every object inherits for a tag the principal carries", () => {
    expect(carriesProtectedTagKey({}, 'toString')).toBe(false);
    expect(carriesProtectedTagKey({}, '__proto__')).toBe(false);
  });
});

describe('protectedTagOf', () => {
  it('compares keys exactly for EC2, whose tag keys are case-sensitive', () => {
    expect(protectedTagOf({ [PROTECTED_KEY]: 'yes' }, PROTECTED_KEY, 'case-sensitive')).toEqual({ key: PROTECTED_KEY, value: 'yes' });
    expect(protectedTagOf({ 'Security:Do-Not-Contain': 'yes' }, PROTECTED_KEY, 'case-sensitive')).toBeUndefined();
  });

  it('ATTACK: finds the key whatever its case for IAM users and roles, whose keys IAM compares regardless of case', () => {
    expect(protectedTagOf({ 'Security:Do-Not-Contain': 'yes' }, PROTECTED_KEY, 'case-insensitive')).toEqual({ key: 'Security:Do-Not-Contain', value: 'yes' });
    expect(protectedTagOf({ 'SECURITY:DO-NOT-CONTAIN': '' }, PROTECTED_KEY, 'case-insensitive')).toEqual({ key: 'SECURITY:DO-NOT-CONTAIN', value: '' });
    expect(carriesProtectedTagKey({ 'Security:Do-Not-Contain': 'yes' }, PROTECTED_KEY, 'case-insensitive')).toBe(true);
  });

  it('never matches another key, nor a key every object inherits', () => {
    expect(protectedTagOf({ 'security:do-not-contain-later': 'yes', team: PROTECTED_KEY }, PROTECTED_KEY, 'case-insensitive')).toBeUndefined();
    expect(protectedTagOf({}, 'toString', 'case-insensitive')).toBeUndefined();
    expect(protectedTagOf({}, '__proto__', 'case-insensitive')).toBeUndefined();
  });
});

describe('gameDayForbids', () => {
  it('lets a game-day incident change a principal that opted in', () => {
    expect(gameDayForbids(true, { ...OPT_IN, team: 'payments' })).toBe(false);
  });

  it('refuses a game-day incident a principal without the opt-in tag', () => {
    expect(gameDayForbids(true, {})).toBe(true);
    expect(gameDayForbids(true, { team: 'payments' })).toBe(true);
  });

  it('refuses a game-day incident a principal whose opt-in tag has another value', () => {
    const key = SECURITY_TAGS.gameDayTarget.key;
    for (const value of ['', 'false', 'True', 'TRUE', 'true ', 'yes']) expect(gameDayForbids(true, { [key]: value })).toBe(true);
  });

  it('ignores the opt-in tag for an incident that is not a game day', () => {
    expect(gameDayForbids(false, {})).toBe(false);
    expect(gameDayForbids(false, { [SECURITY_TAGS.gameDayTarget.key]: 'false' })).toBe(false);
    expect(gameDayForbids(false, OPT_IN)).toBe(false);
  });
});
