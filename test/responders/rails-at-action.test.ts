/**
 * Rails where the action happens (issue 8): quarantine-instance and release-instance act only for
 * an execution the containment guard cleared (a matching grant, approved when it waits for a
 * person), in the deployment's mode (dry-run always wins), and for a game-day incident only on an
 * instance EC2 says opted in. Each rail is tried both ways: the attack fails, the legitimate run acts.
 */
import { DescribeInstancesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord, ContainmentGrant } from '../../lib/contracts/security';
import type { Incident } from '../../lib/incident/model';
import { deploymentModeOf, effectiveMode, forcedDryRunField, recordEffectiveMode } from '../../lib/responders/effective-mode';
import { ActionLog } from '../../lib/responders/action-log';
import { approvalKey, checkContainmentGrant, evaluateGrant, incidentDigest, InMemoryGrantStore, releaseGrantCheck } from '../../lib/responders/grants';
import { silentLogger } from '../../lib/responders/logging';
import type { QuarantineOptions } from '../../lib/responders/quarantine';
import { quarantineInstance } from '../../lib/responders/quarantine';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import type { ResponderInput } from '../../lib/responders/responder-input';
import { deployedStep, EXECUTION, EXECUTION_ARN, grantFor, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { releaseOptionsSchema } from '../../lib/responders/release';
import { deployedStepsOf } from '../../lib/responders/step-binding';
import { INSTANCE_ID, ec2Incident, ec2Resource } from '../support/incidents';
import { MUTATING_EC2_COMMANDS, TestClientFactory, describedInstance, givenGroups, givenInstance, givenMutationsSucceed, sdkError } from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const ENFORCE = { FIREBREAK_MODE: 'enforce' };
const DRY_RUN = { FIREBREAK_MODE: 'dry-run' };
const QUARANTINE_STEP = deployedStep(RESPONDER_NAMES.quarantineInstance, {});
const RELEASE_OPTIONS = releaseOptionsSchema.parse({});
const RELEASE_STEPS = deployedStepsOf({ FIREBREAK_PLAYBOOK_STEPS: '{"release-instance":[{}]}' }, releaseOptionsSchema);

let clients: TestClientFactory;

function input(incident: Incident = ec2Incident(), overrides: Partial<ResponderInput<QuarantineOptions>> = {}): ResponderInput<QuarantineOptions> {
  return {
    incident,
    mode: 'enforce',
    options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off', deregisterFromLoadBalancers: false },
    execution: EXECUTION,
    ...overrides,
  };
}

function quarantine(i: ResponderInput<QuarantineOptions>, grants: InMemoryGrantStore, environment: Record<string, string> = ENFORCE) {
  // The grant's playbook sends quarantine-instance exactly the input's options (FIREBREAK_PLAYBOOK_STEPS).
  return quarantineInstance(i, { clients, logger: silentLogger, records: new InMemoryQuarantineRecordStore(), grants, environment: { ...environment, ...playbookStepsEnvironment(i.options) }, now: () => NOW });
}

function mutatingCalls(): number {
  return MUTATING_EC2_COMMANDS.reduce((n, command) => n + ec2Mock.commandCalls(command as never).length, 0);
}

function ec2Calls(): number {
  return ec2Mock.calls().length;
}

beforeEach(() => {
  ec2Mock.reset();
  clients = new TestClientFactory();
  givenMutationsSucceed(ec2Mock);
  givenInstance(ec2Mock);
  givenGroups(ec2Mock);
});

afterEach(() => {
  ec2Mock.reset();
});

describe('effectiveMode', () => {
  it('is enforce only when both the input and the deployment say enforce', () => {
    expect(effectiveMode('enforce', ENFORCE)).toMatchObject({ mode: 'enforce', forcedDryRun: false });
    expect(effectiveMode('dry-run', ENFORCE)).toMatchObject({ mode: 'dry-run', forcedDryRun: false });
    expect(effectiveMode('dry-run', DRY_RUN)).toMatchObject({ mode: 'dry-run', forcedDryRun: false });
  });

  it('makes an enforce input dry-run in a dry-run deployment, and says why', () => {
    const mode = effectiveMode('enforce', DRY_RUN);
    expect(mode).toMatchObject({ mode: 'dry-run', requested: 'enforce', deployment: 'dry-run', forcedDryRun: true });
    expect(mode.reason).toContain('FIREBREAK_MODE=dry-run');
  });

  it('counts a missing or unreadable FIREBREAK_MODE as dry-run (fail safe, never into enforce)', () => {
    expect(deploymentModeOf({})).toBe('unset');
    expect(deploymentModeOf({ FIREBREAK_MODE: 'ENFORCE' })).toBe('invalid');
    expect(effectiveMode('enforce', {})).toMatchObject({ mode: 'dry-run', forcedDryRun: true });
    expect(effectiveMode('enforce', { FIREBREAK_MODE: 'yes' }).reason).toContain('not enforce or dry-run');
  });

  it('reads FIREBREAK_MODE trimmed, and a blank one as unset', () => {
    expect(deploymentModeOf({ FIREBREAK_MODE: ' enforce\n' })).toBe('enforce');
    expect(deploymentModeOf({ FIREBREAK_MODE: '\tdry-run ' })).toBe('dry-run');
    expect(deploymentModeOf({ FIREBREAK_MODE: '' })).toBe('unset');
    expect(deploymentModeOf({ FIREBREAK_MODE: ' \t' })).toBe('unset');
  });

  it('says in the reason which deployment setting made it dry-run', () => {
    expect(effectiveMode('enforce', {}).reason).toBe(
      'The input asked for enforce, but FIREBREAK_MODE is not set on this function, and a deployment that does not say enforce is dry-run: running as dry-run, nothing is changed.',
    );
    expect(effectiveMode('enforce', { FIREBREAK_MODE: 'yes' }).reason).toBe(
      'The input asked for enforce, but FIREBREAK_MODE is "yes", not enforce or dry-run, so the deployment counts as dry-run: running as dry-run, nothing is changed.',
    );
    expect(effectiveMode('enforce', DRY_RUN).reason).toBe(
      'The input asked for enforce, but this deployment runs in dry-run (FIREBREAK_MODE=dry-run): running as dry-run, nothing is changed.',
    );
  });

  it('reports a forced dry-run in the result and the log, and nothing when the mode was not lowered', () => {
    const forced = effectiveMode('enforce', DRY_RUN);
    const forcedLog = new ActionLog(() => NOW);
    recordEffectiveMode(forcedLog, 'i-target', forced);
    expect(forcedDryRunField(forced)).toEqual({ forcedDryRun: { requested: 'enforce', reason: forced.reason } });
    expect(forcedLog.actions).toEqual([expect.objectContaining({ api: 'firebreak:effective-mode', target: 'i-target', outcome: 'skipped', detail: forced.reason })]);

    for (const [requested, env] of [['enforce', ENFORCE], ['dry-run', ENFORCE], ['dry-run', DRY_RUN], ['dry-run', {}]] as const) {
      const mode = effectiveMode(requested, env);
      const log = new ActionLog(() => NOW);
      recordEffectiveMode(log, 'i-target', mode);
      expect(forcedDryRunField(mode)).toEqual({});
      expect(log.actions).toEqual([]);
    }
  });

  it('takes an extra ceiling (the grant) that can only lower the mode', () => {
    expect(effectiveMode('enforce', ENFORCE, { mode: 'dry-run', why: 'the grant is dry-run' })).toMatchObject({ mode: 'dry-run', forcedDryRun: true });
    expect(effectiveMode('dry-run', ENFORCE, { mode: 'enforce', why: 'x' })).toMatchObject({ mode: 'dry-run' });
  });
});

describe('evaluateGrant', () => {
  const incident = ec2Incident();
  const request = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain' as const, step: QUARANTINE_STEP };
  const grant = grantFor(incident, NOW);
  const approval = (decision: ApprovalRecord['decision']): ApprovalRecord => ({
    pk: approvalKey(EXECUTION_ARN),
    executionArn: EXECUTION_ARN,
    incidentKey: incident.key,
    requestedAt: NOW.toISOString(),
    ...(decision !== undefined ? { decision, decidedBy: 'arn:aws:sts::111122223333:assumed-role/OnCall/ana', decidedAt: NOW.toISOString() } : {}),
  });
  const deadline = new Date(NOW.getTime() + 3600_000);
  const awaiting: ContainmentGrant = {
    ...grant,
    status: 'awaiting-approval',
    approvalDeadline: deadline.toISOString(),
    onTimeout: 'evidence-only',
    expiresAt: Math.floor(deadline.getTime() / 1000) + 900,
  };

  it('allows the execution the grant names, for its incident, account, region and instance, in the grant mode', () => {
    expect(evaluateGrant(request, grant, undefined, NOW)).toMatchObject({ allowed: true, mode: 'enforce' });
    expect(evaluateGrant(request, { ...grant, mode: 'dry-run' }, undefined, NOW)).toMatchObject({ allowed: true, mode: 'dry-run' });
  });

  it.each([
    ['no execution', { ...request, executionArn: undefined }, grant, 'no-execution'],
    ['no grant', request, undefined, 'no-grant'],
    ['another instance', { ...request, instanceId: 'i-0fff0000aaaa11112' }, grant, 'mismatch'],
    ['another incident', { ...request, incident: { ...incident, key: 'gd-other' } }, grant, 'mismatch'],
    ['another account', { ...request, incident: { ...incident, account: '444455556666' } }, grant, 'mismatch'],
    ['another region', { ...request, incident: { ...incident, region: 'us-east-1' } }, grant, 'mismatch'],
    ['a release grant used to contain', request, { ...grant, kind: 'release' as const }, 'wrong-kind'],
    ['an expired grant', request, { ...grant, expiresAt: Math.floor(NOW.getTime() / 1000) }, 'expired'],
  ])('refuses %s', (_what, req, given, code) => {
    const check = evaluateGrant(req, given, undefined, NOW);
    expect(check).toMatchObject({ allowed: false, code });
    expect(check.allowed ? '' : check.reason).toContain('nothing was changed');
  });

  // Inputs as claims: a step invoked directly with the execution's key, account, region and instance,
  // but a field the rails read changed, is not the incident the grant was written for.
  it.each([
    ['the sample flag dropped', { ...incident, sample: true }, { ...incident, sample: false }],
    ['the game-day flag dropped', { ...incident, gameDay: true }, { ...incident, gameDay: false }],
    ["the intake's clip dropped", { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] as string[], event: { originalBytes: 409_600 } } }, incident],
    ['an unconfirmed clip claimed confirmed', { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] as string[], event: { originalBytes: 409_600 } } }, { ...incident, clipped: { ...{ tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] as string[], event: { originalBytes: 409_600 } }, event: { originalBytes: 409_600, confirmed: true as const } } }],
  ])("tried (review-inputs): refuses a step input with %s against the execution's incident", (_what, executions, claimed) => {
    const check = evaluateGrant({ ...request, incident: claimed as typeof incident }, { ...grant, incidentDigest: incidentDigest(executions as typeof incident) }, undefined, NOW);
    expect(check).toMatchObject({ allowed: false, code: 'mismatch' });
  });

  it('for an awaiting-approval grant: acts once approved (recording the approver), refuses while waiting and when rejected', () => {
    expect(evaluateGrant(request, awaiting, undefined, NOW)).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(evaluateGrant(request, awaiting, approval(undefined), NOW)).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(evaluateGrant(request, awaiting, approval('rejected'), NOW)).toMatchObject({ allowed: false, code: 'rejected' });
    expect(evaluateGrant(request, awaiting, approval('approved'), NOW)).toMatchObject({
      allowed: true,
      approvedBy: 'arn:aws:sts::111122223333:assumed-role/OnCall/ana',
    });
    // An approval recorded for another incident does not count.
    expect(evaluateGrant(request, awaiting, { ...approval('approved'), incidentKey: 'gd-other' }, NOW)).toMatchObject({ allowed: false });
  });

  it('after the deadline, acts only when the playbook says onTimeout contain', () => {
    const later = new Date(NOW.getTime() + 3600_000);
    expect(evaluateGrant(request, awaiting, undefined, later)).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(evaluateGrant(request, { ...awaiting, onTimeout: 'contain' }, undefined, later)).toMatchObject({ allowed: true });
    expect(evaluateGrant(request, { ...awaiting, onTimeout: 'contain' }, undefined, NOW)).toMatchObject({ allowed: false });
  });

  it('for a step that changes no subject (IncidentGrantRequest): any subject, the digest and kind still checked, expiry as asked', () => {
    const whole = { executionArn: EXECUTION_ARN, incident, kind: 'contain' as const, action: 'set the finding to NOTIFIED', expiry: 'enforced' as const, step: deployedStep(RESPONDER_NAMES.updateSecurityHubFinding, {}) };
    const expired = { ...grant, expiresAt: Math.floor(NOW.getTime() / 1000) };
    expect(evaluateGrant(whole, { ...grant, instanceId: 'iam-credentials' }, undefined, NOW)).toMatchObject({ allowed: true });
    expect(evaluateGrant(whole, expired, undefined, NOW)).toMatchObject({ allowed: false, code: 'expired', reason: expect.stringMatching(/^Refused to set the finding to NOTIFIED: /) });
    expect(evaluateGrant({ ...whole, expiry: 'ignored' }, expired, undefined, NOW)).toMatchObject({ allowed: true });
    expect(evaluateGrant({ ...whole, expiry: 'ignored' }, { ...expired, kind: 'release' }, undefined, NOW)).toMatchObject({ allowed: false, code: 'wrong-kind' });
    expect(evaluateGrant({ ...whole, incident: { ...incident, title: 'other' } }, grant, undefined, NOW)).toMatchObject({ allowed: false, code: 'mismatch' });
    expect(evaluateGrant(whole, awaiting, undefined, NOW)).toMatchObject({ allowed: false, code: 'awaiting-approval' });
  });

  it('reads the approval only for a grant that waits for one', async () => {
    const store = new InMemoryGrantStore();
    store.grants.set(EXECUTION_ARN, awaiting);
    store.approvals.set(EXECUTION_ARN, approval('approved'));
    expect(await checkContainmentGrant(request, store, NOW)).toMatchObject({ allowed: true });
    store.grants.set(EXECUTION_ARN, grant);
    store.approvals.set(EXECUTION_ARN, approval('rejected'));
    expect(await checkContainmentGrant(request, store, NOW)).toMatchObject({ allowed: true });
  });
});

