/**
 * The safety rails as the compiler wires them (docs/safety-rails.md): the containment guard before
 * any resource-changing step, its evidence-only variant, the task-token approval with its rejected
 * and timed-out paths; checked on the definition and executed with aws-local-stepfunctions.
 */
import { describe, expect, it } from 'vitest';
import { APPROVAL_REJECTED_ERROR } from '../../lib/contracts/errors';
import type { AslDefinition, AslState } from '../../lib/playbooks/compile';
import {
  compilePlaybook,
  GUARD_RESPONDER,
  isGuardedPlaybook,
  keepSteps,
  PlaybookCompileError,
  taskStates,
  TRANSIENT_RETRY,
} from '../../lib/playbooks/compile';
import type { ActionStep, Playbook, PlaybookApproval, Step } from '../../lib/playbooks/model';
import { CONTAINMENT_GUARD_RESPONDER } from '../../lib/responders/containment-guard';
import { ec2Incident } from '../support/incidents';
import { guardResult } from './guarded-fixtures';
import type { ResponderStub } from './local-execution';
import { EXECUTION_ARN, namedError, runLocally, STATE_MACHINE_ARN, TASK_TOKEN } from './local-execution';

function action(id: string, name: ActionStep['action'], options: Record<string, unknown> = {}): ActionStep {
  return { kind: 'action', id, action: name, with: options };
}

function playbook(steps: Step[], overrides: Partial<Playbook> = {}): Playbook {
  return {
    name: 'compromised-ec2',
    description: 'Contain and preserve a compromised instance, then alert.',
    match: { sources: ['guardduty'], findingTypes: ['Backdoor:EC2/*'], severity: { min: 7, max: 10 }, resourceKinds: ['ec2-instance'] },
    priority: 100,
    mode: 'enforce',
    steps,
    file: 'playbooks/compromised-ec2.yaml',
    ...overrides,
  };
}

