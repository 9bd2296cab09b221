/**
 * IAM identity-policy evaluation, as the IAM policy evaluation logic describes it for one principal
 * in one account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny in any statement wins, then any Allow, else the implicit deny. Pure: the
 * request context (action, resource ARN, condition keys) is built by the caller.
 *
 * Covered: Action/NotAction, Resource/NotResource, IAM wildcards (`*`, `?`; case-insensitive for
 * actions, case-sensitive for resources), the condition operators String*, Arn* (ArnEquals with the
 * same per-part wildcards as ArnLike, as IAM reads it), Numeric*, Date*,
 * Bool, Null, their IfExists forms and the ForAllValues/ForAnyValue set qualifiers, policy variables
 * (`${aws:username}`, `${aws:PrincipalTag/team}`) in resources and string, ARN and Bool values. A condition key
 * the caller says AWS would supply but the context cannot compute is *unevaluated*: the condition is
 * taken as holding (so the decision is the policy author's intent) and the key is returned in
 * `unevaluated`, so the game day reports it instead of allowing silently.
 */
import { FirebreakError } from '../../contracts/errors';

/** One statement of an identity policy, as IAM's JSON grammar spells it. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Resource-based policies only: who the statement is about. */
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** The request context of one authorization: what IAM sees for one action on one resource. */
export interface RequestContext {
  /** `ec2:ModifyNetworkInterfaceAttribute`. */
  readonly action: string;
  /** The resource ARN the call targets (`*` for actions without resource-level permissions). */
  readonly resource: string;
  /** Condition keys present in the request, by name (any case); values are strings. */
  readonly keys: Readonly<Record<string, readonly string[]>>;
  /**
   * True when the key can be judged absent when it is not in `keys` (AWS would not supply it for
   * this action, or the context builder knows the full set, e.g. every tag of the resource).
   * False: AWS would supply it but the simulator cannot compute it (an unevaluated condition).
   * @default every key is evaluable
   */
  readonly evaluable?: (key: string) => boolean;
}

export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface PolicyEvaluation {
  readonly decision: PolicyDecision;
  /** The Sid (or index) of the statement that decided, when one did. */
  readonly statement?: string;
  /** Condition keys that decided a statement without being evaluated (see the module comment). */
  readonly unevaluated: readonly string[];
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

// One cache per case rule, keyed by the pattern itself (no key string built per test).
const patternCaches = { insensitive: new Map<string, RegExp>(), sensitive: new Map<string, RegExp>() };

/** An IAM wildcard pattern (`*` any run, `?` one character) as an anchored regular expression. */
function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const cache = caseInsensitive ? patternCaches.insensitive : patternCaches.sensitive;
  let regex = cache.get(pattern);
  if (!regex) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regex = new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
    cache.set(pattern, regex);
  }
  return regex;
}

/** True when an IAM action pattern (`ec2:Describe*`) names `action`; action names are case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern === '*' || wildcard(pattern, true).test(action);
}

/** True when an IAM Resource pattern names `arn`; wildcards may span the ARN's colons, case matters. */
export function resourceMatches(pattern: string, arn: string): boolean {
  return pattern === '*' || wildcard(pattern, false).test(arn);
}

/** ArnLike: each of the six colon-separated parts is matched on its own (the resource part keeps its colons). */
function arnLike(pattern: string, arn: string): boolean {
  const split = (text: string) => {
    const parts = text.split(':');
    return parts.length <= 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const a = split(arn);
  if (p.length !== a.length) return false;
  return p.every((part, index) => wildcard(part, false).test(a[index] as string));
}

function toStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(toStrings);
  if (value === null || value === undefined) return [];
  return [String(value)];
}

type Comparison = (policyValue: string, requestValue: string) => boolean;

function numeric(compare: (a: number, b: number) => boolean): Comparison {
  return (policy, request) => {
    const a = Number(request);
    const b = Number(policy);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };
}

function date(compare: (a: number, b: number) => boolean): Comparison {
  const parse = (text: string) => (/^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text));
  return (policy, request) => {
    const a = parse(request);
    const b = parse(policy);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };
}