describe('quarantine-instance under the rails', () => {
  it('invoked directly (no execution) changes nothing, makes no EC2 call and says why in its result', async () => {
    const result = await quarantine(input(ec2Incident(), { execution: undefined }), storeGranting(ec2Incident(), NOW));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'no-execution' } });
    expect(result.actions).toEqual([expect.objectContaining({ api: 'firebreak:check-grant', outcome: 'skipped' })]);
    expect(ec2Calls()).toBe(0);
    expect(clients.targets).toEqual([]);
  });

  it('with a forged execution (no grant written by the guard) changes nothing', async () => {
    const forged = { ...EXECUTION, executionArn: `${EXECUTION_ARN}-forged` };
    const result = await quarantine(input(ec2Incident(), { execution: forged }), storeGranting(ec2Incident(), NOW));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'no-grant' } });
    expect(ec2Calls()).toBe(0);
  });

  it("with another incident's grant (same execution, other instance) changes nothing", async () => {
    const other = ec2Incident({ resource: ec2Resource({ instanceId: 'i-0fff0000aaaa11112' }) });
    const result = await quarantine(input(other), storeGranting(ec2Incident(), NOW));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'mismatch' } });
    expect(result.refusal?.reason).toContain(`instance ${INSTANCE_ID}, not i-0fff0000aaaa11112`);
    expect(ec2Calls()).toBe(0);
  });

  it.each(['ABORTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT'])(
    'ATTACK: with the matching, unexpired grant of an execution Step Functions says is %s, changes nothing, makes no EC2 call and says why',
    async (status) => {
      const grants = storeGranting(ec2Incident(), NOW);
      grants.executions.set(EXECUTION_ARN, status);
      const result = await quarantine(input(), grants);
      expect(result).toMatchObject({ status: 'refused', refusal: { code: 'execution-not-running', reason: expect.stringContaining(`execution ${EXECUTION_ARN} is ${status}, not RUNNING`) } });
      expect(result.actions).toEqual([expect.objectContaining({ api: 'firebreak:check-grant', outcome: 'skipped' })]);
      expect(ec2Calls()).toBe(0);
      expect(clients.targets).toEqual([]);
    },
  );

  it("ATTACK: a released instance is not quarantined again with the old execution's proceed grant once that execution ended", async () => {
    const grants = storeGranting(ec2Incident(), NOW);
    grants.executions.set(EXECUTION_ARN, 'SUCCEEDED');
    expect(await quarantine(input(), grants)).toMatchObject({ status: 'refused', refusal: { code: 'execution-not-running' } });
    expect(mutatingCalls()).toBe(0);
  });

  it('with the matching grant, contains (the rail does not block everything)', async () => {
    const result = await quarantine(input(), storeGranting(ec2Incident(), NOW));
    expect(result.status).toBe('quarantined');
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
  });

  it("ATTACK (review-member): an answer holding another account's instance under the incident's instance id changes nothing", async () => {
    // The credentials of one account describe only its own instances; an answer owned by another
    // (a mixed-up client, a member account's proxy, a simulated account) is a claim about somebody else's.
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '999988887777', Instances: [describedInstance()] }] });
    const result = await quarantine(input(), storeGranting(ec2Incident(), NOW));
    expect(result.status).toBe('not-found');
    expect(mutatingCalls()).toBe(0);
  });

  it('with an enforce input in a dry-run deployment, sends only DryRun calls, and the result and the log say so', async () => {
    for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as never).rejects(sdkError('DryRunOperation', 412));
    const result = await quarantine(input(), storeGranting(ec2Incident(), NOW), DRY_RUN);
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce' } });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:effective-mode', outcome: 'skipped' }));
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).every((call) => call.args[0].input.DryRun === true)).toBe(true);
    expect(mutatingCalls()).toBeGreaterThan(0);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).filter((call) => call.args[0].input.DryRun !== true)).toHaveLength(0);
  });

  it('with a dry-run grant, stays dry-run even when its input and the deployment say enforce', async () => {
    for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as never).rejects(sdkError('DryRunOperation', 412));
    const result = await quarantine(input(), storeGranting(ec2Incident(), NOW, { mode: 'dry-run' }));
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run' });
    expect(result.forcedDryRun?.reason).toContain('dry-run only');
  });

  it('for a game-day incident, leaves an instance EC2 does not show opted in (the event cannot opt it in)', async () => {
    const drill = ec2Incident({ key: 'gameday-7ab9d1b3', gameDay: true, resource: ec2Resource({ tags: { 'firebreak:gameday-target': 'true' } }) });
    const result = await quarantine(input(drill), storeGranting(drill, NOW));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'not-a-gameday-target' } });
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(mutatingCalls()).toBe(0);
  });

  it('for a game-day incident, contains an instance tagged firebreak:gameday-target=true in EC2', async () => {
    givenInstance(ec2Mock, { tags: { Name: 'drill', 'firebreak:gameday-target': 'true' } });
    const drill = ec2Incident({ key: 'gameday-7ab9d1b3', gameDay: true });
    const result = await quarantine(input(drill), storeGranting(drill, NOW));
    expect(result.status).toBe('quarantined');
  });

  it("requires the opt-in tag when the guard's grant says game day, whatever this input claims", async () => {
    const claimedReal = ec2Incident({ gameDay: false });
    const result = await quarantine(input(claimedReal), storeGranting(claimedReal, NOW, { gameDay: true }));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'not-a-gameday-target' } });
    expect(mutatingCalls()).toBe(0);
  });

  it('treats a gameday- incident key as a game-day incident even without the flag', async () => {
    const drill = ec2Incident({ key: 'gameday-7ab9d1b3', gameDay: false });
    const result = await quarantine(input(drill), storeGranting(drill, NOW));
    expect(result.status).toBe('refused');
  });

  describe('protection, read again where the action happens (the guard judged it before the approval wait)', () => {
    const PROTECTED_TAG = { ...ENFORCE, FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' };
    // The guard cleared the execution at 10:00, then waited for a person; nobody answered and the
    // playbook says onTimeout contain, so the grant lets the step act after the deadline.
    const GUARD_AT = new Date('2026-11-20T10:00:00.000Z');
    const DEADLINE = new Date('2026-11-20T11:00:00.000Z');
    const AFTER_DEADLINE = new Date('2026-11-20T11:00:05.000Z');
    const waitedGrant = () =>
      storeGranting(ec2Incident(), GUARD_AT, {
        status: 'awaiting-approval',
        approvalDeadline: DEADLINE.toISOString(),
        onTimeout: 'contain',
        expiresAt: Math.floor(DEADLINE.getTime() / 1000) + 900,
      });
    const afterTheWait = (environment: Record<string, string>) =>
      quarantineInstance(input(), { clients, logger: silentLogger, records: new InMemoryQuarantineRecordStore(), grants: waitedGrant(), environment: { ...environment, ...playbookStepsEnvironment(input().options) }, now: () => AFTER_DEADLINE });

    it('refuses an instance tagged with the protected tag key during the wait: no ENI moved, nothing changed, and says why', async () => {
      givenInstance(ec2Mock, { tags: { Name: 'payments-db', 'firebreak:protected': '' } });
      const result = await afterTheWait(PROTECTED_TAG);
      expect(result).toMatchObject({ status: 'refused', instanceId: INSTANCE_ID, refusal: { code: 'protected' } });
      expect(result.refusal?.reason).toContain('firebreak:protected');
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:check-protection', target: INSTANCE_ID, outcome: 'skipped' }));
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
      expect(mutatingCalls()).toBe(0);
    });

    it('refuses an instance added to the protected instance ids during the wait (a redeploy)', async () => {
      const result = await afterTheWait({ ...ENFORCE, FIREBREAK_PROTECTED_INSTANCE_IDS: `i-0fff0000aaaa11112, ${INSTANCE_ID}` });
      expect(result).toMatchObject({ status: 'refused', refusal: { code: 'protected' } });
      expect(result.refusal?.reason).toContain('FIREBREAK_PROTECTED_INSTANCE_IDS');
      expect(mutatingCalls()).toBe(0);
    });

    it('contains after the wait when the instance is still unprotected (the tag key configured, absent on the instance)', async () => {
      const result = await afterTheWait(PROTECTED_TAG);
      expect(result.status).toBe('quarantined');
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
    });

    it('does not count the tag when the deployment sets no protected tag key (the rule is opt-in)', async () => {
      givenInstance(ec2Mock, { tags: { Name: 'web-1', 'firebreak:protected': 'true' } });
      const result = await afterTheWait(ENFORCE);
      expect(result.status).toBe('quarantined');
    });
  });
});

