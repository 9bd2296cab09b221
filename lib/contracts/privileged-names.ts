import { DEPLOYMENT_ENV } from './environment';
import { SECURITY_ENV } from './security';

/**
 * The role-name prefix of the responders' roles in the security account and of the member roles'
 * default names (`firebreak-responder-<responder>`): Firebreak's own.
 */
export const FIREBREAK_RESPONDER_ROLE_NAME_PREFIX = 'firebreak-responder-';

/**
 * Administrator and break-glass principals, by IAM name pattern (IAM's `*` wildcard). The stack's
 * IAM deny matches them case-sensitively, as ARNs are; the responders' own check by name ignores
 * case, since IAM names are unique whatever their case (a finding naming `bREAKgLASS-ops` means
 * the role `BreakGlass-Ops`): Firebreak never writes a policy to their roles, never passes them
 * to EC2, never disables their users' keys nor revokes their roles' sessions, whatever a finding or a
 * record names. The stack's IAM denies them (lib/stack/iam-scopes.ts); the credential responders
 * also refuse them by name before any call (FIREBREAK_PRIVILEGED_NAME_PATTERNS, these by default).
 */
export const DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS: readonly string[] = [
  '*Admin*',
  '*admin*',
  '*ADMIN*',
  '*BreakGlass*',
  '*Breakglass*',
  '*breakglass*',
  '*break-glass*',
  '*Break-Glass*',
  '*BREAK-GLASS*',
  'OrganizationAccountAccessRole',
  'AWSControlTowerExecution',
  'AWSReservedSSO_*',
  // Every role IAM Identity Center (and other AWS-reserved paths) manages.
  'aws-reserved/*',
  // The roles that deploy stacks, usually with AdministratorAccess: CloudFormation StackSet
  // execution (self-managed, and service-managed `stacksets-exec-<hash>`) and the CDK bootstrap roles
  // of the default qualifier (a write to the deploy role could pass the cfn-exec role). A custom
  // qualifier's `cdk-<qualifier>-*` is named in privilegedRoleNamePatterns, which replaces this list.
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs.html
  // https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html
  'AWSCloudFormationStackSetExecutionRole',
  'stacksets-exec-*',
  'cdk-hnb659fds-*',
];

/** The pattern `name` (a user or role name, without path) matches among `patterns`, if any (IAM `*` wildcards; a pattern with a path matches names only through a leading `*`). */
export function matchesPrivilegedName(name: string, patterns: readonly string[]): string | undefined {
  return patterns.find((pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i').test(name));
}

/**
 * Why a role at `path` (IAM's, `/` or `/ops/breakglass/`) named `name` is privileged as IAM reads the
 * stack's deny, or undefined (row 11ab). The deny names the privileged roles by ARN, `role/<pattern>`,
 * and an ARN holds the role's path: IAM's `*` matches a slash too, so `role/*admin*` denies
 * `role/platform-admin/web-server`, whose name alone matches no pattern, and a pattern with a path
 * (`aws-reserved/*`) names where the role lives. A step that checked the name alone met AccessDenied
 * where it acted (after a blast-radius slot; quarantine-instance before it took the profile away).
 * Matched whatever the case, as the names are.
 */
export function privilegedPathReason(what: 'role' | 'user', name: string, path: string | undefined, patterns: readonly string[]): string | undefined {
  if (path === undefined || path === '' || path === '/') return undefined;
  const resource = `${path.replace(/^\//, '')}${name}`;
  // Each pattern as the deny writes it, under any path too (row 11ad): `role/*/stacksets-exec-*`
  // denies `role/ops/stacksets-exec-payments/runner`, which `stacksets-exec-*` alone does not match.
  const pattern = patterns.find((one) => privilegedArnResources(one).some((written) => matchesPrivilegedName(resource, [written]) !== undefined));
  return pattern === undefined ? undefined : `${what} ${name} at path ${path} matches the privileged name pattern ${pattern} as IAM reads its ARN (${what}/${resource})`;
}

/**
 * The resource parts (after `role/` or `user/`) of the ARNs the stack's deny names for one pattern
 * (lib/stack/iam-scopes.ts, `privilegedRoleArns`): the pattern under the root path, and under any path
 * (a `*` path, then the pattern, as SSO roles live under `/aws-reserved/sso.amazonaws.com/`), unless the pattern
 * starts with `*` (which crosses every path already) or names a path itself (`aws-reserved/*`).
 */
export function privilegedArnResources(pattern: string): string[] {
  return !pattern.startsWith('*') && !pattern.includes('/') ? [pattern, `*/${pattern}`] : [pattern];
}

/**
 * The deployment's privileged name patterns (FIREBREAK_PRIVILEGED_NAME_PATTERNS, comma-separated),
 * or the defaults when it names none: unset is not "none".
 */
export function privilegedNamePatternsOf(environment: Readonly<Record<string, string | undefined>>): readonly string[] {
  const configured = (environment[DEPLOYMENT_ENV.privilegedNamePatterns] ?? '')
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
  return configured.length > 0 ? configured : DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS;
}

/** Where Firebreak's own roles live and what CloudFormation names them after. */
export interface SecurityAccountRoles {
  readonly securityAccountId?: string;
  readonly stackName?: string;
}

/** The security account and stack name the stack sets on a function (SECURITY_ENV), as ownSecurityAccountRoleReason takes them. */
export function securityAccountRolesOf(environment: Readonly<Record<string, string | undefined>>): SecurityAccountRoles {
  const securityAccountId = environment[SECURITY_ENV.securityAccountId]?.trim();
  const stackName = environment[SECURITY_ENV.stackName]?.trim();
  return { ...(securityAccountId ? { securityAccountId } : {}), ...(stackName ? { stackName } : {}) };
}

/**
 * Why `roleName` in `account` is one of Firebreak's own roles in the security account, or undefined:
 * the responders' and state machines' roles, named `<stackName>-…` by CloudFormation or
 * `firebreak-responder-…`. The stack's IAM denies writing to or passing them (lib/stack/iam-scopes.ts,
 * case-sensitively, as ARNs are); refused here by name first, whatever the case (IAM role names are
 * unique whatever their case), so that a finding naming one takes no blast-radius slot and ends in a
 * refusal instead of an AccessDenied failure. Without the security account, only the IAM deny holds;
 * without the stack name, only the `firebreak-responder-` prefix is known.
 */
export function ownSecurityAccountRoleReason(roleName: string, account: string, own: SecurityAccountRoles): string | undefined {
  if (own.securityAccountId === undefined || account !== own.securityAccountId) return undefined;
  const name = roleName.toLowerCase();
  const prefix = [FIREBREAK_RESPONDER_ROLE_NAME_PREFIX, ...(own.stackName ? [`${own.stackName}-`] : [])].find((candidate) => name.startsWith(candidate.toLowerCase()));
  return prefix === undefined ? undefined : `role ${roleName} is one of Firebreak's own roles in the security account (${prefix}*)`;
}
