import { describe, expect, it } from 'vitest';
import { LiveSetupError } from '../../../lib/gameday/live/errors';
import { readDeployedStack, requireEventBus, requirePlaybooks } from '../../../lib/gameday/live/stack';
import type { StackOutput } from '../../../lib/gameday/live/stack';

const ARN = (name: string) => `arn:aws:states:eu-west-1:111122223333:stateMachine:${name}`;

/** The outputs lib/stack/firebreak-stack.ts declares, as DescribeStacks lists them. */
const DEPLOYED: StackOutput[] = [
  { key: 'DispatcherArn', value: ARN('Firebreak-dispatcher'), description: 'The dispatcher state machine (Express)' },
  { key: 'PlaybookCompromisedEc2InstanceArn', value: ARN('Firebreak-compromised-ec2-instance'), description: 'Playbook compromised-ec2-instance' },
  { key: 'PlaybookEc2ReconnaissanceArn', value: ARN('Firebreak-ec2-reconnaissance'), description: 'Playbook ec2-reconnaissance' },
  { key: 'AlertTopicArn', value: 'arn:aws:sns:eu-west-1:111122223333:Firebreak-AlertTopic' },
  { key: 'StateTableName', value: 'Firebreak-StateTable' },
  { key: 'EventBusName', value: 'default', description: 'Where game-day events are put (source firebreak.gameday)' },
  { key: 'Mode', value: 'dry-run', description: 'dry-run: every playbook runs in dry-run' },
];

describe('readDeployedStack', () => {
  it('reads the bus, the dispatcher, every playbook state machine by name and the mode from the stack outputs', () => {
    expect(readDeployedStack('Firebreak', DEPLOYED)).toEqual({
      stackName: 'Firebreak',
      outputs: DEPLOYED,
      eventBusName: 'default',
      dispatcherArn: ARN('Firebreak-dispatcher'),
      playbooks: [
        { name: 'compromised-ec2-instance', stateMachineArn: ARN('Firebreak-compromised-ec2-instance') },
        { name: 'ec2-reconnaissance', stateMachineArn: ARN('Firebreak-ec2-reconnaissance') },
      ],
      mode: 'dry-run',
    });
  });

  it('names a playbook from its state machine when the output has no description, and from the key when the name is generated', () => {
    const stack = readDeployedStack('Firebreak', [
      { key: 'PlaybookSshRdpBruteForceSourceArn', value: ARN('Firebreak-ssh-rdp-brute-force-source') },
      { key: 'PlaybookDefaultAlertArn', value: ARN('PlaybookDefaultAlertStateMachine1A2B3C4D-xYz12') },
    ]);

    expect(stack.playbooks.map((playbook) => playbook.name)).toEqual(['default-alert', 'ssh-rdp-brute-force-source']);
  });

  it('accepts a comma-separated PlaybookStateMachineArns output, a bus given as an ARN, and keys in another case', () => {
    const stack = readDeployedStack('Firebreak', [
      { key: 'PlaybookStateMachineArns', value: `${ARN('Firebreak-a')}, ${ARN('Firebreak-b')}` },
      { key: 'eventbusname', value: 'arn:aws:events:eu-west-1:111122223333:event-bus/security' },
      { key: 'mode', value: 'enforce' },
    ]);

    expect(stack.playbooks).toEqual([
      { name: 'a', stateMachineArn: ARN('Firebreak-a') },
      { name: 'b', stateMachineArn: ARN('Firebreak-b') },
    ]);
    expect(stack.eventBusName).toBe('security');
    expect(stack.mode).toBe('enforce');
  });

  it('ignores Playbook…Arn outputs whose value is not a state machine ARN', () => {
    expect(readDeployedStack('Firebreak', [{ key: 'PlaybookBucketArn', value: 'arn:aws:s3:::playbooks' }]).playbooks).toEqual([]);
  });
});

describe('requireEventBus', () => {
  it('prefers --event-bus over the output', () => {
    expect(requireEventBus(readDeployedStack('Firebreak', DEPLOYED), 'security')).toBe('security');
    expect(requireEventBus(readDeployedStack('Firebreak', DEPLOYED), undefined)).toBe('default');
  });

  it('names the missing EventBusName output, the outputs there are, and what to do', () => {
    const stack = readDeployedStack('Firebreak', DEPLOYED.filter((output) => output.key !== 'EventBusName'));

    expect(() => requireEventBus(stack, undefined)).toThrow(
      new LiveSetupError(
        "stack Firebreak has no output EventBusName (its outputs: AlertTopicArn, DispatcherArn, Mode, PlaybookCompromisedEc2InstanceArn, PlaybookEc2ReconnaissanceArn, StateTableName): redeploy it from this repository (`npx cdk deploy`) or pass --event-bus NAME (Firebreak's rules listen on the default bus)",
      ),
    );
  });

  it('adds the stack status when the stack is not settled (a rollback leaves outputs out)', () => {
    expect(() => requireEventBus(readDeployedStack('Firebreak', [], 'ROLLBACK_COMPLETE'), undefined)).toThrow(
      /has no output EventBusName \(its outputs: none; stack status ROLLBACK_COMPLETE\)/,
    );
  });
});

describe('requirePlaybooks', () => {
  it('names the missing playbook outputs when the stack has none', () => {
    expect(() => requirePlaybooks(readDeployedStack('Firebreak', []))).toThrow(
      new LiveSetupError(
        'stack Firebreak has no output Playbook<Name>Arn (one per playbook state machine) (its outputs: none): redeploy it from this repository (`npx cdk deploy`) or drop --watch and follow the executions in the Step Functions console',
      ),
    );
  });
});
