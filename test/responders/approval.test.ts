import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalExecutions } from '../../lib/responders/approval';
import { SfnApprovalExecutions, answerApproval, approverRefusal, createApprovalHandler, readApprovalConfig } from '../../lib/responders/approval';
import type { PendingApproval, StoredRequestHead } from '../../lib/responders/approval-records';
import { DynamoDbApprovalAnswers, DynamoDbApprovalRequests, DynamoDbApprovalStore, InMemoryApprovalStore, approvalRecordKey, approvalRequestId } from '../../lib/responders/approval-records';
import { silentLogger } from '../../lib/responders/logging';
import { subjectsOfIncident } from '../../lib/responders/approval-subjects';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';
import { INSTANCE_ID, ec2Incident } from '../support/incidents';
import { recordOfDefaultInstance, sdkError } from './quarantine-fixtures';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { buildCredentialReleaseRequest } from '../../lib/operator/credential-release';
import { PROOF_EXPIRES_SECONDS, callerProof } from '../../lib/operator/caller-proof';
import type { CallerProofVerifier, ProofFetch } from '../../lib/responders/caller-proof';
import { CALLER_PROOF_HEADER, CallerProofUnavailableError, StsCallerProofVerifier } from '../../lib/responders/caller-proof';
import { LocalCallerProofs } from '../../lib/gameday/caller-proofs';

const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-release-instance';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-i-0abc1234def567890-20261127T163000Z';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+token/with+chars=';
const CAROL = 'arn:aws:sts::111122223333:assumed-role/on-call/carol';
const DAVE = 'arn:aws:sts::111122223333:assumed-role/on-call/dave';
const NOW = new Date('2026-11-27T16:31:00.000Z');
const INCIDENT_KEY = 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';
/** The id `show` gives the request stored with TOKEN: the one every answer below names. */
const SHOWN = approvalRequestId(TOKEN);

const REQUEST: PendingApproval = {
  pk: approvalRecordKey(EXECUTION),
  executionArn: EXECUTION,
  incidentKey: INCIDENT_KEY,
  requestedAt: '2026-11-27T16:30:00.000Z',
  taskToken: TOKEN,
  playbook: 'release-instance',
  account: '111122223333',
  region: 'eu-west-1',
  instanceId: INSTANCE_ID,
  waitingSteps: ['release'],
  timeoutSeconds: 3600,
};

/** STS for the approvers' caller proofs (lib/gameday/caller-proofs.ts: real SigV4, checked at NOW). */
const proofs = new LocalCallerProofs('eu-west-1', () => NOW);

/**
 * A Function URL event as AWS builds it from `firebreak approve`'s request: the caller proof the CLI
 * makes, signed with the approver's own credentials; `signedWith`: the rest of what AWS
 * authenticated (the access key, the principal's unique id), which STS knows them by too.
 */
async function event(approver: string | undefined, body: unknown, signedWith: { accessKey?: string; userId?: string } = {}, signedAt = NOW): Promise<unknown> {
  const text = JSON.stringify(body);
  const credentials = approver ? proofs.credentialsOf(approver, { ...(signedWith.accessKey ? { accessKeyId: signedWith.accessKey } : {}), ...(signedWith.userId ? { userId: signedWith.userId } : {}) }) : undefined;
  return {
    version: '2.0',
    ...(credentials ? { headers: { [CALLER_PROOF_HEADER]: await callerProof('approval', text, 'eu-west-1', credentials, signedAt) } } : {}),
    requestContext: { http: { method: 'POST' }, ...(approver ? { authorizer: { iam: { userArn: approver, accessKey: credentials?.accessKeyId, ...signedWith } } } : {}) },
    body: text,
    isBase64Encoded: false,
  };
}

class FakeExecutions implements ApprovalExecutions {
  status = 'RUNNING';
  input: unknown = { incident: { key: INCIDENT_KEY } };
  readonly sent: unknown[] = [];
  /** Thrown by the next send (then cleared): a send that failed past the SDK's retries. */
  failNextSend: Error | undefined;
  /** The tokens the execution's history shows a task scheduled with. */
  readonly scheduledTokens = new Set([TOKEN]);
  /** Whether a task still waits on the token (SendTaskHeartbeat succeeds); the sends find it closed otherwise. */
  live = true;
  readonly heartbeats: string[] = [];
  async heartbeat(taskToken: string): Promise<'live' | 'closed'> {
    this.heartbeats.push(taskToken);
    return this.live ? 'live' : 'closed';
  }
  async scheduled(arn: string, taskToken: string) {
    return (arn === EXECUTION || arn.includes('gd-key-compromise')) && this.scheduledTokens.has(taskToken);
  }
  async describe(arn: string) {
    return arn === EXECUTION ? { status: this.status, stateMachineArn: MACHINE, input: JSON.stringify(this.input) } : undefined;
  }
  async sendSuccess(taskToken: string, output: string): Promise<'sent' | 'closed'> {
    this.failOnce();
    if (!this.live) return 'closed';
    this.sent.push({ success: taskToken, output: JSON.parse(output) as unknown });
    return 'sent' as const;
  }
  async sendFailure(taskToken: string, error: string, cause: string): Promise<'sent' | 'closed'> {
    this.failOnce();
    if (!this.live) return 'closed';
    this.sent.push({ failure: taskToken, error, cause: JSON.parse(cause) as unknown });
    return 'sent' as const;
  }
  private failOnce(): void {
    const failure = this.failNextSend;
    this.failNextSend = undefined;
    if (failure) throw failure;
  }
}

let store: InMemoryApprovalStore;
let executions: FakeExecutions;
const answer = async (approver: string | undefined, body: unknown, signedWith: { accessKey?: string; userId?: string } = {}) =>
  answerApproval(await event(approver, body, signedWith), {
    store,
    executions,
    callers: proofs,
    config: { stateMachineArns: [MACHINE], deniedRolePrefixes: ['firebreak-responder-'] },
    logger: silentLogger,
    now: () => NOW,
  });

beforeEach(async () => {
  store = new InMemoryApprovalStore();
  executions = new FakeExecutions();
  await store.putRequest(REQUEST);
});

describe('answerApproval: show, before an answer', () => {
  const RESOURCE = { kind: 'ec2-instance', instanceId: INSTANCE_ID };
  const releaseInput = {
    incident: { key: INCIDENT_KEY, findingType: 'Firebreak:Manual/ReleaseInstance', title: 'release requested by alice', severity: { score: 0, label: 'Low' }, resource: RESOURCE, tags: { big: 'x'.repeat(100) } },
    mode: 'enforce',
    playbook: 'release-instance',
    requestedBy: 'arn:aws:sts::111122223333:assumed-role/on-call/alice',
    reason: 'rebuilt from a clean image',
  };

  it("shows the waiting request and the execution's own target, sends nothing and records nothing", async () => {
    executions.input = releaseInput;
    const response = await answer(CAROL, { executionArn: EXECUTION, show: true });
    expect(response).toEqual({
      statusCode: 200,
      outcome: 'shown',
      message: 'release-instance waits for approval of release',
      executionArn: EXECUTION,
      requestedAt: REQUEST.requestedAt,
      request: {
        playbook: 'release-instance',
        incidentKey: INCIDENT_KEY,
        account: '111122223333',
        region: 'eu-west-1',
        waitingSteps: ['release'],
        requestId: SHOWN,
        requestedAt: REQUEST.requestedAt,
        expiresAt: '2026-11-27T17:30:00.000Z',
        status: 'RUNNING',
        findingType: 'Firebreak:Manual/ReleaseInstance',
        title: 'release requested by alice',
        severity: { score: 0, label: 'Low' },
        resource: RESOURCE,
        requestedBy: releaseInput.requestedBy,
        reason: 'rebuilt from a clean image',
      },
    });
    expect(executions.sent).toEqual([]);
    expect(await store.get(EXECUTION)).toEqual(REQUEST);
    expect(JSON.stringify(response)).not.toContain(TOKEN);
  });

  it("ATTACK (approve-timeout): shows the timeout path the guard's grant holds, so an approver knows silence contains (row 10j)", async () => {
    executions.input = releaseInput;
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: '2026-11-27T17:20:00.000Z', onTimeout: 'contain' });
    expect(await answer(CAROL, { executionArn: EXECUTION, show: true })).toMatchObject({ statusCode: 200, outcome: 'shown', request: { expiresAt: '2026-11-27T17:20:00.000Z', onTimeout: 'contain' } });
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: '2026-11-27T17:20:00.000Z', onTimeout: 'evidence-only' });
    expect(await answer(CAROL, { executionArn: EXECUTION, show: true })).toMatchObject({ request: { onTimeout: 'evidence-only' } });
  });

  it('shows what approving will and will not do, as the request\'s alert said it (review s20)', async () => {
    const notes = ['AWSDenyAll STAYS ATTACHED to user ci-deployer: incident gd-b still holds the user\'s other access key AKIAQ3EGRW6JDEXAMPLE contained'];
    store = new InMemoryApprovalStore();
    await store.putRequest({ ...REQUEST, notes });
    executions.input = releaseInput;
    expect(await answer(CAROL, { executionArn: EXECUTION, show: true })).toMatchObject({ statusCode: 200, outcome: 'shown', request: { notes } });
  });

  it('shows an answered request with who answered, and an ended execution as no longer waiting', async () => {
    await answer(DAVE, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'not yet' });
    expect(await answer(CAROL, { executionArn: EXECUTION, show: true })).toMatchObject({
      statusCode: 200,
      message: `rejected by ${DAVE} at ${NOW.toISOString()}`,
      request: { decision: 'rejected', decidedBy: DAVE, decidedAt: NOW.toISOString() },
    });
    store = new InMemoryApprovalStore();
    await store.putRequest(REQUEST);
    executions.status = 'TIMED_OUT';
    expect(await answer(CAROL, { executionArn: EXECUTION, show: true })).toMatchObject({ statusCode: 200, message: `${EXECUTION} is TIMED_OUT: it no longer waits for an answer`, request: { status: 'TIMED_OUT' } });
  });

  it('makes the checks an answer makes: unknown request, foreign execution, another incident, the instance itself', async () => {
    const other = EXECUTION.replace('20261127T163000Z', '20261127T170000Z');
    expect(await answer(CAROL, { executionArn: other, show: true })).toMatchObject({ statusCode: 404, outcome: 'refused' });
    executions.input = { incident: { key: 'gd-another-incident', title: 'decoy' } };
    const mismatch = await answer(CAROL, { executionArn: EXECUTION, show: true });
    expect(mismatch).toMatchObject({ statusCode: 409, outcome: 'refused', message: expect.stringContaining('runs gd-another-incident') });
    expect(JSON.stringify(mismatch)).not.toContain('decoy');
    executions.input = releaseInput;
    const self = await answer(`arn:aws:sts::111122223333:assumed-role/web-role/${INSTANCE_ID}`, { executionArn: EXECUTION, show: true });
    expect(self).toMatchObject({ statusCode: 403, outcome: 'refused' });
    expect(self.request).toBeUndefined();
    const foreign = await answerApproval(await event(CAROL, { executionArn: EXECUTION, show: true }), {
      store,
      executions,
      callers: proofs,
      config: { stateMachineArns: ['arn:aws:states:eu-west-1:111122223333:stateMachine:Other'], deniedRolePrefixes: [] },
      logger: silentLogger,
      now: () => NOW,
    });
    expect(foreign).toMatchObject({ statusCode: 403, outcome: 'refused' });
    expect(foreign.request).toBeUndefined();
    expect(executions.sent).toEqual([]);
  });

  it('refuses a show with anything else in it (strict), and `show: false` as a malformed answer', async () => {
    expect(await answer(CAROL, { executionArn: EXECUTION, show: true, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 400, outcome: 'refused' });
    expect(await answer(CAROL, { executionArn: EXECUTION, show: false })).toMatchObject({ statusCode: 400, outcome: 'refused' });
    expect(executions.sent).toEqual([]);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
  });
});

