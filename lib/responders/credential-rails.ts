/**
 * The rails disable-access-key and revoke-role-sessions share, checked for each credential before
 * any change: the containment guard's grant for the incident's credentials, the credential's own
 * account served by the deployment (an attack sequence may name another account's role), its user
 * or role not an administrator or break-glass principal (by name, FIREBREAK_PRIVILEGED_NAME_PATTERNS),
 * not carrying the deployment's protected tag key, and, for a game-day incident, carrying the
 * game-day opt-in tag, read from IAM at the time of action (never from the finding).
 */
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { configuredRoleNameOf, memberRoleNamesUnder } from '../contracts/responders';
import { matchesPrivilegedName, ownSecurityAccountRoleReason, privilegedNamePatternsOf, securityAccountRolesOf } from '../contracts/privileged-names';
import type { CredentialGrantSubject, ServedAccounts } from '../contracts/security';
import { CREDENTIALS_GRANT_SUBJECT, SECURITY_ENV, SECURITY_TAGS, credentialGrantSubject, parseCredentialGrantSubject, servedAccountsFromEnvironment, unservedAccountReason } from '../contracts/security';
import type { Incident } from '../incident/model';
import type { DeploymentEnvironment } from './effective-mode';
import type { ActionLog } from './action-log';
import type { ResponderRun } from './responder-run';
import { isGameDayIncident } from './game-day';
import { gameDayForbids, protectedTagOf } from './tag-rules';
import type { GrantCheck, GrantReader } from './grants';
import { checkContainmentGrant, grantDryRunWhy, recordPausedGrant } from './grants';
import { partitionOfRegion } from './console-links';
import { stepClaimOf } from './step-binding';
import type { StepClaim } from './step-binding';
import type { ResponderInput } from './responder-input';
import type * as z from '../contracts/zod-mini';

/** What the deployment says of the credentials it may touch (its environment, never the input). */
export interface CredentialRails {
  /** Undefined when the environment cannot name the served accounts: then no credential is touched. */
  readonly served?: ServedAccounts;
  readonly servedProblem?: string;
  readonly privilegedPatterns: readonly string[];
  readonly protectedTagKey?: string;
  /**
   * Every role of the member-role stack, every responder's, lower-cased (IAM role names are unique
   * whatever their case): revoking their sessions would cut Firebreak off mid-incident.
   */
  readonly ownRoleNames: ReadonlySet<string>;
  /** Why a role of the security account is one of Firebreak's own there (ownSecurityAccountRoleReason), or undefined. */
  readonly ownSecurityAccountRole: (roleName: string, account: string) => string | undefined;
}

/**
 * Reads the rails from the deployment's environment. It names only `responder`'s own member-account
 * roles (`<memberRoleName>-<responder>`, `<sessionRevokerRoleName>-<responder>`); the configured
 * names they were built from give every other responder's too.
 */
export function credentialRailsOf(environment: DeploymentEnvironment, responder: string): CredentialRails {
  const read = servedAccountsFromEnvironment(environment);
  const protectedTagKey = environment[DEPLOYMENT_ENV.protectedTagKey]?.trim();
  const ownRoleNames = new Set(
    [environment[SECURITY_ENV.memberRoleName], environment[SECURITY_ENV.sessionRevokerRoleName]]
      .flatMap((name) => (name?.trim() ? memberRoleNamesUnder(configuredRoleNameOf(name.trim(), responder)) : []))
      .map((name) => name.toLowerCase()),
  );
  return {
    ...('served' in read ? { served: read.served } : { servedProblem: read.problem }),
    privilegedPatterns: privilegedNamePatternsOf(environment),
    ...(protectedTagKey ? { protectedTagKey } : {}),
    ownRoleNames,
    ownSecurityAccountRole: (roleName, account) => ownSecurityAccountRoleReason(roleName, account, securityAccountRolesOf(environment)),
  };
}

/**
 * Why the credential of `principal` (a user or role name) in `account` may not be touched before any
 * call, or undefined. `findingAccount` (`findingAccountOf`) is the account of the finding that asks,
 * for a containment: the security account's credentials only for its own findings (row 9h).
 */
