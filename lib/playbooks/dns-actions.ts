/**
 * The DNS Firewall actions of the playbook format (issue 11), defined apart from actions.ts so the
 * registry only lists them: `block-dns-domain` blocks the domain a DNS finding names for the
 * instance's VPC, `unblock-dns-domains` (in the release playbook) removes the blocks of the
 * released instance's incidents, never a domain another open incident still blocks.
 * docs/responders/block-dns-domain.md says why each is a step of its own. The steps' options
 * schemas are in dns-options.ts, which the responders import.
 */
import { RESPONDER_NAMES } from '../contracts/responders';
import { blockDnsDomainOptions, unblockDnsDomainsOptions } from './dns-options';

/** What every DNS Firewall step reads where it acts (the instance's VPC, the lists). */
const READS = [
  'ec2:DescribeInstances',
  'route53resolver:ListFirewallDomainLists',
  'route53resolver:ListFirewallRuleGroups',
  'route53resolver:ListFirewallDomains',
] as const;

export const DNS_ACTIONS = {
  [RESPONDER_NAMES.blockDnsDomain]: {
    name: RESPONDER_NAMES.blockDnsDomain,
    description:
      'Block the domain a DNS finding names (and its subdomains) for the instance\'s VPC with Route 53 Resolver DNS Firewall; never a domain on the deployment\'s allowlist.',
    options: blockDnsDomainOptions,
    responder: RESPONDER_NAMES.blockDnsDomain,
    iamActions: [
      ...READS,
      'route53resolver:ListFirewallRules',
      'route53resolver:ListFirewallRuleGroupAssociations',
      'route53resolver:CreateFirewallDomainList',
      'route53resolver:CreateFirewallRuleGroup',
      'route53resolver:CreateFirewallRule',
      'route53resolver:AssociateFirewallRuleGroup',
      'route53resolver:UpdateFirewallDomains',
    ],
    mutates: true,
  },
  [RESPONDER_NAMES.unblockDnsDomains]: {
    name: RESPONDER_NAMES.unblockDnsDomains,
    description:
      'Remove from DNS Firewall the domains blocked for the released instance\'s incidents, keeping every domain another open incident still blocks.',
    options: unblockDnsDomainsOptions,
    responder: RESPONDER_NAMES.unblockDnsDomains,
    iamActions: [...READS, 'route53resolver:UpdateFirewallDomains'],
    mutates: true,
  },
} as const;
