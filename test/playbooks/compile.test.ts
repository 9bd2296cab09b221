import { describe, expect, it } from 'vitest';
import type { AslDefinition, AslState } from '../../lib/playbooks/compile';
import {
  applySubstitutions,
  compilePlaybook,
  PlaybookCompileError,
  taskStates,
  TRANSIENT_RETRY,
} from '../../lib/playbooks/compile';
import type { ActionStep, Playbook, Step } from '../../lib/playbooks/model';
import { TRANSIENT_ERROR_NAMES } from '../../lib/contracts/responder-errors';
import { ec2Incident } from '../support/incidents';
import { EXECUTION_ARN, namedError, runLocally, STATE_MACHINE_ARN } from './local-execution';
import { guardResult } from './guarded-fixtures';

function action(id: string, name: ActionStep['action'], options: Record<string, unknown> = {}): ActionStep {
  return { kind: 'action', id, action: name, with: options };
}

function parallel(id: string, branches: Step[]): Step {
  return { kind: 'parallel', id, branches };
}

function playbook(steps: Step[], overrides: Partial<Playbook> = {}): Playbook {
  return {
    name: 'compromised-ec2',
    description: 'Contain and preserve a compromised instance, then alert.\nLonger text.',
    match: { sources: ['guardduty'], findingTypes: ['Backdoor:EC2/*'], severity: { min: 7, max: 10 } },
    priority: 100,
    mode: 'enforce',
    steps,
    file: 'playbooks/compromised-ec2.yaml',
    ...overrides,
  };
}

/** Parallel[ contain | evidence ] → notify, the shape of the compromised-instance playbook. */
const compromised = playbook([
  {
    kind: 'parallel',
    id: 'contain-and-preserve',
    branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes', { tags: { Case: 'IR' } })],
  },
  action('notify', 'notify', { advice: 'Rotate the credentials the instance could reach.' }),
]);

const incident = ec2Incident();
const input = { incident, mode: 'enforce', playbook: 'compromised-ec2' };
/** The containment guard letting containment proceed (guarded-playbooks.test.ts covers its other answers). */
const proceed = guardResult('proceed', ['Blast radius: containment 1 of 5 in account 111122223333 within 3600 s (1 h).']);

function stateOf(definition: AslDefinition, name: string): AslState {
  const state = definition.States[name];
  if (!state) throw new Error(`no state ${name}`);
  return state;
}

function result(responder: string, status = 'done') {
  return { responder, incidentKey: incident.key, mode: 'enforce', status, idempotentReplay: false, actions: [] };
}

const execution = {
  executionArn: EXECUTION_ARN,
  executionName: 'gd-1-rev',
  playbook: 'compromised-ec2',
  stateMachineArn: STATE_MACHINE_ARN,
};