/** Base operators: the comparison and whether the operator is a negation (…Not…). */
const OPERATORS: Readonly<Record<string, { readonly compare: Comparison; readonly negated: boolean }>> = {
  stringequals: { compare: (p, r) => p === r, negated: false },
  stringnotequals: { compare: (p, r) => p === r, negated: true },
  stringequalsignorecase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  stringnotequalsignorecase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  stringlike: { compare: (p, r) => wildcard(p, false).test(r), negated: false },
  stringnotlike: { compare: (p, r) => wildcard(p, false).test(r), negated: true },
  // "ArnEquals, ArnLike: case-sensitive matching of the ARN. Each of the six colon-delimited
  // components of the ARN is checked separately and each can include multi-character match
  // wildcards (*) or single-character match wildcards (?)": the two are one operator, wildcards
  // included (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
  arnequals: { compare: arnLike, negated: false },
  arnnotequals: { compare: arnLike, negated: true },
  arnlike: { compare: arnLike, negated: false },
  arnnotlike: { compare: arnLike, negated: true },
  numericequals: { compare: numeric((a, b) => a === b), negated: false },
  numericnotequals: { compare: numeric((a, b) => a === b), negated: true },
  numericlessthan: { compare: numeric((a, b) => a < b), negated: false },
  numericlessthanequals: { compare: numeric((a, b) => a <= b), negated: false },
  numericgreaterthan: { compare: numeric((a, b) => a > b), negated: false },
  numericgreaterthanequals: { compare: numeric((a, b) => a >= b), negated: false },
  dateequals: { compare: date((a, b) => a === b), negated: false },
  datenotequals: { compare: date((a, b) => a === b), negated: true },
  datelessthan: { compare: date((a, b) => a < b), negated: false },
  datelessthanequals: { compare: date((a, b) => a <= b), negated: false },
  dategreaterthan: { compare: date((a, b) => a > b), negated: false },
  dategreaterthanequals: { compare: date((a, b) => a >= b), negated: false },
  bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  binaryequals: { compare: (p, r) => p === r, negated: false },
  ipaddress: { compare: (p, r) => p === r, negated: false },
};

/** A condition operator IAM does not know: the statement is refused by IAM at write time; here it throws. */
export class UnknownConditionOperatorError extends FirebreakError {
  override readonly name = 'UnknownConditionOperatorError';
}

function lookup(keys: RequestContext['keys'], name: string): readonly string[] | undefined {
  if (name in keys) return keys[name];
  const lower = name.toLowerCase();
  const found = Object.keys(keys).find((key) => key.toLowerCase() === lower);
  return found === undefined ? undefined : keys[found];
}

/**
 * Policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
 * `${key}` in a Resource or a string, ARN or Bool condition value is the request's value of that key;
 * `${key, 'default'}` falls back to the default; `${*}`, `${?}` and `${$}` are those characters
 * literally. A variable with no value (no such key in the request, or several values) matches
 * nothing. A key AWS would supply but the context cannot compute is unevaluated: reported, and
 * the variable taken as matching (the author's intent), as an unevaluated condition is.
 */
const VARIABLE = /\$\{([^}]*)\}/g;
const UNEVALUATED = Symbol('unevaluated');
const SPECIAL_VARIABLES: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };

/** The key a variable names (`aws:username` of `${aws:username, 'x'}`). */
function variableKey(body: string): string {
  return body.split(',')[0]?.trim() ?? '';
}