describe('answerApproval', () => {
  it('approves: records the approver AWS authenticated, then sends SendTaskSuccess { approved: true, approvedBy }', async () => {
    const response = await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN, reason: 'investigation closed' });
    expect(response).toEqual({
      statusCode: 200,
      outcome: 'approved',
      message: expect.any(String) as unknown,
      executionArn: EXECUTION,
      decidedBy: CAROL,
      decidedAt: NOW.toISOString(),
      // Issue 13: the request's time, so the approval wait can be measured (response metrics).
      requestedAt: REQUEST.requestedAt,
    });
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString(), reason: 'investigation closed' });
    expect(executions.sent).toEqual([
      { success: TOKEN, output: { approved: true, approvedBy: CAROL, by: CAROL, at: NOW.toISOString(), comment: 'investigation closed' } },
    ]);
    expect(JSON.stringify(response)).not.toContain(TOKEN);
  });

  it('rejects: records the decision, then sends SendTaskFailure Firebreak.ApprovalRejected with who and why', async () => {
    const response = await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'not yet' });
    expect(response).toMatchObject({ statusCode: 200, outcome: 'rejected', decidedBy: CAROL });
    expect(executions.sent).toEqual([{ failure: TOKEN, error: 'Firebreak.ApprovalRejected', cause: { by: CAROL, at: NOW.toISOString(), reason: 'not yet' } }]);
  });

  it('records nothing on a request stored again while the answer was being checked (a new attempt of the approval step): the new token is answered by the next answer (review approval-review)', async () => {
    const NEW_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+new-attempt=';
    // publish-alert replaces the request (the first attempt's token no longer waits) between the
    // function's read of it and its decision: the conditional put of approval-request.ts.
    class RestoredMeanwhile extends InMemoryApprovalStore {
      replaced = false;
      override async get(executionArn: string) {
        const read = await super.get(executionArn);
        if (!this.replaced) {
          this.replaced = true;
          expect(await this.replaceRequest({ ...REQUEST, taskToken: NEW_TOKEN, requestedAt: '2026-11-27T16:30:30.000Z' }, TOKEN)).toBe('replaced');
        }
        return read;
      }
    }
    store = new RestoredMeanwhile();
    await store.putRequest(REQUEST);
    executions.scheduledTokens.add(NEW_TOKEN);
    // Step Functions: only the new attempt's task waits.
    executions.sendFailure = async (taskToken: string, error: string, cause: string) => {
      if (taskToken !== NEW_TOKEN) return 'closed' as const;
      executions.sent.push({ failure: taskToken, error, cause: JSON.parse(cause) as unknown });
      return 'sent' as const;
    };
    const first = await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'load test' });
    expect(first).toMatchObject({ statusCode: 409, outcome: 'refused', message: expect.stringContaining('stored again') });
    // Nothing recorded on the new request: before, its record said rejected (with sentAt) while its task waited, unanswerable.
    expect(await store.get(EXECUTION)).toMatchObject({ taskToken: NEW_TOKEN });
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
    expect(executions.sent).toEqual([]);
    // The next answer is for the new request, once shown: the old one's id is refused, naming both.
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'load test' })).toMatchObject({ statusCode: 409, message: expect.stringContaining('is not the one stored') });
    const shownNow = await answer(CAROL, { executionArn: EXECUTION, show: true });
    expect(shownNow.request?.requestId).toBe(approvalRequestId(NEW_TOKEN));
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: shownNow.request?.requestId, reason: 'load test' })).toMatchObject({ statusCode: 200, outcome: 'rejected' });
    expect(executions.sent).toEqual([{ failure: NEW_TOKEN, error: 'Firebreak.ApprovalRejected', cause: { by: CAROL, at: NOW.toISOString(), reason: 'load test' } }]);
  });

  it("refuses to send a token its execution never scheduled: a request planted with another execution's live token (confused deputy, review approval-review)", async () => {
    const OTHER_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+another-execution=';
    // Stored first for this execution (publish-alert invoked by hand, or the table written): its
    // token is live, but in another execution, which the approval of this one would answer.
    store.records.set(EXECUTION, { ...REQUEST, taskToken: OTHER_TOKEN });
    for (const decision of ['approve', 'reject'] as const) {
      // Named as `show` names it: the id of the request stored.
      expect(await answer(CAROL, { executionArn: EXECUTION, decision, requestId: approvalRequestId(OTHER_TOKEN) })).toMatchObject({ statusCode: 409, outcome: 'refused', message: expect.stringContaining('never issued') });
    }
    expect(executions.sent).toEqual([]);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
  });

  it('refuses a second answer: one answer only, the first stands and no second token is sent', async () => {
    await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    const second = await answer(DAVE, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN });
    expect(second).toMatchObject({ statusCode: 409, outcome: 'refused', message: expect.stringContaining(`already approved by ${CAROL}`) });
    expect(executions.sent).toHaveLength(1);
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'approved', decidedBy: CAROL });
  });

  it('tried (review-approval): two approvers answering at the same instant, one approving and one rejecting: one answer is recorded and one token sent, the other refused', async () => {
    const [first, second] = await Promise.all([
      answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }),
      answer(DAVE, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN }),
    ]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 409]);
    expect(executions.sent).toHaveLength(1);
    const recorded = await store.get(EXECUTION);
    const winner = first.statusCode === 200 ? first : second;
    expect(recorded).toMatchObject({ decision: winner.outcome, decidedBy: winner.decidedBy });
  });

  it("tried (review-approval): an answer naming another execution's requestId (an old request seen once) is refused and sends nothing", async () => {
    const response = await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: approvalRequestId('an-old-request-token') });
    expect(response).toMatchObject({ statusCode: 409, outcome: 'refused' });
    expect(executions.sent).toEqual([]);
    expect(await store.get(EXECUTION)).not.toHaveProperty('decision');
  });

  it('marks the answer sent once Step Functions took it, and then refuses even the same answer again', async () => {
    await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'approved', decidedBy: CAROL, sentAt: NOW.toISOString() });
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 409, message: expect.stringContaining('one answer only') });
    expect(executions.sent).toHaveLength(1);
  });

  it('sends a recorded answer again when its delivery failed: to the same approver with the same answer, never to anyone else', async () => {
    executions.failNextSend = new TransientResponderError('states:SendTaskSuccess ThrottlingException');
    await expect(answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN, reason: 'investigation closed' })).rejects.toThrow(TransientResponderError);
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'approved', decidedBy: CAROL });
    expect((await store.get(EXECUTION))?.sentAt).toBeUndefined();

    // One answer only, still: another approver, or another answer, is refused and nothing is sent.
    const dave = await answer(DAVE, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    expect(dave).toMatchObject({ statusCode: 409, outcome: 'refused', message: expect.stringContaining(`already approved by ${CAROL}`) });
    expect(dave.message).toContain(`not delivered yet: only ${CAROL} can send it again`);
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({ statusCode: 409, outcome: 'refused' });
    expect(executions.sent).toEqual([]);

    // The same approver, the same answer: the recorded answer is delivered, as first decided.
    const later = new Date(NOW.getTime() + 60_000);
    const retry = await answerApproval(await event(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }), {
      store,
      executions,
      callers: proofs,
      config: { stateMachineArns: [MACHINE], deniedRolePrefixes: ['firebreak-responder-'] },
      logger: silentLogger,
      now: () => later,
    });
    expect(retry).toMatchObject({ statusCode: 200, outcome: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString(), message: expect.stringContaining(`as recorded at ${NOW.toISOString()}, sent again`) });
    expect(executions.sent).toEqual([
      { success: TOKEN, output: { approved: true, approvedBy: CAROL, by: CAROL, at: NOW.toISOString(), comment: 'investigation closed' } },
    ]);
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString(), sentAt: later.toISOString() });
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 409 });
    expect(executions.sent).toHaveLength(1);
  });

  it('sends a rejection again the same way (SendTaskFailure with the recorded cause)', async () => {
    executions.failNextSend = new TransientResponderError('states:SendTaskFailure 500');
    await expect(answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'not yet' })).rejects.toThrow(TransientResponderError);
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({ statusCode: 200, outcome: 'rejected' });
    expect(executions.sent).toEqual([{ failure: TOKEN, error: 'Firebreak.ApprovalRejected', cause: { by: CAROL, at: NOW.toISOString(), reason: 'not yet' } }]);
  });

  it('answers approved when the token went out but the record could not be marked sent (a later resend is harmless)', async () => {
    const warnings: string[] = [];
    store.markSent = async () => {
      throw new TransientResponderError('dynamodb:UpdateItem ThrottlingException');
    };
    const response = await answerApproval(await event(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }), {
      store,
      executions,
      callers: proofs,
      config: { stateMachineArns: [MACHINE], deniedRolePrefixes: [] },
      logger: { ...silentLogger, warn: (message: string) => warnings.push(message) },
      now: () => NOW,
    });
    expect(response).toMatchObject({ statusCode: 200, outcome: 'approved' });
    expect(executions.sent).toHaveLength(1);
    expect(warnings).toEqual(['approval sent, sentAt not recorded']);
  });

  it('refuses an unknown execution', async () => {
    const other = EXECUTION.replace('20261127T163000Z', '20261127T163001Z');
    expect(await answer(CAROL, { executionArn: other, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 404, outcome: 'refused' });
    expect(executions.sent).toHaveLength(0);
  });

  it('refuses an execution that no longer waits, and one of another state machine', async () => {
    executions.status = 'TIMED_OUT';
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 409, message: expect.stringContaining('TIMED_OUT') });
    executions.status = 'RUNNING';
    const foreign = await answerApproval(await event(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }), {
      store,
      executions,
      callers: proofs,
      config: { stateMachineArns: ['arn:aws:states:eu-west-1:111122223333:stateMachine:other'], deniedRolePrefixes: [] },
      logger: silentLogger,
      now: () => NOW,
    });
    expect(foreign).toMatchObject({ statusCode: 403 });
    expect(executions.sent).toHaveLength(0);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
  });

  it("refuses the incident instance's own role session, and Firebreak's roles, as approvers (nothing recorded, nothing sent)", async () => {
    const instanceSession = `arn:aws:sts::111122223333:assumed-role/web-app-role/${INSTANCE_ID}`;
    expect(await answer(instanceSession, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({
      statusCode: 403,
      message: expect.stringContaining('session of the instance'),
    });
    expect(await answer('arn:aws:sts::111122223333:assumed-role/firebreak-responder-eu-west-1-quarantine-instance/x', { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({
      statusCode: 403,
    });
    expect(executions.sent).toHaveLength(0);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
  });

  it('refuses a request without an IAM identity, a bad body, and a body naming its own approver (ignored: the identity is AWS’s)', async () => {
    expect(await answer(undefined, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 401 });
    expect(await answer(CAROL, { executionArn: 'nope', decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 400 });
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN, approvedBy: 'arn:aws:iam::111122223333:user/admin' })).toMatchObject({ statusCode: 400 });
    expect(executions.sent).toHaveLength(0);
  });

  it('refuses a request record that another execution did not write (incident keys disagree)', async () => {
    store.records.set(EXECUTION, { ...REQUEST, incidentKey: 'gd-someone-else' });
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 409, message: expect.stringContaining('not written by this execution') });
  });

  it('answers as a Function URL response with a JSON body', async () => {
    const handler = createApprovalHandler({ store, executions, callers: proofs, config: { stateMachineArns: [MACHINE], deniedRolePrefixes: [] }, logger: silentLogger, now: () => NOW });
    const response = await handler(await event(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toMatchObject({ outcome: 'approved', decidedBy: CAROL });
  });
});

describe('answerApproval: an answer is for the request its approver was shown (review approval-binding)', () => {
  const NEW_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+next-attempt=';
  const REPLACEMENT: PendingApproval = { ...REQUEST, taskToken: NEW_TOKEN, requestedAt: '2026-11-27T16:30:40.000Z', waitingSteps: ['release', 'restore-routes'] };

  it('ATTACK: refuses an answer to a request stored again between show and answer: 409 naming both requests, nothing recorded or sent', async () => {
    executions.scheduledTokens.add(NEW_TOKEN);
    const shown = await answer(CAROL, { executionArn: EXECUTION, show: true });
    expect(shown.request?.requestId).toBe(SHOWN);
    // publish-alert stores the request again for a new attempt of the approval step (the first
    // attempt's token no longer waits; the new one does) after the approver looked.
    expect(await store.replaceRequest(REPLACEMENT, TOKEN)).toBe('replaced');
    for (const decision of ['approve', 'reject'] as const) {
      const response = await answer(CAROL, { executionArn: EXECUTION, decision, requestId: shown.request?.requestId });
      expect(response).toEqual({
        statusCode: 409,
        outcome: 'refused',
        executionArn: EXECUTION,
        message: `the request shown (requestId ${SHOWN}) is not the one stored for ${EXECUTION} now (requestId ${approvalRequestId(NEW_TOKEN)}, requested at 2026-11-27T16:30:40.000Z): it was stored again after it was shown (a new attempt of its approval step, with a new task token). Nothing was recorded or sent; look at the new request (firebreak approve shows it) before answering it`,
      });
    }
    expect(executions.sent).toEqual([]);
    expect(executions.heartbeats).toEqual([]);
    expect(await store.get(EXECUTION)).toEqual(REPLACEMENT);
  });

  it('refuses an answer that names no request shown (an older firebreak, a request made by hand): 400, nothing recorded or sent', async () => {
    for (const decision of ['approve', 'reject'] as const) {
      const response = await answer(CAROL, { executionArn: EXECUTION, decision });
      expect(response).toMatchObject({ statusCode: 400, outcome: 'refused', executionArn: EXECUTION, message: expect.stringContaining('names no request it was shown (requestId)') });
      expect(response.message).toContain('nothing was recorded or sent');
    }
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: 'not-an-id' })).toMatchObject({ statusCode: 400, message: expect.stringContaining('requestId') });
    expect(executions.sent).toEqual([]);
    expect(await store.get(EXECUTION)).toEqual(REQUEST);
  });

  it('answers the request shown while it is the one stored, and sends its token', async () => {
    const shown = await answer(CAROL, { executionArn: EXECUTION, show: true });
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: shown.request?.requestId })).toMatchObject({ statusCode: 200, outcome: 'approved' });
    expect(executions.sent).toEqual([{ success: TOKEN, output: { approved: true, approvedBy: CAROL, by: CAROL, at: NOW.toISOString() } }]);
  });

  it("ATTACK (review s25): who may not look (the incident instance's own session) learns nothing of the stored request from a wrong requestId: 403, not 409 naming it", async () => {
    const instanceSession = `arn:aws:sts::111122223333:assumed-role/web-app-role/${INSTANCE_ID}`;
    expect(await answer(instanceSession, { executionArn: EXECUTION, show: true })).toMatchObject({ statusCode: 403 });
    const response = await answer(instanceSession, { executionArn: EXECUTION, decision: 'reject', requestId: 'f'.repeat(64) });
    // Before: 409 with the stored request's requestId and requestedAt, which show refuses it.
    expect(response).toMatchObject({ statusCode: 403, message: expect.stringContaining('session of the instance') });
    expect(response.message).not.toContain(SHOWN);
    expect(response.message).not.toContain(REQUEST.requestedAt);
    expect(executions.sent).toEqual([]);
  });

  it("names a request by its token's SHA-256: the same token the same id, another token another id, never the token", () => {
    expect(approvalRequestId(TOKEN)).toMatch(/^[0-9a-f]{64}$/);
    expect(approvalRequestId(TOKEN)).toBe(SHOWN);
    expect(approvalRequestId(NEW_TOKEN)).not.toBe(SHOWN);
    expect(SHOWN).not.toContain(TOKEN);
  });
});

