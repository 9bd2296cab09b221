import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlarmState, Incident } from '../../lib/incident/model';
import { executionNameFor } from '../../lib/incident/parse';
import type { Playbook } from '../../lib/playbooks/model';
import type { RoutedPlaybook, RoutingTable } from '../../lib/playbooks/routing';
import { RoutingTableError, routingEnvironment, routingTableFor } from '../../lib/playbooks/routing';
import { matchesIgnoringSeverity, triage } from '../../lib/playbooks/triage';
import { createTriageHandler } from '../../lib/responders/triage-handler';
import type { IncidentLogger } from '../../lib/responders/logging';
import { silentLogger } from '../../lib/responders/logging';
import { ec2Incident } from '../support/incidents';

const SHIPPED_EVENTS = resolve(import.meta.dirname, '../../playbooks/events');

function routed(name: string, priority: number, match: RoutedPlaybook['match'], overrides: Partial<RoutedPlaybook> = {}): RoutedPlaybook {
  return {
    name,
    priority,
    mode: 'enforce',
    match,
    steps: ['quarantine-instance', 'snapshot-volumes', 'notify'],
    index: 0,
    ...overrides,
  };
}

const CONTAIN = routed('contain-backdoor', 100, {
  sources: ['guardduty'],
  findingTypes: ['Backdoor:EC2/*'],
  severity: { min: 7, max: 10 },
  resourceKinds: ['ec2-instance'],
});
const BRUTE_TARGET = routed(
  'brute-force-target',
  200,
  { sources: ['guardduty'], findingTypes: ['UnauthorizedAccess:EC2/SSHBruteForce'], resourceRole: 'TARGET', severity: { min: 1, max: 10 } },
  { steps: ['notify'] },
);
const BRUTE_ACTOR = routed('brute-force-source', 200, {
  sources: ['guardduty'],
  findingTypes: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  resourceRole: 'ACTOR',
  severity: { min: 7, max: 10 },
});
const ALARM = routed(
  'instance-alarm',
  100,
  { sources: ['cloudwatch'], alarmNames: ['firebreak-*'], alarmStates: ['ALARM'], resourceKinds: ['ec2-instance'] },
  { steps: ['snapshot-volumes', 'notify'] },
);
const TROJAN_DRY_RUN = routed('trojan-watch', 50, { sources: ['guardduty'], findingTypes: ['Trojan:EC2/*'] }, { mode: 'dry-run', steps: ['notify'] });

function table(playbooks: RoutedPlaybook[] = [CONTAIN, BRUTE_TARGET, BRUTE_ACTOR, ALARM, TROJAN_DRY_RUN], forceDryRun = false): RoutingTable {
  // Each at the index of its position, as the routing table is written.
  return { playbooks: playbooks.map((playbook, index) => ({ ...playbook, index })), settings: { forceDryRun } };
}

function withSeverity(score: number, overrides: Partial<Incident> = {}): Incident {
  const label = score < 1 ? 'Informational' : score < 4 ? 'Low' : score < 7 ? 'Medium' : score < 9 ? 'High' : 'Critical';
  return ec2Incident({ severity: { score, label }, ...overrides });
}

function bruteForce(role: 'TARGET' | 'ACTOR', score: number): Incident {
  const base = ec2Incident();
  return withSeverity(score, {
    findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
    guardDuty: { ...base.guardDuty!, resourceRole: role },
  });
}

function alarmIncident(state: AlarmState, alarmName = 'firebreak-cpu-high'): Incident {
  return ec2Incident({
    key: 'cw-0123456789abcdef-20261120T100000Z',
    revision: '2026-11-20T10:00:00.000Z',
    source: 'cloudwatch',
    findingType: `CloudWatch:Alarm/${state}`,
    title: `Alarm ${alarmName} is ${state}`,
    severity: state === 'ALARM' ? { score: 5, label: 'Medium' } : { score: 0, label: 'Informational' },
    guardDuty: undefined,
    alarm: { alarmName, kind: 'metric', state, previousState: state === 'ALARM' ? 'OK' : 'ALARM', metrics: [] },
  });
}

