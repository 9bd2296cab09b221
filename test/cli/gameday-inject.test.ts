import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Output } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSampleFindingsCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLiveTemplate } from '../../lib/gameday/live/catalogue';
import { createInjectCommand, registerInjectCommand } from '../../lib/cli/gameday-inject';
import type { InjectDependencies, LiveClients } from '../../lib/cli/gameday-inject';
import { buildInjection } from '../../lib/gameday/live/injection';
import { INJECTED_AT, at, containedHistory, failedHistory } from '../gameday/live/histories';
import { awsError, captureOutput, deployedStackAnswer, fakeClock, runCommand } from '../support/cli';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/GameDay/alice';
const FINDING_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const EVENT_ID = '0b6f4e2a-3c1d-4e5f-8a9b-7c6d5e4f3a2b';
const INSTANCE = 'i-0123456789abcdef0';
const machine = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-${name}`;
const DISPATCHER = machine('dispatcher');
const COMPROMISED = machine('compromised-ec2-instance');

const OUTPUTS: Output[] = [
  { OutputKey: 'DispatcherArn', OutputValue: DISPATCHER },
  { OutputKey: 'PlaybookCompromisedEc2InstanceArn', OutputValue: COMPROMISED, Description: 'Playbook compromised-ec2-instance' },
  { OutputKey: 'GameDayEventBusName', OutputValue: 'Firebreak-gameday' },
  { OutputKey: 'GameDaysEnabled', OutputValue: 'true' },
  { OutputKey: 'Mode', OutputValue: 'dry-run' },
];

/** The execution name the default template gets with this test's finding id and clock. */
const EXECUTION_NAME = buildInjection(
  findLiveTemplate('backdoor-c2')!,
  { instanceId: INSTANCE, account: ACCOUNT, region: REGION, partition: 'aws' },
  { account: ACCOUNT, region: REGION, eventBusName: 'Firebreak-gameday' },
  { findingId: FINDING_ID, eventId: EVENT_ID, now: INJECTED_AT },
).executionName;

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const eventBridge = mockClient(EventBridgeClient);
const guardDuty = mockClient(GuardDutyClient);
const sfn = mockClient(SFNClient);
const ec2 = mockClient(EC2Client);
const mocks = [sts, cloudFormation, eventBridge, guardDuty, sfn, ec2];

function stackWith(outputs: Output[]): void {
  cloudFormation.on(DescribeStacksCommand).resolves(deployedStackAnswer(outputs, { status: 'CREATE_COMPLETE' }));
}

beforeEach(() => {
  mocks.forEach((mock) => mock.reset());
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: CALLER, UserId: 'AROA:alice' });
  stackWith(OUTPUTS);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '11111111-2222-3333-4444-555555555555' }] });
  sfn.on(DescribeStateMachineCommand).rejects(awsError('AccessDeniedException'));
});
afterEach(() => mocks.forEach((mock) => mock.reset()));

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly regions: (string | undefined)[];
  readonly sleeps: number[];
}

/** Runs `firebreak gameday inject ARGS` through commander as lib/cli/main.ts would, with mocked clients and a fake clock. */
async function run(args: string[], overrides: Partial<InjectDependencies> = {}, clients?: Partial<LiveClients>): Promise<Run> {
  const output = captureOutput();
  const regions: (string | undefined)[] = [];
  const clock = fakeClock(INJECTED_AT);
  const deps: Partial<InjectDependencies> = {
    makeClients: (region) => {
      regions.push(region);
      return {
        sts: new STSClient({ region: region ?? REGION }),
        cloudFormation: new CloudFormationClient({ region: REGION }),
        eventBridge: new EventBridgeClient({ region: REGION }),
        guardDuty: new GuardDutyClient({ region: REGION }),
        sfn: new SFNClient({ region: REGION }),
        ec2: new EC2Client({ region: REGION }),
        ...clients,
      };
    },
    now: clock.now,
    sleep: clock.sleep,
    newFindingId: () => FINDING_ID,
    newEventId: () => EVENT_ID,
    ...output.deps,
    interrupts: () => ({ signal: new AbortController().signal, dispose: () => undefined }),
    ...overrides,
  };
  const code = await runCommand((program, setExitCode) => createInjectCommand(deps)(program.command('gameday'), setExitCode), ['gameday', 'inject', ...args], output);
  return { code, out: output.out.join('\n'), err: output.err.join('\n'), regions, sleeps: clock.sleeps };
}

const putInputs = () => eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input);

function executionsAppear(history = containedHistory({ mode: 'dry-run' })): void {
  sfn
    .on(ListExecutionsCommand, { stateMachineArn: COMPROMISED })
    .resolves({
      executions: [{ executionArn: `${COMPROMISED.replace(':stateMachine:', ':execution:')}:${EXECUTION_NAME}`, stateMachineArn: COMPROMISED, name: EXECUTION_NAME, status: 'RUNNING', startDate: at(1_200) }],
    })
    .on(GetExecutionHistoryCommand)
    .resolves({ events: history });
}

describe('firebreak gameday inject (template)', () => {
  it('puts the finding on the bus from the stack outputs, says the execution name, and exits 0', async () => {
    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(0);
    expect(putInputs()).toHaveLength(1);
    const entry = putInputs()[0]!.Entries![0]!;
    expect(entry).toMatchObject({ Source: 'firebreak.gameday', DetailType: 'GuardDuty Finding', EventBusName: 'Firebreak-gameday', Resources: [], Time: new Date('2026-11-20T10:15:30.000Z') });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ id: FINDING_ID, type: 'Backdoor:EC2/C&CActivity.B', accountId: ACCOUNT, resource: { instanceDetails: { instanceId: INSTANCE } } });
    expect(result.out).toContain(`Stack Firebreak in ${REGION}/${ACCOUNT}: mode dry-run; injecting as ${CALLER}.`);
    expect(result.out).toContain(`its playbook execution will be named ${EXECUTION_NAME} (the shipped playbooks route it to compromised-ec2-instance)`);
    expect(result.out).toContain('EventBridge event 11111111-2222-3333-4444-555555555555');
    expect(result.out).toContain(`aws logs filter-log-events --log-group-name /aws/vendedlogs/states/Firebreak-dispatcher --filter-pattern '"gameday-gd-${FINDING_ID}"' --region ${REGION}`);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: 'Firebreak' });
  });

  it('passes --region to the clients and --stack to CloudFormation, and puts on --event-bus', async () => {
    const result = await run(['--instance', INSTANCE, '--region', 'eu-central-1', '--stack', 'Firebreak-Staging', '--event-bus', 'security']);

    expect(result.code).toBe(0);
    expect(result.regions).toEqual(['eu-central-1']);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: 'Firebreak-Staging' });
    expect(putInputs()[0]?.Entries?.[0]?.EventBusName).toBe('security');
  });

  it('applies --template, --severity, --type and --account to the finding', async () => {
    const result = await run(['--template', 'ssh-brute-force-actor', '--instance', INSTANCE, '--severity', '7.5', '--type', 'UnauthorizedAccess:EC2/RDPBruteForce', '--account', '444455556666']);

    expect(result.code).toBe(0);
    expect(JSON.parse(putInputs()[0]!.Entries![0]!.Detail!)).toMatchObject({
      type: 'UnauthorizedAccess:EC2/RDPBruteForce',
      severity: 7.5,
      accountId: '444455556666',
      service: { resourceRole: 'ACTOR' },
    });
  });

  it('fills the finding from ec2:DescribeInstances with --describe', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: INSTANCE, NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0f1e2d3c4b5a69788', PrivateIpAddress: '10.0.1.5', VpcId: 'vpc-1', Groups: [{ GroupId: 'sg-a', GroupName: 'web' }] }] }] }],
    });

    const result = await run(['--instance', INSTANCE, '--describe']);

    expect(result.code).toBe(0);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({ InstanceIds: [INSTANCE] });
    expect(JSON.parse(putInputs()[0]!.Entries![0]!.Detail!).resource.instanceDetails.networkInterfaces).toEqual([
      expect.objectContaining({ networkInterfaceId: 'eni-0f1e2d3c4b5a69788', vpcId: 'vpc-1', securityGroups: [{ groupId: 'sg-a', groupName: 'web' }] }),
    ]);
    expect(result.out).toContain('1 ENI from ec2:DescribeInstances');
  });

  it('refuses --describe of an instance in another account than the credentials, before injecting', async () => {
    const result = await run(['--instance', INSTANCE, '--describe', '--account', '444455556666']);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--describe reads the instance with your credentials, in account 111122223333, but --account is 444455556666/);
    expect(putInputs()).toEqual([]);
  });

  it('with --watch, prints the timeline and the dry-run containment, and exits 0 when the execution succeeded', async () => {
    executionsAppear();

    const result = await run(['--instance', INSTANCE, '--watch']);

    expect(result.code).toBe(0);
    expect(result.out).toContain(`Watching the playbook execution named ${EXECUTION_NAME} in 1 playbook state machine (timeout 900 s`);
    expect(result.out).toMatch(/time\s+execution\s+state\s+action\s+resource\s+result/);
    expect(result.out).toMatch(/\+6\.4s\s+compromised-ec2-instance\s+quarantine-instance\s+quarantine-instance \(attempt 2\)\s+i-0123456789abcdef0\s+dry-run/);
    expect(result.out).toContain(`compromised-ec2-instance ${EXECUTION_NAME} ended SUCCEEDED 7.3 s after the injection, mode dry-run`);
    expect(result.out).toContain('Dry-run: quarantine-instance would have contained i-0123456789abcdef0 6.4 s after the injection; nothing was changed.');
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({ stateMachineArn: COMPROMISED, maxResults: 100 });
  });

  it('with --watch on an enforce stack, warns before injecting and prints the time to containment', async () => {
    stackWith(OUTPUTS.map((output) => (output.OutputKey === 'Mode' ? { ...output, OutputValue: 'enforce' } : output)));
    executionsAppear(containedHistory({ mode: 'enforce' }));

    const result = await run(['--instance', INSTANCE, '--watch']);

    expect(result.code).toBe(0);
    expect(result.err).toContain(`WARNING: stack Firebreak runs in ENFORCE: a playbook that matches will really act on ${INSTANCE}`);
    expect(result.out).toContain('Time to containment: 6.4 s (injection → quarantine-instance quarantined i-0123456789abcdef0).');
  });

  it('exits 1 when the execution failed', async () => {
    executionsAppear(failedHistory());

    const result = await run(['--instance', INSTANCE, '--watch']);

    expect(result.code).toBe(1);
    expect(result.err).toContain('1 execution did not succeed: compromised-ec2-instance FAILED.');
  });

  it('exits 1 at --timeout when no execution started, and says where to look', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    const result = await run(['--instance', INSTANCE, '--watch', '--timeout', '20']);

    expect(result.code).toBe(1);
    expect(result.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(20_000);
    expect(result.err).toContain(`no playbook execution named ${EXECUTION_NAME} started within 20 s. Triage may have sent an alert only or ignored the event`);
    expect(result.err).toContain('UndeliveredEventsQueueUrl');
  });

  it('exits 130 on Ctrl-C while watching and says the executions go on', async () => {
    const controller = new AbortController();
    let disposed = false;
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    const result = await run(['--instance', INSTANCE, '--watch'], {
      interrupts: () => ({ signal: controller.signal, dispose: () => (disposed = true) }),
      sleep: async () => controller.abort(),
    });

    expect(result.code).toBe(130);
    expect(result.err).toContain('Stopped watching (Ctrl-C).');
    expect(disposed).toBe(true);
  });
});

describe('firebreak gameday inject --json', () => {
  /** The one entry the template puts, exactly as PutEvents must receive it. */
  function expectOneExactPut(): void {
    const inputs = putInputs();
    expect(inputs).toHaveLength(1);
    const entry = inputs[0]!.Entries![0]!;
    expect(inputs[0]).toEqual({
      Entries: [{ Source: 'firebreak.gameday', DetailType: 'GuardDuty Finding', Detail: entry.Detail, Resources: [], Time: new Date('2026-11-20T10:15:30.000Z'), EventBusName: 'Firebreak-gameday' }],
    });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ id: FINDING_ID, type: 'Backdoor:EC2/C&CActivity.B', accountId: ACCOUNT, resource: { instanceDetails: { instanceId: INSTANCE } } });
  }

  const INJECTED_ENTRY = {
    template: 'backdoor-c2',
    source: 'firebreak.gameday',
    detailType: 'GuardDuty Finding',
    findingType: 'Backdoor:EC2/C&CActivity.B',
    severity: 8,
    instanceId: INSTANCE,
    account: ACCOUNT,
    region: REGION,
    incidentKey: `gameday-gd-${FINDING_ID}`,
    executionName: EXECUTION_NAME,
    expectedPlaybook: 'compromised-ec2-instance',
    time: '2026-11-20T10:15:30.000Z',
  };
  const HEAD = { stack: 'Firebreak', region: REGION, account: ACCOUNT, injectedAs: CALLER, stackMode: 'dry-run', kind: 'template', eventBus: 'Firebreak-gameday' };

  it('prints exactly one JSON document: the stack, the bus, what was put and its event id; no text on stdout; exit 0', async () => {
    const result = await run(['--instance', INSTANCE, '--json']);

    expect(result.code).toBe(0);
    expectOneExactPut();
    expect(JSON.parse(result.out)).toEqual({
      ...HEAD,
      entries: [{ ...INJECTED_ENTRY, eventId: '11111111-2222-3333-4444-555555555555', error: null }],
      injected: 1,
      failed: 0,
      dispatcherLogGroup: '/aws/vendedlogs/states/Firebreak-dispatcher',
    });
    expect(result.err).toBe('');
  });

  it('reports an entry EventBridge refused with its code and message, and exits 1', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized' }] });

    const result = await run(['--instance', INSTANCE, '--json']);

    expect(result.code).toBe(1);
    expectOneExactPut();
    const document = JSON.parse(result.out) as { entries: { error: { code: string; message: string } }[] };
    expect(document).toEqual({
      ...HEAD,
      entries: [{ ...INJECTED_ENTRY, eventId: null, error: { code: 'AccessDeniedException', message: expect.stringContaining('EventBridge refused the game-day event on bus Firebreak-gameday: AccessDeniedException: not authorized') } }],
      injected: 0,
      failed: 1,
    });
    expect(result.err).toContain('firebreak gameday inject: EventBridge refused the game-day event');
  });

  it('reports a call the bus policy refused as a whole as the entry failing, with the AWS error code, and exits 1', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('explicit deny in a resource-based policy'), { name: 'AccessDeniedException', $metadata: {} }));

    const result = await run(['--instance', INSTANCE, '--json']);

    expect(result.code).toBe(1);
    const document = JSON.parse(result.out) as { entries: { eventId: unknown; error: { code: string; message: string } }[]; failed: number };
    expect(document.failed).toBe(1);
    expect(document.entries[0]!.eventId).toBeNull();
    expect(document.entries[0]!.error.code).toBe('AccessDeniedException');
    expect(document.entries[0]!.error.message).toContain("the game-day bus admits only the deployment's gameDayPrincipals");
  });

  it('prints no JSON document and exits 2 when nothing could be tried (no credentials): the error is on stderr', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    const result = await run(['--instance', INSTANCE, '--json']);

    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain('AWS_PROFILE');
    expect(putInputs()).toEqual([]);
  });

  it('with --watch, adds what the executions did (status, mode, containment) to the one document', async () => {
    executionsAppear();

    const result = await run(['--instance', INSTANCE, '--watch', '--json']);

    expect(result.code).toBe(0);
    const document = JSON.parse(result.out) as Record<string, unknown>;
    expect(document.watched).toEqual({
      outcome: 'ended',
      executions: [
        {
          playbook: 'compromised-ec2-instance',
          name: EXECUTION_NAME,
          executionArn: `${COMPROMISED.replace(':stateMachine:', ':execution:')}:${EXECUTION_NAME}`,
          status: 'SUCCEEDED',
          mode: 'dry-run',
          containment: expect.objectContaining({ status: 'dry-run', contained: false, instanceId: INSTANCE }),
        },
      ],
      awaitedTypes: [],
    });
    expect(document.entries).toEqual([expect.objectContaining({ eventId: '11111111-2222-3333-4444-555555555555', error: null })]);
  });

  it('with --watch, exits 1 when the execution failed, the document saying so', async () => {
    executionsAppear(failedHistory());

    const result = await run(['--instance', INSTANCE, '--watch', '--json']);

    expect(result.code).toBe(1);
    expect((JSON.parse(result.out) as { watched: { executions: { status: string }[] } }).watched.executions.map((execution) => execution.status)).toEqual(['FAILED']);
    expect(result.err).toContain('1 execution did not succeed');
  });

  it('for --guardduty-samples, lists the requested types and the detector', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: ['12abc34d567e8fa901bc2d34e56789f0'] });
    guardDuty.on(CreateSampleFindingsCommand).resolves({});

    const result = await run(['--guardduty-samples', 'Backdoor:EC2/C&CActivity.B', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      stack: 'Firebreak',
      region: REGION,
      account: ACCOUNT,
      injectedAs: CALLER,
      stackMode: 'dry-run',
      kind: 'guardduty-samples',
      detectorId: '12abc34d567e8fa901bc2d34e56789f0',
      requestedAt: '2026-11-20T10:15:30.000Z',
      entries: [{ findingType: 'Backdoor:EC2/C&CActivity.B', error: null }],
      injected: 1,
      failed: 0,
      dispatcherLogGroup: '/aws/vendedlogs/states/Firebreak-dispatcher',
    });
  });

  it('lists the templates as JSON with --list-templates, without any AWS call', async () => {
    const result = await run(['--list-templates', '--json']);

    expect(result.code).toBe(0);
    const { templates } = JSON.parse(result.out) as { templates: { name: string; default: boolean }[] };
    expect(templates.find((template) => template.default)?.name).toBe('backdoor-c2');
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('firebreak gameday inject: what is missing', () => {
  it('exits 2 without AWS credentials, naming AWS_PROFILE and AWS_ACCESS_KEY_ID', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^firebreak gameday inject: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/);
    expect(putInputs()).toEqual([]);
  });

  it('exits 2 without a region, naming --region and AWS_REGION', async () => {
    const result = await run(['--instance', INSTANCE], {}, { sts: new STSClient({ region: (): Promise<string> => Promise.reject(new Error('Region is missing')) }) });

    expect(result.code).toBe(2);
    expect(result.err).toBe('firebreak gameday inject: no AWS region: pass --region (the region the Firebreak stack is deployed in) or set AWS_REGION');
  });

  it('exits 2 when the stack is not deployed, naming region, account, the deploy command and --stack', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Firebreak does not exist'));

    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(2);
    expect(result.err).toBe(
      'firebreak gameday inject: stack Firebreak not found in eu-west-1/111122223333: deploy it with `npx cdk deploy Firebreak` or pass --stack NAME (and --region) of the deployed one',
    );
    expect(putInputs()).toEqual([]);
  });

  it('exits 2 naming the missing GameDayEventBusName output of an older stack', async () => {
    stackWith(OUTPUTS.filter((output) => !output.OutputKey!.startsWith('GameDay')));

    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('stack Firebreak has no output GameDayEventBusName');
    expect(putInputs()).toEqual([]);
  });

  it('exits 2 saying game days are not enabled in a deployment without game-day principals, and injects nothing', async () => {
    stackWith([
      ...OUTPUTS.filter((output) => !output.OutputKey!.startsWith('GameDay')),
      { OutputKey: 'GameDaysEnabled', OutputValue: 'false' },
    ]);

    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('firebreak gameday inject: game days are not enabled in stack Firebreak');
    expect(result.err).toContain('-c gameDayPrincipals=');
    expect(putInputs()).toEqual([]);
  });

  it('exits 2 on --event-bus default and injects nothing: Firebreak accepts no game-day event there', async () => {
    const result = await run(['--instance', INSTANCE, '--event-bus', 'default']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('Firebreak accepts no game-day event on the default bus');
    expect(putInputs()).toEqual([]);
  });

  // Found by a new user: without credentials, `--event-bus default` was answered "no AWS
  // credentials found"; once they were set, the flag itself was refused. A flag is checked first.
  it('refuses --event-bus default (or its ARN) before reading credentials, the stack or the bus', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    for (const bus of ['default', 'arn:aws:events:eu-west-1:111122223333:event-bus/default']) {
      const result = await run(['--instance', INSTANCE, '--event-bus', bus]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^firebreak gameday inject: --event-bus default: Firebreak accepts no game-day event on the default bus/);
      expect(result.err).not.toContain('credentials');
    }
    expect(putInputs()).toEqual([]);
  });

  it('exits 2 naming the missing playbook outputs with --watch, before anything is put on the bus', async () => {
    stackWith(OUTPUTS.filter((output) => output.OutputKey !== 'PlaybookCompromisedEc2InstanceArn'));

    const result = await run(['--instance', INSTANCE, '--watch']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('stack Firebreak has no output Playbook<Name>Arn');
    expect(putInputs()).toEqual([]);
  });

  it('exits 1 with the code and message of an entry EventBridge refused', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized' }] });

    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(1);
    expect(result.err).toContain(
      "EventBridge refused the game-day event on bus Firebreak-gameday: AccessDeniedException: not authorized (the game-day bus Firebreak-gameday admits only the deployment's gameDayPrincipals: your principal must be one of them and hold events:PutEvents on the bus)",
    );
  });

  it('exits 1 saying the principal must be a game-day principal when the bus policy denies the call', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('explicit deny in a resource-based policy'), { name: 'AccessDeniedException', $metadata: {} }));

    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(1);
    expect(result.err).toContain(
      "not allowed to call events:PutEvents on bus Firebreak-gameday (AccessDeniedException): the game-day bus admits only the deployment's gameDayPrincipals, so your principal must be one of them",
    );
  });

  it('--dry-run-only refuses an enforce stack with exit 2 and injects nothing; it lets a dry-run stack through', async () => {
    stackWith(OUTPUTS.map((output) => (output.OutputKey === 'Mode' ? { ...output, OutputValue: 'enforce' } : output)));
    const refused = await run(['--instance', INSTANCE, '--dry-run-only']);
    stackWith(OUTPUTS);
    const allowed = await run(['--instance', INSTANCE, '--dry-run-only']);

    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--dry-run-only: stack Firebreak runs in enforce (its Mode output), so nothing was injected');
    expect(allowed.code).toBe(0);
    expect(putInputs()).toHaveLength(1);
  });

  it('exits 2 without --instance, before any AWS call', async () => {
    const result = await run([]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--instance is required');
    expect(result.regions).toEqual([]);
  });

  it('exits 2 on an empty --type, saying in words what is expected', async () => {
    const result = await run(['--instance', INSTANCE, '--type', ' ']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--type: expected a GuardDuty finding type such as Backdoor:EC2/C&CActivity.B');
    expect(result.err).not.toContain('Too small');
    expect(result.regions).toEqual([]);
  });

  it('exits 2 on a malformed --instance, --account, --severity or --timeout, naming each flag', async () => {
    const result = await run(['--instance', 'web-1', '--account', '1234', '--severity', 'high', '--timeout', '0']);

    expect(result.code).toBe(2);
    expect(result.err).toBe(
      'firebreak gameday inject: --instance: expected an EC2 instance id such as i-0123456789abcdef0; --account: expected a 12-digit AWS account id; --severity: expected a number from 1.0 to 10.0; --timeout: expected a whole number of seconds above 0',
    );
  });

  it('exits 2 on an unknown template, suggesting the closest', async () => {
    const result = await run(['--template', 'backdoor-c3', '--instance', INSTANCE]);

    expect(result.code).toBe(2);
    expect(result.err).toContain("--template backdoor-c3 is not in the catalogue (did you mean 'backdoor-c2'?)");
  });

  it('exits 2 on a typo in a flag, naming it and the flag meant', async () => {
    const result = await run(['--tempalte', 'backdoor-c2', '--instance', INSTANCE]);

    expect(result.code).toBe(2);
    expect(result.err).toContain("error: unknown option '--tempalte' (did you mean --template?)");
  });
});

describe('firebreak gameday inject --guardduty-samples', () => {
  const TYPES = 'Backdoor:EC2/C&CActivity.B,Recon:EC2/PortProbeUnprotectedPort';

  beforeEach(() => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: ['12abc34d567e8fa901bc2d34e56789f0'] });
    guardDuty.on(CreateSampleFindingsCommand).resolves({});
  });

  it('asks the detector for samples of the types, says they run in dry-run, and exits 0', async () => {
    const result = await run(['--guardduty-samples', TYPES]);

    expect(result.code).toBe(0);
    expect(guardDuty.commandCalls(CreateSampleFindingsCommand).map((call) => call.args[0].input)).toEqual([
      { DetectorId: '12abc34d567e8fa901bc2d34e56789f0', FindingTypes: ['Backdoor:EC2/C&CActivity.B', 'Recon:EC2/PortProbeUnprotectedPort'] },
    ]);
    expect(result.out).toContain("Firebreak's triage runs any playbook they match in dry-run, whatever the stack's mode");
    expect(putInputs()).toEqual([]);
  });

  it('with --watch, follows the sample executions by time and type', async () => {
    const name = 'gd-sample00000000000000000000000000-0a1b2c3d4e5f';
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: COMPROMISED })
      .resolves({ executions: [{ executionArn: `${COMPROMISED}:${name}`, stateMachineArn: COMPROMISED, name, status: 'SUCCEEDED', startDate: at(90_000) }] })
      .on(GetExecutionHistoryCommand)
      .resolves({ events: containedHistory({ mode: 'dry-run', sample: true }) });

    const result = await run(['--guardduty-samples', 'Backdoor:EC2/C&CActivity.B', '--watch']);

    expect(result.code).toBe(0);
    expect(result.out).toContain(`Found compromised-ec2-instance execution ${name}.`);
    expect(result.out).toContain('started in dry-run (sample finding)');
  });

  it('exits 2 when GuardDuty is not enabled in the region', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });

    const result = await run(['--guardduty-samples', TYPES]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('GuardDuty is not enabled in eu-west-1/111122223333 (ListDetectors returned no detector)');
    expect(guardDuty.commandCalls(CreateSampleFindingsCommand)).toEqual([]);
  });

  it('exits 2 on an unknown finding type, suggesting the closest, before any AWS call', async () => {
    const result = await run(['--guardduty-samples', 'Backdoor:EC2/C&CActivity.B,Recon:EC2/PortProbeUnprotected']);

    expect(result.code).toBe(2);
    expect(result.err).toContain("Recon:EC2/PortProbeUnprotected is not a GuardDuty finding type (did you mean 'Recon:EC2/PortProbeUnprotectedPort'?)");
    expect(result.regions).toEqual([]);
  });

  it('exits 2 when template flags are mixed in', async () => {
    const result = await run(['--guardduty-samples', TYPES, '--instance', INSTANCE, '--template', 'cryptocurrency']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--guardduty-samples asks GuardDuty for findings about placeholder resources, so --template, --instance do not apply');
  });
});

describe('firebreak gameday inject --help and --list-templates', () => {
  it('says every injection gets a fresh finding id and updatedAt, hence a new execution name', async () => {
    const result = await run(['--help']);

    expect(result.code).toBe(0);
    expect(result.out).toContain('Each injection is a new finding: a fresh finding id and updatedAt');
    expect(result.out).toContain('deterministic playbook execution name is new too');
    expect(result.out).toMatch(/backdoor-c2\s+Backdoor:EC2\/C&CActivity\.B/);
  });

  it('lists the catalogue without any AWS call', async () => {
    const result = await run(['--list-templates']);

    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toHaveLength(8);
    expect(result.out).toMatch(/recon-port-probe\s+Recon:EC2\/PortProbeUnprotectedPort .* → ec2-reconnaissance/);
    expect(result.regions).toEqual([]);
  });
});

describe('registerInjectCommand', () => {
  it('adds inject to the gameday command it is given', () => {
    const gameday = new Command('gameday');
    registerInjectCommand(gameday, () => undefined);

    expect(gameday.commands.map((command) => command.name())).toEqual(['inject']);
  });
});