describe('answerApproval: an answer after the request timed out changes nothing (review approval-late)', () => {
  /** requestedAt + timeoutSeconds of REQUEST. */
  const EXPIRES = '2026-11-27T17:30:00.000Z';
  /** The guard's deadline: its grant is written before the wait starts, so it comes a little earlier. */
  const GRANT_DEADLINE = '2026-11-27T17:29:58.000Z';
  const answerAt = async (at: Date, approver: string, body: unknown) => {
    // The approver answers at `at`, by STS's clock too.
    const sts = new LocalCallerProofs('eu-west-1', () => at);
    sts.credentialsOf(approver);
    return answerApproval(await event(approver, body, {}, at), { store, executions, callers: sts, config: { stateMachineArns: [MACHINE], deniedRolePrefixes: [] }, logger: silentLogger, now: () => at });
  };
  const nothingRecordedOrSent = async () => {
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
    expect(executions.sent).toEqual([]);
  };

  it("refuses an answer once the request's deadline has passed (requestedAt + timeoutSeconds): records nothing, sends nothing, says when it timed out", async () => {
    // Step Functions still lets the execution run (its timeout path), and the history still shows the token.
    for (const decision of ['approve', 'reject'] as const) {
      const response = await answerAt(new Date('2026-11-27T17:30:01.000Z'), CAROL, { executionArn: EXECUTION, decision, requestId: SHOWN });
      expect(response).toEqual({
        statusCode: 409,
        outcome: 'refused',
        executionArn: EXECUTION,
        message: `the approval request of ${EXECUTION} timed out at ${EXPIRES}: the playbook took its onTimeout path, which the approval function cannot read for this execution (see its history and its alerts). This ${decision === 'approve' ? 'approval' : 'rejection'} was not recorded and changes nothing.`,
      });
    }
    await nothingRecordedOrSent();
  });

  it("refuses at the guard's deadline when its grant names one, and says which path the playbook took (contain, evidence-only)", async () => {
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'contain' });
    expect(await answerAt(new Date('2026-11-27T17:29:59.000Z'), CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'a database' })).toMatchObject({
      statusCode: 409,
      outcome: 'refused',
      message: `the approval request of ${EXECUTION} timed out at ${GRANT_DEADLINE}: the playbook took its onTimeout path, contain (its waiting steps run without approval). This rejection was not recorded and changes nothing.`,
    });
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'evidence-only' });
    expect(await answerAt(new Date(GRANT_DEADLINE), CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({
      statusCode: 409,
      message: `the approval request of ${EXECUTION} timed out at ${GRANT_DEADLINE}: the playbook took its onTimeout path, evidence-only (its waiting steps do not run; contain by hand if it is still needed). This approval was not recorded and changes nothing.`,
    });
    await nothingRecordedOrSent();
  });

  it('refuses an answer when Step Functions says no task waits on the token any more (SendTaskHeartbeat before recording)', async () => {
    executions.live = false;
    const response = await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN });
    expect(response).toMatchObject({ statusCode: 409, outcome: 'refused', message: expect.stringContaining('Step Functions says no task waits on it any more') });
    expect(response.message).toContain('nothing was recorded or sent');
    expect(executions.heartbeats).toEqual([TOKEN]);
    await nothingRecordedOrSent();
  });

  it('asks Step Functions before recording an answer in time, and then records and sends it', async () => {
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'contain' });
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({ statusCode: 200, outcome: 'rejected' });
    expect(executions.heartbeats).toEqual([TOKEN]);
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'rejected', decidedAt: NOW.toISOString() });
  });

  it('still sends again a decision recorded in time whose delivery failed, after the deadline, without asking for a heartbeat (the earlier send may have reached the task)', async () => {
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'contain' });
    executions.failNextSend = new TransientResponderError('states:SendTaskFailure 500');
    await expect(answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).rejects.toThrow(TransientResponderError);
    const resent = await answerAt(new Date('2026-11-27T17:31:00.000Z'), CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN });
    expect(resent).toMatchObject({ statusCode: 200, outcome: 'rejected', decidedAt: NOW.toISOString() });
    expect(executions.heartbeats).toEqual([TOKEN]);
    expect(executions.sent).toHaveLength(1);
  });

  it('withdraws a first answer the task no longer took (it timed out between the heartbeat and the send): nothing stays on record to override the timeout path', async () => {
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'contain' });
    // Step Functions: the heartbeat finds the task waiting, the send a moment later no longer does.
    executions.sendFailure = async () => 'closed' as const;
    const response = await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'a database' });
    expect(response).toEqual({
      statusCode: 409,
      outcome: 'refused',
      executionArn: EXECUTION,
      message: `${EXECUTION} no longer waited when this rejection was sent (its wait timed out, or the execution moved on, after the check): Step Functions did not take it, so it was withdrawn and nothing is on record; the playbook took its onTimeout path, contain (its waiting steps run without approval), if the wait timed out. See its history.`,
    });
    expect(await store.get(EXECUTION)).not.toHaveProperty('decision');
    expect(await store.get(EXECUTION)).not.toHaveProperty('decidedAt');
  });

  it('keeps a decision sent again that Step Functions finds closed: an earlier send may have reached the task', async () => {
    executions.failNextSend = new TransientResponderError('states:SendTaskFailure 500');
    await expect(answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).rejects.toThrow(TransientResponderError);
    executions.sendFailure = async () => 'closed' as const;
    expect(await answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({ statusCode: 409, message: expect.stringContaining('or an earlier send reached it') });
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'rejected', decidedBy: CAROL });
  });

  it('records nothing for a request whose deadline cannot be read (publish-alert always stores it: someone else wrote this one)', async () => {
    store.records.set(EXECUTION, { ...REQUEST, requestedAt: 'soon' });
    await expect(answer(CAROL, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).rejects.toThrow(/has no readable deadline/);
    await nothingRecordedOrSent();
  });

  it('shows a request past its deadline as timed out, with the deadline the answer is refused at', async () => {
    store.timeoutPaths.set(EXECUTION, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'evidence-only' });
    const shown = await answerAt(new Date('2026-11-27T17:45:00.000Z'), CAROL, { executionArn: EXECUTION, show: true });
    expect(shown).toMatchObject({ statusCode: 200, outcome: 'shown', request: { expiresAt: GRANT_DEADLINE, timedOut: true } });
    expect(shown.message).toContain(`timed out at ${GRANT_DEADLINE}: the playbook took its onTimeout path, evidence-only`);
    const before = await answerAt(NOW, CAROL, { executionArn: EXECUTION, show: true });
    expect(before.request).toMatchObject({ expiresAt: GRANT_DEADLINE });
    expect(before.request).not.toHaveProperty('timedOut');
  });
});