describe('compilePlaybook', () => {
  it('turns each action step into a Lambda Task on its responder, with transient retries and a catch-all', () => {
    const { definition } = compilePlaybook(playbook([action('evidence', 'snapshot-volumes'), action('notify', 'notify')]));
    expect(definition.StartAt).toBe('evidence');
    expect(stateOf(definition, 'evidence')).toEqual({
      Type: 'Task',
      Comment: expect.stringContaining('snapshot-volumes') as unknown,
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: '${Fn_snapshot_volumes}',
        Payload: {
          'incident.$': '$.incident',
          'mode.$': '$.mode',
          options: {},
          execution: {
            'executionArn.$': '$$.Execution.Id',
            'executionName.$': '$$.Execution.Name',
            playbook: 'compromised-ec2',
            'stateMachineArn.$': '$$.StateMachine.Id',
          },
        },
      },
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: '$.results.evidence',
      Retry: [
        {
          ErrorEquals: [...TRANSIENT_ERROR_NAMES],
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 4,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'evidence-failure-alert' }],
      Next: 'notify',
    });
    expect(stateOf(definition, 'notify')).toMatchObject({ End: true });
  });

  it('passes a manual playbook\'s steps, guard and approval request who started it and why (request), read from the execution input', () => {
    const { definition } = compilePlaybook(
      playbook([action('release', 'release-instance', { restoreInstanceProfile: true }), action('alert', 'notify')], {
        trigger: 'manual',
        approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' },
      }),
    );
    for (const name of ['release', 'alert', 'Guard', 'WaitForApproval', 'Approved-release', 'Approved-alert']) {
      expect((stateOf(definition, name).Parameters as { Payload: object }).Payload).toMatchObject({
        request: { 'requestedBy.$': '$.requestedBy', 'reason.$': '$.reason' },
      });
    }
    // Automatic playbooks have no such input: a path to a missing field would fail the state.
    expect(JSON.stringify(compilePlaybook(compromised).definition)).not.toContain('requestedBy');
  });

  it('retries exactly the error names the responders declare transient', () => {
    expect(TRANSIENT_RETRY.ErrorEquals).toEqual([...TRANSIENT_ERROR_NAMES]);
    expect(TRANSIENT_RETRY.ErrorEquals).toContain('TransientResponderError');
    expect(TRANSIENT_RETRY.ErrorEquals).not.toContain('ResponderFailedError');
  });

  it('gives the notify step a report alert with every earlier step result, unwrapped and keyed by step id', () => {
    const { definition } = compilePlaybook(compromised);
    expect(stateOf(definition, 'notify')).toMatchObject({
      Parameters: {
        FunctionName: '${Fn_publish_alert}',
        Payload: {
          kind: 'report',
          playbook: 'compromised-ec2',
          options: { advice: 'Rotate the credentials the instance could reach.' },
          results: {
            'Guard.$': '$.results.Guard.result',
            'contain.$': '$.results.contain.result',
            'evidence.$': '$.results.evidence.result',
          },
        },
      },
    });
  });

  it('compiles parallel: as a Parallel state whose branch outputs fold back into $.results by step id', () => {
    const { definition } = compilePlaybook(compromised);
    const parallel = stateOf(definition, 'contain-and-preserve');
    expect(parallel).toMatchObject({
      Type: 'Parallel',
      ResultSelector: { 'Guard.$': '$[0].Guard', 'contain.$': '$[0].contain', 'evidence.$': '$[1].evidence' },
      ResultPath: '$.results',
      Next: 'contain-and-preserve-any-failed',
    });
    const branches = parallel.Branches as AslDefinition[];
    expect(branches.map((branch) => branch.StartAt)).toEqual(['contain', 'evidence']);
    // Inside a branch the failure alert records the error where the step's result would be and
    // ends the branch successfully: a failed branch would stop the other branches.
    expect(branches[0]!.States['contain-failed']).toEqual({
      Type: 'Pass',
      Comment: expect.any(String) as unknown,
      Parameters: { 'failure.$': '$.failure' },
      ResultPath: '$.results.contain',
      End: true,
      OutputPath: '$.results',
    });
    expect(branches[0]!.States['contain-failure-alert']).toMatchObject({ Next: 'contain-failed', Catch: [{ Next: 'contain-failed' }] });
  });

  it('checks the branches after a Parallel: a recorded failure ends the execution FAILED with its error, otherwise it goes on', () => {
    const { definition } = compilePlaybook(compromised);
    expect(stateOf(definition, 'contain-and-preserve-any-failed')).toEqual({
      Type: 'Choice',
      Comment: expect.any(String) as unknown,
      Choices: [
        { Variable: '$.results.contain.failure', IsPresent: true, Next: 'contain-summary-alert' },
        { Variable: '$.results.evidence.failure', IsPresent: true, Next: 'evidence-summary-alert' },
      ],
      Default: 'notify',
    });
    expect(stateOf(definition, 'contain-branch-failed')).toEqual({
      Type: 'Fail',
      Comment: expect.any(String) as unknown,
      ErrorPath: '$.results.contain.failure.Error',
      CausePath: '$.results.contain.failure.Cause',
    });
    // A guarded variant that keeps the group gets its own check, by prefixed state name; results keep the step ids.
    const guarded = playbook([parallel('respond', [action('contain', 'quarantine-instance'), action('block', 'block-dns-domain')]), action('notify', 'notify')], {
      approval: { required: true, timeoutSeconds: 600, onTimeout: 'evidence-only' },
    });
    const variant = compilePlaybook(guarded).definition;
    expect(stateOf(variant, 'Approved-respond-any-failed')).toMatchObject({
      Choices: [
        { Variable: '$.results.contain.failure', Next: 'Approved-contain-summary-alert' },
        { Variable: '$.results.block.failure', Next: 'Approved-block-summary-alert' },
      ],
      Default: 'Approved-notify',
    });
    expect(stateOf(variant, 'Approved-block-summary-alert')).toMatchObject({ Next: 'Approved-block-branch-failed' });
    expect(stateOf(variant, 'Approved-block-branch-failed')).toMatchObject({ Type: 'Fail', ErrorPath: '$.results.block.failure.Error' });
  });

  it('sends a summary alert of the whole group before the Fail state: every step\'s outcome, the failed step named, its own failure never in the way', () => {
    const { definition } = compilePlaybook(compromised);
    expect(stateOf(definition, 'contain-and-preserve-any-failed')).toMatchObject({
      Choices: [{ Next: 'contain-summary-alert' }, { Next: 'evidence-summary-alert' }],
    });
    expect(stateOf(definition, 'evidence-summary-alert')).toEqual({
      Type: 'Task',
      Comment: expect.any(String) as unknown,
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: '${Fn_publish_alert}',
        Payload: {
          kind: 'failure',
          'incident.$': '$.incident',
          'mode.$': '$.mode',
          playbook: 'compromised-ec2',
          options: {},
          execution: expect.any(Object) as unknown,
          // The steps before the group, unwrapped as every alert has them.
          results: { 'Guard.$': '$.results.Guard.result' },
          // Every step of the group, as recorded: { result } or { failure }, whichever it is (a path
          // to the result of a step that failed would be a runtime error).
          group: { id: 'contain-and-preserve', failedStep: 'evidence', steps: { 'contain.$': '$.results.contain', 'evidence.$': '$.results.evidence' } },
          failure: { step: 'evidence', 'error.$': '$.results.evidence.failure.Error', 'cause.$': '$.results.evidence.failure.Cause' },
        },
      },
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.alertFailure', Next: 'evidence-branch-failed' }],
      Next: 'evidence-branch-failed',
    });
    // The guarded variants keep the prefixed state names; a nested group's steps are the outer group's.
    const nested = compilePlaybook(
      playbook([parallel('outer', [action('evidence', 'snapshot-volumes'), parallel('inner', [action('alert', 'notify'), action('second', 'notify')])])]),
    ).definition;
    expect((stateOf(nested, 'second-summary-alert').Parameters as { Payload: { group: unknown } }).Payload.group).toEqual({
      id: 'outer',
      failedStep: 'second',
      steps: { 'evidence.$': '$.results.evidence', 'alert.$': '$.results.alert', 'second.$': '$.results.second' },
    });
  });

  it('refuses a step id that clashes with a summary alert of a group step', () => {
    expect(() =>
      compilePlaybook(playbook([parallel('both', [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes')]), action('contain-summary-alert', 'notify')])),
    ).toThrow(PlaybookCompileError);
  });

  it('ends with a Succeed state after the check when the group is the last step, and checks a nested group once, after the outermost one', () => {
    const nested = compilePlaybook(
      playbook([parallel('outer', [action('evidence', 'snapshot-volumes'), parallel('inner', [action('alert', 'notify'), action('second', 'notify')])])]),
    ).definition;
    expect(stateOf(nested, 'outer')).toMatchObject({ Type: 'Parallel', Next: 'outer-any-failed' });
    expect(stateOf(nested, 'outer-any-failed')).toMatchObject({
      Choices: ['evidence', 'alert', 'second'].map((id) => ({ Variable: `$.results.${id}.failure`, IsPresent: true, Next: `${id}-summary-alert` })),
      Default: 'outer-none-failed',
    });
    expect(stateOf(nested, 'outer-none-failed')).toEqual({ Type: 'Succeed', Comment: expect.any(String) as unknown });
    const inner = (stateOf(nested, 'outer').Branches as AslDefinition[])[1]!.States.inner!;
    // The nested group is its branch's last state: its failures stay in its results for the outer check.
    expect(inner).toMatchObject({ Type: 'Parallel', End: true, OutputPath: '$.results' });
    expect(Object.keys(nested.States)).not.toContain('inner-any-failed');
  });

  it('ends every Parallel branch with its results only, never a copy of the whole state (incident included)', () => {
    const { definition } = compilePlaybook(compromised);
    const branches = stateOf(definition, 'contain-and-preserve').Branches as AslDefinition[];
    for (const branch of branches) {
      const ending = Object.values(branch.States).filter((state) => state.End === true);
      expect(ending.length).toBeGreaterThan(0);
      for (const state of ending) expect(state.OutputPath).toBe('$.results');
    }
  });

  it('lists the function placeholders it uses, publish-alert always included for failure alerts', () => {
    expect(compilePlaybook(compromised).substitutions).toEqual([
      'Fn_containment_guard',
      'Fn_publish_alert',
      'Fn_quarantine_instance',
      'Fn_snapshot_volumes',
    ]);
    expect(compilePlaybook(playbook([action('evidence', 'snapshot-volumes')])).substitutions).toEqual([
      'Fn_publish_alert',
      'Fn_snapshot_volumes',
    ]);
  });

  it('keeps every state name unique across the machine, branches included', () => {
    const { definition } = compilePlaybook(compromised);
    const names: string[] = [];
    const collect = (d: AslDefinition) => {
      for (const [name, state] of Object.entries(d.States)) {
        names.push(name);
        if (state.Type === 'Parallel') (state.Branches as AslDefinition[]).forEach(collect);
      }
    };
    collect(definition);
    expect(new Set(names).size).toBe(names.length);
    expect(taskStates(definition).map((task) => task.state)).toEqual([
      'Guard',
      'Guard-failure-alert',
      'contain',
      'contain-failure-alert',
      'evidence',
      'evidence-failure-alert',
      'contain-summary-alert',
      'evidence-summary-alert',
      'notify',
      'notify-failure-alert',
      'EvidenceOnly-evidence',
      'EvidenceOnly-evidence-failure-alert',
      'EvidenceOnly-notify',
      'EvidenceOnly-notify-failure-alert',
      'BeforeApproval-evidence',
      'BeforeApproval-evidence-failure-alert',
      'WaitForApproval',
      'WaitForApproval-failure-alert',
      'Approved-contain',
      'Approved-contain-failure-alert',
      'Approved-notify',
      'Approved-notify-failure-alert',
      'Rejected-notify',
      'Rejected-notify-failure-alert',
      'TimedOut-notify',
      'TimedOut-notify-failure-alert',
    ]);
  });

  it('passes a step with no earlier results an empty results map instead of a path that does not exist yet', () => {
    const { definition } = compilePlaybook(playbook([action('notify', 'notify')]));
    expect(stateOf(definition, 'notify')).toMatchObject({ Parameters: { Payload: { results: {} } } });
  });

  describe('refuses playbooks that cannot become a valid state machine', () => {
    it('two steps with the same id', () => {
      expect(() => compilePlaybook(playbook([action('notify', 'notify'), action('notify', 'notify')]))).toThrow(
        /state name "notify" is used twice/,
      );
    });

    it('a step id that clashes with a generated failure state', () => {
      expect(() =>
        compilePlaybook(playbook([action('notify', 'notify'), action('notify-failure-alert', 'notify')])),
      ).toThrow(PlaybookCompileError);
    });

    it('a step id with characters a JSONPath key cannot carry', () => {
      expect(() => compilePlaybook(playbook([action('notify people', 'notify')]))).toThrow(/may only contain/);
    });

    it('a step id too long for a state name once suffixed', () => {
      expect(() => compilePlaybook(playbook([action('x'.repeat(70), 'notify')]))).toThrow(/longer than 80/);
    });

    it('an option key ending in ".$", which Step Functions would evaluate as a JSONPath', () => {
      expect(() =>
        compilePlaybook(playbook([action('evidence', 'snapshot-volumes', { tags: { 'Owner.$': '$.incident' } })])),
      ).toThrow(/steps\.evidence\.with\.tags\.Owner\.\$/);
    });

    it('an option key CloudFormation would read as an intrinsic function (Ref, Fn::…): the definition goes into the template as an object', () => {
      // In the template's Definition object CloudFormation resolves {"Ref": …} and {"Fn::…": …}
      // (a tag map of one key is such an object): the deployed machine would differ from what the
      // game day runs, or the stack would not deploy.
      expect(() => compilePlaybook(playbook([action('evidence', 'snapshot-volumes', { tags: { Ref: 'AWS::AccountId' } })]))).toThrow(
        /steps\.evidence\.with\.tags\.Ref: .*CloudFormation would read it as an intrinsic function/,
      );
      expect(() => compilePlaybook(playbook([action('evidence', 'snapshot-volumes', { tags: { 'Fn::Sub': '${AWS::AccountId}' } })]))).toThrow(
        /steps\.evidence\.with\.tags\.Fn::Sub: /,
      );
      // Keys that only look alike stay literal.
      expect(() => compilePlaybook(playbook([action('evidence', 'snapshot-volumes', { tags: { Reference: 'x', 'fn-owner': 'y', ref: 'z' } })]))).not.toThrow();
    });

    it('a Security Hub write-back in a playbook that changes nothing (it has no guard, so no grant to act under)', () => {
      expect(() => compilePlaybook(playbook([action('alert', 'notify'), action('security-hub', 'update-security-hub-finding', { workflowStatus: 'NOTIFIED' })]))).toThrow(
        /changes no resources: the write-back acts only under the containment guard's grant/,
      );
      expect(() => compilePlaybook(playbook([action('contain', 'quarantine-instance'), action('alert', 'notify'), action('security-hub', 'update-security-hub-finding')]))).not.toThrow();
    });

    it('an empty playbook', () => {
      expect(() => compilePlaybook(playbook([]))).toThrow(/has no steps/);
    });
  });
});

describe('applySubstitutions', () => {
  it('replaces known placeholders and leaves unknown ones, as CloudFormation does', () => {
    expect(applySubstitutions('{"a":"${Fn_x}","b":"${Other}"}', { Fn_x: 'arn:x' })).toBe('{"a":"arn:x","b":"${Other}"}');
  });
});

describe('a compiled playbook executed with aws-local-stepfunctions', () => {
  const { definition } = compilePlaybook(compromised);

  /** Every responder answering as it does in dry-run. */
  const dryRunResponders = {
    'containment-guard': () => proceed,
    'quarantine-instance': () => result('quarantine-instance', 'dry-run'),
    'snapshot-volumes': () => result('snapshot-volumes', 'dry-run'),
    'publish-alert': () => ({ messageId: 'm-1' }),
  };

  it('ATTACK (review-pause): a dry-run playbook started by hand with mode enforce sends every step but the guard dry-run, the evidence step included', async () => {
    // Before: every step read $.mode, the hand-written input's enforce; the granted steps were held
    // to dry-run by the guard's grant (row 2e) but snapshot-volumes holds none and snapshotted for real.
    const trial = compilePlaybook({ ...compromised, mode: 'dry-run' });
    const run = await runLocally(trial.definition, input, {
      responders: dryRunResponders,
    });
    expect(run.status).toBe('SUCCEEDED');
    // The guard keeps the execution's own mode: it compares it with the execution's input (row 2l).
    expect(run.calls['containment-guard']!.map((call) => call.mode)).toEqual(['enforce']);
    expect(run.calls['snapshot-volumes']).toEqual([{ incident, mode: 'dry-run', options: { tags: { Case: 'IR' } }, execution }]);
    expect(run.calls['quarantine-instance']!.map((call) => call.mode)).toEqual(['dry-run']);
    expect(run.calls['publish-alert']!.map((call) => call.mode)).toEqual(['dry-run']);
  });

  it('tried (review-pause): an enforce playbook still sends its steps the execution\'s mode (dry-run when triage started it so)', async () => {
    const run = await runLocally(definition, { ...input, mode: 'dry-run' }, {
      responders: dryRunResponders,
    });
    expect(run.status).toBe('SUCCEEDED');
    for (const responder of ['containment-guard', 'quarantine-instance', 'snapshot-volumes', 'publish-alert']) {
      expect(run.calls[responder]!.map((call) => call.mode)).toEqual(['dry-run']);
    }
  });

  it('happy path: contains and preserves side by side, then reports both results in one alert', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => result('quarantine-instance', 'quarantined'),
        'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
        'publish-alert': () => ({ messageId: 'm-1' }),
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls['quarantine-instance']).toEqual([{ incident, mode: 'enforce', options: {}, execution }]);
    expect(run.calls['snapshot-volumes']).toEqual([
      { incident, mode: 'enforce', options: { tags: { Case: 'IR' } }, execution },
    ]);
    expect(run.calls['publish-alert']).toEqual([
      {
        kind: 'report',
        incident,
        mode: 'enforce',
        playbook: 'compromised-ec2',
        options: { advice: 'Rotate the credentials the instance could reach.' },
        execution,
        results: {
          Guard: proceed,
          contain: result('quarantine-instance', 'quarantined'),
          evidence: result('snapshot-volumes', 'snapshotted'),
        },
      },
    ]);
    expect(run.output).toMatchObject({
      results: {
        contain: { result: { status: 'quarantined' } },
        evidence: { result: { status: 'snapshotted' } },
        notify: { result: { messageId: 'm-1' } },
      },
    });
  });

  it('a manual playbook (also inside a parallel group) hands every step the person and reason it was started with', async () => {
    const manual = compilePlaybook(
      playbook(
        [
          { kind: 'parallel', id: 'both', branches: [action('release', 'release-instance'), action('evidence', 'snapshot-volumes')] },
          action('alert', 'notify'),
        ],
        { trigger: 'manual', approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' } },
      ),
    );
    const request = { requestedBy: 'arn:aws:sts::111122223333:assumed-role/incident-responder/alice', reason: 'investigation closed: false positive' };
    const run = await runLocally(manual.definition, { ...input, ...request }, {
      responders: {
        'containment-guard': () => proceed,
        'release-instance': () => result('release-instance'),
        'snapshot-volumes': () => result('snapshot-volumes'),
        'publish-alert': () => result('publish-alert'),
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls['release-instance']).toEqual([{ incident, mode: 'enforce', options: {}, execution, request }]);
    expect(run.calls['containment-guard']![0]!.request).toEqual(request);
    expect(run.calls['snapshot-volumes']![0]!.request).toEqual(request);
    expect(run.calls['publish-alert']![0]!.request).toEqual(request);
  });

  it('a throttled step (TransientResponderError twice) succeeds on retry without a failure alert', async () => {
    let attempts = 0;
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => {
          attempts += 1;
          if (attempts <= 2) throw namedError('TransientResponderError', 'RequestLimitExceeded');
          return result('quarantine-instance', 'quarantined');
        },
        'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
        'publish-alert': () => ({ messageId: 'm-1' }),
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls['quarantine-instance']).toHaveLength(3);
    expect(run.calls['publish-alert']!.map((call) => call.kind)).toEqual(['report']);
  });

  it('a transient error that never clears is retried 4 times, then alerted as a failure', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => {
          throw namedError('TransientResponderError', 'RequestLimitExceeded');
        },
        'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
        'publish-alert': () => ({ messageId: 'm-1' }),
      },
    });
    expect(run.calls['quarantine-instance']).toHaveLength(5);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TransientResponderError');
  });

  it('a step failing for good (ResponderFailedError) alerts the failure with the incident, step and error, then FAILS', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => {
          throw namedError('ResponderFailedError', 'InvalidGroup.NotFound: the isolation group vanished');
        },
        'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
        'publish-alert': () => ({ messageId: 'm-2' }),
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ResponderFailedError');
    expect(run.cause).toBe('InvalidGroup.NotFound: the isolation group vanished');
    expect(run.calls['quarantine-instance']).toHaveLength(1);
    expect(run.calls['publish-alert']).toEqual([
      {
        kind: 'failure',
        incident,
        mode: 'enforce',
        playbook: 'compromised-ec2',
        options: {},
        execution,
        // The guard's answer is the one result the failed branch had (the Parallel's input).
        results: { Guard: proceed },
        failure: {
          step: 'contain',
          error: 'ResponderFailedError',
          cause: 'InvalidGroup.NotFound: the isolation group vanished',
        },
      },
      // After the group: what every step of it did, so people learn the evidence was kept.
      {
        kind: 'failure',
        incident,
        mode: 'enforce',
        playbook: 'compromised-ec2',
        options: {},
        execution,
        results: { Guard: proceed },
        group: {
          id: 'contain-and-preserve',
          failedStep: 'contain',
          steps: {
            contain: { failure: { Error: 'ResponderFailedError', Cause: 'InvalidGroup.NotFound: the isolation group vanished' } },
            evidence: { result: result('snapshot-volumes', 'snapshotted') },
          },
        },
        failure: {
          step: 'contain',
          error: 'ResponderFailedError',
          cause: 'InvalidGroup.NotFound: the isolation group vanished',
        },
      },
    ]);
    expect(run.path.slice(-3)).toEqual(['contain-and-preserve-any-failed', 'contain-summary-alert', 'contain-branch-failed']);
    expect(run.path).not.toContain('notify');
  });

  it('a branch failing at once never stops containment in another branch: its retry runs, then the execution FAILS with the evidence error', async () => {
    let attempts = 0;
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        // Throttled past the SDK's retries once: only the state's Retry contains.
        'quarantine-instance': async () => {
          attempts += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (attempts === 1) throw namedError('TransientResponderError', 'ec2:ModifyNetworkInterfaceAttribute failed transiently (RequestLimitExceeded)');
          return result('quarantine-instance', 'quarantined');
        },
        'snapshot-volumes': () => {
          throw namedError('ResponderAccessDeniedError', 'ec2:CreateSnapshots was denied (UnauthorizedOperation)');
        },
        'publish-alert': () => ({ messageId: 'm-3' }),
      },
    });
    expect(run.calls['quarantine-instance']).toHaveLength(2);
    expect([run.status, run.error, run.cause]).toEqual(['FAILED', 'ResponderAccessDeniedError', 'ec2:CreateSnapshots was denied (UnauthorizedOperation)']);
    // The evidence step's failure alert at once, then the group's summary with the containment that
    // did happen; no report: the notify step never runs after a failure.
    expect(run.calls['publish-alert']).toEqual([
      expect.objectContaining({ kind: 'failure', failure: expect.objectContaining({ step: 'evidence' }) as unknown }),
      expect.objectContaining({
        kind: 'failure',
        results: { Guard: proceed },
        group: {
          id: 'contain-and-preserve',
          failedStep: 'evidence',
          steps: {
            contain: { result: result('quarantine-instance', 'quarantined') },
            evidence: { failure: { Error: 'ResponderAccessDeniedError', Cause: 'ec2:CreateSnapshots was denied (UnauthorizedOperation)' } },
          },
        },
        failure: { step: 'evidence', error: 'ResponderAccessDeniedError', cause: 'ec2:CreateSnapshots was denied (UnauthorizedOperation)' },
      }),
    ]);
    expect(run.path.slice(-3)).toEqual(['contain-and-preserve-any-failed', 'evidence-summary-alert', 'evidence-branch-failed']);
    expect(run.path).not.toContain('notify');
  });

  it('a containment failure never stops the evidence in another branch: the snapshot is retried and kept, then the execution FAILS', async () => {
    let attempts = 0;
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => {
          throw namedError('ResponderFailedError', 'InvalidGroup.NotFound: the isolation group vanished');
        },
        'snapshot-volumes': async () => {
          attempts += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (attempts === 1) throw namedError('TransientResponderError', 'ec2:CreateSnapshots failed transiently (RequestLimitExceeded)');
          return result('snapshot-volumes', 'snapshotted');
        },
        'publish-alert': () => ({ messageId: 'm-4' }),
      },
    });
    expect(run.calls['snapshot-volumes']).toHaveLength(2);
    expect([run.status, run.error]).toEqual(['FAILED', 'ResponderFailedError']);
    expect(run.path).toContain('contain-branch-failed');
    expect(run.path).not.toContain('notify');
  });

  it('both branches failing: each failure is alerted once in its branch, the summary names the first, and the execution FAILS with its error', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => {
          throw namedError('ResponderFailedError', 'the isolation group vanished');
        },
        'snapshot-volumes': () => {
          throw namedError('ResponderAccessDeniedError', 'ec2:CreateSnapshots was denied');
        },
        'publish-alert': () => ({ messageId: 'm-5' }),
      },
    });
    expect([run.status, run.error]).toEqual(['FAILED', 'ResponderFailedError']);
    const alerts = run.calls['publish-alert'] ?? [];
    expect(alerts.slice(0, 2).map((call) => (call.failure as { step: string }).step).sort()).toEqual(['contain', 'evidence']);
    // The summary names the first failed step in the group's order, and its group shows both failures.
    expect(alerts).toHaveLength(3);
    expect(alerts[2]).toMatchObject({
      failure: { step: 'contain', error: 'ResponderFailedError' },
      group: { steps: { contain: { failure: { Error: 'ResponderFailedError' } }, evidence: { failure: { Error: 'ResponderAccessDeniedError' } } } },
    });
  });

  it('a summary alert that fails itself still ends the execution FAILED with the branch step\'s error', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => result('quarantine-instance', 'quarantined'),
        'snapshot-volumes': () => {
          throw namedError('ResponderAccessDeniedError', 'ec2:CreateSnapshots was denied');
        },
        'publish-alert': (payload) => {
          if (payload.group !== undefined) throw namedError('ResponderFailedError', 'sns:Publish was denied');
          return { messageId: 'm-6' };
        },
      },
    });
    expect([run.status, run.error, run.cause]).toEqual(['FAILED', 'ResponderAccessDeniedError', 'ec2:CreateSnapshots was denied']);
    expect(run.path.slice(-2)).toEqual(['evidence-summary-alert', 'evidence-branch-failed']);
  });

  it('a later top-level step failing alerts with the results of the steps that did run', async () => {
    const sequential = compilePlaybook(
      playbook([action('evidence', 'snapshot-volumes'), action('contain', 'quarantine-instance'), action('notify', 'notify')]),
    );
    const run = await runLocally(sequential.definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
        'quarantine-instance': () => {
          throw namedError('ResponderAccessDeniedError', 'not authorized to perform ec2:ModifyNetworkInterfaceAttribute');
        },
        'publish-alert': () => ({ messageId: 'm-3' }),
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ResponderAccessDeniedError');
    expect(run.path).toEqual(['Guard', 'GuardDecision', 'evidence', 'contain', 'contain-failure-alert', 'playbook-failed']);
    expect(run.calls['publish-alert']).toEqual([
      expect.objectContaining({
        kind: 'failure',
        results: { Guard: proceed, evidence: result('snapshot-volumes', 'snapshotted') },
        failure: expect.objectContaining({ step: 'contain', error: 'ResponderAccessDeniedError' }) as unknown,
      }),
    ]);
  });

  it('still ends FAILED with the step error when the failure alert itself cannot be published', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => proceed,
        'quarantine-instance': () => {
          throw namedError('ResponderFailedError', 'boom');
        },
        'snapshot-volumes': () => result('snapshot-volumes', 'snapshotted'),
        'publish-alert': () => {
          throw namedError('ResponderFailedError', 'topic gone');
        },
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ResponderFailedError');
    expect(run.cause).toBe('boom');
  });
});
