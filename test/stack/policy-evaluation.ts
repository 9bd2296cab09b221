/**
 * A small IAM policy evaluator for tests: enough of the AWS policy evaluation logic
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) to
 * try a request against the statements a template synthesizes and say whether an explicit Deny
 * applies, an Allow applies, or neither. Principals, actions, resources (with `*` and `?`) and the
 * condition operators Firebreak's policies use; a key missing from the request makes a positive
 * operator false and a negated one true, as IAM does. Anything else throws, so a test never passes
 * on a statement the evaluator did not understand.
 */
import type { LocatedStatement } from './iam-catalog';

/** A request: who asks, for what, on what, with which context keys. */
export interface PolicyRequest {
  readonly action: string;
  /** The resource ARN (a resource policy's own resource when it says `*`). */
  readonly resource: string;
  /** IAM principal ARN (`aws:PrincipalArn`: for a role session, its role). */
  readonly principalArn?: string;
  /** Service principal making the call (`aws:PrincipalServiceName`), e.g. cloudwatch.amazonaws.com. */
  readonly service?: string;
  /** Further condition keys (`aws:SourceAccount`, `iam:PassedToService`…). */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'explicit-deny' | 'allow' | 'no-allow';

function glob(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

const values = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);

function accountOf(arn: string): string | undefined {
  return /^arn:[\w-]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
}

function principalMatches(principal: unknown, request: PolicyRequest): boolean {
  if (principal === undefined) return true; // identity policy: the principal is the policy's holder
  if (principal === '*') return true;
  const record = principal as { AWS?: unknown; Service?: unknown };
  for (const entry of values(record.AWS)) {
    if (entry === '*') return true;
    if (request.principalArn === undefined) continue;
    // An account root principal stands for every principal of that account.
    if (/:root$/.test(entry) && accountOf(entry) === accountOf(request.principalArn)) return true;
    if (entry === request.principalArn) return true;
  }
  return values(record.Service).some((service) => service === request.service);
}

function contextValue(key: string, request: PolicyRequest): string | undefined {
  const lower = key.toLowerCase();
  if (lower === 'aws:principalarn') return request.principalArn;
  if (lower === 'aws:principalservicename') return request.service;
  const found = Object.entries(request.context ?? {}).find(([name]) => name.toLowerCase() === lower);
  return found?.[1];
}

function conditionHolds(operator: string, key: string, expected: string[], request: PolicyRequest): boolean {
  const actual = contextValue(key, request);
  const test: Record<string, (pattern: string, value: string) => boolean> = {
    StringEquals: (pattern, value) => pattern === value,
    StringLike: (pattern, value) => glob(pattern, value),
    ArnEquals: (pattern, value) => pattern === value,
    ArnLike: (pattern, value) => glob(pattern, value),
    Bool: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(),
  };
  const negated = /Not/.test(operator);
  const base = operator.replace('Not', '');
  const compare = test[base];
  if (!compare) throw new Error(`the test evaluator does not know the condition operator ${operator}`);
  if (actual === undefined) return negated;
  const matches = expected.some((pattern) => compare(pattern, actual));
  return negated ? !matches : matches;
}

function statementApplies(statement: Record<string, unknown>, request: PolicyRequest, self?: string): boolean {
  if (statement.NotAction !== undefined || statement.NotResource !== undefined || statement.NotPrincipal !== undefined) {
    throw new Error('the test evaluator does not read NotAction, NotResource or NotPrincipal');
  }
  if (!principalMatches(statement.Principal, request)) return false;
  if (!values(statement.Action).some((action) => glob(action, request.action, true))) return false;
  const resources = statement.Resource === undefined ? (self ? [self] : ['*']) : values(statement.Resource);
  if (!resources.some((resource) => resource === '*' || glob(resource, request.resource))) return false;
  const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(condition).every(([operator, block]) =>
    Object.entries(block).every(([key, expected]) => conditionHolds(operator, key, values(expected), request)),
  );
}

/** What `statements` decide for `request`: an explicit deny wins, then an allow. */
export function evaluate(statements: readonly LocatedStatement[], request: PolicyRequest): Decision {
  let allowed = false;
  for (const { statement, self } of statements) {
    if (!statementApplies(statement, request, self)) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'no-allow';
}