function variableValue(body: string, context: RequestContext): string | undefined | typeof UNEVALUATED {
  const special = SPECIAL_VARIABLES[body.trim()];
  if (special !== undefined) return special;
  const parsed = /^\s*([^,\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/.exec(body);
  if (!parsed) return undefined;
  const key = parsed[1] as string;
  const fallback = parsed[2]?.replace(/''/g, "'");
  const values = lookup(context.keys, key);
  if (values !== undefined && values.length === 1) return values[0];
  if (values === undefined && context.evaluable && !context.evaluable(key)) return UNEVALUATED;
  return fallback;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A value with policy variables as an anchored regular expression for one request: IAM wildcards
 * outside the variables when `wildcards`, each variable's value literally. Undefined: a variable
 * has no value, so the value matches nothing.
 */
function resolvedPattern(pattern: string, context: RequestContext, wildcards: boolean, unevaluated: Set<string>): RegExp | undefined {
  const outside = (text: string) => (wildcards ? escapeRegex(text).replace(/\\\*/g, '.*').replace(/\\\?/g, '.') : escapeRegex(text));
  let body = '';
  let last = 0;
  for (const match of pattern.matchAll(VARIABLE)) {
    body += outside(pattern.slice(last, match.index));
    const value = variableValue(match[1] as string, context);
    if (value === undefined) return undefined;
    if (value === UNEVALUATED) {
      unevaluated.add(variableKey(match[1] as string));
      body += '.*';
    } else {
      body += escapeRegex(value);
    }
    last = match.index + match[0].length;
  }
  body += outside(pattern.slice(last));
  return new RegExp(`^${body}$`, 's');
}

/** The text of a value with its variables replaced (undefined: one has no value; unevaluated: one cannot be computed). */
function resolvedText(pattern: string, context: RequestContext, unevaluated: Set<string>): string | undefined | typeof UNEVALUATED {
  let text = '';
  let last = 0;
  for (const match of pattern.matchAll(VARIABLE)) {
    const value = variableValue(match[1] as string, context);
    if (value === undefined) return undefined;
    if (value === UNEVALUATED) {
      unevaluated.add(variableKey(match[1] as string));
      return UNEVALUATED;
    }
    text += pattern.slice(last, match.index) + value;
    last = match.index + match[0].length;
  }
  return text + pattern.slice(last);
}

/** The condition operators IAM substitutes policy variables in (String, ARN and Bool; not Numeric, Date, Binary or IP). */
const VARIABLE_OPERATORS = /^(string|arn|bool)/;

/** Evaluates one `operator: { key: values }` block entry. */
function conditionHolds(
  operatorName: string,
  key: string,
  policyValues: readonly string[],
  context: RequestContext,
  unevaluated: Set<string>,
): boolean {
  let rest = operatorName;
  let qualifier: 'all' | 'any' | undefined;
  if (/^forallvalues:/i.test(rest)) {
    qualifier = 'all';
    rest = rest.slice('ForAllValues:'.length);
  } else if (/^foranyvalue:/i.test(rest)) {
    qualifier = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  }
  let ifExists = false;
  if (/ifexists$/i.test(rest)) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = rest.toLowerCase();
  const values = lookup(context.keys, key);
  if (values === undefined && context.evaluable && !context.evaluable(key)) {
    unevaluated.add(key);
    return true;
  }
  if (base === 'null') {
    const wantAbsent = policyValues.some((value) => value.toLowerCase() === 'true');
    const absent = values === undefined || values.length === 0;
    return wantAbsent ? absent : !absent;
  }
  const operator = OPERATORS[base];
  if (!operator) throw new UnknownConditionOperatorError(`unknown IAM condition operator '${operatorName}'`);
  let compared = policyValues;
  let like: readonly (RegExp | undefined)[] | undefined;
  if (VARIABLE_OPERATORS.test(base) && policyValues.some((value) => value.includes('${'))) {
    // Resolved once per request; a value whose variable has no value matches nothing.
    const seen = new Set<string>();
    if (base === 'stringlike' || base === 'stringnotlike') {
      like = policyValues.map((value) => (value.includes('${') ? resolvedPattern(value, context, true, seen) : wildcard(value, false)));
    } else {
      const texts = policyValues.map((value) => (value.includes('${') ? resolvedText(value, context, seen) : value));
      if (texts.includes(UNEVALUATED)) {
        seen.forEach((name) => unevaluated.add(name));
        return true;
      }
      compared = texts.filter((text): text is string => typeof text === 'string');
    }
    if (seen.size > 0) {
      seen.forEach((name) => unevaluated.add(name));
      return true;
    }
  }
  const likeRegexes = like;
  const matchesOne = likeRegexes
    ? (requestValue: string) => likeRegexes.some((regex) => regex?.test(requestValue) ?? false)
    : (requestValue: string) => compared.some((policyValue) => operator.compare(policyValue, requestValue));
  if (qualifier === 'all') {
    // "ForAllValues … returns true if there's no key in the request or the key value resolves to an empty data set."
    if (values === undefined || values.length === 0) return true;
    return values.every((value) => (operator.negated ? !matchesOne(value) : matchesOne(value)));
  }
  if (qualifier === 'any') {
    if (values === undefined || values.length === 0) return false;
    return values.some((value) => (operator.negated ? !matchesOne(value) : matchesOne(value)));
  }
  if (values === undefined || values.length === 0) return ifExists || operator.negated;
  // A single-valued key: positive operators need a match, negated ones need none.
  return operator.negated ? !values.some(matchesOne) : values.some(matchesOne);
}

function statementApplies(statement: PolicyStatement, context: RequestContext, unevaluated: Set<string>, actionAlreadyAdmitted = false): boolean {
  if (!actionAlreadyAdmitted && !actionAdmitted(statement, context.action)) return false;
  const resources = list(statement.Resource);
  const notResources = list(statement.NotResource);
  const local = new Set<string>();
  const matches = (pattern: string) => (pattern.includes('${') ? (resolvedPattern(pattern, context, true, local)?.test(context.resource) ?? false) : resourceMatches(pattern, context.resource));
  if (statement.Resource !== undefined && !resources.some(matches)) return false;
  if (statement.NotResource !== undefined) {
    // A variable that cannot be evaluated would match anything (`.*`) and so exclude every resource:
    // taken as excluding nothing in a Deny (it applies, and the key is reported with the decision) and
    // everything in an Allow (it does not: a refusal the run shows), never more than the author meant.
    const excluding = new Set<string>();
    const excluded = notResources.some((pattern) => (pattern.includes('${') ? (resolvedPattern(pattern, context, true, excluding)?.test(context.resource) ?? false) : resourceMatches(pattern, context.resource)));
    if (excluding.size > 0) {
      excluding.forEach((key) => unevaluated.add(key));
      if (statement.Effect === 'Allow') return false;
    } else if (excluded) return false;
  }
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(block)) {
      if (!conditionHolds(operator, key, toStrings(value), context, local)) return false;
    }
  }
  local.forEach((key) => unevaluated.add(key));
  return true;
}

/** The statements of some policy documents, flattened. */
export function statementsOf(documents: readonly PolicyDocument[]): PolicyStatement[] {
  return documents.flatMap((document) => (Array.isArray(document.Statement) ? [...(document.Statement as PolicyStatement[])] : [document.Statement as PolicyStatement]));
}

/**
 * The statements of a set of documents that can apply to one action (its Action/NotAction admit
 * it), with their position: what a statement's actions name never changes, so this is worked out
 * once per document set and action. Resources and conditions, which depend on the request and the
 * account's state, are evaluated on every request.
 */
const statementsByAction = new WeakMap<readonly PolicyDocument[], Map<string, readonly { readonly statement: PolicyStatement; readonly index: number }[]>>();

function statementsFor(documents: readonly PolicyDocument[], action: string): readonly { readonly statement: PolicyStatement; readonly index: number }[] {
  let byAction = statementsByAction.get(documents);
  if (!byAction) {
    byAction = new Map();
    statementsByAction.set(documents, byAction);
  }
  let found = byAction.get(action);
  if (!found) {
    found = statementsOf(documents)
      .map((statement, index) => ({ statement, index }))
      .filter(({ statement }) => actionAdmitted(statement, action));
    byAction.set(action, found);
  }
  return found;
}

function actionAdmitted(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined && !list(statement.Action).some((pattern) => actionMatches(pattern, action))) return false;
  if (statement.NotAction !== undefined && list(statement.NotAction).some((pattern) => actionMatches(pattern, action))) return false;
  return true;
}

