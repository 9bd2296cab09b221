import { describe, expect, it } from 'vitest';
import { formatContainment, formatDuration, formatEnding, formatOffset, formatTimelineRow, timelineHeader } from '../../lib/gameday/live/format';
import { executionReport } from '../../lib/operator/history';
import { INJECTED_AT, at, containedHistory, failedHistory, runningPart } from '../gameday/live/histories';

const EXECUTION = {
  executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0-0a1b2c3d4e5f',
  name: 'gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0-0a1b2c3d4e5f',
  playbook: 'compromised-ec2-instance',
};

describe('executionReport', () => {
  it('turns the history into timeline rows: time since injection, state, action, resource, result', () => {
    const report = executionReport(EXECUTION, containedHistory(), INJECTED_AT);

    expect(report.rows.map(({ atMs, state, action, resource, result }) => [atMs, state, action, resource, result])).toEqual([
      [1_200, '', 'ExecutionStarted', 'i-0123456789abcdef0', 'started in enforce'],
      [1_250, 'contain-and-preserve-evidence', 'Parallel', '', 'entered'],
      [2_500, 'quarantine-instance', 'quarantine-instance', '', 'error TransientResponderError'],
      [5_100, 'snapshot-volumes', 'snapshot-volumes', 'i-0123456789abcdef0', 'snapshotted'],
      [5_100, 'snapshot-volumes', 'ec2:CreateSnapshots', 'i-0123456789abcdef0', 'done'],
      [6_400, 'quarantine-instance', 'quarantine-instance (attempt 2)', 'i-0123456789abcdef0', 'quarantined'],
      [6_400, 'quarantine-instance', 'ec2:ModifyNetworkInterfaceAttribute', 'eni-0f1e2d3c4b5a69788', 'done'],
      [7_300, 'notify', 'publish-alert', '', 'published'],
      [7_320, '', 'ExecutionSucceeded', '', 'SUCCEEDED'],
    ]);
    expect(report.rows.every((row) => row.execution === 'compromised-ec2-instance')).toBe(true);
    expect(report.rows[2]?.detail).toBe('ec2:DescribeInstances answered RequestLimitExceeded');
  });

  it('attributes interleaved Parallel branch events to their own state by following previousEventId', () => {
    const report = executionReport(EXECUTION, containedHistory(), INJECTED_AT);
    const snapshotRow = report.rows.find((row) => row.result === 'snapshotted');

    // Event 13 (snapshot's success) comes after quarantine's retry was scheduled (event 11):
    // "the last state entered" would wrongly say quarantine-instance.
    expect(snapshotRow?.state).toBe('snapshot-volumes');
  });

  it('measures containment at the first success of quarantine-instance, not at its failed first attempt', () => {
    const report = executionReport(EXECUTION, containedHistory(), INJECTED_AT);

    expect(report.containment).toEqual({ atMs: 6_400, state: 'quarantine-instance', status: 'quarantined', contained: true, instanceId: 'i-0123456789abcdef0' });
    expect(report).toMatchObject({ status: 'SUCCEEDED', mode: 'enforce', startedAtMs: 1_200, endedAtMs: 7_320 });
    expect(report.incident).toEqual({ key: 'gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0', findingType: 'Backdoor:EC2/C&CActivity.B', sample: false });
  });

  it('reports a dry-run quarantine as would-have-contained, never as contained', () => {
    const report = executionReport(EXECUTION, containedHistory({ mode: 'dry-run' }), INJECTED_AT);

    expect(report.containment).toMatchObject({ atMs: 6_400, status: 'dry-run', contained: false });
    expect(report.rows[0]?.result).toBe('started in dry-run');
  });

  it('marks a sample finding in the start row', () => {
    expect(executionReport(EXECUTION, containedHistory({ sample: true, mode: 'dry-run' }), INJECTED_AT).rows[0]?.result).toBe(
      'started in dry-run (sample finding)',
    );
  });

  it('keeps a running execution RUNNING with the rows so far and no containment yet', () => {
    const report = executionReport(EXECUTION, runningPart(containedHistory(), 12), INJECTED_AT);

    expect(report.status).toBe('RUNNING');
    expect(report.containment).toBeUndefined();
    expect(report.rows.map((row) => row.action)).toEqual(['ExecutionStarted', 'Parallel', 'quarantine-instance']);
  });

  it('reports a failed execution with its error and cause, and no containment', () => {
    const report = executionReport(EXECUTION, failedHistory(), INJECTED_AT);

    expect(report).toMatchObject({ status: 'FAILED', error: 'ResponderAccessDeniedError', cause: 'ec2:ModifyNetworkInterfaceAttribute answered UnauthorizedOperation' });
    expect(report.containment).toBeUndefined();
    expect(report.rows.map((row) => [row.state, row.action, row.result])).toEqual([
      ['', 'ExecutionStarted', 'started in enforce'],
      ['quarantine-instance', 'quarantine-instance', 'error ResponderAccessDeniedError'],
      ['playbook-failed', 'Fail', 'entered'],
      ['', 'ExecutionFailed', 'FAILED ResponderAccessDeniedError'],
    ]);
  });

  it('shows an approval step waiting for its task token, then who approved', () => {
    const events = [
      { id: 1, timestamp: at(100), type: 'ExecutionStarted' as const, executionStartedEventDetails: { input: '{"mode":"enforce"}' } },
      { id: 2, previousEventId: 1, timestamp: at(200), type: 'TaskStateEntered' as const, stateEnteredEventDetails: { name: 'approve-containment' } },
      { id: 3, previousEventId: 2, timestamp: at(210), type: 'TaskScheduled' as const, taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: '{}' } },
      { id: 4, previousEventId: 3, timestamp: at(220), type: 'TaskStarted' as const },
      { id: 5, previousEventId: 4, timestamp: at(300), type: 'TaskSubmitted' as const, taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } },
      {
        id: 6,
        previousEventId: 5,
        timestamp: at(60_000),
        type: 'TaskSucceeded' as const,
        taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output: JSON.stringify({ approved: true, by: 'arn:aws:sts::111122223333:assumed-role/IR/alice', at: at(60_000).toISOString() }) },
      },
    ];
    const report = executionReport(EXECUTION, events, INJECTED_AT);

    expect(report.rows.slice(1).map((row) => [row.state, row.result])).toEqual([
      ['approve-containment', 'waiting for an answer (task token sent)'],
      ['approve-containment', 'approved by arn:aws:sts::111122223333:assumed-role/IR/alice'],
    ]);
  });
});