export function refusalBeforeAnyCall(what: 'user' | 'role', principal: string, account: string, rails: CredentialRails, findingAccount?: string): string | undefined {
  if (rails.served === undefined) return `the deployment cannot name the accounts it serves (${rails.servedProblem ?? 'unknown'}), so no credential is touched`;
  const unserved = unservedAccountReason(account, rails.served, findingAccount);
  if (unserved !== undefined) return `${unserved}; no call was made there`;
  const pattern = matchesPrivilegedName(principal, rails.privilegedPatterns);
  if (pattern !== undefined) {
    return `${what} ${principal} matches the privileged name pattern ${pattern} (administrator or break-glass): Firebreak never touches its credentials, whatever a finding names`;
  }
  return undefined;
}

/**
 * Why the sessions of `roleName` in `account` may not be revoked before any call, or undefined:
 * the rails of every credential, then Firebreak's own member-account roles and its own roles in
 * the security account.
 */
export function roleRefusalBeforeAnyCall(roleName: string, account: string, rails: CredentialRails, findingAccount?: string): string | undefined {
  return (
    refusalBeforeAnyCall('role', roleName, account, rails, findingAccount) ??
    (rails.ownRoleNames.has(roleName.toLowerCase()) ? `role ${roleName} is Firebreak's own member-account role` : undefined) ??
    rails.ownSecurityAccountRole(roleName, account)
  );
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
  // IAM compares a user's or role's tag keys whatever their case, and so does its Deny on the key (tag-rules.ts).
  const protection = rails.protectedTagKey !== undefined ? protectedTagOf(tags, rails.protectedTagKey, 'case-insensitive') : undefined;
  if (protection !== undefined) {
    return `${what} ${principal} carries the protected tag key ${rails.protectedTagKey} in IAM now${protection.key !== rails.protectedTagKey ? ` (as ${protection.key})` : ''}: never contained automatically`;
  }
  if (gameDayForbids(gameDay || isGameDayIncident(incident), tags)) {
    const { key, value } = SECURITY_TAGS.gameDayTarget;
    return `game-day incident ${incident.key}: ${what} ${principal} does not carry the tag ${key}=${value} in IAM now, so a drill may not change it`;
  }
  return undefined;
}

/** Whether a credential step may go on: a sample never, a step without the guard's grant never; else in the mode the grant allows (the run's, lowered). */
export type CredentialClearance =
  | {
      readonly cleared: true;
      readonly gameDay: boolean;
      readonly rails: CredentialRails;
      /**
       * Set when the grant clears ONE credential (a per-credential execution, contain-each-credential):
       * the step acts on it alone, whatever else its input names.
       */
      readonly only?: CredentialGrantSubject;
    }
  | { readonly cleared: false; readonly status: 'skipped-sample' | 'refused'; readonly refusal?: string };

/** What the credential steps' clearance reads of their input. */
type StepInput = Pick<ResponderInput<unknown>, 'incident' | 'execution' | 'options' | 'request'>;

/**
 * The checks both credential steps make before reading any credential: a GuardDuty sample names
 * placeholders (nothing is read), then the guard's grant for this execution, whose mode lowers the
 * run's (`run.lowerTo`: a grant never raises it), each recorded in the run's log.
 */
export async function clearCredentialStep<Status extends string>(
  run: ResponderRun<Status>,
  input: StepInput,
  what: string,
  grants: GrantReader,
  /** The responder's options schema: the grant clears only its playbook's step with exactly those options. */
  optionsSchema: z.core.$ZodType,
): Promise<CredentialClearance> {
  const { incident } = input;
  if (incident.sample) {
    run.log.record('firebreak:decide', incident.key, 'skipped', `GuardDuty sample finding: its ${what} are placeholders; nothing is read or changed`);
    return { cleared: false, status: 'skipped-sample' };
  }
  const grant = await checkCredentialsGrant(incident, input.execution?.executionArn, stepClaimOf(run.responder, input, optionsSchema, run.deployment), grants, run.now());
  if (!grant.allowed) {
    run.log.record('firebreak:check-grant', incident.key, 'skipped', grant.reason);
    run.recordMode(incident.key);
    return { cleared: false, status: 'refused', refusal: grant.reason };
  }
  const only = parseCredentialGrantSubject(grant.grant.instanceId);
  run.log.record('firebreak:check-grant', incident.key, 'observed', grant.reason);
  recordPausedGrant(run.log, incident.key, grant);
  run.lowerTo(grant.mode, grantDryRunWhy(grant));
  run.recordMode(incident.key);
  return { cleared: true, gameDay: grant.grant.gameDay, rails: credentialRailsOf(run.deployment, run.responder), ...(only !== undefined ? { only } : {}) };
}