/**
 * Evaluates identity policies for one request (explicit Deny, then Allow, else implicit deny).
 * The documents are read as they are at the first call for each action (an enforced set is never
 * changed in place: a scenario that removes a statement enforces a new set).
 */
export function evaluatePolicies(documents: readonly PolicyDocument[], context: RequestContext): PolicyEvaluation {
  const unevaluated = new Set<string>();
  const name = (statement: PolicyStatement, index: number) => statement.Sid ?? `statement ${index + 1}`;
  let allowedBy: string | undefined;
  for (const { statement, index } of statementsFor(documents, context.action)) {
    const seen = new Set<string>();
    if (!statementApplies(statement, context, seen, true)) continue;
    seen.forEach((key) => unevaluated.add(key));
    if (statement.Effect === 'Deny') return { decision: 'explicit-deny', statement: name(statement, index), unevaluated: [...unevaluated] };
    allowedBy ??= name(statement, index);
  }
  return allowedBy !== undefined
    ? { decision: 'allow', statement: allowedBy, unevaluated: [...unevaluated] }
    : { decision: 'implicit-deny', unevaluated: [...unevaluated] };
}

/** Who a resource-based policy is asked about: the calling role and its account. */
export interface PolicyPrincipal {
  readonly arn: string;
  readonly account: string;
}

