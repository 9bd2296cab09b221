import { describe, expect, it } from 'vitest';
import {
  RecordingMetricsSink,
  alertMetrics,
  approvalMetrics,
  guardMetrics,
  incidentOutcome,
  quarantineMetrics,
  snapshotMetrics,
  triageMetrics,
  withResponseMetrics,
} from '../../lib/responders/response-metrics';
import { ResponderFailedError } from '../../lib/contracts/responder-errors';
import { ec2Incident } from '../support/incidents';

const RECEIVED = '2026-11-20T10:01:00.000Z';
const NOW = new Date('2026-11-20T10:01:42.500Z');
const incident = (overrides: Record<string, unknown> = {}) => ({ ...ec2Incident(), times: { ...ec2Incident().times, received: RECEIVED }, ...overrides });

describe('withResponseMetrics', () => {
  it('emits what the reading finds after the handler returns, and returns its result unchanged', async () => {
    const sink = new RecordingMetricsSink();
    const result = { responder: 'quarantine-instance', status: 'quarantined', mode: 'enforce' };
    const handler = withResponseMetrics('quarantine-instance', async () => result, { sink, reading: quarantineMetrics, now: () => NOW });
    await expect(handler({ incident: incident() })).resolves.toBe(result);
    expect(sink.points).toEqual([
      { service: 'quarantine-instance', point: { name: 'TimeToContainment', unit: 'Milliseconds', value: 42_500, dimensions: { origin: 'finding' } } },
    ]);
  });

  it('counts a thrown error by its name and rethrows it', async () => {
    const sink = new RecordingMetricsSink();
    const error = new ResponderFailedError('boom');
    const handler = withResponseMetrics('snapshot-volumes', async () => Promise.reject(error), { sink, reading: snapshotMetrics, now: () => NOW });
    await expect(handler({ incident: incident({ gameDay: true }) })).rejects.toBe(error);
    expect(sink.points).toEqual([
      { service: 'snapshot-volumes', point: { name: 'ResponderFailures', unit: 'Count', value: 1, dimensions: { origin: 'game-day', error: 'ResponderFailedError' } } },
    ]);
  });

  it('never lets a failing sink change the outcome', async () => {
    const handler = withResponseMetrics('triage', async () => ({ outcome: 'ignore' }), {
      sink: { emit: () => { throw new Error('stdout closed'); } },
      reading: triageMetrics,
    });
    await expect(handler({})).resolves.toEqual({ outcome: 'ignore' });
  });
});

describe('time to containment and evidence', () => {
  const run = (reading: typeof quarantineMetrics, result: Record<string, unknown>, payload: Record<string, unknown> = { incident: incident() }) => reading({ payload, result }, NOW);

  it('is measured for a new quarantine in enforce only: not a replay, not a dry-run', () => {
    expect(run(quarantineMetrics, { status: 'quarantined', mode: 'enforce' })).toHaveLength(1);
    expect(run(quarantineMetrics, { status: 'already-quarantined', mode: 'enforce' })).toEqual([]);
    expect(run(quarantineMetrics, { status: 'dry-run', mode: 'dry-run' })).toEqual([]);
    expect(run(quarantineMetrics, { status: 'quarantined', mode: 'dry-run' })).toEqual([]);
  });

  it('keeps drills and samples apart from real findings', () => {
    const origins = [incident(), incident({ gameDay: true }), incident({ sample: true })].map(
      (i) => run(quarantineMetrics, { status: 'quarantined', mode: 'enforce' }, { incident: i })[0]?.dimensions.origin,
    );
    expect(origins).toEqual(['finding', 'game-day', 'sample']);
  });

  it('refuses an arrival time it cannot read or one in the future (a forged payload)', () => {
    expect(run(quarantineMetrics, { status: 'quarantined', mode: 'enforce' }, { incident: incident({ times: { received: 'yesterday' } }) })).toEqual([]);
    expect(run(quarantineMetrics, { status: 'quarantined', mode: 'enforce' }, { incident: incident({ times: { received: '2027-01-01T00:00:00Z' } }) })).toEqual([]);
  });

  it('measures time to evidence for new snapshots', () => {
    expect(run(snapshotMetrics, { status: 'snapshotted', mode: 'enforce' })).toEqual([
      { name: 'TimeToEvidence', unit: 'Milliseconds', value: 42_500, dimensions: { origin: 'finding' } },
    ]);
    expect(run(snapshotMetrics, { status: 'already-snapshotted', mode: 'enforce' })).toEqual([]);
  });
});