describe("release-instance's clearance: the guard's release grant (releaseGrantCheck)", () => {
  const QUARANTINE_KEY = 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';
  const incident = ec2Incident({ key: QUARANTINE_KEY });
  const target = { incident, instanceId: INSTANCE_ID, options: RELEASE_OPTIONS, request: undefined };
  const check = (grants: InMemoryGrantStore) => releaseGrantCheck(grants, RESPONDER_NAMES.releaseInstance, RELEASE_STEPS, () => NOW);
  const refusal = async (grants: InMemoryGrantStore) => {
    const verdict = await check(grants)(EXECUTION_ARN, target);
    return verdict.cleared ? undefined : verdict.reason;
  };
  const awaiting = {
    kind: 'release' as const,
    status: 'awaiting-approval' as const,
    approvalDeadline: new Date(NOW.getTime() + 3600_000).toISOString(),
    onTimeout: 'evidence-only' as const,
    expiresAt: Math.floor(NOW.getTime() / 1000) + 3600 + 900,
  };

  it('refuses an execution the guard never cleared, and a containment grant used for a release', async () => {
    expect(await refusal(new InMemoryGrantStore())).toContain('wrote no grant');
    expect(await refusal(storeGranting(incident, NOW))).toContain('allows contain, not release');
  });

  it("carries the grant's mode: a release the guard cleared for dry-run only says so", async () => {
    const grants = storeGranting(incident, NOW, { kind: 'release', playbook: 'release-instance', mode: 'dry-run' });
    expect(await check(grants)(EXECUTION_ARN, target)).toEqual({ cleared: true, playbook: 'release-instance', mode: 'dry-run', grantedAt: NOW.toISOString() });
  });

  it('refuses a release grant for another instance', async () => {
    const grants = storeGranting(incident, NOW, { ...awaiting, playbook: 'release-instance', instanceId: 'i-0fff0000aaaa11112' });
    expect(await refusal(grants)).toContain('instance i-0fff0000aaaa11112');
  });

  it('waits for the approval an awaiting-approval release grant needs, then clears', async () => {
    const grants = storeGranting(incident, NOW, { ...awaiting, playbook: 'release-instance' });
    expect(await refusal(grants)).toContain("waits for a person's approval");
    grants.approvals.set(EXECUTION_ARN, {
      pk: approvalKey(EXECUTION_ARN),
      executionArn: EXECUTION_ARN,
      incidentKey: QUARANTINE_KEY,
      requestedAt: NOW.toISOString(),
      decision: 'approved',
      decidedBy: 'arn:aws:sts::111122223333:assumed-role/OnCall/ana',
    });
    expect(await check(grants)(EXECUTION_ARN, target)).toEqual({ cleared: true, playbook: 'release-instance', mode: 'enforce', grantedAt: NOW.toISOString() });
  });
});
