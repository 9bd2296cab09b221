/**
 * A containment grant clears only its own playbook's step, with the options that playbook sends and
 * the request its execution was started with (lib/responders/step-binding.ts). Review r1's F1 and
 * F2: someone with lambda:InvokeFunction reused one playbook's grant and approval for another
 * playbook's step (an approved DNS unblock released the instance), or sent a step other options or
 * another manual request than its playbook does (an unblock forced past another open incident).
 */
import {
  AssociateIamInstanceProfileCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  ListFirewallDomainListsCommand,
  ListFirewallDomainsCommand,
  ListFirewallRuleGroupAssociationsCommand,
  ListFirewallRuleGroupsCommand,
  ListFirewallRulesCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { SECURITY_ENV } from '../../lib/contracts/security';
import type { Incident } from '../../lib/incident/model';
import { buildDnsUnblockRequest } from '../../lib/operator/dns-unblock';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { playbookStepsFor } from '../../lib/playbooks/rails';
import { InMemoryApprovalStore } from '../../lib/responders/approval-records';
import { InMemoryDnsBlockStore } from '../../lib/responders/dns-block-records';
import { evaluateGrant, releaseGrantCheck } from '../../lib/responders/grants';
import { incidentSchema } from '../../lib/responders/incident-schema';
import { silentLogger } from '../../lib/responders/logging';
import { quarantineInstance, quarantineOptionsSchema } from '../../lib/responders/quarantine';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { releaseInstance, releaseOptionsSchema } from '../../lib/responders/release';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';
import type { ResponderRequest } from '../../lib/responders/responder-input';
import { deployedStepsOf, executionRequestDigest, requestDigest } from '../../lib/responders/step-binding';
import { unblockDnsDomains, unblockDnsOptionsSchema } from '../../lib/responders/unblock-dns-domains';
import { EXECUTION, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { TEST_SEALER, sealed } from '../support/record-sealer';
import {
  APP_SG,
  DATA_VOLUME,
  DB_SG,
  ENI_A,
  ENI_B,
  ISOLATION_SG,
  MON_SG,
  PROFILE_ARN,
  ROOT_VOLUME,
  TestClientFactory,
  VPC,
  givenInstance,
  givenMutationsSucceed,
  recordOfDefaultInstance,
} from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const iamMock = mockClient(IAMClient);
interface LooseStub {
  on(command: unknown, input?: unknown): { resolves(output: unknown): unknown };
  commandCalls(command: unknown): unknown[];
  reset(): void;
}
// The resolver client's command types do not fit aws-sdk-client-mock's (as in block-dns-domain.test.ts).
const r53Mock = mockClient(Route53ResolverClient as never) as unknown as LooseStub;
const PLAYBOOKS = loadPlaybookDirectorySync('playbooks');

/** The environment the stack gives `responder`: its playbooks' steps, from the default playbooks. */
function environmentOf(responder: string): Record<string, string> {
  return { FIREBREAK_MODE: 'enforce', [SECURITY_ENV.playbookSteps]: JSON.stringify(playbookStepsFor(PLAYBOOKS, responder)) };
}

const CAROL = 'arn:aws:sts::111122223333:assumed-role/on-call/carol';
const MALLORY = 'arn:aws:sts::111122223333:assumed-role/ops-automation/mallory';

beforeEach(() => {
  ec2Mock.reset();
  r53Mock.reset();
  iamMock.reset();
  // The recorded profile as IAM answers it: created before the capture (release reads it first, row 3f).
  iamMock.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { Arn: PROFILE_ARN, InstanceProfileName: 'web-server', InstanceProfileId: 'AIPAWEBSERVERPROFILE1', Path: '/web/', CreateDate: new Date('2025-03-01T00:00:00Z'), Roles: [] } });
});

