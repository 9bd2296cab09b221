/**
 * block-dns-domain and unblock-dns-domains with exact inputs (aws-sdk-client-mock): the firewall
 * found or made once, the domain added per incident, refusals before any call, no DryRun (so
 * nothing sent in dry-run), and a release that never unblocks a domain another incident blocks.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AssociateFirewallRuleGroupCommand,
  CreateFirewallDomainListCommand,
  CreateFirewallRuleCommand,
  CreateFirewallRuleGroupCommand,
  ListFirewallDomainListsCommand,
  ListFirewallDomainsCommand,
  ListFirewallRuleGroupAssociationsCommand,
  ListFirewallRuleGroupsCommand,
  ListFirewallRulesCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import type { Incident } from '../../lib/incident/model';
import { DnsAllowlistInvalidError, blockDnsDomain, blockDnsOptionsSchema } from '../../lib/responders/block-dns-domain';
import { DynamoDbDnsBlockStore, InMemoryDnsBlockStore } from '../../lib/responders/dns-block-records';
import { requestDigest } from '../../lib/responders/step-binding';
import { silentLogger } from '../../lib/responders/logging';
import { unblockDnsDomains } from '../../lib/responders/unblock-dns-domains';
import { EXECUTION, paused, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { DynamoDbQuarantineReleaseStates } from '../../lib/responders/quarantine-release-state';
import { inputsOf, recordOfDefaultInstance, sdkError } from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
/**
 * The Route 53 Resolver client comes from an older SDK line (the registry holds no 3.11xx release of
 * it): its smithy types differ from aws-sdk-client-mock's, its commands and wire do not. The stub is
 * typed loosely here; every call is still checked by its exact input.
 */
interface LooseStub {
  on(command: unknown, input?: unknown): { resolves(output: unknown): unknown; rejects(error: unknown): unknown };
  commandCalls(command: unknown): { args: [{ input: never }] }[];
  calls(): unknown[];
  reset(): void;
}
const r53Mock = mockClient(Route53ResolverClient as never) as unknown as LooseStub;
const ddbMock = mockClient(DynamoDBClient);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const VPC = 'vpc-0123456789abcdef0';
const LIST = 'rslvr-fdl-0000000000000001';
const GROUP = 'rslvr-frg-0000000000000001';
const DOMAIN = 'c2.evil-domain.com';
const OPTIONS = blockDnsOptionsSchema.parse({});
const MANAGED = [{ Key: 'firebreak:managed', Value: 'true' }];

const ec2 = new EC2Client({ region: REGION });
const r53 = new Route53ResolverClient({ region: REGION });
const clients = { ec2: async () => ec2, route53resolver: async () => r53 };
let blocks: InMemoryDnsBlockStore;

function dnsIncident(domain: string | null = DOMAIN, overrides: Partial<Incident> = {}): Incident {
  const base = ec2Incident(overrides);
  return { ...base, guardDuty: { ...base.guardDuty!, ...(domain !== null ? { dnsDomain: domain } : {}) } };
}

function block(incident = dnsIncident(), mode: ResponderMode = 'enforce', environment: Record<string, string> = { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org' }) {
  return blockDnsDomain({ incident, mode, options: OPTIONS, execution: EXECUTION }, { clients, logger: silentLogger, blocks, grants: storeGranting(incident, NOW), environment: { ...environment, ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW });
}

function givenInstance(tags: Record<string, string> = {}): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, State: { Name: 'running' }, VpcId: VPC, NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0aaa1111bbbb2222c', VpcId: VPC }], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }],
  });
}

/** A member account where Firebreak never blocked anything. */
function givenNoFirewall(): void {
  r53Mock.on(ListFirewallDomainListsCommand).resolves({ FirewallDomainLists: [] });
  r53Mock.on(ListFirewallRuleGroupsCommand).resolves({ FirewallRuleGroups: [] });
  r53Mock.on(CreateFirewallDomainListCommand).resolves({ FirewallDomainList: { Id: LIST } });
  r53Mock.on(CreateFirewallRuleGroupCommand).resolves({ FirewallRuleGroup: { Id: GROUP } });
  r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [] });
  r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [] });
  r53Mock.on(ListFirewallDomainsCommand).resolves({ Domains: [] });
  r53Mock.on(CreateFirewallRuleCommand).resolves({});
  r53Mock.on(AssociateFirewallRuleGroupCommand).resolves({ FirewallRuleGroupAssociation: { Id: 'rslvr-frgassoc-1' } });
  r53Mock.on(UpdateFirewallDomainsCommand).resolves({});
}

/** A member account where Firebreak's list, group, rule and association exist already. */
function givenFirewall(domains: string[] = []): void {
  givenNoFirewall();
  r53Mock.on(ListFirewallDomainListsCommand).resolves({ FirewallDomainLists: [{ Id: LIST, Name: 'firebreak-blocked-domains', CreatorRequestId: 'firebreak-domain-list-v1' }] });
  r53Mock.on(ListFirewallRuleGroupsCommand).resolves({ FirewallRuleGroups: [{ Id: GROUP, Name: 'firebreak-block-domains', CreatorRequestId: 'firebreak-rule-group-v1', OwnerId: ACCOUNT }] });
  r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [{ FirewallRuleGroupId: GROUP, FirewallDomainListId: LIST, Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Priority: 100 }] });
  r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [{ Id: 'rslvr-frgassoc-1', VpcId: VPC, FirewallRuleGroupId: GROUP, Priority: 100, Status: 'COMPLETE' }] });
  r53Mock.on(ListFirewallDomainsCommand).resolves({ Domains: domains });
}

const mutations = () =>
  [CreateFirewallDomainListCommand, CreateFirewallRuleGroupCommand, CreateFirewallRuleCommand, AssociateFirewallRuleGroupCommand, UpdateFirewallDomainsCommand].reduce(
    (n, command) => n + r53Mock.commandCalls(command as never).length,
    0,
  );

beforeEach(() => {
  ec2Mock.reset();
  r53Mock.reset();
  ddbMock.reset();
  blocks = new InMemoryDnsBlockStore();
  givenInstance();
});
afterEach(() => {
  ec2Mock.reset();
  r53Mock.reset();
});

