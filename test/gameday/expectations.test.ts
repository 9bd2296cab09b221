/**
 * Each expectation evaluator on its own, over hand-made run facts: what it reports when the run
 * meets the expectation and when it does not (the scenarios test them end to end).
 */
import { describe, expect, it } from 'vitest';
import { revokeOlderSessionsPolicy } from '../../lib/responders/quarantine-credentials';
import type { AccountInspection, GameDayCall, InspectedInstance, ResolvedEnvironment } from '../../lib/gameday/backend';
import type { ExecutionRecord, TaskInvocation } from '../../lib/gameday/engine';
import type { RunFacts } from '../../lib/gameday/expectations';
import { EXPECTATION_EVALUATORS, alertOriginChecks, evaluateExpectations } from '../../lib/gameday/expectations';
import type { ExpectationsDocument, Scenario } from '../../lib/gameday/scenario';
import { expectationsSchema } from '../../lib/gameday/scenario';
import type { TriageDecision } from '../../lib/playbooks/triage';
import { buildIncidentReport } from '../../lib/operator/incident-report';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';

const instance: InspectedInstance = {
  instanceId: 'i-1',
  state: 'running',
  terminationProtection: true,
  stopProtection: false,
  shutdownBehavior: 'stop',
  instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/web',
  tags: { 'firebreak:status': 'quarantined' },
  networkInterfaces: [{ networkInterfaceId: 'eni-1', groupIds: ['sg-iso'] }],
  volumes: [{ volumeId: 'vol-1', device: '/dev/xvda', snapshotIds: ['snap-1'] }],
};

const environment = {
  account: '111122223333',
  region: 'us-east-1',
  vpcs: { prod: 'vpc-1' },
  securityGroups: { 'web-tier': 'sg-web' },
  instances: { web: { name: 'web', instanceId: 'i-1', networkInterfaceIds: ['eni-1'], volumes: [{ volumeId: 'vol-1' }] } },
} as unknown as ResolvedEnvironment;

function inspection(overrides: Partial<AccountInspection> = {}): AccountInspection {
  return {
    instances: { 'i-1': instance },
    groupNames: { 'sg-iso': 'firebreak-isolation', 'sg-web': 'web-tier' },
    alerts: [],
    keptEvents: [],
    resources: { 'i-1': '{"state":"running"}', 'eni-1': '{}', 'vol-1': '{}', 'sg-web': '{"rules":[]}' },
    digest: 'd1',
    ...overrides,
  };
}

function decision(overrides: Partial<TriageDecision> = {}): TriageDecision {
  return { outcome: 'start-playbook', playbook: 'compromised-ec2-instance', playbookIndex: null, executionName: 'x', mode: 'enforce', steps: [], reasons: [], incident: null, ...overrides } as TriageDecision;
}

function task(state: string, overrides: Partial<TaskInvocation> = {}): TaskInvocation {
  return { state, resource: 'arn:aws:states:::lambda:invoke', role: 'r', attempt: 1, startWallMs: 0, startSim: new Date(0), fromSeq: 0, ...overrides };
}

function execution(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    kind: 'playbook',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:Firebreak-p:run-1',
    name: 'run-1',
    stateMachineArn: 'arn',
    stateMachineName: 'Firebreak-p',
    playbook: 'compromised-ec2-instance',
    input: {},
    startWallMs: 0,
    startSim: new Date(0),
    status: 'SUCCEEDED',
    path: ['contain'],
    events: [
      { type: 'StateRetried', state: 'contain', wallMs: 0, simAt: new Date(0) },
      { type: 'StateExited', state: 'contain', wallMs: 0, simAt: new Date(0) },
    ],
    tasks: [task('contain', { error: { name: 'Throttled', message: '' } }), task('contain', { result: { Payload: { status: 'quarantined' } } })],
    started: [],
    done: Promise.resolve(),
    ...overrides,
  };
}

function call(api: string, overrides: Partial<GameDayCall> = {}): GameDayCall {
  return { seq: 1, at: new Date(0), api, account: '111122223333', region: 'us-east-1', caller: 'c', input: {}, outcome: 'ok', dryRun: false, injected: false, attempt: 1, ...overrides };
}