describe('decisions', () => {
  it('counts triage, guard and approval answers by outcome', () => {
    expect(triageMetrics({ payload: {}, result: { outcome: 'start-playbook', incident: incident() } }, NOW)).toEqual([
      { name: 'TriageDecisions', unit: 'Count', value: 1, dimensions: { origin: 'finding', outcome: 'start-playbook' } },
    ]);
    expect(guardMetrics({ payload: { incident: incident() }, result: { status: 'needs-approval' } }, NOW)).toEqual([
      { name: 'GuardDecisions', unit: 'Count', value: 1, dimensions: { origin: 'finding', outcome: 'needs-approval' } },
    ]);
    const body = JSON.stringify({ outcome: 'approved', requestedAt: '2026-11-20T10:00:00.000Z', decidedAt: '2026-11-20T10:07:30.000Z' });
    expect(approvalMetrics({ payload: {}, result: { statusCode: 200, body } }, NOW)).toEqual([
      { name: 'Approvals', unit: 'Count', value: 1, dimensions: { outcome: 'approved' } },
      { name: 'ApprovalWait', unit: 'Milliseconds', value: 450_000, dimensions: { outcome: 'approved' } },
    ]);
    expect(approvalMetrics({ payload: {}, result: { statusCode: 409, body: JSON.stringify({ outcome: 'refused' }) } }, NOW)).toEqual([
      { name: 'Approvals', unit: 'Count', value: 1, dimensions: { outcome: 'refused' } },
    ]);
  });
});

describe('alertMetrics', () => {
  const quarantined = { contain: { responder: 'quarantine-instance', status: 'quarantined', actions: [] } };

  it('measures time to the alert and counts how the incident ended', () => {
    const points = alertMetrics({ payload: { kind: 'report', mode: 'enforce', incident: incident(), results: quarantined }, result: { status: 'published' } }, NOW);
    expect(points).toEqual([
      { name: 'TimeToAlert', unit: 'Milliseconds', value: 42_500, dimensions: { origin: 'finding', kind: 'report' } },
      { name: 'Incidents', unit: 'Count', value: 1, dimensions: { origin: 'finding', outcome: 'contained' } },
    ]);
  });

  it('counts a failed step by step and error, and a refused backup copy', () => {
    const points = alertMetrics(
      { payload: { kind: 'failure', incident: incident(), failure: { step: 'contain', error: 'MemberRoleUnavailableError' } }, result: { backup: { status: 'failed' } } },
      NOW,
    );
    expect(points.map((p) => [p.name, p.dimensions])).toEqual([
      ['TimeToAlert', { origin: 'finding', kind: 'failure' }],
      ['Incidents', { origin: 'finding', outcome: 'failed' }],
      ['StepFailures', { origin: 'finding', step: 'contain', error: 'MemberRoleUnavailableError' }],
      ['BackupChannelFailures', { origin: 'finding' }],
    ]);
  });

  it('counts the failure a parallel group\'s summary repeats once: its branch\'s own alert counted it', () => {
    const group = { id: 'contain-and-preserve', failedStep: 'evidence', steps: { ...quarantined, evidence: { failure: { Error: 'E', Cause: 'c' } } } };
    const points = alertMetrics({ payload: { kind: 'failure', incident: incident(), group, failure: { step: 'evidence', error: 'E' } }, result: { backup: { status: 'failed' } } }, NOW);
    expect(points.map((p) => p.name)).toEqual(['TimeToAlert', 'BackupChannelFailures']);
  });

  it('reads the outcome from the steps, never claiming a containment that did not happen', () => {
    expect(incidentOutcome({ kind: 'report', mode: 'enforce', results: quarantined })).toBe('contained');
    expect(incidentOutcome({ kind: 'report', mode: 'enforce', results: { contain: { responder: 'quarantine-instance', status: 'refused' } } })).toBe('not-contained');
    expect(incidentOutcome({ kind: 'report', mode: 'enforce', results: { guard: { responder: 'containment-guard', status: 'evidence-only' } } })).toBe('not-contained');
    expect(incidentOutcome({ kind: 'report', mode: 'enforce', results: { evidence: { responder: 'snapshot-volumes', status: 'snapshotted' } } })).toBe('alerted');
    expect(incidentOutcome({ kind: 'report', mode: 'dry-run', results: quarantined })).toBe('dry-run');
    expect(incidentOutcome({ kind: 'triage-only' })).toBe('alerted');
    expect(incidentOutcome({ kind: 'approval-request' })).toBeUndefined();
  });

  it('keeps attacker text out of dimensions: only printable ASCII, capped', () => {
    const points = alertMetrics({ payload: { kind: 'failure', incident: incident(), failure: { step: 'x\u202e'.repeat(300), error: 'E' } }, result: {} }, NOW);
    const step = points.find((p) => p.name === 'StepFailures')?.dimensions.step ?? '';
    expect(step).toMatch(/^[\x20-\x7E]{1,250}$/);
  });
});
