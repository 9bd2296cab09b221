import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ACTIONS, iamActionsForStep } from '../../lib/playbooks/actions';
import { compilePlaybook, isGuardedPlaybook } from '../../lib/playbooks/compile';
import type { AslDefinition } from '../../lib/playbooks/compile';
import { flattenSteps } from '../../lib/playbooks/model';
import { stateMachinePlaceholder } from '../../lib/playbooks/dispatcher';
import { routedPlaybookNames, routingTableFromEnvironment } from '../../lib/playbooks/routing';
import { releasePlaybook } from '../../lib/stack/playbooks';
import { STATE_TABLE_ACCESS } from '../../lib/stack/responders';
import { guardDutySeverityThreshold } from '../../lib/stack/rules';
import { blastRadiusSlotKey } from '../../lib/responders/blast-radius';
import { GRANT_VALIDITY_SECONDS, grantKey } from '../../lib/responders/grants';
import { playbookRailsFor } from '../../lib/playbooks/rails';
import { RESTORE_HOLD_SECONDS, RESTORE_HOLD_WAIT_SECONDS, quarantineRecordKey } from '../../lib/responders/quarantine-records';
import { RecordHeldForRestoreError, TRANSIENT_ERROR_NAMES } from '../../lib/contracts/responder-errors';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS } from '../../lib/contracts/privileged-names';
import type { Statement } from './support';
import {
  action,
  actionsOf,
  ALARM,
  allStatements,
  COMPROMISED,
  DEFAULT_ALERT,
  logicalIdOf,
  playbook,
  resourcesOf,
  statementsOfRole,
  synthesize,
} from './support';

const partition = { Ref: 'AWS::Partition' };
const region = { Ref: 'AWS::Region' };
const account = { Ref: 'AWS::AccountId' };
const ec2Arn = (type: string) => ({ 'Fn::Join': ['', ['arn:', partition, ':ec2:*:', account, `:${type}/*`]] });
const snapshotArn = { 'Fn::Join': ['', ['arn:', partition, ':ec2:*::snapshot/*']] };

