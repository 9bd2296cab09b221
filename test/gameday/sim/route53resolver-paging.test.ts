/**
 * The simulated Route 53 Resolver pages ListFirewallDomains as the service does: at most
 * MaxResults domains per answer (100 when it is not given, 1 to 5000), with a NextToken for the
 * rest (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_ListFirewallDomains.html),
 * so that a game day with a long domain list runs the responders' paging, and block-dns-domain
 * still finds an entry listed past the first page.
 */
import { describe, expect, it } from 'vitest';
import { CreateFirewallDomainListCommand, ListFirewallDomainsCommand, UpdateFirewallDomainsCommand } from '@aws-sdk/client-route53resolver';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { listedDomains } from '../../../lib/responders/dns-firewall';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

async function listOf(count: number) {
  const sim = new SeededSimulatedAws({ seed: 'route53resolver-paging', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const r53 = await sim.clientFactory().route53resolver({ account: ACCOUNT, region: REGION });
  const id = (await r53.send(new CreateFirewallDomainListCommand({ CreatorRequestId: 'paging', Name: 'paging' }))).FirewallDomainList!.Id!;
  const domains = Array.from({ length: count }, (_, i) => `c2-${i}.evil.example`);
  await r53.send(new UpdateFirewallDomainsCommand({ FirewallDomainListId: id, Operation: 'ADD', Domains: domains }));
  return { r53, id, domains };
}

describe('ListFirewallDomains in the simulated account', () => {
  it('FIDELITY (review-dns): answers at most 100 domains without MaxResults, and a NextToken for the rest', async () => {
    const { r53, id } = await listOf(250);
    const first = await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: id }));
    expect(first.Domains).toHaveLength(100);
    expect(first.NextToken).toBeDefined();
    const second = await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: id, NextToken: first.NextToken }));
    expect(second.Domains).toHaveLength(100);
    const third = await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: id, NextToken: second.NextToken }));
    expect(third.Domains).toHaveLength(50);
    expect(third.NextToken).toBeUndefined();
    expect(new Set([...first.Domains!, ...second.Domains!, ...third.Domains!]).size).toBe(250);
  });

  it('FIDELITY (review-dns): takes MaxResults from 1 to 5000, and refuses another', async () => {
    const { r53, id } = await listOf(30);
    expect((await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: id, MaxResults: 7 }))).Domains).toHaveLength(7);
    await expect(r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: id, MaxResults: 5001 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('lets the responders read every page: an entry past the first page is found listed', async () => {
    const { r53, id, domains } = await listOf(250);
    const listed = await listedDomains(r53, id);
    expect(listed.size).toBe(250);
    expect(listed.has(domains[249]!)).toBe(true);
  });
});
