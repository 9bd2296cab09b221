/**
 * revoke-role-sessions: for a finding that names a role session (an AssumedRole caller's ASIA key,
 * an IAM attack sequence's role), deny every session issued so far to that role, with the
 * `aws:TokenIssueTime` inline policy the IAM console's "Revoke active sessions" writes
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html). The same
 * write quarantine-instance makes with `revokeRoleSessions` (quarantine-credentials.ts
 * `revokeOlderRoleSessions`), here as a step of its own for credentials with no instance to isolate.
 *
 * BLAST RADIUS: the deny applies to the ROLE, so every holder of its current sessions (other
 * instances, other pipelines) is denied until it obtains new credentials; new sessions work. A
 * stolen session cannot be refreshed by the attacker without the role's trust, which is why this
 * stops it. The role, account and session are claims of the finding: the rails (credential-rails.ts)
 * run before any call, and GetRole reads the role's tags where it lives. IAM has no DryRun.
 */
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { IamClients } from '../aws/clients/iam';
import { tagRecord } from '../aws/describe-instance';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { ResponderMode } from '../contracts/responder-mode';
import { SECURITY_ENV } from '../contracts/security';
import { affectedResources } from '../incident/affected';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import { ACTIONS } from '../playbooks/actions';
import { ActionLog } from './action-log';
import { clearCredentialStep, refusalBeforeAnyCall, refusalByTags } from './credential-rails';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField } from './effective-mode';
import type { GrantReader } from './grants';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { REVOKE_SESSIONS_POLICY_NAME, revokeOlderRoleSessions } from './quarantine-credentials';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler, stepResponder } from './runtime';

export const REVOKE_ROLE_SESSIONS_RESPONDER = RESPONDER_NAMES.revokeRoleSessions;
export const revokeRoleSessionsOptionsSchema = ACTIONS['revoke-role-sessions'].options;

export type RevokeRoleSessionsStatus = 'revoked' | 'dry-run' | 'refused' | 'no-role' | 'skipped-sample';

/** What became of one role the finding names. */
export interface RoleRevocation {
  readonly roleName: string;
  readonly account: string;
  /** The session names the finding gave (for the alert; the deny covers every session of the role). */
  readonly sessions: readonly string[];
  /** `revoked`: the deny is written (or rewritten: a redelivery moves the cut-off forward); `refused`/`not-found`: nothing changed. */
  readonly outcome: 'revoked' | 'would-revoke' | 'refused' | 'not-found';
  /** Sessions issued before this time are denied (the policy's aws:TokenIssueTime condition). */
  readonly issuedBefore?: string;
  readonly policyName?: string;
  readonly reason?: string;
}

export interface RevokeRoleSessionsResult extends ResponderResult<RevokeRoleSessionsStatus> {
  readonly roles: readonly RoleRevocation[];
  readonly refusal?: string;
}

