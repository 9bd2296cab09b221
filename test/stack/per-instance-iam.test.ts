import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { actionsOf, logicalIdOf, statementsOfRole, synthesize } from './support';

const shipped = loadPlaybookDirectorySync('playbooks');
const sequencePlaybooks = shipped.filter((playbook) => playbook.name.startsWith('attack-sequence-ec2'));

describe('a playbook with a contain-each-instance step, as synthesized', () => {
  const { template } = synthesize({ playbooks: sequencePlaybooks });
  const parentRole = logicalIdOf(template, 'AWS::IAM::Role', 'PlaybookAttackSequenceEc2StateMachineRole');
  const childMachine = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookAttackSequenceEc2InstanceStateMachine');
  const statements = statementsOfRole(template, parentRole);
  const sid = (name: string) => statements.find((statement) => statement.Sid === name);

  it('may start only the per-instance playbook, and follow and stop only its executions', () => {
    expect(sid('StartPerInstancePlaybooks')).toMatchObject({ Action: 'states:StartExecution', Resource: { Ref: childMachine } });
    const follow = sid('FollowPerInstanceExecutions')!;
    expect(actionsOf(follow).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(JSON.stringify(follow.Resource)).toContain(':execution:');
    expect(JSON.stringify(follow.Resource)).not.toContain('"*"');
  });

  it('may manage only the managed rule Step Functions uses for .sync', () => {
    const events = sid('PerInstanceCompletionEvents')!;
    expect(actionsOf(events).sort()).toEqual(['events:DescribeRule', 'events:PutRule', 'events:PutTargets']);
    expect(JSON.stringify(events.Resource)).toContain('rule/StepFunctionsGetEventsForStepFunctionsExecutionRule');
  });

  it('substitutes the per-instance machine ARN into the Map, and the dispatcher cannot start it', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const parent = Object.entries(machines).find(([id]) => id.startsWith('PlaybookAttackSequenceEc2StateMachine'))![1] as { Properties: { DefinitionSubstitutions: Record<string, unknown> } };
    expect(parent.Properties.DefinitionSubstitutions.Sm_attack_sequence_ec2_instance).toEqual({ Ref: childMachine });
    // The ARN prefix of its executions, where another run of the revision reads one again: the same
    // executions FollowPerInstanceExecutions lets the parent describe, without the `:*`.
    const prefix = JSON.stringify(parent.Properties.DefinitionSubstitutions.Ex_attack_sequence_ec2_instance);
    expect(prefix).toContain(':execution:');
    expect(prefix).toContain(childMachine);
    expect(JSON.stringify(sid('FollowPerInstanceExecutions')!.Resource)).toBe(prefix.replace(/\]\]\}$/, ',":*"]]}'));
    const dispatcherRole = logicalIdOf(template, 'AWS::IAM::Role', 'DispatcherStateMachineRole');
    const start = statementsOfRole(template, dispatcherRole).find((statement) => statement.Sid === 'StartPlaybooks');
    expect(JSON.stringify(start?.Resource)).not.toContain(childMachine);
  });

  it('gives the per-instance playbook its own rails in the guard (it changes resources)', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, string> } } }[];
    const withRails = functions.flatMap((fn) => fn.Properties.Environment?.Variables?.FIREBREAK_PLAYBOOK_RAILS ?? []);
    expect(withRails).toHaveLength(1);
    const rails = JSON.parse(withRails[0]!) as Record<string, unknown>;
    expect(Object.keys(rails)).toEqual(['attack-sequence-ec2-instance']);
  });
});
