/**
 * The deployed IAM policies, enforced on the simulated account's calls: identity policies per role
 * and resource policies (key, queue, topic, table, and a bucket's policy for the bucket and its
 * objects) evaluated as IAM would, with the condition keys the simulator cannot compute reported as
 * findings rather than silently taken as holding.
 */
import { requestContexts } from './authorization';
import { accessDenied } from './call';
import type { ServiceName, SimCall } from './call';
import type { IamCatalog } from './iam-catalog';
import { evaluatePolicies, evaluateResourcePolicy } from './iam-policy';
import type { PolicyDocument, RequestContext } from './iam-policy';
import type { SimWorld } from './world';

/** Something the simulated account could not rehearse faithfully for one call (reported, never silent). */
export interface AuthorizationFinding {
  readonly kind: 'unevaluated-condition';
  /** The role whose policy holds the condition. */
  readonly principal: string;
  /** The IAM action authorized (the API, or a dependent action such as ec2:CreateTags). */
  readonly action: string;
  readonly resource: string;
  /** The condition key AWS would supply but the simulated account cannot compute. */
  readonly key: string;
}

/** Identity policies the simulated account enforces for one role. */
export interface EnforcedPolicies {
  readonly documents: readonly PolicyDocument[];
}

export class PolicyEnforcement {
  private readonly identityPolicies = new Map<string, EnforcedPolicies>();
  private readonly resourcePolicies = new Map<string, { readonly document: PolicyDocument; readonly authoritative: boolean }>();
  private readonly found: AuthorizationFinding[] = [];
  private readonly findingKeys = new Set<string>();
  private catalog: IamCatalog | undefined;
  private organization: { readonly organizationId: string; readonly organizationAccounts?: ReadonlySet<string> } | undefined;

  constructor(private readonly world: SimWorld) {}

  enforceIdentityPolicies(principalArn: string, documents: readonly PolicyDocument[], catalog: IamCatalog): void {
    this.catalog = catalog;
    this.identityPolicies.set(principalArn, { documents: [...documents] });
  }

  enforceResourcePolicy(resourceArn: string, document: PolicyDocument, authoritative: boolean): void {
    this.resourcePolicies.set(resourceArn, { document, authoritative });
  }

  setOrganization(organizationId: string | undefined, accounts?: readonly string[]): void {
    this.organization = organizationId === undefined ? undefined : { organizationId, ...(accounts !== undefined ? { organizationAccounts: new Set(accounts) } : {}) };
  }

  findings(): readonly AuthorizationFinding[] {
    return this.found;
  }