export interface RevokeRoleSessionsDeps {
  /** IAM in the role's account, through the session-revoker role (the only one that writes role policies). */
  readonly clients: IamClients;
  readonly logger: IncidentLogger;
  readonly grants: GrantReader;
  /** @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** The roles an incident names (role sessions and roles), once each per account. */
export function rolesNamed(incident: ResponderInput<unknown>['incident']): { roleName: string; account: string; sessions: string[] }[] {
  const byRole = new Map<string, { roleName: string; account: string; sessions: string[] }>();
  for (const resource of affectedResources(incident)) {
    if (resource.kind !== 'role-session' && resource.kind !== 'iam-role') continue;
    const account = resource.account ?? incident.account;
    const id = `${account}|${resource.roleName}`;
    const entry = byRole.get(id) ?? { roleName: resource.roleName, account, sessions: [] };
    if (resource.kind === 'role-session' && resource.sessionName !== undefined && !entry.sessions.includes(resource.sessionName)) entry.sessions.push(resource.sessionName);
    byRole.set(id, entry);
  }
  return [...byRole.values()];
}

/** Revokes every session issued so far to each role the incident names. */
export async function revokeRoleSessions(input: ResponderInput<Record<string, never>>, deps: RevokeRoleSessionsDeps): Promise<RevokeRoleSessionsResult> {
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const { incident } = input;
  const environment = deps.environment ?? process.env;
  let effective: EffectiveMode = effectiveMode(input.mode, environment);
  const finish = (status: RevokeRoleSessionsStatus, roles: readonly RoleRevocation[] = [], extra: Partial<RevokeRoleSessionsResult> = {}): RevokeRoleSessionsResult => {
    deps.logger.info('revoke-role-sessions finished', { status, roles: roles.map((r) => ({ roleName: r.roleName, outcome: r.outcome })) });
    return {
      responder: REVOKE_ROLE_SESSIONS_RESPONDER,
      incidentKey: incident.key,
      mode: effective.mode,
      status,
      idempotentReplay: false,
      actions: log.actions,
      roles,
      ...forcedDryRunField(effective),
      ...extra,
    };
  };

  const named = rolesNamed(incident);
  if (named.length === 0) {
    log.record('firebreak:decide', incident.key, 'skipped', 'The finding names no role session: nothing to revoke');
    return finish('no-role');
  }
  const clearance = await clearCredentialStep(input, 'roles', environment, deps.grants, log, now());
  effective = clearance.effective;
  if (!clearance.cleared) return finish(clearance.status, [], clearance.refusal !== undefined ? { refusal: clearance.refusal } : {});
  const { rails, gameDay } = clearance;
  const mode = effective.mode;
  // Firebreak's own member-account roles: revoking them would cut Firebreak off mid-incident.
  const ownRoles = [environment[SECURITY_ENV.memberRoleName], environment[SECURITY_ENV.sessionRevokerRoleName]].filter((n): n is string => n !== undefined && n !== '');

  const roles: RoleRevocation[] = [];
  for (const role of named) {
    const refuse = (reason: string, outcome: 'refused' | 'not-found' = 'refused') => {
      log.record('firebreak:check-credential', role.roleName, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}; nothing changed`);
      roles.push({ ...role, outcome, reason });
    };
    if (!RESOURCE_ID_FORMAT.iamName.test(role.roleName)) {
      refuse(`${JSON.stringify(role.roleName.slice(0, 64))} is not an IAM role name`);
      continue;
    }
    const before = refusalBeforeAnyCall('role', role.roleName, role.account, rails)
      ?? (ownRoles.includes(role.roleName) ? `role ${role.roleName} is Firebreak's own member-account role` : undefined);
    if (before !== undefined) {
      refuse(before);
      continue;
    }
    const iam = await deps.clients.iam({ account: role.account, region: incident.region });
    let tags: Record<string, string>;
    try {
      const got = await iam.send(new GetRoleCommand({ RoleName: role.roleName }));
      tags = tagRecord(got.Role?.Tags);
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchEntity') {
        refuse(`IAM knows no role ${role.roleName} in account ${role.account}`, 'not-found');
        continue;
      }
      throw toResponderError(error, 'iam:GetRole');
    }
    log.record('iam:GetRole', role.roleName, 'observed', `Role ${role.roleName} exists in account ${role.account}`);
    const byTags = refusalByTags('role', role.roleName, tags, incident, gameDay, rails);
    if (byTags !== undefined) {
      refuse(byTags);
      continue;
    }
    const issuedBefore = now().toISOString();
    const hits = `every holder of a session of ${role.roleName}${role.sessions.length > 0 ? `, not only ${role.sessions.join(', ')}` : ''}`;
    const action = await revokeOlderRoleSessions(iam, mode, role.roleName, issuedBefore, hits, deps.logger);
    log.record(action.api, action.target, action.outcome, action.detail);
    roles.push({ ...role, outcome: mode === 'dry-run' ? 'would-revoke' : 'revoked', issuedBefore, policyName: REVOKE_SESSIONS_POLICY_NAME });
  }
  return finish(statusOf(mode, roles), roles);
}

function statusOf(mode: ResponderMode, roles: readonly RoleRevocation[]): RevokeRoleSessionsStatus {
  if (roles.some((r) => r.outcome === 'would-revoke')) return 'dry-run';
  if (roles.some((r) => r.outcome === 'revoked')) return mode === 'dry-run' ? 'dry-run' : 'revoked';
  return 'refused';
}

/** revoke-role-sessions as the responder runtime runs it. */
export const revokeRoleSessionsResponder = stepResponder(revokeRoleSessionsOptionsSchema, revokeRoleSessions);
export type RevokeRoleSessionsHandlerDeps = HandlerDeps<RevokeRoleSessionsDeps>;
export const createRevokeRoleSessionsHandler = (deps: RevokeRoleSessionsHandlerDeps): ResponderHandler<RevokeRoleSessionsResult> =>
  createResponderHandler(revokeRoleSessionsResponder, deps);
