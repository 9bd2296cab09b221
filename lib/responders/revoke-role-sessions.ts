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
 * run before any call, and GetRole reads the role's tags where it lives, and its id or creation date
 * (whichever the finding gives to prove it is the role the finding saw). A role a protected instance
 * holds through an instance profile keeps its sessions (role-holders.ts, row 2x). IAM has no DryRun.
 *
 * After the deny is written, a sealed record of it (credential-records.ts: the policy name and its
 * cut-off) goes to the state table; a redelivery to the same execution finds that record and writes
 * nothing new (the cut-off stays the one recorded, so release-credentials can recognise the policy
 * as the one it may remove). Another incident naming the role later, or a new execution of the same
 * incident (GuardDuty updated its finding: a session issued after the first cut-off may be in use),
 * writes a new cut-off and replaces the record: the role's deny is then that execution's incident's
 * to release, no earlier than 12 hours after the new cut-off.
 */
import { revokeRoleSessionsOptions } from '../playbooks/credential-options';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { IamClients } from '../aws/clients/iam';
import type { Ec2Clients } from '../aws/clients/ec2';
import { RESPONDER_NAMES } from '../contracts/responders';
import { TransientResponderError } from '../contracts/responder-errors';
import type { ResponderMode } from '../contracts/responder-mode';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import { roleIdsNamed, rolesNamed } from './credential-targets';
import { clearCredentialStep, grantCovers, narrowToGrantedCredential } from './credential-rails';
import { roleSessionsVerdict } from './role-session-rails';
import { findingAccountOf } from '../incident/finding-account';
import { instanceRegionsOf, protectsAnything, sessionsNotRevokedYet, settledRoleHolders } from './role-holders';
import { protectionRulesOf } from './containment-guard-rails';
import type { RoleSessionsRecord, RoleSessionsRecordStore } from './credential-records';
import type { DeploymentEnvironment } from './effective-mode';
import { ResponderRun } from './responder-run';
import type { GrantReader } from './grants';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { REVOKE_SESSIONS_POLICY_NAME, revokeOlderRoleSessions } from './quarantine-credentials';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';

export const REVOKE_ROLE_SESSIONS_RESPONDER = RESPONDER_NAMES.revokeRoleSessions;
export const revokeRoleSessionsOptionsSchema = revokeRoleSessionsOptions;

export type RevokeRoleSessionsStatus = 'revoked' | 'already-revoked' | 'dry-run' | 'refused' | 'no-role' | 'skipped-sample';

