/**
 * verifyExecution, the guard's first check, called directly: each way an execution is refused, with
 * its reason, and which calls it makes. The guard's own tests (containment-guard.test.ts) try the
 * same refusals through the handler; these were written for the mutants Stryker found surviving
 * there (docs/testing.md): refusals made for one reason were caught by a later check for another.
 */
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../lib/incident/model';
import { claimedPlaybookKind, verifyExecution } from '../../lib/responders/containment-guard-execution';
import type { ContainmentGuardConfig } from '../../lib/responders/containment-guard-model';
import { incidentSchema } from '../../lib/responders/incident-schema';
import { EXECUTION } from '../support/grants';
import { ACCOUNT, REGION, ec2Incident, ec2Resource } from '../support/incidents';

const sfn = mockClient(SFNClient);
const ARN = EXECUTION.executionArn;
const RAILS = { 'compromised-ec2-instance': { approvalRequired: false, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'contain' } } as const;
const parsed = (incident: Incident): Incident => incidentSchema.parse(incident) as Incident;
const incident = parsed(ec2Incident());

function config(overrides: Partial<ContainmentGuardConfig> = {}): ContainmentGuardConfig {
  return {
    protectedInstanceIds: [],
    blastRadius: { maxContainments: 3, windowSeconds: 3600 },
    securityAccountId: ACCOUNT,
    region: REGION,
    stackName: 'Firebreak',
    rails: RAILS,
    ...overrides,
  };
}

/** The pauses verifyExecution asked for between reads (none taken: the test does not wait). */
let pauses: number[] = [];
const deps = (overrides: Partial<ContainmentGuardConfig> = {}) =>
  ({ clients: { sfn: () => new SFNClient({ region: REGION }) }, config: config(overrides), pause: async (milliseconds: number) => void pauses.push(milliseconds) }) as unknown as Parameters<typeof verifyExecution>[3];

function describes(answer: Record<string, unknown> = {}, running: unknown = incident, mode: unknown = 'enforce'): void {
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: ARN,
    stateMachineArn: EXECUTION.stateMachineArn,
    status: 'RUNNING',
    startDate: new Date(),
    input: JSON.stringify({ incident: running, mode }),
    ...answer,
  });
}

/** What the execution's own guard step sends: the execution's mode, the playbook's requireApproval. */
const OWN = { mode: 'enforce', requireApproval: false } as const;

const refusal = (why: string) => ({ verified: false, executionArn: ARN, reason: `Execution ${ARN} is not one this guard can clear (${why}): no containment grant; evidence and an alert only.` });

beforeEach(() => {
  sfn.reset();
  pauses = [];
});
afterEach(() => sfn.reset());

