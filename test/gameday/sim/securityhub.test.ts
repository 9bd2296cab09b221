/**
 * The simulated Security Hub answers BatchUpdateFindings as AWS does, through real SDK clients:
 * InvalidAccessException where the account is not subscribed (the error code deserialized from the
 * REST-JSON answer, retried by nobody); per finding, ProcessedFindings or UnprocessedFindings with
 * FindingNotFound, DuplicatedFindingIdentifier or InvalidInput (a note over 512 characters); only
 * findings GuardDuty exported there (its own account and region) exist.
 */
import { BatchUpdateFindingsCommand } from '@aws-sdk/client-securityhub';
import type { BatchUpdateFindingsCommandInput } from '@aws-sdk/client-securityhub';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { PolicyStatement } from '../../../lib/gameday/sim/iam-policy';
import type { ScopeArns } from '../../../lib/stack/iam-scopes';
import { planStatements } from '../../../lib/stack/iam-scopes';
import { SECURITY_HUB_NOTE_AUTHOR } from '../../../lib/responders/update-security-hub-finding';
import { rejectionOf } from './fixtures';

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

// Review (sechub-review): the write-back's statement as deployed (planStatements, the member role's
// scope), enforced by the simulated account with the request's fields as
// securityhub:ASFFSyntaxPath/<field> keys. Before, it allowed any other field in a request that set
// NOTIFIED or RESOLVED: the role could lower a finding's severity or mark it a false positive.
describe('the write-back statement as deployed, in the simulated Security Hub', () => {
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/FirebreakResponder-update-security-hub-finding`;
  /** Where the member role of ACCOUNT points (lib/stack/member-role-stack.ts). */
  const MEMBER_ARNS: ScopeArns = {
    ec2: (type) => `arn:aws:ec2:*:${ACCOUNT}:${type}/*`,
    route53resolver: (type) => `arn:aws:route53resolver:*:${ACCOUNT}:${type}/*`,
    snapshots: 'arn:aws:ec2:*::snapshot/*',
    iam: (type) => `arn:aws:iam::${ACCOUNT}:${type}/*`,
    regional: (service, resource) => `arn:aws:${service}:*:${ACCOUNT}:${resource}`,
    ownRoles: [ROLE],
  };
  let catalog: IamCatalog;
  beforeAll(async () => {
    catalog = await loadIamCatalog();
  });

  /** `statuses`: what the deployed write-back steps set (securityHubWorkflowStatuses(playbooks)). */
  async function hubUnderDeployedStatement(statuses: readonly string[] = ['NOTIFIED', 'RESOLVED']) {
    const sim = simWithFinding();
    const statements = planStatements(['securityhub:BatchUpdateFindings'], MEMBER_ARNS, { securityHubWorkflowStatuses: statuses }).map(
      ({ statement }) => statement.toStatementJson() as PolicyStatement,
    );
    sim.enforceIdentityPolicies(ROLE, [{ Version: '2012-10-17', Statement: statements }], catalog);
    return { sim, hub: await sim.clientFactory({ principal: ROLE }).securityhub({ account: ACCOUNT, region: REGION }) };
  }
  const request = (extra: Partial<BatchUpdateFindingsCommandInput> = {}): BatchUpdateFindingsCommandInput => ({
    FindingIdentifiers: [{ Id: ARN, ProductArn: PRODUCT }],
    Workflow: { Status: 'NOTIFIED' },
    Note: { Text: 'Firebreak incident gd-1: handled', UpdatedBy: SECURITY_HUB_NOTE_AUTHOR },
    ...extra,
  });

  it('allows exactly what the responder sends: a workflow status it sets and a note signed as Firebreak', async () => {
    const { sim, hub } = await hubUnderDeployedStatement();
    const answer = await hub.send(new BatchUpdateFindingsCommand(request()));
    expect(answer.ProcessedFindings).toEqual([{ Id: ARN, ProductArn: PRODUCT }]);
    expect(sim.securityHubFindings()[0]?.workflowStatus).toBe('NOTIFIED');
  });

  it('ATTACK (review-securityhub): denies RESOLVED where the deployed steps only set NOTIFIED, and the finding stays NEW', async () => {
    const { sim, hub } = await hubUnderDeployedStatement(['NOTIFIED']);
    const refused = await rejectionOf(hub.send(new BatchUpdateFindingsCommand(request({ Workflow: { Status: 'RESOLVED' } }))));
    expect(refused.name).toBe('AccessDeniedException');
    expect(sim.securityHubFindings()[0]).toMatchObject({ workflowStatus: 'NEW', updates: 0 });
    // NOTIFIED, which those steps set, is still allowed.
    await hub.send(new BatchUpdateFindingsCommand(request()));
    expect(sim.securityHubFindings()[0]?.workflowStatus).toBe('NOTIFIED');
  });

  it('allows RESOLVED where a deployed release step sets it', async () => {
    const { sim, hub } = await hubUnderDeployedStatement(['NOTIFIED', 'RESOLVED']);
    await hub.send(new BatchUpdateFindingsCommand(request({ Workflow: { Status: 'RESOLVED' } })));
    expect(sim.securityHubFindings()[0]?.workflowStatus).toBe('RESOLVED');
  });

  it.each<[string, Partial<BatchUpdateFindingsCommandInput>]>([
    ['SUPPRESSED', { Workflow: { Status: 'SUPPRESSED' } }],
    ['no workflow status', { Workflow: undefined }],
    ['a note signed as a person', { Note: { Text: 'Verified benign', UpdatedBy: 'alice' } }],
    ['a lowered severity', { Severity: { Label: 'INFORMATIONAL' } }],
    ['a verification state', { VerificationState: 'FALSE_POSITIVE' }],
    ['a confidence', { Confidence: 0 }],
    ['a criticality', { Criticality: 0 }],
    ['finding types', { Types: ['Software and Configuration Checks/Benign'] }],
    ['user-defined fields', { UserDefinedFields: { triage: 'closed' } }],
    ['related findings', { RelatedFindings: [{ Id: ARN, ProductArn: PRODUCT }] }],
  ])('denies a request with %s, and the finding stays as it was', async (_label, extra) => {
    const { sim, hub } = await hubUnderDeployedStatement();
    const refused = await rejectionOf(hub.send(new BatchUpdateFindingsCommand(request(extra))));
    expect(refused.name).toBe('AccessDeniedException');
    expect(sim.securityHubFindings()[0]).toMatchObject({ workflowStatus: 'NEW', updates: 0 });
  });
});