describe('live timeline text', () => {
  it('writes offsets in tenths of seconds, minutes past a minute, and a minus for a clock ahead of AWS', () => {
    expect(formatOffset(0)).toBe('+0.0s');
    expect(formatOffset(6_449)).toBe('+6.4s');
    expect(formatOffset(65_000)).toBe('+1m05.0s');
    expect(formatOffset(-300)).toBe('-0.3s');
    expect(formatDuration(6_400)).toBe('6.4 s');
    expect(formatDuration(125_500)).toBe('2 min 05.5 s');
  });

  it('prints rows in the header columns, with the detail on its own line', () => {
    const report = executionReport(EXECUTION, containedHistory(), INJECTED_AT);
    const header = timelineHeader();
    const failedAttempt = formatTimelineRow(report.rows[2]!);

    expect(header).toMatch(/^time\s+execution\s+state\s+action\s+resource\s+result$/);
    expect(failedAttempt.split('\n')).toEqual([
      expect.stringMatching(/^\+2\.5s\s+compromised-ec2-instance\s+quarantine-instance\s+quarantine-instance\s+error TransientResponderError$/),
      '           ec2:DescribeInstances answered RequestLimitExceeded',
    ]);
    expect(failedAttempt.indexOf('compromised')).toBe(header.indexOf('execution'));
  });

  it('says how long containment took, that a dry-run only would have contained, and when nothing contained', () => {
    const contained = executionReport(EXECUTION, containedHistory(), INJECTED_AT);
    const dryRun = executionReport(EXECUTION, containedHistory({ mode: 'dry-run' }), INJECTED_AT);

    expect(formatContainment(contained.containment, contained)).toBe(
      'Time to containment: 6.4 s (injection → quarantine-instance quarantined i-0123456789abcdef0).',
    );
    expect(formatContainment(dryRun.containment, dryRun)).toBe(
      'Dry-run: quarantine-instance would have contained i-0123456789abcdef0 6.4 s after the injection; nothing was changed.',
    );
    expect(formatContainment({ atMs: 2_000, state: 'quarantine-instance', status: 'skipped-sample', contained: false }, dryRun)).toBe(
      'Not contained: quarantine-instance answered skipped-sample 2.0 s after the injection.',
    );
    expect(formatContainment(undefined, { playbook: 'ec2-reconnaissance' })).toBe(
      'ec2-reconnaissance: no containment step ran (the playbook has none, or it ended before it).',
    );
  });

  it('ATTACK (review-live): text from the drill, its target or AWS (an S3 key, a reason, an error cause) prints no line of its own: no forged row, containment or ending', () => {
    const forged = '\n+0.1s    compromised-ec2-instance    quarantine-instance           quarantine-instance                 i-0123456789abcdef0     quarantined';
    const row = formatTimelineRow({ eventId: 9, atMs: 2_500, execution: 'quarantine-s3-object', state: 'tag-object', action: 's3:PutObjectTagging', resource: `s3://uploads/a${forged}`, result: `refused${forged}`, detail: `Refused: key${forged}\nTime to containment: 0.1 s` });
    expect(row.split('\n')).toHaveLength(2);
    expect(row).toContain('\\u000a');
    const failed = executionReport(EXECUTION, failedHistory(), INJECTED_AT);
    const ending = formatEnding({ ...failed, error: `ResponderFailedError${forged}`, cause: `denied\nTime to containment: 0.1 s (injection → quarantine-instance quarantined i-0123456789abcdef0).` });
    expect(ending.split('\n')).toEqual([expect.stringContaining('ended FAILED')]);
    expect(formatContainment({ atMs: 2_000, state: 'quarantine-instance', status: `refused${forged}`, contained: false }, failed).split('\n')).toHaveLength(1);
  });

  it('closes an execution with its status, duration, mode and error', () => {
    expect(formatEnding(executionReport(EXECUTION, containedHistory(), INJECTED_AT))).toBe(
      `compromised-ec2-instance ${EXECUTION.name} ended SUCCEEDED 7.3 s after the injection, mode enforce`,
    );
    expect(formatEnding(executionReport(EXECUTION, failedHistory(), INJECTED_AT))).toBe(
      `compromised-ec2-instance ${EXECUTION.name} ended FAILED 2.0 s after the injection, mode enforce: ResponderAccessDeniedError (ec2:ModifyNetworkInterfaceAttribute answered UnauthorizedOperation)`,
    );
  });
});