describe('answerApproval: the subjects of the incident never answer it (review approval-review)', () => {
  const KEY = 'AKIAQ3EGRW6JDEXAMPLE';
  const ALICE_ID = 'AIDAQ3EGRW6JEXAMPLE1';
  const KEY_EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:gd-key-compromise-20261127T163000Z';
  const keyRequest: PendingApproval = { ...REQUEST, pk: approvalRecordKey(KEY_EXECUTION), executionArn: KEY_EXECUTION, playbook: 'iam-user-key-compromise', waitingSteps: ['disable-key'] };
  delete (keyRequest as { instanceId?: string }).instanceId;
  /** GuardDuty's key compromise of user alice, past the blast radius: the key stays Active while the containment waits for approval. */
  const keyIncident = ec2Incident({
    key: INCIDENT_KEY,
    findingType: 'UnauthorizedAccess:IAMUser/TorIPCaller',
    resource: { kind: 'access-key', accessKeyId: KEY, userName: 'alice', userType: 'IAMUser', principalId: ALICE_ID },
  });
  const answerAs = (approver: string, body: unknown, signedWith: { accessKey?: string; userId?: string } = {}) => answer(approver, body, signedWith);

  beforeEach(async () => {
    await store.putRequest(keyRequest);
    executions.describe = async (arn: string) =>
      arn === EXECUTION || arn === KEY_EXECUTION ? { status: executions.status, stateMachineArn: MACHINE, input: JSON.stringify(executions.input) } : undefined;
  });

  it('refuses the stolen key itself rejecting its own containment (signed with the key, as its user): nothing recorded, nothing sent', async () => {
    executions.input = { incident: keyIncident, mode: 'enforce' };
    const response = await answerAs('arn:aws:iam::111122223333:user/alice', { executionArn: KEY_EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'false positive' }, { accessKey: KEY, userId: ALICE_ID });
    expect(response).toMatchObject({ statusCode: 403, outcome: 'refused', message: expect.stringContaining(`signed with the access key ${KEY} this request is about`) });
    expect(executions.sent).toEqual([]);
    expect((await store.get(KEY_EXECUTION))?.decision).toBeUndefined();
  });

  it('refuses the user however AWS names them: another of their keys, a path, another case, the unique id after a rename', async () => {
    executions.input = { incident: keyIncident, mode: 'enforce' };
    for (const [approver, signedWith] of [
      ['arn:aws:iam::111122223333:user/alice', { accessKey: 'AKIAQ3EGRW6JOTHERKEY' }],
      ['arn:aws:iam::111122223333:user/engineering/oncall/alice', {}],
      ['arn:aws:iam::111122223333:user/Alice', {}],
      ['arn:aws:iam::111122223333:user/alice-renamed', { userId: ALICE_ID }],
      // (A request signed with KEY by anyone but alice cannot be had: STS knows whose key it is. approverRefusal's own test covers the key alone.)
    ] as const) {
      expect(await answerAs(approver, { executionArn: KEY_EXECUTION, decision: 'reject', requestId: SHOWN }, signedWith), approver).toMatchObject({ statusCode: 403, outcome: 'refused' });
      expect(await answerAs(approver, { executionArn: KEY_EXECUTION, show: true }, signedWith), approver).toMatchObject({ statusCode: 403, outcome: 'refused' });
    }
    expect(executions.sent).toEqual([]);
    // Someone else, with their own key, answers as before.
    expect(await answerAs(CAROL, { executionArn: KEY_EXECUTION, decision: 'approve', requestId: SHOWN }, { accessKey: 'ASIAQ3EGRW6JCAROLKEY', userId: 'AROAQ3EGRW6JONCALL01:carol' })).toMatchObject({ statusCode: 200, outcome: 'approved' });
  });

  it("refuses a federated user of the named user's account: sts:GetFederationToken with the stolen key names its session anything", async () => {
    executions.input = { incident: keyIncident, mode: 'enforce' };
    const federated = 'arn:aws:sts::111122223333:federated-user/oncall-bob';
    expect(await answerAs(federated, { executionArn: KEY_EXECUTION, decision: 'reject', requestId: SHOWN }, { accessKey: 'ASIAQ3EGRW6JFEDERATE', userId: '111122223333:oncall-bob' })).toMatchObject({
      statusCode: 403,
      outcome: 'refused',
      message: expect.stringContaining('federated'),
    });
    expect(executions.sent).toEqual([]);
    // Another account's federated users are not the named user's.
    expect(approverRefusal({ userArn: 'arn:aws:sts::444455556666:federated-user/oncall-bob' }, subjectsOfIncident(keyIncident), { deniedRolePrefixes: [] })).toBeUndefined();
  });

  it("refuses the user approving the release of their own key, as `firebreak credentials release` asks it", async () => {
    const release = buildCredentialReleaseRequest({
      account: '111122223333', region: 'eu-west-1', incidentKey: INCIDENT_KEY, mode: 'enforce', requestedBy: DAVE, reason: 'rotated', at: NOW,
      credential: { kind: 'access-key', accessKeyId: KEY, userName: 'alice' },
    });
    executions.input = { ...release.input, incident: { ...release.input.incident, key: INCIDENT_KEY } };
    expect(await answerAs('arn:aws:iam::111122223333:user/alice', { executionArn: KEY_EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 403, outcome: 'refused' });
    expect(executions.sent).toEqual([]);
    expect(await answerAs(CAROL, { executionArn: KEY_EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 200, outcome: 'approved' });
  });

  it("refuses a session of the role whose sessions were revoked approving the release of its own deny; another account's role of that name is not it", async () => {
    const release = buildCredentialReleaseRequest({
      account: '111122223333', region: 'eu-west-1', incidentKey: INCIDENT_KEY, mode: 'enforce', requestedBy: DAVE, reason: 'rotated', at: NOW,
      credential: { kind: 'role-sessions', roleName: 'ci-deployer' },
    });
    executions.input = { ...release.input, incident: { ...release.input.incident, key: INCIDENT_KEY } };
    expect(await answerAs('arn:aws:sts::111122223333:assumed-role/ci-deployer/new-session', { executionArn: KEY_EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 403, outcome: 'refused', message: expect.stringContaining('a session of the role ci-deployer') });
    expect(await answerAs('arn:aws:sts::111122223333:assumed-role/CI-Deployer/x', { executionArn: KEY_EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 403 });
    expect(executions.sent).toEqual([]);
    expect(await answerAs('arn:aws:sts::444455556666:assumed-role/ci-deployer/x', { executionArn: KEY_EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 200, outcome: 'approved' });
  });

  it("refuses the session of any instance the incident names, not only the stored request's", async () => {
    const second = 'i-0fedcba9876543210';
    executions.input = {
      incident: ec2Incident({ key: INCIDENT_KEY, affected: [{ kind: 'ec2-instance', from: 'resource', instanceId: INSTANCE_ID }, { kind: 'ec2-instance', from: 'service.detection.sequence.resources[1]', instanceId: second }] }),
    };
    expect(await answer(`arn:aws:sts::111122223333:assumed-role/batch-role/${second}`, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({ statusCode: 403, outcome: 'refused', message: expect.stringContaining(second) });
    expect(executions.sent).toEqual([]);
  });
});

describe("answerApproval: the deployment's approvers (approverArns), checked before anything about the request", () => {
  const ON_CALL_ROLE = 'arn:aws:iam::111122223333:role/teams/on-call';
  const ADMIN = 'arn:aws:sts::111122223333:assumed-role/Administrator/mallory';
  const CI = 'arn:aws:iam::111122223333:user/ci-deployer';
  const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    ...silentLogger,
    info: (message: string, fields: Record<string, unknown> = {}) => logged.push({ level: 'info', message, fields }),
    warn: (message: string, fields: Record<string, unknown> = {}) => logged.push({ level: 'warn', message, fields }),
  };
  const answerListed = async (approver: string, body: unknown, approverArns: readonly string[] = [ON_CALL_ROLE], signedWith: { accessKey?: string; userId?: string } = {}) =>
    answerApproval(await event(approver, body, signedWith), {
      store,
      executions,
      callers: proofs,
      config: { stateMachineArns: [MACHINE], deniedRolePrefixes: ['firebreak-responder-'], approverArns },
      logger,
      now: () => NOW,
    });

  beforeEach(() => {
    logged.length = 0;
  });

  it("admits a session of a role listed by its unique id, which STS gives the caller, and refuses one of a role created again under the listed role's name", async () => {
    const ROLE_ID = 'AROAQ3EGRW6JONCALL01';
    const onCall = 'arn:aws:sts::111122223333:assumed-role/on-call/erin';
    expect(await answerListed(onCall, { executionArn: EXECUTION, show: true }, [ROLE_ID], { accessKey: 'ASIAQ3EGRW6JERINKEY1', userId: `${ROLE_ID}:erin` })).toMatchObject({ statusCode: 200, outcome: 'shown' });
    // The same role name, another role: the id STS gives its sessions is not the one listed.
    const impostor = 'arn:aws:sts::111122223333:assumed-role/on-call/frank';
    expect(await answerListed(impostor, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }, [ROLE_ID], { accessKey: 'ASIAQ3EGRW6JFRANKKEY', userId: 'AROAQ3EGRW6JIMPOSTOR:frank' })).toMatchObject({ statusCode: 403 });
    expect(executions.sent).toEqual([]);
  });

  it('ATTACK: refuses an administrator the list does not name (lambda:* on the function): 403, nothing recorded, nothing sent, the refusal logged with its ARN', async () => {
    const response = await answerListed(ADMIN, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN, reason: 'noise' });
    expect(response).toEqual({
      statusCode: 403,
      outcome: 'refused',
      message: `${ADMIN} is not one of this deployment's approvers (approverArns): nothing was recorded or sent`,
    });
    expect(executions.sent).toEqual([]);
    expect(executions.heartbeats).toEqual([]);
    expect(await store.get(EXECUTION)).toEqual({ ...REQUEST, pk: approvalRecordKey(EXECUTION) });
    expect(logged).toEqual([{ level: 'warn', message: 'approval refused: not a listed approver', fields: { approver: ADMIN, executionArn: EXECUTION } }]);
  });

  it("refuses an unlisted caller's show the same way: it learns nothing of the request", async () => {
    const response = await answerListed(CI, { executionArn: EXECUTION, show: true });
    expect(response).toMatchObject({ statusCode: 403, outcome: 'refused', message: expect.stringContaining(`${CI} is not one of this deployment's approvers`) });
    expect(response.request).toBeUndefined();
    expect(JSON.stringify(response)).not.toContain(INCIDENT_KEY);
    expect(logged).toEqual([{ level: 'warn', message: 'approval refused: not a listed approver', fields: { approver: CI, executionArn: EXECUTION } }]);
  });

  it('refuses an unlisted caller before reading the request at all: no store read, no DescribeExecution', async () => {
    store.get = async () => {
      throw new Error('the request was read');
    };
    executions.describe = async () => {
      throw new Error('the execution was described');
    };
    expect(await answerListed(ADMIN, { executionArn: EXECUTION, show: true })).toMatchObject({ statusCode: 403 });
    expect(await answerListed(ADMIN, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 403 });
    // Whatever the body: a malformed one is refused as unlisted too, and the log names no execution.
    expect(await answerListed(ADMIN, { nonsense: true })).toMatchObject({ statusCode: 403 });
    expect(logged.at(-1)).toEqual({ level: 'warn', message: 'approval refused: not a listed approver', fields: { approver: ADMIN } });
  });

  it('ATTACK: a non-approver gets 403 for an answered request, not the 409 that says who answered it and when', async () => {
    expect(await answerListed('arn:aws:sts::111122223333:assumed-role/on-call/carol', { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 200 });
    const response = await answerListed(ADMIN, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN });
    expect(response.statusCode).toBe(403);
    expect(response.message).not.toContain('already');
    expect(response.message).not.toContain('carol');
  });

  it('ATTACK: a non-approver gets 403 for an execution that no longer waits, not the 409 that gives its status', async () => {
    executions.status = 'SUCCEEDED';
    const response = await answerListed(ADMIN, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    expect(response.statusCode).toBe(403);
    expect(response.message).not.toContain('SUCCEEDED');
  });

  it('lets a session of a listed role answer (its path is not in the session ARN), and a listed user', async () => {
    const carol = 'arn:aws:sts::111122223333:assumed-role/on-call/carol';
    expect(await answerListed(carol, { executionArn: EXECUTION, show: true })).toMatchObject({ statusCode: 200, outcome: 'shown' });
    expect(await answerListed(carol, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN })).toMatchObject({ statusCode: 200, outcome: 'approved', decidedBy: carol });
    expect(executions.sent).toHaveLength(1);
    store.records.set(EXECUTION, { ...REQUEST, pk: approvalRecordKey(EXECUTION) });
    executions.sent.length = 0;
    expect(await answerListed(CI, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN }, [CI])).toMatchObject({ statusCode: 200, outcome: 'rejected', decidedBy: CI });
  });

  it("still refuses a listed approver the incident names (the instance's own role session is listed by its role)", async () => {
    const instanceSession = `arn:aws:sts::111122223333:assumed-role/web-app-role/${INSTANCE_ID}`;
    const response = await answerListed(instanceSession, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }, ['arn:aws:iam::111122223333:role/web-app-role']);
    expect(response).toMatchObject({ statusCode: 403, message: expect.stringContaining('session of the instance') });
    expect(executions.sent).toEqual([]);
  });

  it('without a list (FIREBREAK_APPROVER_ARNS unset), IAM alone decides: any caller the function lets in may answer, as before', async () => {
    const unlisted = await answerApproval(await event(ADMIN, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }), {
      store,
      executions,
      callers: proofs,
      config: readApprovalConfig({ FIREBREAK_APPROVAL_STATE_MACHINES: MACHINE, FIREBREAK_DENIED_APPROVER_ROLE_PREFIXES: 'firebreak-responder-' }),
      logger,
      now: () => NOW,
    });
    expect(unlisted).toMatchObject({ statusCode: 200, outcome: 'approved', decidedBy: ADMIN });
  });

  it('ATTACK: FIREBREAK_APPROVER_ARNS set but listing nobody (empty, blanks, commas: the stack never writes it so) fails closed: everyone is refused', async () => {
    for (const garbled of ['', ' ', ',', ' , ']) {
      const config = readApprovalConfig({ FIREBREAK_APPROVAL_STATE_MACHINES: MACHINE, FIREBREAK_APPROVER_ARNS: garbled });
      expect(config.approverArns, JSON.stringify(garbled)).toEqual([]);
      const response = await answerApproval(await event(ADMIN, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN }), { store, executions, callers: proofs, config, logger, now: () => NOW });
      expect(response, JSON.stringify(garbled)).toMatchObject({ statusCode: 403, message: expect.stringContaining('is not one of this deployment\'s approvers') });
    }
    expect(executions.sent).toEqual([]);
  });

  it('ATTACK: FIREBREAK_APPROVER_ARNS garbled (no entry an ARN: a wildcard, separated by blanks) fails closed too', async () => {
    for (const garbled of ['*', `${ON_CALL_ROLE} ${CI}`, 'arn:aws:iam::111122223333:role/*']) {
      const config = readApprovalConfig({ FIREBREAK_APPROVAL_STATE_MACHINES: MACHINE, FIREBREAK_APPROVER_ARNS: garbled });
      for (const caller of [ADMIN, CI, 'arn:aws:sts::111122223333:assumed-role/on-call/carol']) {
        expect(await answerApproval(await event(caller, { executionArn: EXECUTION, show: true }), { store, executions, callers: proofs, config, logger, now: () => NOW }), `${garbled} ${caller}`).toMatchObject({ statusCode: 403 });
      }
    }
  });

  it('reads the list from FIREBREAK_APPROVER_ARNS (comma-separated), and none when it is unset', () => {
    expect(readApprovalConfig({ FIREBREAK_APPROVER_ARNS: `${ON_CALL_ROLE}, ${CI}` }).approverArns).toEqual([ON_CALL_ROLE, CI]);
    expect(readApprovalConfig({}).approverArns).toBeUndefined();
  });
});

