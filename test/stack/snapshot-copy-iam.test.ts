import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Token, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { compilePlaybook } from '../../lib/playbooks/compile';
import { evidenceWaitRetrier } from '../../lib/playbooks/actions';
import type { Playbook } from '../../lib/playbooks/model';
import { evidenceLockMaxDays } from '../../lib/playbooks/rails';
import { readFirebreakConfig } from '../../lib/stack/config';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { ForensicRoleStack } from '../../lib/stack/forensic-role-stack';
import { memberAccountActionsByResponder, MemberRoleStack } from '../../lib/stack/member-role-stack';
import type { Statement } from './support';
import { action, actionsOf, logicalIdOf, playbook, statementsOfRole, synthesize } from './support';

const FORENSIC = '444455556666';
const KEY_ARN = `arn:aws:kms:eu-west-1:${FORENSIC}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const snapshotArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:*::snapshot/*']] };
const COPYING: Playbook = playbook('forensic-copy', [
  { kind: 'parallel', id: 'respond', branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes', { tags: {}, lock: { mode: 'governance', durationDays: 30 } })] },
  action('alert', 'notify'),
  action('forensic-copy', 'copy-evidence', { waitMinutes: 120 }),
  action('custody-alert', 'notify'),
]);
const FORENSIC_PROPS = { forensicAccountId: FORENSIC, forensicKmsKeyArn: KEY_ARN };
/** The rule that fails a deployment into the forensic account when the stack's account is known only then. */
const FORENSIC_RULE = 'ForensicAccountIsNotTheSecurityAccount';
const EXPECTED_SHARE = {
  Sid: 'ShareEvidenceWithTheForensicAccount',
  Effect: 'Allow',
  Action: 'ec2:ModifySnapshotAttribute',
  Resource: snapshotArn,
  Condition: {
    StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true', 'ec2:Attribute': 'createVolumePermission' },
    'ForAllValues:StringEquals': { 'ec2:Add/userId': FORENSIC },
    Null: { 'ec2:Add/group': 'true', 'ec2:Add/userId': 'false', 'ec2:Remove/group': 'true', 'ec2:Remove/userId': 'true' },
  },
};
// Once the copy completed: removing the forensic account's permission, nothing else (never adding).
const EXPECTED_UNSHARE = {
  Sid: 'UnshareEvidenceFromTheForensicAccount',
  Effect: 'Allow',
  Action: 'ec2:ModifySnapshotAttribute',
  Resource: snapshotArn,
  Condition: {
    StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true', 'ec2:Attribute': 'createVolumePermission' },
    'ForAllValues:StringEquals': { 'ec2:Remove/userId': FORENSIC },
    Null: { 'ec2:Remove/group': 'true', 'ec2:Remove/userId': 'false', 'ec2:Add/group': 'true', 'ec2:Add/userId': 'true' },
  },
};

function copyRole(template: Template): Statement[] {
  return statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', 'ResponderCopyEvidenceRole'));
}

describe('copy-evidence in the Firebreak stack', () => {
  it('shares only evidence-tagged snapshots, only with the forensic account; assumes only the forensic role; touches only custody# items', () => {
    const { template } = synthesize({ playbooks: [COPYING], ...FORENSIC_PROPS });
    const statements = copyRole(template);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.ShareEvidenceWithTheForensicAccount).toEqual(EXPECTED_SHARE);
    expect(bySid.UnshareEvidenceFromTheForensicAccount).toEqual(EXPECTED_UNSHARE);
    expect(bySid.AssumeTheForensicRole).toEqual({
      Sid: 'AssumeTheForensicRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${FORENSIC}:role/FirebreakForensicCopier`]] },
    });
    expect(bySid.KeepIncidentState).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'custody#*' } },
    });
    // DescribeInstances: a source must be a snapshot of a volume attached to the instance (its tags are claims).
    expect(bySid.DescribeForContainmentAndEvidence).toEqual({ Sid: 'DescribeForContainmentAndEvidence', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots'], Resource: '*' });
    const all = statements.flatMap(actionsOf);
    for (const forbidden of ['ec2:CopySnapshot', 'ec2:DeleteSnapshot', 'ec2:UnlockSnapshot', 'ec2:CreateTags']) expect(all).not.toContain(forbidden);
  });

  it("lets snapshot-volumes and copy-evidence read only the history of the executions of the playbooks with their step (GetExecutionHistory, nothing else of Step Functions), and names the stack", () => {
    // SNAPSHOT_ONLY has a snapshot step and no copy; ALERT_ONLY neither: their executions never invoke copy-evidence.
    const SNAPSHOT_ONLY = playbook('evidence-only', [action('evidence', 'snapshot-volumes', { tags: {} }), action('alert', 'notify')]);
    const ALERT_ONLY = playbook('alert-only', [action('alert', 'notify')]);
    const { template } = synthesize({ playbooks: [COPYING, SNAPSHOT_ONLY, ALERT_ONLY], ...FORENSIC_PROPS });
    const execution = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:Firebreak-${name}:*` });
    const stepFunctionsOf = (roleId: string) => statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', roleId)).filter((statement) => JSON.stringify(statement).includes('states:'));
    expect(stepFunctionsOf('ResponderSnapshotVolumesRole')).toEqual([
      { Sid: 'VerifyStepOrigins', Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: [execution('forensic-copy'), execution('evidence-only')] },
    ]);
    expect(stepFunctionsOf('ResponderCopyEvidenceRole')).toEqual([{ Sid: 'VerifyStepOrigins', Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: execution('forensic-copy') }]);
    for (const responder of ['snapshot-volumes', 'copy-evidence']) {
      const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) => JSON.stringify(r).includes(`Firebreak ${responder}:`));
      expect((fn!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables.FIREBREAK_STACK_NAME, responder).toBe('Firebreak');
    }
  });

  it('gives copy-evidence the forensic settings and the record key, which lets it MAC and verify custody records', () => {
    const { template } = synthesize({ playbooks: [COPYING], ...FORENSIC_PROPS });
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) => JSON.stringify(r).includes('copy-evidence'));
    const variables = (fn!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(variables).toMatchObject({ FIREBREAK_FORENSIC_ACCOUNT_ID: FORENSIC, FIREBREAK_FORENSIC_KMS_KEY_ARN: KEY_ARN, FIREBREAK_FORENSIC_ROLE_NAME: 'FirebreakForensicCopier' });
    expect(variables.FIREBREAK_RECORD_KEY_ARN).toBeDefined();
    const key = Object.values(template.findResources('AWS::KMS::Key')).find((r) => JSON.stringify(r).includes('QuarantineSealsRecords'));
    const policy = JSON.stringify(key);
    const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderCopyEvidenceRole');
    const statements = (key!.Properties as { KeyPolicy: { Statement: { Sid: string; Principal: unknown }[] } }).KeyPolicy.Statement;
    for (const sid of ['QuarantineSealsRecords', 'ReleaseVerifiesRecords']) {
      expect(JSON.stringify(statements.find((s) => s.Sid === sid)?.Principal), sid).toContain(roleId);
    }
    expect(policy).toContain('kms:GenerateMac');
  });

  it("row 3za: snapshot-volumes writes and reads only evidence# items and seals and verifies them with the record key; copy-evidence only reads them", () => {
    const { template } = synthesize({ playbooks: [COPYING], ...FORENSIC_PROPS });
    const tableArn = expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/StateTable/), 'Arn'] });
    const snapshotter = statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', 'ResponderSnapshotVolumesRole'));
    expect(snapshotter.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:UpdateItem'))).toEqual([
      { Sid: 'KeepIncidentState', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tableArn, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'evidence#*' } } },
    ]);
    const copier = Object.fromEntries(copyRole(template).map((s) => [s.Sid, s]));
    expect(copier.ReadContainmentGrants).toEqual({ Sid: 'ReadContainmentGrants', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'evidence#*' } } });
    const key = Object.values(template.findResources('AWS::KMS::Key')).find((r) => JSON.stringify(r).includes('QuarantineSealsRecords'));
    const statements = (key!.Properties as { KeyPolicy: { Statement: { Sid: string; Principal: unknown }[] } }).KeyPolicy.Statement;
    const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderSnapshotVolumesRole');
    for (const sid of ['QuarantineSealsRecords', 'ReleaseVerifiesRecords']) expect(JSON.stringify(statements.find((s) => s.Sid === sid)?.Principal), sid).toContain(roleId);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) => JSON.stringify(r).includes('Firebreak snapshot-volumes:'));
    const variables = (fn!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(variables.FIREBREAK_RECORD_KEY_ARN).toBeDefined();
    expect(variables.FIREBREAK_STATE_TABLE).toBeDefined();
  });

  it('refuses to synthesize a copy-evidence step without the forensic account and key', () => {
    expect(() => synthesize({ playbooks: [COPYING] })).toThrow(/copy-evidence step, but forensicAccountId and forensicKmsKeyArn are not set/);
  });

  it('compiles the copy step with the evidence wait first (a Step Functions Retry on EvidencePendingError), then the transient retry', () => {
    const definition = compilePlaybook(COPYING).definition;
    const retry = (definition.States['forensic-copy'] as unknown as { Retry: { ErrorEquals: string[] }[] }).Retry;
    expect(retry[0]).toEqual(evidenceWaitRetrier(120));
    expect(retry[0]).toEqual({ ErrorEquals: ['EvidencePendingError'], IntervalSeconds: 60, BackoffRate: 1.5, MaxDelaySeconds: 600, MaxAttempts: 16 });
    expect(retry[1]?.ErrorEquals).toContain('TransientResponderError');
    // Other steps do not wait.
    expect((definition.States.alert as unknown as { Retry: unknown[] }).Retry).toHaveLength(1);
  });

  it('waits at least as long as asked: the retrier’s delays add up to waitMinutes or more', () => {
    for (const minutes of [5, 60, 180, 1440]) {
      const r = evidenceWaitRetrier(minutes);
      let total = 0;
      for (let i = 0; i < r.MaxAttempts; i += 1) total += Math.min(r.IntervalSeconds * r.BackoffRate ** i, r.MaxDelaySeconds);
      expect(total).toBeGreaterThanOrEqual(minutes * 60);
      expect(total - Math.min(r.IntervalSeconds * r.BackoffRate ** (r.MaxAttempts - 1), r.MaxDelaySeconds)).toBeLessThan(minutes * 60);
    }
  });
});

describe('forensic configuration', () => {
  const read = (context: Record<string, unknown>) => () => readFirebreakConfig((key) => context[key]);
  it('takes the account, the key of that account and an optional role name', () => {
    expect(read({ ...FORENSIC_PROPS, forensicRoleName: 'ForensicCopier' })()).toMatchObject({ ...FORENSIC_PROPS, forensicRoleName: 'ForensicCopier' });
  });
  it('refuses one without the other, a key of another account, a key alias, a role name without an account', () => {
    expect(read({ forensicAccountId: FORENSIC })).toThrow(/forensicAccountId and forensicKmsKeyArn go together/);
    expect(read({ forensicAccountId: '111122223333', forensicKmsKeyArn: KEY_ARN })).toThrow(/the key must belong to the forensic account 111122223333, got a key of account 444455556666/);
    expect(read({ forensicAccountId: FORENSIC, forensicKmsKeyArn: 'alias/forensic' })).toThrow(/context "forensicKmsKeyArn": a KMS key ARN/);
    expect(read({ forensicRoleName: 'X' })).toThrow(/forensicRoleName is set but forensicAccountId is not/);
  });
  it('refuses a forensic account that is also a served account (its incidents\' copies would stay within that account\'s reach; copy-evidence refuses them)', () => {
    expect(read({ ...FORENSIC_PROPS, servedAccountIds: ['111122223333', FORENSIC] })).toThrow(/forensicAccountId 444455556666 is also in servedAccountIds/);
    expect(read({ ...FORENSIC_PROPS, servedAccountIds: ['111122223333'] })()).toMatchObject({ forensicAccountId: FORENSIC });
  });
  it('refuses a forensic account that is the security account: the vault is never served (row 1n), so every incident of the security account would be alerted only', () => {
    expect(read({ ...FORENSIC_PROPS, securityAccountId: FORENSIC })).toThrow(/forensicAccountId 444455556666 is the securityAccountId/);
    expect(read({ ...FORENSIC_PROPS, securityAccountId: '111122223333' })()).toMatchObject({ forensicAccountId: FORENSIC });
  });

  // Before review guard-role-age only a configured securityAccountId was compared (row 1q): a
  // deployment naming none, whose security account is the account it is deployed to, passed with the
  // forensic account being that very account, and every incident of it was alerted only.
  describe('ATTACK (guard-role-age): the security account known only from the stack (row 1u)', () => {
    it('refuses at synth a forensic account that is the stack\'s own account, when the stack names it', () => {
      expect(() => synthesize({ ...FORENSIC_PROPS, env: { account: FORENSIC, region: 'eu-west-1' } })).toThrow(
        /forensicAccountId 444455556666 is the account Firebreak is deployed to \(the security account\)/,
      );
      const other = synthesize({ ...FORENSIC_PROPS, env: { account: '111122223333', region: 'eu-west-1' } }).template;
      expect(Object.keys(other.toJSON().Rules ?? {})).not.toContain(FORENSIC_RULE);
    });

    // CDK_DEFAULT_ACCOUNT is the CLI's credentials, with which the app is also synthesized to deploy
    // FirebreakForensicRole into the forensic account (row 11y): a warning, and the rule below.
    it('warns, and keeps the rule, for an environment-agnostic stack whose CDK_DEFAULT_ACCOUNT is the forensic account', () => {
      const before = process.env.CDK_DEFAULT_ACCOUNT;
      process.env.CDK_DEFAULT_ACCOUNT = FORENSIC;
      try {
        const { stack, template } = synthesize(FORENSIC_PROPS);
        expect(Object.keys(template.toJSON().Rules ?? {})).toContain(FORENSIC_RULE);
        expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('forensicAccountId 444455556666 is CDK_DEFAULT_ACCOUNT'))).toHaveLength(1);
      } finally {
        if (before === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
        else process.env.CDK_DEFAULT_ACCOUNT = before;
      }
    });

    it('fails the deployment of an environment-agnostic stack into the forensic account (a CloudFormation rule on AWS::AccountId)', () => {
      const before = process.env.CDK_DEFAULT_ACCOUNT;
      delete process.env.CDK_DEFAULT_ACCOUNT;
      try {
        const rules = synthesize(FORENSIC_PROPS).template.toJSON().Rules as Record<string, unknown>;
        expect(rules[FORENSIC_RULE]).toEqual({
          Assertions: [
            {
              Assert: { 'Fn::Not': [{ 'Fn::Equals': [FORENSIC, { Ref: 'AWS::AccountId' }] }] },
              AssertDescription: expect.stringContaining(`forensicAccountId ${FORENSIC} is the account this stack is deployed to`) as unknown,
            },
          ],
        });
        // No forensic account, no rule.
        expect(Object.keys(synthesize().template.toJSON().Rules ?? {})).not.toContain(FORENSIC_RULE);
      } finally {
        if (before !== undefined) process.env.CDK_DEFAULT_ACCOUNT = before;
      }
    });

    // Before review review-role-age the app refused to synthesize whenever the CLI's credentials were
    // the forensic account's (CDK_DEFAULT_ACCOUNT), which is how docs/deploy.md deploys the
    // FirebreakForensicRole stack there: `cdk deploy FirebreakForensicRole` failed on the Firebreak
    // stack's check, though that stack was not being deployed. Whose credentials synthesize the app
    // says nothing of where the Firebreak stack goes; the Firebreak stack is then left
    // environment-agnostic, and the CloudFormation rule fails its own deployment into that account.
    it("ATTACK (review-role-age): synthesizes the app with the forensic account's credentials, as deploying FirebreakForensicRole needs, and the Firebreak stack carries the rule", async () => {
      const before = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
      process.env.CDK_DEFAULT_ACCOUNT = FORENSIC;
      process.env.CDK_DEFAULT_REGION = 'eu-west-1';
      try {
        const built = await buildFirebreakApp({ playbooks: [COPYING], nag: false, cfnValidation: false, memberRoleStack: false, context: { ...SKIP_BUNDLING_CONTEXT, ...FORENSIC_PROPS } });
        expect(built.forensicRole).toBeDefined();
        expect(Token.isUnresolved(built.stack.account)).toBe(true);
        const rules = Template.fromStack(built.stack).toJSON().Rules as Record<string, { Assertions: { Assert: unknown }[] }>;
        expect(rules[FORENSIC_RULE]?.Assertions[0]?.Assert).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [FORENSIC, { Ref: 'AWS::AccountId' }] }] });
        // The warning says why the stack was left without an account, and that its deployment there fails.
        const warnings = Annotations.fromStack(built.stack).findWarning('*', Match.stringLikeRegexp(`forensicAccountId ${FORENSIC} is CDK_DEFAULT_ACCOUNT`));
        expect(warnings).toHaveLength(1);
        // Another account's credentials still give the stack that concrete account, and no rule.
        process.env.CDK_DEFAULT_ACCOUNT = '111122223333';
        const other = await buildFirebreakApp({ playbooks: [COPYING], nag: false, cfnValidation: false, memberRoleStack: false, context: { ...SKIP_BUNDLING_CONTEXT, ...FORENSIC_PROPS } });
        expect(other.stack.account).toBe('111122223333');
        expect(Object.keys(Template.fromStack(other.stack).toJSON().Rules ?? {})).not.toContain(FORENSIC_RULE);
      } finally {
        for (const [key, value] of [['CDK_DEFAULT_ACCOUNT', before.account], ['CDK_DEFAULT_REGION', before.region]] as const) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    });
  });
});

describe('the member role with copy-evidence', () => {
  it('shares with the configured forensic account only, and fails the synth without one', () => {
    const app = new App();
    const stack = new MemberRoleStack(app, 'M', { responderActions: memberAccountActionsByResponder([COPYING]), forensicAccountId: FORENSIC, evidenceLockMaxDays: evidenceLockMaxDays([COPYING]) });
    const role = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role', { Properties: { RoleName: 'FirebreakResponder-copy-evidence' } }))[0]!;
    const statements = (role.Properties as { Policies: [{ PolicyDocument: { Statement: Statement[] } }] }).Policies[0].PolicyDocument.Statement;
    expect(statements.find((s) => s.Sid === 'ShareEvidenceWithTheForensicAccount')).toEqual(EXPECTED_SHARE);
    expect(statements.find((s) => s.Sid === 'UnshareEvidenceFromTheForensicAccount')).toEqual(EXPECTED_UNSHARE);
    expect(statements.find((s) => s.Sid === 'DescribeForContainmentAndEvidence')).toEqual({ Sid: 'DescribeForContainmentAndEvidence', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots'], Resource: '*' });
    expect(() => new MemberRoleStack(new App(), 'M', { responderActions: memberAccountActionsByResponder([COPYING]), evidenceLockMaxDays: evidenceLockMaxDays([COPYING]) })).toThrow(/no scoping rule for ec2:ModifySnapshotAttribute/);
  });
});

describe('ForensicRoleStack', () => {
  function forensicStack(props: Partial<ConstructorParameters<typeof ForensicRoleStack>[2]> = {}) {
    const app = new App();
    const stack = new ForensicRoleStack(app, 'FirebreakForensicRole', { forensicKmsKeyArn: KEY_ARN, securityAccountId: '999988887777', securityRegions: ['eu-west-1'], ...props });
    return { app, stack, template: Template.fromStack(stack) };
  }

  it('trusts exactly the copy-evidence responder role of the security account', () => {
    const { template } = forensicStack();
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'FirebreakForensicCopier',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::999988887777:root']] } },
            Condition: { StringEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::999988887777:role/firebreak-responder-eu-west-1-copy-evidence']] } } },
          },
        ],
      },
    });
  });

  it('requires the deployment\'s ExternalId too when it has one, as the member roles do', () => {
    const { template } = forensicStack({ externalId: 'firebreak-org-7f3a' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::999988887777:root']] } },
            Condition: {
              StringEquals: {
                'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::999988887777:role/firebreak-responder-eu-west-1-copy-evidence']] },
                'sts:ExternalId': 'firebreak-org-7f3a',
              },
            },
          },
        ],
      },
    });
    expect(() => forensicStack({ externalId: 'a' })).toThrow(/ForensicRoleStack: externalId must be/);
  });

  it('may copy and tag copies at creation, and use the forensic key only through EC2; never delete, share or unlock', () => {
    const { stack } = forensicStack();
    const json = stack.resolve(stack.statements.map((s) => s.toStatementJson())) as Statement[];
    const bySid = Object.fromEntries(json.map((s) => [s.Sid, s]));
    expect(bySid.CopyEvidenceSnapshots).toMatchObject({ Action: 'ec2:CopySnapshot', Resource: snapshotArn });
    // Only as part of CopySnapshot, and only the four keys copy-evidence writes: no tag another policy of the forensic account grants access by.
    expect(bySid.TagCopiesAtCreation).toEqual({
      Sid: 'TagCopiesAtCreation',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: snapshotArn,
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CopySnapshot' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['firebreak:incident', 'firebreak:evidence', 'firebreak:source-snapshot', 'firebreak:source-account'] },
      },
    });
    expect(bySid.EncryptCopiesWithTheForensicKey).toMatchObject({ Resource: KEY_ARN, Condition: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } } });
    expect(bySid.GrantEbsTheForensicKey).toMatchObject({ Action: 'kms:CreateGrant', Resource: KEY_ARN, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
    expect(bySid.ReadEncryptedSources).toBeUndefined();
    const all = json.flatMap(actionsOf);
    for (const forbidden of ['ec2:DeleteSnapshot', 'ec2:ModifySnapshotAttribute', 'ec2:UnlockSnapshot', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy']) expect(all).not.toContain(forbidden);
    expect(all.every((a) => !a.includes('*'))).toBe(true);
  });

  it('reads encrypted sources only with the named source accounts’ keys, through EC2', () => {
    const { stack } = forensicStack({ sourceAccountIds: ['111122223333'] });
    const json = stack.resolve(stack.statements.map((s) => s.toStatementJson())) as Statement[];
    expect(json.find((s) => s.Sid === 'ReadEncryptedSources')).toMatchObject({
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:*:111122223333:key/*']] },
      Condition: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
    });
  });

  it('is cdk-nag clean (each wildcard acknowledged with its reason)', () => {
    const { app } = forensicStack({ sourceAccountIds: ['111122223333'] });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations?: unknown[] }> };
    expect(report.pluginReports.flatMap((p) => p.violations ?? [])).toEqual([]);
  });

  it('refuses a key alias and malformed accounts', () => {
    expect(() => forensicStack({ forensicKmsKeyArn: 'alias/forensic' })).toThrow(/forensicKmsKeyArn must be a KMS key ARN/);
    expect(() => forensicStack({ sourceAccountIds: ['12'] })).toThrow(/sourceAccountIds must be 12-digit/);
  });
});