describe('verifyExecution', () => {
  it('says so, without a call, when the input names no execution', async () => {
    expect(await verifyExecution(undefined, incident, OWN, deps())).toEqual({
      verified: false,
      reason: 'The guard was invoked without a playbook execution (no execution ARN in its input): no containment grant is possible; evidence and an alert only.',
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([['stackName'], ['securityAccountId'], ['region']] as const)('refuses before any call when the deployment did not set its %s', async (field) => {
    describes();
    expect(await verifyExecution(ARN, incident, OWN, deps({ [field]: undefined }))).toEqual(
      refusal("the deployment's FIREBREAK_STACK_NAME, FIREBREAK_SECURITY_ACCOUNT_ID, AWS_REGION or FIREBREAK_PLAYBOOK_RAILS is not set on the guard"),
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses before any call when the deployment names no playbook rails', async () => {
    describes();
    expect(await verifyExecution(ARN, incident, OWN, deps({ rails: {} }))).toMatchObject({ verified: false });
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each(['ExecutionDoesNotExist', 'InvalidArn', 'AccessDeniedException', 'AccessDenied'])('takes %s from DescribeExecution as a refusal, not a failure', async (code) => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error(code), { name: code }));
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal(`states:DescribeExecution answered ${code}`));
  });

  it('classifies any other DescribeExecution error, naming the call', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('boom'), { name: 'ValidationException' }));
    await expect(verifyExecution(ARN, incident, OWN, deps())).rejects.toThrow('states:DescribeExecution failed (ValidationException): boom');
  });

  it('names the status of an execution that is not running, or says it is unknown', async () => {
    describes({ status: 'SUCCEEDED' });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('its status is SUCCEEDED, not RUNNING'));
    describes({ status: undefined });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('its status is unknown, not RUNNING'));
  });

  it('refuses a state machine ARN that is missing or not exactly one', async () => {
    describes({ stateMachineArn: undefined });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('its state machine ARN (none) is not a state machine ARN'));
    for (const arn of [`x${EXECUTION.stateMachineArn}`, `${EXECUTION.stateMachineArn}:extra`]) {
      describes({ stateMachineArn: arn });
      expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal(`its state machine ARN ${arn} is not a state machine ARN`));
    }
  });

  it("refuses a state machine in another region than the deployment's", async () => {
    describes({ stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:Firebreak-compromised-ec2-instance` });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal(`its state machine runs in ${ACCOUNT}/us-east-1, not in this deployment's ${ACCOUNT}/${REGION}`));
  });

  it("refuses a state machine named after a property every object has, which is no playbook's", async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      describes({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-${name}` });
      expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal(`its state machine Firebreak-${name} is not one of this deployment's guarded playbooks`));
    }
  });

  it('refuses an input that is not JSON, or carries no incident', async () => {
    describes({ input: 'not json' });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('its input is not JSON'));
    describes({ input: JSON.stringify({ mode: 'enforce' }) });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('its input carries no incident'));
  });

  it('names every field in which the execution incident differs from the one it was given', async () => {
    describes({}, parsed(ec2Incident({ key: 'gd-other', account: '444455556666', region: 'us-east-1', resource: ec2Resource({ instanceId: 'i-0fff0000aaaa11112' }) })));
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(
      refusal(`its input names incident gd-other, not ${incident.key}, account 444455556666, not ${ACCOUNT}, region us-east-1, not ${REGION}, instance i-0fff0000aaaa11112, not i-0abc1234def567890`),
    );
    const { resource: _r, ...rest } = incident;
    const bucket = parsed({ ...rest, resource: { kind: 'other', type: 'S3Bucket', id: 'evidence' } } as unknown as Incident);
    describes({}, bucket);
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('its input names instance none, not i-0abc1234def567890'));
    describes({}, incident);
    expect(await verifyExecution(ARN, bucket, OWN, deps())).toEqual(refusal('its input names instance i-0abc1234def567890, not none'));
  });

  it("names the one credential a per-credential execution is about when the guard's input names another, or none", async () => {
    const { resource: _r, ...rest } = incident;
    const keyOf = (userType: string) =>
      parsed({ ...rest, resource: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE', userName: 'ci-deployer', userType } } as unknown as Incident);
    const user = keyOf('IAMUser');
    const root = keyOf('Root');
    describes({}, user);
    expect(await verifyExecution(ARN, root, OWN, deps())).toEqual(refusal(`its input names credential access-key/${ACCOUNT}/akiaq3egrw6jcexample, not none`));
    describes({}, root);
    expect(await verifyExecution(ARN, user, OWN, deps())).toEqual(refusal(`its input names credential none, not access-key/${ACCOUNT}/akiaq3egrw6jcexample`));
  });

  it('gives the mode the execution was started in, when the invocation says the same', async () => {
    for (const mode of ['enforce', 'dry-run'] as const) {
      describes({}, incident, mode);
      const checked = await verifyExecution(ARN, incident, { ...OWN, mode }, deps());
      expect(checked).toMatchObject({ verified: true, playbook: 'compromised-ec2-instance', inputMode: mode });
    }
  });

  // Review guard-review: the first guard run writes the execution's grant and later runs keep it, so
  // an invocation that is not the execution's own guard step must not decide for it.
  // DescribeExecution is eventually consistent (API reference): the guard, the first state of its
  // execution, may ask before the execution it runs in is visible. Before review guard-review one
  // ExecutionDoesNotExist answered evidence-only for good, and a real compromise was not contained.
  it('reads again, after a short pause, an execution DescribeExecution does not know yet', async () => {
    sfn.on(DescribeExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }))
      .resolves({ executionArn: ARN, stateMachineArn: EXECUTION.stateMachineArn, status: 'RUNNING', startDate: new Date(), input: JSON.stringify({ incident, mode: 'enforce' }) });
    expect(await verifyExecution(ARN, incident, OWN, deps())).toMatchObject({ verified: true });
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: ARN }, { executionArn: ARN }]);
    expect(pauses).toEqual([250]);
  });

  it('refuses an execution that is still unknown after three reads, and reads only once on any other refusal', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('states:DescribeExecution answered ExecutionDoesNotExist'));
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(3);
    expect(pauses).toEqual([250, 750]);

    sfn.reset();
    pauses = [];
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    expect(await verifyExecution(ARN, incident, OWN, deps())).toEqual(refusal('states:DescribeExecution answered AccessDeniedException'));
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
    expect(pauses).toEqual([]);
  });

  it('refuses an execution whose input carries no mode its guard step could send', async () => {
    const inputs = [...['yes', null, 'ENFORCE', 'enforce '].map((mode) => JSON.stringify({ incident, mode })), JSON.stringify({ incident })];
    for (const input of inputs) {
      sfn.reset();
      describes({ input });
      expect(await verifyExecution(ARN, incident, OWN, deps()), input.slice(-30)).toEqual(refusal('its input carries no mode its guard step could send, enforce or dry-run'));
    }
  });

  it('ATTACK: refuses an invocation in dry-run for an execution started in enforce (its grant would lower the execution)', async () => {
    describes({}, incident, 'enforce');
    expect(await verifyExecution(ARN, incident, { ...OWN, mode: 'dry-run' }, deps())).toEqual(
      refusal("this invocation says dry-run, but the execution was started in enforce: only the execution's own guard step, which sends its mode, may clear it"),
    );
    // Enforce for a dry-run execution changes nothing: the execution's mode is the ceiling (inputMode).
    sfn.reset();
    describes({}, incident, 'dry-run');
    expect(await verifyExecution(ARN, incident, { ...OWN, mode: 'enforce' }, deps())).toMatchObject({ verified: true, inputMode: 'dry-run' });
  });

  it("ATTACK: refuses an invocation asking for an approval its playbook's rails do not require", async () => {
    describes();
    expect(await verifyExecution(ARN, incident, { ...OWN, requireApproval: true }, deps())).toEqual(
      refusal("this invocation says requireApproval: true, but playbook compromised-ec2-instance says false: only the execution's own guard step, which sends its playbook's, may clear it"),
    );
    // Where the rails require it, the invocation's word does not matter: the rails decide.
    const approving = { 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], approvalRequired: true } };
    for (const requireApproval of [true, false]) {
      expect(await verifyExecution(ARN, incident, { ...OWN, requireApproval }, deps({ rails: approving }))).toMatchObject({ verified: true });
    }
  });
});