function facts(overrides: Partial<RunFacts> = {}): RunFacts {
  const dispatcher = execution({ kind: 'dispatcher' });
  return {
    environment,
    deliveries: [{ decision: decision(), duplicate: false, dispatcher }],
    executions: [execution()],
    before: inspection(),
    after: inspection(),
    calls: [call('ec2:DescribeInstances'), call('ec2:ModifyNetworkInterfaceAttribute', { input: { NetworkInterfaceId: 'eni-1' } })],
    ...overrides,
  };
}

/** Evaluates one key, as the table does. */
function check<K extends keyof ExpectationsDocument>(key: K, expected: unknown, run: RunFacts = facts()) {
  const parsed = expectationsSchema.parse({ [key]: expected });
  return EXPECTATION_EVALUATORS[key](parsed[key] as never, run).map(({ name, passed, expected: want, actual }) => ({ name, passed, want, actual }));
}

describe('expectation evaluators', () => {
  it('refusedAnswers: counts the answers the approval function refused over every execution, who gave them, the status and the message, and fails on a difference', () => {
    const MALLORY = 'arn:aws:sts::111122223333:assumed-role/Administrator/mallory';
    const refused = { decision: { answer: 'approve' as const, by: MALLORY }, response: { statusCode: 403 as const, outcome: 'refused' as const, message: `${MALLORY} is not one of this deployment's approvers (approverArns)` } };
    const run = facts({ executions: [execution({ tasks: [task('WaitForApproval', { refusedAnswers: [refused] })] })] });
    expect(check('refusedAnswers', { count: 1, by: [MALLORY], statusCodes: [403], contains: ['not one of'] }, run).map((found) => found.passed)).toEqual([true, true, true, true]);
    expect(check('refusedAnswers', { count: 0, by: ['alice'], statusCodes: [409], contains: ['incident names'] }, run).map((found) => found.passed)).toEqual([false, false, false, false]);
    // A run with no refusal: nothing to say anything of.
    expect(check('refusedAnswers', { count: 0, contains: ['not one of'] })).toEqual([
      { name: 'refused approval answers', passed: true, want: '0', actual: '0' },
      { name: 'refused approval answers say "not one of"', passed: false, want: 'in every one', actual: '(no refusal)' },
    ]);
  });

  it('has one evaluator per expectation key of the schema', () => {
    expect(Object.keys(EXPECTATION_EVALUATORS).sort()).toEqual(Object.keys(expectationsSchema.shape).sort());
  });

  it('outcome: every delivery triaged to the outcome', () => {
    expect(check('outcome', 'start-playbook')).toEqual([{ name: 'triage outcome (every delivery)', passed: true, want: 'start-playbook', actual: 'start-playbook' }]);
    const untriaged = facts({ deliveries: [...facts().deliveries, { duplicate: false, dispatcher: execution({ kind: 'dispatcher' }) }] });
    expect(check('outcome', 'start-playbook', untriaged)[0]?.passed).toBe(false);
    expect(check('outcome', 'ignore', facts({ deliveries: [] }))[0]?.actual).toBe('(no delivery was triaged)');
  });

  it('playbook: the chosen playbook, null for none', () => {
    expect(check('playbook', 'compromised-ec2-instance')[0]?.passed).toBe(true);
    expect(check('playbook', null)[0]).toEqual({ name: 'playbook chosen', passed: false, want: 'none', actual: 'compromised-ec2-instance' });
  });

  it('mode: the mode of every decision', () => {
    expect(check('mode', 'dry-run')[0]).toEqual({ name: 'mode', passed: false, want: 'dry-run', actual: 'enforce' });
  });

  it('executions: the number started, listed by name', () => {
    expect(check('executions', 1)[0]).toEqual({ name: 'playbook executions started', passed: true, want: '1', actual: '1: compromised-ec2-instance/run-1' });
    expect(check('executions', 0, facts({ executions: [] }))[0]?.actual).toBe('0');
  });

  it('duplicates: deliveries that ended as duplicates', () => {
    expect(check('duplicates', 1)[0]).toEqual({ name: 'deliveries ended as duplicates', passed: false, want: '1', actual: '0' });
  });

  it('status: every playbook execution, with its error', () => {
    expect(check('status', 'succeeded')[0]?.passed).toBe(true);
    const failed = facts({ executions: [execution({ status: 'FAILED', error: 'States.TaskFailed' })] });
    expect(check('status', 'succeeded', failed)[0]?.actual).toBe('failed (States.TaskFailed)');
    expect(check('status', 'failed', facts({ executions: [] }))[0]).toMatchObject({ passed: false, actual: '(no playbook execution)' });
  });

  it('steps: status, retries and result of a step', () => {
    expect(check('steps', { contain: { status: 'succeeded', retries: 1, result: 'quarantined' } })).toEqual([
      { name: 'step contain status', passed: true, want: 'succeeded', actual: 'succeeded' },
      { name: 'step contain retries', passed: true, want: '1', actual: '1' },
      { name: 'step contain result', passed: true, want: 'quarantined', actual: 'quarantined' },
    ]);
    expect(check('steps', { notify: { status: 'skipped' } })[0]).toMatchObject({ passed: true, actual: 'skipped' });
    expect(check('steps', { contain: { status: 'failed' } }, facts({ executions: [] }))[0]).toMatchObject({ name: 'step contain', passed: false, actual: '(no playbook execution)' });
  });

  it('instances: state, ENI groups by name, protections, profile, tags, snapshots', () => {
    const results = check('instances', {
      web: {
        state: 'running',
        enis: [['isolation']],
        terminationProtection: true,
        stopProtection: true,
        shutdownBehavior: 'stop',
        instanceProfile: null,
        tags: { 'firebreak:status': 'quarantined', Owner: null },
        snapshots: { '/dev/xvda': 1 },
      },
    });
    expect(results).toEqual([
      { name: 'instance web state', passed: true, want: 'running', actual: 'running' },
      { name: 'instance web ENI 1 (eni-1) groups', passed: true, want: '[isolation]', actual: '[isolation]' },
      { name: 'instance web termination protection', passed: true, want: 'true', actual: 'true' },
      { name: 'instance web stop protection', passed: false, want: 'true', actual: 'false' },
      { name: 'instance web shutdown behaviour', passed: true, want: 'stop', actual: 'stop' },
      { name: 'instance web instance profile', passed: false, want: 'none', actual: 'web' },
      { name: 'instance web tag firebreak:status', passed: true, want: 'quarantined', actual: 'quarantined' },
      { name: 'instance web tag Owner', passed: true, want: '(absent)', actual: '(absent)' },
      { name: 'instance web snapshots of /dev/xvda (vol-1)', passed: true, want: '1', actual: '1: snap-1' },
    ]);
    expect(check('instances', { web: { state: 'running' } }, facts({ after: inspection({ instances: {} }) }))).toEqual([
      { name: 'instance web', passed: false, want: 'to exist', actual: 'i-1 no longer exists' },
    ]);
  });

  it('alerts: the count, and subject, attributes and lines of one same alert', () => {
    const alert = { subject: 'High: backdoor', message: 'isolated\nsnapshotted', attributes: { severity: 'high' }, at: new Date(0) };
    const run = facts({ after: inspection({ alerts: [alert] }) });
    expect(check('alerts', { count: 1, subjectContains: 'backdoor', attributes: { severity: 'high' }, lines: ['isolated'] }, run)).toEqual([
      { name: 'alerts published', passed: true, want: '1', actual: '1: "High: backdoor"' },
      { name: 'an alert with', passed: true, want: 'subject contains "backdoor"; attribute severity=high; body has "isolated"', actual: 'alert "High: backdoor"' },
    ]);
    expect(check('alerts', { lines: ['released'] }, run)[0]).toMatchObject({ passed: false, actual: 'body lacks "released"' });
    expect(check('alerts', { subjectContains: 'x' })[0]).toMatchObject({ passed: false, actual: '(no alert was published)' });
  });

  it('keptEvents: count, reason and text of the kept events', () => {
    const run = facts({ after: inspection({ keptEvents: [{ body: '{"reason":"unparseable","event":"x"}', at: new Date(0) }] }) });
    expect(check('keptEvents', { count: 1, reason: 'unparseable', contains: ['event', 'nope'] }, run)).toEqual([
      { name: 'events kept in the unprocessable-events queue', passed: true, want: '1', actual: '1' },
      { name: 'kept event reason', passed: true, want: 'unparseable', actual: 'unparseable' },
      { name: 'kept event contains "event"', passed: true, want: 'present', actual: 'present' },
      { name: 'kept event contains "nope"', passed: false, want: 'present', actual: 'absent' },
    ]);
  });

  it('forensicCopies: copies the forensic account owns, their key, completion, sealed custody records and kept sources', () => {
    const KEY = 'arn:aws:kms:us-east-1:999988887777:key/forensic';
    const forensic = (copies: NonNullable<AccountInspection['forensic']>['copies'], custody: NonNullable<AccountInspection['forensic']>['custody']) =>
      facts({ after: inspection({ forensic: { accountId: '999988887777', kmsKeyArn: KEY, copies, custody, sharedSources: [] } }) });
    const good = forensic(
      [
        { snapshotId: 'snap-c1', sourceSnapshotId: 'snap-1', encrypted: true, kmsKeyId: KEY, state: 'completed' },
        // A snapshot of the forensic account that is no copy of evidence does not count.
        { snapshotId: 'snap-own', encrypted: false, state: 'completed' },
      ],
      [{ sourceSnapshotId: 'snap-1', copySnapshotId: 'snap-c1', sealed: true, status: 'completed' }],
    );
    expect(check('forensicCopies', { count: 1, encryptedWithForensicKey: true, completed: true, custodyRecords: 1, sourcesKept: true }, good)).toEqual([
      { name: 'copies in the forensic account 999988887777', passed: true, want: '1', actual: '1: snap-c1' },
      { name: `copies encrypted with the forensic key ${KEY}`, passed: true, want: 'true', actual: 'all' },
      { name: 'copies completed', passed: true, want: 'true', actual: '1 completed' },
      { name: 'sealed custody records of the copies (state table)', passed: true, want: '1', actual: '1: snap-1 → snap-c1' },
      { name: 'sources of the copies kept in the member account', passed: true, want: 'true', actual: 'all 1 kept' },
    ]);
    const bad = forensic(
      [{ snapshotId: 'snap-c2', sourceSnapshotId: 'snap-gone', encrypted: true, kmsKeyId: 'arn:aws:kms:us-east-1:999988887777:key/other', state: 'pending' }],
      [{ sourceSnapshotId: 'snap-gone', copySnapshotId: 'snap-c2', sealed: false, status: 'pending' }],
    );
    expect(check('forensicCopies', { encryptedWithForensicKey: true, completed: true, custodyRecords: 1, sourcesKept: true }, bad).map((r) => [r.passed, r.actual])).toEqual([
      [false, 'not: snap-c2 (arn:aws:kms:us-east-1:999988887777:key/other)'],
      [false, 'not completed: snap-c2 (pending)'],
      [false, '0'],
      [false, 'gone: snap-gone'],
    ]);
    // Where each copy stands (custody status) and whether its source is still shared with the forensic account.
    const confirmed = facts({
      after: inspection({
        forensic: {
          accountId: '999988887777',
          kmsKeyArn: KEY,
          copies: [],
          custody: [
            { sourceSnapshotId: 'snap-1', copySnapshotId: 'snap-c1', sealed: true, status: 'completed' },
            { sourceSnapshotId: 'snap-2', copySnapshotId: 'snap-c2', sealed: true, status: 'failed' },
          ],
          sharedSources: ['snap-2'],
        },
      }),
    });
    expect(check('forensicCopies', { custodyStatus: { completed: 1, failed: 1, pending: 0 }, sourcesShared: 1 }, confirmed)).toEqual([
      { name: 'custody records pending', passed: true, want: '0', actual: '0' },
      { name: 'custody records completed', passed: true, want: '1', actual: '1: snap-1 → snap-c1' },
      { name: 'custody records failed', passed: true, want: '1', actual: '1: snap-2 → snap-c2' },
      { name: 'sources still shared with 999988887777', passed: true, want: '1', actual: '1: snap-2' },
    ]);
    expect(check('forensicCopies', { custodyStatus: { completed: 2 }, sourcesShared: 0 }, confirmed).map((r) => r.passed)).toEqual([false, false]);
    expect(check('forensicCopies', { count: 0 })).toEqual([
      { name: 'forensic account', passed: false, want: 'a forensic account (settings.forensicAccount)', actual: 'none: the scenario has no forensic account' },
    ]);
  });

  it('instances elasticIp and metadata: the edges as the account reports them, one result per field', () => {
    const edged = (extra: Partial<InspectedInstance>) => facts({ after: inspection({ instances: { 'i-1': { ...instance, ...extra } } }) });
    const quarantined = edged({ elasticIps: [], metadata: { endpoint: 'disabled', tokens: 'optional', hopLimit: 2 } });
    expect(check('instances', { web: { elasticIp: false, metadata: { endpoint: 'disabled', hopLimit: 2 } } }, quarantined)).toEqual([
      { name: 'instance web Elastic IP', passed: true, want: 'none', actual: 'none' },
      { name: 'instance web metadata endpoint', passed: true, want: 'disabled', actual: 'disabled' },
      { name: 'instance web metadata hopLimit', passed: true, want: '2', actual: '2' },
    ]);
    const released = edged({ elasticIps: ['203.0.113.7'], metadata: { endpoint: 'enabled', tokens: 'optional', hopLimit: 2 } });
    expect(check('instances', { web: { elasticIp: false, metadata: { endpoint: 'disabled' } } }, released)).toEqual([
      { name: 'instance web Elastic IP', passed: false, want: 'none', actual: 'associated: 203.0.113.7' },
      { name: 'instance web metadata endpoint', passed: false, want: 'disabled', actual: 'enabled' },
    ]);
    // A backend that could not read the addresses never passes.
    expect(check('instances', { web: { elasticIp: true } }, edged({}))[0]).toMatchObject({ passed: false, actual: 'not read (DescribeAddresses failed on this backend)' });
  });

  it('dnsBlocked: exactly the domains Firebreak\'s DNS Firewall list blocks, and the VPCs its rule group guards', () => {
    const firewall = (domains: string[], vpcIds: string[]) => facts({ environment: { ...environment, instances: { web: { ...environment.instances.web, vpcId: 'vpc-1' } } } as unknown as RunFacts['environment'], after: inspection({ dnsFirewall: { domains, vpcIds } }) });
    expect(check('dnsBlocked', { domains: ['C2.Example.com.'], vpcsOf: ['web'] }, firewall(['c2.example.com'], ['vpc-1']))).toEqual([
      { name: 'domains blocked by DNS Firewall', passed: true, want: '[c2.example.com]', actual: '[c2.example.com]' },
      { name: 'VPCs the DNS Firewall rule group guards', passed: true, want: '[vpc-1]', actual: '[vpc-1]' },
    ]);
    expect(check('dnsBlocked', { domains: [], vpcsOf: [] }, firewall(['c2.example.com'], ['vpc-1'])).map((r) => [r.passed, r.actual])).toEqual([
      [false, '[c2.example.com]'],
      [false, '[vpc-1]'],
    ]);
    expect(check('dnsBlocked', { domains: [] })).toEqual([
      { name: "Firebreak's DNS Firewall", passed: false, want: 'read back', actual: 'not read: this backend could not list Route 53 Resolver DNS Firewall' },
    ]);
  });

  it('unchanged: the fields that changed on a named resource', () => {
    expect(check('unchanged', ['web-tier'])[0]).toMatchObject({ passed: true, actual: 'no change' });
    const run = facts({ after: inspection({ resources: { 'i-1': '{"state":"stopped"}', 'eni-1': '{}', 'vol-1': '{}', 'sg-web': '{"rules":[]}' } }) });
    expect(check('unchanged', ['web'], run)[0]).toEqual({ name: 'web unchanged', passed: false, want: 'no change', actual: 'changed i-1: state' });
  });

  it('noMutatingCalls: EC2/IAM calls that changed something', () => {
    expect(check('noMutatingCalls', true)[0]).toEqual({ name: 'no mutating EC2/IAM call', passed: false, want: 'none', actual: '1: ec2:ModifyNetworkInterfaceAttribute eni-1' });
    expect(check('noMutatingCalls', false)[0]?.passed).toBe(true);
  });

  it('accountUnchanged: the account digest, and what changed', () => {
    expect(check('accountUnchanged', true)[0]).toMatchObject({ passed: true, actual: 'unchanged' });
    const run = facts({ after: inspection({ digest: 'd2', resources: { 'i-1': '{"state":"stopped"}' } }) });
    expect(check('accountUnchanged', true, run)[0]).toMatchObject({ passed: false, actual: 'changed: i-1, eni-1, vol-1, sg-web' });
  });

  it('calls: counts of calls to an API, optionally by error', () => {
    expect(check('calls', [{ api: 'ec2:Describe*' }, { api: 'ec2:ModifyNetworkInterfaceAttribute', count: 2 }, { api: 'iam:*', error: 'AccessDenied', atMost: 0 }])).toEqual([
      { name: 'calls to ec2:Describe*', passed: true, want: 'at least 1', actual: '1' },
      { name: 'calls to ec2:ModifyNetworkInterfaceAttribute', passed: false, want: 'exactly 2', actual: '1' },
      { name: 'calls to iam:* answered AccessDenied', passed: true, want: 'at most 0', actual: '0' },
    ]);
  });

  it('iamRoles.sessionCutOffs: the session denies written on the role, each cut-off later than the one before (row 11i)', () => {
    const deny = (roleName: string, cutOff: string, overrides: Partial<GameDayCall> = {}) =>
      call('iam:PutRolePolicy', { input: { RoleName: roleName, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: revokeOlderSessionsPolicy(cutOff) }, ...overrides });
    const later = facts({ calls: [deny('app', '2025-01-15T09:00:05.071Z'), deny('other', '2025-01-15T09:00:06.000Z'), deny('app', '2025-01-15T09:00:07.608Z'), deny('app', '2025-01-15T09:00:09.000Z', { outcome: 'error', errorCode: 'Throttling' })] });
    expect(check('iamRoles', { app: { sessionCutOffs: 2 } }, later)).toEqual([
      { name: 'iam role app session cut-offs', passed: true, want: '2, each later than the one before', actual: '2: 2025-01-15T09:00:05.071Z → 2025-01-15T09:00:07.608Z' },
    ]);
    // The same cut-off written twice is not a later one; one write is not two.
    const same = facts({ calls: [deny('app', '2025-01-15T09:00:05.071Z'), deny('app', '2025-01-15T09:00:05.071Z')] });
    expect(check('iamRoles', { app: { sessionCutOffs: 2 } }, same)[0]).toMatchObject({ passed: false });
    expect(check('iamRoles', { app: { sessionCutOffs: 2 } }, facts({ calls: [deny('app', '2025-01-15T09:00:05.071Z')] }))[0]).toMatchObject({ passed: false, actual: '1: 2025-01-15T09:00:05.071Z' });
    expect(check('iamRoles', { app: { sessionCutOffs: 0 } })[0]).toMatchObject({ passed: true, actual: '0: none' });
  });

  it('invocations: count, result, error and text of direct invocations', () => {
    const run = facts({ invocations: [{ responder: 'quarantine-instance', result: { status: 'refused', reasons: ['not on the event path'] } }] });
    expect(check('invocations', { count: 1, result: 'refused', error: 'AccessDenied', contains: ['event path'] }, run)).toEqual([
      { name: 'responders invoked directly', passed: true, want: '1', actual: '1' },
      { name: 'direct invocation result', passed: true, want: 'refused', actual: 'refused' },
      { name: 'direct invocation error', passed: false, want: 'AccessDenied', actual: 'no error' },
      { name: 'direct invocations mention "event path"', passed: true, want: 'in every one', actual: 'in every one' },
    ]);
  });

  it('notDelivered and deliveredBy: how the rules routed the injected events', () => {
    const run = facts({ routings: [{ matched: [] }, { matched: ['GuardDutyFindingsRule'] }] });
    expect(check('notDelivered', 1, run)[0]).toEqual({ name: 'injected events no rule delivered', passed: true, want: '1', actual: '1' });
    expect(check('deliveredBy', { GuardDutyFindingsRule: 2 }, run)[0]).toEqual({ name: 'events delivered by GuardDutyFindingsRule', passed: false, want: '2', actual: '1' });
  });

  it('containedWithinSeconds: simulated time to containment', () => {
    expect(check('containedWithinSeconds', 5, facts({ containment: { simMs: 1234, isolatedEnis: 1, contained: { eni: 1 } } }))[0]).toEqual({ name: 'time to containment (simulated)', passed: true, want: '≤ 5 s', actual: '1.234 s' });
    expect(check('containedWithinSeconds', 5)[0]).toMatchObject({ passed: false, actual: 'nothing was contained' });
  });

  it('report phaseEndedBy and failedAttemptsDid: what ended a phase, and what a failed attempt recorded as done', () => {
    const RECEIVED = '2026-11-20T10:00:00.000Z';
    const atSecond = (seconds: number) => new Date(Date.parse(RECEIVED) + seconds * 1000).toISOString();
    const execution = 'arn:aws:states:us-east-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-1';
    const move = (outcome: string, seconds: number) => ({ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-1', outcome, detail: 'Moved eni-1', at: atSecond(seconds) });
    const quarantine = (from: number, to: number, extra: Partial<IncidentRecordEntry>): IncidentRecordEntry => ({
      step: 'quarantine-instance', startedAt: atSecond(from), endedAt: atSecond(to), outcome: 'succeeded', status: 'quarantined', executionArn: execution, actions: [], ...extra,
    });
    const reportOf = (failedActions: IncidentRecordEntry['actions']) =>
      buildIncidentReport({
        header: { incidentKey: 'gd-1', receivedAt: RECEIVED },
        entries: [
          quarantine(1, 3, { outcome: 'failed', status: 'TransientResponderError', error: { name: 'TransientResponderError', message: 'throttled' }, actions: failedActions }),
          quarantine(5, 6, { actions: [move('already-done', 5.5)] }),
        ],
        invalidEntries: 0,
        approvals: [],
      });
    const expected = { phaseEndedBy: { containment: 'contained by this attempt before it failed' }, failedAttemptsDid: { 'quarantine-instance': ['ec2:ModifyNetworkInterfaceAttribute'] } };
    const held = check('report', expected, facts({ reports: [reportOf([move('done', 2)])] }));
    expect(held.map((found) => [found.name, found.passed])).toEqual([
      ['report phase containment ended by "contained by this attempt before it failed"', true],
      ['report: a failed attempt of quarantine-instance recorded ec2:ModifyNetworkInterfaceAttribute done', true],
    ]);
    // The same run recorded without the failed attempt's actions (as before they were kept): both fail, saying what was there.
    const missed = check('report', expected, facts({ reports: [reportOf([])] }));
    expect(missed.map((found) => [found.passed, found.actual])).toEqual([
      [false, 'quarantine-instance: quarantined'],
      [false, '(nothing done)'],
    ]);
  });

  it('evaluates the keys in the table order, whatever the order of the file', () => {
    const scenario = { expect: expectationsSchema.parse({ containedWithinSeconds: 5, duplicates: 0, outcome: 'start-playbook' }) } as Scenario;
    expect(evaluateExpectations(scenario, facts()).map((result) => result.name)).toEqual(['triage outcome (every delivery)', 'deliveries ended as duplicates', 'time to containment (simulated)']);
  });
});

describe('alertOriginChecks: a genuine alert of a drill is never one Step Functions does not confirm', () => {
  const task = (state: string, payload: Record<string, unknown> | undefined, resource = 'arn:aws:states:::lambda:invoke') =>
    ({ state, resource, responder: 'publish-alert', ...(payload !== undefined ? { result: { StatusCode: 200, Payload: payload } } : {}) }) as unknown as TaskInvocation;
  const execution = (tasks: TaskInvocation[]) => ({ name: 'gd-1-abc', tasks });

  it('passes verified and dispatcher alerts, and says how many it checked', () => {
    const [check] = alertOriginChecks([execution([task('alert', { origin: 'verified' })]), execution([task('Alert', { origin: 'dispatcher' })])]);
    expect(check).toMatchObject({ passed: true, name: 'every alert the executions sent is confirmed by Step Functions (2)' });
  });

  it('fails on an alert marked unverified, or one whose result says nothing of its origin, naming the task', () => {
    const [unverified] = alertOriginChecks([execution([task('alert', { origin: 'verified' }), task('contain-failure-alert', { origin: 'unverified' })])]);
    expect(unverified).toMatchObject({ passed: false, actual: 'gd-1-abc contain-failure-alert: unverified' });
    expect(alertOriginChecks([execution([task('alert', { status: 'published' })])])[0]?.passed).toBe(false);
  });

  it('leaves out approval requests (their task ends with the answer) and failed attempts; adds nothing without alerts', () => {
    expect(alertOriginChecks([execution([task('WaitForApproval', { approved: true }, 'arn:aws:states:::lambda:invoke.waitForTaskToken'), task('alert', undefined)])])).toEqual([]);
  });
});