/** The statements a responder role has beyond its own logs and X-Ray. */
function responderStatements(template: ReturnType<typeof synthesize>['template'], responder: string): Statement[] {
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`);
  return statementsOfRole(template, roleId).filter(
    (statement) => statement.Sid !== 'WriteOwnLogs' && !actionsOf(statement).every((a) => a.startsWith('xray:')),
  );
}

function grantedActions(statements: readonly Statement[]): string[] {
  return [...new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf))].sort();
}

describe('FirebreakStack event rules', () => {
  it('matches GuardDuty findings numerically from the lowest severity any playbook or the Medium default acts on', () => {
    const { template } = synthesize();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { severity: [{ numeric: ['>=', 4] }] },
      },
    });
  });

  it('lowers the GuardDuty threshold to the lowest playbook minimum below Medium, never raises it above Medium', () => {
    const low = playbook('low-findings', [action('alert', 'notify')], { severity: { min: 2.5, max: 3.9 } });
    synthesize({ playbooks: [COMPROMISED, low] }).template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.guardduty'], detail: { severity: [{ numeric: ['>=', 2.5] }] } },
    });
    expect(guardDutySeverityThreshold([COMPROMISED])).toBe(4);
    // A GuardDuty playbook without a range takes everything.
    expect(guardDutySeverityThreshold([playbook('all', [action('alert', 'notify')])])).toBe(0);
    // Alarm playbooks do not lower the GuardDuty threshold.
    expect(guardDutySeverityThreshold([ALARM])).toBe(4);
    // Nor do manual playbooks (release): triage never routes an event to them.
    const manual = { ...playbook('release-like', [action('alert', 'notify')]), trigger: 'manual' as const };
    expect(guardDutySeverityThreshold([COMPROMISED, manual])).toBe(4);
    expect(guardDutySeverityThreshold([COMPROMISED, { ...manual, trigger: 'automatic' as const }])).toBe(0);
  });

  it('matches only CloudWatch alarms entering ALARM, filtered to the alarm playbooks’ names', () => {
    const { template } = synthesize();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] }, alarmName: [{ wildcard: 'firebreak-*' }, { wildcard: 'prod-*-cpu' }] },
      },
    });
  });

  it('takes every alarm name when an alarm playbook names none, and has no alarm rule without alarm playbooks', () => {
    const anyAlarm = playbook('any-alarm', [action('alert', 'notify')], { sources: ['cloudwatch'] });
    synthesize({ playbooks: [anyAlarm] }).template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudwatch'], detail: { state: { value: ['ALARM'] }, alarmName: Match.absent() } },
    });
    // Issue 8: no game-day rule on the default bus any more; game days off by default.
    const rules = resourcesOf(synthesize({ playbooks: [COMPROMISED] }).template, 'AWS::Events::Rule');
    expect(Object.values(rules).map((rule) => (rule.Properties.EventPattern as { source: string[] }).source[0])).toEqual(['aws.guardduty']);
  });

  it('matches game-day injections of every shape, unfiltered, on the game-day bus only', () => {
    const { template } = synthesize({ gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'] });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^GameDayBus') },
      EventPattern: {
        source: ['firebreak.gameday'],
        'detail-type': ['GuardDuty Finding', 'CloudWatch Alarm State Change', 'GuardDuty Malware Protection Object Scan Result'],
        detail: Match.absent(),
      },
    });
  });

  it('targets the dispatcher (then the oversized-event intake) from every rule with a role, a retry policy and the dead-letter queue', () => {
    const { template } = synthesize();
    const dispatcher = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'DispatcherStateMachine');
    const dlq = logicalIdOf(template, 'AWS::SQS::Queue', 'UndeliveredEventsQueue');
    const rules = Object.values(resourcesOf(synthesize({ gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'] }).template, 'AWS::Events::Rule'));
    // GuardDuty findings, S3 scan results (the default alert takes every GuardDuty type), alarms, game days.
    expect(rules).toHaveLength(4);
    for (const rule of rules) {
      expect((rule.Properties.Targets as unknown[])[0]).toEqual(
        {
          Id: 'Target0',
          Arn: { Ref: dispatcher },
          RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^DispatcherStateMachineEventsRole/), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 20 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
        },
      );
      expect(rule.Properties.Targets).toHaveLength(2);
    }
    // EventBridge may put undeliverable events in the DLQ, and only from these rules.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('FirebreakStack IAM', () => {
  it('has no wildcard action in any statement, Allow or Deny, anywhere in the template', () => {
    const { template } = synthesize({
      memberRoleName: 'FirebreakResponder',
      organizationId: 'o-a1b2c3d4e5',
      gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'],
    });
    const statements = allStatements(template);
    expect(statements.length).toBeGreaterThan(20);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.includes('*')))).toEqual([]);
  });

  it('grants quarantine-instance exactly the union of its steps’ IAM actions, plus its state-table records and whether its grant\'s execution runs', () => {
    const { template } = synthesize();
    const expected = [
      ...new Set([
        ...iamActionsForStep('quarantine-instance', {}),
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        // A grant clears it only while its execution runs (grants.ts checkContainmentGrant).
        'states:DescribeExecution',
      ]),
    ].sort();
    expect(grantedActions(responderStatements(template, 'QuarantineInstance'))).toEqual(expected);
  });

  it('scopes each quarantine API to the resource types it authorizes on, in this account', () => {
    const statements = responderStatements(synthesize().template, 'QuarantineInstance');
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.DescribeForContainmentAndEvidence).toMatchObject({ Resource: '*' });
    expect(actionsOf(bySid.DescribeForContainmentAndEvidence!).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    expect(bySid.MoveNetworkInterfacesBetweenGroups).toEqual({
      Sid: 'MoveNetworkInterfacesBetweenGroups',
      Effect: 'Allow',
      Action: 'ec2:ModifyNetworkInterfaceAttribute',
      Resource: ec2Arn('network-interface'),
    });
    // Into Firebreak's own groups only (release restores any recorded group: test/stack/iam-narrowing.test.ts).
    expect(bySid.IntoFirebreakGroupsOnly).toEqual({
      Sid: 'IntoFirebreakGroupsOnly',
      Effect: 'Allow',
      Action: 'ec2:ModifyNetworkInterfaceAttribute',
      Resource: ec2Arn('security-group'),
      Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
    });
    expect(bySid.ChangeRulesOfFirebreakGroupsOnly).toMatchObject({
      Resource: ec2Arn('security-group'),
      Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
    });
    expect(bySid.CreateIsolationGroups).toEqual({
      Sid: 'CreateIsolationGroups',
      Effect: 'Allow',
      Action: 'ec2:CreateSecurityGroup',
      Resource: ec2Arn('security-group'),
      Condition: { StringEquals: { 'aws:RequestTag/firebreak:managed': 'true' } },
    });
    expect(bySid.CreateIsolationGroupsInAnyVpc).toMatchObject({ Action: 'ec2:CreateSecurityGroup', Resource: ec2Arn('vpc') });
    expect(bySid.TagIsolationGroupsAtCreation).toEqual({
      Sid: 'TagIsolationGroupsAtCreation',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2Arn('security-group'),
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'firebreak:managed', 'firebreak:purpose'] },
      },
    });
    expect(bySid.TagResourcesAtCreation).toBeUndefined();
    expect(bySid.TagContainedInstances).toMatchObject({ Action: 'ec2:CreateTags', Resource: ec2Arn('instance') });
    expect(bySid.KeepIncidentState).toMatchObject({
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
    });
  });

  it('grants snapshot-volumes CreateSnapshots on instance and volume ARNs, and on snapshot ARNs only tagged as evidence, and tags only at creation', () => {
    const statements = responderStatements(synthesize().template, 'SnapshotVolumes');
    // Its own EC2 actions, the append to the incident record every step but triage makes, and the
    // history of its playbooks' executions (it acts only for a task they scheduled: step-origin.ts),
    // and its sealed evidence records (GetItem, PutItem of evidence# items only, row 3za).
    expect(grantedActions(statements)).toEqual([...new Set([...iamActionsForStep('snapshot-volumes', {}), 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:GetExecutionHistory'])].sort());
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.KeepIncidentState).toMatchObject({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'evidence#*' } } });
    expect(bySid.SnapshotVolumesForEvidence).toMatchObject({
      Action: 'ec2:CreateSnapshots',
      Resource: [ec2Arn('instance'), ec2Arn('volume')],
    });
    expect(bySid.CreateEvidenceSnapshotsOnly).toEqual({
      Sid: 'CreateEvidenceSnapshotsOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateSnapshots',
      Resource: snapshotArn,
      Condition: { StringEquals: { 'aws:RequestTag/firebreak:evidence': 'true' } },
    });
    expect(bySid.TagResourcesAtCreation).toMatchObject({
      Resource: snapshotArn,
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshots' } },
    });
    // Snapshot never tags an existing instance.
    expect(bySid.TagContainedInstances).toBeUndefined();
  });

  it('grants publish-alert sns:Publish on the alert and backup topics and their keys, PutItem of approval requests and their verification only, nothing else', () => {
    const statements = responderStatements(synthesize().template, 'PublishAlert');
    expect(statements).toEqual([
      { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^AlertTopic/) } },
      {
        Sid: 'EncryptAlertsWithTheTopicKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^AlertKey/), 'Arn'] },
      },
      {
        Sid: 'AppendIncidentRecord',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } },
      },
      {
        Sid: 'StoreApprovalRequests',
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'approval#*' } },
      },
      // The request's alert gives the deadline the approval function enforces: the guard's grant's.
      // GetItem of grant# items only, never a write (review approval-binding).
      {
        Sid: 'ReadApprovalDeadlinesForAlerts',
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'grant#*' } },
      },
      // It verifies an approval request before storing it (docs/security.md §C3): DescribeExecution
      // of the guarded playbook's executions only, and a heartbeat, which cannot complete a task
      // (GetExecutionHistory, the token is one this execution scheduled, is VerifyAlertOrigins').
      {
        Sid: 'VerifyApprovalRequestExecutions',
        Effect: 'Allow',
        Action: 'states:DescribeExecution',
        Resource: { 'Fn::Join': ['', ['arn:', partition, ':states:', region, ':', account, ':execution:Firebreak-compromised-ec2:*']] },
      },
      { Sid: 'ProveApprovalTaskTokensWait', Effect: 'Allow', Action: 'states:SendTaskHeartbeat', Resource: '*' },
      // The backup channel (issue 13): the operations topic and its own key.
      { Sid: 'PublishToTheBackupChannel', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^OperationsTopic/) } },
      {
        Sid: 'EncryptForTheBackupChannel',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OperationsKey/), 'Arn'] },
      },
      // It verifies that the playbook execution an alert names sent it (docs/security.md §D5):
      // GetExecutionHistory of every playbook's executions of this stack, nothing else.
      {
        Sid: 'VerifyAlertOrigins',
        Effect: 'Allow',
        Action: 'states:GetExecutionHistory',
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:Firebreak-compromised-ec2:*' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:Firebreak-instance-alarm:*' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:Firebreak-default-alert:*' },
        ],
      },
    ]);
  });

  it('grants triage nothing beyond its logs and traces', () => {
    expect(responderStatements(synthesize().template, 'Triage')).toEqual([]);
  });

  it('lets each responder write only its own log group', () => {
    const { template } = synthesize();
    for (const responder of ['Triage', 'PublishAlert', 'QuarantineInstance', 'SnapshotVolumes']) {
      const roleId = logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`);
      const logs = statementsOfRole(template, roleId).find((statement) => statement.Sid === 'WriteOwnLogs');
      expect(logs).toEqual({
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Logs::LogGroup', `Responder${responder}Logs`), 'Arn'] },
      });
    }
  });

  it('adds role-session revocation only when a playbook asks for it, with a deny on Firebreak’s own and privileged roles', () => {
    const without = grantedActions(responderStatements(synthesize().template, 'QuarantineInstance'));
    expect(without).not.toContain('iam:PutRolePolicy');

    const revoking = playbook('revoking', [action('contain', 'quarantine-instance', { revokeRoleSessions: true }), action('alert', 'notify')]);
    const { template } = synthesize({ playbooks: [revoking] });
    const statements = responderStatements(template, 'QuarantineInstance');
    // GetRole reads the role's current tags (protected, game-day opt-in) before its sessions are revoked;
    // GetRolePolicy, on an instance already quarantined, whether the role's deny predates this execution (row 11i).
    expect(grantedActions(statements)).toEqual(expect.arrayContaining(['iam:GetInstanceProfile', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy']));
    // ListInstanceProfilesForRole: the profiles whose instances hold the role, a protected one keeping its sessions (row 2y).
    expect(statements.find((statement) => statement.Sid === 'ReadNamedRoles')).toMatchObject({ Effect: 'Allow', Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListInstanceProfilesForRole'] });
    expect(without).not.toContain('iam:GetRolePolicy');
    // The names the credential rails refuse before any call, as the credential steps get them.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('quarantine-instance'),
      Environment: { Variables: Match.objectLike({ FIREBREAK_PRIVILEGED_NAME_PATTERNS: DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS.join(',') }) },
    });
    const deny = statements.find((statement) => statement.Sid === 'DenyProtectedRoles');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'iam:PutRolePolicy' });
    expect(JSON.stringify(deny?.Resource)).toContain(':role/firebreak-responder-*');
    expect(JSON.stringify(deny?.Resource)).toContain(':role/Firebreak-*');
    expect(JSON.stringify(deny?.Resource)).toContain(':role/*Admin*');
    expect(JSON.stringify(deny?.Resource)).toContain(':role/*/OrganizationAccountAccessRole');
  });

  it('lets EC2 responders assume the member role in the served accounts only when one is configured', () => {
    const withoutMembers = responderStatements(synthesize().template, 'QuarantineInstance');
    expect(grantedActions(withoutMembers)).not.toContain('sts:AssumeRole');

    const { template } = synthesize({
      memberRoleName: 'FirebreakResponder',
      memberRoleExternalId: 'firebreak-prod',
      organizationId: 'o-a1b2c3d4e5',
    });
    const assume = responderStatements(template, 'QuarantineInstance').find((s) => s.Sid === 'AssumeFirebreakMemberRole');
    expect(assume).toEqual({
      Sid: 'AssumeFirebreakMemberRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      // Its own member role only: the member-account role of no other responder.
      Resource: { 'Fn::Join': ['', ['arn:', partition, ':iam::*:role/FirebreakResponder-quarantine-instance']] },
      Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
    });
    expect(grantedActions(responderStatements(template, 'PublishAlert'))).not.toContain('sts:AssumeRole');

    const FORENSIC_KEY = 'arn:aws:kms:eu-west-1:999900001111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    // Narrowed to the served accounts when any is listed, as the client factories are; else every
    // account of the organization but the forensic one (row 4b).
    const served = synthesize({ memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5', servedAccountIds: ['444455556666'], forensicAccountId: '999900001111', forensicKmsKeyArn: FORENSIC_KEY }).template;
    for (const responder of ['QuarantineInstance', 'ContainmentGuard']) {
      expect(responderStatements(served, responder).find((s) => s.Sid === 'AssumeFirebreakMemberRole')?.Condition, responder).toEqual({
        StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5', 'aws:ResourceAccount': ['444455556666'] },
      });
    }
    const organization = synthesize({ memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5', forensicAccountId: '999900001111', forensicKmsKeyArn: FORENSIC_KEY }).template;
    expect(responderStatements(organization, 'QuarantineInstance').find((s) => s.Sid === 'AssumeFirebreakMemberRole')?.Condition).toEqual({
      StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' },
      StringNotEquals: { 'aws:ResourceAccount': '999900001111' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder-quarantine-instance',
          FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: 'firebreak-prod',
          FIREBREAK_SECURITY_ACCOUNT_ID: account,
        }),
      },
    });
  });

  it('names the roles of responders that act in member accounts as the member role trusts them', () => {
    const { template } = synthesize();
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['firebreak-responder-', region, '-quarantine-instance']] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['firebreak-responder-', region, '-snapshot-volumes']] },
    });
    const publishRole = resourcesOf(template, 'AWS::IAM::Role')[logicalIdOf(template, 'AWS::IAM::Role', 'ResponderPublishAlertRole')];
    expect(publishRole?.Properties.RoleName).toBeUndefined();
  });

  it('lets playbook state machines invoke exactly their responders, and the dispatcher start exactly the playbooks', () => {
    const { template } = synthesize();
    const fnArn = (responder: string) => ({
      'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', `Responder${responder}Function`), 'Arn'],
    });
    const role = (prefix: string) => logicalIdOf(template, 'AWS::IAM::Role', prefix);
    const sid = (roleId: string, name: string) => statementsOfRole(template, roleId).find((s) => s.Sid === name);

    expect(sid(role('PlaybookCompromisedEc2StateMachineRole'), 'InvokeResponders')?.Resource).toEqual([
      fnArn('ContainmentGuard'),
      fnArn('PublishAlert'),
      fnArn('QuarantineInstance'),
      fnArn('SnapshotVolumes'),
    ]);
    expect(sid(role('PlaybookDefaultAlertStateMachineRole'), 'InvokeResponders')?.Resource).toEqual(fnArn('PublishAlert'));
    const dispatcherRole = role('DispatcherStateMachineRole');
    expect(sid(dispatcherRole, 'InvokeResponders')?.Resource).toEqual([fnArn('Triage'), fnArn('PublishAlert')]);
    expect(sid(dispatcherRole, 'StartPlaybooks')).toMatchObject({
      Action: 'states:StartExecution',
      Resource: ['CompromisedEc2', 'InstanceAlarm', 'DefaultAlert'].map((name) => ({
        Ref: logicalIdOf(template, 'AWS::StepFunctions::StateMachine', `Playbook${name}StateMachine`),
      })),
    });
    expect(sid(dispatcherRole, 'KeepUnprocessableEvents')).toMatchObject({
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue', 'UnprocessableEventsQueue'), 'Arn'] },
    });
  });
});

