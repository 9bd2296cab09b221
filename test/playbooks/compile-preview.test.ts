/**
 * The read-only run of a credential release before its approval (`Preview-<step>`, review s20):
 * the shipped release-credentials playbook, compiled, asks release-credentials with `preview: true`
 * just before WaitForApproval, and hands its result (or its error) to the approval request only.
 */
import { describe, expect, it } from 'vitest';
import { APPROVAL_WAIT_STATE, GUARDED_PATH_PREFIXES, compilePlaybook, isGeneratedStateName } from '../../lib/playbooks/compile';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { PROJECT_ROOT } from '../../lib/stack/responder-function';
import { ec2Incident } from '../support/incidents';
import { guardResult } from './guarded-fixtures';
import { namedError, runLocally } from './local-execution';

const shipped = await loadPlaybookDirectory(`${PROJECT_ROOT}playbooks`);
const playbook = shipped.find((p) => p.name === 'release-credentials')!;
const definition = compilePlaybook(playbook).definition;
const PREVIEW = `${GUARDED_PATH_PREFIXES.preview}release`;
const incident = ec2Incident();
const input = { incident, mode: 'enforce', playbook: 'release-credentials', requestedBy: 'arn:aws:sts::999988887777:assumed-role/OnCall/alice', reason: 'INC-1' };
const needsApproval = guardResult('needs-approval', ['The release-credentials playbook requires a person to approve.']);
const previewed = { responder: 'release-credentials', incidentKey: incident.key, mode: 'enforce', status: 'previewed', idempotentReplay: false, actions: [], preview: { readAt: '2026-11-20T10:00:02.000Z', keys: [] } };
const released = { responder: 'release-credentials', incidentKey: incident.key, mode: 'enforce', status: 'claim-released', idempotentReplay: false, actions: [], credentials: [] };
const APPROVED = { approved: true, by: 'arn:aws:sts::999988887777:assumed-role/OnCall/carol', at: '2026-11-20T10:05:00.000Z' };

describe('release-credentials, compiled: the preview before the approval', () => {
  it('asks the step\'s own function with preview: true, the same options and request, between the guard\'s decision and the wait', () => {
    const states = definition.States as Record<string, Record<string, unknown>>;
    expect((states.GuardDecision!.Choices as { StringEquals: string; Next: string }[]).find((c) => c.StringEquals === 'needs-approval')?.Next).toBe(PREVIEW);
    expect(states[PREVIEW]).toMatchObject({
      Type: 'Task',
      Parameters: { FunctionName: '${Fn_release_credentials}', Payload: { 'incident.$': '$.incident', 'mode.$': '$.mode', options: {}, request: { 'requestedBy.$': '$.requestedBy', 'reason.$': '$.reason' }, preview: true } },
      ResultPath: `$.results.${PREVIEW}`,
      Next: APPROVAL_WAIT_STATE,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: `$.results.${PREVIEW}.result`, Next: APPROVAL_WAIT_STATE }],
    });
    // The approval request reads it; the report after the release does not (the step's own result says what it did).
    const wait = states[APPROVAL_WAIT_STATE] as { Parameters: { Payload: { results: Record<string, string> } } };
    expect(wait.Parameters.Payload.results).toEqual({ 'Guard.$': '$.results.Guard.result', [`${PREVIEW}.$`]: `$.results.${PREVIEW}.result` });
    const report = states['Approved-alert'] as { Parameters: { Payload: { results: Record<string, string> } } };
    expect(Object.keys(report.Parameters.Payload.results)).not.toContain(`${PREVIEW}.$`);
    // No step id may take the preview's result key.
    expect(isGeneratedStateName(PREVIEW)).toBe(true);
  });

  it('runs: the request carries the preview\'s result, and the approved release runs once, without the flag', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => needsApproval,
        'release-credentials': (payload) => (payload.preview === true ? previewed : released),
        'publish-alert': () => ({ responder: 'publish-alert', status: 'published', actions: [] }),
      },
      answer: () => APPROVED,
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Guard', 'GuardDecision', PREVIEW, 'WaitForApproval', 'ApprovalGiven', 'Approved-release', 'Approved-alert']);
    expect(run.calls['release-credentials']!.map((payload) => payload.preview)).toEqual([true, undefined]);
    const [request, report] = run.calls['publish-alert']!;
    expect(request).toMatchObject({ kind: 'approval-request', results: { Guard: needsApproval, [PREVIEW]: previewed } });
    expect(Object.keys(report!.results as object)).toEqual(['Guard', 'release']);
  });

  it('a preview that fails for good does not hold the request back: its error is what the request shows', async () => {
    const run = await runLocally(definition, input, {
      responders: {
        'containment-guard': () => needsApproval,
        'release-credentials': (payload) => {
          if (payload.preview === true) throw namedError('ResponderAccessDeniedError', 'kms:VerifyMac denied');
          return released;
        },
        'publish-alert': () => ({ responder: 'publish-alert', status: 'published', actions: [] }),
      },
      answer: () => APPROVED,
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls['publish-alert']![0]).toMatchObject({ kind: 'approval-request', results: { [PREVIEW]: { Error: 'ResponderAccessDeniedError' } } });
    expect(run.path).toContain('Approved-release');
  });
});
