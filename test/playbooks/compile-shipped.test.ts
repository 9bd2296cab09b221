/**
 * Every shipped playbook (playbooks/*.yaml), as the CDK app synthesizes it, executed with
 * aws-local-stepfunctions and its tasks stubbed: the happy path, a throttled step that succeeds on
 * retry, a step that fails for good (alert, then FAILED), and a duplicate start through the dispatcher.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/playbooks/compile';
import { applySubstitutions, GUARD_RESPONDER, GUARD_STATE, isGuardedPlaybook } from '../../lib/playbooks/compile';
import { DISPATCHER_STATES, stateMachinePlaceholder } from '../../lib/playbooks/dispatcher';
import { ACTIONS } from '../../lib/playbooks/actions';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import type { Playbook } from '../../lib/playbooks/model';
import { flattenSteps, isAutomatic } from '../../lib/playbooks/model';
import type { TriageDecision } from '../../lib/playbooks/triage';
import { playbookDecisionOf } from '../../lib/playbooks/triage';
import { routingTableFromEnvironment } from '../../lib/playbooks/routing';
import { PER_INSTANCE_ACTION } from '../../lib/playbooks/fan-out-names';
import { PER_CREDENTIAL_ACTION } from '../../lib/playbooks/fan-out-names';
import type { SynthesizedDefinitions } from '../../lib/stack/app';
import { synthesizeDefinitions } from '../../lib/stack/app';
import { PROJECT_ROOT } from '../../lib/stack/responder-function';
import { ec2Incident } from '../support/incidents';
import { guardResult } from './guarded-fixtures';
import type { ResponderStub } from './local-execution';
import { namedError, runLocally } from './local-execution';

const shipped = await loadPlaybookDirectory(`${PROJECT_ROOT}playbooks`);
const incident = ec2Incident();
const stateMachineArn = (name: string) => `arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-${name}`;

let definitions: SynthesizedDefinitions;
beforeAll(async () => {
  definitions = await synthesizeDefinitions();
}, 120_000);

/**
 * The synthesized definition; function placeholders stay, as the local engine keeps them: each
 * Lambda Task is stubbed by the responder its `${Fn_…}` placeholder names (see taskStates).
 */
function playbookDefinition(name: string): AslDefinition {
  return JSON.parse(definitions.playbooks[name]!.definition) as AslDefinition;
}

function responderResult(responder: string) {
  return { responder, incidentKey: incident.key, mode: 'enforce', status: 'done', idempotentReplay: false, actions: [] };
}

/** A stub for every responder the playbook uses (the guard lets containment proceed); `override` replaces some. */
function stubs(playbook: Playbook, override: Record<string, ResponderStub> = {}): Record<string, ResponderStub> {
  const responders = new Set(['publish-alert', ...flattenSteps(playbook.steps).map((step) => ACTIONS[step.action].responder)]);
  const proceed = () => guardResult('proceed', ['Blast radius: containment 1 of 5.']);
  return {
    ...Object.fromEntries([...responders].map((responder) => [responder, override[responder] ?? (() => responderResult(responder))])),
    ...(isGuardedPlaybook(playbook) ? { [GUARD_RESPONDER]: override[GUARD_RESPONDER] ?? proceed } : {}),
  };
}

function callsPerResponder(playbook: Playbook): Record<string, number> {
  const counts: Record<string, number> = isGuardedPlaybook(playbook) ? { [GUARD_RESPONDER]: 1 } : {};
  for (const step of flattenSteps(playbook.steps)) {
    const responder = ACTIONS[step.action].responder;
    counts[responder] = (counts[responder] ?? 0) + 1;
  }
  return counts;
}

const REQUESTED_BY = 'arn:aws:sts::111122223333:assumed-role/incident-responder/alice';
/** `firebreak dns unblock` names the domain too (only the unblock-dns-domain playbook reads it). */
const DNS_UNBLOCK = { domain: 'c2.example.net', force: false };
const takesRequestedDomain = (playbook: Playbook) => playbook.name === 'unblock-dns-domain';
/** What the dispatcher starts an automatic playbook with; what `firebreak release` (or `dns unblock`) starts a manual one with. */
const input = (playbook: Playbook) =>
  playbook.trigger !== 'manual'
    ? { incident, mode: 'enforce', playbook: playbook.name }
    : { incident, mode: 'enforce', playbook: playbook.name, requestedBy: REQUESTED_BY, reason: null, ...(takesRequestedDomain(playbook) ? { dnsUnblock: DNS_UNBLOCK } : {}) };

describe('the shipped playbooks', () => {
  it('are all deployed', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(definitions.playbooks).sort()).toEqual(shipped.map((playbook) => playbook.name).sort());
  });
});

