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

describe('the emergency-pause function and the PauserPolicy', () => {
  const pauseRole = logicalIdOf(template, 'AWS::IAM::Role', 'EmergencyPauseFunctionRole');
  const pauseFunction = { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', 'EmergencyPauseFunction'), 'Arn'] };

  it('may read, set and lift the one pause item, put spent caller proofs, and touch no other item of the state table (no grant, record or slot)', () => {
    const table = roleStatements(pauseRole).filter((statement) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
    expect(table.filter((statement) => !JSON.stringify(statement.Condition).includes('incident#'))).toEqual([
      {
        Sid: 'SetAndLiftTheEmergencyPause',
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'pause#deployment' } },
      },
      {
        // Put only (never read, changed or deleted), only under proof#: a request sent again whole is refused (row 5k).
        Sid: 'SpendEachCallerProofOnce',
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'proof#*' } },
      },
    ]);
  });

  it('publishes to the operations topic only, and calls nothing else of AWS (no Step Functions, no task token)', () => {
    const actions = roleStatements(pauseRole).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('sns:'))).toEqual(['sns:Publish']);
    expect(actions.filter((a) => a.startsWith('states:') || a.startsWith('ec2:') || a.startsWith('iam:'))).toEqual([]);
    const publish = roleStatements(pauseRole).find((statement) => actionsOf(statement).includes('sns:Publish'));
    expect(publish?.Resource).toEqual({ Ref: expect.stringMatching(/^(Alerting)?OperationsTopic/) });
  });

  it('is reached only through its AWS_IAM Function URL, and the PauserPolicy lets people call that URL and nothing else', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: pauseFunction });
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy')).filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes('EmergencyPauseFunction'));
    expect(policies).toHaveLength(1);
    expect((policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      { Sid: 'CallTheEmergencyPauseFunctionUrl', Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: pauseFunction, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } } },
      { Sid: 'InvokeTheEmergencyPauseFunctionThroughItsUrlOnly', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: pauseFunction, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } },
    ]);
    // No resource-based policy opens the function to anyone whose own IAM policy does not allow it.
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).map((permission) => JSON.stringify(permission.Properties.FunctionName));
    expect(permissions.filter((name) => name.includes('EmergencyPauseFunction'))).toEqual([]);
  });

  it('outputs its URL and the PauserPolicy for the CLI and the deployer', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.EmergencyPauseFunctionUrl?.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EmergencyPauseFunction.*Url/), 'FunctionUrl'] });
    expect(outputs.PauserPolicyArn?.Value).toEqual({ Ref: expect.stringMatching(/^EmergencyPausePauserPolicy/) });
  });
});
