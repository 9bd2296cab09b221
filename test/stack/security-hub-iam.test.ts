/**
 * The Security Hub write-back in the synthesized templates (issue 13): the responder role may call
 * BatchUpdateFindings only on the account's hub and only to set the workflow statuses Firebreak
 * uses (securityhub:ASFFSyntaxPath/Workflow.Status); the member role gets the same statement when a
 * deployed playbook writes back, and neither role nor function exists otherwise; cdk-nag is clean.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { Playbook } from '../../lib/playbooks/model';
import { securityHubWorkflowStatuses } from '../../lib/playbooks/rails';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { memberAccountActionsByResponder, MemberRoleStack } from '../../lib/stack/member-role-stack';
import type { Statement } from './support';
import { COMPROMISED, DEFAULT_ALERT, TRUST_CONTEXT, action, actionsOf, logicalIdOf, playbook, statementsOfRole, synthesize } from './support';

const WRITE_BACK: Playbook = playbook(
  'contain-and-write-back',
  [action('contain', 'quarantine-instance'), action('alert', 'notify'), action('security-hub', 'update-security-hub-finding')],
  { resourceKinds: ['ec2-instance'] },
  150,
);
const RELEASE_WRITE_BACK: Playbook = {
  ...playbook('release-and-resolve', [action('release', 'release-instance'), action('alert', 'notify'), action('security-hub', 'update-security-hub-finding', { workflowStatus: 'RESOLVED' })], { resourceKinds: ['ec2-instance'] }, 0),
  trigger: 'manual',
  approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' },
};

const hubArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:*:', { Ref: 'AWS::AccountId' }, ':hub/default']] };
const EXPECTED: Statement = {
  Sid: 'WriteBackToSecurityHubFindings',
  Effect: 'Allow',
  Action: 'securityhub:BatchUpdateFindings',
  Resource: hubArn,
  Condition: {
    StringEquals: {
      'securityhub:ASFFSyntaxPath/Workflow.Status': ['NOTIFIED', 'RESOLVED'],
      // Every note the role writes is signed as Firebreak's, never as a person's.
      'securityhub:ASFFSyntaxPath/Note.UpdatedBy': 'Firebreak update-security-hub-finding',
    },
    // Review (sechub-review): only the workflow status and the note. Before, the statement let
    // the role lower a finding's severity, mark it FALSE_POSITIVE or rewrite its types in the
    // same request (IAM ANDs these keys: each must be absent).
    Null: {
      'securityhub:ASFFSyntaxPath/Confidence': 'true',
      'securityhub:ASFFSyntaxPath/Criticality': 'true',
      'securityhub:ASFFSyntaxPath/RelatedFindings': 'true',
      'securityhub:ASFFSyntaxPath/Severity.Label': 'true',
      'securityhub:ASFFSyntaxPath/Severity.Normalized': 'true',
      'securityhub:ASFFSyntaxPath/Severity.Product': 'true',
      'securityhub:ASFFSyntaxPath/Types': 'true',
      'securityhub:ASFFSyntaxPath/UserDefinedFields.key': 'true',
      'securityhub:ASFFSyntaxPath/UserDefinedFields.value': 'true',
      'securityhub:ASFFSyntaxPath/VerificationState': 'true',
    },
  },
};

/** Every policy statement anywhere in a template (inline role policies, AWS::IAM::Policy, managed policies). */
function statementsIn(node: unknown): Statement[] {
  if (Array.isArray(node)) return node.flatMap(statementsIn);
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  if (typeof record.Effect === 'string' && record.Action !== undefined) return [record as unknown as Statement];
  return Object.values(record).flatMap(statementsIn);
}