describe('claimedPlaybookKind (what the unverified input names, for reading the pause ahead only)', () => {
  const rails = { ...RAILS, 'release-instance': { approvalRequired: true, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'release' } } as const;
  const claimed = (executionArn: string | undefined, overrides: Partial<ContainmentGuardConfig> = {}) => claimedPlaybookKind(executionArn, config({ rails, ...overrides }));

  it("names the kind of this deployment's playbook the execution ARN names", () => {
    expect(claimed(ARN)).toBe('contain');
    expect(claimed(`arn:aws:states:${REGION}:${ACCOUNT}:execution:Firebreak-release-instance:release-1`)).toBe('release');
  });

  it.each([
    ['no execution', undefined],
    ['another stack', `arn:aws:states:${REGION}:${ACCOUNT}:execution:Other-compromised-ec2-instance:x`],
    ['a playbook the deployment does not guard', `arn:aws:states:${REGION}:${ACCOUNT}:execution:Firebreak-default-alert:x`],
    ['a state machine ARN', EXECUTION.stateMachineArn],
    ['an Express execution', `arn:aws:states:${REGION}:${ACCOUNT}:express:Firebreak-compromised-ec2-instance:x:y`],
    ['an inherited property', `arn:aws:states:${REGION}:${ACCOUNT}:execution:Firebreak-constructor:x`],
    ['not an ARN', 'Firebreak-compromised-ec2-instance'],
  ])('claims nothing for %s', (_, executionArn) => {
    expect(claimed(executionArn)).toBeUndefined();
  });

  it('claims nothing without the stack name', () => {
    expect(claimed(ARN, { stackName: undefined })).toBeUndefined();
  });
});
