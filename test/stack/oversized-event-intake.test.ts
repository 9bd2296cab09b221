/**
 * The oversized-event intake in the template: a second target on every Firebreak rule, invoked
 * by EventBridge for those rules only, whose role may start the dispatcher and nothing else, with
 * the undelivered-events queue behind it, and that queue large enough to keep an event of 1 MB.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EVENTBRIDGE_EVENT_LIMIT_BYTES } from '../../lib/contracts/payload-size';
import type { Statement } from './support';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize } from './support';

const GAME_DAYS = { gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'] };

describe('the oversized-event intake', () => {
  it('is the second target of every rule, with the retry policy and the dead-letter queue of the dispatcher target', () => {
    const { template } = synthesize(GAME_DAYS);
    const intake = logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderOversizedEventFunction');
    const dlq = logicalIdOf(template, 'AWS::SQS::Queue', 'UndeliveredEventsQueue');
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
    // GuardDuty findings, S3 scan results, alarms, game days.
    expect(rules).toHaveLength(4);
    for (const rule of rules) {
      expect((rule.Properties.Targets as unknown[])[1]).toEqual({
        Id: 'Target1',
        Arn: { 'Fn::GetAtt': [intake, 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 20 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
      });
    }
  });

  it('lets EventBridge invoke it for these rules only (one permission per rule, its source ARN)', () => {
    const { template } = synthesize(GAME_DAYS);
    const intake = logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderOversizedEventFunction');
    const rules = Object.keys(resourcesOf(template, 'AWS::Events::Rule')).sort();
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [intake, 'Arn'] }),
    );
    expect(permissions.map((permission) => permission.Properties.Principal)).toEqual(rules.map(() => 'events.amazonaws.com'));
    expect(permissions.map((permission) => permission.Properties.Action)).toEqual(rules.map(() => 'lambda:InvokeFunction'));
    expect(permissions.map((permission) => (permission.Properties.SourceArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort()).toEqual(rules);
  });

  it('may start the dispatcher and nothing else (besides its logs, traces and its dead-letter queue)', () => {
    const { template } = synthesize(GAME_DAYS);
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderOversizedEventRole');
    const dispatcher = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'DispatcherStateMachine');
    const dlq = logicalIdOf(template, 'AWS::SQS::Queue', 'UndeliveredEventsQueue');
    const statements = statementsOfRole(template, role);
    const bySid = (sid: string) => statements.filter((statement) => statement.Sid === sid);
    expect(bySid('StartTheDispatcher')).toEqual([{ Sid: 'StartTheDispatcher', Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: dispatcher } }]);
    const others = statements.filter((statement) => !['StartTheDispatcher', 'ReadGuardDutyFindings', 'FindGuardDutyDetectors'].includes(statement.Sid as string));
    const actions = others.flatMap((statement: Statement) => actionsOf(statement)).sort();
    expect(actions).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    expect(others.find((statement) => actionsOf(statement).includes('sqs:SendMessage'))?.Resource).toEqual({ 'Fn::GetAtt': [dlq, 'Arn'] });
    // No other role of the deployment but EventBridge's may start the dispatcher.
    const starters = Object.keys(resourcesOf(template, 'AWS::IAM::Role')).filter((id) =>
      statementsOfRole(template, id).some((statement) => actionsOf(statement).includes('states:StartExecution') && JSON.stringify(statement.Resource).includes(`"${dispatcher}"`)),
    );
    expect(starters).toHaveLength(2);
    expect(starters).toEqual(expect.arrayContaining([expect.stringMatching(/^DispatcherStateMachineEventsRole/), role]));
  });

  it('may read GuardDuty findings and list its detectors, to confirm an oversized finding, and nothing else of GuardDuty', () => {
    const { template } = synthesize(GAME_DAYS);
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderOversizedEventRole');
    const statements = statementsOfRole(template, role);
    const bySid = (sid: string) => statements.filter((statement) => statement.Sid === sid);
    // Neither has a resource type (Service Authorization Reference; test/stack/iam-catalog.test.ts
    // refuses a detector ARN for GetFindings): "*" is their only resource.
    expect(bySid('ReadGuardDutyFindings')).toEqual([{ Sid: 'ReadGuardDutyFindings', Effect: 'Allow', Action: 'guardduty:GetFindings', Resource: '*' }]);
    expect(bySid('FindGuardDutyDetectors')).toEqual([{ Sid: 'FindGuardDutyDetectors', Effect: 'Allow', Action: 'guardduty:ListDetectors', Resource: '*' }]);
    // Nothing else of GuardDuty, on no other role: no writes, no other account's detectors.
    const guardDutyActions = statements.flatMap((statement: Statement) => actionsOf(statement)).filter((action) => action.startsWith('guardduty:')).sort();
    expect(guardDutyActions).toEqual(['guardduty:GetFindings', 'guardduty:ListDetectors']);
    const readers = Object.keys(resourcesOf(template, 'AWS::IAM::Role')).filter((id) => statementsOfRole(template, id).some((statement) => actionsOf(statement).some((action) => action.startsWith('guardduty:'))));
    expect(readers).toEqual([role]);
  });

  it('knows the dispatcher from its environment, keeps what it cannot handle in the undelivered-events queue, and pages on errors', () => {
    const { template } = synthesize(GAME_DAYS);
    const dispatcher = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'DispatcherStateMachine');
    const intake = logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderOversizedEventFunction');
    const dlq = logicalIdOf(template, 'AWS::SQS::Queue', 'UndeliveredEventsQueue');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ FIREBREAK_DISPATCHER_ARN: { Ref: dispatcher } }) },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
      TracingConfig: { Mode: 'Active' },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: intake },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 7200,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: intake } }],
      MetricName: 'Errors',
    });
  });

  it('lets the undelivered-events queue keep an event of EventBridge\'s 1 MB whole', () => {
    const { template } = synthesize();
    template.hasResourceProperties('AWS::SQS::Queue', Match.objectLike({ MaximumMessageSize: EVENTBRIDGE_EVENT_LIMIT_BYTES }));
    const dlq = logicalIdOf(template, 'AWS::SQS::Queue', 'UndeliveredEventsQueue');
    expect(resourcesOf(template, 'AWS::SQS::Queue')[dlq]?.Properties.MaximumMessageSize).toBe(1_048_576);
  });
});