describe('update-security-hub-finding: IAM', () => {
  it("lets the responder update findings only on its account's hub, only their workflow status (NOTIFIED or RESOLVED, as the deployed steps set) and a note signed as Firebreak's, and nothing else of Security Hub", () => {
    const { template } = synthesize({ playbooks: [WRITE_BACK, RELEASE_WRITE_BACK, DEFAULT_ALERT] });
    const statements = statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', 'ResponderUpdateSecurityHubFindingRole'));
    expect(statements.find((s) => s.Sid === 'WriteBackToSecurityHubFindings')).toEqual(EXPECTED);
    // Its own record of the finding (for the release), its execution's grant and approval (read
    // only: it writes back only under them), and nothing else of the state table.
    expect(statements.find((s) => s.Sid === 'KeepIncidentState')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'securityhub#*' } },
    });
    expect(statements.find((s) => s.Sid === 'ReadContainmentGrants')).toMatchObject({
      Action: 'dynamodb:GetItem',
      // The emergency pause too (that one key): its NOTIFIED write-back acts under a containment grant.
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['grant#*', 'approval#*', 'pause#deployment'] } },
    });
    const securityHub = statements.flatMap(actionsOf).filter((a) => a.startsWith('securityhub:'));
    expect(securityHub).toEqual(['securityhub:BatchUpdateFindings']);
    // No other role of the deployment may touch Security Hub.
    const others = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !id.startsWith('ResponderUpdateSecurityHubFinding'));
    for (const id of others) expect(statementsOfRole(template, id).flatMap(actionsOf).filter((a) => a.startsWith('securityhub:')), id).toEqual([]);
  });

  it('ATTACK (resolved-origin): reads the history of exactly the executions of the playbooks with a write-back (GetExecutionHistory, row 13h), and knows its stack', () => {
    const { template } = synthesize({ playbooks: [WRITE_BACK, RELEASE_WRITE_BACK, DEFAULT_ALERT] });
    const execution = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:Firebreak-${name}:*` });
    const statements = statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', 'ResponderUpdateSecurityHubFindingRole'));
    expect(statements.find((s) => s.Sid === 'VerifyStepOrigins')).toEqual({
      Sid: 'VerifyStepOrigins',
      Effect: 'Allow',
      Action: 'states:GetExecutionHistory',
      Resource: [execution('contain-and-write-back'), execution('release-and-resolve')],
    });
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((resource) => JSON.stringify(resource).includes('ResponderUpdateSecurityHubFindingRole')) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(fn.Properties.Environment.Variables.FIREBREAK_STACK_NAME).toBe('Firebreak');
  });

  describe('ATTACK (review-securityhub): grants only the workflow statuses the deployed write-back steps set', () => {
    // The role's own credentials (the project's standard since row 13a: not only its code) must not
    // RESOLVE any finding of a served account when no deployed playbook resolves one: RESOLVED takes
    // a finding off the views people triage as surely as a lowered severity.
    const workflowStatusOf = (statements: Statement[]) =>
      (statements.find((s) => s.Sid === 'WriteBackToSecurityHubFindings')?.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.[
        'securityhub:ASFFSyntaxPath/Workflow.Status'
      ];
    const responderStatements = (playbooks: Playbook[]) => {
      const { template } = synthesize({ playbooks });
      return statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', 'ResponderUpdateSecurityHubFindingRole'));
    };
    const memberStatements = (playbooks: Playbook[]) =>
      statementsIn(
        Template.fromStack(
          new MemberRoleStack(new App(), 'FirebreakMemberRole', {
            responderActions: memberAccountActionsByResponder(playbooks),
            securityHubWorkflowStatuses: securityHubWorkflowStatuses(playbooks),
          }),
        ).toJSON(),
      );

    it('NOTIFIED only, in the responder role and the member role, when no deployed playbook resolves', () => {
      expect(workflowStatusOf(responderStatements([WRITE_BACK, DEFAULT_ALERT]))).toEqual(['NOTIFIED']);
      expect(workflowStatusOf(memberStatements([WRITE_BACK]))).toEqual(['NOTIFIED']);
    });

    it('RESOLVED too once a deployed release playbook resolves', () => {
      expect(workflowStatusOf(responderStatements([WRITE_BACK, RELEASE_WRITE_BACK, DEFAULT_ALERT]))).toEqual(['NOTIFIED', 'RESOLVED']);
      expect(workflowStatusOf(memberStatements([WRITE_BACK, RELEASE_WRITE_BACK]))).toEqual(['NOTIFIED', 'RESOLVED']);
    });

    it('reads the default (NOTIFIED) of a step that names no status, and fails the synth of a member role without the list', () => {
      expect(securityHubWorkflowStatuses([WRITE_BACK, RELEASE_WRITE_BACK])).toEqual(['NOTIFIED', 'RESOLVED']);
      expect(securityHubWorkflowStatuses([RELEASE_WRITE_BACK])).toEqual(['RESOLVED']);
      expect(securityHubWorkflowStatuses([COMPROMISED])).toEqual([]);
      expect(() => new MemberRoleStack(new App(), 'FirebreakMemberRole', { responderActions: memberAccountActionsByResponder([WRITE_BACK]) })).toThrow(/securityHubWorkflowStatuses/);
    });
  });

  it('exists only when a deployed playbook writes back', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT] });
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('ResponderUpdateSecurityHubFinding'))).toEqual([]);
    const everything = JSON.stringify(template.toJSON());
    expect(everything).not.toContain('securityhub:');
  });

  it("is invoked by the playbook with the earlier steps' results in its payload", () => {
    const { template } = synthesize({ playbooks: [WRITE_BACK, DEFAULT_ALERT] });
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map((m) => JSON.stringify(m));
    const writeBack = machines.find((m) => m.includes('update-security-hub-finding'));
    expect(writeBack).toBeDefined();
    const definition = (JSON.parse(writeBack!) as { Properties: { Definition: unknown } }).Properties.Definition as { States: Record<string, { Parameters?: { Payload?: { results?: unknown } } }> };
    expect(definition.States['security-hub']?.Parameters?.Payload?.results).toEqual({
      'Guard.$': '$.results.Guard.result',
      'contain.$': '$.results.contain.result',
      'alert.$': '$.results.alert.result',
    });
  });

  it('runs only where the changing steps ran: as written or approved, never before the approval nor on the evidence-only path', () => {
    const { template } = synthesize({ playbooks: [WRITE_BACK, DEFAULT_ALERT] });
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map((m) => JSON.stringify(m)).find((m) => m.includes('update-security-hub-finding'));
    const states = Object.keys(((JSON.parse(machine!) as { Properties: { Definition: unknown } }).Properties.Definition as { States: Record<string, unknown> }).States);
    const writeBacks = states.filter((name) => name.endsWith('security-hub'));
    expect(writeBacks.sort()).toEqual(['Approved-security-hub', 'security-hub']);
  });

  it('gives the member role the same statement when a deployed playbook writes back, and none otherwise', () => {
    const statementsOf = (playbooks: Playbook[]) => {
      const stack = new MemberRoleStack(new App(), 'FirebreakMemberRole', {
        responderActions: memberAccountActionsByResponder(playbooks),
        securityHubWorkflowStatuses: securityHubWorkflowStatuses(playbooks),
      });
      return statementsIn(Template.fromStack(stack).toJSON());
    };
    expect(statementsOf([WRITE_BACK, RELEASE_WRITE_BACK]).find((s) => s.Sid === 'WriteBackToSecurityHubFindings')).toEqual({
      ...EXPECTED,
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:*:', { Ref: 'AWS::AccountId' }, ':hub/default']] },
    });
    expect(statementsOf([COMPROMISED]).flatMap(actionsOf).filter((a) => a.startsWith('securityhub:'))).toEqual([]);
  });

  it('synthesizes cdk-nag clean with the write-back deployed', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'firebreak-nag-shub-'));
    const { app } = await buildFirebreakApp({
      playbooks: [WRITE_BACK, RELEASE_WRITE_BACK, DEFAULT_ALERT],
      context: { ...SKIP_BUNDLING_CONTEXT, ...TRUST_CONTEXT },
      cfnValidation: false,
      outdir,
    });
    app.synth();
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: { pluginName: string; violations: unknown[] }[] };
    expect(report.pluginReports.filter((p) => p.pluginName === 'AwsSolutions').flatMap((p) => p.violations)).toEqual([]);
  });
});
