import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveTimelineRow } from '../../../lib/operator/history';
import { executionReport } from '../../../lib/operator/history';
import type { DeployedPlaybook } from '../../../lib/operator/stack';
import { POLL_BACKOFF, watchExecutions } from '../../../lib/gameday/live/watch';
import type { WatchOptions } from '../../../lib/gameday/live/watch';
import { INJECTED_AT, at, containedHistory, failedHistory, runningPart } from './histories';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());
afterEach(() => sfn.reset());

const machine = (name: string) => `arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-${name}`;
const PLAYBOOKS: DeployedPlaybook[] = [
  { name: 'compromised-ec2-instance', stateMachineArn: machine('compromised-ec2-instance') },
  { name: 'ec2-reconnaissance', stateMachineArn: machine('ec2-reconnaissance') },
];
const NAME = 'gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0-0a1b2c3d4e5f';
const executionArn = (playbook: string, name: string) => `arn:aws:states:eu-west-1:111122223333:execution:Firebreak-${playbook}:${name}`;
const listed = (playbook: string, name: string, startMs: number) => ({
  executionArn: executionArn(playbook, name),
  stateMachineArn: machine(playbook),
  name,
  status: 'RUNNING' as const,
  startDate: at(startMs),
});

/** A clock that only moves when the watch sleeps: no real waiting. */
function fakeClock(startMs = 0) {
  let nowMs = INJECTED_AT.getTime() + startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(nowMs),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      nowMs += ms;
    },
  };
}

function options(overrides: Partial<WatchOptions> & Pick<WatchOptions, 'target'>): WatchOptions & { rows: LiveTimelineRow[]; found: string[]; ended: string[] } {
  const clock = fakeClock();
  const rows: LiveTimelineRow[] = [];
  const found: string[] = [];
  const ended: string[] = [];
  return {
    playbooks: PLAYBOOKS,
    injectedAt: INJECTED_AT,
    timeoutMs: 900_000,
    now: clock.now,
    sleep: clock.sleep,
    onRows: (batch) => rows.push(...batch),
    onFound: (execution) => found.push(execution.name),
    onEnded: (report) => ended.push(`${report.name} ${report.status}`),
    rows,
    found,
    ended,
    ...overrides,
  };
}

const historyInputs = () => sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input.executionArn);