describe('answerApproval: the principals the incident names learn nothing of the request state (403 before 409)', () => {
  const instanceSession = `arn:aws:sts::111122223333:assumed-role/web-app-role/${INSTANCE_ID}`;

  it('ATTACK: the instance\'s own session gets 403 for an answered request, not the 409 naming who answered', async () => {
    await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    const response = await answer(instanceSession, { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN });
    expect(response).toMatchObject({ statusCode: 403, message: expect.stringContaining('session of the instance') });
    expect(response.message).not.toContain(CAROL);
    expect(executions.sent).toHaveLength(1);
  });

  it("ATTACK: the instance's own session gets 403 for an execution that no longer waits, not the 409 giving its status", async () => {
    executions.status = 'ABORTED';
    const response = await answer(instanceSession, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    expect(response).toMatchObject({ statusCode: 403, message: expect.stringContaining('session of the instance') });
    expect(response.message).not.toContain('ABORTED');
  });

  it("and Firebreak's own roles get 403 for an answered request too", async () => {
    await answer(CAROL, { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN });
    expect(await answer('arn:aws:sts::111122223333:assumed-role/firebreak-responder-eu-west-1-quarantine-instance/x', { executionArn: EXECUTION, decision: 'reject', requestId: SHOWN })).toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("Firebreak's own roles"),
    });
  });
});

describe('approverRefusal', () => {
  const instance = [{ kind: 'instance' as const, instanceId: INSTANCE_ID }];
  it('lets people and unknown shapes through, refuses the instance session and Firebreak roles', () => {
    expect(approverRefusal({ userArn: 'arn:aws:iam::111122223333:user/alice' }, instance, { deniedRolePrefixes: ['firebreak-'] })).toBeUndefined();
    expect(approverRefusal({ userArn: CAROL }, instance, { deniedRolePrefixes: ['firebreak-'] })).toBeUndefined();
    expect(approverRefusal({ userArn: `arn:aws:sts::111122223333:assumed-role/any/${INSTANCE_ID}` }, instance, { deniedRolePrefixes: [] })).toMatch(/session of the instance/);
    expect(approverRefusal({ userArn: 'arn:aws:sts::111122223333:assumed-role/firebreak-x/y' }, [], { deniedRolePrefixes: ['firebreak-'] })).toMatch(/Firebreak's own roles/);
  });

  it('compares a user by account, name (any case, any path) or unique id; a role by account and name; a key by its id', () => {
    const user = [{ kind: 'iam-user' as const, userName: 'alice', account: '111122223333', principalId: 'AIDAQ3EGRW6JEXAMPLE1' }];
    expect(approverRefusal({ userArn: 'arn:aws:iam::111122223333:user/a/b/ALICE' }, user, { deniedRolePrefixes: [] })).toMatch(/the IAM user alice/);
    expect(approverRefusal({ userArn: 'arn:aws:iam::444455556666:user/alice' }, user, { deniedRolePrefixes: [] })).toBeUndefined();
    expect(approverRefusal({ userArn: 'arn:aws:iam::111122223333:user/bob', userId: 'AIDAQ3EGRW6JEXAMPLE1' }, user, { deniedRolePrefixes: [] })).toMatch(/principal AIDAQ3EGRW6JEXAMPLE1/);
    expect(approverRefusal({ userArn: 'arn:aws:iam::111122223333:user/alicea' }, user, { deniedRolePrefixes: [] })).toBeUndefined();
    const role = [{ kind: 'role' as const, roleName: 'ci-deployer', account: '111122223333' }];
    expect(approverRefusal({ userArn: 'arn:aws:sts::111122223333:assumed-role/ci-deployer/s' }, role, { deniedRolePrefixes: [] })).toMatch(/the role ci-deployer/);
    expect(approverRefusal({ userArn: 'arn:aws:sts::111122223333:assumed-role/ci-deployer-2/s' }, role, { deniedRolePrefixes: [] })).toBeUndefined();
    const key = [{ kind: 'access-key' as const, accessKeyId: 'AKIAQ3EGRW6JDEXAMPLE' }];
    expect(approverRefusal({ userArn: CAROL, accessKey: 'AKIAQ3EGRW6JDEXAMPLE' }, key, { deniedRolePrefixes: [] })).toMatch(/signed with the access key/);
    expect(approverRefusal({ userArn: CAROL, accessKey: 'ASIAQ3EGRW6JDEXAMPLE' }, key, { deniedRolePrefixes: [] })).toBeUndefined();
  });
});

describe('subjectsOfIncident', () => {
  it("reads the incident's resource and affected entries, strings only, the incident's account where an entry names none", () => {
    expect(
      subjectsOfIncident({
        account: '111122223333',
        resource: { kind: 'access-key', accessKeyId: 'ASIAQ3EGRW6JDEXAMPLE', userName: 'web-role', userType: 'AssumedRole', principalId: 'AROAQ3EGRW6JEXAMPLE1:i-0abc' },
        affected: [
          { kind: 'iam-user', userName: 'bob', account: '444455556666' },
          { kind: 'role-session', roleName: 'admin', accessKeyId: 'ASIAQ3EGRW6JOTHERKEY' },
          { kind: 'ec2-instance', instanceId: 42 },
          'nonsense',
        ],
      }),
    ).toEqual([
      { kind: 'access-key', accessKeyId: 'ASIAQ3EGRW6JDEXAMPLE' },
      { kind: 'role', roleName: 'web-role', account: '111122223333', principalId: 'AROAQ3EGRW6JEXAMPLE1' },
      { kind: 'iam-user', userName: 'bob', account: '444455556666' },
      { kind: 'role', roleName: 'admin', account: '111122223333' },
      { kind: 'access-key', accessKeyId: 'ASIAQ3EGRW6JOTHERKEY' },
    ]);
    expect(subjectsOfIncident(undefined)).toEqual([]);
    expect(subjectsOfIncident({ resource: { kind: 'other', type: 'S3Bucket', id: 'b' } })).toEqual([]);
  });
});

describe('SfnApprovalExecutions', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it('describes with DescribeExecution and answers with SendTaskSuccess / SendTaskFailure, exact inputs', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', stateMachineArn: MACHINE, input: '{}' });
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    const executions = new SfnApprovalExecutions(new SFNClient({ region: 'eu-west-1' }));
    expect(await executions.describe(EXECUTION)).toEqual({ status: 'RUNNING', stateMachineArn: MACHINE, input: '{}' });
    expect(await executions.sendSuccess(TOKEN, '{"approved":true}')).toBe('sent');
    expect(await executions.sendFailure(TOKEN, 'Firebreak.ApprovalRejected', '{"by":"x"}')).toBe('sent');
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input)).toEqual([{ executionArn: EXECUTION }]);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([{ taskToken: TOKEN, output: '{"approved":true}' }]);
    expect(sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: TOKEN, error: 'Firebreak.ApprovalRejected', cause: '{"by":"x"}' },
    ]);
  });

  it("finds a token in the execution's own TaskScheduled events, newest first, page by page: exact GetExecutionHistory inputs", async () => {
    const scheduled = (token: string) => ({ type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ FunctionName: 'publish-alert', Payload: { kind: 'approval-request', approval: { taskToken: token, timeoutSeconds: 3600 } } }) } });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [{ type: 'TaskSubmitted' }, { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{"Payload":{"note":"' + TOKEN.slice(0, 10) + '"}}' } }], nextToken: 'page-2' } as never)
      .resolvesOnce({ events: [scheduled(TOKEN)] } as never)
      .resolvesOnce({ events: [scheduled('another-token'), { type: 'ExecutionStarted' }] } as never)
      .rejectsOnce(sdkError('ExecutionDoesNotExist'));
    const executions = new SfnApprovalExecutions(new SFNClient({ region: 'eu-west-1' }));
    expect(await executions.scheduled(EXECUTION, TOKEN)).toBe(true);
    expect(await executions.scheduled(EXECUTION, TOKEN)).toBe(false);
    expect(await executions.scheduled(EXECUTION, TOKEN)).toBe(false);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, includeExecutionData: true },
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, includeExecutionData: true, nextToken: 'page-2' },
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, includeExecutionData: true },
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, includeExecutionData: true },
    ]);
  });

  // Review review-approval (row 5m): any TaskScheduled event carrying the token as any value counted.
  // Every task of a playbook is scheduled with the execution's incident, whose text is whoever started
  // it (states:StartExecution) or the finding's (a process's command line on the compromised
  // instance): another execution's live token written there passed as one this execution issued,
  // and approving this execution answered the other (row 5a″).
  it("ATTACK (review-approval): a token only the execution's input carries (its incident's text, passed to the guard and every step) was never scheduled by its approval wait", async () => {
    const incident = { key: 'gd-1', title: TOKEN, resource: { kind: 'ec2-instance', instanceId: INSTANCE_ID, tags: { note: TOKEN } } };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        // The approval wait of this execution, scheduled with its own token; the incident rides along.
        { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ FunctionName: 'publish-alert', Payload: { kind: 'approval-request', incident, approval: { taskToken: 'its-own-token', timeoutSeconds: 3600 } } }) } },
        // The guard, scheduled with the incident.
        { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: JSON.stringify({ FunctionName: 'containment-guard', Payload: { incident, approval: { taskToken: TOKEN } } }) } },
      ],
    } as never);
    const executions = new SfnApprovalExecutions(new SFNClient({ region: 'eu-west-1' }));
    expect(await executions.scheduled(EXECUTION, TOKEN)).toBe(false);
    expect(await executions.scheduled(EXECUTION, 'its-own-token')).toBe(true);
  });

  it('asks whether a task waits on a token with SendTaskHeartbeat, exact input, and says closed for each of Step Functions\' answers for a task gone', async () => {
    sfn.on(SendTaskHeartbeatCommand).resolvesOnce({}).rejectsOnce(sdkError('TaskTimedOut')).rejectsOnce(sdkError('TaskDoesNotExist')).rejectsOnce(sdkError('InvalidToken')).rejectsOnce(sdkError('ThrottlingException'));
    const executions = new SfnApprovalExecutions(new SFNClient({ region: 'eu-west-1' }));
    expect(await executions.heartbeat(TOKEN)).toBe('live');
    for (let closed = 0; closed < 3; closed += 1) expect(await executions.heartbeat(TOKEN)).toBe('closed');
    await expect(executions.heartbeat(TOKEN)).rejects.toThrow(/states:SendTaskHeartbeat/);
    expect(sfn.commandCalls(SendTaskHeartbeatCommand).map((c) => c.args[0].input)).toEqual(Array.from({ length: 5 }, () => ({ taskToken: TOKEN })));
  });

  it('says closed when the task no longer waits, and undefined for an unknown execution', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(sdkError('TaskTimedOut'));
    sfn.on(DescribeExecutionCommand).rejects(sdkError('ExecutionDoesNotExist'));
    const executions = new SfnApprovalExecutions(new SFNClient({ region: 'eu-west-1' }));
    expect(await executions.sendSuccess(TOKEN, '{}')).toBe('closed');
    expect(await executions.describe(EXECUTION)).toBeUndefined();
  });
});