describe('triage: first match by priority', () => {
  it('starts the highest-priority matching playbook, wherever it sits in the table', () => {
    const wide = routed('wide', 10, { sources: ['guardduty'] }, { steps: ['notify'] });
    const decision = triage(withSeverity(8), table([wide, CONTAIN]));
    expect(decision).toMatchObject({ outcome: 'start-playbook', playbook: 'contain-backdoor', playbookIndex: 1 });
    expect(decision.steps).toEqual(['quarantine-instance', 'snapshot-volumes', 'notify']);
  });

  it('breaks a priority tie by name, whatever the table order', () => {
    const b = routed('bravo', 5, { sources: ['guardduty'] }, { steps: ['notify'] });
    const a = routed('alpha', 5, { sources: ['guardduty'] }, { steps: ['notify'] });
    expect(triage(withSeverity(5), table([b, a])).playbook).toBe('alpha');
    expect(triage(withSeverity(5), table([a, b])).playbook).toBe('alpha');
  });

  it('routes a brute force by resource role: the target gets an alert, the attacker containment', () => {
    expect(triage(bruteForce('TARGET', 2), table())).toMatchObject({ playbook: 'brute-force-target', steps: ['notify'] });
    expect(triage(bruteForce('ACTOR', 8), table())).toMatchObject({ playbook: 'brute-force-source', steps: ['quarantine-instance', 'snapshot-volumes', 'notify'] });
  });

  it('does not run an instance playbook for a finding about something else', () => {
    const keyFinding = withSeverity(8, { resource: { kind: 'access-key', accessKeyId: 'ASIAEXAMPLE' } });
    expect(matchesIgnoringSeverity(keyFinding, CONTAIN.match)).toBe(false);
    expect(triage(keyFinding, table()).playbook).toBeNull();
  });

  it('names the deterministic execution name of this revision, so a duplicate delivery starts nothing new', () => {
    const incident = withSeverity(8);
    const first = triage(incident, table());
    expect(first.executionName).toBe(executionNameFor(incident));
    expect(triage(incident, table()).executionName).toBe(first.executionName);
    expect(triage({ ...incident, revision: '2026-11-20T11:00:00.000Z#2' }, table()).executionName).not.toBe(first.executionName);
  });

  it('explains itself in sentences', () => {
    const decision = triage(withSeverity(8), table());
    expect(decision.reasons.length).toBeGreaterThanOrEqual(2);
    for (const reason of decision.reasons) expect(reason).toMatch(/^[A-Z].*[.:)]$/);
    expect(decision.reasons).toContain(
      'Playbook contain-backdoor (priority 100) matches: finding type Backdoor:EC2/C&CActivity.B!DNS matches "Backdoor:EC2/*", severity 8.0 (High) is within 7.0–10.0, the resource is an ec2-instance.',
    );
  });
});