describe('watchExecutions, for a template injection', () => {
  it('waits for the execution with the exact name, streams each row once, and ends with it', async () => {
    const clock = fakeClock();
    const full = containedHistory();
    const ours = executionArn('compromised-ec2-instance', NAME);
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: machine('compromised-ec2-instance') })
      .resolvesOnce({ executions: [] })
      .resolves({ executions: [listed('compromised-ec2-instance', NAME, 1_200), listed('compromised-ec2-instance', 'gd-someone-else-000000000000', 900)] })
      .on(ListExecutionsCommand, { stateMachineArn: machine('ec2-reconnaissance') })
      .resolves({ executions: [] })
      .on(GetExecutionHistoryCommand, { executionArn: ours })
      .resolvesOnce({ events: runningPart(full, 12) })
      .resolves({ events: full });
    const watch = options({ target: { kind: 'execution', executionName: NAME }, now: clock.now, sleep: clock.sleep });

    const result = await watchExecutions(new SFNClient({ region: 'eu-west-1' }), watch);

    expect(result.outcome).toBe('ended');
    expect(result.executions.map((report) => [report.name, report.status, report.containment?.atMs])).toEqual([[NAME, 'SUCCEEDED', 6_400]]);
    expect(clock.sleeps).toEqual([2_000, 3_000]);
    expect(watch.rows).toEqual(executionReport({ executionArn: ours, name: NAME, playbook: 'compromised-ec2-instance' }, full, INJECTED_AT).rows);
    expect(watch.found).toEqual([NAME]);
    expect(watch.ended).toEqual([`${NAME} SUCCEEDED`]);
    // Never reads the history of an execution it can tell is not ours by name, and stops listing once the name is found.
    expect(historyInputs()).toEqual([ours, ours]);
    expect(sfn.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input.stateMachineArn)).toEqual([
      machine('compromised-ec2-instance'),
      machine('ec2-reconnaissance'),
      machine('compromised-ec2-instance'),
      machine('ec2-reconnaissance'),
    ]);
  });

  it('loses only one poll to throttling that outlasted the SDK retries, and says so', async () => {
    const notices: string[] = [];
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [] })
      .on(ListExecutionsCommand, { stateMachineArn: machine('compromised-ec2-instance') })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ executions: [listed('compromised-ec2-instance', NAME, 1_000)] })
      .on(GetExecutionHistoryCommand)
      .resolves({ events: containedHistory() });

    const result = await watchExecutions(
      new SFNClient({ region: 'eu-west-1' }),
      options({ target: { kind: 'execution', executionName: NAME }, onNotice: (text) => notices.push(text) }),
    );

    expect(result.outcome).toBe('ended');
    expect(notices).toEqual(['states:ListExecutions failed (ThrottlingException): Rate exceeded; trying again at the next poll']);
  });

  it('ends the watch on a refusal that another poll will not fix (access denied)', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    await expect(
      watchExecutions(new SFNClient({ region: 'eu-west-1' }), options({ target: { kind: 'execution', executionName: NAME } })),
    ).rejects.toThrow('not allowed to call states:ListExecutions (AccessDeniedException): your role needs states:ListExecutions');
  });

  it('stops reading the history of an execution once it ended', async () => {
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [] })
      .on(ListExecutionsCommand, { stateMachineArn: machine('compromised-ec2-instance') })
      .resolves({ executions: [listed('compromised-ec2-instance', NAME, 1_000)] })
      .on(GetExecutionHistoryCommand)
      .resolves({ events: failedHistory() });

    const result = await watchExecutions(new SFNClient({ region: 'eu-west-1' }), options({ target: { kind: 'execution', executionName: NAME } }));

    expect(result.outcome).toBe('ended');
    expect(result.executions[0]?.status).toBe('FAILED');
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(1);
  });

  it('gives up at --timeout, sleeping with backoff and never past the deadline', async () => {
    const clock = fakeClock();
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    const result = await watchExecutions(
      new SFNClient({ region: 'eu-west-1' }),
      options({ target: { kind: 'execution', executionName: NAME }, timeoutMs: 10_000, now: clock.now, sleep: clock.sleep }),
    );

    expect(result).toEqual({ outcome: 'timed-out', executions: [], awaitedTypes: [] });
    expect(clock.sleeps).toEqual([2_000, 3_000, 4_500, 500]);
  });

  it(`caps the wait between polls at ${POLL_BACKOFF.maxMs} ms`, async () => {
    const clock = fakeClock();
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    await watchExecutions(new SFNClient({ region: 'eu-west-1' }), options({ target: { kind: 'execution', executionName: NAME }, timeoutMs: 120_000, now: clock.now, sleep: clock.sleep }));

    expect(Math.max(...clock.sleeps)).toBe(POLL_BACKOFF.maxMs);
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(120_000);
  });

  it('stops between polls on Ctrl-C (an aborted signal) and returns what it saw', async () => {
    const controller = new AbortController();
    const full = containedHistory();
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [] })
      .on(ListExecutionsCommand, { stateMachineArn: machine('compromised-ec2-instance') })
      .resolves({ executions: [listed('compromised-ec2-instance', NAME, 1_200)] })
      .on(GetExecutionHistoryCommand)
      .resolves({ events: runningPart(full, 12) });
    const sleep = async (_ms: number, signal?: AbortSignal) => {
      controller.abort();
      if (signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    };

    const result = await watchExecutions(
      new SFNClient({ region: 'eu-west-1' }),
      options({ target: { kind: 'execution', executionName: NAME }, sleep, signal: controller.signal }),
    );

    expect(result.outcome).toBe('interrupted');
    expect(result.executions.map((report) => report.status)).toEqual(['RUNNING']);
  });
});