describe('DynamoDbApprovalStore', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const TABLE = 'firebreak-state';
  beforeEach(() => dynamodb.reset());
  /** REQUEST as the table stores it (PutItem's Item). */
  const storedRequestItem = () => ({
    pk: { S: `approval#${EXECUTION}` },
    executionArn: { S: EXECUTION },
    incidentKey: { S: INCIDENT_KEY },
    requestedAt: { S: REQUEST.requestedAt },
    taskToken: { S: TOKEN },
    playbook: { S: 'release-instance' },
    account: { S: '111122223333' },
    region: { S: 'eu-west-1' },
    instanceId: { S: INSTANCE_ID },
    waitingSteps: { L: [{ S: 'release' }] },
    timeoutSeconds: { N: '3600' },
  });

  it('stores a request once (conditional put), with the token in the item only', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE).putRequest(REQUEST);
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: storedRequestItem(),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('answers a put that finds a request in place with its request time and timeout too (its deadline is counted from them)', async () => {
    dynamodb.on(PutItemCommand).rejects(Object.assign(sdkError('ConditionalCheckFailedException'), { Item: storedRequestItem() }));
    expect(await new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE).putRequest(REQUEST)).toEqual({
      existing: { taskToken: TOKEN, decided: false, requestedAt: REQUEST.requestedAt, timeoutSeconds: 3600 },
    });
  });

  it('answers a put that finds a request in place with that request\'s token and whether it is answered', async () => {
    const found = Object.assign(sdkError('ConditionalCheckFailedException'), { Item: { pk: { S: `approval#${EXECUTION}` }, taskToken: { S: 'older' }, decision: { S: 'approved' } } });
    dynamodb.on(PutItemCommand).rejects(found);
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await store.putRequest(REQUEST)).toEqual({ existing: { taskToken: 'older', decided: true, answers: [{ decision: 'approved' }] } });
  });

  // Session 37 (row 5q): what publish-alert needs to keep an earlier execution's answer when the new
  // run's request replaces it comes back with the refused put: that answer and those it kept.
  it('ATTACK (approvals): answers a put that finds an answered request with its answer and the earlier ones it keeps, newest first', async () => {
    const Item = {
      ...storedRequestItem(),
      taskToken: { S: 'older' },
      decision: { S: 'approved' },
      decidedBy: { S: 'arn:aws:iam::111122223333:user/alice' },
      decidedAt: { S: '2026-08-17T09:12:00.000Z' },
      sentAt: { S: '2026-08-17T09:12:01.000Z' },
      earlierDecisions: { L: [{ M: { decision: { S: 'rejected' }, decidedBy: { S: 'arn:aws:iam::111122223333:user/bob' }, decidedAt: { S: '2026-05-01T00:00:00.000Z' } } }, { M: { decision: { S: 'maybe' } } }, { S: 'not a map' }] },
    };
    dynamodb.on(PutItemCommand).rejects(Object.assign(sdkError('ConditionalCheckFailedException'), { Item }));
    const { existing } = (await new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE).putRequest(REQUEST)) as { existing: StoredRequestHead };
    expect(existing.answers).toEqual([
      {
        requestedAt: REQUEST.requestedAt,
        incidentKey: INCIDENT_KEY,
        playbook: 'release-instance',
        waitingSteps: ['release'],
        decision: 'approved',
        decidedBy: 'arn:aws:iam::111122223333:user/alice',
        decidedAt: '2026-08-17T09:12:00.000Z',
        sentAt: '2026-08-17T09:12:01.000Z',
      },
      // An entry that is not an answer (hand-written) is dropped, never shown as one.
      { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/bob', decidedAt: '2026-05-01T00:00:00.000Z' },
    ]);
  });

  it('ATTACK (approvals): writes the earlier answers a replacement keeps into the new item (row 5q)', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const earlier = { requestedAt: '2026-08-17T09:10:00.000Z', incidentKey: INCIDENT_KEY, playbook: 'release-instance', waitingSteps: ['release'], decision: 'rejected' as const, decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z', reason: 'no' };
    await new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE).replaceRequest({ ...REQUEST, earlierDecisions: [earlier] }, 'earlier', true);
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: {
          ...storedRequestItem(),
          earlierDecisions: {
            L: [
              {
                M: {
                  requestedAt: { S: '2026-08-17T09:10:00.000Z' },
                  incidentKey: { S: INCIDENT_KEY },
                  playbook: { S: 'release-instance' },
                  waitingSteps: { L: [{ S: 'release' }] },
                  decision: { S: 'rejected' },
                  decidedBy: { S: 'arn:aws:iam::111122223333:user/alice' },
                  decidedAt: { S: '2026-08-17T09:12:00.000Z' },
                  reason: { S: 'no' },
                },
              },
            ],
          },
        },
        ConditionExpression: 'taskToken = :staleToken AND attribute_exists(decision)',
        ExpressionAttributeValues: { ':staleToken': { S: 'earlier' } },
      },
    ]);
  });

  it('fails closed when the request in place cannot be read back from the refusal', async () => {
    dynamodb.on(PutItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
    await expect(new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE).putRequest(REQUEST)).rejects.toThrow(/cannot be read back/);
  });

  it('replaces a request only while it holds the stale token and no decision (conditional put)', async () => {
    dynamodb.on(PutItemCommand).resolvesOnce({}).rejects(sdkError('ConditionalCheckFailedException'));
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await store.replaceRequest(REQUEST, 'stale')).toBe('replaced');
    expect(await store.replaceRequest(REQUEST, 'stale')).toBe('changed');
    // The whole request is written again (the new token with it), never a field more or less than a first put.
    const replace = {
      TableName: TABLE,
      Item: storedRequestItem(),
      ConditionExpression: 'taskToken = :staleToken AND attribute_not_exists(decision)',
      ExpressionAttributeValues: { ':staleToken': { S: 'stale' } },
    };
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([replace, replace]);
  });

  it('replaces an earlier execution\'s answered request (the same ARN) only while it holds that token and a decision (review-approval, row 5l)', async () => {
    dynamodb.on(PutItemCommand).resolvesOnce({}).rejects(sdkError('ConditionalCheckFailedException'));
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await store.replaceRequest(REQUEST, 'earlier', true)).toBe('replaced');
    expect(await store.replaceRequest(REQUEST, 'earlier', true)).toBe('changed');
    const replace = {
      TableName: TABLE,
      Item: storedRequestItem(),
      ConditionExpression: 'taskToken = :staleToken AND attribute_exists(decision)',
      ExpressionAttributeValues: { ':staleToken': { S: 'earlier' } },
    };
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([replace, replace]);
  });

  it('records one decision with an update conditional on no decision and on the token it was checked with; says which condition failed', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .rejectsOnce(Object.assign(sdkError('ConditionalCheckFailedException'), { Item: { pk: { S: `approval#${EXECUTION}` }, taskToken: { S: TOKEN }, decision: { S: 'rejected' } } }))
      .rejectsOnce(Object.assign(sdkError('ConditionalCheckFailedException'), { Item: { pk: { S: `approval#${EXECUTION}` }, taskToken: { S: 'another-attempt' } } }))
      .rejectsOnce(sdkError('ConditionalCheckFailedException'));
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    const decision = { decision: 'approved' as const, decidedBy: CAROL, decidedAt: NOW.toISOString(), reason: 'ok' };
    expect(await store.decide(EXECUTION, decision, TOKEN)).toBe('recorded');
    expect(await store.decide(EXECUTION, decision, TOKEN)).toBe('already-decided');
    expect(await store.decide(EXECUTION, decision, TOKEN)).toBe('request-changed');
    expect(await store.decide(EXECUTION, decision, TOKEN)).toBe('request-changed');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: `approval#${EXECUTION}` } },
      UpdateExpression: 'SET decision = :decision, decidedBy = :decidedBy, decidedAt = :decidedAt, reason = :reason',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(decision) AND taskToken = :taskToken',
      ExpressionAttributeValues: {
        ':decision': { S: 'approved' },
        ':decidedBy': { S: CAROL },
        ':decidedAt': { S: NOW.toISOString() },
        ':reason': { S: 'ok' },
        ':taskToken': { S: TOKEN },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('withdraws a decision with an update conditional on that decision, never sent: removes what the decision wrote', async () => {
    dynamodb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(sdkError('ConditionalCheckFailedException')).rejectsOnce(sdkError('ThrottlingException'));
    const answers = new DynamoDbApprovalAnswers(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await answers.withdraw(EXECUTION, NOW.toISOString())).toBe('withdrawn');
    expect(await answers.withdraw(EXECUTION, NOW.toISOString())).toBe('kept');
    await expect(answers.withdraw(EXECUTION, NOW.toISOString())).rejects.toThrow(/dynamodb:UpdateItem/);
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: `approval#${EXECUTION}` } },
      UpdateExpression: 'REMOVE decision, decidedBy, decidedAt, reason',
      ConditionExpression: 'decidedAt = :decidedAt AND attribute_not_exists(sentAt)',
      ExpressionAttributeValues: { ':decidedAt': { S: NOW.toISOString() } },
    });
  });

  it('records sentAt with an update conditional on that decision, once', async () => {
    dynamodb.on(UpdateItemCommand).resolvesOnce({}).rejects(sdkError('ConditionalCheckFailedException'));
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await store.markSent(EXECUTION, NOW.toISOString(), '2026-11-27T16:32:00.000Z')).toBe('marked');
    expect(await store.markSent(EXECUTION, NOW.toISOString(), '2026-11-27T16:33:00.000Z')).toBe('already-marked');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: `approval#${EXECUTION}` } },
      UpdateExpression: 'SET sentAt = :sentAt',
      ConditionExpression: 'decidedAt = :decidedAt AND attribute_not_exists(sentAt)',
      ExpressionAttributeValues: { ':sentAt': { S: '2026-11-27T16:32:00.000Z' }, ':decidedAt': { S: NOW.toISOString() } },
    });
  });

  it('reads sentAt back', async () => {
    const item = {
      pk: { S: `approval#${EXECUTION}` },
      executionArn: { S: EXECUTION },
      incidentKey: { S: INCIDENT_KEY },
      requestedAt: { S: REQUEST.requestedAt },
      taskToken: { S: TOKEN },
      playbook: { S: 'release-instance' },
      account: { S: '111122223333' },
      region: { S: 'eu-west-1' },
      decision: { S: 'approved' },
      decidedBy: { S: CAROL },
      decidedAt: { S: NOW.toISOString() },
      sentAt: { S: '2026-11-27T16:32:00.000Z' },
    };
    dynamodb.on(GetItemCommand).resolves({ Item: item });
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await store.get(EXECUTION)).toMatchObject({ decidedBy: CAROL, sentAt: '2026-11-27T16:32:00.000Z' });
  });

  it('stores what approving will and will not do (a release\'s notes) as a list, and reads it back (review s20)', async () => {
    const notes = ['Approving takes back only incident gd-a\'s hold on access key AKIAQ3EGRW6JCEXAMPLE: the key STAYS INACTIVE, incident gd-b still holds it'];
    dynamodb.on(PutItemCommand).resolves({});
    const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    await store.putRequest({ ...REQUEST, notes });
    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: { ...storedRequestItem(), notes: { L: [{ S: notes[0]! }] } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    dynamodb.on(GetItemCommand).resolves({ Item: dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input.Item });
    expect((await store.get(EXECUTION))?.notes).toEqual(notes);
  });

  it("reads the guard's approval deadline and onTimeout from its grant: one consistent GetItem of grant#<executionArn>, those two attributes only", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolvesOnce({ Item: { approvalDeadline: { S: '2026-11-27T17:29:58.000Z' }, onTimeout: { S: 'contain' } } })
      .resolvesOnce({ Item: { approvalDeadline: { S: '2026-11-27T17:29:58.000Z' }, onTimeout: { S: 'contain-everything' } } })
      .resolvesOnce({})
      .rejectsOnce(sdkError('ThrottlingException'));
    const answers = new DynamoDbApprovalAnswers(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await answers.timeoutPathOf(EXECUTION)).toEqual({ approvalDeadline: '2026-11-27T17:29:58.000Z', onTimeout: 'contain' });
    // An onTimeout that is neither path is never read as one.
    expect(await answers.timeoutPathOf(EXECUTION)).toEqual({ approvalDeadline: '2026-11-27T17:29:58.000Z' });
    expect(await answers.timeoutPathOf(EXECUTION)).toBeUndefined();
    await expect(answers.timeoutPathOf(EXECUTION)).rejects.toThrow(/dynamodb:GetItem/);
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: `grant#${EXECUTION}` } },
      ConsistentRead: true,
      ProjectionExpression: '#a0, #a1',
      ExpressionAttributeNames: { '#a0': 'approvalDeadline', '#a1': 'onTimeout' },
    });
  });

  it("publish-alert's adapter reads the grant's approval deadline the same way: exact GetItem input (review approval-binding)", async () => {
    dynamodb.on(GetItemCommand).resolvesOnce({ Item: { approvalDeadline: { S: '2026-11-27T17:29:58.000Z' }, onTimeout: { S: 'evidence-only' } } });
    const requests = new DynamoDbApprovalRequests(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
    expect(await requests.timeoutPathOf(EXECUTION)).toEqual({ approvalDeadline: '2026-11-27T17:29:58.000Z', onTimeout: 'evidence-only' });
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: { S: `grant#${EXECUTION}` } },
        ConsistentRead: true,
        ProjectionExpression: '#a0, #a1',
        ExpressionAttributeNames: { '#a0': 'approvalDeadline', '#a1': 'onTimeout' },
      },
    ]);
  });

  it('reads a request back with a consistent GetItem', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    expect(await new DynamoDbApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE).get(EXECUTION)).toBeUndefined();
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: { pk: { S: `approval#${EXECUTION}` } }, ConsistentRead: true });
  });
});