describe('release-instance under another playbook’s grant (r1 F1)', () => {
  const KEY = ec2Incident().key;
  const QUARANTINED_AT = '2026-11-20T10:02:00.000Z';
  const NOW = new Date('2026-11-27T16:30:00.000Z');

  async function setUp(playbook: string, approvedPlaybook = playbook) {
    givenMutationsSucceed(ec2Mock);
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })) });
    givenInstance(ec2Mock, {
      enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }],
      profileArn: undefined,
      terminationProtection: true,
      shutdownBehavior: 'stop',
      volumes: [{ device: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: false }, { device: '/dev/sdb', volumeId: DATA_VOLUME, deleteOnTermination: false }],
      tags: { Name: 'web-1', 'firebreak:incident': KEY, 'firebreak:status': 'quarantined', 'firebreak:quarantined-at': QUARANTINED_AT },
    });
    const records = new InMemoryQuarantineRecordStore();
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(KEY, QUARANTINED_AT)));
    // `firebreak dns unblock c2.evil-domain.com` for the claim of incident KEY on the quarantined instance.
    const { executionName, input } = buildDnsUnblockRequest({
      account: ACCOUNT,
      region: REGION,
      mode: 'enforce',
      requestedBy: MALLORY,
      reason: 'resolver false positive',
      at: new Date('2026-11-27T16:20:00Z'),
      domain: 'c2.evil-domain.com',
      claim: { instanceId: INSTANCE_ID, incidentKey: KEY },
      force: false,
    });
    const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Firebreak-${playbook}:${executionName}`;
    const incident = incidentSchema.parse(JSON.parse(JSON.stringify(input.incident))) as Incident;
    const request = playbook === 'unblock-dns-domain' ? { requestedBy: MALLORY, reason: 'resolver false positive', dnsUnblock: input.dnsUnblock } : { requestedBy: MALLORY, reason: 'resolver false positive' };
    // What the guard writes for that execution: kind release, waiting for approval, bound to its request.
    const grants = storeGranting(incident, new Date('2026-11-27T16:20:01Z'), {
      executionArn,
      playbook,
      kind: 'release',
      status: 'awaiting-approval',
      approvalDeadline: '2026-11-27T17:20:01.000Z',
      onTimeout: 'evidence-only',
      expiresAt: Math.floor(Date.parse('2026-11-27T17:35:01Z') / 1000),
      requestDigest: requestDigest(request),
      // The guard of a playbook that releases instances binds the record it read (the writer's claim: serial 1).
      ...(playbook === 'release-instance' ? { releaseRecord: { capturedAt: QUARANTINED_AT, claimSerial: 1 } } : {}),
    });
    // publish-alert stored the request; Carol approved it through the approval function.
    const approvals = new InMemoryApprovalStore();
    await approvals.putRequest({
      pk: '',
      executionArn,
      incidentKey: KEY,
      requestedAt: '2026-11-27T16:20:02.000Z',
      taskToken: 't',
      playbook: approvedPlaybook,
      account: ACCOUNT,
      region: REGION,
      instanceId: INSTANCE_ID,
      waitingSteps: ['unblock'],
      timeoutSeconds: 3600,
    });
    await approvals.decide(executionArn, { decision: 'approved', decidedBy: CAROL, decidedAt: '2026-11-27T16:25:00.000Z' }, 't');
    for (const [k, v] of approvals.records) grants.approvals.set(k, v);
    const deployed = deployedStepsOf(environmentOf(RESPONDER_NAMES.releaseInstance), releaseOptionsSchema);
    const clearance = new ApprovalReleaseClearance(approvals, releaseGrantCheck(grants, RESPONDER_NAMES.releaseInstance, deployed, () => NOW));
    const release = (options: Record<string, unknown>) =>
      releaseInstance(
        { incident, mode: 'enforce', options: releaseOptionsSchema.parse(options), execution: { ...EXECUTION, executionArn, playbook }, request },
        { clients: new TestClientFactory(), logger: silentLogger, records, sealer: TEST_SEALER, clearance, now: () => NOW },
      );
    return { release, records };
  }

  it('refuses an approved DNS unblock execution’s grant and approval: nothing is restored', async () => {
    const { release, records } = await setUp('unblock-dns-domain');
    const result = await release({ restoreInstanceProfile: true, restoreAutoScaling: false, restoreLoadBalancers: false });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain('playbook unblock-dns-domain, which has no release-instance step');
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
  });

  it('releases under the release-instance playbook’s own grant, with the options that playbook sends', async () => {
    const { release } = await setUp('release-instance');
    const result = await release({ restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true });
    expect(result.status).toBe('released');
  });

  it('refuses the release-instance playbook’s grant for the step with options that playbook does not send', async () => {
    const { release } = await setUp('release-instance');
    const result = await release({ restoreInstanceProfile: false, restoreAutoScaling: true, restoreLoadBalancers: true });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain('are not the ones playbook release-instance sends its release-instance step');
  });

  it('refuses when the approval was asked for another playbook than the grant’s', async () => {
    const { release } = await setUp('release-instance', 'unblock-dns-domain');
    const result = await release({ restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain('was asked for playbook unblock-dns-domain, not release-instance');
  });
});

describe('unblock-dns-domains with options or a request its playbook does not send (r1 F2)', () => {
  const NOW = new Date('2026-11-20T10:02:00.000Z');
  const LIST = 'rslvr-fdl-0000000000000001';
  const GROUP = 'rslvr-frg-0000000000000001';
  const DOMAIN = 'c2.evil-domain.com';
  const OTHER_DOMAIN = 'c2.other-evil.com';
  const OTHER = { instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' };

  async function setUp(grant: { playbook: string; request?: ResponderRequest }) {
    // EC2 still shows the instance quarantined (its release was refused).
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, State: { Name: 'running' }, VpcId: VPC, Tags: [{ Key: 'firebreak:status', Value: 'quarantined' }, { Key: 'firebreak:incident', Value: 'gd-first' }] }] }],
    });
    r53Mock.on(ListFirewallDomainListsCommand).resolves({ FirewallDomainLists: [{ Id: LIST, Name: 'firebreak-blocked-domains', CreatorRequestId: 'firebreak-domain-list-v1' }] });
    r53Mock.on(ListFirewallRuleGroupsCommand).resolves({ FirewallRuleGroups: [{ Id: GROUP, Name: 'firebreak-block-domains', CreatorRequestId: 'firebreak-rule-group-v1', OwnerId: ACCOUNT }] });
    r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [] });
    r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [] });
    r53Mock.on(ListFirewallDomainsCommand).resolves({ Domains: [`${DOMAIN}.`, `*.${DOMAIN}.`, `${OTHER_DOMAIN}.`, `*.${OTHER_DOMAIN}.`] });
    r53Mock.on(UpdateFirewallDomainsCommand).resolves({});
    const records = new InMemoryQuarantineRecordStore();
    await records.saveIfAbsent(recordOfDefaultInstance('gd-first', '2026-11-20T10:00:00.000Z')); // not released
    const blocks = new InMemoryDnsBlockStore();
    for (const domain of [DOMAIN, OTHER_DOMAIN]) {
      await blocks.claim(ACCOUNT, REGION, domain, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
      await blocks.claim(ACCOUNT, REGION, domain, OTHER); // another open incident on another instance
    }
    const base = ec2Incident({ key: 'gd-first' });
    const incident = { ...base, guardDuty: { ...base.guardDuty!, dnsDomain: DOMAIN } };
    const grants = storeGranting(incident, NOW, {
      kind: 'release',
      playbook: grant.playbook,
      ...(grant.request !== undefined ? { requestDigest: requestDigest(grant.request) } : {}),
    });
    const deps = {
      clients: { ec2: async () => new EC2Client({ region: REGION }), route53resolver: async () => new Route53ResolverClient({ region: REGION }) },
      logger: silentLogger,
      blocks,
      records,
      grants,
      environment: environmentOf(RESPONDER_NAMES.unblockDnsDomains),
      now: () => NOW,
    };
    const unblock = (options: Record<string, unknown>, request?: ResponderRequest) =>
      unblockDnsDomains({ incident, mode: 'enforce', options: unblockDnsOptionsSchema.parse(options), execution: EXECUTION, ...(request !== undefined ? { request } : {}) }, deps);
    return { unblock, blocks };
  }

  const RELEASE_REQUEST: ResponderRequest = { requestedBy: CAROL, reason: 'rebuilt' };

  it('refuses target requested-domain and a forced request under the release-instance playbook’s grant: the domain stays blocked', async () => {
    const { unblock, blocks } = await setUp({ playbook: 'release-instance', request: RELEASE_REQUEST });
    // What the playbook itself sends: refused (not released), as intended.
    expect((await unblock({}, RELEASE_REQUEST)).status).toBe('refused');
    const crafted = await unblock({ target: 'requested-domain' }, { requestedBy: MALLORY, reason: null, dnsUnblock: { domain: DOMAIN, force: true } });
    expect(crafted.status).toBe('refused');
    expect(crafted.refusal).toContain('are not the ones playbook release-instance sends its unblock-dns-domains step');
    expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(2);
  });

  it('refuses a request added to the release-instance playbook’s own options', async () => {
    const { unblock } = await setUp({ playbook: 'release-instance', request: RELEASE_REQUEST });
    const crafted = await unblock({}, { ...RELEASE_REQUEST, dnsUnblock: { domain: DOMAIN, force: true } });
    expect(crafted.status).toBe('refused');
    expect(crafted.refusal).toContain('is not the one execution');
  });

  it('refuses another domain, or force, than the approved `firebreak dns unblock` named; unblocks the one it named', async () => {
    const approved: ResponderRequest = { requestedBy: MALLORY, reason: 'false positive', dnsUnblock: { domain: DOMAIN, force: false } };
    const { unblock, blocks } = await setUp({ playbook: 'unblock-dns-domain', request: approved });
    const other = await unblock({ target: 'requested-domain' }, { ...approved, dnsUnblock: { domain: OTHER_DOMAIN, force: true } });
    expect(other.status).toBe('refused');
    expect(other.refusal).toContain('is not the one execution');
    const forced = await unblock({ target: 'requested-domain' }, { ...approved, dnsUnblock: { domain: DOMAIN, force: true } });
    expect(forced.status).toBe('refused');
    expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, OTHER_DOMAIN)).toHaveLength(2);
    // The request as approved passes the grant (it then refuses on the other open incident, as it must without force).
    const honest = await unblock({ target: 'requested-domain' }, approved);
    expect(honest.refusal ?? '').not.toContain('containment guard');
    expect(honest.refusal ?? '').not.toContain('grant');
  });
});

describe('quarantine-instance with an option its playbook does not send (r1 F2, revokeRoleSessions)', () => {
  it('refuses revokeRoleSessions under the compromised-ec2-instance grant before any call', async () => {
    const NOW = new Date('2026-11-20T10:02:00.000Z');
    const incident = ec2Incident();
    const result = await quarantineInstance(
      { incident, mode: 'enforce', options: quarantineOptionsSchema.parse({ autoScaling: 'detach', deregisterFromLoadBalancers: true, instanceMetadata: 'disable', revokeRoleSessions: true }), execution: EXECUTION },
      { clients: new TestClientFactory(), logger: silentLogger, records: new InMemoryQuarantineRecordStore(), grants: storeGranting(incident, NOW), environment: environmentOf(RESPONDER_NAMES.quarantineInstance), now: () => NOW } as never,
    );
    expect(result.status).toBe('refused');
    expect(JSON.stringify(result)).toContain('are not the ones playbook compromised-ec2-instance sends its quarantine-instance step');
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});

describe('evaluateGrant: the step binding', () => {
  const NOW = new Date('2026-11-20T10:02:00.000Z');
  const incident = incidentSchema.parse(ec2Incident()) as Incident;
  const deployed = deployedStepsOf(environmentOf(RESPONDER_NAMES.releaseInstance), releaseOptionsSchema);
  const options = releaseOptionsSchema.parse({ restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true });
  const request: ResponderRequest = { requestedBy: CAROL, reason: null };
  const grant = storeGranting(incident, NOW, { playbook: 'release-instance', kind: 'release', requestDigest: requestDigest(request) }).grants.get(EXECUTION.executionArn)!;
  const ask = (step: Partial<{ options: unknown; request: ResponderRequest | undefined; deployed: typeof deployed }>) =>
    evaluateGrant(
      { executionArn: EXECUTION.executionArn, incident, instanceId: INSTANCE_ID, kind: 'release', step: { responder: RESPONDER_NAMES.releaseInstance, options, request, deployed, ...step } },
      grant,
      undefined,
      NOW,
    );

  it('clears its own playbook’s step, with its options and the execution’s request', () => {
    expect(ask({})).toMatchObject({ allowed: true });
  });

  it('refuses a step without the request, or a request when the grant binds none', () => {
    expect(ask({ request: undefined })).toMatchObject({ allowed: false, code: 'wrong-step' });
    const automatic = { ...grant };
    delete (automatic as { requestDigest?: string }).requestDigest;
    expect(evaluateGrant({ executionArn: EXECUTION.executionArn, incident, instanceId: INSTANCE_ID, kind: 'release', step: { responder: RESPONDER_NAMES.releaseInstance, options, request, deployed } }, automatic, undefined, NOW)).toMatchObject({
      allowed: false,
      code: 'wrong-step',
    });
  });

  it('refuses everything when the deployment does not say its playbooks’ steps', () => {
    expect(ask({ deployed: deployedStepsOf({}, releaseOptionsSchema) })).toMatchObject({ allowed: false, code: 'wrong-step', reason: expect.stringContaining('FIREBREAK_PLAYBOOK_STEPS is not set') });
    expect(ask({ deployed: deployedStepsOf({ [SECURITY_ENV.playbookSteps]: '{"release-instance":[{"restoreInstanceProfile":"yes"}]}' }, releaseOptionsSchema) })).toMatchObject({ allowed: false, code: 'wrong-step' });
  });

  it('counts an option left at its default as the same option written out', () => {
    const written = deployedStepsOf({ [SECURITY_ENV.playbookSteps]: '{"release-instance":[{"restoreInstanceProfile":true}]}' }, releaseOptionsSchema);
    expect(ask({ deployed: written, options: releaseOptionsSchema.parse({}) })).toMatchObject({ allowed: true });
  });
});

describe('executionRequestDigest: the guard’s side', () => {
  it('takes the digest of exactly the fields the playbook passes, as a step parses them', () => {
    const input = { incident: {}, requestedBy: CAROL, reason: null, dnsUnblock: { domain: 'c2.example.com', force: false }, extra: 1 };
    expect(executionRequestDigest(input, ['requestedBy', 'reason', 'dnsUnblock'])).toEqual({ digest: requestDigest({ requestedBy: CAROL, reason: null, dnsUnblock: { domain: 'c2.example.com', force: false } }) });
    expect(executionRequestDigest(input, ['requestedBy', 'reason'])).toEqual({ digest: requestDigest({ requestedBy: CAROL, reason: null }) });
    expect(executionRequestDigest({ reason: 'x' }, ['requestedBy', 'reason'])).toHaveProperty('problem');
  });
});