describe('FirebreakStack state machines', () => {
  it('deploys each playbook as a Standard state machine running exactly its compiled definition', () => {
    const { template } = synthesize();
    for (const [pb, prefix] of [
      [COMPROMISED, 'PlaybookCompromisedEc2'],
      [ALARM, 'PlaybookInstanceAlarm'],
      [DEFAULT_ALERT, 'PlaybookDefaultAlert'],
    ] as const) {
      const compiled = compilePlaybook(pb);
      const id = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', `${prefix}StateMachine`);
      const machine = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[id]!.Properties;
      expect(machine.StateMachineType).toBe('STANDARD');
      expect(machine.StateMachineName).toBe(`Firebreak-${pb.name}`);
      // The compiler's definition, as an object (not a string: the template stays small), key for key.
      expect(JSON.stringify(machine.Definition)).toBe(JSON.stringify(compiled.definition));
      expect(machine.DefinitionString).toBeUndefined();
      expect(Object.keys(machine.DefinitionSubstitutions as object).sort()).toEqual([...compiled.substitutions].sort());
      expect(machine.LoggingConfiguration).toEqual({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}Logs`)), 'Arn'] } } }],
        // Playbooks that can wait for approval keep the task token out of their logs (issue 8).
        IncludeExecutionData: !isGuardedPlaybook(pb),
        Level: 'ALL',
      });
      expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    }
  });

  it('compiles every step of the compromised-instance playbook with its retry and its failure catch', () => {
    const { template } = synthesize();
    const id = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookCompromisedEc2StateMachine');
    const definition = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[id]!.Properties.Definition as AslDefinition;
    const branches = (definition.States.respond!.Branches as AslDefinition[]).map((branch) => branch.States);
    const tasks = { contain: branches[0]!.contain!, evidence: branches[1]!.evidence!, alert: definition.States.alert! };
    expect(Object.keys(tasks)).toEqual(flattenSteps(COMPROMISED.steps).map((step) => step.id));
    for (const [stepId, task] of Object.entries(tasks)) {
      expect(task.Retry).toEqual([
        // Quarantine first waits out a release's hold on the instance's record (RecordHeldForRestoreError).
        ...(stepId === 'contain' ? [{ ErrorEquals: ['RecordHeldForRestoreError'], IntervalSeconds: 5, BackoffRate: 2, MaxDelaySeconds: 30, MaxAttempts: 14 }] : []),
        { ErrorEquals: [...TRANSIENT_ERROR_NAMES], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 4, JitterStrategy: 'FULL' },
      ]);
      expect(task.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${stepId}-failure-alert` }]);
    }
  });

  it('substitutes each function placeholder with its responder’s ARN', () => {
    const { template } = synthesize();
    const id = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookCompromisedEc2StateMachine');
    expect(resourcesOf(template, 'AWS::StepFunctions::StateMachine')[id]!.Properties.DefinitionSubstitutions).toEqual({
      Fn_containment_guard: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderContainmentGuardFunction'), 'Arn'] },
      Fn_publish_alert: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderPublishAlertFunction'), 'Arn'] },
      Fn_quarantine_instance: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderQuarantineInstanceFunction'), 'Arn'] },
      Fn_snapshot_volumes: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderSnapshotVolumesFunction'), 'Arn'] },
    });
  });

  it('deploys the dispatcher as an Express state machine that starts the routed playbooks by index, their ARNs substituted into its definition', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT, RELEASE] });
    const id = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'DispatcherStateMachine');
    const machine = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[id]!.Properties;
    expect(machine.StateMachineType).toBe('EXPRESS');
    expect(machine.LoggingConfiguration).toMatchObject({ IncludeExecutionData: true, Level: 'ALL' });
    const definition = machine.Definition as AslDefinition;
    // Triage gets the event and its receive time only: the routing table is in its environment.
    expect((definition.States.Triage!.Parameters as { Payload: unknown }).Payload).toEqual({ 'event.$': '$', 'receivedAt.$': '$$.Execution.StartTime' });
    expect(JSON.stringify(machine.Definition)).not.toMatch(/"routing"|stateMachineArn/);
    // The ARNs in the order of triage's routing table, the one at the decided index started; no manual playbook (release).
    expect((definition.States.StartPlaybook!.Parameters as Record<string, unknown>)['StateMachineArn.$']).toBe(
      "States.ArrayGetItem(States.Array('${Sm_compromised_ec2}', '${Sm_instance_alarm}', '${Sm_default_alert}'), $.triage.decision.playbookIndex)",
    );
    expect((definition.States.DeployedPlaybook as unknown as { Choices: { And: { StringEquals?: string; NumericEquals?: number }[] }[] }).Choices.map((choice) => choice.And.map((rule) => rule.NumericEquals ?? rule.StringEquals))).toEqual([
      [0, 'compromised-ec2'],
      [1, 'instance-alarm'],
      [2, 'default-alert'],
    ]);
    const triage = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderTriageFunction')]!;
    const routing = routingTableFromEnvironment((triage.Properties.Environment as { Variables: Record<string, string> }).Variables);
    expect(routedPlaybookNames(routing)).toEqual(['compromised-ec2', 'instance-alarm', 'default-alert']);
    expect(JSON.stringify(machine.Definition)).not.toContain(stateMachinePlaceholder(RELEASE.name));
    const substitutions = machine.DefinitionSubstitutions as Record<string, unknown>;
    expect(substitutions.Sm_compromised_ec2).toEqual({
      Ref: logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookCompromisedEc2StateMachine'),
    });
    expect(Object.keys(substitutions)).not.toContain(stateMachinePlaceholder(RELEASE.name));
    expect(substitutions.InvalidEventQueueUrl).toEqual({ Ref: logicalIdOf(template, 'AWS::SQS::Queue', 'UnprocessableEventsQueue') });
  });

  it('forces dry-run in the routing table by default (a first deployment), and not in enforce mode', () => {
    const settingsOf = (props: Parameters<typeof synthesize>[0]) => {
      const { template } = synthesize(props);
      const triage = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderTriageFunction')]!;
      return routingTableFromEnvironment((triage.Properties.Environment as { Variables: Record<string, string> }).Variables).settings;
    };
    expect(settingsOf({})).toEqual({ forceDryRun: true });
    expect(settingsOf({ mode: 'enforce' })).toEqual({ forceDryRun: false });
    expect(settingsOf({ mode: 'dry-run' })).toEqual({ forceDryRun: true });
  });
});