describe('ApprovalReleaseClearance', () => {
  /** A grant check that clears the release-instance playbook's step (grants.ts `releaseGrantCheck` is tested in rails-at-action). */
  const CLEARED = async () => ({ cleared: true as const, playbook: 'release-instance', mode: 'enforce' as const });
  const record = recordOfDefaultInstance(INCIDENT_KEY, '2026-11-20T10:02:00.000Z');
  const input = (executionArn?: string) => ({
    incident: ec2Incident({ key: INCIDENT_KEY }),
    mode: 'enforce' as const,
    options: {},
    ...(executionArn ? { execution: { executionArn } } : {}),
  });

  it('clears an approved execution of this incident and instance, naming the approver', async () => {
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString() }, TOKEN);
    expect(await new ApprovalReleaseClearance(store, CLEARED).check(input(EXECUTION), record)).toEqual({ cleared: true, approvedBy: CAROL, approvedAt: NOW.toISOString(), executionArn: EXECUTION, mode: 'enforce' });
  });

  it("passes on the mode of the guard's grant: a release cleared for dry-run only stays dry-run", async () => {
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString() }, TOKEN);
    const dryRunGrant = new ApprovalReleaseClearance(store, async () => ({ cleared: true as const, playbook: 'release-instance', mode: 'dry-run' as const }));
    expect(await dryRunGrant.check(input(EXECUTION), record)).toMatchObject({ cleared: true, mode: 'dry-run' });
  });

  it("passes on the record the guard's grant bound (capture and claim serial), which the release holds the record at", async () => {
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString() }, TOKEN);
    const releaseRecord = { capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 2 };
    const bound = new ApprovalReleaseClearance(store, async () => ({ cleared: true as const, playbook: 'release-instance', mode: 'enforce' as const, releaseRecord }));
    expect(await bound.check(input(EXECUTION), record)).toMatchObject({ cleared: true, releaseRecord });
  });

  it('refuses no execution, no approval, a rejection, an old approval (a replay) and a failed grant', async () => {
    const clearance = new ApprovalReleaseClearance(store, CLEARED);
    expect(await clearance.check(input(), record)).toMatchObject({ cleared: false });
    expect(await clearance.check(input(EXECUTION), record)).toMatchObject({ cleared: false, reason: expect.stringContaining('nobody has approved') });
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: '2026-11-01T00:00:00.000Z' }, TOKEN);
    expect(await clearance.check(input(EXECUTION), record)).toMatchObject({ cleared: false, reason: expect.stringContaining('older than the quarantine') });
    const withGrant = new ApprovalReleaseClearance(store, async () => ({ cleared: false as const, reason: 'no grant for this execution' }));
    expect(await withGrant.check(input(EXECUTION), record)).toMatchObject({ cleared: false, reason: expect.stringContaining('no grant') });
  });

  it('refuses an approval recorded for another incident, or for another instance, than the release undoes', async () => {
    for (const other of [{ incidentKey: 'gd-0other00000000000000000000000000' }, { instanceId: 'i-0fff0000aaaa11112' }]) {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest({ ...REQUEST, ...other });
      await approvals.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString() }, TOKEN);
      const verdict = await new ApprovalReleaseClearance(approvals, CLEARED).check(input(EXECUTION), record);
      expect(verdict).toMatchObject({ cleared: false, reason: expect.stringContaining(`the approval of ${EXECUTION} is for incident ${other.incidentKey ?? INCIDENT_KEY}`) });
    }
  });

  it('ATTACK (review-approval): refuses an approval given before the guard cleared this release (an earlier execution under the same name, 90 days on), even when the grant clears on its timeout', async () => {
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString() }, TOKEN);
    const grantedAfter = new Date(NOW.getTime() + 60_000).toISOString();
    const rerun = new ApprovalReleaseClearance(store, async () => ({ cleared: true as const, playbook: 'release-instance', mode: 'enforce' as const, grantedAt: grantedAfter }));
    expect(await rerun.check(input(EXECUTION), record)).toMatchObject({
      cleared: false,
      reason: expect.stringContaining(`was given before the containment guard cleared this release (${grantedAfter})`),
    });
    // Given at or after the grant: this release's own approval.
    const own = new ApprovalReleaseClearance(store, async () => ({ cleared: true as const, playbook: 'release-instance', mode: 'enforce' as const, grantedAt: NOW.toISOString() }));
    expect(await own.check(input(EXECUTION), record)).toMatchObject({ cleared: true, approvedBy: CAROL });
  });

  it("refuses an approval asked for another playbook than the grant's (an approved DNS unblock never releases)", async () => {
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: CAROL, decidedAt: NOW.toISOString() }, TOKEN);
    const unblockGrant = new ApprovalReleaseClearance(store, async () => ({ cleared: true as const, playbook: 'unblock-dns-domain', mode: 'enforce' as const }));
    expect(await unblockGrant.check(input(EXECUTION), record)).toMatchObject({ cleared: false, reason: expect.stringContaining('asked for playbook release-instance, not unblock-dns-domain') });
  });
});

