/**
 * The simulated account authorizes the DNS Firewall calls on a domain list or rule group with that
 * resource's own tags (aws:ResourceTag), as IAM does, so a statement conditioned on
 * firebreak:managed is judged, never taken as holding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AssociateFirewallRuleGroupCommand, CreateFirewallDomainListCommand, CreateFirewallRuleCommand, CreateFirewallRuleGroupCommand, ListFirewallDomainsCommand, ListFirewallRuleGroupsCommand, UpdateFirewallDomainsCommand } from '@aws-sdk/client-route53resolver';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-block-dns-domain`;
const resolverArn = (type: string) => `arn:aws:route53resolver:*:${ACCOUNT}:${type}/*`;
const MANAGED = [{ Key: 'firebreak:managed', Value: 'true' }];

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

/** A role that may create lists and groups with any tags, and use only Firebreak's tagged ones. */
async function world() {
  const sim = new SeededSimulatedAws({ seed: 'route53resolver-authorization', defaultAccount: ACCOUNT, defaultRegion: REGION });
  sim.enforceIdentityPolicies(
    ROLE,
    [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'route53resolver:ListFirewallRuleGroups', Resource: '*' },
          {
            Effect: 'Allow',
            Action: ['route53resolver:CreateFirewallDomainList', 'route53resolver:CreateFirewallRuleGroup'],
            Resource: [resolverArn('firewall-domain-list'), resolverArn('firewall-rule-group')],
          },
          {
            Effect: 'Allow',
            Action: ['route53resolver:ListFirewallDomains', 'route53resolver:UpdateFirewallDomains', 'route53resolver:CreateFirewallRule'],
            Resource: [resolverArn('firewall-domain-list'), resolverArn('firewall-rule-group')],
            Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
          },
        ],
      },
    ],
    catalog,
  );
  const r53 = await sim.clientFactory({ principal: ROLE }).route53resolver({ account: ACCOUNT, region: REGION });
  const list = async (name: string, tags: typeof MANAGED) =>
    (await r53.send(new CreateFirewallDomainListCommand({ CreatorRequestId: name, Name: name, Tags: tags }))).FirewallDomainList!.Id!;
  const group = async (name: string, tags: typeof MANAGED) =>
    (await r53.send(new CreateFirewallRuleGroupCommand({ CreatorRequestId: name, Name: name, Tags: tags }))).FirewallRuleGroup!.Id!;
  return { sim, r53, list, group };
}

describe('Route 53 Resolver authorization in the simulated account', () => {
  it('reads aws:ResourceTag from the domain list itself: Firebreak’s tagged list is read and updated, a look-alike is refused', async () => {
    const { sim, r53, list } = await world();
    const firebreaks = await list('firebreak-blocked-domains', MANAGED);
    const lookAlike = await list('firebreak-blocked-domains-2', []);

    await r53.send(new UpdateFirewallDomainsCommand({ FirewallDomainListId: firebreaks, Operation: 'ADD', Domains: ['c2.example.net'] }));
    expect((await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: firebreaks }))).Domains).toEqual(['c2.example.net.']);

    for (const call of [
      r53.send(new UpdateFirewallDomainsCommand({ FirewallDomainListId: lookAlike, Operation: 'ADD', Domains: ['c2.example.net'] })),
      r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: lookAlike })),
    ]) {
      const refused = await rejectionOf(call);
      expect(refused.name).toBe('AccessDeniedException');
      expect(refused.message).toContain(`firewall-domain-list/${lookAlike}`);
    }
    // Judged, not taken as holding: nothing left unevaluated.
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it('needs both the list and the rule group tagged for CreateFirewallRule', async () => {
    const { sim, r53, list, group } = await world();
    const taggedList = await list('firebreak-blocked-domains', MANAGED);
    const untaggedGroup = await group('someone-elses-group', []);
    const taggedGroup = await group('firebreak-block-domains', MANAGED);
    const rule = (ruleGroupId: string) =>
      r53.send(new CreateFirewallRuleCommand({ CreatorRequestId: `rule-${ruleGroupId}`, FirewallRuleGroupId: ruleGroupId, FirewallDomainListId: taggedList, Priority: 100, Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Name: 'block' }));

    expect((await rejectionOf(rule(untaggedGroup))).name).toBe('AccessDeniedException');
    await rule(taggedGroup);
    expect(sim.authorizationFindings()).toEqual([]);
  });
});

// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall-rule-group-sharing.html
describe('DNS Firewall rule groups another account shares (review-9b)', () => {
  it("FIDELITY (review-9b): lists a shared group SHARED_WITH_ME under its owner's OwnerId, and authorizes it under its owner's ARN: a grant on the account's own tagged groups refuses it, tag or no tag", async () => {
    const { sim, r53, group, list } = await world();
    const own = await group('firebreak-block-domains', MANAGED);
    const domains = await list('firebreak-blocked-domains', MANAGED);
    const shared = sim.addSharedFirewallRuleGroup({ owner: '444455556666', sharedWith: ACCOUNT, region: REGION, name: 'firebreak-block-domains', creatorRequestId: 'firebreak-rule-group-v1', tags: { 'firebreak:managed': 'true' } });
    const listed = await r53.send(new ListFirewallRuleGroupsCommand({}));
    expect(listed.FirewallRuleGroups?.map((g) => [g.Id, g.OwnerId, g.ShareStatus])).toEqual([
      [own, ACCOUNT, 'NOT_SHARED'],
      [shared, '444455556666', 'SHARED_WITH_ME'],
    ]);
    const refused = await rejectionOf(r53.send(new CreateFirewallRuleCommand({ CreatorRequestId: 'r', FirewallRuleGroupId: shared, FirewallDomainListId: domains, Priority: 100, Action: 'BLOCK', BlockResponse: 'NXDOMAIN', Name: 'r' })));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain(`arn:aws:route53resolver:${REGION}:444455556666:firewall-rule-group/${shared}`);
  });
});

describe('associating a DNS Firewall rule group another account shares (review-9b)', () => {
  it('FIDELITY (review-9b): the account may associate a shared group with its own VPC, as with its own groups', async () => {
    const sim = new SeededSimulatedAws({ seed: 'route53resolver-shared-association', defaultAccount: ACCOUNT, defaultRegion: REGION });
    const vpc = sim.addVpc();
    const shared = sim.addSharedFirewallRuleGroup({ owner: '555566667777', sharedWith: ACCOUNT, region: REGION, name: 'org-baseline', creatorRequestId: 'org-baseline' });
    const r53 = await sim.clientFactory().route53resolver({ account: ACCOUNT, region: REGION });
    const answer = await r53.send(new AssociateFirewallRuleGroupCommand({ CreatorRequestId: 'a', FirewallRuleGroupId: shared, VpcId: vpc.id, Priority: 200, Name: 'org-baseline' }));
    expect(answer.FirewallRuleGroupAssociation).toMatchObject({ FirewallRuleGroupId: shared, VpcId: vpc.id, Priority: 200 });
  });
});