// A playbook that starts per-instance or per-credential executions (contain-each-instance,
// contain-each-credential) is a Map of child executions, not responder calls: the game day runs it
// (attack-sequence-* and iam-attack-sequence-* scenarios), and test/playbooks/per-instance.test.ts
// and per-credential.test.ts check its states.
const stepwise = shipped.filter((playbook) => !flattenSteps(playbook.steps).some((step) => step.action === PER_INSTANCE_ACTION || step.action === PER_CREDENTIAL_ACTION));

describe.each(stepwise.map((playbook) => [playbook.name, playbook] as const))('shipped playbook %s, as synthesized', (_name, playbook) => {
  const steps = flattenSteps(playbook.steps);
  const first = steps[0]!;
  const firstResponder = ACTIONS[first.action].responder;

  it('happy path: runs every step once and reports every earlier result', async () => {
    const run = await runLocally(playbookDefinition(playbook.name), input(playbook), { responders: stubs(playbook) });
    expect(run.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(Object.entries(run.calls).map(([responder, calls]) => [responder, calls.length]))).toEqual(
      callsPerResponder(playbook),
    );
    // A guarded playbook keeps the guard's answer with the step results, and every alert shows it.
    const guard = isGuardedPlaybook(playbook) ? [GUARD_STATE] : [];
    expect(Object.keys((run.output as { results: object }).results).sort()).toEqual([...guard, ...steps.map((step) => step.id)].sort());
    const lastNotify = [...steps].reverse().find((step) => step.action === 'notify');
    if (lastNotify) {
      const report = run.calls['publish-alert']!.at(-1)!;
      expect(report).toMatchObject({ kind: 'report', incident, playbook: playbook.name });
      const earlier = [...guard, ...steps.slice(0, steps.indexOf(lastNotify)).map((step) => step.id)];
      expect(Object.keys(report.results as object).sort()).toEqual(earlier.sort());
    }
  });

  it(`a throttled step (${first.id} raising TransientResponderError twice) succeeds on retry`, async () => {
    let throttled = 0;
    const run = await runLocally(playbookDefinition(playbook.name), input(playbook), {
      responders: stubs(playbook, {
        [firstResponder]: (payload) => {
          if (throttled < 2 && payload.kind !== 'failure') {
            throttled += 1;
            throw namedError('TransientResponderError', 'RequestLimitExceeded: Request limit exceeded.');
          }
          return responderResult(firstResponder);
        },
      }),
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(throttled).toBe(2);
    expect(run.calls[firstResponder]).toHaveLength(callsPerResponder(playbook)[firstResponder]! + 2);
    expect((run.calls['publish-alert'] ?? []).filter((call) => call.kind === 'failure')).toEqual([]);
  });

  it(`a step failing for good (${first.id} raising ResponderFailedError) is alerted, then the execution FAILS`, async () => {
    const run = await runLocally(playbookDefinition(playbook.name), input(playbook), {
      responders: stubs(playbook, {
        [firstResponder]: (payload) => {
          if (payload.kind === 'failure') return responderResult('publish-alert');
          throw namedError('ResponderFailedError', 'InvalidInstanceID.Malformed');
        },
      }),
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ResponderFailedError');
    const failures = (run.calls['publish-alert'] ?? []).filter((call) => call.kind === 'failure');
    const failure = { step: first.id, error: 'ResponderFailedError', cause: 'InvalidInstanceID.Malformed' };
    // A step of a parallel group: its branch alerts at once, then the group's summary says what
    // every step of the group did, once every branch has finished.
    const firstGroup = playbook.steps.find((step) => step.kind === 'parallel' && flattenSteps([step]).includes(first));
    expect(failures).toEqual([
      expect.objectContaining({ incident, playbook: playbook.name, failure }),
      ...(firstGroup
        ? [expect.objectContaining({ incident, playbook: playbook.name, failure, group: { id: firstGroup.id, failedStep: first.id, steps: expect.any(Object) as unknown } })]
        : []),
    ]);
  });

  // A failed Parallel branch would stop the others in Step Functions (their retries included):
  // every branch step but the last is throttled once (its state's Retry is needed) while the last
  // fails for good at once; the others are still retried and succeed, then the execution FAILS.
  const group = playbook.steps.find((step) => step.kind === 'parallel');
  const branchSteps = group ? flattenSteps([group]) : [];
  const branchResponders = branchSteps.map((step) => ACTIONS[step.action].responder);
  const sideBySide = branchSteps.length > 1 && new Set(branchResponders).size === branchSteps.length && !branchResponders.includes('publish-alert');
  it.runIf(sideBySide)(`a branch of ${group?.id ?? 'its parallel group'} failing at once stops no other branch: their retries run, then the execution FAILS`, async () => {
    const failing = branchSteps.at(-1)!;
    const failingResponder = ACTIONS[failing.action].responder;
    const attempts: Record<string, number> = {};
    const throttledOnce = (responder: string): ResponderStub => async () => {
      attempts[responder] = (attempts[responder] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (attempts[responder] === 1) throw namedError('TransientResponderError', 'RequestLimitExceeded: Request limit exceeded.');
      return responderResult(responder);
    };
    const run = await runLocally(playbookDefinition(playbook.name), input(playbook), {
      responders: stubs(playbook, {
        ...Object.fromEntries(branchResponders.slice(0, -1).map((responder) => [responder, throttledOnce(responder)])),
        [failingResponder]: () => {
          throw namedError('ResponderFailedError', 'UnauthorizedOperation: You are not authorized to perform this operation.');
        },
      }),
    });
    expect(attempts).toEqual(Object.fromEntries(branchResponders.slice(0, -1).map((responder) => [responder, 2])));
    expect([run.status, run.error]).toEqual(['FAILED', 'ResponderFailedError']);
    const alerts = run.calls['publish-alert'] ?? [];
    expect(alerts.map((call) => [call.kind, (call.failure as { step?: string } | undefined)?.step])).toEqual([
      ['failure', failing.id],
      ['failure', failing.id],
    ]);
    // The summary after the group: every other branch's result, and the failed step's record.
    const summary = alerts[1]!.group as { id: string; failedStep: string; steps: Record<string, unknown> };
    expect([summary.id, summary.failedStep]).toEqual([group!.id, failing.id]);
    expect(summary.steps).toEqual(
      Object.fromEntries(
        branchSteps.map((step, index) => [
          step.id,
          step === failing
            ? { failure: { Error: 'ResponderFailedError', Cause: 'UnauthorizedOperation: You are not authorized to perform this operation.' } }
            : { result: responderResult(branchResponders[index]!) },
        ]),
      ),
    );
  });

  it('passes who asked (request) to the steps of a manual playbook only', async () => {
    const run = await runLocally(playbookDefinition(playbook.name), input(playbook), { responders: stubs(playbook) });
    // The guard is not a step of the playbook: it gets no request (manual playbooks are guarded too, issue 8).
    const stepCalls = Object.entries(run.calls).flatMap(([responder, calls]) => (responder === GUARD_RESPONDER ? [] : calls));
    expect(stepCalls.length).toBeGreaterThan(0);
    for (const call of stepCalls) {
      if (playbook.trigger !== 'manual') expect(call).not.toHaveProperty('request');
      else expect(call.request).toEqual({ requestedBy: REQUESTED_BY, reason: null, ...(takesRequestedDomain(playbook) ? { dnsUnblock: DNS_UNBLOCK } : {}) });
    }
  });

  it.runIf(!isAutomatic(playbook))('is left out of the dispatcher: triage never starts a manual playbook', () => {
    expect(definitions.dispatcher.definition).not.toContain(stateMachinePlaceholder(playbook.name));
    expect(Object.keys(definitions.dispatcher.substitutions)).not.toContain(stateMachinePlaceholder(playbook.name));
  });

  it.runIf(isAutomatic(playbook))('a duplicate delivery through the dispatcher starts it once', async () => {
    const synthesized = definitions.dispatcher;
    const dispatcher = JSON.parse(
      applySubstitutions(
        synthesized.definition,
        Object.fromEntries(shipped.map((p) => [stateMachinePlaceholder(p.name), stateMachineArn(p.name)])),
      ),
    ) as AslDefinition;
    const started: string[] = [];
    // The playbook's index as triage reads it: from the routing table of the synthesized triage function's environment.
    const routed = routingTableFromEnvironment(definitions.environments!.triage!).playbooks.find((p) => p.name === playbook.name)!;
    const triage: ResponderStub = () => {
      const decision: TriageDecision = {
        outcome: 'start-playbook',
        playbook: playbook.name,
        playbookIndex: routed.index,
        executionName: `${incident.key}-r1`,
        mode: 'enforce',
        steps: steps.map((step) => step.action),
        reasons: ['matched'],
        incident,
        error: null,
      };
      return { ...decision, playbookDecision: playbookDecisionOf(decision) };
    };
    const startExecution = (parameters: Record<string, unknown>) => {
      const key = `${String(parameters.StateMachineArn)}/${String(parameters.Name)}`;
      if (started.includes(key)) throw namedError('StepFunctions.ExecutionAlreadyExistsException', 'Execution Already Exists');
      started.push(key);
      return { ExecutionArn: key };
    };
    const deliver = () =>
      runLocally(dispatcher, { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} }, {
        responders: { triage, 'publish-alert': () => responderResult('publish-alert') },
        tasks: { [DISPATCHER_STATES.startPlaybook]: startExecution },
      });
    const first = await deliver();
    const second = await deliver();
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(started).toEqual([`${stateMachineArn(playbook.name)}/${incident.key}-r1`]);
    expect(second.path.at(-1)).toBe(DISPATCHER_STATES.duplicateDelivery);
  });
});
