/**
 * What the dispatcher keeps of an event: the whole event within its budget, else the envelope
 * with a note, never more than a kept message can carry within Step Functions' payload limit.
 */
import { describe, expect, it } from 'vitest';
import { payloadBytes } from '../../lib/contracts/payload-size';
import { KEPT_EVENT_BUDGET_BYTES, keptEventOf } from '../../lib/incident/kept-event';

const finding = {
  version: '0',
  id: 'c8a1e7f4-0000-4000-8000-000000000001',
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  account: '111122223333',
  time: '2026-11-20T10:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc'],
  detail: { id: '7ab9d1b3', type: 'Backdoor:EC2/C&CActivity.B!DNS', severity: 8, padding: '' },
};

describe('keptEventOf', () => {
  it('keeps the event whole when it is within its budget', () => {
    expect(keptEventOf(finding)).toBe(finding);
  });

  it('keeps the envelope, the finding id, type and severity and a note naming the size, for a finding over its budget', () => {
    const large = { ...finding, detail: { ...finding.detail, padding: 'x'.repeat(250_000) } };
    const bytes = payloadBytes(large);
    expect(keptEventOf(large)).toEqual({
      id: finding.id,
      source: 'aws.guardduty',
      'detail-type': 'GuardDuty Finding',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-11-20T10:00:00Z',
      resources: finding.resources,
      finding: { id: '7ab9d1b3', type: 'Backdoor:EC2/C&CActivity.B!DNS', severity: 8 },
      clipped: `${bytes} bytes`,
      note: `The event is ${bytes} bytes, over the ${KEPT_EVENT_BUDGET_BYTES} kept here: only its envelope is kept (and, for a finding, its id, type and severity: GuardDuty has the whole finding, and the deployment's event archive the whole event when it came on the default bus).`,
    });
  });

  it('leaves out forged envelope fields and resources that are themselves large: the copy stays small whatever the event holds', () => {
    const forged = { ...finding, 'detail-type': 'd'.repeat(100_000), resources: Array.from({ length: 200 }, () => 'r'.repeat(1_000)), detail: { id: 'i'.repeat(100_000) } };
    const kept = keptEventOf(forged) as Record<string, unknown>;
    expect(kept).not.toHaveProperty('detail-type');
    expect(kept).not.toHaveProperty('finding');
    expect((kept.resources as string[]).length).toBeLessThan(10);
    expect(payloadBytes(kept)).toBeLessThan(12 * 1024);
  });

  it('keeps only the note for a large input that is not an object', () => {
    expect(keptEventOf('x'.repeat(100_000))).toEqual({ clipped: '100002 bytes', note: expect.stringMatching(/^The event is 100002 bytes/) as unknown });
  });
});