describe('blockDnsDomain', () => {
  it('makes the firewall on first need, with exact inputs, and blocks the domain and its subdomains for the VPC EC2 names', async () => {
    givenNoFirewall();
    const result = await block();
    expect(inputsOf(r53Mock, CreateFirewallDomainListCommand)).toEqual([{ CreatorRequestId: 'firebreak-domain-list-v1', Name: 'firebreak-blocked-domains', Tags: MANAGED }]);
    expect(inputsOf(r53Mock, CreateFirewallRuleGroupCommand)).toEqual([{ CreatorRequestId: 'firebreak-rule-group-v1', Name: 'firebreak-block-domains', Tags: MANAGED }]);
    expect(inputsOf(r53Mock, CreateFirewallRuleCommand)).toEqual([
      { CreatorRequestId: `firebreak-rule-v1-${GROUP}`, FirewallRuleGroupId: GROUP, FirewallDomainListId: LIST, Priority: 100, Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Name: 'firebreak-block-listed-domains' },
    ]);
    // The rules of Firebreak's own group only (the group just made), read before the rule is added.
    expect(inputsOf(r53Mock, ListFirewallRulesCommand)).toEqual([{ FirewallRuleGroupId: GROUP }]);
    expect(inputsOf(r53Mock, ListFirewallRuleGroupAssociationsCommand)).toEqual([{ FirewallRuleGroupId: GROUP, VpcId: VPC }]);
    expect(inputsOf(r53Mock, AssociateFirewallRuleGroupCommand)).toEqual([
      { CreatorRequestId: `firebreak-association-v1-${GROUP}-${VPC}`, FirewallRuleGroupId: GROUP, VpcId: VPC, Priority: 100, Name: 'firebreak-block-domains', MutationProtection: 'DISABLED', Tags: MANAGED },
    ]);
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'ADD', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect(inputsOf(ec2Mock, DescribeInstancesCommand)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(result).toMatchObject({ status: 'blocked', domain: DOMAIN, entries: [DOMAIN, `*.${DOMAIN}`], vpcIds: [VPC], domainListId: LIST, ruleGroupId: GROUP });
    expect(result.actions.at(-1)).toMatchObject({ api: 'firebreak:block-dns-domain', outcome: 'done', detail: expect.stringContaining(`Blocked ${DOMAIN} and its subdomains for ${VPC}`) });
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: INSTANCE_ID, incidentKey: dnsIncident().key }]);
  });

  it('on redelivery finds everything made and changes nothing (already-blocked)', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    const result = await block();
    expect(mutations()).toBe(0);
    expect(result).toMatchObject({ status: 'already-blocked', idempotentReplay: true });
  });

  it("pages through the group's rules with exact inputs, and finds the rule on a later page instead of adding it again", async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    // An empty first page (a foreign rule on it fails the step: › on a rule group that is not as Firebreak made it).
    r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [], NextToken: 'page-2' });
    r53Mock.on(ListFirewallRulesCommand, { NextToken: 'page-2' }).resolves({ FirewallRules: [{ FirewallRuleGroupId: GROUP, FirewallDomainListId: LIST, Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Priority: 100 }] });
    const result = await block();
    expect(inputsOf(r53Mock, ListFirewallRulesCommand)).toEqual([{ FirewallRuleGroupId: GROUP }, { FirewallRuleGroupId: GROUP, NextToken: 'page-2' }]);
    expect(r53Mock.commandCalls(CreateFirewallRuleCommand)).toHaveLength(0);
    expect(result.status).toBe('already-blocked');
  });

  it('adds only the domain in an account whose VPC is associated already', async () => {
    givenFirewall(['other.example.com.']);
    await block();
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'ADD', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect(mutations()).toBe(1);
  });

  it('never uses a list or group named like Firebreak’s that Firebreak did not create', async () => {
    givenNoFirewall();
    r53Mock.on(ListFirewallDomainListsCommand).resolves({ FirewallDomainLists: [{ Id: 'rslvr-fdl-impostor', Name: 'firebreak-blocked-domains', CreatorRequestId: 'someone-else' }] });
    await block();
    expect(r53Mock.commandCalls(CreateFirewallDomainListCommand)).toHaveLength(1);
    expect(inputsOf<{ FirewallDomainListId: string }>(r53Mock, UpdateFirewallDomainsCommand)[0]!.FirewallDomainListId).toBe(LIST);
  });

  it('cannot dry-run: reads, sends no change, records no claim, and says so', async () => {
    givenNoFirewall();
    const result = await block(dnsIncident(), 'dry-run');
    expect(mutations()).toBe(0);
    expect(result.status).toBe('dry-run');
    expect(result.actions.filter((a) => a.api.startsWith('route53resolver:')).every((a) => a.outcome === 'would-do' && /cannot dry-run/.test(a.detail))).toBe(true);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
  });

  it.each([
    ['s3.eu-west-1.amazonaws.com', 'allowlisted'],
    ['www.example.org', 'allowlisted'],
    ['org', 'single-label'],
    ['*.evil.com', 'wildcard'],
    ['amazon.com', 'parent-of-allowlisted'],
    ['co.uk', 'public-suffix'],
    ['cloudfront.net.', 'public-suffix'],
    ['us-east-1.elasticbeanstalk.com', 'public-suffix'],
    ['auth.eu-west-1.amazoncognito.com', 'public-suffix'],
  ])('refuses %j (%s) before any AWS call', async (domain, code) => {
    const result = await block(dnsIncident(domain));
    expect(result).toMatchObject({ status: 'refused', refusal: { code } });
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('fails the step on a malformed deployment allowlist (DnsAllowlistInvalidError), blocking nothing', async () => {
    await expect(block(dnsIncident(), 'enforce', { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org,*.corp' })).rejects.toBeInstanceOf(DnsAllowlistInvalidError);
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('does nothing for a finding without a domain, a sample, or an execution the guard did not clear', async () => {
    expect((await block(dnsIncident(null))).status).toBe('no-domain');
    expect((await block(dnsIncident(DOMAIN, { sample: true }))).status).toBe('skipped-sample');
    const incident = dnsIncident();
    const refused = await blockDnsDomain(
      { incident, mode: 'enforce', options: OPTIONS, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, grants: storeGranting(dnsIncident(DOMAIN, { key: 'gd-other' }), NOW), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW },
    );
    expect(refused.status).toBe('refused');
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it("refuses another domain under the grant of the execution's own: the grant binds the whole incident, no DNS Firewall call", async () => {
    givenNoFirewall();
    // The guard cleared the execution whose finding named DOMAIN; a direct invocation names another.
    const granted = storeGranting(dnsIncident(), NOW);
    const swapped = dnsIncident('sso.corp.example');
    const refused = await blockDnsDomain(
      { incident: swapped, mode: 'enforce', options: OPTIONS, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, grants: granted, environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW },
    );
    expect(refused.status).toBe('refused');
    expect(JSON.stringify(refused.refusal)).toMatch(/not the one execution .* was started with/);
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('stays dry-run under a dry-run grant, even when its input and the deployment say enforce: no DNS Firewall change, no claim', async () => {
    givenNoFirewall();
    const incident = dnsIncident();
    // The guard cleared this execution for dry-run only (its playbook says mode: dry-run, or it was started in dry-run).
    const result = await blockDnsDomain(
      { incident, mode: 'enforce', options: OPTIONS, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, grants: storeGranting(incident, NOW, { mode: 'dry-run' }), environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org', ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW },
    );
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('dry-run only') } });
    expect(mutations()).toBe(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
  });

  it('under the emergency pause, an enforce grant written before it clears dry-run only: no DNS Firewall change, no claim (review-pause: a direct replay tried, held)', async () => {
    givenNoFirewall();
    const incident = dnsIncident();
    const result = await blockDnsDomain(
      { incident, mode: 'enforce', options: OPTIONS, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, grants: paused(storeGranting(incident, NOW)), environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org', ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW },
    );
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('Firebreak is PAUSED') } });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:emergency-pause', outcome: 'skipped' }));
    expect(mutations()).toBe(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
  });

  it("says an answer owned by another account is another account's instance, not that none was found, and blocks nothing (review-member2)", async () => {
    givenNoFirewall();
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '999988887777', Instances: [{ InstanceId: INSTANCE_ID, State: { Name: 'running' }, VpcId: VPC }] }] });
    const result = await block();
    expect(result.status).toBe('not-found');
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'ec2:DescribeInstances', detail: expect.stringContaining('another account owns') }));
    expect(mutations()).toBe(0);
  });

  it('refuses a game-day incident on an instance that did not opt in', async () => {
    givenNoFirewall();
    const result = await block(dnsIncident(DOMAIN, { gameDay: true, key: 'gameday-gd-1' }));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'not-a-gameday-target' } });
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('ATTACK: a drill never changes the DNS Firewall of its account, whose list every associated VPC shares (production too): rehearsed as dry-run, no claim', async () => {
    // Whoever may put events on the game-day bus names the domain (here one production needs); the
    // instance opted in, but the domain list is the account's and region's, not the instance's.
    givenFirewall();
    givenInstance({ 'firebreak:gameday-target': 'true' });
    const drill = dnsIncident('payments.partner.example', { gameDay: true, key: 'gameday-gd-1' });
    const result = await blockDnsDomain(
      { incident: drill, mode: 'enforce', options: OPTIONS, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, grants: storeGranting(drill, NOW, { gameDay: true }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW },
    );
    expect(mutations()).toBe(0);
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('game-day incident') } });
    expect(await blocks.claimsOf(ACCOUNT, REGION, 'payments.partner.example')).toEqual([]);
  });

  it('blocks for real the same domain on the same instance when the incident is not a drill (the rail acts only on drills)', async () => {
    givenFirewall();
    givenInstance({ 'firebreak:gameday-target': 'true' });
    const result = await block(dnsIncident('payments.partner.example'));
    expect(result.status).toBe('blocked');
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'ADD', Domains: ['payments.partner.example', '*.payments.partner.example'] }]);
  });

  it.each([
    ['its id joined the deployment\'s protected list', { FIREBREAK_PROTECTED_INSTANCE_IDS: `i-0ffffffffffffffff, ${INSTANCE_ID}` }, {}],
    ['it was tagged with the protected tag key', { FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' }, { 'firebreak:protected': 'db' }],
  ])('ATTACK (review-rails): never blocks a domain for the VPC of an instance protected since the guard cleared it (%s): refused, no claim, no DNS Firewall call (row 2u)', async (_why, rails, tags) => {
    // The guard cleared the execution (here a proceed grant; under onTimeout contain, up to 24 h
    // before the step runs); the instance is protected now, as quarantine-instance re-reads it (row 6c).
    givenFirewall();
    givenInstance(tags);
    const result = await block(dnsIncident(), 'enforce', { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org', ...rails });
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'protected', reason: expect.stringContaining(INSTANCE_ID) } });
    expect(r53Mock.calls()).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
  });

  it('ATTACK (review-rails): the protected tag key in another case on the instance protects it too, as IAM reads it (row 2w): refused, no DNS Firewall call', async () => {
    givenFirewall();
    givenInstance({ 'Firebreak:Protected': 'db' });
    const result = await block(dnsIncident(), 'enforce', { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org', FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' });
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'protected', reason: expect.stringContaining('spelt Firebreak:Protected') } });
    expect(r53Mock.calls()).toHaveLength(0);
  });

  describe('on a rule group that is not as Firebreak made it', () => {
    const FIREBREAK_RULE = { FirewallRuleGroupId: GROUP, FirewallDomainListId: LIST, Name: 'firebreak-block-listed-domains', Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Priority: 100 };

    it('ATTACK: never associates a group named like Firebreak’s (its name and request id) whose rules IAM will not let Firebreak read: an impostor, not tagged by Firebreak', async () => {
      // Someone who may create DNS Firewall resources but not associate them made a group that
      // blocks every name, with Firebreak's name and request id, before Firebreak's first block.
      givenNoFirewall();
      r53Mock.on(ListFirewallRuleGroupsCommand).resolves({ FirewallRuleGroups: [{ Id: 'rslvr-frg-impostor', Name: 'firebreak-block-domains', CreatorRequestId: 'firebreak-rule-group-v1', OwnerId: ACCOUNT }] });
      r53Mock.on(ListFirewallRulesCommand).rejects(sdkError('AccessDeniedException', 403));
      await expect(block()).rejects.toMatchObject({ name: 'ResponderAccessDeniedError' });
      expect(r53Mock.commandCalls(AssociateFirewallRuleGroupCommand)).toHaveLength(0);
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
    });

    it("ATTACK (review-members): a rule group another account shares with the organization under Firebreak's name and request id is never taken for Firebreak's: the account's own is made and blocks", async () => {
      // One member account's administrator makes a group with Firebreak's name and request id (both
      // public) and shares it with the whole organization through RAM: every account's
      // ListFirewallRuleGroups lists it (ShareStatus SHARED_WITH_ME, its owner's OwnerId). Taken for
      // Firebreak's, every DNS block of every other account failed on it (its rules are not theirs to
      // read or add to), and none ever made a group of its own.
      givenNoFirewall();
      const SHARED = 'rslvr-frg-shared0000001';
      r53Mock.on(ListFirewallRuleGroupsCommand).resolves({
        FirewallRuleGroups: [{ Id: SHARED, Name: 'firebreak-block-domains', CreatorRequestId: 'firebreak-rule-group-v1', OwnerId: '444455556666', ShareStatus: 'SHARED_WITH_ME' }],
      });
      r53Mock.on(ListFirewallRulesCommand, { FirewallRuleGroupId: SHARED }).rejects(sdkError('AccessDeniedException', 403));
      const result = await block();
      expect(inputsOf(r53Mock, CreateFirewallRuleGroupCommand)).toEqual([{ CreatorRequestId: 'firebreak-rule-group-v1', Name: 'firebreak-block-domains', Tags: MANAGED }]);
      expect(inputsOf(r53Mock, ListFirewallRulesCommand)).toEqual([{ FirewallRuleGroupId: GROUP }]);
      expect(inputsOf(r53Mock, AssociateFirewallRuleGroupCommand)).toEqual([expect.objectContaining({ FirewallRuleGroupId: GROUP, VpcId: VPC })]);
      expect(result).toMatchObject({ status: 'blocked', ruleGroupId: GROUP });
    });

    it('tried (review-members): its own group, listed with its own OwnerId (shared by it or not), is used as before', async () => {
      givenFirewall();
      r53Mock.on(ListFirewallRuleGroupsCommand).resolves({
        FirewallRuleGroups: [{ Id: GROUP, Name: 'firebreak-block-domains', CreatorRequestId: 'firebreak-rule-group-v1', OwnerId: ACCOUNT, ShareStatus: 'SHARED_BY_ME' }],
      });
      const result = await block();
      expect(r53Mock.commandCalls(CreateFirewallRuleGroupCommand)).toHaveLength(0);
      expect(result).toMatchObject({ status: 'blocked', ruleGroupId: GROUP });
    });

    it('ATTACK: never associates Firebreak’s group with a VPC while it holds a rule Firebreak did not make (it would apply to that VPC), and reports nothing blocked', async () => {
      givenFirewall();
      r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [] });
      r53Mock.on(ListFirewallRulesCommand).resolves({
        FirewallRules: [FIREBREAK_RULE, { FirewallRuleGroupId: GROUP, FirewallDomainListId: 'rslvr-fdl-every-name', Name: 'added-later', Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Priority: 101 }],
      });
      await expect(block()).rejects.toMatchObject({ name: 'ResponderFailedError', message: expect.stringContaining('rslvr-fdl-every-name') });
      expect(mutations()).toBe(0);
    });

    it.each([
      ['ALLOW', { Action: 'ALLOW', BlockResponse: undefined }],
      ['ALERT', { Action: 'ALERT', BlockResponse: undefined }],
      ['BLOCK answering with an override (a CNAME someone chose)', { BlockResponse: 'OVERRIDE', BlockOverrideDnsType: 'CNAME', BlockOverrideDomain: 'c2-2.evil.example', BlockOverrideTtl: 60 }],
      ['BLOCK of A queries only', { Qtype: 'A' }],
      ['BLOCK that trusts CNAME targets', { FirewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN' }],
    ])('ATTACK: never reports blocked (or already blocked) when Firebreak’s rule was changed to %s', async (_what, change) => {
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [{ ...FIREBREAK_RULE, ...change }] });
      await expect(block()).rejects.toMatchObject({ name: 'ResponderFailedError', message: expect.stringContaining('does not block') });
      expect(mutations()).toBe(0);
    });

    it('reports blocked with the rule as Firebreak made it, NODATA too, and the rule group’s INSPECT default written out', async () => {
      givenFirewall();
      r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [{ ...FIREBREAK_RULE, BlockResponse: 'NODATA', FirewallDomainRedirectionAction: 'INSPECT_REDIRECTION_DOMAIN' }] });
      expect((await block()).status).toBe('blocked');
    });
  });

  // README Status (DNS review) listed it open until session 28: an association of Firebreak's group
  // being deleted was not told apart from one never made, and the association sent again with the
  // same request id (CreatorRequestId is Route 53 Resolver's idempotency token) was not checked.
  it('ATTACK: never reports blocked for a VPC whose association of Firebreak’s group is being deleted, when the association sent again answers DELETING', async () => {
    givenFirewall();
    const deleting = { Id: 'rslvr-frgassoc-1', VpcId: VPC, FirewallRuleGroupId: GROUP, Priority: 100, Status: 'DELETING' };
    r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [deleting] });
    r53Mock.on(AssociateFirewallRuleGroupCommand).resolves({ FirewallRuleGroupAssociation: deleting });
    await expect(block()).rejects.toMatchObject({ name: 'ResponderFailedError', message: expect.stringContaining(`${VPC} is being deleted`) });
    expect(inputsOf(r53Mock, AssociateFirewallRuleGroupCommand)).toEqual([
      { CreatorRequestId: `firebreak-association-v1-${GROUP}-${VPC}`, FirewallRuleGroupId: GROUP, VpcId: VPC, Priority: 100, Name: 'firebreak-block-domains', MutationProtection: 'DISABLED', Tags: MANAGED },
    ]);
  });

  it("ATTACK (review-9b): never reports blocked (or already blocked) when Firebreak's association with the VPC was moved behind the priority the playbook asks for (a rule group put ahead of it may ALLOW the domain)", async () => {
    // The account's administrator (or whoever may update associations there) moves Firebreak's
    // association from 100 to 9000 and associates a group ALLOWing the C2 domain at 100: DNS Firewall
    // answers from the first matching rule group, so the domain resolves. Firebreak checked its rule
    // (ruleGroupProblem) and its association's DELETING state, not where the association sits.
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [{ Id: 'rslvr-frgassoc-1', VpcId: VPC, FirewallRuleGroupId: GROUP, Priority: 9000, Status: 'COMPLETE' }] });
    await expect(block()).rejects.toMatchObject({ name: 'ResponderFailedError', message: expect.stringContaining('priority 9000, not 100') });
    expect(mutations()).toBe(0);
    // A domain not listed yet is still added (more blocking, never less); the step fails all the same.
    givenFirewall();
    r53Mock.on(ListFirewallRuleGroupAssociationsCommand).resolves({ FirewallRuleGroupAssociations: [{ Id: 'rslvr-frgassoc-1', VpcId: VPC, FirewallRuleGroupId: GROUP, Priority: 101, Status: 'COMPLETE' }] });
    await expect(block()).rejects.toMatchObject({ name: 'ResponderFailedError', message: expect.stringContaining('priority 101, not 100') });
    expect(r53Mock.commandCalls(AssociateFirewallRuleGroupCommand)).toHaveLength(0);
  });

  it.each([
    ['AccessDeniedException', 403],
    ['ValidationException', 400],
  ])("tried (review-9b): in a shared VPC, an association Route 53 Resolver refuses (%s: the VPC is its owner's) fails the step, never reported blocked", async (code, status) => {
    // The VPC owner holds the VPC's DNS configuration; a participant's association with it is refused
    // (as the game day's simulator answers: the VPC does not exist for the participant).
    givenNoFirewall();
    r53Mock.on(AssociateFirewallRuleGroupCommand).rejects(sdkError(code, status));
    await expect(block()).rejects.toMatchObject({ name: expect.stringMatching(/Error$/) });
    expect(inputsOf(r53Mock, AssociateFirewallRuleGroupCommand)).toHaveLength(1);
  });

  it('tried (review-9b): an association at the priority the playbook asks for, or ahead of it, is already done', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    expect(await block()).toMatchObject({ status: 'already-blocked' });
    const later = blockDnsOptionsSchema.parse({ associationPriority: 200 });
    const incident = dnsIncident();
    const result = await blockDnsDomain(
      { incident, mode: 'enforce', options: later, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, grants: storeGranting(incident, NOW), environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'example.org', ...playbookStepsEnvironment(later) }, now: () => NOW },
    );
    expect(result).toMatchObject({ status: 'already-blocked' });
  });

  describe('under a grant the guard issued without a blast-radius slot (the instance held quarantined already, row 15o)', () => {
    const heldBlock = (incident = dnsIncident()) =>
      blockDnsDomain(
        { incident, mode: 'enforce', options: OPTIONS, execution: EXECUTION },
        { clients, logger: silentLogger, blocks, grants: storeGranting(incident, NOW, { heldQuarantine: true }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(OPTIONS) }, now: () => NOW },
      );

    it('ATTACK (held-rails): blocks no domain the instance does not block already: a block holds for every VPC of the account and region, a change no slot was taken for', async () => {
      // The held foothold looks up a new domain: GuardDuty's finding ran the whole playbook with no
      // slot, and this step listed the domain for every VPC associated with Firebreak's rule group.
      givenNoFirewall();
      await blocks.claim(ACCOUNT, REGION, 'other.example.net', { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
      const result = await heldBlock();
      expect(result).toMatchObject({ status: 'refused', domain: DOMAIN, refusal: { code: 'held-without-slot' } });
      expect(result.refusal?.reason).toContain('took no blast-radius slot');
      expect(r53Mock.calls()).toHaveLength(0);
      expect(ec2Mock.calls()).toHaveLength(0);
      expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
    });

    it('tried (held-rails): re-confirms a block of the domain the instance holds already (its list entries, rule and association), as the guard judged', async () => {
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
      const result = await heldBlock();
      expect(result).toMatchObject({ status: 'already-blocked' });
      expect(mutations()).toBe(0);
      // Another instance's block of the domain is not this instance's: refused.
      blocks = new InMemoryDnsBlockStore();
      await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: 'i-0ffffffffffffffff', incidentKey: 'gd-other' }, NOW.toISOString());
      expect(await heldBlock()).toMatchObject({ status: 'refused', refusal: { code: 'held-without-slot' } });
    });
  });

  it('surfaces throttling as the retryable TransientResponderError', async () => {
    givenNoFirewall();
    r53Mock.on(UpdateFirewallDomainsCommand).rejects(sdkError('ThrottlingException'));
    await expect(block()).rejects.toMatchObject({ name: 'TransientResponderError' });
  });
});