describe('watchExecutions, for GuardDuty samples', () => {
  const sampleName = (n: number) => `gd-sample${n}000000000000000000000000000-0a1b2c3d4e5f`;

  it('follows only sample executions of the requested types, and ends when each type has ended', async () => {
    const backdoor = listed('compromised-ec2-instance', sampleName(1), 60_000);
    const realFinding = listed('compromised-ec2-instance', sampleName(2), 61_000);
    const otherType = listed('compromised-ec2-instance', sampleName(3), 62_000);
    const recon = listed('ec2-reconnaissance', sampleName(4), 63_000);
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: machine('compromised-ec2-instance') })
      .resolves({ executions: [backdoor, realFinding, otherType] })
      .on(ListExecutionsCommand, { stateMachineArn: machine('ec2-reconnaissance') })
      .resolvesOnce({ executions: [] })
      .resolves({ executions: [recon] })
      .on(GetExecutionHistoryCommand, { executionArn: backdoor.executionArn })
      .resolves({ events: containedHistory({ mode: 'dry-run', sample: true }) })
      .on(GetExecutionHistoryCommand, { executionArn: realFinding.executionArn })
      .resolves({ events: containedHistory({ sample: false }) })
      .on(GetExecutionHistoryCommand, { executionArn: otherType.executionArn })
      .resolves({ events: containedHistory({ mode: 'dry-run', sample: true, findingType: 'Trojan:EC2/DropPoint' }) })
      .on(GetExecutionHistoryCommand, { executionArn: recon.executionArn })
      .resolves({ events: containedHistory({ mode: 'dry-run', sample: true, findingType: 'Recon:EC2/PortProbeUnprotectedPort' }) });
    const watch = options({ target: { kind: 'samples', findingTypes: ['Backdoor:EC2/C&CActivity.B', 'Recon:EC2/PortProbeUnprotectedPort'] } });

    const result = await watchExecutions(new SFNClient({ region: 'eu-west-1' }), watch);

    expect(result.outcome).toBe('ended');
    expect(result.executions.map((report) => [report.name, report.incident?.findingType, report.mode])).toEqual([
      [sampleName(1), 'Backdoor:EC2/C&CActivity.B', 'dry-run'],
      [sampleName(4), 'Recon:EC2/PortProbeUnprotectedPort', 'dry-run'],
    ]);
    expect(watch.found).toEqual([sampleName(1), sampleName(4)]);
    // The real finding and the unrequested type are read once, then left alone.
    expect(historyInputs().filter((arn) => arn === realFinding.executionArn)).toHaveLength(1);
    expect(historyInputs().filter((arn) => arn === otherType.executionArn)).toHaveLength(1);
  });

  it('names the requested types that never ended when it times out', async () => {
    const backdoor = listed('compromised-ec2-instance', sampleName(1), 60_000);
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [] })
      .on(ListExecutionsCommand, { stateMachineArn: machine('compromised-ec2-instance') })
      .resolves({ executions: [backdoor] })
      .on(GetExecutionHistoryCommand)
      .resolves({ events: containedHistory({ mode: 'dry-run', sample: true }) });

    const result = await watchExecutions(
      new SFNClient({ region: 'eu-west-1' }),
      options({ target: { kind: 'samples', findingTypes: ['Backdoor:EC2/C&CActivity.B', 'Recon:EC2/Portscan'] }, timeoutMs: 30_000 }),
    );

    expect(result.outcome).toBe('timed-out');
    expect(result.awaitedTypes).toEqual(['Recon:EC2/Portscan']);
    expect(result.executions).toHaveLength(1);
  });
});
