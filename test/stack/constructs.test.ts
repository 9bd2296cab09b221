/**
 * The constructs Firebreak is composed of, each on its own in a plain stack: what it creates, asserted
 * on the synthesized template (the whole deployment is tested in firebreak-stack.test.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { CompiledStateMachineConstruct } from '../../lib/stack/compiled-state-machine';
import { Dispatcher } from '../../lib/stack/dispatcher';
import { KeptEventsQueue } from '../../lib/stack/kept-events-queue';
import { PlaybookMachines } from '../../lib/stack/playbooks';
import { Responders } from '../../lib/stack/responders';
import { EventRules } from '../../lib/stack/rules';
import { actionsOf, ALARM, COMPROMISED, DEFAULT_ALERT, resourcesOf, sharedResources, statementsOfRole, userStack } from './support';

const RETENTION = logs.RetentionDays.ONE_WEEK;

function responders(playbooks = [COMPROMISED, ALARM, DEFAULT_ALERT]) {
  const stack = userStack();
  const shared = sharedResources(stack);
  const built = new Responders(stack, 'Responders', { playbooks, effectiveMode: 'dry-run', gameDaysEnabled: false, ...shared, logRetention: RETENTION });
  return { stack, ...shared, responders: built };
}

describe('AlertChannels', () => {
  it('creates two topics, each encrypted with a rotating key of its own, and pages on both with every alarm', () => {
    const stack = userStack();
    const { channels } = sharedResources(stack);
    const queue = new KeptEventsQueue(stack, 'Kept', { purpose: 'p', alarmWhat: 'w', channels });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const topicKeys = Object.values(resourcesOf(template, 'AWS::SNS::Topic')).map((topic) => JSON.stringify(topic.Properties.KmsMasterKeyId));
    expect(new Set(topicKeys).size).toBe(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertingAlertTopic') }, { Ref: Match.stringLikeRegexp('^AlertingOperationsTopic') }],
    });
    expect(queue.queue).toBeDefined();
  });

  it('lets only the publishers it was given publish: the deny names their role ARNs', () => {
    const { stack, responders: built } = responders();
    const template = Template.fromStack(stack);
    const policies = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).map((policy) => JSON.stringify(policy.Properties));
    const alertPolicy = policies.find((policy) => policy.includes('AlertingAlertTopic'))!;
    const publisher = stack.getLogicalId(built.functionOf('publish-alert').role.node.defaultChild as never);
    expect(alertPolicy).toContain(publisher);
    expect(alertPolicy).not.toContain(stack.getLogicalId(built.functionOf('triage').role.node.defaultChild as never));
  });
});

describe('IncidentState', () => {
  it('creates one retained, deletion-protected, point-in-time-recovered table and grants items by key prefix only', () => {
    const stack = userStack();
    const { state, channels } = sharedResources(stack);
    const role = new Responders(stack, 'R', { playbooks: [DEFAULT_ALERT], effectiveMode: 'dry-run', gameDaysEnabled: false, state, channels, logRetention: RETENTION }).functionOf('triage').role;
    state.grantItems(role, 'ReadSomething', ['dynamodb:GetItem'], 'thing#');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    });
    const statement = statementsOfRole(template, stack.getLogicalId(role.node.defaultChild as never)).find((entry) => entry.Sid === 'ReadSomething');
    expect(statement?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'thing#*' } });
  });
});

describe('KeptEventsQueue', () => {
  it('keeps events 14 days in a retained, encrypted queue that refuses plain HTTP, and pages when one waits', () => {
    const stack = userStack();
    const { channels } = sharedResources(stack);
    new KeptEventsQueue(stack, 'Waiting', { purpose: 'test', alarmWhat: 'Something waits', channels });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SQS::Queue', {
      DeletionPolicy: 'Retain',
      Properties: { MessageRetentionPeriod: Duration.days(14).toSeconds(), SqsManagedSseEnabled: true },
    });
    const policy = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'))[0]!;
    const deny = (policy.Properties.PolicyDocument as { Statement: { Sid: string; Action: string[] }[] }).Statement[0]!;
    expect(deny.Sid).toBe('DenyRequestsWithoutTls');
    expect(deny.Action.every((action) => action.startsWith('sqs:') && !action.includes('*'))).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'Something waits; they are kept in WaitingEventsQueue for up to 14 days.',
      MetricName: 'NumberOfMessagesSent',
    });
  });
});

describe('Responders', () => {
  it('creates one function per responder the playbooks use, each with its own role, log group and error alarm', () => {
    const { stack, responders: built } = responders();
    expect([...built.functions.keys()].sort()).toEqual(['containment-guard', 'publish-alert', 'quarantine-instance', 'snapshot-volumes', 'triage']);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::Logs::LogGroup', 5);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
  });

  it("gives every function the deployment's facts (mode, served accounts), and only the guard its rails", () => {
    const { stack } = responders();
    const template = Template.fromStack(stack);
    const environments = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).map(
      ([id, fn]) => [id, (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables] as const,
    );
    for (const [, variables] of environments) expect(variables).toMatchObject({ FIREBREAK_MODE: 'dry-run', FIREBREAK_GAMEDAY_ENABLED: 'false' });
    const withRails = environments.filter(([, variables]) => 'FIREBREAK_PLAYBOOK_RAILS' in variables).map(([id]) => id);
    expect(withRails).toEqual([expect.stringMatching(/^RespondersResponderContainmentGuard/)]);
  });

  it('grants no responder the member role unless one is configured, and then only those acting in accounts', () => {
    const assumes = (stack: ReturnType<typeof responders>['stack']) =>
      JSON.stringify(Template.fromStack(stack).toJSON()).match(/AssumeFirebreakMemberRole/g)?.length ?? 0;
    expect(assumes(responders().stack)).toBe(0);
    const stack = userStack();
    const shared = sharedResources(stack);
    new Responders(stack, 'Responders', {
      playbooks: [COMPROMISED, DEFAULT_ALERT],
      effectiveMode: 'enforce',
      gameDaysEnabled: false,
      memberRoleName: 'FirebreakResponder',
      organizationId: 'o-a1b2c3d4e5',
      ...shared,
      logRetention: RETENTION,
    });
    // The guard, quarantine and snapshots (EC2 in the incident's account); never triage or publish-alert.
    expect(assumes(stack)).toBe(3);
  });
});

describe('CompiledStateMachineConstruct', () => {
  const machine = (definition: object) => () =>
    new CompiledStateMachineConstruct(userStack(), 'Machine', {
      compiled: { definition: definition as never, substitutions: [] },
      type: sfn.StateMachineType.STANDARD,
      comment: 'c',
      substitutions: {},
      invokes: [],
      logRetention: RETENTION,
    });
  const pass = (parameters: object) => ({ StartAt: 'p', States: { p: { Type: 'Pass', Parameters: parameters, End: true } } });

  it('refuses a definition with a key CloudFormation would resolve as an intrinsic function in the Definition object (Ref, Fn::…)', () => {
    // Written as an object, {"Ref": "AWS::AccountId"} would reach Step Functions as the account id,
    // not as the compiler's text: the deployed machine would not be the one the game day runs.
    expect(machine(pass({ tags: { Ref: 'AWS::AccountId' } }))).toThrow(/States\.p\.Parameters\.tags\.Ref.*intrinsic function/);
    expect(machine(pass({ a: [{ 'Fn::ImportValue': 'x' }] }))).toThrow(/States\.p\.Parameters\.a\[0\]\.Fn::ImportValue/);
  });

  it('deploys a definition whose keys only look alike, unchanged', () => {
    const definition = pass({ Reference: 'x', 'fn-owner': 'y', 'Ref.$': '$.a', n: 12345678901, u: 'é ✓' });
    const stack = userStack();
    new CompiledStateMachineConstruct(stack, 'Machine', { compiled: { definition: definition as never, substitutions: [] }, type: sfn.StateMachineType.STANDARD, comment: 'c', substitutions: {}, invokes: [], logRetention: RETENTION });
    const [machineProps] = Object.values(resourcesOf(Template.fromStack(stack), 'AWS::StepFunctions::StateMachine'));
    expect(machineProps!.Properties.Definition).toEqual(definition);
  });
});

describe('PlaybookMachines', () => {
  it('deploys one Standard state machine per playbook, named after the stack, invoking only its own responders', () => {
    const { stack, channels, responders: built } = responders();
    const machines = new PlaybookMachines(stack, 'Playbooks', { playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT], responders: built, channels, logRetention: RETENTION });
    expect([...machines.stateMachines.keys()]).toEqual(['compromised-ec2', 'instance-alarm', 'default-alert']);
    expect(machines.release).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'UserStack-default-alert', StateMachineType: 'STANDARD' });
    // 3 endings (failed, timed out, aborted) per playbook, besides the 5 responder error alarms.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5 + 3 * 3);
    const alertOnly = Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).find(([id]) => id.startsWith('PlaybooksPlaybookDefaultAlertStateMachineRole'))!;
    const invoke = (alertOnly[1].Properties.PolicyDocument as { Statement: { Sid?: string; Resource: unknown }[] }).Statement.find((statement) => statement.Sid === 'InvokeResponders');
    expect(JSON.stringify(invoke?.Resource)).toContain('ResponderPublishAlert');
    expect(JSON.stringify(invoke?.Resource)).not.toContain('ResponderQuarantineInstance');
  });
});

describe('Dispatcher', () => {
  it('is an Express machine that may start only the automatic playbooks, keep unprocessable events and append triage to incident# items', () => {
    const { stack, channels, state, responders: built } = responders();
    const playbookMachines = new PlaybookMachines(stack, 'Playbooks', { playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT], responders: built, channels, logRetention: RETENTION });
    const dispatcher = new Dispatcher(stack, 'Dispatch', {
      playbookMachines,
      responders: built,
      channels,
      logRetention: RETENTION,
      state,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'UserStack-dispatcher', StateMachineType: sfn.StateMachineType.EXPRESS });
    const roleId = stack.getLogicalId(dispatcher.stateMachine.role.node.defaultChild as never);
    const statements = statementsOfRole(template, roleId);
    expect(statements.find((statement) => statement.Sid === 'StartPlaybooks')?.Resource).toHaveLength(3);
    expect(actionsOf(statements.find((statement) => statement.Sid === 'KeepUnprocessableEvents')!)).toEqual(['sqs:SendMessage']);
    // Triage's entry (lib/responders/triage-record.ts): UpdateItem only, on the state table, on incident# items only.
    const tableId = stack.getLogicalId(state.table.node.defaultChild as never);
    const recordTriage = statements.find((statement) => statement.Sid === 'RecordTriage')!;
    expect(recordTriage).toMatchObject({
      Effect: 'Allow',
      Action: 'dynamodb:UpdateItem',
      Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } },
    });
    // No other statement of the dispatcher names DynamoDB.
    expect(statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:')).map((statement) => statement.Sid)).toEqual(['RecordTriage']);
    // The definition's RecordTriage task writes to that table, after StartPlaybook.
    const machine = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine')).find((resource) => resource.Properties.StateMachineType === 'EXPRESS')!;
    expect((machine.Properties.DefinitionSubstitutions as Record<string, unknown>).StateTableName).toEqual({ Ref: tableId });
    const definition = dispatcher.compiled.definition as { States: Record<string, Record<string, unknown>> };
    expect(definition.States.StartPlaybook!.Next).toBe('TriageRecordReady');
    expect(definition.States.RecordTriage).toMatchObject({ Resource: 'arn:aws:states:::dynamodb:updateItem', Parameters: { TableName: '${StateTableName}' } });
  });
});

describe('EventRules', () => {
  const rules = (gameDayPrincipals?: string[]) => {
    const stack = userStack();
    const { channels } = sharedResources(stack);
    const dispatcher = sfn.StateMachine.fromStateMachineArn(stack, 'D', 'arn:aws:states:eu-west-1:111122223333:stateMachine:d');
    new EventRules(stack, 'Rules', { playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT], dispatcher, channels, ...(gameDayPrincipals ? { gameDayPrincipals } : {}) });
    return Template.fromStack(stack);
  };

  it('sends GuardDuty findings (numerically from the lowest severity) and CloudWatch alarms to the dispatcher, with retries and the kept queue', () => {
    const template = rules();
    // GuardDuty findings, S3 scan results (the default alert takes every GuardDuty type) and alarms.
    template.resourceCountIs('AWS::Events::Rule', 3);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], detail: { severity: [{ numeric: ['>=', 4] }] } },
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 }, DeadLetterConfig: Match.anyValue() }),
        // The oversized-event intake, beside the dispatcher.
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
    template.resourceCountIs('AWS::Events::EventBus', 0);
  });

  it('adds the game-day bus and its rule only for named principals', () => {
    const template = rules(['arn:aws:iam::111122223333:role/GameDay']);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'UserStack-gameday' });
    template.resourceCountIs('AWS::Events::Rule', 4);
  });
});