describe('FirebreakStack resources', () => {
  it('encrypts the alert topic with a rotating customer-managed key and refuses non-TLS publishing', () => {
    const { template } = synthesize({ alertEmails: ['oncall@example.com', 'secops@example.com'] });
    const key = logicalIdOf(template, 'AWS::KMS::Key', 'AlertKey');
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'));
    const alertTopic = logicalIdOf(template, 'AWS::SNS::Topic', 'AlertTopic');
    expect(
      subscriptions
        .filter((s) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify({ Ref: alertTopic }))
        .map((s) => [s.Properties.Protocol, s.Properties.Endpoint]),
    ).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'secops@example.com'],
    ]);
  });

  it('lets CloudWatch alarms of this account (and no other service) use the alert key', () => {
    const { template } = synthesize();
    const key = resourcesOf(template, 'AWS::KMS::Key')[logicalIdOf(template, 'AWS::KMS::Key', 'AlertKey')]!;
    const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(statements.map((s) => s.Sid)).toEqual([
      'AccountAdministersAndDelegatesToIam',
      'OnlyKeyAdminsDisableOrDeleteTheKey',
      'OnlyKeyAdminsAndTheDeploymentRewriteThePolicy',
      'CloudWatchAlarmsPublishToTheTopic',
    ]);
    expect(statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('Service'))).toHaveLength(1);
    expect(statements[3]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: { StringEquals: { 'aws:SourceAccount': account } },
    });
  });

  it('warns at synth that tag-based protection is only safe with a service control policy, and only when it is configured', () => {
    const withTag = Annotations.fromStack(synthesize({ protectedTagKey: 'firebreak:protected' }).stack);
    withTag.hasWarning('/Firebreak', Match.stringLikeRegexp('protectedTagKey "firebreak:protected".*ec2:CreateTags.*service control policy'));
    const withoutTag = Annotations.fromStack(synthesize({ protectedInstanceIds: ['i-0123456789abcdef0'] }).stack);
    withoutTag.hasNoWarning('/Firebreak', Match.stringLikeRegexp('protectedTagKey'));
  });

  it('runs every responder on nodejs22.x, arm64, traced, with its own log group and the Firebreak environment', () => {
    const { template } = synthesize({ protectedInstanceIds: ['i-0123456789abcdef0'], protectedTagKey: 'firebreak:protected' });
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    // triage, publish-alert, quarantine-instance, snapshot-volumes, the containment guard, the approval function, the emergency-pause function and the oversized-event intake.
    expect(functions).toHaveLength(8);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^(Responder|Approvals|EmergencyPause).*Logs/) } },
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'firebreak',
            ALERT_TOPIC_ARN: { Ref: expect.stringMatching(/^AlertTopic/) },
            FIREBREAK_STATE_TABLE: { Ref: expect.stringMatching(/^StateTable/) },
            FIREBREAK_SECURITY_ACCOUNT_ID: account,
            FIREBREAK_PROTECTED_INSTANCE_IDS: 'i-0123456789abcdef0',
            FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected',
          },
        },
      });
    }
  });

  it('deploys a function only for responders the playbooks use (plus triage and publish-alert)', () => {
    const { template } = synthesize({ playbooks: [DEFAULT_ALERT] });
    expect(Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).map((id) => id.replace(/Function[0-9A-F]+$/, ''))).toEqual([
      'ResponderTriage',
      'ResponderPublishAlert',
      // Not a playbook's: every rule's second target (lib/stack/oversized-event-intake.ts).
      'ResponderOversizedEvent',
    ]);
    expect(ACTIONS.notify.responder).toBe('publish-alert');
  });

  it('reserves concurrency for the EC2 responders only when configured', () => {
    const reserved = (props: Parameters<typeof synthesize>[0]) =>
      Object.fromEntries(
        Object.entries(resourcesOf(synthesize(props).template, 'AWS::Lambda::Function')).map(([id, fn]) => [
          id.replace(/Function[0-9A-F]+$/, ''),
          fn.Properties.ReservedConcurrentExecutions,
        ]),
      );
    expect(Object.values(reserved({})).every((value) => value === undefined)).toBe(true);
    expect(reserved({ reservedConcurrency: 20 })).toEqual({
      ResponderTriage: undefined,
      ResponderPublishAlert: undefined,
      ResponderQuarantineInstance: 20,
      ResponderSnapshotVolumes: 20,
      ResponderContainmentGuard: 20,
    });
  });

  it('keeps log groups for the configured retention (a year by default) and retains them with the stack', () => {
    const { template } = synthesize();
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    // Five responders (the containment guard included), the approval function, the emergency-pause function, the oversized-event intake and four state machines.
    expect(groups).toHaveLength(5 + 1 + 1 + 1 + 4);
    for (const group of groups) {
      expect(group).toMatchObject({ Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
    }
    const ninety = Object.values(resourcesOf(synthesize({ logRetentionDays: 90 }).template, 'AWS::Logs::LogGroup'));
    expect(ninety.every((group) => group.Properties.RetentionInDays === 90)).toBe(true);
  });

  it('keeps state in a DynamoDB table with point-in-time recovery, encryption and the blast-radius TTL', () => {
    const { template } = synthesize();
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('encrypts both kept-event queues, keeps messages 14 days, retains them with the stack and alarms on both channels for every message kept', () => {
    const { template } = synthesize();
    const queues = Object.values(resourcesOf(template, 'AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) {
      // The undelivered-events queue also takes an event of EventBridge's 1 MB whole.
      const { MaximumMessageSize: _largest, ...properties } = queue.Properties;
      expect(properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      // Issue 8: the events kept here outlive the stack.
      expect(queue).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.Namespace === 'AWS/SQS',
    );
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        MetricName: 'NumberOfMessagesSent',
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: expect.stringMatching(/^AlertTopic/) }, { Ref: expect.stringMatching(/^OperationsTopic/) }],
      });
    }
  });

  it('ATTACK (review-intake): pages again for a second kept event while the first still waits (row 8h)', () => {
    // An alarm acts only when its state changes. On the queue's depth, the first message kept (an
    // attacker's own finding grown past 256 KiB: its original delivery is refused and kept, row 8c)
    // holds it in ALARM for the 14 days the message is kept, and every event kept after it pages
    // nobody. On the messages sent in each minute, it returns to OK after a quiet minute and pages
    // for the next one.
    const alarms = Object.values(resourcesOf(synthesize().template, 'AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.Namespace === 'AWS/SQS');
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ MetricName: 'NumberOfMessagesSent', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    }
  });

  it('tried (review-8g): the kept-event queues are fed by SendMessage alone, which NumberOfMessagesSent counts, never by an SQS redrive policy, which it does not (row 8h)', () => {
    // NumberOfMessagesSent does not count a message SQS moves into a dead-letter queue by a source
    // queue's redrive policy: an alarm on it would never fire for such a queue. The two kept-event
    // queues are written by EventBridge's dead-letter delivery, Lambda's asynchronous dead-letter
    // queue and the dispatcher's sqs:sendMessage, all SendMessage; no queue of the stack redrives.
    const { template } = synthesize();
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    for (const queue of Object.values(queues)) expect(queue.Properties.RedrivePolicy).toBeUndefined();
  });

  it('outputs what operators and the game day need', () => {
    const outputs = synthesize().template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AlertTopicArn',
        'ApprovalFunctionUrl',
        'ApproverPolicyArn',
        'ContainmentTargetSeconds',
        'DispatcherArn',
        'EmergencyPauseFunctionUrl',
        'EventArchiveArn',
        'GameDaysEnabled',
        'Mode',
        'OperationsTopicArn',
        'PlaybookCompromisedEc2Arn',
        'PlaybookDefaultAlertArn',
        'PauserPolicyArn',
        'PlaybookInstanceAlarmArn',
        'RecordKeyArn',
        'StateTableName',
        'UndeliveredEventsQueueUrl',
        'UnprocessableEventsQueueUrl',
      ].sort(),
    );
  });
});