const STEPS: Step[] = [
  { kind: 'parallel', id: 'respond', branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes')] },
  action('alert', 'notify', { advice: 'Investigate from the snapshots.' }),
];
const COMPROMISED = playbook(STEPS);
const incident = ec2Incident();
const input = { incident, mode: 'enforce', playbook: 'compromised-ec2' };
const execution = { executionArn: EXECUTION_ARN, executionName: 'gd-1-rev', playbook: 'compromised-ec2', stateMachineArn: STATE_MACHINE_ARN };

function compiled(pb: Playbook = COMPROMISED): AslDefinition {
  return compilePlaybook(pb).definition;
}

function stateOf(definition: AslDefinition, name: string): AslState {
  const state = definition.States[name];
  if (!state) throw new Error(`no state ${name} (have ${Object.keys(definition.States).join(', ')})`);
  return state;
}

/** Every state reachable from `start` (Next, Choices, Default, Catch; Parallel branches included). */
function reachable(definition: AslDefinition, start: string): Map<string, AslState> {
  const seen = new Map<string, AslState>();
  const visit = (states: Readonly<Record<string, AslState>>, name: string): void => {
    const state = states[name];
    if (!state || seen.has(name)) return;
    seen.set(name, state);
    const next = [
      state.Next,
      state.Default,
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((choice) => choice.Next),
      ...((state.Catch as { Next: string }[] | undefined) ?? []).map((catcher) => catcher.Next),
    ];
    for (const target of next) if (typeof target === 'string') visit(states, target);
    for (const branch of (state.Branches as AslDefinition[] | undefined) ?? []) visit(branch.States, branch.StartAt);
  };
  visit(definition.States, start);
  return seen;
}

function invokes(states: Map<string, AslState>): string[] {
  return [...states.values()]
    .map((state) => (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName)
    .filter((name): name is string => typeof name === 'string');
}

function result(responder: string, status: string) {
  return { responder, incidentKey: incident.key, mode: 'enforce', status, idempotentReplay: false, actions: [] };
}

const BLAST_RADIUS_REASON =
  'Blast radius reached: 5 of 5 automatic containments already made in account 111122223333 within the last 3600 s (1 h) (gd-a, gd-b, gd-c, gd-d, gd-e); a person must approve any further containment.';
const PROTECTED_REASON =
  'Instance i-0abc1234def567890 is protected: it carries the tag firebreak:protected="" now, so Firebreak collects evidence and alerts instead of containing it.';

function responders(guard: ReturnType<typeof guardResult>, override: Record<string, ResponderStub> = {}): Record<string, ResponderStub> {
  return {
    'containment-guard': () => guard,
    'quarantine-instance': () => result('quarantine-instance', 'quarantined'),
    'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
    'publish-alert': () => ({ messageId: 'm-1' }),
    ...override,
  };
}

const needsApproval = guardResult('needs-approval', [BLAST_RADIUS_REASON]);
const APPROVED = { approved: true, by: 'arn:aws:sts::999988887777:assumed-role/OnCall/ana', at: '2026-11-20T10:05:00.000Z', comment: 'checked' };

describe('isGuardedPlaybook and keepSteps', () => {
  it('guards every playbook with a resource-changing step, manual ones (release) included since issue 8, and no other', () => {
    expect(isGuardedPlaybook(COMPROMISED)).toBe(true);
    expect(isGuardedPlaybook(playbook([action('evidence', 'snapshot-volumes'), action('alert', 'notify')]))).toBe(false);
    expect(isGuardedPlaybook(playbook([action('release', 'release-instance'), action('alert', 'notify')], { trigger: 'manual' }))).toBe(true);
    expect(isGuardedPlaybook(playbook([action('release', 'release-instance'), action('alert', 'notify')], { trigger: 'automatic' }))).toBe(true);
  });

  it('reduces parallel groups: kept branches stay a group, one left becomes a plain step, none left disappears', () => {
    const three: Step = {
      kind: 'parallel',
      id: 'respond',
      branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes'), action('note', 'notify')],
    };
    expect(keepSteps([three], (step) => step.action !== 'quarantine-instance')).toEqual([
      { ...three, branches: [action('evidence', 'snapshot-volumes'), action('note', 'notify')] },
    ]);
    expect(keepSteps(STEPS, (step) => step.action !== 'quarantine-instance')).toEqual([action('evidence', 'snapshot-volumes'), STEPS[1]]);
    expect(keepSteps(STEPS, (step) => step.action === 'notify')).toEqual([STEPS[1]]);
  });
});

describe('a guarded playbook, as compiled', () => {
  const definition = compiled();

  it('starts with the containment guard, retried on transient errors, its result kept like a step result', () => {
    expect(GUARD_RESPONDER).toBe(CONTAINMENT_GUARD_RESPONDER);
    expect(definition.StartAt).toBe('Guard');
    expect(stateOf(definition, 'Guard')).toEqual({
      Type: 'Task',
      Comment: expect.stringContaining('safety rails') as unknown,
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: '${Fn_containment_guard}',
        Payload: {
          'incident.$': '$.incident',
          'mode.$': '$.mode',
          options: { requireApproval: false },
          execution: {
            'executionArn.$': '$$.Execution.Id',
            'executionName.$': '$$.Execution.Name',
            playbook: 'compromised-ec2',
            'stateMachineArn.$': '$$.StateMachine.Id',
          },
        },
      },
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: '$.results.Guard',
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Guard-failure-alert' }],
      Next: 'GuardDecision',
    });
    expect(compilePlaybook(COMPROMISED).substitutions).toContain('Fn_containment_guard');
  });

  it('asks the guard for approval only when the playbook requires it', () => {
    const requiring = compiled(playbook(STEPS, { approval: { required: true, timeoutSeconds: 900, onTimeout: 'evidence-only' } }));
    expect(stateOf(requiring, 'Guard')).toMatchObject({ Parameters: { Payload: { options: { requireApproval: true } } } });
  });

  it('branches on the guard status and fails closed: any status but proceed or needs-approval is evidence-only', () => {
    expect(stateOf(definition, 'GuardDecision')).toEqual({
      Type: 'Choice',
      Comment: expect.any(String) as unknown,
      Choices: [
        { Variable: '$.results.Guard.result.status', StringEquals: 'proceed', Next: 'respond' },
        { Variable: '$.results.Guard.result.status', StringEquals: 'needs-approval', Next: 'BeforeApproval-evidence' },
      ],
      Default: 'EvidenceOnly-evidence',
    });
  });

  it('evidence-only: the same steps without the changing ones, under prefixed names, with the guard reasons in the alert', () => {
    const path = reachable(definition, 'EvidenceOnly-evidence');
    expect(invokes(path)).not.toContain('${Fn_quarantine_instance}');
    // A group left with one branch is a plain step, whose result keeps the step id.
    expect(stateOf(definition, 'EvidenceOnly-evidence')).toMatchObject({
      Type: 'Task',
      Parameters: { FunctionName: '${Fn_snapshot_volumes}' },
      ResultPath: '$.results.evidence',
      Next: 'EvidenceOnly-alert',
    });
    expect(stateOf(definition, 'EvidenceOnly-alert')).toMatchObject({
      Parameters: {
        Payload: {
          kind: 'report',
          options: { advice: 'Investigate from the snapshots.' },
          results: { 'Guard.$': '$.results.Guard.result', 'evidence.$': '$.results.evidence.result' },
          'reasons.$': '$.results.Guard.result.reasons',
          reason: { outcome: 'evidence-only', summary: expect.stringContaining('contain did not run') as unknown },
        },
      },
      End: true,
    });
  });

  it('keeps a group of two evidence branches as a Parallel state, its branch states prefixed too', () => {
    const wide = compiled(
      playbook([
        {
          kind: 'parallel',
          id: 'respond',
          branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes'), action('page', 'notify')],
        },
        action('alert', 'notify'),
      ]),
    );
    const group = stateOf(wide, 'EvidenceOnly-respond');
    expect(group.Type).toBe('Parallel');
    expect((group.Branches as AslDefinition[]).map((branch) => branch.StartAt)).toEqual(['EvidenceOnly-evidence', 'EvidenceOnly-page']);
    expect(group.ResultSelector).toEqual({
      'Guard.$': '$[0].Guard',
      'evidence.$': '$[0].evidence',
      'page.$': '$[1].page',
    });
  });

  it('ATTACK (review-dnshub): tells the approval request when a waiting step blocks the finding\'s domain VPC-wide, and only then (row 10h)', () => {
    const withBlock = playbook([
      { kind: 'parallel', id: 'respond', branches: [action('contain', 'quarantine-instance'), action('block-dns', 'block-dns-domain'), action('evidence', 'snapshot-volumes')] },
      action('alert', 'notify'),
    ]);
    const approvalOf_ = (pb: Playbook) => ((stateOf(compiled(pb), 'WaitForApproval').Parameters as { Payload: { approval: Record<string, unknown> } }).Payload.approval);
    expect(approvalOf_(withBlock)).toEqual({ 'taskToken.$': '$$.Task.Token', waitingSteps: ['contain', 'block-dns'], timeoutSeconds: 3600, blocksDnsDomain: true });
    expect(approvalOf_(COMPROMISED)).not.toHaveProperty('blocksDnsDomain');
  });

  it('waits for approval on a task token, with the playbook timeout and no retrier that would restart the wait', () => {
    // The error `firebreak reject` sends (through the approval function, lib/responders/approval.ts) and the Catch below name, as a literal: renaming it breaks deployed playbooks.
    expect(APPROVAL_REJECTED_ERROR).toBe('Firebreak.ApprovalRejected');
    const wait = stateOf(definition, 'WaitForApproval');
    expect(wait).toEqual({
      Type: 'Task',
      Comment: expect.stringContaining('contain') as unknown,
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: '${Fn_publish_alert}',
        Payload: {
          kind: 'approval-request',
          'incident.$': '$.incident',
          'mode.$': '$.mode',
          playbook: 'compromised-ec2',
          options: {},
          execution: expect.objectContaining({ 'executionArn.$': '$$.Execution.Id' }) as unknown,
          results: { 'Guard.$': '$.results.Guard.result', 'evidence.$': '$.results.evidence.result' },
          'reasons.$': '$.results.Guard.result.reasons',
          approval: { 'taskToken.$': '$$.Task.Token', waitingSteps: ['contain'], timeoutSeconds: 3600 },
        },
      },
      TimeoutSeconds: 3600,
      ResultPath: '$.approval',
      Retry: [TRANSIENT_RETRY],
      Catch: [
        { ErrorEquals: ['Firebreak.ApprovalRejected'], ResultPath: '$.approval', Next: 'Rejected-alert' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.approval', Next: 'TimedOut-alert' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'WaitForApproval-failure-alert' },
      ],
      Next: 'ApprovalGiven',
    });
    const retried = (wait.Retry as { ErrorEquals: string[] }[]).flatMap((retrier) => retrier.ErrorEquals);
    for (const never of ['States.ALL', 'States.Timeout', 'States.TaskFailed', 'Firebreak.ApprovalRejected']) expect(retried).not.toContain(never);
  });

  it('contains only on an explicit "approved": true', () => {
    expect(stateOf(definition, 'ApprovalGiven')).toEqual({
      Type: 'Choice',
      Comment: expect.any(String) as unknown,
      Choices: [
        {
          And: [
            { Variable: '$.approval.approved', IsPresent: true },
            { Variable: '$.approval.approved', IsBoolean: true },
            { Variable: '$.approval.approved', BooleanEquals: true },
          ],
          Next: 'Approved-contain',
        },
      ],
      Default: 'Rejected-alert',
    });
    expect(invokes(reachable(definition, 'Rejected-alert'))).not.toContain('${Fn_quarantine_instance}');
    expect(invokes(reachable(definition, 'Approved-contain'))).toContain('${Fn_quarantine_instance}');
  });

  it('applies the playbook approval settings: timeout and what nobody answering means', () => {
    const settings = (approval: PlaybookApproval) => compiled(playbook(STEPS, { approval }));
    const evidenceOnly = settings({ required: true, timeoutSeconds: 600, onTimeout: 'evidence-only' });
    expect(stateOf(evidenceOnly, 'WaitForApproval')).toMatchObject({ TimeoutSeconds: 600, Parameters: { Payload: { approval: { timeoutSeconds: 600 } } } });
    expect(invokes(reachable(evidenceOnly, 'TimedOut-alert'))).not.toContain('${Fn_quarantine_instance}');
    expect(stateOf(evidenceOnly, 'TimedOut-alert')).toMatchObject({
      Parameters: { Payload: { reason: { summary: expect.stringContaining('did not run (onTimeout: evidence-only)') as unknown, 'approval.$': '$.approval' } } },
    });

    const contain = settings({ required: false, timeoutSeconds: 86_400, onTimeout: 'contain' });
    expect(stateOf(contain, 'WaitForApproval').Catch).toContainEqual({ ErrorEquals: ['States.Timeout'], ResultPath: '$.approval', Next: 'TimedOut-contain' });
    expect(stateOf(contain, 'TimedOut-contain')).toMatchObject({ Parameters: { FunctionName: '${Fn_quarantine_instance}' }, Next: 'TimedOut-alert' });
    expect(stateOf(contain, 'TimedOut-alert')).toMatchObject({
      Parameters: { Payload: { reason: { summary: expect.stringContaining('ran WITHOUT approval') as unknown } } },
    });
  });

  it('goes straight to the approval wait when no evidence step runs first', () => {
    const containOnly = compiled(playbook([action('contain', 'quarantine-instance'), action('alert', 'notify')]));
    expect(stateOf(containOnly, 'GuardDecision')).toMatchObject({
      Choices: [expect.anything(), { StringEquals: 'needs-approval', Next: 'WaitForApproval' }],
      Default: 'EvidenceOnly-alert',
    });
  });

  it('leaves playbooks that change nothing exactly as written, and guards a manual release behind an approval (issue 8)', () => {
    const alertOnly = compiled(playbook([action('evidence', 'snapshot-volumes'), action('alert', 'notify')]));
    expect(alertOnly.StartAt).toBe('evidence');
    expect(taskStates(alertOnly).map((task) => task.state)).not.toContain('Guard');
    const release = compilePlaybook(
      playbook([action('release', 'release-instance'), action('alert', 'notify')], {
        trigger: 'manual',
        approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' },
      }),
    );
    expect(release.definition.StartAt).toBe('Guard');
    expect(taskStates(release.definition).map((task) => task.state)).toEqual(expect.arrayContaining(['Guard', 'WaitForApproval', 'Approved-release']));
    expect(release.substitutions).toEqual(['Fn_containment_guard', 'Fn_publish_alert', 'Fn_release_instance']);
  });

  it('keeps every generated state name within ASL’s 80 characters for the longest step id the schema allows', () => {
    const id = 'a'.repeat(50);
    const long = compiled(playbook([action('evidence', 'snapshot-volumes'), action(id, 'quarantine-instance'), action('alert', 'notify')]));
    const names = [...reachable(long, long.StartAt).keys()];
    expect(names).toContain(`BeforeApproval-evidence-failure-alert`);
    expect(names).toContain(`Approved-${id}-failure-alert`);
    expect(Math.max(...names.map((name) => name.length))).toBeLessThanOrEqual(80);
  });

  it('refuses a guarded playbook without a notify step, and a step id the compiler generates', () => {
    expect(() => compiled(playbook([action('contain', 'quarantine-instance')]))).toThrow(PlaybookCompileError);
    expect(() => compiled(playbook([action('contain', 'quarantine-instance')]))).toThrow(/has no notify step/);
    expect(() => compiled(playbook([action('Guard', 'snapshot-volumes'), action('contain', 'quarantine-instance'), action('alert', 'notify')]))).toThrow(
      /state name "Guard" is used twice/,
    );
  });
});

describe('a guarded playbook executed with aws-local-stepfunctions', () => {
  const definition = compiled();

  it('proceed: contains and preserves as written, for two more transitions than the unguarded playbook', async () => {
    const run = await runLocally(definition, input, { responders: responders(guardResult('proceed', ['Blast radius: containment 1 of 5.'])) });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'respond', 'contain', 'evidence', 'respond-any-failed', 'alert']);
    expect(run.calls['containment-guard']).toEqual([{ incident, mode: 'enforce', options: { requireApproval: false }, execution }]);
    expect(run.calls['quarantine-instance']).toHaveLength(1);
    // The unguarded playbook would enter respond, contain, evidence, respond-any-failed, alert: the guard adds two.
    expect(run.path.length - ['respond', 'contain', 'evidence', 'respond-any-failed', 'alert'].length).toBe(2);
  });

  it('protected instance (evidence-only): snapshots and alerts why, and never calls quarantine-instance', async () => {
    const run = await runLocally(definition, input, {
      responders: responders(guardResult('evidence-only', [PROTECTED_REASON], { protected: true, protectedBy: 'instance-tag' })),
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'EvidenceOnly-evidence', 'EvidenceOnly-alert']);
    expect(run.calls['quarantine-instance']).toBeUndefined();
    expect(run.calls['snapshot-volumes']).toHaveLength(1);
    expect(run.calls['publish-alert']).toEqual([
      expect.objectContaining({
        kind: 'report',
        reasons: [PROTECTED_REASON],
        reason: { outcome: 'evidence-only', summary: expect.stringContaining('The containment guard answered evidence-only') as unknown },
        results: { Guard: expect.objectContaining({ status: 'evidence-only' }) as unknown, evidence: result('snapshot-volumes', 'snapshotted') },
      }),
    ]);
  });

  it('blast radius reached (needs-approval), approved: evidence first, the request with the token, then containment', async () => {
    const run = await runLocally(definition, input, { responders: responders(needsApproval), answer: () => APPROVED });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'BeforeApproval-evidence', 'WaitForApproval', 'ApprovalGiven', 'Approved-contain', 'Approved-alert']);
    const [request, report] = run.calls['publish-alert']!;
    expect(request).toEqual({
      kind: 'approval-request',
      incident,
      mode: 'enforce',
      playbook: 'compromised-ec2',
      options: {},
      execution,
      results: { Guard: needsApproval, evidence: result('snapshot-volumes', 'snapshotted') },
      reasons: [BLAST_RADIUS_REASON],
      approval: { taskToken: TASK_TOKEN, waitingSteps: ['contain'], timeoutSeconds: 3600 },
    });
    expect(run.calls['quarantine-instance']).toEqual([{ incident, mode: 'enforce', options: {}, execution }]);
    expect(report).toMatchObject({
      kind: 'report',
      results: { Guard: needsApproval, evidence: result('snapshot-volumes', 'snapshotted'), contain: result('quarantine-instance', 'quarantined') },
      reasons: [BLAST_RADIUS_REASON],
      reason: { outcome: 'approved', summary: expect.stringContaining('A person approved') as unknown, approval: APPROVED },
    });
    expect(run.output).toMatchObject({ approval: APPROVED });
  });

  it('rejected (firebreak reject): no containment, and the alert carries who rejected and why', async () => {
    const cause = JSON.stringify({ by: 'arn:aws:sts::999988887777:assumed-role/OnCall/ana', at: '2026-11-20T10:05:00.000Z', reason: 'known load test' });
    const run = await runLocally(definition, input, {
      responders: responders(needsApproval),
      answer: () => {
        throw namedError('Firebreak.ApprovalRejected', cause);
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'BeforeApproval-evidence', 'WaitForApproval', 'Rejected-alert']);
    expect(run.calls['quarantine-instance']).toBeUndefined();
    expect(run.calls['publish-alert']!.at(-1)).toMatchObject({
      kind: 'report',
      reason: {
        outcome: 'rejected',
        summary: expect.stringContaining('Not approved') as unknown,
        approval: { Error: 'Firebreak.ApprovalRejected', Cause: cause },
      },
      results: { evidence: result('snapshot-volumes', 'snapshotted') },
    });
  });

  it('an answer without "approved": true (SendTaskSuccess by hand) is a rejection, not containment', async () => {
    for (const answer of [{ approved: false }, { approved: 'true' }, { ok: true }]) {
      const run = await runLocally(definition, input, { responders: responders(needsApproval), answer: () => answer });
      expect(run.status, JSON.stringify(answer)).toBe('SUCCEEDED');
      expect(run.path.at(-1)).toBe('Rejected-alert');
      expect(run.calls['quarantine-instance']).toBeUndefined();
    }
  });

  it('timed out, onTimeout evidence-only (the default): no containment, a second alert saying nobody answered', async () => {
    const run = await runLocally(definition, input, {
      responders: responders(needsApproval),
      answer: () => {
        throw namedError('States.Timeout', 'Task timed out');
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'BeforeApproval-evidence', 'WaitForApproval', 'TimedOut-alert']);
    expect(run.calls['quarantine-instance']).toBeUndefined();
    expect(run.calls['publish-alert']!.map((call) => call.kind)).toEqual(['approval-request', 'report']);
    expect(run.calls['publish-alert']!.at(-1)).toMatchObject({
      reason: {
        outcome: 'timed-out',
        summary: expect.stringContaining('Nobody answered the approval request within 3600 s') as unknown,
        approval: { Error: 'States.Timeout' },
      },
    });
  });

  it('timed out, onTimeout contain: contains anyway, and the alert says it ran without approval', async () => {
    const containing = compiled(playbook(STEPS, { approval: { required: true, timeoutSeconds: 300, onTimeout: 'contain' } }));
    const run = await runLocally(containing, input, {
      responders: responders(guardResult('needs-approval', ['The playbook requires a person to approve before it changes resources.'])),
      answer: () => {
        throw namedError('States.Timeout', 'Task timed out');
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls['containment-guard']![0]).toMatchObject({ options: { requireApproval: true } });
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'BeforeApproval-evidence', 'WaitForApproval', 'TimedOut-contain', 'TimedOut-alert']);
    expect(run.calls['quarantine-instance']).toHaveLength(1);
    expect(run.calls['publish-alert']!.at(-1)).toMatchObject({
      results: { contain: result('quarantine-instance', 'quarantined') },
      reason: { outcome: 'timed-out-contained', summary: expect.stringContaining('ran WITHOUT approval') as unknown },
    });
  });

  it('a guard that fails for good never lets containment through: failure alert, then FAILED', async () => {
    const run = await runLocally(definition, input, {
      responders: responders(needsApproval, {
        'containment-guard': () => {
          throw namedError('MemberRoleUnavailableError', 'no FirebreakResponder role in 111122223333');
        },
      }),
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('MemberRoleUnavailableError');
    expect(run.path).toEqual(['Guard', 'Guard-failure-alert', 'playbook-failed']);
    expect(run.calls['quarantine-instance']).toBeUndefined();
    expect(run.calls['publish-alert']).toEqual([
      expect.objectContaining({ kind: 'failure', results: {}, failure: { step: 'Guard', error: 'MemberRoleUnavailableError', cause: 'no FirebreakResponder role in 111122223333' } }),
    ]);
  });

  it('an approval request that cannot be sent fails the execution with an alert, and contains nothing', async () => {
    let alerts = 0;
    const run = await runLocally(definition, input, {
      responders: responders(needsApproval, {
        'publish-alert': (payload) => {
          alerts += 1;
          if (payload.kind === 'approval-request') throw namedError('ResponderFailedError', 'topic gone');
          return { messageId: `m-${alerts}` };
        },
      }),
      answer: () => APPROVED,
    });
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual(['WaitForApproval-failure-alert', 'playbook-failed']);
    expect(run.calls['quarantine-instance']).toBeUndefined();
  });
});