describe('triage gates (each must act when it should, and must not when it should not)', () => {
  it('never runs a GuardDuty sample finding in enforce', () => {
    const decision = triage(withSeverity(8, { sample: true }), table());
    expect(decision).toMatchObject({ outcome: 'start-playbook', playbook: 'contain-backdoor', mode: 'dry-run' });
    expect(decision.reasons.join(' ')).toContain('GuardDuty sample finding');
  });

  it("runs a real finding in the playbook's own mode (enforce)", () => {
    const decision = triage(withSeverity(8, { sample: false }), table());
    expect(decision.mode).toBe('enforce');
    expect(decision.reasons.join(' ')).not.toContain('sample');
    expect(decision.reasons.at(-1)).toBe('Mode enforce: quarantine-instance will change resources.');
  });

  it('starts nothing when an alarm goes to OK or INSUFFICIENT_DATA', () => {
    for (const state of ['OK', 'INSUFFICIENT_DATA'] as const) {
      const decision = triage(alarmIncident(state), table());
      expect(decision).toMatchObject({ outcome: 'ignore', playbook: null, executionName: null, steps: [] });
      expect(decision.reasons.at(-1)).toContain(`went to ${state}`);
    }
  });

  it('starts the alarm playbook when the alarm goes to ALARM', () => {
    expect(triage(alarmIncident('ALARM'), table())).toMatchObject({ outcome: 'start-playbook', playbook: 'instance-alarm', mode: 'enforce' });
  });

  it('gives a finding below every matching playbook range at most an alert', () => {
    const decision = triage(withSeverity(5), table([CONTAIN]));
    expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null, playbookIndex: null, steps: [] });
    expect(decision.reasons.join(' ')).toContain('outside its range 7.0–10.0');
    expect(decision.reasons.at(-1)).toContain('below the range of every playbook');
  });

  it('runs the playbook when the finding is inside its range, at both bounds', () => {
    expect(triage(withSeverity(7), table([CONTAIN])).outcome).toBe('start-playbook');
    expect(triage(withSeverity(10), table([CONTAIN])).outcome).toBe('start-playbook');
    expect(triage(withSeverity(6.9), table([CONTAIN])).outcome).toBe('alert-only');
  });

  it('passes over a higher-priority playbook whose range misses, to a lower one whose range holds', () => {
    const fallback = routed('alert-medium', 0, { sources: ['guardduty'], severity: { min: 4, max: 10 } }, { steps: ['notify'] });
    const decision = triage(withSeverity(5), table([CONTAIN, fallback]));
    expect(decision).toMatchObject({ outcome: 'start-playbook', playbook: 'alert-medium', steps: ['notify'] });
  });

  it('alerts on an unmatched finding of Medium or more (from 4.0)', () => {
    const decision = triage(withSeverity(4, { findingType: 'Recon:IAMUser/MaliciousIPCaller' }), table());
    expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null });
    expect(decision.reasons.at(-1)).toContain('No playbook matches it');
  });

  it('ignores an unmatched finding below Medium (3.9)', () => {
    expect(triage(withSeverity(3.9, { findingType: 'Recon:IAMUser/MaliciousIPCaller' }), table())).toMatchObject({ outcome: 'ignore', mode: 'dry-run' });
  });

  it('runs everything in dry-run when the deployment forces it', () => {
    const decision = triage(withSeverity(8), table(undefined, true));
    expect(decision).toMatchObject({ outcome: 'start-playbook', mode: 'dry-run' });
    expect(decision.reasons.join(' ')).toContain('forces dry-run');
    expect(triage(withSeverity(5, { findingType: 'Recon:IAMUser/MaliciousIPCaller' }), table(undefined, true)).mode).toBe('dry-run');
  });

  it('leaves enforce alone when the deployment does not force dry-run', () => {
    expect(triage(withSeverity(8), table(undefined, false)).mode).toBe('enforce');
    expect(triage(withSeverity(5, { findingType: 'Recon:IAMUser/MaliciousIPCaller' }), table(undefined, false)).mode).toBe('enforce');
  });

  it('runs a dry-run playbook in dry-run, and says so', () => {
    const decision = triage(withSeverity(5, { findingType: 'Trojan:EC2/DropPoint' }), table());
    expect(decision).toMatchObject({ playbook: 'trojan-watch', mode: 'dry-run' });
    expect(decision.reasons.join(' ')).toContain('is set to dry-run');
  });

  it('starts nothing for an archived finding', () => {
    const base = ec2Incident();
    const decision = triage(withSeverity(8, { guardDuty: { ...base.guardDuty!, archived: true } }), table());
    expect(decision).toMatchObject({ outcome: 'ignore', playbook: null });
    expect(decision.reasons.at(-1)).toContain('is archived');
  });

  it('handles a finding that is not archived', () => {
    const base = ec2Incident();
    expect(triage(withSeverity(8, { guardDuty: { ...base.guardDuty!, archived: false } }), table()).outcome).toBe('start-playbook');
  });
});

