import { DEPLOYMENT_ENV } from './environment';

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
