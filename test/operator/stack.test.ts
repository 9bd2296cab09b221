import { describe, expect, it } from 'vitest';
import { LiveSetupError } from '../../lib/operator/errors';
import { readDeployedStack, requireEventBus, requirePlaybooks } from '../../lib/operator/stack';
import type { StackOutput } from '../../lib/operator/stack';

const ARN = (name: string) => `arn:aws:states:eu-west-1:111122223333:stateMachine:${name}`;

/** The outputs lib/stack/firebreak-stack.ts declares, as DescribeStacks lists them. */
const DEPLOYED: StackOutput[] = [
  { key: 'DispatcherArn', value: ARN('Firebreak-dispatcher'), description: 'The dispatcher state machine (Express)' },
  { key: 'PlaybookCompromisedEc2InstanceArn', value: ARN('Firebreak-compromised-ec2-instance'), description: 'Playbook compromised-ec2-instance' },
  { key: 'PlaybookEc2ReconnaissanceArn', value: ARN('Firebreak-ec2-reconnaissance'), description: 'Playbook ec2-reconnaissance' },
  { key: 'AlertTopicArn', value: 'arn:aws:sns:eu-west-1:111122223333:Firebreak-AlertTopic' },
  { key: 'StateTableName', value: 'Firebreak-StateTable' },
  { key: 'GameDayEventBusName', value: 'Firebreak-gameday', description: 'Where game-day events are put (source firebreak.gameday)' },
  { key: 'GameDaysEnabled', value: 'true' },
  { key: 'Mode', value: 'dry-run', description: 'dry-run: every playbook runs in dry-run' },
];

describe('readDeployedStack', () => {
  it('reads the bus, the dispatcher, every playbook state machine by name and the mode from the stack outputs', () => {
    expect(readDeployedStack('Firebreak', DEPLOYED)).toEqual({
      stackName: 'Firebreak',
      outputs: DEPLOYED,
      eventBusName: 'Firebreak-gameday',
      gameDaysEnabled: true,
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
      { key: 'gamedayeventbusname', value: 'arn:aws:events:eu-west-1:111122223333:event-bus/security' },
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
  /** A stack deployed without gameDayPrincipals: no bus, and it says so. */
  const GAME_DAYS_OFF = DEPLOYED.filter((output) => output.key !== 'GameDayEventBusName').map((output) =>
    output.key === 'GameDaysEnabled' ? { ...output, value: 'false' } : output,
  );

  it('takes the game-day bus from the output, and --event-bus over it', () => {
    expect(requireEventBus(readDeployedStack('Firebreak', DEPLOYED), 'security')).toBe('security');
    expect(requireEventBus(readDeployedStack('Firebreak', DEPLOYED), undefined)).toBe('Firebreak-gameday');
  });

  it('says clearly when the deployment has game days off, and how to turn them on', () => {
    const stack = readDeployedStack('Firebreak', GAME_DAYS_OFF);

    expect(stack.gameDaysEnabled).toBe(false);
    expect(() => requireEventBus(stack, undefined)).toThrow(
      new LiveSetupError(
        'game days are not enabled in stack Firebreak (its GameDaysEnabled output is false, so it has no game-day bus and accepts no injection); nothing was injected: redeploy it with the principals allowed to inject (`npx cdk deploy Firebreak -c gameDayPrincipals=arn:aws:iam::<account>:role/<game-day role>`)',
      ),
    );
    expect(() => requireEventBus(stack, 'security')).toThrow(/game days are not enabled in stack Firebreak/);
  });

  it('refuses the default bus, where Firebreak accepts no game-day event', () => {
    for (const flag of ['default', 'arn:aws:events:eu-west-1:111122223333:event-bus/default']) {
      expect(() => requireEventBus(readDeployedStack('Firebreak', DEPLOYED), flag)).toThrow(
        /--event-bus default: Firebreak accepts no game-day event on the default bus .*\(Firebreak-gameday\)/,
      );
    }
  });

  it('names the missing GameDayEventBusName output of an older stack, the outputs there are, and what to do', () => {
    const stack = readDeployedStack('Firebreak', DEPLOYED.filter((output) => !output.key.startsWith('GameDay')));

    expect(() => requireEventBus(stack, undefined)).toThrow(
      new LiveSetupError(
        "stack Firebreak has no output GameDayEventBusName (its outputs: AlertTopicArn, DispatcherArn, Mode, PlaybookCompromisedEc2InstanceArn, PlaybookEc2ReconnaissanceArn, StateTableName): redeploy it from this repository (`npx cdk deploy Firebreak`) or pass --event-bus NAME (the deployment's game-day bus); if it has none, redeploy it with the principals allowed to inject (`npx cdk deploy Firebreak -c gameDayPrincipals=arn:aws:iam::<account>:role/<game-day role>`)",
      ),
    );
  });

  it('adds the stack status when the stack is not settled (a rollback leaves outputs out)', () => {
    expect(() => requireEventBus(readDeployedStack('Firebreak', [], 'ROLLBACK_COMPLETE'), undefined)).toThrow(
      /has no output GameDayEventBusName \(its outputs: none; stack status ROLLBACK_COMPLETE\)/,
    );
  });
});

describe('requirePlaybooks', () => {
  it('names the missing playbook outputs when the stack has none', () => {
    expect(() => requirePlaybooks(readDeployedStack('Firebreak', []))).toThrow(
      new LiveSetupError(
        'stack Firebreak has no output Playbook<Name>Arn (one per playbook state machine) (its outputs: none): redeploy it from this repository (`npx cdk deploy Firebreak`) or drop --watch and follow the executions in the Step Functions console',
      ),
    );
  });
});