/** The triage Lambda's environment as the stack sets it: the fixtures' account is the security account. */
const SECURITY_ENVIRONMENT = { FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333' };

describe('createTriageHandler', () => {
  const handler = createTriageHandler({ logger: silentLogger, environment: { ...SECURITY_ENVIRONMENT, ...routingEnvironment(table()) } });

  it('turns any unreadable event into an invalid decision carrying the issues, never a throw', async () => {
    const hostile: unknown[] = [
      undefined,
      null,
      'GuardDuty Finding',
      42,
      [],
      {},
      { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} },
      { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: { severity: 'high', type: 7 } },
      { Findings: [{}, {}] },
      { ['__proto__']: { polluted: true }, source: 'evil', detail: [] },
    ];
    for (const event of hostile) {
      const decision = await handler({ event });
      expect(decision.outcome).toBe('invalid');
      expect(decision).toMatchObject({ playbook: null, executionName: null, incident: null, steps: [] });
      expect(decision.error?.issues.length).toBeGreaterThan(0);
      expect(decision.error?.issues[0]).toEqual({ path: expect.any(String), expected: expect.any(String) });
      expect(decision.reasons[0]).toContain('It is kept and alerted, not dropped.');
    }
  });

  it('refuses every event while its routing table is missing or malformed: that is a deployment bug, not a bad event', async () => {
    const event = JSON.parse(await readFile(resolve(SHIPPED_EVENTS, 'guardduty-ec2-ssh-bruteforce-actor.json'), 'utf8')) as unknown;
    const missing = createTriageHandler({ logger: silentLogger, environment: SECURITY_ENVIRONMENT });
    await expect(missing({ event })).rejects.toThrow(new RoutingTableError('no routing table: FIREBREAK_ROUTING_TABLE is not set'));
    const malformed = createTriageHandler({ logger: silentLogger, environment: { ...SECURITY_ENVIRONMENT, FIREBREAK_ROUTING_TABLE: 'e30=' } });
    await expect(malformed({ event })).rejects.toBeInstanceOf(RoutingTableError);
    // Nor does a routing table in the input stand in for it: the input carries the event only.
    await expect(missing({ event, routing: table() })).rejects.toBeInstanceOf(RoutingTableError);
  });

  it('refuses a malformed input (not an object, an unreadable receive time)', async () => {
    await expect(handler(null)).rejects.toBeInstanceOf(RoutingTableError);
    await expect(handler({ event: {}, receivedAt: 'yesterday' })).rejects.toBeInstanceOf(RoutingTableError);
  });

  it('routes with the table of its environment, never one the input carries', async () => {
    const event = JSON.parse(await readFile(resolve(SHIPPED_EVENTS, 'guardduty-ec2-ssh-bruteforce-actor.json'), 'utf8')) as unknown;
    const forged = table([routed('forged', 1000, { sources: ['guardduty'] }, { steps: ['notify'] })]);
    const decision = await handler({ event, routing: forged });
    expect(decision).toMatchObject({ outcome: 'start-playbook', playbook: 'brute-force-source', playbookIndex: 2 });
  });

  it('parses a real GuardDuty event, stamps when it was received and decides', async () => {
    const event = JSON.parse(await readFile(resolve(SHIPPED_EVENTS, 'gameday-ec2-cryptocurrency-bitcointool.json'), 'utf8')) as unknown;
    const crypto = routed('contain-crypto', 100, { sources: ['guardduty'], findingTypes: ['CryptoCurrency:EC2/*'], severity: { min: 7, max: 10 } });
    const receivedAt = '2026-11-20T10:01:00.000Z';
    const cryptoHandler = createTriageHandler({ logger: silentLogger, environment: { ...SECURITY_ENVIRONMENT, ...routingEnvironment(table([crypto])) } });
    const decision = await cryptoHandler({ event, receivedAt });
    expect(decision).toMatchObject({ outcome: 'start-playbook', playbook: 'contain-crypto', mode: 'enforce', error: null });
    expect(decision.incident?.times.received).toBe(receivedAt);
    expect(decision.executionName).toBe(executionNameFor(decision.incident!));
  });

  it('logs the decision with the incident key, and the refusal of a bad event', async () => {
    const lines: { level: string; message: string; extra: Record<string, unknown>[] }[] = [];
    const record =
      (level: string) =>
      (message: string, ...extra: Record<string, unknown>[]) =>
        lines.push({ level, message, extra });
    const logger: IncidentLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const logged = createTriageHandler({ logger, environment: { ...SECURITY_ENVIRONMENT, ...routingEnvironment(table()) } });
    await logged({ event: 'nonsense' });
    const event = JSON.parse(await readFile(resolve(SHIPPED_EVENTS, 'guardduty-ec2-ssh-bruteforce-actor.json'), 'utf8')) as unknown;
    await logged({ event });
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'event refused'],
      ['info', 'triage decision'],
    ]);
    expect(lines[1]?.extra[0]).toMatchObject({ outcome: 'start-playbook', playbook: 'brute-force-source' });
  });
});

describe('triage and trigger: manual playbooks', () => {
  const release: Playbook = {
    name: 'release-instance',
    description: 'Release a quarantined instance.',
    match: { sources: ['guardduty', 'cloudwatch'], resourceKinds: ['ec2-instance'] },
    priority: 1000,
    mode: 'enforce',
    steps: [
      { kind: 'action', id: 'release', action: 'release-instance', with: {} },
      { kind: 'action', id: 'alert', action: 'notify', with: {} },
    ],
    file: 'playbooks/release-instance.yaml',
    trigger: 'manual',
  };

  it('never routes an incident to a manual playbook, even one that matches it at the highest priority', () => {
    const decision = triage(withSeverity(8), routingTableFor([release], { forceDryRun: false }));
    expect(decision.outcome).toBe('alert-only');
    expect(decision.playbook).toBeNull();
  });

  it('routes the same playbook when it is automatic (the check above can fail)', () => {
    const decision = triage(withSeverity(8), routingTableFor([{ ...release, trigger: 'automatic' }], { forceDryRun: false }));
    expect(decision).toMatchObject({ outcome: 'start-playbook', playbook: 'release-instance' });
  });
});
