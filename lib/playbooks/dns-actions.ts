/**
 * The DNS Firewall actions of the playbook format (issue 11), defined apart from actions.ts so the
 * registry only lists them: `block-dns-domain` blocks the domain a DNS finding names for the
 * instance's VPC, `unblock-dns-domains` (in the release playbook) removes the blocks of the
 * released instance's incidents, never a domain another open incident still blocks.
 * docs/responders/block-dns-domain.md says why each is a step of its own.
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';

/** What every DNS Firewall step reads where it acts (the instance's VPC, the lists). */
const READS = [
  'ec2:DescribeInstances',
  'route53resolver:ListFirewallDomainLists',
  'route53resolver:ListFirewallRuleGroups',
  'route53resolver:ListFirewallDomains',
] as const;

export const blockDnsDomainOptions = z.strictObject({
  /**
   * What DNS Firewall answers a blocked query: NXDOMAIN (default: the name does not exist) or
   * NODATA (it exists, with no record of that type).
   */
  blockResponse: z._default(z.enum(['NXDOMAIN', 'NODATA']), 'NXDOMAIN'),
  /**
   * The priority of Firebreak's rule group among the VPC's rule groups (lowest first, unique per
   * VPC, 100 to 9900 as DNS Firewall allows). Default 100: before any other group's ALLOW rules.
   */
  associationPriority: z._default(z.number().check(z.int(), z.gte(100), z.lte(9900)), 100),
});

export const unblockDnsDomainsOptions = z.strictObject({
  /**
   * Which blocks the step takes back: `released-instance` (default; the release playbook) every
   * block of the released instance's incidents; `requested-domain` (the unblock-dns-domain
   * playbook, started by `firebreak dns unblock`) the one domain the request names, for the
   * incident and instance that claim it, refused when no incident blocks it or another open
   * incident still does (unless the request says `force`, which is recorded).
   */
  target: z._default(z.enum(['released-instance', 'requested-domain']), 'released-instance'),
});

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
