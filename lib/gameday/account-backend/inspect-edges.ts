/**
 * The containment edges read back for expectations (issue 11): the Elastic IPs associated with each
 * instance (DescribeAddresses), and Firebreak's DNS Firewall (its domain list's domains and the VPCs
 * its rule group is associated with), found the way the responders find it (lib/responders/dns-firewall.ts).
 * A backend that cannot read one (an endpoint that does not implement the API) leaves it undefined,
 * and the expectation says so.
 */
import { DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ListFirewallRuleGroupAssociationsCommand } from '@aws-sdk/client-route53resolver';
import type { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { findFirewall, listedDomains } from '../../responders/dns-firewall';
import type { AccountInspection } from '../backend';

/** The public IPs of the Elastic IPs associated with the instance, sorted; undefined when DescribeAddresses could not be read. */
export async function elasticIpsOf(ec2: EC2Client, instanceId: string): Promise<string[] | undefined> {
  try {
    const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
    return Addresses.flatMap((address) => (address.PublicIp !== undefined ? [address.PublicIp] : [])).sort();
  } catch {
    return undefined;
  }
}

/** The domains Firebreak's DNS Firewall list blocks (its `*.` entries folded into their domain) and the VPCs its rule group guards. */
export async function inspectDnsFirewall(r53: Route53ResolverClient, account: string): Promise<AccountInspection['dnsFirewall']> {
  try {
    const { domainListId, ruleGroupId } = await findFirewall(r53, account);
    const entries = domainListId === undefined ? new Set<string>() : await listedDomains(r53, domainListId);
    const domains = [...new Set([...entries].map((entry) => entry.replace(/^\*\./, '')))].sort();
    let vpcIds: string[] = [];
    if (ruleGroupId !== undefined) {
      const { FirewallRuleGroupAssociations = [] } = await r53.send(new ListFirewallRuleGroupAssociationsCommand({ FirewallRuleGroupId: ruleGroupId }));
      vpcIds = FirewallRuleGroupAssociations.flatMap((association) => (association.VpcId !== undefined && association.Status !== 'DELETING' ? [association.VpcId] : [])).sort();
    }
    return { domains, vpcIds };
  } catch {
    return undefined;
  }
}