/** What became of one role the finding names. */
export interface RoleRevocation {
  readonly roleName: string;
  readonly account: string;
  /** The session names the finding gave (for the alert; the deny covers every session of the role). */
  readonly sessions: readonly string[];
  /**
   * `revoked`: the deny is written (or rewritten for a new incident: the cut-off moves forward);
   * `already-revoked`: this incident's sealed record says it wrote the deny already, nothing new is
   * written; `refused`/`not-found`: nothing changed.
   */
  readonly outcome: 'revoked' | 'already-revoked' | 'would-revoke' | 'refused' | 'not-found';
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
  /** EC2 in the role's account, a client per region searched, through the member role: the protected instances holding the role (rows 2x, 2z). */
  readonly ec2Clients: Ec2Clients;
  readonly logger: IncidentLogger;
  readonly grants: GrantReader;
  /** Where the sealed record of each deny goes (the state table), read back on a rerun and by release-credentials. */
  readonly records: RoleSessionsRecordStore;
  /** @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Shared with release-credentials (lib/responders/credential-targets.ts). */

/** Revokes every session issued so far to each role the incident names. */
export async function revokeRoleSessions(input: ResponderInput<Record<string, never>>, deps: RevokeRoleSessionsDeps): Promise<RevokeRoleSessionsResult> {
  const { incident } = input;
  const run = new ResponderRun<RevokeRoleSessionsStatus>({
    responder: REVOKE_ROLE_SESSIONS_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger: deps.logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: ['already-revoked'],
  });
  const { log, now } = run;
  const done = run.finisher<RevokeRoleSessionsResult>({ roles: [] }, (result) => ({ roles: result.roles.map((r) => ({ roleName: r.roleName, outcome: r.outcome })) }));
  const finish = (status: RevokeRoleSessionsStatus, roles: readonly RoleRevocation[] = [], extra: { readonly refusal?: string } = {}): RevokeRoleSessionsResult => done(status, { roles, ...extra });

  const named = rolesNamed(incident);
  if (named.length === 0) {
    log.record('firebreak:decide', incident.key, 'skipped', 'The finding names no role session: nothing to revoke');
    return finish('no-role');
  }
  const clearance = await clearCredentialStep(run, input, 'roles', deps.grants, revokeRoleSessionsOptionsSchema);
  if (!clearance.cleared) return finish(clearance.status, [], clearance.refusal !== undefined ? { refusal: clearance.refusal } : {});
  const { rails, gameDay, only } = clearance;
  const mode = run.mode;
  const protection = protectionRulesOf(run.deployment);
  // Where the deployment says instances run (row 2z): a malformed setting fails the step, nothing written.
  const instanceRegions = instanceRegionsOf(run.deployment);
  // A per-credential execution's grant names one credential: that one alone, whatever the input lists.
  const granted = named.filter((role) => grantCovers(only, { kind: 'iam-role', account: role.account, roleName: role.roleName }));
  const narrowed = narrowToGrantedCredential(log, only, { named: named.length, granted: granted.length }, { kind: 'iam-role', aKind: 'a role', noun: 'role', nothing: 'no session is revoked', notNamed: 'nothing is revoked' });
  if (narrowed?.stop === 'wrong-kind') return finish('no-role');
  if (narrowed?.stop === 'not-named') return finish('refused', [], { refusal: narrowed.refusal });

  // Each role's outcome in the order the finding names them: the rails first, role by role; then the
  // protected holders of every role the rails let through, each account's read once (below); then the writes.
  const outcomes: (RoleRevocation | undefined)[] = granted.map(() => undefined);
  const refuse = (index: number, reason: string, outcome: 'refused' | 'not-found' = 'refused') => {
    const role = granted[index]!;
    log.record('firebreak:check-credential', role.roleName, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}; nothing changed`);
    outcomes[index] = { ...role, outcome, reason };
  };
  const iamClients = new Map<string, Promise<IAMClient>>();
  const iamFor = (account: string) => {
    let client = iamClients.get(account);
    if (client === undefined) iamClients.set(account, (client = deps.clients.iam({ account, region: incident.region })));
    return client;
  };
  const cleared: number[] = [];
  for (const [index, role] of granted.entries()) {
    if (!RESOURCE_ID_FORMAT.iamName.test(role.roleName)) {
      refuse(index, `${JSON.stringify(role.roleName.slice(0, 64))} is not an IAM role name`);
      continue;
    }
    // The role is the finding's claim: its id when the sessions give one, else its creation date, must
    // say it is the role the finding saw (rows 11n, 11v), read again here where the deny is written (row 11x).
    const verdict = await roleSessionsVerdict({ ...role, roleIds: roleIdsNamed(incident, role), findingCreated: incident.times.created, findingAccount: findingAccountOf(incident) }, () => iamFor(role.account), rails, incident, gameDay);
    if (verdict.read) log.record('iam:GetRole', role.roleName, 'observed', `Role ${role.roleName} exists in account ${role.account}`);
    if (verdict.refusal !== undefined) refuse(index, verdict.refusal, verdict.missing ? 'not-found' : 'refused');
    else cleared.push(index);
  }
  // The deny reaches every holder of the role's sessions: a protected instance holding it through
  // an instance profile keeps it, as quarantine-instance's revokeRoleSessions does (rows 2v, 2x).
  // One search an account for all its roles: its regions listed once, each region read once.
  const heldBy = new Map<number, string>();
  // The roles whose holders a search could not decide (a region throttled or failing: anyone holding
  // the stolen credentials can flood one), by account: the others are written first, then the step
  // fails for these (row 2zf); before, one undecided role kept every role's sessions, of every account.
  const undecided: { readonly account: string; readonly names: readonly string[]; readonly error: unknown }[] = [];
  if (protectsAnything(protection)) {
    for (const account of new Set(cleared.map((index) => granted[index]!.account))) {
      const ofAccount = cleared.filter((index) => granted[index]!.account === account);
      const search = { ec2: (region: string) => deps.ec2Clients.ec2({ account, region }), region: incident.region, protection, ...(instanceRegions !== undefined ? { instanceRegions } : {}) };
      const names = ofAccount.map((index) => granted[index]!.roleName);
      const { reasons, undecided: open } = await settledRoleHolders(search, await iamFor(account), names);
      if (open !== undefined) undecided.push({ account, names: names.filter((name) => open.roles.includes(name)), error: open.error });
      for (const index of ofAccount) {
        const reason = reasons.get(granted[index]!.roleName);
        if (reason !== undefined) heldBy.set(index, reason);
      }
    }
  }
  const unsettled = (index: number) => undecided.some((open) => open.account === granted[index]!.account && open.names.includes(granted[index]!.roleName));
  for (const index of cleared) {
    const role = granted[index]!;
    if (unsettled(index)) continue;
    const holder = heldBy.get(index);
    if (holder !== undefined) {
      refuse(index, holder);
      continue;
    }
    const kept = await deps.records.get({ kind: 'role-sessions', account: role.account, roleName: role.roleName });
    // Only a rerun of the execution that wrote the deny writes nothing new. A new execution of the
    // incident (GuardDuty updated the finding: the role's credentials were used again, perhaps by a
    // session issued after the cut-off) moves the cut-off forward, as another incident's does.
    const keptByThisExecution = kept?.record.recordedBy.executionArn !== undefined && kept.record.recordedBy.executionArn === input.execution?.executionArn;
    if (kept !== undefined && kept.verdict.valid && kept.record.released !== true && kept.record.incidentKey === incident.key && keptByThisExecution) {
      log.record(
        'iam:PutRolePolicy',
        role.roleName,
        'already-done',
        `This incident already denied the sessions of ${role.roleName} issued before ${kept.record.issuedBefore} (sealed record): nothing new is written`,
      );
      outcomes[index] = { ...role, outcome: 'already-revoked', issuedBefore: kept.record.issuedBefore, policyName: kept.record.policyName };
      continue;
    }
    const issuedBefore = now().toISOString();
    const hits = `every holder of a session of ${role.roleName}${role.sessions.length > 0 ? `, not only ${role.sessions.join(', ')}` : ''}`;
    const action = await revokeOlderRoleSessions(await iamFor(role.account), mode, role.roleName, issuedBefore, hits, deps.logger);
    log.record(action.api, action.target, action.outcome, action.detail);
    if (mode !== 'dry-run') {
      const record: RoleSessionsRecord = {
        kind: 'role-sessions',
        account: role.account,
        roleName: role.roleName,
        incidentKey: incident.key,
        policyName: REVOKE_SESSIONS_POLICY_NAME,
        issuedBefore,
        recordedBy: { responder: REVOKE_ROLE_SESSIONS_RESPONDER, ...(input.execution?.executionArn !== undefined ? { executionArn: input.execution.executionArn } : {}) },
      };
      await deps.records.replace(record);
      log.record(
        'firebreak:record-credential',
        role.roleName,
        'done',
        `Recorded (sealed) the deny of ${role.roleName}'s sessions issued before ${issuedBefore}${kept !== undefined && kept.record.released !== true ? `, in place of incident ${kept.record.incidentKey}'s record` : ''}: release-credentials removes exactly this policy`,
      );
    }
    outcomes[index] = { ...role, outcome: mode === 'dry-run' ? 'would-revoke' : 'revoked', issuedBefore, policyName: REVOKE_SESSIONS_POLICY_NAME };
  }
  // A transient failure's class first: the Retry then tries every undecided role again.
  const first = undecided.find((open) => open.error instanceof TransientResponderError) ?? undecided[0];
  if (first !== undefined) throw sessionsNotRevokedYet(first.error, undecided.map((open) => `role ${[...new Set(open.names)].join(', ')} (account ${open.account})`).join('; '));
  const roles = outcomes.filter((outcome): outcome is RoleRevocation => outcome !== undefined);
  return finish(statusOf(mode, roles), roles);
}

function statusOf(mode: ResponderMode, roles: readonly RoleRevocation[]): RevokeRoleSessionsStatus {
  if (roles.some((r) => r.outcome === 'would-revoke')) return 'dry-run';
  if (roles.some((r) => r.outcome === 'revoked')) return mode === 'dry-run' ? 'dry-run' : 'revoked';
  if (roles.some((r) => r.outcome === 'refused' || r.outcome === 'not-found')) return 'refused';
  return 'already-revoked';
}

/** revoke-role-sessions as the responder runtime runs it. */
export const revokeRoleSessionsResponder = stepResponder(revokeRoleSessionsOptionsSchema, revokeRoleSessions);
export type RevokeRoleSessionsHandlerDeps = HandlerDeps<RevokeRoleSessionsDeps>;
export const createRevokeRoleSessionsHandler = (deps: RevokeRoleSessionsHandlerDeps): ResponderHandler<RevokeRoleSessionsResult> =>
  createResponderHandler(revokeRoleSessionsResponder, deps);