describe('unblockDnsDomains', () => {
  // A release names the incident whose quarantine it undoes (`firebreak release` takes it from the record).
  const releaseIncident = (key = 'gd-first') => dnsIncident(DOMAIN, { key });
  let records: InMemoryQuarantineRecordStore;
  const unblock = (mode: ResponderMode = 'enforce', key?: string) => {
    const incident = releaseIncident(key);
    return unblockDnsDomains(
      { incident, mode, options: { target: 'released-instance' }, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, records, grants: storeGranting(incident, NOW, { kind: 'release' }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({}) }, now: () => NOW },
    );
  };
  /** The instance's pre-quarantine record, as quarantine-instance saved it (unreleased). */
  const quarantined = () => records.saveIfAbsent(recordOfDefaultInstance('gd-first', '2026-11-20T10:00:00.000Z'));
  const RELEASED = { incidentKey: 'gd-first', releasedAt: '2026-11-20T10:01:00.000Z', releasedBy: 'arn:aws:sts::111122223333:assumed-role/on-call/carol' };
  /**
   * The domain listed and claimed by this incident (gd-first) and another (gd-second), whose own unblock drops its claim
   * right after this unblock read the claims: this one is then the last one out (row 6v).
   */
  const givenSecondClaimDroppedAfterRead = async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' });
    const read = blocks.claimStateOf.bind(blocks);
    blocks.claimStateOf = async (...args) => {
      const state = await read(...args);
      await blocks.release(ACCOUNT, REGION, DOMAIN, { instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' });
      return state;
    };
  };

  beforeEach(async () => {
    // What every case below follows unless it says otherwise: release-instance released the instance.
    records = new InMemoryQuarantineRecordStore();
    await quarantined();
    await records.markReleased(ACCOUNT, REGION, INSTANCE_ID, RELEASED);
  });

  it('removes the domain and its subdomains when no other open incident blocks it, then drops the claim', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock();
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }] });
    expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([]);
  });

  it('never removes a domain another open incident still blocks, and says which', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' });
    const result = await unblock();
    expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
    expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [{ instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' }] }]);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' }]);
  });

  it('ATTACK (review-dns): two instances that blocked one domain, released at once, never leave it blocked with no claim (row 6v)', async () => {
    const OTHER_ID = 'i-0fff0000eeee11112';
    ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [OTHER_ID] }).resolves({
      Reservations: [{ Instances: [{ InstanceId: OTHER_ID, State: { Name: 'running' }, VpcId: VPC, NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0bbb1111bbbb2222c', VpcId: VPC }], Tags: [] }] }],
    });
    await records.saveIfAbsent({ ...recordOfDefaultInstance('gd-second', '2026-11-20T10:00:00.000Z'), instanceId: OTHER_ID });
    await records.markReleased(ACCOUNT, REGION, OTHER_ID, { ...RELEASED, incidentKey: 'gd-second' });
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: OTHER_ID, incidentKey: 'gd-second' });
    // Both unblocks read the domain's claims before either drops its own (a fleet released at once).
    const read = blocks.claimStateOf.bind(blocks);
    let reads = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    blocks.claimStateOf = async (...args) => {
      const state = await read(...args);
      reads += 1;
      if (reads === 2) bothRead();
      if (reads <= 2) await barrier;
      return state;
    };
    const second = dnsIncident(DOMAIN, { key: 'gd-second', resource: ec2Resource({ instanceId: OTHER_ID }) });
    const [first, other] = await Promise.all([
      unblock(),
      unblockDnsDomains(
        { incident: second, mode: 'enforce', options: { target: 'released-instance' }, execution: EXECUTION },
        { clients, logger: silentLogger, blocks, records, grants: storeGranting(second, NOW, { kind: 'release' }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({}) }, now: () => NOW },
      ),
    ]);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
    // The last one out removes it, once.
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect([...first.domains, ...other.domains].map((d) => d.outcome).sort()).toEqual(['still-blocked', 'unblocked']);
  });

  it('the last one out puts the domain back at once when a new incident claimed it while it was being removed (row 6v)', async () => {
    await givenSecondClaimDroppedAfterRead();
    // A new incident claims the domain during the removal.
    const record = blocks.recordEntries.bind(blocks);
    blocks.recordEntries = async (account, region, domain, change, entries) => {
      if (change === 'removed') await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: 'i-0ccc0000dddd33334', incidentKey: 'gd-third' });
      return record(account, region, domain, change, entries);
    };
    const result = await unblock();
    expect(inputsOf<{ Operation: string }>(r53Mock, UpdateFirewallDomainsCommand).map((i) => i.Operation)).toEqual(['REMOVE', 'ADD']);
    expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [{ instanceId: 'i-0ccc0000dddd33334', incidentKey: 'gd-third' }] }]);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: 'i-0ccc0000dddd33334', incidentKey: 'gd-third' }]);
  });

  it('the last one out that dies before its removal is found again by its retry, which removes the domain (row 6v)', async () => {
    await givenSecondClaimDroppedAfterRead();
    r53Mock.on(UpdateFirewallDomainsCommand).rejects(sdkError('InternalServiceErrorException', 500));
    await expect(unblock()).rejects.toThrow();
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
    // The instance's index still names the block: the retry finds it and removes the domain.
    expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first' }]);
    r53Mock.on(UpdateFirewallDomainsCommand).resolves({});
    const retried = await unblock();
    expect(retried.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }]);
    expect(inputsOf<{ Operation: string }>(r53Mock, UpdateFirewallDomainsCommand).map((i) => i.Operation)).toEqual(['REMOVE', 'REMOVE']);
    expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([]);
  });

  describe('the last one out whose putting back fails, or that dies after its removal, while a new incident claims the domain (row 6x)', () => {
    const THIRD = { instanceId: 'i-0ccc0000dddd33334', incidentKey: 'gd-third' };
    const operations = () => inputsOf<{ Operation: string }>(r53Mock, UpdateFirewallDomainsCommand).map((i) => i.Operation);
    /** gd-first blocked the domain (its entries recorded); gd-third claims it during the removal, its block finding the entries still listed (it adds nothing). */
    async function racedRemoval(failAt: 'removed' | 'ADD'): Promise<void> {
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
      await blocks.recordEntries(ACCOUNT, REGION, DOMAIN, 'added', [DOMAIN, `*.${DOMAIN}`]);
      const record = blocks.recordEntries.bind(blocks);
      blocks.recordEntries = async (account, region, domain, change, entries) => {
        if (change === 'removed') {
          await blocks.claim(ACCOUNT, REGION, DOMAIN, THIRD, NOW.toISOString());
          // A DynamoDB throttle, or the Lambda's time running out, right after the REMOVE.
          if (failAt === 'removed') throw sdkError('ProvisionedThroughputExceededException');
        }
        return record(account, region, domain, change, entries);
      };
      if (failAt === 'ADD') r53Mock.on(UpdateFirewallDomainsCommand, { Operation: 'ADD' }).rejects(sdkError('ThrottlingException'));
      await expect(unblock()).rejects.toThrow();
      blocks.recordEntries = record;
      // The domain is out of the list, and gd-third claims it.
      givenFirewall([]);
      r53Mock.on(UpdateFirewallDomainsCommand).resolves({});
    }

    it('ATTACK (review-6t): a putting back that fails is done again by the retry, never left undone while an incident claims the domain', async () => {
      await racedRemoval('ADD');
      const retried = await unblock();
      expect(operations()).toEqual(['REMOVE', 'ADD', 'ADD']);
      expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand).at(-1)).toEqual({ FirewallDomainListId: LIST, Operation: 'ADD', Domains: [DOMAIN, `*.${DOMAIN}`] });
      expect(retried.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [THIRD] }]);
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ claims: [THIRD], addedEntries: [DOMAIN, `*.${DOMAIN}`] });
      expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([]);
    });

    it('ATTACK (review-6t): a run that dies after its removal is retried into putting the domain back, never into still-blocked with nothing listed', async () => {
      await racedRemoval('removed');
      const retried = await unblock();
      expect(operations()).toEqual(['REMOVE', 'ADD']);
      expect(retried.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [THIRD] }]);
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ claims: [THIRD], addedEntries: [DOMAIN, `*.${DOMAIN}`] });
      expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([]);
    });

    it('never puts back a domain a block would refuse now (a public suffix claimed before rows 6u and 6y), whoever claims it', async () => {
      const SUFFIX = 'notebook.us-east-1.sagemaker.aws';
      givenFirewall([]);
      await blocks.claim(ACCOUNT, REGION, SUFFIX, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
      await blocks.recordEntries(ACCOUNT, REGION, SUFFIX, 'added', [SUFFIX, `*.${SUFFIX}`]);
      await blocks.claim(ACCOUNT, REGION, SUFFIX, THIRD, NOW.toISOString());
      const result = await unblock();
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(result.domains).toEqual([{ domain: SUFFIX, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [THIRD] }]);
      expect(result.actions.find((a) => a.api === 'firebreak:check-domain')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('public suffix') });
    });

    it('ATTACK (review-dnshub): never puts back a domain the deployment allowlisted after it was blocked, though another incident still claims it (row 16zc)', async () => {
      // Two incidents blocked the partner's domain (a false positive, or a finding the attacker steered);
      // a person took it out of the list by hand and added it to the deployment's dnsAllowlist. The release
      // of one incident must not put the partner's domain back for the other.
      const PARTNER = 'api.partner.example';
      givenFirewall([]);
      await blocks.claim(ACCOUNT, REGION, PARTNER, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
      await blocks.recordEntries(ACCOUNT, REGION, PARTNER, 'added', [PARTNER, `*.${PARTNER}`]);
      await blocks.claim(ACCOUNT, REGION, PARTNER, THIRD, NOW.toISOString());
      const incident = releaseIncident();
      const result = await unblockDnsDomains(
        { incident, mode: 'enforce', options: { target: 'released-instance' }, execution: EXECUTION },
        { clients, logger: silentLogger, blocks, records, grants: storeGranting(incident, NOW, { kind: 'release' }), environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_DNS_ALLOWLIST: 'partner.example', ...playbookStepsEnvironment({}) }, now: () => NOW },
      );
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(result.domains).toEqual([{ domain: PARTNER, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [THIRD] }]);
      expect(result.actions.find((a) => a.api === 'firebreak:check-domain')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining("deployment's DNS allowlist") });
    });

    it('a still-blocked domain whose entries are listed sends nothing, and the instance’s index of the block goes', async () => {
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
      await blocks.claim(ACCOUNT, REGION, DOMAIN, THIRD, NOW.toISOString());
      const result = await unblock();
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [THIRD] }]);
      expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([]);
    });
  });

  it('sends nothing in dry-run (cannot dry-run) and keeps the claim', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock('dry-run');
    expect(mutations()).toBe(0);
    expect(result.domains.map((d) => d.outcome)).toEqual(['would-unblock']);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(1);
  });

  it('stays dry-run under a dry-run grant, even when its input and the deployment say enforce: nothing sent, the claim kept', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const incident = releaseIncident();
    const result = await unblockDnsDomains(
      { incident, mode: 'enforce', options: { target: 'released-instance' }, execution: EXECUTION },
      { clients, logger: silentLogger, blocks, records, grants: storeGranting(incident, NOW, { kind: 'release', mode: 'dry-run' }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({}) }, now: () => NOW },
    );
    expect(result).toMatchObject({ mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('dry-run only') } });
    expect(mutations()).toBe(0);
    expect(result.domains.map((d) => d.outcome)).toEqual(['would-unblock']);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(1);
  });

  it('refuses a game-day release on an instance EC2 does not show opted in: the VPC-wide block stays, nothing sent (issue 8: a drill changes only opted-in instances)', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    const drillKey = 'gameday-first';
    records = new InMemoryQuarantineRecordStore();
    await records.saveIfAbsent(recordOfDefaultInstance(drillKey, '2026-11-20T10:00:00.000Z'));
    await records.markReleased(ACCOUNT, REGION, INSTANCE_ID, { ...RELEASED, incidentKey: drillKey });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: drillKey });
    const drill = dnsIncident(DOMAIN, { key: drillKey, gameDay: true });
    const unblockDrill = () =>
      unblockDnsDomains(
        { incident: drill, mode: 'enforce', options: { target: 'released-instance' }, execution: EXECUTION },
        { clients, logger: silentLogger, blocks, records, grants: storeGranting(drill, NOW, { kind: 'release' }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({}) }, now: () => NOW },
      );
    const refused = await unblockDrill();
    expect(refused).toMatchObject({ status: 'refused', refusal: expect.stringContaining('firebreak:gameday-target=true') });
    expect(mutations()).toBe(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(1);

    // The same drill on an instance that opted in takes its block back.
    givenInstance({ 'firebreak:gameday-target': 'true' });
    const unblocked = await unblockDrill();
    expect(unblocked.status).toBe('unblocked');
    expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(1);
  });

  it('has nothing to do for an instance without blocks', async () => {
    expect((await unblock()).status).toBe('nothing-blocked');
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('says it found the instance released, by whom, before it unblocks', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock();
    expect(result.actions.find((a) => a.api === 'firebreak:check-released')).toMatchObject({
      target: INSTANCE_ID,
      outcome: 'observed',
      detail: `Released at ${RELEASED.releasedAt} by ${RELEASED.releasedBy} (its pre-quarantine record)`,
    });
  });

  it('keeps every block while the instance is not released (a refused release leaves it isolated): refused, nothing sent, the claim kept', async () => {
    records = new InMemoryQuarantineRecordStore();
    await quarantined();
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock();
    expect(result).toMatchObject({ status: 'refused', instanceId: INSTANCE_ID, domains: [] });
    expect(result.refusal).toContain(`${INSTANCE_ID} is not released: its pre-quarantine record (incident gd-first) is not marked released`);
    expect(result.refusal).toContain('the DNS blocks stay');
    expect(result.actions.find((a) => a.api === 'firebreak:check-released')).toMatchObject({ outcome: 'skipped' });
    expect(r53Mock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }]);
  });

  it('keeps every block of an instance EC2 still shows quarantined, though its record is marked released (a mark no release wrote)', async () => {
    givenInstance({ 'firebreak:status': 'quarantined', 'firebreak:incident': 'gd-first' });
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock();
    expect(result).toMatchObject({ status: 'refused', instanceId: INSTANCE_ID, domains: [] });
    expect(result.refusal).toContain(`${INSTANCE_ID} is still quarantined in EC2 (firebreak:status=quarantined) though its pre-quarantine record is marked released`);
    expect(inputsOf(ec2Mock, DescribeInstancesCommand)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(r53Mock.calls()).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }]);
    // Released in EC2 too: unblocked.
    givenInstance({ 'firebreak:status': 'released' });
    expect((await unblock()).status).toBe('unblocked');
  });

  it('keeps every block of an instance Firebreak holds no record of (the release found none)', async () => {
    records = new InMemoryQuarantineRecordStore();
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock();
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining(`no pre-quarantine record of ${INSTANCE_ID}`) });
    expect(r53Mock.calls()).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(1);
  });

  it("keeps a later incident's blocks when only an earlier incident's release marked the record: refused, nothing sent (review 5)", async () => {
    givenFirewall(['exfil.evil-two.com.', '*.exfil.evil-two.com.']);
    await blocks.claim(ACCOUNT, REGION, 'exfil.evil-two.com', { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
    const result = await unblock('enforce', 'gd-second');
    expect(result).toMatchObject({ status: 'refused', domains: [] });
    expect(result.refusal).toContain(`${INSTANCE_ID}'s pre-quarantine record is incident gd-first's, not gd-second's`);
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([]);
    expect(await blocks.claimsOf(ACCOUNT, REGION, 'exfil.evil-two.com')).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-second' }]);
  });

  it("takes back only the released incident's claims on the instance; another incident's stay, and it says so", async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`, 'exfil.evil-two.com.', '*.exfil.evil-two.com.']);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, 'exfil.evil-two.com', { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
    const result = await unblock();
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }] });
    expect(result.actions.find((a) => a.api === 'firebreak:read-dns-blocks')).toMatchObject({ target: 'exfil.evil-two.com', outcome: 'skipped', detail: expect.stringContaining('incident gd-second claimed it') });
    expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([{ domain: 'exfil.evil-two.com', incidentKey: 'gd-second' }]);
  });

  describe('when several incidents held the instance (claims on its record, review r3 F1)', () => {
    const OTHER_DOMAIN = 'pool.mining-evil.com';
    /** gd-first wrote the record, gd-second claimed it; gd-second's release took back only its claim. */
    async function secondClaimReleased(): Promise<void> {
      records = new InMemoryQuarantineRecordStore();
      await quarantined();
      const record = (await records.get(ACCOUNT, REGION, INSTANCE_ID))!;
      await records.claim(record, 'gd-second', NOW.toISOString());
      await records.releaseClaim((await records.get(ACCOUNT, REGION, INSTANCE_ID))!, 'gd-second');
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`, `${OTHER_DOMAIN}.`, `*.${OTHER_DOMAIN}.`]);
      await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
      await blocks.claim(ACCOUNT, REGION, OTHER_DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
    }

    it("keeps a claim-released incident's blocks while the instance stays quarantined for another incident, and says why", async () => {
      await secondClaimReleased();
      const result = await unblock('enforce', 'gd-second');
      expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining("incident gd-second's claim on i-") as unknown });
      expect(result.refusal).toContain('stays quarantined: incident gd-first still holds it');
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(await blocks.claimsOf(ACCOUNT, REGION, OTHER_DOMAIN)).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-second' }]);
    });

    it('takes back the blocks of every incident whose claim was released once the last release restores the instance', async () => {
      await secondClaimReleased();
      await records.markReleased(ACCOUNT, REGION, INSTANCE_ID, RELEASED);
      givenInstance({ 'firebreak:status': 'released' });
      const result = await unblock('enforce', 'gd-first');
      expect(result.status).toBe('unblocked');
      expect(result.domains.map((d) => [d.domain, d.incidentKey, d.outcome]).sort()).toEqual([
        [DOMAIN, 'gd-first', 'unblocked'],
        [OTHER_DOMAIN, 'gd-second', 'unblocked'],
      ]);
      expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([]);
    });

    it('lets the later incident, released last, take back its blocks though the record is the first incident\'s', async () => {
      records = new InMemoryQuarantineRecordStore();
      await quarantined();
      await records.claim((await records.get(ACCOUNT, REGION, INSTANCE_ID))!, 'gd-second', NOW.toISOString());
      await records.releaseClaim((await records.get(ACCOUNT, REGION, INSTANCE_ID))!, 'gd-first');
      await records.markReleased(ACCOUNT, REGION, INSTANCE_ID, { ...RELEASED, incidentKey: 'gd-second' });
      givenFirewall([`${OTHER_DOMAIN}.`, `*.${OTHER_DOMAIN}.`]);
      await blocks.claim(ACCOUNT, REGION, OTHER_DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
      const result = await unblock('enforce', 'gd-second');
      expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: OTHER_DOMAIN, incidentKey: 'gd-second', outcome: 'unblocked' }] });
    });
  });

  it('in dry-run, where the release marks nothing, rehearses the unblock and says it assumed the release', async () => {
    records = new InMemoryQuarantineRecordStore();
    await quarantined();
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await unblock('dry-run');
    expect(mutations()).toBe(0);
    expect(result.domains.map((d) => d.outcome)).toEqual(['would-unblock']);
    expect(result.actions.find((a) => a.api === 'firebreak:check-released')).toMatchObject({ outcome: 'would-do', detail: expect.stringContaining('only once the release has released it') });
  });

  describe('a domain someone put in Firebreak’s list by hand (row 6t)', () => {
    const firstIncident = () => dnsIncident(DOMAIN, { key: 'gd-first' });
    const LATER = new Date(NOW.getTime() + 60_000);
    const removed = () => inputsOf<{ Operation: string; Domains: string[] }>(r53Mock, UpdateFirewallDomainsCommand).filter((i) => i.Operation === 'REMOVE');

    it('ATTACK (review-dns): a release never takes out of the list a domain a person blocked by hand before any incident blocked it', async () => {
      // The security team blocked the C2 domain by hand in Firebreak's list; the attacker's instance queries it, Firebreak claims it.
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      const blocked = await block(firstIncident());
      expect(blocked.status).toBe('already-blocked');
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(blocked.actions.find((a) => a.api === 'firebreak:record-dns-listing')).toMatchObject({ target: DOMAIN, outcome: 'observed', detail: expect.stringContaining('before any incident blocked it') });
      const result = await unblock();
      expect(removed()).toEqual([]);
      expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'left-listed', leftListed: [DOMAIN, `*.${DOMAIN}`] }] });
      // The claim is taken back all the same: nothing of the incident is left.
      expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
    });

    it('ATTACK (review-dns): an explicit unblock never takes out a hand block either', async () => {
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      await block(firstIncident());
      const incident = dnsIncident(null, { key: 'gd-first', source: 'firebreak', findingType: 'Firebreak:DnsUnblock' });
      const request = { requestedBy: 'arn:aws:sts::111122223333:assumed-role/Responder/alice', reason: 'false positive', dnsUnblock: { domain: DOMAIN, force: false } };
      const result = await unblockDnsDomains(
        { incident, mode: 'enforce', options: { target: 'requested-domain' }, execution: EXECUTION, request },
        // Cleared a minute after the block (an unblock cleared before it removes nothing: row 2h).
        { clients, logger: silentLogger, blocks, records, grants: storeGranting(incident, LATER, { kind: 'release', requestDigest: requestDigest(request) }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({ target: 'requested-domain' }) }, now: () => LATER },
      );
      expect(removed()).toEqual([]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'left-listed', leftListed: [DOMAIN, `*.${DOMAIN}`] }]);
    });

    it('ATTACK (review-dns): removes what Firebreak added and leaves the wildcard a person had listed', async () => {
      givenFirewall([`*.${DOMAIN}.`]);
      await block(firstIncident());
      expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'ADD', Domains: [DOMAIN] }]);
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      const result = await unblock();
      expect(removed()).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN] }]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked', leftListed: [`*.${DOMAIN}`] }]);
    });

    it('ATTACK (review-dns): a block that failed after its claim added nothing, so its release never takes out what a person listed afterwards', async () => {
      // The rule group holds a rule Firebreak did not make: the step fails after the claim, nothing listed.
      givenFirewall([]);
      r53Mock.on(ListFirewallRulesCommand).resolves({ FirewallRules: [{ FirewallRuleGroupId: GROUP, FirewallDomainListId: 'rslvr-fdl-someone-else', Action: 'ALLOW', Priority: 50 }] });
      await expect(block(firstIncident())).rejects.toThrow(/rule/);
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }]);
      // Then the security team blocks the domain by hand.
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      const result = await unblock();
      expect(removed()).toEqual([]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'left-listed', leftListed: [DOMAIN, `*.${DOMAIN}`] }]);
    });

    it('still removes what Firebreak added when a retried block finds its own entries listed', async () => {
      givenFirewall([]);
      await block(firstIncident());
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      const retried = await block(firstIncident());
      expect(retried.status).toBe('already-blocked');
      expect(retried.actions.find((a) => a.api === 'firebreak:record-dns-listing')).toBeUndefined();
      const result = await unblock();
      expect(removed()).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }]);
    });

    it('records as Firebreak’s again what an unblock puts back for an incident that claimed the domain while it was being removed, so the last release removes it', async () => {
      givenFirewall([]);
      await block(firstIncident());
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      // Another incident claims the domain between the unblock's read of the claims and its drop of its own claim.
      const release = blocks.release.bind(blocks);
      let raced = false;
      blocks.release = async (...args) => {
        if (!raced) {
          raced = true;
          await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
        }
        return release(...args);
      };
      const first = await unblock();
      expect(first.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-second' }] }]);
      expect(inputsOf<{ Operation: string }>(r53Mock, UpdateFirewallDomainsCommand).map((i) => i.Operation)).toEqual(['ADD', 'REMOVE', 'ADD']);
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [DOMAIN, `*.${DOMAIN}`], keptEntries: [] });
      // A later block of the same domain finds Firebreak's own entries, never a person's.
      const again = await block(dnsIncident(DOMAIN, { key: 'gd-third' }));
      expect(again.actions.find((a) => a.api === 'firebreak:record-dns-listing')).toBeUndefined();
    });

    it('ATTACK (review-6t): two incidents that block a hand-listed domain at once never take each other for the block that listed it, so the last release leaves it (row 6w)', async () => {
      // The security team blocked the C2 domain by hand; two of the attacker's instances query it at once (a fleet):
      // each block claims, then finds the entries listed while the other incident claims the domain.
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      const read = blocks.claimStateOf.bind(blocks);
      let arrived = 0;
      let bothClaimed!: () => void;
      const barrier = new Promise<void>((resolve) => (bothClaimed = resolve));
      blocks.claimStateOf = async (...args) => {
        arrived += 1;
        if (arrived === 2) bothClaimed();
        if (arrived <= 2) await barrier;
        return read(...args);
      };
      const [first, second] = await Promise.all([block(firstIncident()), block(dnsIncident(DOMAIN, { key: 'gd-second' }))]);
      blocks.claimStateOf = read;
      expect([first.status, second.status]).toEqual(['already-blocked', 'already-blocked']);
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [] });
      // Both incidents released (the second's unblock first): the last one out removes nothing of the person's.
      await blocks.release(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
      const result = await unblock();
      expect(removed()).toEqual([]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'left-listed', leftListed: [DOMAIN, `*.${DOMAIN}`] }]);
    });

    it('tried (review-6t): a hand block spelt in capitals, with or without the trailing dot, is the same entry, kept, and never removed', async () => {
      givenFirewall(['C2.EVIL-DOMAIN.COM.', `*.C2.Evil-Domain.com`]);
      const blocked = await block(firstIncident());
      expect(blocked.status).toBe('already-blocked');
      expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [], keptEntries: [DOMAIN, `*.${DOMAIN}`] });
      const result = await unblock();
      expect(removed()).toEqual([]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'left-listed', leftListed: [DOMAIN, `*.${DOMAIN}`] }]);
    });

    it('still records as Firebreak’s what it finds listed while an incident claimed before additions were recorded claims the domain (row 6w)', async () => {
      // An item of an older Firebreak: the claim has no time, its block's entries were never recorded.
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-old' });
      const blocked = await block(firstIncident());
      expect(blocked.actions.find((a) => a.api === 'firebreak:record-dns-listing')).toBeUndefined();
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [DOMAIN, `*.${DOMAIN}`], keptEntries: [] });
    });

    it('still removes, at the last release, what another incident added before this one found it listed', async () => {
      givenFirewall([]);
      await block(dnsIncident(DOMAIN, { key: 'gd-second' }));
      givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
      const second = await block(firstIncident());
      expect(second.actions.find((a) => a.api === 'firebreak:record-dns-listing')).toBeUndefined();
      await blocks.release(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-second' });
      const result = await unblock();
      expect(removed()).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
      expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }]);
    });

    it('ATTACK (review-6w): a domain blocked and released by incident after incident keeps no trace of the released claims, so its item never grows to DynamoDB’s 400 KB limit (row 6z)', async () => {
      // The attacker's instances query their C2 domain again and again (one finding type after another, instance after
      // instance): each is a finding, an incident, a block and, once released, the claim taken back.
      givenFirewall([]);
      for (let i = 0; i < 40; i += 1) {
        const claim = { instanceId: INSTANCE_ID, incidentKey: `gd-${i.toString(16).padStart(32, '0')}` };
        expect((await block(dnsIncident(DOMAIN, { key: claim.incidentKey }))).status).toMatch(/blocked/);
        await blocks.release(ACCOUNT, REGION, DOMAIN, claim);
      }
      await block(firstIncident());
      const state = await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN);
      expect(state.claims).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }]);
      // Only the open claims: each released one was ~55 bytes more on the item, 7,000 of them an item DynamoDB refuses to grow (every block of the domain failing).
      expect(state.trackedClaims).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }]);
      await unblock();
      expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ claims: [], trackedClaims: [], addedEntries: [] });
    });

    describe('on a list that changes as DNS Firewall’s does: failed ADDs, a hand block taken out (review-6w)', () => {
      /** Firebreak's list as DNS Firewall holds it: every UpdateFirewallDomains that succeeds changes it; ADDs throttled while `failing.add`. */
      const failing = { add: false };
      let listed: Set<string>;
      function statefulList(initial: readonly string[]): void {
        givenFirewall([]);
        listed = new Set(initial);
        const stub = (command: unknown) => r53Mock.on(command) as unknown as { callsFake(fake: (input: never) => unknown): void };
        stub(ListFirewallDomainsCommand).callsFake(async () => ({ Domains: [...listed].map((d) => `${d}.`) }));
        stub(UpdateFirewallDomainsCommand).callsFake(async (input: { Operation: string; Domains: string[] }) => {
          if (input.Operation === 'ADD' && failing.add) throw sdkError('ThrottlingException');
          for (const d of input.Domains) if (input.Operation === 'ADD') listed.add(d); else listed.delete(d);
          return {};
        });
      }
      beforeEach(() => {
        failing.add = false;
      });

      it('ATTACK (review-6w): a block whose ADD failed leaves nothing recorded as Firebreak’s, so its release never takes out what a person then blocks by hand (row 6za)', async () => {
        // The block records its additions, then its ADD fails (throttled until the step's retries ran out):
        // the execution fails and is alerted, and the on-call blocks the domain by hand in Firebreak's list.
        statefulList([]);
        failing.add = true;
        await expect(block(firstIncident())).rejects.toThrow(/Throttling/);
        // The list read again after the failed ADD, with the same input: nothing of the domain in it, nothing recorded as Firebreak's.
        expect(inputsOf(r53Mock, ListFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST }, { FirewallDomainListId: LIST }]);
        expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ claims: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }], addedEntries: [], keptEntries: [] });
        failing.add = false;
        listed.add(DOMAIN).add(`*.${DOMAIN}`);
        const result = await unblock();
        expect(removed()).toEqual([]);
        expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'left-listed', leftListed: [DOMAIN, `*.${DOMAIN}`] }]);
        expect([...listed]).toEqual([DOMAIN, `*.${DOMAIN}`]);
      });

      it('keeps as Firebreak’s what its failed ADD listed after all (the answer lost, the entries found listed), so the release still removes it', async () => {
        statefulList([]);
        const fake = r53Mock.on(UpdateFirewallDomainsCommand) as unknown as { callsFake(fake: (input: { Domains: string[] }) => unknown): void };
        fake.callsFake(async (input) => {
          for (const d of input.Domains) listed.add(d);
          throw sdkError('InternalServiceErrorException', 500);
        });
        await expect(block(firstIncident())).rejects.toThrow();
        expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [DOMAIN, `*.${DOMAIN}`] });
        statefulList([DOMAIN, `*.${DOMAIN}`]);
        const result = await unblock();
        expect(removed()).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
        expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }]);
      });

      it('ATTACK (review-6w): a block whose ADD failed and whose list cannot be read again either (throttled) takes its entries back all the same (row 6za)', async () => {
        statefulList([]);
        failing.add = true;
        const read = r53Mock.on(ListFirewallDomainsCommand) as unknown as { callsFake(fake: () => unknown): void };
        let reads = 0;
        read.callsFake(async () => {
          reads += 1;
          if (reads > 1) throw sdkError('ThrottlingException');
          return { Domains: [] };
        });
        await expect(block(firstIncident())).rejects.toThrow(/Throttling/);
        expect(reads).toBe(2);
        expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [] });
      });

      it('a retried block whose ADD goes through records its entries again, and its release removes them', async () => {
        statefulList([]);
        failing.add = true;
        await expect(block(firstIncident())).rejects.toThrow();
        failing.add = false;
        expect((await block(firstIncident())).status).toBe('blocked');
        expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [DOMAIN, `*.${DOMAIN}`] });
        await unblock();
        expect(listed.size).toBe(0);
      });

      it('tried (review-6w): a block that reads the list before the last release’s REMOVE and the item after it takes the entries for a person’s, yet the release puts them back as Firebreak’s and the new incident’s unblock removes them', async () => {
        statefulList([]);
        await block(firstIncident());
        const read = blocks.claimStateOf.bind(blocks);
        const record = blocks.recordEntries.bind(blocks);
        let reachedRead!: () => void;
        const blockReadsItem = new Promise<void>((resolve) => (reachedRead = resolve));
        let removalRecorded!: () => void;
        const afterRemoval = new Promise<void>((resolve) => (removalRecorded = resolve));
        let second: ReturnType<typeof block> | undefined;
        let reads = 0;
        blocks.claimStateOf = async (...args) => {
          reads += 1;
          if (reads === 1) {
            // gd-first's unblock has read the claims (only its own): gd-second's block claims now and lists both entries.
            const state = await read(...args);
            second = block(dnsIncident(DOMAIN, { key: 'gd-second' }));
            await blockReadsItem;
            return state;
          }
          if (reads === 2) {
            // gd-second's block reads the item only after the REMOVE and its record, before the drop of gd-first's claim.
            reachedRead();
            await afterRemoval;
            const state = await read(...args);
            itemRead();
            return state;
          }
          return read(...args);
        };
        let itemRead!: () => void;
        const blockReadItem = new Promise<void>((resolve) => (itemRead = resolve));
        blocks.recordEntries = async (account, region, domain, change, entries) => {
          await record(account, region, domain, change, entries);
          if (change === 'removed') {
            removalRecorded();
            await blockReadItem;
          }
        };
        const first = await unblock();
        // The race happened: gd-second's block found both entries listed and none recorded, and took them for a person's.
        expect((await second)?.actions.find((a) => a.api === 'firebreak:record-dns-listing')).toMatchObject({ outcome: 'observed' });
        blocks.claimStateOf = read;
        blocks.recordEntries = record;
        expect(first.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-second' }] }]);
        expect([...listed].sort()).toEqual([`*.${DOMAIN}`, DOMAIN]);
        expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [DOMAIN, `*.${DOMAIN}`] });
        const incident = dnsIncident(null, { key: 'gd-second', source: 'firebreak', findingType: 'Firebreak:DnsUnblock' });
        const request = { requestedBy: 'arn:aws:sts::111122223333:assumed-role/Responder/alice', reason: 'false positive', dnsUnblock: { domain: DOMAIN, force: false } };
        const last = await unblockDnsDomains(
          { incident, mode: 'enforce', options: { target: 'requested-domain' }, execution: EXECUTION, request },
          { clients, logger: silentLogger, blocks, records, grants: storeGranting(incident, LATER, { kind: 'release', requestDigest: requestDigest(request) }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({ target: 'requested-domain' }) }, now: () => LATER },
        );
        expect(last.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-second', outcome: 'unblocked' }]);
        expect(inputsOf<{ Operation: string }>(r53Mock, UpdateFirewallDomainsCommand).map((i) => i.Operation)).toEqual(['ADD', 'REMOVE', 'ADD', 'REMOVE']);
        expect(listed.size).toBe(0);
      });

      it('ATTACK (review-6w): a hand block two incidents relied on, taken out by its author while they still claim the domain, is put back by the release of one of them for the other (row 6zb)', async () => {
        // The security team's hand block: both incidents found it listed and added nothing (keptEntries).
        statefulList([DOMAIN, `*.${DOMAIN}`]);
        await block(firstIncident());
        await block(dnsIncident(DOMAIN, { key: 'gd-second' }));
        expect(r53Mock.commandCalls(UpdateFirewallDomainsCommand)).toHaveLength(0);
        // Its author lifts it (their ticket closed; `firebreak dns list` still shows both incidents blocking the domain).
        listed.clear();
        const result = await unblock();
        expect(result.domains).toEqual([{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'still-blocked', keptBy: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-second' }] }]);
        // gd-second still claims the domain: it is listed again, as Firebreak's, and its own release takes it out.
        expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'ADD', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
        expect([...listed]).toEqual([DOMAIN, `*.${DOMAIN}`]);
        expect(await blocks.claimStateOf(ACCOUNT, REGION, DOMAIN)).toMatchObject({ addedEntries: [DOMAIN, `*.${DOMAIN}`], keptEntries: [] });
      });

      it('ATTACK (review-6w): an unblock whose putting back failed leaves nothing recorded as Firebreak’s, so the claiming incident’s unblock never takes out a hand block made after (row 6za)', async () => {
        const THIRD = { instanceId: INSTANCE_ID, incidentKey: 'gd-third' };
        statefulList([]);
        await block(firstIncident());
        // gd-third claims the domain during gd-first's removal (its block finds the entries still listed); putting them back keeps failing.
        const record = blocks.recordEntries.bind(blocks);
        blocks.recordEntries = async (account, region, domain, change, entries) => {
          if (change === 'removed') await blocks.claim(ACCOUNT, REGION, DOMAIN, THIRD, NOW.toISOString());
          return record(account, region, domain, change, entries);
        };
        failing.add = true;
        await expect(unblock()).rejects.toThrow();
        blocks.recordEntries = record;
        failing.add = false;
        expect(listed.size).toBe(0);
        // The execution failed and was alerted; the on-call blocks the domain by hand, then lifts gd-third's block by `firebreak dns unblock`.
        listed.add(DOMAIN).add(`*.${DOMAIN}`);
        const incident = dnsIncident(null, { key: 'gd-third', source: 'firebreak', findingType: 'Firebreak:DnsUnblock' });
        const request = { requestedBy: 'arn:aws:sts::111122223333:assumed-role/Responder/alice', reason: 'false positive', dnsUnblock: { domain: DOMAIN, force: true } };
        await unblockDnsDomains(
          { incident, mode: 'enforce', options: { target: 'requested-domain' }, execution: EXECUTION, request },
          { clients, logger: silentLogger, blocks, records, grants: storeGranting(incident, LATER, { kind: 'release', requestDigest: requestDigest(request) }), environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({ target: 'requested-domain' }) }, now: () => LATER },
        );
        expect(inputsOf<{ Operation: string }>(r53Mock, UpdateFirewallDomainsCommand).map((i) => i.Operation)).toEqual(['ADD', 'REMOVE', 'ADD']);
        expect([...listed]).toEqual([DOMAIN, `*.${DOMAIN}`]);
      });
    });
  });
});