describe('FirebreakStack props', () => {
  it('refuses mode enforce together with forceDryRun, naming both', () => {
    expect(() => synthesize({ mode: 'enforce', forceDryRun: true })).toThrow(/mode "enforce" and forceDryRun/);
  });

  it('refuses an external id or an organization id without a member role name', () => {
    expect(() => synthesize({ memberRoleExternalId: 'x-123' })).toThrow(/memberRoleExternalId is set but memberRoleName is not/);
    expect(() => synthesize({ organizationId: 'o-a1b2c3d4e5' })).toThrow(/organizationId is set but memberRoleName is not/);
  });

  it('refuses a member role name without the organization id, naming both', () => {
    expect(() => synthesize({ memberRoleName: 'FirebreakResponder' })).toThrow(/memberRoleName is set but organizationId is not/);
  });

  it('refuses an empty playbook list and duplicate playbook names', () => {
    expect(() => synthesize({ playbooks: [] })).toThrow(/no playbooks/);
    expect(() => synthesize({ playbooks: [DEFAULT_ALERT, DEFAULT_ALERT] })).toThrow(/two playbooks are named "default-alert"/);
  });
});

/** The shipped release playbook's shape: started by a person, release then alert. */
const RELEASE = {
  ...playbook('release-instance', [action('release', 'release-instance'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
  trigger: 'manual' as const,
  approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
};
const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] };

describe('FirebreakStack safety rails', () => {
  it('deploys the containment guard and the approval function only when a playbook changes resources, the manual release included (issue 8)', () => {
    const functions = (props: Parameters<typeof synthesize>[0]) =>
      Object.keys(resourcesOf(synthesize(props).template, 'AWS::Lambda::Function')).map((id) => id.replace(/Function[0-9A-F]+$/, ''));
    expect(functions({})).toContain('ResponderContainmentGuard');
    expect(functions({ playbooks: [ALARM, DEFAULT_ALERT] })).not.toContain('ResponderContainmentGuard');
    expect(functions({ playbooks: [ALARM, DEFAULT_ALERT] })).not.toContain('Approvals');
    expect(functions({ playbooks: [DEFAULT_ALERT, RELEASE] })).toEqual([
      'ResponderTriage',
      'ResponderPublishAlert',
      'ResponderContainmentGuard',
      'ResponderReleaseInstance',
      'Approvals',
      'EmergencyPause',
      'ResponderOversizedEvent',
    ]);
  });

  it('grants the guard DescribeInstances, DescribeExecution on this stack\'s guarded playbooks\' executions, and only the blast-radius and grant items of the state table', () => {
    const { template } = synthesize({ memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5' });
    const statements = responderStatements(template, 'ContainmentGuard');
    expect(grantedActions(statements)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'ec2:DescribeInstances',
      'states:DescribeExecution',
      'sts:AssumeRole',
    ]);
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.DescribeForContainmentAndEvidence).toEqual({
      Sid: 'DescribeForContainmentAndEvidence',
      Effect: 'Allow',
      Action: 'ec2:DescribeInstances',
      Resource: '*',
    });
    expect(bySid.KeepIncidentState).toEqual({
      Sid: 'KeepIncidentState',
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['blast#*', 'blast-gameday#*', 'grant#*'] } },
    });
    expect(bySid.VerifyPlaybookExecutions).toEqual({
      Sid: 'VerifyPlaybookExecutions',
      Effect: 'Allow',
      Action: 'states:DescribeExecution',
      // The one guarded playbook of these (instance-alarm and default-alert change nothing), by name.
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', region, ':', { Ref: 'AWS::AccountId' }, ':execution:Firebreak-compromised-ec2:*']] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['firebreak-responder-', region, '-containment-guard']] },
    });
  });

  it('lets the guard only READ the pre-quarantine records, and only where a playbook releases instances (a release\'s approval request names the incidents that hold the instance)', () => {
    const withRelease = responderStatements(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] }).template, 'ContainmentGuard');
    expect(withRelease.find((statement) => statement.Sid === 'ReadContainmentGrants')).toEqual({
      Sid: 'ReadContainmentGrants',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pause#deployment', 'quarantine#*'] } },
    });
    // Its writes stay its blast-radius slots and grants (and its incident-record append).
    const writes = withRelease.filter((statement) => JSON.stringify(statement.Action).match(/PutItem|UpdateItem/));
    expect(writes.map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['blast#*', 'blast-gameday#*', 'grant#*'] } },
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } },
    ]);
    const withoutRelease = responderStatements(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT] }).template, 'ContainmentGuard');
    // Without a release it reads the emergency pause only (that one key).
    expect(withoutRelease.find((statement) => statement.Sid === 'ReadContainmentGrants')?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'pause#deployment' } });
    expect(JSON.stringify(withoutRelease)).not.toContain('quarantine#');
    // And reads the groups of an instance held quarantined (Firebreak's own isolation group, row 15r) only there.
    expect(withRelease.find((statement) => statement.Sid === 'DescribeForContainmentAndEvidence')).toEqual({
      Sid: 'DescribeForContainmentAndEvidence',
      Effect: 'Allow',
      Action: ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroups'],
      Resource: '*',
    });
    expect(JSON.stringify(withoutRelease)).not.toContain('DescribeSecurityGroups');
  });

  it("ATTACK (approvals): lets the guard READ the instances' DNS block index too, only where a release of instances also lifts DNS blocks (its approval request names the domains, row 5r)", () => {
    const releaseWithUnblock = {
      ...playbook('release-instance', [action('release', 'release-instance'), action('unblock-dns', 'unblock-dns-domains'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
      trigger: 'manual' as const,
      approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
    };
    const read = (playbooks: NonNullable<Parameters<typeof synthesize>[0]>['playbooks']) =>
      responderStatements(synthesize({ playbooks }).template, 'ContainmentGuard').find((statement) => statement.Sid === 'ReadContainmentGrants');
    expect(read([COMPROMISED, DEFAULT_ALERT, releaseWithUnblock])).toEqual({
      Sid: 'ReadContainmentGrants',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pause#deployment', 'quarantine#*', 'dnsblock-instance#*'] } },
    });
    expect(JSON.stringify(responderStatements(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] }).template, 'ContainmentGuard'))).not.toContain('dnsblock');
    // And where a release of instances meets a DNS block step: a held instance takes no slot only for a domain it blocks already (row 15s).
    const blocking = playbook('dns-blocking', [action('contain', 'quarantine-instance'), action('block', 'block-dns-domain'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0);
    expect(read([blocking, DEFAULT_ALERT, RELEASE])?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pause#deployment', 'quarantine#*', 'dnsblock-instance#*'] } });
  });

  it("lets the guard READ the S3 object versions' claims too, only where a playbook releases S3 objects (that approval request says whether the object stays tagged for another incident)", () => {
    const releaseObject = {
      ...playbook('release-s3-object', [action('release', 'release-s3-object'), action('alert', 'notify')], { resourceKinds: ['other'] }, 0),
      trigger: 'manual' as const,
      approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
    };
    const read = (playbooks: NonNullable<Parameters<typeof synthesize>[0]>['playbooks']) =>
      responderStatements(synthesize({ playbooks }).template, 'ContainmentGuard').find((statement) => statement.Sid === 'ReadContainmentGrants');
    expect(read([COMPROMISED, DEFAULT_ALERT, releaseObject])).toEqual({
      Sid: 'ReadContainmentGrants',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pause#deployment', 's3claim#*'] } },
    });
    expect(read([COMPROMISED, DEFAULT_ALERT, RELEASE, releaseObject])?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pause#deployment', 'quarantine#*', 's3claim#*'] } });
    expect(JSON.stringify(responderStatements(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] }).template, 'ContainmentGuard'))).not.toContain('s3claim#');
  });

  it('retries a quarantine refused by a release’s hold on the record for longer than that hold lasts, twice over, before it gives up', () => {
    const { template } = synthesize();
    const id = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookCompromisedEc2StateMachine');
    const definition = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[id]!.Properties.Definition as AslDefinition;
    const contain = (definition.States.respond!.Branches as AslDefinition[])[0]!.States.contain!;
    const [wait] = contain.Retry as [{ ErrorEquals: string[]; IntervalSeconds: number; BackoffRate: number; MaxDelaySeconds: number; MaxAttempts: number; JitterStrategy?: string }];
    // The name quarantine's refusal carries (the error vocabulary is the contract with the Retry).
    expect(wait.ErrorEquals).toEqual([new RecordHeldForRestoreError('held').name]);
    // No jitter: FULL jitter could cut the total wait to a fraction of the hold.
    expect(wait.JitterStrategy).toBeUndefined();
    const delays = Array.from({ length: wait.MaxAttempts }, (_, i) => Math.min(wait.IntervalSeconds * wait.BackoffRate ** i, wait.MaxDelaySeconds));
    const total = delays.reduce((sum, delay) => sum + delay, 0);
    // A hold left by a release that died, and the renewed hold of one retry of it that died again.
    expect(total).toBeGreaterThanOrEqual(RESTORE_HOLD_WAIT_SECONDS);
    expect(RESTORE_HOLD_WAIT_SECONDS).toBeGreaterThanOrEqual(2 * RESTORE_HOLD_SECONDS);
    expect(total - delays.at(-1)!).toBeLessThan(RESTORE_HOLD_WAIT_SECONDS);
    // Soon after a live release ends its hold (a restore takes seconds), not only at the end of a dead one's.
    expect(wait.IntervalSeconds).toBeLessThanOrEqual(5);
    // Within the containment grant the step acts under.
    expect(total).toBeLessThan(GRANT_VALIDITY_SECONDS / 2);
  });

  it('runs release-instance for less time than a release holds the record for its restore (a claim made meanwhile waits, never undone)', () => {
    const functions = resourcesOf(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] }).template, 'AWS::Lambda::Function');
    const release = Object.entries(functions).find(([id]) => id.startsWith('ResponderReleaseInstance'))?.[1];
    expect(release?.Properties.Timeout).toBeTypeOf('number');
    expect(release!.Properties.Timeout as number).toBeLessThan(RESTORE_HOLD_SECONDS);
  });

  it('keeps each responder to its own kind of state-table item, by the keys the responders really write', () => {
    expect(blastRadiusSlotKey('111122223333', 0)).toMatch(new RegExp(`^${STATE_TABLE_ACCESS['containment-guard']!.keys[0]!.replace('*', '.*')}$`));
    const record = quarantineRecordKey('111122223333', 'eu-west-1', 'i-0abc1234def567890');
    for (const responder of ['quarantine-instance', 'release-instance']) {
      expect(record).toMatch(new RegExp(`^${STATE_TABLE_ACCESS[responder]!.keys[0]!.replace('*', '.*')}$`));
    }
    const quarantine = responderStatements(synthesize().template, 'QuarantineInstance').find((statement) => statement.Sid === 'KeepIncidentState');
    expect(quarantine?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'quarantine#*' } });
  });

  it('lets the mutating responders only READ grants and approvals: only the guard can write a grant', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] });
    for (const responder of ['QuarantineInstance', 'ReleaseInstance']) {
      const statements = responderStatements(template, responder);
      expect(statements.find((statement) => statement.Sid === 'ReadContainmentGrants')).toEqual({
        Sid: 'ReadContainmentGrants',
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: tableArn,
        // quarantine-instance contains, and so reads the emergency pause too (that one key); a release never does.
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': responder === 'QuarantineInstance' ? ['grant#*', 'approval#*', 'pause#deployment'] : ['grant#*', 'approval#*'] } },
      });
      const writes = statements.filter((statement) => JSON.stringify(statement.Action).match(/PutItem|UpdateItem/));
      // Their own records, and the append to the incident record (never a grant).
      expect(writes.map((statement) => statement.Condition)).toEqual([
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'quarantine#*' } },
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } },
      ]);
    }
    expect(grantKey('arn:aws:states:eu-west-1:111122223333:execution:Firebreak-x:y')).toMatch(/^grant#/);
  });

  it('lets unblock-dns-domains only READ the pre-quarantine record (whether the instance is released), and write only its DNS block claims', () => {
    const release = { ...RELEASE, steps: [action('release', 'release-instance'), action('unblock-dns', 'unblock-dns-domains'), action('alert', 'notify')] };
    const statements = responderStatements(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, release] }).template, 'UnblockDnsDomains');
    expect(statements.find((statement) => statement.Sid === 'ReadContainmentGrants')).toEqual({
      Sid: 'ReadContainmentGrants',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['grant#*', 'approval#*', 'quarantine#*'] } },
    });
    const writes = statements.filter((statement) => JSON.stringify(statement.Action).match(/PutItem|UpdateItem/));
    expect(writes.map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['dnsblock#*', 'dnsblock-instance#*'] } },
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } },
    ]);
  });

  it("writes the deployment's rails per playbook into the guard's environment, never anywhere a caller could set them", () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT, RELEASE] });
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const guard = functions[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderContainmentGuardFunction')]!;
    const variables = (guard.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.FIREBREAK_STACK_NAME).toBe('Firebreak');
    expect(JSON.parse(variables.FIREBREAK_PLAYBOOK_RAILS as string)).toEqual(playbookRailsFor([COMPROMISED, ALARM, DEFAULT_ALERT, RELEASE]));
    expect(Object.keys(JSON.parse(variables.FIREBREAK_PLAYBOOK_RAILS as string) as object).sort()).toEqual([COMPROMISED.name, RELEASE.name].sort());
    const quarantine = functions[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderQuarantineInstanceFunction')]!;
    expect((quarantine.Properties.Environment as { Variables: Record<string, unknown> }).Variables.FIREBREAK_PLAYBOOK_RAILS).toBeUndefined();
  });

  it('gives the guard the deploy-time rails in its environment', () => {
    const { template } = synthesize({
      protectedInstanceIds: ['i-0123456789abcdef0', 'i-0fedcba9876543210'],
      protectedTagKey: 'firebreak:protected',
      blastRadiusMax: 3,
      blastRadiusWindowSeconds: 1800,
    });
    const guard = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderContainmentGuardFunction')]!;
    expect((guard.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      FIREBREAK_PROTECTED_INSTANCE_IDS: 'i-0123456789abcdef0,i-0fedcba9876543210',
      FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected',
      FIREBREAK_BLAST_RADIUS_MAX: '3',
      FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS: '1800',
      FIREBREAK_STATE_TABLE: { Ref: expect.stringMatching(/^StateTable/) },
    });
  });

  it('refuses a blast radius the limiter would refuse at run time, naming the prop', () => {
    expect(() => synthesize({ blastRadiusMax: 101 })).toThrow(/blastRadiusMax must be a whole number from 1 to 100, got 101/);
    expect(() => synthesize({ blastRadiusMax: 0 })).toThrow(/blastRadiusMax/);
    expect(() => synthesize({ blastRadiusMax: 100, blastRadiusWindowSeconds: 60 })).not.toThrow();
    expect(() => synthesize({ blastRadiusWindowSeconds: 59 })).toThrow(/blastRadiusWindowSeconds must be a whole number of seconds from 60 to 604800/);
  });

  it('offers an ApproverPolicy that may only call the approval function through its AWS_IAM URL (issue 8: no SendTaskSuccess for people)', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT, RELEASE] });
    // The ApproverPolicy, and the emergency pause's PauserPolicy (test/stack/emergency-pause-iam.test.ts).
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy')).filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes('ApprovalsFunction'));
    expect(policies).toHaveLength(1);
    const approvalFunction = { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', 'ApprovalsFunction'), 'Arn'] };
    expect((policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Sid: 'CallTheApprovalFunctionUrl',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: approvalFunction,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Sid: 'InvokeTheApprovalFunctionThroughItsUrlOnly',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: approvalFunction,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: approvalFunction });
    // No resource-based policy on the approval function: only principals of this account whose own
    // IAM policy allows the URL may call it; a session of another account (a member account's
    // instance role, whoever holds a contained key there) never can (review approval-review).
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).map((permission) => JSON.stringify(permission.Properties.FunctionName));
    expect(permissions.filter((name) => name.includes(logicalIdOf(template, 'AWS::Lambda::Function', 'ApprovalsFunction')))).toEqual([]);
    // The approval function's URL and the emergency-pause function's, both AWS_IAM.
    expect(Object.values(resourcesOf(template, 'AWS::Lambda::Url')).map((url) => url.Properties.AuthType)).toEqual(['AWS_IAM', 'AWS_IAM']);
    expect(template.toJSON().Outputs.ApproverPolicyArn).toEqual({ Description: expect.any(String) as unknown, Value: { Ref: expect.stringMatching(/^ApprovalsApproverPolicy/) } });
    expect(template.toJSON().Outputs.ApprovalFunctionUrl.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApprovalsFunctionFunctionUrl/), 'FunctionUrl'] });
    expect(resourcesOf(synthesize({ playbooks: [ALARM, DEFAULT_ALERT] }).template, 'AWS::IAM::ManagedPolicy')).toEqual({});
  });

  it("gives the approval function the deployment's approvers (approverArns) as FIREBREAK_APPROVER_ARNS, and no variable when none are listed", () => {
    const approvers = ['arn:aws:iam::111122223333:role/teams/OnCall', 'arn:aws:iam::111122223333:user/alice'];
    const variablesOf = (template: ReturnType<typeof synthesize>['template']) =>
      (resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', 'ApprovalsFunction')]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variablesOf(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT], approverArns: approvers }).template).FIREBREAK_APPROVER_ARNS).toBe(approvers.join(','));
    expect(variablesOf(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT] }).template)).not.toHaveProperty('FIREBREAK_APPROVER_ARNS');
    // Only the approval function reads it.
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT], approverArns: approvers });
    const holders = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).filter(([, fn]) => JSON.stringify(fn.Properties.Environment).includes('FIREBREAK_APPROVER_ARNS'));
    expect(holders.map(([id]) => id)).toEqual([logicalIdOf(template, 'AWS::Lambda::Function', 'ApprovalsFunction')]);
  });

  it('warns at synth that IAM alone decides who answers approvals when a playbook is guarded and no approvers are listed, and only then', () => {
    const unlisted = Annotations.fromStack(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT] }).stack);
    unlisted.hasWarning('/Firebreak', Match.stringLikeRegexp('approverArns.*lambda:InvokeFunctionUrl.*ApproverPolicy'));
    // A direct invocation proves who calls (the caller proof), not that IAM let them call the URL (review review-proof).
    unlisted.hasWarning('/Firebreak', Match.stringLikeRegexp('lambda:InvokeFunction on it alone, who can invoke it directly'));
    const listed = Annotations.fromStack(synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT], approverArns: ['arn:aws:iam::111122223333:role/OnCall'] }).stack);
    listed.hasNoWarning('/Firebreak', Match.stringLikeRegexp('approverArns'));
    // No approval function, nothing to warn about.
    Annotations.fromStack(synthesize({ playbooks: [ALARM, DEFAULT_ALERT] }).stack).hasNoWarning('/Firebreak', Match.stringLikeRegexp('approverArns'));
  });

  it('refuses approvers that are not IAM role or user ARNs (a wildcard, a role session, the root user), naming the prop', () => {
    for (const entry of ['arn:aws:iam::111122223333:role/*', 'arn:aws:sts::111122223333:assumed-role/OnCall/carol', 'arn:aws:iam::111122223333:root', '111122223333']) {
      expect(() => synthesize({ approverArns: [entry] }), entry).toThrow(/prop "approverArns\[0\]": each entry must be an IAM role or user ARN/);
    }
  });

  it('gives only the approval function states:SendTaskSuccess/SendTaskFailure, approval# items, and DescribeExecution on the guarded playbooks', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT, RELEASE] });
    const roles = Object.keys(resourcesOf(template, 'AWS::IAM::Role'));
    const holders = roles.filter((role) => /states:SendTask(Success|Failure)/.test(JSON.stringify(statementsOfRole(template, role))));
    expect(holders).toEqual([logicalIdOf(template, 'AWS::IAM::Role', 'ApprovalsFunctionRole')]);
    const statements = statementsOfRole(template, holders[0]!).filter((statement) => statement.Sid !== 'WriteOwnLogs' && !String(statement.Action).startsWith('xray:'));
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.ReadAndDecideApprovalRequests).toEqual({
      Sid: 'ReadAndDecideApprovalRequests',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'approval#*' } },
    });
    // SendTaskHeartbeat: a first answer is recorded only while a task still waits on the token (review approval-late).
    expect(bySid.AnswerWaitingPlaybooks).toEqual({ Sid: 'AnswerWaitingPlaybooks', Effect: 'Allow', Action: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'], Resource: '*' });
    // The guard's approval deadline and onTimeout, read from its grant: GetItem only, grant# items only (review approval-late).
    expect(bySid.ReadApprovalDeadlines).toEqual({
      Sid: 'ReadApprovalDeadlines',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'grant#*' } },
    });
    expect(Object.keys(bySid).sort()).toEqual(['AnswerWaitingPlaybooks', 'DescribeWaitingPlaybookExecutions', 'ReadAndDecideApprovalRequests', 'ReadApprovalDeadlines']);
    const described = JSON.stringify(bySid.DescribeWaitingPlaybookExecutions);
    // GetExecutionHistory to check that a request's token is one the execution issued (review approval-review).
    expect(bySid.DescribeWaitingPlaybookExecutions?.Action).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory']);
    expect(described).toContain(':execution:');
    expect(described).toContain(logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookCompromisedEc2StateMachine'));
    expect(described).toContain(logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookReleaseInstanceStateMachine'));
    expect(described).not.toContain(logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookDefaultAlertStateMachine'));
    for (const machine of Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))) {
      const role = logicalIdOf(template, 'AWS::IAM::Role', `${machine.replace(/StateMachine[0-9A-F]+$/, '')}StateMachineRole`);
      expect(JSON.stringify(statementsOfRole(template, role))).not.toContain('states:SendTask');
    }
  });

  it('lets publish-alert read the history of every playbook execution (its alerts\' origin, §D5) even with no guarded playbook, and names the stack in its environment', () => {
    const { template } = synthesize({ playbooks: [DEFAULT_ALERT] });
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderPublishAlertRole');
    const statements = statementsOfRole(template, role);
    expect(statements.filter((statement) => JSON.stringify(statement).includes('states:'))).toEqual([
      {
        Sid: 'VerifyAlertOrigins',
        Effect: 'Allow',
        Action: 'states:GetExecutionHistory',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:Firebreak-default-alert:*' },
      },
    ]);
    const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((resource) => JSON.stringify(resource.Properties.Role).includes(role));
    expect((fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables.FIREBREAK_STACK_NAME).toBe('Firebreak');
  });

  it('lets publish-alert describe the guarded playbooks\' executions and send heartbeats, never answer a task, and names those playbooks in its environment', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT, RELEASE] });
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderPublishAlertRole');
    const statements = statementsOfRole(template, role);
    const text = JSON.stringify(statements);
    expect(text).not.toMatch(/states:SendTask(Success|Failure)/);
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    const execution = (name: string) => ({ 'Fn::Join': ['', ['arn:', partition, ':states:', region, ':', account, `:execution:Firebreak-${name}:*`]] });
    // GetExecutionHistory: a request's token must be one the execution scheduled (review alert-review).
    expect(bySid.VerifyApprovalRequestExecutions).toEqual({
      Sid: 'VerifyApprovalRequestExecutions',
      Effect: 'Allow',
      Action: 'states:DescribeExecution',
      Resource: [execution('compromised-ec2'), execution('release-instance')],
    });
    // The history of every playbook's executions, the guarded ones' included: an alert's origin (§D5) and a request's token.
    expect(bySid.VerifyAlertOrigins).toEqual({
      Sid: 'VerifyAlertOrigins',
      Effect: 'Allow',
      Action: 'states:GetExecutionHistory',
      Resource: ['compromised-ec2', 'instance-alarm', 'default-alert', 'release-instance'].map((name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:Firebreak-${name}:*` })),
    });
    // Only GetExecutionHistory, only of executions: never the dispatcher's, never a state machine, never `*`.
    expect(statements.filter((statement) => JSON.stringify(statement.Action).includes('GetExecutionHistory')).map((statement) => statement.Sid)).toEqual(['VerifyAlertOrigins']);
    expect(bySid.ProveApprovalTaskTokensWait).toEqual({ Sid: 'ProveApprovalTaskTokensWait', Effect: 'Allow', Action: 'states:SendTaskHeartbeat', Resource: '*' });
    const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((resource) => JSON.stringify(resource.Properties.Role).includes(role));
    expect((fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables.FIREBREAK_APPROVAL_STATE_MACHINES).toEqual({
      'Fn::Join': [
        '',
        ['arn:', partition, ':states:', region, ':', account, ':stateMachine:Firebreak-compromised-ec2,arn:', partition, ':states:', region, ':', account, ':stateMachine:Firebreak-release-instance'],
      ],
    });
    // The playbook of a stored request is its state machine's name less `<stackName>-`.
    expect((fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables.FIREBREAK_STACK_NAME).toBe('Firebreak');
  });

  it('keeps execution data (and so the task token of an approval wait) out of the logs of playbooks that can wait for approval', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] });
    const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
    const logging = (id: string) => (machines[logicalIdOf(template, 'AWS::StepFunctions::StateMachine', id)]!.Properties.LoggingConfiguration as { IncludeExecutionData: boolean; Level: string });
    expect(logging('PlaybookCompromisedEc2StateMachine')).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
    expect(logging('PlaybookReleaseInstanceStateMachine')).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
    expect(logging('PlaybookDefaultAlertStateMachine')).toMatchObject({ IncludeExecutionData: true });
  });

  it('seals records with an HMAC key only quarantine and snapshot-volumes may GenerateMac with and only release and snapshot-volumes may VerifyMac with (issue 8, row 3za)', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] });
    const keys = Object.entries(resourcesOf(template, 'AWS::KMS::Key')).filter(([, key]) => key.Properties.KeySpec === 'HMAC_256');
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0]!;
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', Properties: { KeyUsage: 'GENERATE_VERIFY_MAC' } });
    const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    const roleArn = (name: string) => ({ 'Fn::GetAtt': [logicalIdOf(template, 'AWS::IAM::Role', name), 'Arn'] });
    expect(bySid.QuarantineSealsRecords).toEqual({
      Sid: 'QuarantineSealsRecords',
      Effect: 'Allow',
      Principal: { AWS: [roleArn('ResponderQuarantineInstanceRole'), roleArn('ResponderSnapshotVolumesRole')] },
      Action: 'kms:GenerateMac',
      Resource: '*',
      Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
    });
    expect(bySid.ReleaseVerifiesRecords).toMatchObject({ Principal: { AWS: [roleArn('ResponderReleaseInstanceRole'), roleArn('ResponderSnapshotVolumesRole')] }, Action: 'kms:VerifyMac' });
    expect(JSON.stringify(bySid.AccountAdministersTheKey)).not.toMatch(/GenerateMac|VerifyMac|Decrypt|"kms:\*"/);
    expect(statements.map((statement) => statement.Sid).sort()).toEqual(['AccountAdministersTheKey', 'QuarantineSealsRecords', 'ReleaseVerifiesRecords']);
    for (const fn of ['ResponderQuarantineInstance', 'ResponderReleaseInstance', 'ResponderSnapshotVolumes']) {
      const id = logicalIdOf(template, 'AWS::Lambda::Function', `${fn}Function`);
      expect(resourcesOf(template, 'AWS::Lambda::Function')[id]!.Properties).toMatchObject({
        Environment: { Variables: { FIREBREAK_RECORD_KEY_ARN: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
      });
    }
    const publish = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderPublishAlertFunction')]!;
    expect(JSON.stringify(publish.Properties.Environment)).not.toContain('FIREBREAK_RECORD_KEY_ARN');
  });

  it("lets the report check a record's seal only for the recordVerifierArns: kms:VerifyMac alone, through their own IAM policy; nobody by default", () => {
    const verifiers = ['arn:aws:iam::123456789012:role/IncidentReviewer', 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SecurityAudit_*'];
    const hmacKey = (template: ReturnType<typeof synthesize>['template']) => Object.entries(resourcesOf(template, 'AWS::KMS::Key')).find(([, key]) => key.Properties.KeySpec === 'HMAC_256')!;
    const statementsOf = (template: ReturnType<typeof synthesize>['template']) => (hmacKey(template)[1].Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE], recordVerifierArns: verifiers });
    const bySid = Object.fromEntries(statementsOf(template).map((statement) => [statement.Sid, statement]));
    expect(bySid.ReportVerifiesRecords).toEqual({
      Sid: 'ReportVerifiesRecords',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
      Action: 'kms:VerifyMac',
      Resource: '*',
      Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' }, ArnLike: { 'aws:PrincipalArn': verifiers } },
    });
    // Nothing else delegated: GenerateMac stays quarantine's alone.
    expect(statementsOf(template).filter((statement) => JSON.stringify(statement).includes('kms:GenerateMac')).map((statement) => statement.Sid)).toEqual(['QuarantineSealsRecords']);
    // The report finds the key by the stack's output.
    expect((template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs.RecordKeyArn?.Value).toEqual({ 'Fn::GetAtt': [hmacKey(template)[0], 'Arn'] });
    // Without verifiers named, no statement lets anyone but Firebreak's release steps verify.
    const plain = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] }).template;
    expect(statementsOf(plain).map((statement) => statement.Sid)).not.toContain('ReportVerifiesRecords');
  });

  it('lets release read approvals but never write them, and never pass Firebreak, administrator or break-glass roles to EC2', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] });
    const statements = responderStatements(template, 'ReleaseInstance');
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.ReadApprovals).toEqual({
      Sid: 'ReadApprovals',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'approval#*' } },
    });
    expect(bySid.PassInstanceRolesBackToEc2).toMatchObject({ Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } });
    // One Deny for the protected roles (lib/stack/iam-scopes.ts DenyProtectedRoles), PassRole included.
    const deny = JSON.stringify(bySid.DenyProtectedRoles);
    expect(bySid.DenyProtectedRoles).toMatchObject({ Effect: 'Deny', Action: 'iam:PassRole' });
    for (const pattern of [
      'role/firebreak-responder-*',
      ':role/*Admin*',
      ':role/*BreakGlass*',
      ':role/*break-glass*',
      ':role/OrganizationAccountAccessRole',
      ':role/aws-reserved/*',
      ':role/AWSCloudFormationStackSetExecutionRole',
      ':role/*/stacksets-exec-*',
      ':role/cdk-hnb659fds-*',
    ]) {
      expect(deny).toContain(pattern);
    }
  });

  it('deploys the unblock-dns-domain playbook for `firebreak dns unblock`: guarded as a release, the requested domain passed to its step only, never started by the dispatcher', () => {
    const UNBLOCK = {
      ...playbook('unblock-dns-domain', [action('unblock', 'unblock-dns-domains', { target: 'requested-domain' }), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
      trigger: 'manual' as const,
      approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
    };
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE, UNBLOCK] });
    const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
    const unblockId = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookUnblockDnsDomainStateMachine');
    const releaseId = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookReleaseInstanceStateMachine');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.PlaybookUnblockDnsDomainArn?.Value).toEqual({ Ref: unblockId });
    // firebreak release still finds the release playbook, not this one.
    expect(outputs.ReleaseStateMachineArn?.Value).toEqual({ Ref: releaseId });
    const unblockStep = Object.values((machines[unblockId]!.Properties.Definition as AslDefinition).States as unknown as Record<string, { Parameters?: { Payload?: { request?: unknown } } }>)
      .map((state) => state.Parameters?.Payload?.request)
      .filter((request) => request !== undefined);
    expect(unblockStep).toContainEqual({ 'requestedBy.$': '$.requestedBy', 'reason.$': '$.reason', 'dnsUnblock.$': '$.dnsUnblock' });
    expect(JSON.stringify(machines[releaseId]!.Properties.Definition)).not.toContain('dnsUnblock');
    expect(playbookRailsFor([UNBLOCK])['unblock-dns-domain']).toMatchObject({ kind: 'release', approvalRequired: true });
    const dispatcher = machines[logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'DispatcherStateMachine')]!;
    expect(JSON.stringify(dispatcher.Properties.Definition)).not.toContain('unblock-dns-domain');
  });

  it('deploys the release playbook for firebreak release, with its ARN as an output, and never lets the dispatcher start it', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT, RELEASE] });
    const release = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookReleaseInstanceStateMachine');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ReleaseStateMachineArn?.Value).toEqual({ Ref: release });
    expect(outputs.ReleasePlaybookName?.Value).toBe('release-instance');
    expect(outputs.PlaybookReleaseInstanceArn?.Value).toEqual({ Ref: release });
    const dispatcherRole = logicalIdOf(template, 'AWS::IAM::Role', 'DispatcherStateMachineRole');
    const start = statementsOfRole(template, dispatcherRole).find((statement) => statement.Sid === 'StartPlaybooks');
    expect(JSON.stringify(start?.Resource)).not.toContain(release);
    const dispatcher = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'DispatcherStateMachine')]!;
    expect(JSON.stringify(dispatcher.Properties.Definition)).not.toContain('release-instance');
    expect(Object.keys(dispatcher.Properties.DefinitionSubstitutions as object)).not.toContain('Sm_release_instance');
    // Release needs its records, not the blast-radius slots.
    const keep = responderStatements(template, 'ReleaseInstance').find((statement) => statement.Sid === 'KeepIncidentState');
    expect(keep).toMatchObject({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'quarantine#*' } } });
    expect(synthesize().template.toJSON().Outputs.ReleaseStateMachineArn).toBeUndefined();
  });

  it('picks the one manual playbook that releases instances as the release playbook', () => {
    expect(releasePlaybook([COMPROMISED, RELEASE])?.name).toBe('release-instance');
    expect(releasePlaybook([COMPROMISED, { ...RELEASE, trigger: 'automatic' }])).toBeUndefined();
    const other = { ...RELEASE, name: 'release-keep-profile' };
    expect(releasePlaybook([other])?.name).toBe('release-keep-profile');
    expect(releasePlaybook([other, RELEASE])?.name).toBe('release-instance');
  });
});