  /**
   * The resource policy that binds a request on `resourceArn`: the one enforced for it, or for an S3
   * bucket or object its bucket's policy (PutBucketPolicy). A bucket policy is not authoritative: in
   * the bucket's account an Allow in either it or the caller's identity policies suffices, an
   * explicit Deny in either refuses ("How Amazon S3 authorizes a request for an object operation":
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html).
   */
  private resourcePolicyOf(resourceArn: string): { readonly document: PolicyDocument; readonly authoritative: boolean } | undefined {
    const enforced = this.resourcePolicies.get(resourceArn);
    if (enforced !== undefined || !resourceArn.startsWith('arn:aws:s3:::')) return enforced;
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resourceArn)?.[1];
    const policy = bucket === undefined ? undefined : this.world.s3.buckets.get(bucket)?.policy;
    return policy === undefined ? undefined : { document: policy, authoritative: false };
  }

  /** Records the condition keys a decision took as holding without evaluating them (once per principal, action and key). */
  private report(principal: string, context: RequestContext, unevaluated: readonly string[]): void {
    for (const key of unevaluated) {
      const id = `${principal}|${context.action}|${key}`;
      if (this.findingKeys.has(id)) continue;
      this.findingKeys.add(id);
      this.found.push({ kind: 'unevaluated-condition', principal, action: context.action, resource: context.resource, key });
    }
  }

  /** True when some resource policy is in force (else a caller without identity policies is not evaluated at all). */
  private anyResourcePolicy(): boolean {
    if (this.resourcePolicies.size > 0) return true;
    for (const bucket of this.world.s3.buckets.values()) if (bucket.policy !== undefined) return true;
    return false;
  }

  /**
   * Throws the service's AccessDenied when the enforced policies do not allow `iamAction`. A caller
   * without enforced identity policies (an administrator of the account, an attacker's role) is
   * taken as allowed by IAM, yet a resource policy's explicit Deny binds it as it binds everyone,
   * and from another account it needs that policy's allow; the game day's own `harness` calls
   * (preparing, inspecting) are not rehearsed at all.
   */
  evaluate(service: ServiceName, call: Omit<SimCall, 'authorize' | 'dryRunGate'>, iamAction: string, resourceHint: string | undefined, harness = false): void {
    const policies = this.identityPolicies.get(call.caller.principalArn);
    const catalog = this.catalog;
    if (!catalog || (!policies && (harness || !this.anyResourcePolicy()))) return;
    const contexts = requestContexts(iamAction, call, this.world, catalog, { now: this.world.now(), ...this.organization }, resourceHint);
    if (!policies) {
      for (const { context } of contexts) this.denyByResourcePolicy(service, call, context);
      return;
    }
    for (const { context } of contexts) {
      const identity = evaluatePolicies(policies.documents, context);
      const resourcePolicy = this.resourcePolicyOf(context.resource);
      const onResource = resourcePolicy ? evaluateResourcePolicy(resourcePolicy.document, context, { arn: call.caller.principalArn, account: call.caller.account }) : undefined;
      let result = identity;
      // Across accounts neither policy grants alone: "the identity-based policy in the trusted
      // account and the resource-based policy in the trusting account" must both allow, a key
      // policy included (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
      const resourceAccount = context.keys['aws:ResourceAccount']?.[0];
      const crossAccount = resourceAccount !== undefined && resourceAccount !== call.caller.account;
      if (resourcePolicy && onResource) {
        const allowed = crossAccount
          ? identity.decision === 'allow' && (onResource.direct || onResource.delegated)
          : resourcePolicy.authoritative
            ? onResource.direct || (onResource.delegated && identity.decision === 'allow')
            : identity.decision === 'allow' || onResource.direct;
        const explicit = identity.decision === 'explicit-deny' || onResource.deny;
        result = {
          decision: explicit ? 'explicit-deny' : allowed ? 'allow' : 'implicit-deny',
          ...((explicit && identity.decision !== 'explicit-deny') || (allowed && identity.decision !== 'allow') ? (onResource.statement !== undefined ? { statement: onResource.statement } : {}) : identity.statement !== undefined ? { statement: identity.statement } : {}),
          unevaluated: [...identity.unevaluated, ...onResource.unevaluated],
        };
      }
      this.report(call.caller.principalArn, context, result.unevaluated);
      if (result.decision === 'allow') continue;
      const reason =
        result.decision === 'explicit-deny'
          ? `with an explicit deny in ${identity.decision === 'explicit-deny' ? 'an identity-based' : 'a resource-based'} policy (${result.statement ?? 'a statement'})`
          : resourcePolicy?.authoritative || (crossAccount && identity.decision === 'allow')
            ? `because no resource-based policy allows the ${context.action} action`
            : `because no identity-based policy allows the ${context.action} action`;
      throw accessDenied(service, call.caller, context.action, reason, context.resource, {
        allowed: false,
        explicitDeny: result.decision === 'explicit-deny',
        ...(result.statement !== undefined ? { matchedStatement: result.statement } : {}),
        context: { principal: call.caller.principalArn, action: context.action, resource: context.resource },
      });
    }
  }

  /**
   * Throws AccessDenied when the resource's policy explicitly denies the request (its Allows add
   * nothing to an unmodelled caller of its own account), or when the caller is in another account
   * and the policy names neither it nor its account: across accounts the resource policy must allow.
   */
  private denyByResourcePolicy(service: ServiceName, call: Omit<SimCall, 'authorize' | 'dryRunGate'>, context: RequestContext): void {
    const resourcePolicy = this.resourcePolicyOf(context.resource);
    if (!resourcePolicy) return;
    const onResource = evaluateResourcePolicy(resourcePolicy.document, context, { arn: call.caller.principalArn, account: call.caller.account });
    this.report(call.caller.principalArn, context, onResource.unevaluated);
    const resourceAccount = context.keys['aws:ResourceAccount']?.[0];
    if (!onResource.deny && resourceAccount !== undefined && resourceAccount !== call.caller.account && !onResource.direct && !onResource.delegated) {
      throw accessDenied(service, call.caller, context.action, `because no resource-based policy allows the ${context.action} action`, context.resource, {
        allowed: false,
        explicitDeny: false,
        context: { principal: call.caller.principalArn, action: context.action, resource: context.resource },
      });
    }
    if (!onResource.deny) return;
    const statement = onResource.statement ?? 'a statement';
    throw accessDenied(service, call.caller, context.action, `with an explicit deny in a resource-based policy (${statement})`, context.resource, {
      allowed: false,
      explicitDeny: true,
      matchedStatement: statement,
      context: { principal: call.caller.principalArn, action: context.action, resource: context.resource },
    });
  }
}