describe('unblockDnsDomains for `firebreak dns unblock` (target requested-domain)', () => {
  const OTHER = { instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' };
  const REQUESTER = 'arn:aws:sts::111122223333:assumed-role/Responder/alice';
  const REQUESTED_DOMAIN_ENV = { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({ target: 'requested-domain' }) };
  /** The incident the CLI builds: the claim's incident key and instance. */
  const explicit = (domain: string, force: boolean, mode: ResponderMode = 'enforce') => {
    const incident = dnsIncident(null, { key: 'gd-first', source: 'firebreak', findingType: 'Firebreak:DnsUnblock' });
    const request = { requestedBy: REQUESTER, reason: 'false positive', dnsUnblock: { domain, force } };
    return unblockDnsDomains(
      { incident, mode, options: { target: 'requested-domain' }, execution: EXECUTION, request },
      // No record at all: a requested domain is taken back whatever became of the instance. The grant binds the request.
      { clients, logger: silentLogger, blocks, records: new InMemoryQuarantineRecordStore(), grants: storeGranting(incident, NOW, { kind: 'release', requestDigest: requestDigest(request) }), environment: REQUESTED_DOMAIN_ENV, now: () => NOW },
    );
  };

  it('removes the requested domain (given in any case, with a trailing dot) and drops its claim, with exact inputs', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`, 'other.example.net.']);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, 'other.example.net', { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const result = await explicit('C2.Evil-Domain.com.', false);
    expect(inputsOf(ec2Mock, DescribeInstancesCommand)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(inputsOf(r53Mock, ListFirewallDomainListsCommand)).toEqual([{}]);
    expect(inputsOf(r53Mock, ListFirewallRuleGroupsCommand)).toEqual([{}]);
    expect(inputsOf(r53Mock, ListFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST }]);
    expect(r53Mock.calls()).toHaveLength(4);
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: DOMAIN, incidentKey: 'gd-first', outcome: 'unblocked' }] });
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
    // Only the requested domain: the instance's other block stays.
    expect(await blocks.blocksOfInstance(ACCOUNT, REGION, INSTANCE_ID)).toEqual([{ domain: 'other.example.net', incidentKey: 'gd-first' }]);
  });

  it('refuses a domain no incident blocked, calling nothing', async () => {
    givenFirewall(['not-ours.example.com.']);
    const result = await explicit('not-ours.example.com', true);
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain('not blocked by any incident');
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('refuses a claim the request does not hold (the domain is another incident’s)', async () => {
    await blocks.claim(ACCOUNT, REGION, DOMAIN, OTHER);
    const result = await explicit(DOMAIN, false);
    expect(result).toMatchObject({ status: 'refused' });
    expect(result.refusal).toContain('not blocked by incident gd-first');
    expect(r53Mock.calls()).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([OTHER]);
  });

  it('refuses a domain another open incident still claims, changing no record', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, OTHER);
    const result = await explicit(DOMAIN, false);
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain('still claimed by another open incident (incident gd-second on i-0fff0000eeee11112)');
    expect(r53Mock.calls()).toHaveLength(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(2);
  });

  it('with force, drops every claim (each recorded with the requester) and removes the domain', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, OTHER);
    const result = await explicit(DOMAIN, true);
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
    expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: DOMAIN, outcome: 'unblocked', forcedPast: [OTHER] }] });
    expect(result.actions.find((a) => a.api === 'firebreak:record-dns-block' && a.detail.includes('gd-second'))?.detail).toContain(`forced by ${REQUESTER}`);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([]);
    expect(await blocks.blocksOfInstance(ACCOUNT, REGION, OTHER.instanceId)).toEqual([]);
  });

  it('with force in dry-run sends nothing and keeps every claim', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    await blocks.claim(ACCOUNT, REGION, DOMAIN, OTHER);
    const result = await explicit(DOMAIN, true, 'dry-run');
    expect(mutations()).toBe(0);
    expect(result.domains.map((d) => d.outcome)).toEqual(['would-unblock']);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(2);
  });

  // Review s20: the guard cleared the unblock (its grant, at NOW) and the approver was asked then; a
  // block claimed after that (a new incident on another instance, or a new execution of this
  // incident after GuardDuty updated the finding) is not what they approved.
  const BEFORE_GRANT = new Date(NOW.getTime() - 60_000).toISOString();
  const AFTER_GRANT = new Date(NOW.getTime() + 60_000).toISOString();

  it('ATTACK: a forced unblock does not drop a claim made after it was cleared (a new incident blocked the domain while it waited for approval)', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, BEFORE_GRANT);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, OTHER, AFTER_GRANT);
    // Before the fix: unblocked, the new incident's claim dropped as "forced" and the domain removed.
    const result = await explicit(DOMAIN, true);
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain(`claimed again at ${AFTER_GRANT}, after this unblock was cleared`);
    expect(mutations()).toBe(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toHaveLength(2);
  });

  it('ATTACK: an unblock approved before its own incident blocked the domain again (GuardDuty updated the finding) removes nothing', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, BEFORE_GRANT);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, AFTER_GRANT);
    const result = await explicit(DOMAIN, false);
    expect(result.status).toBe('refused');
    expect(mutations()).toBe(0);
    expect(await blocks.claimsOf(ACCOUNT, REGION, DOMAIN)).toEqual([{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }]);
  });

  it('forces past the claims made before it was cleared, as approved', async () => {
    givenFirewall([`${DOMAIN}.`, `*.${DOMAIN}.`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, BEFORE_GRANT);
    // As the first block recorded its additions before it listed them (row 6t).
    await blocks.recordEntries(ACCOUNT, REGION, DOMAIN, 'added', [DOMAIN, `*.${DOMAIN}`]);
    await blocks.claim(ACCOUNT, REGION, DOMAIN, OTHER, BEFORE_GRANT);
    const result = await explicit(DOMAIN, true);
    expect(result).toMatchObject({ status: 'unblocked', domains: [{ domain: DOMAIN, outcome: 'unblocked', forcedPast: [OTHER] }] });
    expect(inputsOf(r53Mock, UpdateFirewallDomainsCommand)).toEqual([{ FirewallDomainListId: LIST, Operation: 'REMOVE', Domains: [DOMAIN, `*.${DOMAIN}`] }]);
  });

  it('refuses when the execution names no requested domain', async () => {
    const incident = dnsIncident(null, { key: 'gd-first' });
    const result = await unblockDnsDomains(
      { incident, mode: 'enforce', options: { target: 'requested-domain' }, execution: EXECUTION, request: { requestedBy: REQUESTER, reason: null } },
      {
        clients,
        logger: silentLogger,
        blocks,
        records: new InMemoryQuarantineRecordStore(),
        grants: storeGranting(incident, NOW, { kind: 'release', requestDigest: requestDigest({ requestedBy: REQUESTER, reason: null }) }),
        environment: REQUESTED_DOMAIN_ENV,
        now: () => NOW,
      },
    );
    expect(result.status).toBe('refused');
    expect(r53Mock.calls()).toHaveLength(0);
  });
});

describe('DynamoDbQuarantineReleaseStates', () => {
  it('reads only the release attributes beside the sealed record, consistently, with exact inputs', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: { incidentKey: { S: 'gd-first' }, released: { BOOL: true }, releasedAt: { S: '2026-11-20T10:01:00.000Z' }, releasedBy: { S: 'carol' }, releasedClaims: { SS: ['gd-second', 'gd-first'] } } })
      .resolvesOnce({});
    const states = new DynamoDbQuarantineReleaseStates(new DynamoDBClient({ region: REGION }), 'state');
    expect(await states.releaseStateOf(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
      incidentKey: 'gd-first',
      released: true,
      releasedAt: '2026-11-20T10:01:00.000Z',
      releasedBy: 'carol',
      releasedClaims: ['gd-first', 'gd-second'],
    });
    expect(await states.releaseStateOf(ACCOUNT, REGION, INSTANCE_ID)).toBeUndefined();
    expect(inputsOf(ddbMock, GetItemCommand)[0]).toEqual({
      TableName: 'state',
      Key: { pk: { S: `quarantine#${ACCOUNT}#${REGION}#${INSTANCE_ID}` } },
      ConsistentRead: true,
      ProjectionExpression: 'incidentKey, released, releasedAt, releasedBy, claims, releasedClaims, capturedAt, claimSerial',
    });
  });
});

