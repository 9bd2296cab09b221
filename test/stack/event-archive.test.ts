import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../lib/gameday/engine';
import { matchesEventPattern } from '../../lib/gameday/event-patterns';
import { readFirebreakConfig, FirebreakConfigError } from '../../lib/stack/config';
import { archiveNameIfValid } from '../../lib/stack/defaults';
import { COMPROMISED, resourcesOf, synthesize } from './support';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/events');

/** Every event fixture, EventBridge-shaped (the GetFindings responses are not events and are skipped). */
function fixtureEvents(): { file: string; event: Json }[] {
  return readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file, event: JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Json }))
    .filter(({ event }) => typeof event === 'object' && event !== null && !Array.isArray(event) && 'detail-type' in event);
}

describe('the event archive', () => {
  it('archives the default bus’s GuardDuty findings, scan results and alarm state changes for 400 days', () => {
    const archives = Object.values(resourcesOf(synthesize().template, 'AWS::Events::Archive'));
    expect(archives).toHaveLength(1);
    expect(archives[0]!.Properties).toEqual({
      ArchiveName: 'Firebreak-events',
      Description: 'Firebreak: every GuardDuty finding and alarm state change the rules could deliver, kept whole to read or replay',
      SourceArn: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']],
      },
      EventPattern: {
        source: ['aws.guardduty', 'aws.cloudwatch'],
        'detail-type': ['GuardDuty Finding', 'GuardDuty Malware Protection Object Scan Result', 'CloudWatch Alarm State Change'],
      },
      RetentionDays: 400,
      // An AWS owned key, as the kept-events queues (SQS managed) and the state table (AWS managed) have.
      KmsKeyIdentifier: '',
    });
  });

  it('takes its retention from eventArchiveRetentionDays, and archives no alarms without an alarm playbook', () => {
    const archive = Object.values(resourcesOf(synthesize({ playbooks: [COMPROMISED], eventArchiveRetentionDays: 30 }).template, 'AWS::Events::Archive'))[0]!;
    expect(archive.Properties.RetentionDays).toBe(30);
    expect((archive.Properties.EventPattern as { source: string[] }).source).toEqual(['aws.guardduty']);
  });

  it('holds every event a default-bus rule delivers (fixtures and boundary cases)', () => {
    const template = synthesize({ gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'] }).template;
    const archive = Object.values(resourcesOf(template, 'AWS::Events::Archive'))[0]!.Properties.EventPattern as Record<string, unknown>;
    const defaultBusRules = Object.values(resourcesOf(template, 'AWS::Events::Rule'))
      .filter((rule) => rule.Properties.EventBusName === undefined)
      .map((rule) => rule.Properties.EventPattern as Record<string, unknown>);
    expect(defaultBusRules).toHaveLength(3);
    const events = fixtureEvents();
    let delivered = 0;
    for (const { file, event } of events) {
      if (!defaultBusRules.some((pattern) => matchesEventPattern(pattern, event))) continue;
      delivered += 1;
      expect(matchesEventPattern(archive, event), file).toBe(true);
    }
    // The check is not vacuous: findings, scan results and alarms among the fixtures reach the rules.
    expect(delivered).toBeGreaterThanOrEqual(8);
    // Below the rules' thresholds, still archived: the archive is the whole record, the rules what acts.
    const lowFinding = events.find(({ file }) => file.startsWith('guardduty-iam-user'))!.event as Record<string, Record<string, unknown>>;
    const low = { ...lowFinding, detail: { ...lowFinding.detail, severity: 1 } } as Json;
    expect(defaultBusRules.some((pattern) => matchesEventPattern(pattern, low))).toBe(false);
    expect(matchesEventPattern(archive, low)).toBe(true);
    // A game-day injection (its own bus and source) is not archived.
    expect(matchesEventPattern(archive, { ...lowFinding, source: 'firebreak.gameday' } as Json)).toBe(false);
  });

  it('reads eventArchiveRetentionDays from the context: 1 to 3650 whole days', () => {
    expect(readFirebreakConfig((key) => (key === 'eventArchiveRetentionDays' ? '90' : undefined))).toEqual({ eventArchiveRetentionDays: 90 });
    for (const bad of ['0', '3651', '1.5', 'forever']) {
      expect(() => readFirebreakConfig((key) => (key === 'eventArchiveRetentionDays' ? bad : undefined)), bad).toThrow(FirebreakConfigError);
    }
    expect(() => synthesize({ eventArchiveRetentionDays: 0 })).toThrow(/eventArchiveRetentionDays/);
  });

  it('names the archive after the stack when the name is valid, else leaves it to CloudFormation', () => {
    expect(archiveNameIfValid('Firebreak-events')).toEqual({ archiveName: 'Firebreak-events' });
    expect(archiveNameIfValid(`${'x'.repeat(42)}-events`)).toEqual({});
    expect(archiveNameIfValid('a b')).toEqual({});
  });
});