describe('answerApproval: the caller is who STS says signed the proof, not who the event says (direct invocation)', () => {
  const MALLORY = 'arn:aws:sts::111122223333:assumed-role/Developer/mallory';
  const ANSWER = { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN };
  /** What anyone with lambda:InvokeFunction can send: a Function URL event of their own writing, naming CAROL. */
  const forged = (headers: Record<string, string>, body: unknown = ANSWER) => ({
    version: '2.0',
    headers,
    requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: CAROL, accessKey: proofs.credentialsOf(CAROL).accessKeyId } } },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  });
  const deps = (callers: CallerProofVerifier = proofs, approverArns?: readonly string[]) => ({
    store,
    executions,
    callers,
    config: { stateMachineArns: [MACHINE], deniedRolePrefixes: [], ...(approverArns ? { approverArns } : {}) },
    logger: silentLogger,
    now: () => NOW,
  });
  // (The file's beforeEach gives each test a fresh store holding REQUEST and fresh executions.)

  const nothingDone = async () => {
    expect(executions.sent).toEqual([]);
    expect(executions.heartbeats).toEqual([]);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
  };

  it('ATTACK: no proof: refused (401), nothing recorded or sent, even for a listed approver', async () => {
    for (const approverArns of [undefined, ['arn:aws:iam::111122223333:role/on-call']]) {
      expect(await answerApproval(forged({}), deps(proofs, approverArns))).toMatchObject({ statusCode: 401, outcome: 'refused', message: expect.stringContaining('carries no caller proof') });
    }
    await nothingDone();
  });

  it("ATTACK: a proof of the invoker's own credentials under CAROL's name: refused, naming who really signed", async () => {
    const text = JSON.stringify(ANSWER);
    const own = await callerProof('approval', text, 'eu-west-1', proofs.credentialsOf(MALLORY), NOW);
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: own }), deps())).toMatchObject({
      statusCode: 401,
      message: expect.stringContaining(`the caller proof was signed by ${MALLORY}, but the request says ${CAROL}`),
    });
    await nothingDone();
  });

  it("ATTACK: CAROL's own proof for a show, replayed with an approval: STS does not verify it for this body", async () => {
    const shown = await callerProof('approval', JSON.stringify({ executionArn: EXECUTION, show: true }), 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: shown }), deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('SignatureDoesNotMatch') });
    // The same proof with the body it was made for still shows the request: it is CAROL's.
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: shown }, { executionArn: EXECUTION, show: true }), deps())).toMatchObject({ statusCode: 200, outcome: 'shown' });
    await nothingDone();
  });

  it("ATTACK: CAROL's proof for another Region's function: refused before STS is asked", async () => {
    const elsewhere = await callerProof('approval', JSON.stringify(ANSWER), 'us-east-1', proofs.credentialsOf(CAROL), NOW);
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: elsewhere }), deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('signed for STS in us-east-1, not eu-west-1') });
    await nothingDone();
  });

  it("ATTACK: CAROL's proof made for the emergency pause over the same body never answers (purpose binding; review review-pause)", async () => {
    const paused = await callerProof('pause', JSON.stringify(ANSWER), 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: paused }), deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('SignatureDoesNotMatch') });
    await nothingDone();
  });

  it('decides nothing when STS cannot be asked (502), and takes the answer once it can', async () => {
    const text = JSON.stringify(ANSWER);
    const proof = await callerProof('approval', text, 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    const down = {
      region: 'eu-west-1',
      callerOf: async () => {
        throw new CallerProofUnavailableError('STS answered the caller proof with HTTP 503');
      },
    };
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: proof }), deps(down))).toMatchObject({ statusCode: 502, message: expect.stringContaining('could not be checked') });
    await nothingDone();
    expect(await answerApproval(forged({ [CALLER_PROOF_HEADER]: proof }), deps())).toMatchObject({ statusCode: 200, outcome: 'approved', decidedBy: CAROL });
  });

  it('refuses an event that claims another access key than the one that signed the proof', async () => {
    const text = JSON.stringify(ANSWER);
    const proof = await callerProof('approval', text, 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    const claimingOtherKey = { ...forged({ [CALLER_PROOF_HEADER]: proof }), requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: CAROL, accessKey: 'ASIAQ3EGRW6JOTHERKEY' } } } };
    expect(await answerApproval(claimingOtherKey, deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('the caller proof was signed by') });
    await nothingDone();
  });
});

describe('answerApproval: the caller proof under attack (review review-proof)', () => {
  const MALLORY = 'arn:aws:sts::111122223333:assumed-role/Developer/mallory';
  const ANSWER = { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN };
  const TEXT = JSON.stringify(ANSWER);
  /** A direct invocation's event (anyone with lambda:InvokeFunction writes it whole), naming `as`. */
  const direct = (headers: Record<string, unknown>, body: string = TEXT, rest: Record<string, unknown> = {}, as = CAROL) => ({
    version: '2.0',
    headers,
    requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: as } } },
    body,
    isBase64Encoded: false,
    ...rest,
  });
  const deps = (callers: CallerProofVerifier = proofs, at = NOW, approverArns?: readonly string[]) => ({
    store,
    executions,
    callers,
    config: { stateMachineArns: [MACHINE], deniedRolePrefixes: [], ...(approverArns ? { approverArns } : {}) },
    logger: silentLogger,
    now: () => at,
  });
  /**
   * STS as it really answers a presigned GetCallerIdentity whose signature holds: for 15 minutes
   * after X-Amz-Date, whatever X-Amz-Expires says (STS ignores it: aws-iam-authenticator's
   * pkg/token/token.go, aws/aws-sdk-go#2167), with the caller's ARN XML-escaped.
   */
  const stsAnsweringAs = (arn: string, at = NOW): StsCallerProofVerifier => {
    const send: ProofFetch = async (url) => {
      const date = new URL(url).searchParams.get('X-Amz-Date') ?? '';
      const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
      if (at.getTime() > signedAt + 15 * 60_000) return { status: 403, text: async () => '<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>' };
      const escaped = arn.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
      return { status: 200, text: async () => `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>${escaped}</Arn><UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>` };
    };
    return new StsCallerProofVerifier('eu-west-1', send);
  };
  const nothingDone = async () => {
    expect(executions.sent).toEqual([]);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
  };

  it("ATTACK: CAROL's proof captured and replayed past the lifetime it states: the function holds it to that lifetime, as STS does not", async () => {
    const made = new Date(NOW.getTime() - (PROOF_EXPIRES_SECONDS + 1) * 1000);
    const captured = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(CAROL), made);
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: captured }), deps(stsAnsweringAs(CAROL)))).toMatchObject({ statusCode: 401, message: expect.stringContaining('the caller proof expired at') });
    await nothingDone();
  });

  it('ATTACK: a proof dated ahead (to be replayed for longer): refused past five minutes ahead of the function\'s clock', async () => {
    const ahead = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(CAROL), new Date(NOW.getTime() + 6 * 60_000));
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: ahead }), deps(stsAnsweringAs(CAROL)))).toMatchObject({ statusCode: 401, message: expect.stringContaining('dated ahead') });
    await nothingDone();
  });

  it('takes a proof from an approver whose clock is four minutes slow, which the Function URL itself accepts (SigV4 allows five)', async () => {
    const slow = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(CAROL), new Date(NOW.getTime() - 4 * 60_000));
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: slow }), deps())).toMatchObject({ statusCode: 200, outcome: 'approved', decidedBy: CAROL });
  });

  it('takes an IAM user whose path holds an & (IAM allows it; STS answers it XML-escaped)', async () => {
    const user = 'arn:aws:iam::111122223333:user/ops&sec/alice';
    const proof = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(user), NOW);
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: proof }, TEXT, {}, user), deps(stsAnsweringAs(user)))).toMatchObject({ statusCode: 200, outcome: 'approved', decidedBy: user });
  });

  it("ATTACK: CAROL's proof for another body, sent base64-encoded (isBase64Encoded): the binding is over the decoded body, refused", async () => {
    const shown = await callerProof('approval', JSON.stringify({ executionArn: EXECUTION, show: true }), 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    const response = await answerApproval(direct({ [CALLER_PROOF_HEADER]: shown }, Buffer.from(TEXT).toString('base64'), { isBase64Encoded: true }), deps());
    expect(response).toMatchObject({ statusCode: 401, message: expect.stringContaining('SignatureDoesNotMatch') });
    await nothingDone();
  });

  it('ATTACK: a body that parses as the proven one but is not it (a BOM, whitespace, a duplicated key JSON.parse takes the last of): refused', async () => {
    const proof = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    for (const body of [`\uFEFF${TEXT}`, ` ${TEXT}`, TEXT.replace('{', '{"decision":"reject",')]) {
      expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: proof }, body), deps()), body).toMatchObject({ statusCode: 401 });
    }
    await nothingDone();
  });

  it('ATTACK: the proof under another spelling of the header, or as a list: no proof, refused', async () => {
    const proof = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    expect(await answerApproval(direct({ 'X-Firebreak-Caller-Proof': proof }), deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('carries no caller proof') });
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: [proof, proof] }), deps())).toMatchObject({ statusCode: 401 });
    await nothingDone();
  });

  it('ATTACK: parameters smuggled through URL decoding (an encoded name repeated, a + read as a space): refused by form', async () => {
    const proof = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(CAROL), NOW);
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: `${proof}&Act%69on=AssumeRole` }), deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('repeats Action') });
    const erin = 'arn:aws:sts::111122223333:assumed-role/on-call/erin';
    const plus = await callerProof('approval', TEXT, 'eu-west-1', proofs.issue(erin, { accessKeyId: 'ASIAQ3EGRW6JERINKEY1', secretAccessKey: 'erin-secret', sessionToken: 'FwoGZXIvYXdz+token/with+plus==' }), NOW);
    expect(plus).toContain('%2B');
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: plus.replace(/%2B/g, '+') }, TEXT, {}, erin), deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('X-Amz-Security-Token is not what Firebreak signs') });
    await nothingDone();
  });

  it('LEFT: without approverArns, whoever may invoke the function directly (lambda:InvokeFunction alone, no Function URL permission) answers as themselves', async () => {
    const own = await callerProof('approval', TEXT, 'eu-west-1', proofs.credentialsOf(MALLORY), NOW);
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: own }, TEXT, {}, MALLORY), deps())).toMatchObject({ statusCode: 200, decidedBy: MALLORY });
    // With the list, the same direct invocation is refused: the list is what closes it.
    store = new InMemoryApprovalStore();
    await store.putRequest(REQUEST);
    executions = new FakeExecutions();
    expect(await answerApproval(direct({ [CALLER_PROOF_HEADER]: own }, TEXT, {}, MALLORY), deps(proofs, NOW, ['arn:aws:iam::111122223333:role/on-call']))).toMatchObject({ statusCode: 403 });
  });
});