/**
 * The guard's grant for this execution to change the incident's credentials: a grant of every
 * credential the incident names (CREDENTIALS_GRANT_SUBJECT), or of ONE credential of the
 * incident's account (a per-credential execution's: `access-key/…` or `iam-role/…`), which the
 * caller then holds the step to (`CredentialClearance.only`). Any other subject (an instance, an
 * S3 object, a credential of another account) clears nothing.
 */
export async function checkCredentialsGrant(
  incident: Incident,
  executionArn: string | undefined,
  step: StepClaim,
  grants: GrantReader,
  now: Date,
): Promise<GrantCheck> {
  const stored = executionArn !== undefined ? await grants.getGrant(executionArn) : undefined;
  const one = stored !== undefined ? parseCredentialGrantSubject(stored.instanceId) : undefined;
  const subject = one !== undefined && one.account === incident.account ? credentialGrantSubject(one) : CREDENTIALS_GRANT_SUBJECT;
  return checkContainmentGrant({ executionArn, incident, instanceId: subject, kind: 'contain', step }, grants, now);
}

/** Whether a one-credential grant (`only`) covers an access key, or a role, of `account`; true when the grant covers every credential. */
export function grantCovers(only: CredentialGrantSubject | undefined, credential: CredentialGrantSubject): boolean {
  if (only === undefined) return true;
  return credentialGrantSubject(only) === credentialGrantSubject(credential);
}

/** The ARN of AWS's managed AWSDenyAll policy in the region's partition (ISO partitions: the commercial ARN's form). */
export function denyAllPolicyArn(region: string, policyName: string): string {
  return `arn:${partitionOfRegion(region) ?? 'aws'}:iam::aws:policy/${policyName}`;
}

/** How a credential step names what it acts on, for the one-credential grant's log lines. */
export interface GrantedCredentialWords {
  readonly kind: CredentialGrantSubject['kind'];
  /** `an access key`, `a role`. */
  readonly aKind: string;
  /** `key`, `role`. */
  readonly noun: string;
  /** What is not done: `no key is disabled`, `no session is revoked`. */
  readonly nothing: string;
  /** What is not done when the input does not name the granted one: `nothing is disabled`. */
  readonly notNamed: string;
}

/**
 * What a per-credential execution's grant leaves to a step: `wrong-kind` when it clears a
 * credential of the other kind (the step has nothing to do), `not-named` when the input does not
 * name the granted credential (refused: the input is forged or stale), else nothing, with a line
 * saying which other credentials the input names and this step does not touch. Without a
 * one-credential grant (`only` undefined), nothing.
 */
export function narrowToGrantedCredential(
  log: ActionLog,
  only: CredentialGrantSubject | undefined,
  counts: { readonly named: number; readonly granted: number },
  words: GrantedCredentialWords,
): { readonly stop: 'wrong-kind' } | { readonly stop: 'not-named'; readonly refusal: string } | undefined {
  if (only === undefined) return undefined;
  const subject = credentialGrantSubject(only);
  if (only.kind !== words.kind) {
    log.record('firebreak:check-grant', subject, 'skipped', `This execution's grant clears ${subject} alone, not ${words.aKind}: ${words.nothing} here`);
    return { stop: 'wrong-kind' };
  }
  if (counts.granted === 0) {
    const refusal = `This execution's grant clears ${subject} alone, and its input does not name that ${words.noun}: ${words.notNamed}`;
    log.record('firebreak:check-grant', subject, 'skipped', refusal);
    return { stop: 'not-named', refusal };
  }
  const others = counts.named - counts.granted;
  if (others > 0) log.record('firebreak:check-grant', subject, 'observed', `This execution's grant clears ${subject} alone: the ${others} other ${words.noun}(s) its input names are not touched here (each has its own execution and grant)`);
  return undefined;
}
