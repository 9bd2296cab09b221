/**
 * The rails disable-access-key and revoke-role-sessions share, checked for each credential before
 * any change: the containment guard's grant for the incident's credentials, the credential's own
 * account served by the deployment (an attack sequence may name another account's role), its user
 * or role not an administrator or break-glass principal (by name, FIREBREAK_PRIVILEGED_NAME_PATTERNS),
 * not carrying the deployment's protected tag key, and, for a game-day incident, carrying the
 * game-day opt-in tag, read from IAM at the time of action (never from the finding).
 */
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS, matchesPrivilegedName } from '../contracts/privileged-names';
import type { ServedAccounts } from '../contracts/security';
import { CREDENTIALS_GRANT_SUBJECT, SECURITY_TAGS, servedAccountsFromEnvironment, unservedAccountReason } from '../contracts/security';
import type { Incident } from '../incident/model';
import type { DeploymentEnvironment } from './effective-mode';
import { isGameDayIncident, isGameDayTarget } from './game-day';
import type { GrantCheck, GrantReader } from './grants';
import { checkContainmentGrant } from './grants';
import { partitionOfRegion } from './console-links';

/** What the deployment says of the credentials it may touch (its environment, never the input). */
export interface CredentialRails {
  /** Undefined when the environment cannot name the served accounts: then no credential is touched. */
  readonly served?: ServedAccounts;
  readonly servedProblem?: string;
  readonly privilegedPatterns: readonly string[];
  readonly protectedTagKey?: string;
}

/** Reads the rails from the deployment's environment. */
export function credentialRailsOf(environment: DeploymentEnvironment): CredentialRails {
  const read = servedAccountsFromEnvironment(environment);
  const patterns = (environment[DEPLOYMENT_ENV.privilegedNamePatterns] ?? '')
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
  const protectedTagKey = environment[DEPLOYMENT_ENV.protectedTagKey]?.trim();
  return {
    ...('served' in read ? { served: read.served } : { servedProblem: read.problem }),
    // Unset is not "none": the defaults hold until a deployment names its own.
    privilegedPatterns: patterns.length > 0 ? patterns : DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
    ...(protectedTagKey ? { protectedTagKey } : {}),
  };
}

/** Why the credential of `principal` (a user or role name) in `account` may not be touched before any call, or undefined. */
export function refusalBeforeAnyCall(what: 'user' | 'role', principal: string, account: string, rails: CredentialRails): string | undefined {
  if (rails.served === undefined) return `the deployment cannot name the accounts it serves (${rails.servedProblem ?? 'unknown'}), so no credential is touched`;
  const unserved = unservedAccountReason(account, rails.served);
  if (unserved !== undefined) return `${unserved}; no call was made there`;
  const pattern = matchesPrivilegedName(principal, rails.privilegedPatterns);
  if (pattern !== undefined) {
    return `${what} ${principal} matches the privileged name pattern ${pattern} (administrator or break-glass): Firebreak never touches its credentials, whatever a finding names`;
  }
  return undefined;
}

/** Why the principal's CURRENT tags (read from IAM now) forbid the change, or undefined. */
export function refusalByTags(
  what: 'user' | 'role',
  principal: string,
  tags: Readonly<Record<string, string>>,
  incident: Pick<Incident, 'gameDay' | 'key'>,
  gameDay: boolean,
  rails: CredentialRails,
): string | undefined {
  if (rails.protectedTagKey !== undefined && Object.hasOwn(tags, rails.protectedTagKey)) {
    return `${what} ${principal} carries the protected tag key ${rails.protectedTagKey} in IAM now: never contained automatically`;
  }
  if ((gameDay || isGameDayIncident(incident)) && !isGameDayTarget(tags)) {
    const { key, value } = SECURITY_TAGS.gameDayTarget;
    return `game-day incident ${incident.key}: ${what} ${principal} does not carry the tag ${key}=${value} in IAM now, so a drill may not change it`;
  }
  return undefined;
}

/** The guard's grant for this execution to change the incident's credentials. */
export function checkCredentialsGrant(
  incident: Pick<Incident, 'key' | 'account' | 'region'>,
  executionArn: string | undefined,
  grants: GrantReader,
  now: Date,
): Promise<GrantCheck> {
  return checkContainmentGrant({ executionArn, incident, instanceId: CREDENTIALS_GRANT_SUBJECT, kind: 'contain' }, grants, now);
}

/** The ARN of AWS's managed AWSDenyAll policy in the region's partition (ISO partitions: the commercial ARN's form). */
export function denyAllPolicyArn(region: string, policyName: string): string {
  return `arn:${partitionOfRegion(region) ?? 'aws'}:iam::aws:policy/${policyName}`;
}
