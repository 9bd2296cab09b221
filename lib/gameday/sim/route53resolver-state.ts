/** The simulated Route 53 Resolver DNS Firewall state (what route53resolver.ts answers from). */
import type { Located } from './model';

export interface DomainListRecord extends Located {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly creatorRequestId: string;
  /** Entries as DNS Firewall stores them: lowercase, with a trailing dot. */
  readonly domains: Set<string>;
  readonly tags: Map<string, string>;
}

export interface RuleGroupRecord extends Located {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly creatorRequestId: string;
  readonly rules: { readonly name: string; readonly domainListId: string; readonly priority: number; readonly action: string; readonly blockResponse?: string; readonly creatorRequestId: string }[];
  readonly tags: Map<string, string>;
  /**
   * The accounts its owner (`account`) shares it with through RAM: they list it (ShareStatus
   * SHARED_WITH_ME, the owner's OwnerId) and may associate it with their VPCs; the owner lists it
   * SHARED_BY_ME (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall-rule-group-sharing.html).
   */
  readonly sharedWith?: readonly string[];
}

export interface RuleGroupAssociationRecord extends Located {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly ruleGroupId: string;
  readonly vpcId: string;
  readonly priority: number;
  readonly mutationProtection: string;
  readonly creatorRequestId: string;
}

export class DnsFirewallState {
  readonly domainLists = new Map<string, DomainListRecord>();
  readonly ruleGroups = new Map<string, RuleGroupRecord>();
  readonly associations = new Map<string, RuleGroupAssociationRecord>();

  /** True when a query for `name` from `vpcId` is blocked by an associated BLOCK rule (what a game day asserts). */
  blocks(account: string, region: string, vpcId: string, name: string): boolean {
    const query = `${name.toLowerCase().replace(/\.$/, '')}.`;
    return [...this.associations.values()]
      .filter((a) => a.account === account && a.region === region && a.vpcId === vpcId)
      .some((association) =>
        (this.ruleGroups.get(association.ruleGroupId)?.rules ?? []).some((rule) => {
          if (rule.action !== 'BLOCK') return false;
          const list = this.domainLists.get(rule.domainListId);
          return [...(list?.domains ?? [])].some((entry) => (entry.startsWith('*.') ? query.endsWith(entry.slice(1)) : entry === query));
        }),
      );
  }
}
