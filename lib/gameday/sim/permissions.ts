/**
 * Who may call what. A deliberately small model of IAM: per principal (role ARN), per account or
 * for everyone, a deny list of IAM actions (`ec2:Describe*` style wildcards, case-insensitive like
 * IAM action names). Enough to rehearse "the member role lacks
 * ec2:ModifyInstanceAttribute" without writing policies.
 */
import type { CallerIdentity } from './model';

/** Everyone, in every account. */
export const EVERYONE = '*';

export interface PermissionScope {
  /** A principal (role ARN) or an account id; omitted: everyone. */
  readonly principal?: string;
  readonly account?: string;
}

interface Rules {
  deny: string[];
}

function actionPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** True when `action` (e.g. `ec2:ModifyInstanceAttribute`) matches an IAM-style pattern. */
export function matchesAction(pattern: string, action: string): boolean {
  return actionPattern(pattern).test(action);
}

export class PermissionTable {
  private readonly byScope = new Map<string, Rules>();

  private key(scope: PermissionScope | undefined): string {
    if (scope?.principal !== undefined && scope.account !== undefined) {
      throw new RangeError('a permission scope names a principal or an account, not both');
    }
    return scope?.principal ?? (scope?.account !== undefined ? `account:${scope.account}` : EVERYONE);
  }

  private rules(scope: PermissionScope | undefined): Rules {
    const key = this.key(scope);
    let rules = this.byScope.get(key);
    if (!rules) {
      rules = { deny: [] };
      this.byScope.set(key, rules);
    }
    return rules;
  }

  deny(actions: readonly string[], scope?: PermissionScope): void {
    this.rules(scope).deny.push(...actions);
  }

  /** Undefined when allowed; otherwise the reason, for the AccessDenied message. */
  denialReason(caller: CallerIdentity, action: string): string | undefined {
    const scopes = [caller.principalArn, `account:${caller.account}`, EVERYONE];
    for (const scope of scopes) {
      const rules = this.byScope.get(scope);
      if (!rules) continue;
      if (rules.deny.some((p) => matchesAction(p, action))) {
        return `with an explicit deny in an identity-based policy`;
      }
    }
    return undefined;
  }
}
