/**
 * The service control policy the docs give for the protected tag key and the game-day opt-in
 * (docs/security.md §B5, docs/safety-rails.md). Firebreak cannot deploy it (SCPs belong to the
 * organization), so a team copies it as written: it must be valid against the IAM catalog, the same
 * in both pages, and deny what the pages say it denies. Before session 26 it guarded the key on EC2
 * instances only, while the guard and the credential steps also honour it on IAM users and roles.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument, RequestContext } from '../../lib/gameday/sim/iam-policy';
import { evaluatePolicies } from '../../lib/gameday/sim/iam-policy';
import { catalogProblems } from '../stack/iam-catalog';

const DOCS = resolve(import.meta.dirname, '../../docs');

/** The first JSON block after `marker` in a docs page. */
function jsonBlockAfter(page: string, marker: string): PolicyDocument {
  const text = readFileSync(resolve(DOCS, page), 'utf8');
  const at = text.indexOf(marker);
  expect(at, `${page} still says "${marker}"`).toBeGreaterThanOrEqual(0);
  const start = text.indexOf('```json\n', at) + '```json\n'.length;
  return JSON.parse(text.slice(start, text.indexOf('```', start))) as PolicyDocument;
}

const SCP = jsonBlockAfter('security.md', '**Outside Firebreak: the SCP that makes the tag safe.**');
const STATEMENTS = Array.isArray(SCP.Statement) ? SCP.Statement : [SCP.Statement];

const ATTACKER = 'arn:aws:iam::222233334444:role/WebApp';
const ADMIN = 'arn:aws:iam::222233334444:role/SecurityAdmin';
const INSTANCE = 'arn:aws:ec2:eu-west-1:222233334444:instance/i-0a1b2c3d4e5f60718';
const USER = 'arn:aws:iam::222233334444:user/ops/alice';
const ROLE = 'arn:aws:iam::222233334444:role/app-server';

function decision(action: string, resource: string, tagKeys: readonly string[], principal = ATTACKER, resourceTags: Readonly<Record<string, string>> = {}): string {
  const tags = Object.fromEntries(Object.entries(resourceTags).map(([key, value]) => [`aws:ResourceTag/${key}`, [value]]));
  const context: RequestContext = { action, resource, keys: { 'aws:TagKeys': tagKeys, 'aws:PrincipalArn': [principal], ...tags } };
  return evaluatePolicies([SCP], context).decision;
}

describe('the SCP that guards Firebreak\'s control tags (docs/security.md §B5)', () => {
  it('is the same policy in docs/safety-rails.md', () => {
    expect(jsonBlockAfter('safety-rails.md', 'An SCP that lets only named administrators')).toEqual(SCP);
  });

  it('names only actions, resources and condition keys the IAM catalog has for them', async () => {
    expect(await catalogProblems(STATEMENTS.map((statement) => ({ where: 'SCP', statement: statement as unknown as Record<string, unknown> })))).toEqual([]);
  });

  it.each([
    ['ec2:CreateTags', INSTANCE, ['firebreak:protected']],
    ['ec2:DeleteTags', INSTANCE, ['firebreak:protected']],
    ['ec2:CreateTags', INSTANCE, ['Name', 'firebreak:gameday-target']],
    ['ec2:RunInstances', INSTANCE, ['Name', 'firebreak:protected']],
    // ATTACK (review-rails, row 2w): IAM reads an instance's aws:ResourceTag keys whatever their case, and the
    // guard finds the key in any case: another case is the protected key too, set by administrators only.
    ['ec2:CreateTags', INSTANCE, ['Firebreak:Protected']],
    ['ec2:RunInstances', INSTANCE, ['FIREBREAK:PROTECTED']],
    // IAM compares the keys of users and roles whatever their case, and so does the guard.
    ['iam:TagUser', USER, ['Firebreak:Protected']],
    ['iam:UntagUser', USER, ['firebreak:protected']],
    ['iam:CreateUser', USER, ['team', 'FIREBREAK:PROTECTED']],
    ['iam:TagUser', USER, ['firebreak:gameday-target']],
    ['iam:TagRole', ROLE, ['firebreak:protected']],
    ['iam:UntagRole', ROLE, ['Firebreak:protected']],
    ['iam:CreateRole', ROLE, ['firebreak:gameday-target']],
  ] as const)('denies %s on %s with the tag keys %j to any other principal', (action, resource, keys) => {
    expect(decision(action, resource, keys)).toBe('explicit-deny');
  });

  // ATTACK (review-holders, row 2zc): a role a protected instance holds keeps its sessions (rows 2v, 2x). Whoever may
  // pass the compromised role (iam:PassRole) and associate profiles gives a protected instance the role's profile, and
  // every revocation of the role is refused: the stolen sessions stay. Only administrators change a protected instance's profile.
  it.each([
    ['ec2:AssociateIamInstanceProfile', { 'firebreak:protected': 'payments DB' }],
    ['ec2:ReplaceIamInstanceProfileAssociation', { 'firebreak:protected': '' }],
    ['ec2:AssociateIamInstanceProfile', { 'Firebreak:Protected': 'payments DB' }],
  ] as const)('denies %s on an instance tagged %j to any other principal', (action, tags) => {
    expect(decision(action, INSTANCE, [], ATTACKER, tags)).toBe('explicit-deny');
    expect(decision(action, INSTANCE, [], ADMIN, tags)).not.toBe('explicit-deny');
    expect(decision(action, INSTANCE, [], ATTACKER, { team: 'web' })).not.toBe('explicit-deny');
  });

  it.each([
    ['ec2:CreateTags', INSTANCE, ['firebreak:protected'], ADMIN],
    ['iam:TagUser', USER, ['firebreak:protected'], ADMIN],
    ['iam:UntagRole', ROLE, ['firebreak:protected'], 'arn:aws:iam::222233334444:role/GameDayAdmin'],
    ['ec2:CreateTags', INSTANCE, ['team'], ATTACKER],
    ['iam:TagUser', USER, ['team'], ATTACKER],
    ['iam:TagRole', ROLE, ['Name'], ATTACKER],
  ] as const)('leaves %s on %s with the tag keys %j by %s to the other policies', (action, resource, keys, principal) => {
    expect(decision(action, resource, keys, principal)).not.toBe('explicit-deny');
  });
});
