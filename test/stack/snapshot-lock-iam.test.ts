import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { Playbook } from '../../lib/playbooks/model';
import { memberAccountActionsByResponder, MemberRoleStack } from '../../lib/stack/member-role-stack';
import type { Statement } from './support';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { evidenceLockMaxDays } from '../../lib/playbooks/rails';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { action, actionsOf, logicalIdOf, playbook, resourcesOf, statementsOfRole, synthesize } from './support';

const snapshotArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:*::snapshot/*']] };
const LOCKING: Playbook = playbook('locked-evidence', [
  action('evidence', 'snapshot-volumes', { tags: {}, lock: { mode: 'compliance', durationDays: 90, coolOffHours: 24 } }),
  action('alert', 'notify'),
]);
const EXPECTED_LOCK_STATEMENT = {
  Sid: 'LockEvidenceSnapshots',
  Effect: 'Allow',
  Action: 'ec2:LockSnapshot',
  Resource: snapshotArn,
  // Tagged evidence only, and for no longer than the deployed lock (LOCKING's 90 days).
  Condition: { StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true' }, NumericLessThanEquals: { 'ec2:SnapshotLockDuration': '90' } },
};

/** FIREBREAK_EVIDENCE_LOCKS as the synthesized snapshot-volumes function has it. */
function evidenceLocksVariable(playbooks: readonly Playbook[]): unknown {
  const { template } = synthesize({ playbooks: [...playbooks] });
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderSnapshotVolumesFunction')]!;
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.FIREBREAK_EVIDENCE_LOCKS;
}

function snapshotRoleStatements(playbooks: Playbook[]): Statement[] {
  const { template } = synthesize({ playbooks });
  return statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', 'ResponderSnapshotVolumesRole'));
}

describe('snapshot-volumes lock option: IAM', () => {
  it('grants ec2:LockSnapshot on evidence-tagged snapshots only, and DescribeLockedSnapshots, when a playbook locks', () => {
    const statements = snapshotRoleStatements([LOCKING]);
    expect(statements.find((s) => s.Sid === 'LockEvidenceSnapshots')).toEqual(EXPECTED_LOCK_STATEMENT);
    const describe = statements.find((s) => s.Sid === 'DescribeForContainmentAndEvidence');
    expect(actionsOf(describe!)).toContain('ec2:DescribeLockedSnapshots');
    // Never the powers that undo a lock or destroy evidence.
    const all = statements.flatMap(actionsOf);
    for (const forbidden of ['ec2:UnlockSnapshot', 'ec2:DeleteSnapshot', 'ec2:ModifySnapshotAttribute']) expect(all).not.toContain(forbidden);
  });

  it('grants no lock action when no deployed playbook locks', () => {
    const statements = snapshotRoleStatements([playbook('plain', [action('evidence', 'snapshot-volumes'), action('alert', 'notify')])]);
    expect(statements.flatMap(actionsOf)).not.toContain('ec2:LockSnapshot');
    expect(statements.flatMap(actionsOf)).not.toContain('ec2:DescribeLockedSnapshots');
  });

  it('puts the same tag-conditioned statement in the member role', () => {
    const app = new App();
    const stack = new MemberRoleStack(app, 'FirebreakMemberRole', { responderActions: memberAccountActionsByResponder([LOCKING]), evidenceLockMaxDays: evidenceLockMaxDays([LOCKING]) });
    const roles = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r).includes('LockSnapshot'));
    expect(roles).toHaveLength(1);
    const statements = (roles[0]!.Properties as { Policies: [{ PolicyDocument: { Statement: Statement[] } }] }).Policies[0].PolicyDocument.Statement;
    expect(statements.find((s) => s.Sid === 'LockEvidenceSnapshots')).toEqual(EXPECTED_LOCK_STATEMENT);
  });
});

describe('snapshot-volumes lock option: IAM caps the lock at the longest deployed one', () => {
  it("grants the longest lock of the deployed playbooks, whichever playbook configures it", () => {
    const longer = playbook('kept-longer', [action('evidence', 'snapshot-volumes', { tags: {}, lock: { mode: 'governance', durationDays: 365 } }), action('alert', 'notify')]);
    expect(snapshotRoleStatements([LOCKING, longer]).find((s) => s.Sid === 'LockEvidenceSnapshots')?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true' },
      NumericLessThanEquals: { 'ec2:SnapshotLockDuration': '365' },
    });
    expect(evidenceLockMaxDays([LOCKING, longer])).toBe(365);
    expect(evidenceLockMaxDays([playbook('plain', [action('evidence', 'snapshot-volumes'), action('alert', 'notify')])])).toBeUndefined();
  });

  it('refuses to plan ec2:LockSnapshot without the cap, rather than grant any duration', () => {
    const app = new App();
    expect(() => new MemberRoleStack(app, 'FirebreakMemberRole', { responderActions: memberAccountActionsByResponder([LOCKING]) })).toThrow(/evidenceLockMaxDays/);
  });

  it('the member-role stack the app builds carries the cap of its playbooks', async () => {
    const { app, memberRole } = await buildFirebreakApp({ playbooks: [LOCKING], nag: false, cfnValidation: false, context: { ...SKIP_BUNDLING_CONTEXT } });
    const template = app.synth().getStackArtifact(memberRole!.artifactId).template as { Resources: Record<string, { Type: string; Properties: unknown }> };
    const roles = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::IAM::Role' && JSON.stringify(resource).includes('LockSnapshot'));
    expect(roles).toHaveLength(1);
    const statements = (roles[0]!.Properties as { Policies: [{ PolicyDocument: { Statement: Statement[] } }] }).Policies[0].PolicyDocument.Statement;
    expect(statements.find((s) => s.Sid === 'LockEvidenceSnapshots')).toEqual(EXPECTED_LOCK_STATEMENT);
  });
});

describe('snapshot-volumes lock option: the deployed locks (FIREBREAK_EVIDENCE_LOCKS)', () => {
  it('states the one lock the shipped playbooks configure: governance for 30 days', () => {
    expect(evidenceLocksVariable(loadPlaybookDirectorySync('playbooks'))).toBe('[{"mode":"governance","durationDays":30}]');
  });

  it("states each playbook's lock once, and none when no playbook locks", () => {
    const governance = playbook('governed-evidence', [action('evidence', 'snapshot-volumes', { tags: {}, lock: { mode: 'governance', durationDays: 30 } }), action('alert', 'notify')]);
    expect(evidenceLocksVariable([LOCKING, governance, { ...governance, name: 'governed-again' }])).toBe(
      '[{"mode":"compliance","durationDays":90,"coolOffHours":24},{"mode":"governance","durationDays":30}]',
    );
    expect(evidenceLocksVariable([playbook('plain', [action('evidence', 'snapshot-volumes'), action('alert', 'notify')])])).toBe('[]');
  });
});
