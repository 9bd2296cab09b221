/**
 * The emergency pause's IAM, as synthesized: the guard and every responder that contains may GetItem
 * the one key `pause#deployment` (never write it, never another key through that statement); the
 * responders that only release never read it (releases are not paused).
 */
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { pascal } from '../../lib/stack/defaults';
import { SHIPPED_PLAYBOOKS_DIR } from '../../lib/stack/package-root';
import { PAUSE_KEY } from '../../lib/responders/emergency-pause';
import type { Statement } from './support';
import { action, actionsOf, logicalIdOf, playbook, resourcesOf, synthesize } from './support';

const PLAYBOOKS = [
  ...loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR),
  playbook('contain-and-write-back', [action('contain', 'quarantine-instance'), action('alert', 'notify'), action('security-hub', 'update-security-hub-finding')], { resourceKinds: ['ec2-instance'] }, 1),
];
const { template } = synthesize({ playbooks: PLAYBOOKS });

function roleStatements(roleLogicalId: string): Statement[] {
  const role = JSON.stringify({ Ref: roleLogicalId });
  return [...Object.values(resourcesOf(template, 'AWS::IAM::Policy')), ...Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy'))]
    .filter((policy) => ((policy.Properties.Roles ?? []) as unknown[]).some((attached) => JSON.stringify(attached) === role))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const responderStatements = (responder: string) => roleStatements(logicalIdOf(template, 'AWS::IAM::Role', `Responder${pascal(responder)}Role`));
/** The statements whose dynamodb:LeadingKeys name the pause key. */
const pauseStatements = (statements: Statement[]) => statements.filter((statement) => JSON.stringify(statement.Condition ?? {}).includes(PAUSE_KEY));

describe('the emergency pause item, read where the action happens', () => {
  it.each(['containment-guard', 'quarantine-instance', 'block-dns-domain', 'quarantine-s3-object', 'disable-access-key', 'revoke-role-sessions', 'update-security-hub-finding'])(
    '%s may GetItem pause#deployment (that exact key, no wildcard), and write it never',
    (responder) => {
      const statements = pauseStatements(responderStatements(responder));
      expect(statements).toHaveLength(1);
      const [statement] = statements as [Statement];
      expect(statement).toMatchObject({ Sid: 'ReadContainmentGrants', Effect: 'Allow', Action: 'dynamodb:GetItem' });
      const keys = (statement.Condition as { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': string | string[] } })['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
      expect([keys].flat()).toContain('pause#deployment');
      expect([keys].flat()).not.toContain('pause#*');
    },
  );

  it.each(['release-instance', 'release-s3-object', 'release-credentials', 'unblock-dns-domains', 'snapshot-volumes', 'triage', 'publish-alert'])('%s, which never contains under a grant, is not given the pause', (responder) => {
    expect(pauseStatements(responderStatements(responder))).toEqual([]);
  });

  it('the guard reads it with GetItem only: its write statements keep their own keys', () => {
    for (const statement of responderStatements('containment-guard')) {
      if (actionsOf(statement).some((a) => a !== 'dynamodb:GetItem' && a.startsWith('dynamodb:'))) expect(JSON.stringify(statement.Condition ?? {})).not.toContain('pause#');
    }
  });
});
