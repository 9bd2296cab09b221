import { describe, expect, it } from 'vitest';
import type { ResponderResultBase } from '../../lib/responders/responder-run';
import { ResponderRun, instanceGate } from '../../lib/responders/responder-run';
import type { IncidentLogger } from '../../lib/responders/logging';
import { ActionLog } from '../../lib/responders/action-log';
import { ec2Incident, ec2Resource } from '../support/incidents';

type Status = 'done' | 'already-done' | 'refused';
interface Result extends ResponderResultBase<Status> {
  readonly items: readonly string[];
  readonly note?: string;
}

function recordingLogger(): IncidentLogger & { readonly lines: Array<[string, Record<string, unknown>]> } {
  const lines: Array<[string, Record<string, unknown>]> = [];
  const keep = (message: string, ...extra: Record<string, unknown>[]) => lines.push([message, Object.assign({}, ...extra)]);
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

const at = () => new Date('2026-12-01T00:00:00.000Z');
const ENFORCE = { FIREBREAK_MODE: 'enforce' };

function runOf(requestedMode: 'enforce' | 'dry-run', environment: Record<string, string | undefined>) {
  const logger = recordingLogger();
  const run = new ResponderRun<Status>({ responder: 'demo', incident: ec2Incident(), requestedMode, logger, environment, now: at, replayStatuses: ['already-done'] });
  return { run, logger, finish: run.finisher<Result>({ items: [] }, (r) => ({ items: r.items.length })) };
}

describe('ResponderRun', () => {
  it('acts in enforce only when the input and the deployment both say so, and a dry-run grant lowers it', () => {
    const { run } = runOf('enforce', ENFORCE);
    expect(run.mode).toBe('enforce');
    run.lowerTo('dry-run', 'the grant says dry-run');
    expect(run.mode).toBe('dry-run');
    expect(run.effective.reason).toContain('the grant says dry-run');
  });

  it('a grant in enforce never raises a dry-run input or deployment', () => {
    const asked = runOf('dry-run', ENFORCE).run;
    asked.lowerTo('enforce', 'irrelevant');
    expect(asked.mode).toBe('dry-run');
    const deployed = runOf('enforce', { FIREBREAK_MODE: 'dry-run' }).run;
    deployed.lowerTo('enforce', 'irrelevant');
    expect(deployed.mode).toBe('dry-run');
    expect(deployed.effective.forcedDryRun).toBe(true);
  });

  it('finish gives the common fields, the defaults, the extra fields, replay from the status, and logs once', () => {
    const { run, logger, finish } = runOf('enforce', { FIREBREAK_MODE: 'unset-ish' });
    run.log.record('ec2:Something', 'i-1', 'done', 'did it');
    run.recordMode('i-1');
    const replay = finish('already-done', { note: 'n' });
    expect(replay).toEqual({
      responder: 'demo',
      incidentKey: ec2Incident().key,
      mode: 'dry-run',
      status: 'already-done',
      idempotentReplay: true,
      actions: [
        { api: 'ec2:Something', target: 'i-1', outcome: 'done', detail: 'did it', at: '2026-12-01T00:00:00.000Z' },
        { api: 'firebreak:effective-mode', target: 'i-1', outcome: 'skipped', detail: expect.stringContaining('not enforce or dry-run') },
      ].map((a) => expect.objectContaining(a)),
      items: [],
      note: 'n',
      forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('FIREBREAK_MODE') },
    });
    expect(finish('done', { items: ['a', 'b'], idempotentReplay: true }).idempotentReplay).toBe(true);
    expect(finish('refused').idempotentReplay).toBe(false);
    expect(logger.lines.map(([m, f]) => [m, f['status'], f['items']])).toEqual([
      ['demo finished', 'already-done', 0],
      ['demo finished', 'done', 2],
      ['demo finished', 'refused', 0],
    ]);
  });
});

describe('instanceGate', () => {
  const words = { nothingDone: 'nothing is read or changed' };

  it('proceeds with the instance of an EC2 incident', () => {
    const log = new ActionLog(at);
    expect(instanceGate(ec2Incident(), log, words)).toEqual({ proceed: true, instanceId: 'i-0abc1234def567890', resource: ec2Resource() });
    expect(log.actions).toEqual([]);
  });

  it('stops an incident about something else, saying what it concerns', () => {
    const log = new ActionLog(at);
    const incident = ec2Incident({ resource: { kind: 'none' } });
    expect(instanceGate(incident, log, words)).toEqual({ proceed: false, status: 'not-an-instance' });
    expect(log.actions[0]).toMatchObject({ api: 'firebreak:decide', outcome: 'skipped', detail: 'The incident concerns a none resource, not an EC2 instance: nothing is read or changed' });
  });

  it('stops a sample finding and a placeholder id before any call, naming which', () => {
    const sample = new ActionLog(at);
    expect(instanceGate(ec2Incident({ sample: true }), sample, { ...words, action: 'firebreak:evidence' })).toEqual({ proceed: false, status: 'skipped-sample', instanceId: 'i-0abc1234def567890' });
    expect(sample.actions[0]).toMatchObject({ api: 'firebreak:evidence', detail: 'GuardDuty sample finding: nothing is read or changed' });
    const placeholder = new ActionLog(at);
    const gate = instanceGate(ec2Incident({ resource: ec2Resource({ instanceId: 'i-99999999' }) }), placeholder, words);
    expect(gate).toEqual({ proceed: false, status: 'skipped-sample', instanceId: 'i-99999999' });
    expect(placeholder.actions[0]?.detail).toBe('i-99999999 is a placeholder id (as in GuardDuty sample findings): nothing is read or changed');
  });
});