describe('DynamoDbDnsBlockStore', () => {
  it('adds and drops claims with atomic string-set updates, with exact inputs', async () => {
    const client = new DynamoDBClient({ region: REGION });
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: { claims: { SS: ['i-0fff0000eeee11112 gd-second'] } } });
    const store = new DynamoDbDnsBlockStore(client, 'state');
    await store.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    const remaining = await store.release(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      { TableName: 'state', Key: { pk: { S: `dnsblock#${ACCOUNT}#${REGION}#${DOMAIN}` } }, UpdateExpression: 'ADD claims :value', ExpressionAttributeValues: { ':value': { SS: [`${INSTANCE_ID} gd-first`] } } },
      { TableName: 'state', Key: { pk: { S: `dnsblock-instance#${ACCOUNT}#${REGION}#${INSTANCE_ID}` } }, UpdateExpression: 'ADD blocks :value', ExpressionAttributeValues: { ':value': { SS: [`${DOMAIN} gd-first`] } } },
      { TableName: 'state', Key: { pk: { S: `dnsblock#${ACCOUNT}#${REGION}#${DOMAIN}` } }, UpdateExpression: 'DELETE claims :value, trackedClaims :value', ExpressionAttributeValues: { ':value': { SS: [`${INSTANCE_ID} gd-first`] } }, ReturnValues: 'ALL_NEW' },
      { TableName: 'state', Key: { pk: { S: `dnsblock-instance#${ACCOUNT}#${REGION}#${INSTANCE_ID}` } }, UpdateExpression: 'DELETE blocks :value', ExpressionAttributeValues: { ':value': { SS: [`${DOMAIN} gd-first`] } } },
    ]);
    expect(remaining).toEqual([{ instanceId: 'i-0fff0000eeee11112', incidentKey: 'gd-second' }]);
  });

  it('drops a claim and keeps the instance’s index when asked (the last unblock out, row 6v), with exact inputs', async () => {
    const client = new DynamoDBClient({ region: REGION });
    ddbMock.on(UpdateItemCommand).resolves({});
    const store = new DynamoDbDnsBlockStore(client, 'state');
    expect(await store.release(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, { keepInstanceIndex: true })).toEqual([]);
    // Then, once the domain is as its claims want it, the index alone (row 6x).
    await store.dropInstanceIndex(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' });
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      { TableName: 'state', Key: { pk: { S: `dnsblock#${ACCOUNT}#${REGION}#${DOMAIN}` } }, UpdateExpression: 'DELETE claims :value, trackedClaims :value', ExpressionAttributeValues: { ':value': { SS: [`${INSTANCE_ID} gd-first`] } }, ReturnValues: 'ALL_NEW' },
      { TableName: 'state', Key: { pk: { S: `dnsblock-instance#${ACCOUNT}#${REGION}#${INSTANCE_ID}` } }, UpdateExpression: 'DELETE blocks :value', ExpressionAttributeValues: { ':value': { SS: [`${DOMAIN} gd-first`] } } },
    ]);
  });

  it('stamps the domain\'s item with when it was last claimed, and reads it back with the claims (exact inputs)', async () => {
    const client = new DynamoDBClient({ region: REGION });
    ddbMock.on(UpdateItemCommand).resolves({});
    ddbMock.on(GetItemCommand).resolves({ Item: { claims: { SS: [`${INSTANCE_ID} gd-first`] }, lastClaimAt: { S: NOW.toISOString() } } });
    const store = new DynamoDbDnsBlockStore(client, 'state');
    await store.claim(ACCOUNT, REGION, DOMAIN, { instanceId: INSTANCE_ID, incidentKey: 'gd-first' }, NOW.toISOString());
    expect(inputsOf(ddbMock, UpdateItemCommand)[0]).toEqual({
      TableName: 'state',
      Key: { pk: { S: `dnsblock#${ACCOUNT}#${REGION}#${DOMAIN}` } },
      UpdateExpression: 'SET lastClaimAt = :at, entriesTracked = :tracked ADD claims :value, trackedClaims :value',
      ExpressionAttributeValues: { ':value': { SS: [`${INSTANCE_ID} gd-first`] }, ':at': { S: NOW.toISOString() }, ':tracked': { BOOL: true } },
    });
    expect(await store.claimStateOf(ACCOUNT, REGION, DOMAIN)).toEqual({ claims: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }], lastClaimAt: NOW.toISOString(), addedEntries: [], keptEntries: [], entriesTracked: false, trackedClaims: [] });
    expect(inputsOf(ddbMock, GetItemCommand)).toEqual([{ TableName: 'state', Key: { pk: { S: `dnsblock#${ACCOUNT}#${REGION}#${DOMAIN}` } }, ConsistentRead: true }]);
  });
  it('records whose list entries are with atomic string-set updates, with exact inputs, and reads them back (row 6t)', async () => {
    const client = new DynamoDBClient({ region: REGION });
    ddbMock.on(UpdateItemCommand).resolves({});
    ddbMock.on(GetItemCommand).resolves({ Item: { claims: { SS: [`${INSTANCE_ID} gd-first`] }, trackedClaims: { SS: [`${INSTANCE_ID} gd-first`] }, addedEntries: { SS: [DOMAIN] }, keptEntries: { SS: [`*.${DOMAIN}`] }, entriesTracked: { BOOL: true } } });
    const store = new DynamoDbDnsBlockStore(client, 'state');
    await store.recordEntries(ACCOUNT, REGION, DOMAIN, 'added', [DOMAIN]);
    await store.recordEntries(ACCOUNT, REGION, DOMAIN, 'kept', [`*.${DOMAIN}`]);
    await store.recordEntries(ACCOUNT, REGION, DOMAIN, 'removed', [DOMAIN, `*.${DOMAIN}`]);
    await store.recordEntries(ACCOUNT, REGION, DOMAIN, 'added', []);
    const key = { pk: { S: `dnsblock#${ACCOUNT}#${REGION}#${DOMAIN}` } };
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      { TableName: 'state', Key: key, UpdateExpression: 'ADD addedEntries :entries DELETE keptEntries :entries', ExpressionAttributeValues: { ':entries': { SS: [DOMAIN] } } },
      { TableName: 'state', Key: key, UpdateExpression: 'ADD keptEntries :entries', ExpressionAttributeValues: { ':entries': { SS: [`*.${DOMAIN}`] } } },
      { TableName: 'state', Key: key, UpdateExpression: 'DELETE addedEntries :entries', ExpressionAttributeValues: { ':entries': { SS: [DOMAIN, `*.${DOMAIN}`] } } },
    ]);
    expect(await store.claimStateOf(ACCOUNT, REGION, DOMAIN)).toEqual({ claims: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }], addedEntries: [DOMAIN], keptEntries: [`*.${DOMAIN}`], entriesTracked: true, trackedClaims: [{ instanceId: INSTANCE_ID, incidentKey: 'gd-first' }] });
  });
});