export interface ResourcePolicyEvaluation {
  /** A Deny statement names the principal (or everyone) and applies. */
  readonly deny: boolean;
  /** An Allow names the principal itself (or everyone): it grants on its own. */
  readonly direct: boolean;
  /** An Allow names the principal's account: identity policies decide (KMS: the key delegates to IAM). */
  readonly delegated: boolean;
  readonly statement?: string;
  readonly unevaluated: readonly string[];
}

function principalsOf(statement: PolicyStatement): string[] {
  return awsPrincipals(statement.Principal);
}

/** The AWS principals of a Principal or NotPrincipal element (`"*"`, `{ "AWS": … }`; service and other principals name no role). */
function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (principal !== null && typeof principal === 'object') {
    const aws = (principal as { AWS?: unknown }).AWS;
    return aws === undefined ? [] : toStrings(aws);
  }
  return [];
}

/**
 * True when a NotPrincipal list excepts the principal. AWS may check the account, then the role, then
 * the role's session, and denies when one of them is not named: "you must also specify the account
 * ARN of the not-denied principal. Otherwise, the policy might deny access to the entire account"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
 * So the principal is excepted only when its account and it (its ARN, or a session of its role) are
 * both named; a list naming the role alone does not except it here (the Deny applies: fail closed).
 */
function notPrincipalExcepts(names: readonly string[], principal: PolicyPrincipal): boolean {
  const account = names.some((name) => name === principal.account || name === `arn:aws:iam::${principal.account}:root`);
  const role = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(principal.arn);
  const session = role ? `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/` : undefined;
  const itself = names.some((name) => name === principal.arn || (session !== undefined && name.startsWith(session)));
  return account && itself;
}

/** Evaluates a resource-based policy (key, queue, topic, bucket or trust policy, its Principal or NotPrincipal) for one principal's request. */
export function evaluateResourcePolicy(document: PolicyDocument, context: RequestContext, principal: PolicyPrincipal): ResourcePolicyEvaluation {
  const unevaluated = new Set<string>();
  let deny = false;
  let direct = false;
  let delegated = false;
  let decided: string | undefined;
  for (const [index, statement] of statementsOf([document]).entries()) {
    const names = principalsOf(statement);
    // NotPrincipal: the statement is about every principal it does not except (Allow: a direct grant).
    const isDirect = statement.NotPrincipal !== undefined ? !notPrincipalExcepts(awsPrincipals(statement.NotPrincipal), principal) : names.some((name) => name === '*' || name === principal.arn);
    const isAccount = statement.NotPrincipal === undefined && names.some((name) => name === principal.account || name === `arn:aws:iam::${principal.account}:root`);
    if (!isDirect && !isAccount) continue;
    const seen = new Set<string>();
    if (!statementApplies(statement, context, seen)) continue;
    seen.forEach((key) => unevaluated.add(key));
    const name = statement.Sid ?? `statement ${index + 1}`;
    if (statement.Effect === 'Deny') {
      deny = true;
      decided = name;
    } else if (isDirect) {
      direct = true;
      decided ??= name;
    } else {
      delegated = true;
      decided ??= name;
    }
  }
  return { deny, direct, delegated, ...(decided !== undefined ? { statement: decided } : {}), unevaluated: [...unevaluated] };
}
