/**
 * Row 5q (session 37): an incident's report reads who answered each approval it asked from
 * `approval#<executionArn>`. Step Functions takes an execution name again 90 days on, and the new
 * run's request replaces the earlier run's: the earlier answer is kept in the item
 * (`earlierDecisions`), and the report still finds it, marked as an earlier run's.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { readIncidentRecord } from '../../lib/operator/incidents';
import { DynamoDbApprovalStore, answersKept } from '../../lib/responders/approval-records';
import type { PendingApproval } from '../../lib/responders/approval-records';
import { DynamoDbIncidentRecords, recordingHandler } from '../../lib/responders/incident-record';
import { SeededSimulatedAws } from '../support/sim-builder';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';

const TABLE = 'firebreak-state';
const EXECUTION = 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:gd-1';

/** The request an approval wait of EXECUTION stored for `incidentKey`, as publish-alert stores it. */
function pendingRequest(incidentKey: string, requestedAt: string, taskToken: string, extra: Partial<PendingApproval> = {}): PendingApproval {
  return {
    pk: '',
    executionArn: EXECUTION,
    incidentKey,
    requestedAt,
    taskToken,
    playbook: 'compromised-ec2',
    account: ACCOUNT,
    region: REGION,
    waitingSteps: ['contain'],
    timeoutSeconds: 900,
    ...extra,
  };
}

function world() {
  const sim = new SeededSimulatedAws({ seed: 'incident-approvals' });
  sim.addTable({ name: TABLE, partitionKey: 'pk' });
  return sim.clientFactory().dynamodb();
}

describe('readIncidentRecord: approvals', () => {
  it('ATTACK (approvals): still finds an earlier run\'s answer after the new run\'s request replaced it (row 5q)', async () => {
    const ddb = world();
    const incident = ec2Incident();
    // publish-alert's entry for the request, as its recording handler appends it.
    const alerted = recordingHandler('publish-alert', async () => ({ actions: [] }), { records: new DynamoDbIncidentRecords(ddb, TABLE, 30) });
    await alerted({ incident, kind: 'approval-request', execution: { executionArn: EXECUTION, playbook: 'compromised-ec2' } });
    const request = pendingRequest(incident.key, '2026-08-17T09:10:00.000Z', 'earlier-token', { instanceId: INSTANCE_ID });
    const store = new DynamoDbApprovalStore(ddb, TABLE);
    await store.putRequest(request);
    await store.decide(EXECUTION, { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z', reason: 'false positive' }, 'earlier-token');
    const found = await store.putRequest({ ...request, taskToken: 'new-token', requestedAt: '2026-11-20T10:03:00.000Z' });
    expect(found).not.toBe('stored');
    const existing = (found as Exclude<typeof found, 'stored'>).existing;
    expect(await store.replaceRequest({ ...request, taskToken: 'new-token', requestedAt: '2026-11-20T10:03:00.000Z', earlierDecisions: existing.answers }, 'earlier-token', true)).toBe('replaced');

    const record = await readIncidentRecord(ddb, TABLE, incident.key);
    expect(record?.approvals).toEqual([
      { executionArn: EXECUTION, requestedAt: '2026-11-20T10:03:00.000Z' },
      {
        executionArn: EXECUTION,
        earlierRun: true,
        requestedAt: '2026-08-17T09:10:00.000Z',
        decision: 'rejected',
        decidedBy: 'arn:aws:iam::111122223333:user/alice',
        decidedAt: '2026-08-17T09:12:00.000Z',
        reason: 'false positive',
      },
    ]);
  });

  // Session 37 (row 5q): whoever may invoke publish-alert sends it an approval request naming incident
  // K and another incident's execution; publish-alert refuses it, but its recording handler still
  // appends the entry to K's record (row 17b), and the report read approval#<that execution>: the
  // other incident's answer (alice approved X) was shown as K's.
  it("ATTACK (approvals): shows no answer recorded for another incident's execution that an entry of this record names", async () => {
    const ddb = world();
    const incident = ec2Incident();
    const refusing = recordingHandler('publish-alert', () => Promise.reject(new Error('ApprovalRequestRefusedError')), { records: new DynamoDbIncidentRecords(ddb, TABLE, 30) });
    await refusing({ incident, kind: 'approval-request', execution: { executionArn: EXECUTION, playbook: 'compromised-ec2' } }).catch(() => undefined);
    const store = new DynamoDbApprovalStore(ddb, TABLE);
    const other = pendingRequest('gd-0ther0ther0ther0ther0ther0ther0', '2026-11-20T10:03:00.000Z', 'other-token');
    await store.putRequest(other);
    await store.decide(EXECUTION, { decision: 'approved', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-11-20T10:04:00.000Z' }, 'other-token');
    const record = await readIncidentRecord(ddb, TABLE, incident.key);
    expect(record?.approvals).toEqual([]);
  });

  // review-5q: kept answers are read back bounded and only as answers, so entries that are not one
  // (written by hand into the item: only the table's administrator can) neither push the real earlier
  // answer out of the five kept nor grow the replacement.
  it('tried (review-5q): junk entries in earlierDecisions neither push the real earlier answer out nor grow the replacement', async () => {
    const ddb = world();
    const incident = ec2Incident();
    const store = new DynamoDbApprovalStore(ddb, TABLE);
    const request = pendingRequest(incident.key, '2026-08-17T09:10:00.000Z', 'earlier-token');
    await store.putRequest(request);
    await store.decide(EXECUTION, { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z', reason: 'false positive' }, 'earlier-token');
    const junk = Array.from({ length: 6 }, () => ({ M: { decision: { S: 'maybe' }, reason: { S: 'x'.repeat(40_000) } } }));
    const real = { M: { decision: { S: 'approved' }, incidentKey: { S: incident.key }, decidedBy: { S: 'arn:aws:iam::111122223333:user/bob' }, reason: { S: 'y'.repeat(40_000) } } };
    await ddb.send(
      new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: `approval#${EXECUTION}` } }, UpdateExpression: 'SET earlierDecisions = :e', ExpressionAttributeValues: { ':e': { L: [...junk, real] } } }),
    );
    const found = await store.putRequest({ ...request, taskToken: 'new-token' });
    const kept = answersKept((found as Exclude<typeof found, 'stored'>).existing);
    expect(kept.map((answer) => [answer.decision, answer.decidedBy])).toEqual([
      ['rejected', 'arn:aws:iam::111122223333:user/alice'],
      ['approved', 'arn:aws:iam::111122223333:user/bob'],
    ]);
    expect(kept[1]?.reason).toHaveLength(2000);
  });
});
