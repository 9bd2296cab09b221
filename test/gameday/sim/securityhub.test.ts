/**
 * The simulated Security Hub answers BatchUpdateFindings as AWS does, through real SDK clients:
 * InvalidAccessException where the account is not subscribed (the error code deserialized from the
 * REST-JSON answer, retried by nobody); per finding, ProcessedFindings or UnprocessedFindings with
 * FindingNotFound, DuplicatedFindingIdentifier or InvalidInput (a note over 512 characters); only
 * findings GuardDuty exported there (its own account and region) exist.
 */
import { BatchUpdateFindingsCommand } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { SeededSimulatedAws } from '../../support/sim-builder';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ARN = `arn:aws:guardduty:${REGION}:${ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b`;
const PRODUCT = `arn:aws:securityhub:${REGION}::product/aws/guardduty`;

function simWithFinding(enabled = true) {
  const sim = new SeededSimulatedAws({ seed: 'securityhub' });
  if (enabled) sim.enableSecurityHub(ACCOUNT, REGION);
  sim.exportGuardDutyFinding({ arn: ARN, accountId: ACCOUNT, region: REGION });
  return sim;
}

const update = (identifiers: { Id: string; ProductArn: string }[], text = 'Firebreak incident gd-1: handled') =>
  new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers, Workflow: { Status: 'NOTIFIED' }, Note: { Text: text, UpdatedBy: 'Firebreak' } });

describe('the simulated Security Hub', () => {
  it('updates the workflow status and note of a finding GuardDuty exported there', async () => {
    const sim = simWithFinding();
    const hub = await sim.clientFactory().securityhub({ account: ACCOUNT, region: REGION });
    const answer = await hub.send(update([{ Id: ARN, ProductArn: PRODUCT }]));
    expect(answer.ProcessedFindings).toEqual([{ Id: ARN, ProductArn: PRODUCT }]);
    expect(answer.UnprocessedFindings).toEqual([]);
    expect(sim.securityHubFindings()).toMatchObject([{ id: ARN, workflowStatus: 'NOTIFIED', note: { text: 'Firebreak incident gd-1: handled', updatedBy: 'Firebreak' }, updates: 1 }]);
  });

  it('answers InvalidAccessException where Security Hub is not enabled, and exports nothing there', async () => {
    const sim = simWithFinding(false);
    const hub = await sim.clientFactory().securityhub({ account: ACCOUNT, region: REGION });
    await expect(hub.send(update([{ Id: ARN, ProductArn: PRODUCT }]))).rejects.toMatchObject({ name: 'InvalidAccessException' });
    expect(sim.securityHubFindings()).toEqual([]);
  });

  it('leaves unknown, duplicated and invalid updates unprocessed, per finding, without throwing', async () => {
    const sim = simWithFinding();
    const hub = await sim.clientFactory().securityhub({ account: ACCOUNT, region: REGION });
    const other = ARN.replace(/finding\/\w+$/, 'finding/0000aaaa0000aaaa0000aaaa0000aaaa');
    const answer = await hub.send(update([{ Id: ARN, ProductArn: PRODUCT }, { Id: ARN, ProductArn: PRODUCT }, { Id: other, ProductArn: PRODUCT }]));
    expect(answer.UnprocessedFindings?.map((entry) => entry.ErrorCode)).toEqual(['DuplicatedFindingIdentifier', 'FindingNotFound']);
    const tooLong = await hub.send(update([{ Id: ARN, ProductArn: PRODUCT }], 'x'.repeat(513)));
    expect(tooLong.UnprocessedFindings?.map((entry) => entry.ErrorCode)).toEqual(['InvalidInput']);
    expect(sim.securityHubFindings()[0]?.updates).toBe(1);
  });

  it("does not show one account's findings to another account's hub", async () => {
    const sim = simWithFinding();
    sim.enableSecurityHub('444455556666', REGION);
    const hub = await sim.clientFactory().securityhub({ account: '444455556666', region: REGION });
    const answer = await hub.send(update([{ Id: ARN, ProductArn: PRODUCT }]));
    expect(answer.UnprocessedFindings?.map((entry) => entry.ErrorCode)).toEqual(['FindingNotFound']);
  });
});
