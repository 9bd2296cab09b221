
/**
 * containment-guard: the safety rails a playbook runs BEFORE its resource-changing steps. It
 * answers one question — may this incident be contained automatically now? — with
 *
 * - `evidence-only`: never contain automatically (a GuardDuty sample, a protected instance, an
 *   instance whose protection cannot be verified); collect evidence and alert instead;
 * - `needs-approval`: a human decides (the playbook requires approval, the incident came through
 *   the oversized-event intake, which cannot authenticate its sender, or the account's blast
 *   radius is reached); collect evidence and ask for approval instead of containing;
 * - `proceed`: contain.
 *
 * The guard itself never changes an instance. It first verifies the execution it is asked about
 * (states:DescribeExecution: RUNNING, a state machine of this deployment's playbooks, the same
 * incident in its input), takes the playbook and its rails from the deployment
 * (FIREBREAK_PLAYBOOK_RAILS), never from its input, and then writes a containment grant
 * (`grant#<executionArn>`, grants.ts) for `proceed` and `needs-approval`: the mutating responders act
 * only under that grant. Its other write is the blast-radius slot it takes in enforce mode when it
 * answers `proceed` (see blast-radius.ts), in the game-day pool for game-day incidents; in dry-run
 * it evaluates every rule and reports what would happen without taking a slot.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '../contracts/zod-mini';
import type { DynamoDbClients } from '../aws/clients/dynamodb';
import type { Ec2Clients } from '../aws/clients/ec2';
import type { IamClients } from '../aws/clients/iam';
import type { SfnClients } from '../aws/clients/sfn';
import { assertServedAccount } from '../aws/clients/access';
import { findingAccountOf } from '../incident/finding-account';
import type { ContainmentGrant, PlaybookRails } from '../contracts/security';
import { CREDENTIALS_GRANT_SUBJECT, SECURITY_ENV, credentialGrantSubject } from '../contracts/security';
import { accessKeyIdsCovered, containedPrincipal, credentialsSlotTarget, lookAtCredential, namesOnlyUnactionableKeys, oneCredentialOf, privilegedCredentialReason, soleCredentialOf } from './containment-guard-credential';
import { roleIdsNamed } from './credential-targets';
import { ActionLog } from './action-log';
import type { EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import { isGameDayIncident } from './game-day';
import type { Incident } from '../incident/model';
import type { GrantWriter } from './grants';
import { DynamoDbGrantStore, GRANT_VALIDITY_SECONDS, grantKey } from './grants';
import type { BlastRadiusLimiter, BlastRadiusPool } from './blast-radius';
import { BLAST_RADIUS_IAM_ACTIONS, DynamoDbBlastRadiusLimiter } from './blast-radius';
import type { ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import type { IncidentLogger } from './logging';
import type { ResponderInput } from './responder-input';
import { isPlaceholderInstanceId } from './instance-state';
import { ResponderFailedError } from '../contracts/responder-errors';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { RESPONDER_NAMES } from '../contracts/responders';
import { readContainmentGuardConfig } from './containment-guard-config';
import { malwareObjectGrantTarget, scannedObjectOf } from './s3-malware-object';
import { claimedPlaybookKind, verifyExecution } from './containment-guard-execution';
import type { PauseReader } from './emergency-pause';
import { DynamoDbPauseReader, NOT_PAUSED, PAUSE_ACTION, pauseSentence, readPauseAhead } from './emergency-pause';
import { lookAtInstance, notShownIsolated } from './containment-guard-instance';
import { storedGrantDifference } from './containment-guard-grant';
import { readObjectReleaseClaims, readReleaseClaims, readReleaseDnsBlocks } from './containment-guard-release';
import { DynamoDbDnsBlockIndex } from './dns-block-records';
import type { DnsBlockStore } from './dns-block-records';
import type { S3ObjectClaims } from './s3-object-claims';
import { DynamoDbS3ObjectClaimReader } from './s3-object-claims';
import type { KeyHolds } from './key-holds';
import { noteVerifiedOrigin } from './attempt-actions';
import { DynamoDbKeyHolds } from './key-holds';
import { DynamoDbQuarantineReleaseStates, claimsOf } from './quarantine-release-state';
import type { QuarantineReleaseStates } from './quarantine-release-state';
import type {
  GuardStatus,
  GuardBlastRadius,
  GuardExecution,
  GuardGrant,
  GuardIntake,
  GuardReleaseClaims,
  GuardReleaseDnsBlocks,
  GuardResult,
  ContainmentGuardConfig,
  ContainmentGuardDeps,
} from './containment-guard-model';
import type { ProtectionVerdict } from './containment-guard-rails';
import { ALARM_APPROVAL_REASON, blastRadiusReason, blastRadiusSummary, intakeApprovalReason, notEvaluated } from './containment-guard-rails';

// The Lambda's module scope reads its configuration with the handler.
export { readContainmentGuardConfig };
// The guard's answer, as the alert and the playbooks read it.
export type { GuardBlastRadius, GuardIntake, GuardReleaseClaims, GuardReleaseDnsBlocks, GuardResult, GuardStatus, ProtectionRule } from './containment-guard-model';

export const CONTAINMENT_GUARD_RESPONDER = RESPONDER_NAMES.containmentGuard;

/**
 * IAM actions the guard needs: `ec2:DescribeInstances` where the instance lives (member role or the
 * security account's own role; only when a protected tag key is configured, or for a game-day
 * incident), with a playbook that cuts off credentials `iam:GetUser` and `iam:GetRole` there
 * too (the credential's current tags, a user's path, a role's id) and `iam:ListAccessKeys` (whether a user's key is
 * that user's; `iam:GetAccessKeyLastUsed` follows the key to its owner when IAM knows no user of the
 * finding's name, renamed since), `states:DescribeExecution` on this deployment's playbook executions,
 * and the blast-radius and grant table actions in the security account.
 */
export const CONTAINMENT_GUARD_IAM_ACTIONS = {
  targetAccount: ['ec2:DescribeInstances'],
  // Where a playbook releases instances: whether one held quarantined sits in Firebreak's own isolation group (row 15r).
  heldTargetAccount: ['ec2:DescribeSecurityGroups'],
  credentialTargetAccount: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed', 'iam:GetRole'],
  securityAccount: ['states:DescribeExecution'],
  stateTable: [...new Set([...BLAST_RADIUS_IAM_ACTIONS, 'dynamodb:PutItem', 'dynamodb:GetItem'])],
} as const;

/** Options the compiled playbook passes to the guard step. */
export const containmentGuardOptionsSchema = z.strictObject({
  /** The playbook requires a human's approval before its resource-changing steps. */
  requireApproval: z._default(z.boolean(), false),
});

export type ContainmentGuardOptions = z.output<typeof containmentGuardOptionsSchema>;

export type ContainmentGuardInput = ResponderInput<ContainmentGuardOptions>;

/** Evaluates every rail for one incident and says whether its containment may proceed. */
export async function guardContainment(input: ContainmentGuardInput, deps: ContainmentGuardDeps): Promise<GuardResult> {
  const { incident, options } = input;
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const logger = deps.logger;
  const policy = deps.config.blastRadius;
  const environment = deps.config.environment ?? process.env;
  const reasons: string[] = [];
  const resource = incident.resource;
  const instanceId = resource.kind === 'ec2-instance' ? resource.instanceId : undefined;
  // What the grant names: the instance, the S3 object of a malware scan result
  // (s3-malware-object.ts), or, for an access-key incident, the credentials it names (the credential
  // responders check their protection where the credentials live); a per-credential playbook's
  // grant names its one credential instead (below, once the deployment's rails are known).
  let grantTarget = instanceId ?? malwareObjectGrantTarget(incident) ?? (resource.kind === 'access-key' ? CREDENTIALS_GRANT_SUBJECT : undefined);
  // The incident is the verified execution's own (its whole input incident, by digest), so its
  // game-day and sample flags are the execution's: a direct invocation cannot drop them.
  const gameDay = isGameDayIncident(incident);
  let effective: EffectiveMode = effectiveMode(input.mode, environment);
  let execution: GuardExecution = { verified: false };
  let grant: GuardGrant | undefined;
  let releaseClaims: GuardReleaseClaims | undefined;
  let releaseDnsBlocks: GuardReleaseDnsBlocks | undefined;
  let intake: GuardIntake | undefined;

  const finish = (
    status: GuardStatus,
    blastRadius: GuardBlastRadius,
    protection: ProtectionVerdict = { protected: false },
    idempotentReplay = false,
  ): GuardResult => {
    log.record('firebreak:containment-guard', instanceId ?? incident.key, 'observed', `${status}: ${reasons.join(' ')}`);
    const result: GuardResult = {
      responder: CONTAINMENT_GUARD_RESPONDER,
      incidentKey: incident.key,
      mode: effective.mode,
      status,
      idempotentReplay,
      actions: log.actions,
      ...forcedDryRunField(effective),
      reasons,
      protected: protection.protected,
      ...(protection.protected ? { protectedBy: protection.rule } : {}),
      ...(instanceId !== undefined ? { instanceId } : {}),
      blastRadius,
      execution,
      ...(grant !== undefined ? { grant } : {}),
      gameDay,
      ...(releaseClaims !== undefined ? { releaseClaims } : {}),
      ...(releaseDnsBlocks !== undefined ? { releaseDnsBlocks } : {}),
      ...(intake !== undefined ? { intake } : {}),
    };
    logger.info('containment-guard decided', { status, reasons, mode: effective.mode, blastRadius, execution, grant });
    return result;
  };

  // 1. Which execution asks, and what the deployment says its playbook's rails are. The pause is
  // read beside DescribeExecution when the (unverified) execution ARN names a containment, so that
  // it adds no round trip to the path to containment; its answer counts only once the execution is
  // verified as a containment, and an input that names a release reads no pause at all.
  const pauseAhead = claimedPlaybookKind(input.execution?.executionArn, deps.config) === 'contain' ? readPauseAhead(deps.emergencyPause) : undefined;
  const checked = await verifyExecution(input.execution?.executionArn, incident, { mode: input.mode, requireApproval: options.requireApproval }, deps);
  if (!checked.verified) {
    log.record('states:DescribeExecution', checked.executionArn ?? incident.key, 'skipped', checked.reason);
    reasons.push(checked.reason);
    recordEffectiveMode(log, instanceId ?? incident.key, effective);
    execution = { verified: false, ...(checked.executionArn !== undefined ? { executionArn: checked.executionArn } : {}) };
    return finish('evidence-only', notEvaluated(policy));
  }
  const { rails, playbook } = checked;
  // An incident the oversized-event intake dispatched (triage set `clipped.event` from the marker
  // only the intake writes). Whoever may invoke the intake can send it any event, so a person
  // approves its containment, unless the intake found the event equal to GuardDuty's own copy of
  // the finding (`confirmed`, GetFindings: lib/incident/finding-confirmation.ts): then it is
  // GuardDuty's finding, whoever handed it over, and the usual rails decide. Read from the
  // execution's own incident, never the step's input: a caller cannot drop it nor confirm it.
  const clippedEvent = checked.incident.clipped?.event;
  const intakeEvent = clippedEvent !== undefined && clippedEvent.confirmed !== true ? clippedEvent : undefined;
  if (intakeEvent !== undefined) intake = 'oversized-event';
  const pool: BlastRadiusPool = gameDay ? 'gameday' : 'real';
  const sample = incident.sample;
  execution = { verified: true, executionArn: checked.executionArn, playbook, kind: rails.kind };
  noteVerifiedOrigin();
  log.record('states:DescribeExecution', checked.executionArn, 'observed', `RUNNING execution of playbook ${playbook} (${rails.kind}) for incident ${incident.key}.`);
  if (rails.mode === 'dry-run') {
    effective = effectiveMode(input.mode, environment, { mode: 'dry-run', why: `playbook ${playbook} says mode: dry-run` });
  } else if (checked.inputMode === 'dry-run') {
    effective = effectiveMode(input.mode, environment, { mode: 'dry-run', why: 'the execution was started in dry-run' });
  }
  // The emergency pause (emergency-pause.ts), for a containment only: a release still runs (an
  // operator releasing instances quarantined by mistake is what a pause is for). Dry-run wins over
  // the playbook's and the input's mode, and the alert is told who paused, when and why. A read
  // that failed fails the step (retried), as it always did: the guard never guesses "not paused".
  // The read ahead is older than a read made now by the time verification took (one
  // DescribeExecution; at most three and a second's wait for an execution not yet known); the
  // containing steps read the pause again beside their grant (grants.ts checkContainmentGrant).
  const pause = rails.kind === 'contain' ? await (pauseAhead ?? readPauseAhead(deps.emergencyPause))() : NOT_PAUSED;
  if (pause.paused) {
    const sentence = pauseSentence(pause);
    log.record(PAUSE_ACTION, instanceId ?? incident.key, 'skipped', `${sentence}: this containment is cleared in dry-run only.`);
    reasons.push(`${sentence}: this containment is cleared in dry-run only, and no blast-radius slot is taken.`);
    if (effective.mode === 'enforce') effective = effectiveMode(input.mode, environment, { mode: 'dry-run', why: sentence });
  }
  recordEffectiveMode(log, instanceId ?? incident.key, effective);
  const mode = effective.mode;

  // 2. An account the deployment does not serve: refused, never acted upon elsewhere; nor the
  // security account for another account's finding (a fan-out child placed there, row 9h).
  if (deps.config.servedAccounts !== undefined) assertServedAccount(incident.account, deps.config.servedAccounts, findingAccountOf(incident));

  // A sample names placeholder resources and must never lead to a change, nor to an AWS call that
  // CloudTrail would record as if an incident had happened.
  if (sample || (instanceId !== undefined && isPlaceholderInstanceId(instanceId))) {
    reasons.push(
      sample
        ? 'GuardDuty sample finding: Firebreak never changes resources for a sample; evidence and an alert only.'
        : `Instance id ${instanceId} is a placeholder, not a real instance: evidence and an alert only.`,
    );
    return finish('evidence-only', notEvaluated(policy));
  }

  // A drill in a deployment without game days: no game-day bus delivered it (none exists), so whoever
  // sent it (the oversized-event intake, which every caller allowed to invoke it feeds, or a
  // StartExecution) is no game-day principal. Releases still run: a drill contained before game days
  // were switched off must be able to end.
  if (gameDay && rails.kind === 'contain' && environment[SECURITY_ENV.gameDayEnabled] !== 'true') {
    reasons.push(`Game-day incident ${incident.key}, but game days are not enabled in this deployment (${SECURITY_ENV.gameDayEnabled} is not true): no game-day bus delivered it, so nothing is cleared and no blast-radius slot is taken.`);
    return finish('evidence-only', notEvaluated(policy));
  }

  // 2b. A per-credential execution (contain-each-credential): the grant clears the ONE credential
  // its incident is about, so the blast radius and the rails hold per credential; an administrator
  // or break-glass principal (by name), or one whose user or role carries the protected tag, is
  // refused here, before a slot is taken. So is the one principal of any other access-key incident
  // to contain whose credentials all belong to it: the steps would refuse each of them alike, and a
  // finding about a protected credential must not use up the account's automatic containments.
  const perCredential = rails.grantScope === 'one-credential';
  // The user IAM says owns the incident's key now, when the finding's user name is nobody's
  // (lookAtCredential followed the key): the one its containment cuts off.
  let followedUser: string | undefined;
  const one = perCredential ? oneCredentialOf(incident) : rails.kind === 'contain' && resource.kind === 'access-key' ? soleCredentialOf(incident) : undefined;
  if (perCredential && one === undefined) {
    reasons.push(`Playbook ${playbook} clears one credential per execution, and this incident's resource names no IAM user's access key nor role: nothing is cleared.`);
    return finish('evidence-only', notEvaluated(policy));
  }
  // A credential incident with nothing a step could act on (a malformed key id, a root key) takes
  // no slot: such findings must not use up the account's automatic containments.
  if (rails.kind === 'contain' && resource.kind === 'access-key' && namesOnlyUnactionableKeys(incident)) {
    reasons.push('The incident names no access key or role a credential step can act on (its key id is malformed, or the key is a root user\'s): nothing is cleared and no blast-radius slot is taken.');
    return finish('evidence-only', notEvaluated(policy));
  }
  if (one !== undefined) {
    const privileged = privilegedCredentialReason(one, incident.account, environment, { securityAccountId: deps.config.securityAccountId, stackName: deps.config.stackName });
    if (privileged !== undefined) {
      reasons.push(privileged);
      return finish('evidence-only', notEvaluated(policy), { protected: true, rule: 'privileged-name', reason: privileged });
    }
    // Its tags as IAM holds them now (protected tag key, game-day opt-in), a role's id when its
    // sessions give one (another role of that name is not the finding's), and whether IAM lists a
    // user's key as that user's (a key of another user is not the finding's), before a slot is taken.
    const roleIds = one.principal.kind === 'role' ? roleIdsNamed(incident, { roleName: one.principal.name, account: incident.account }) : [];
    // A user renamed since the finding is followed by its key (lookAtCredential): its new name meets
    // the privileged name patterns too, before any call on it.
    const privilegedName = (userName: string): string | undefined =>
      privilegedCredentialReason({ ...one, principal: { kind: 'user', name: userName } }, incident.account, environment, { securityAccountId: deps.config.securityAccountId, stackName: deps.config.stackName });
    // Keys all Inactive already change nothing in a playbook that only disables keys (row 11t).
    const keyHolds = rails.disablesKeysOnly === true ? deps.keyHolds : undefined;
    const looked = await lookAtCredential(incident, one, rails.kind, gameDay, deps, log, reasons, { roleIds, accessKeyIds: accessKeyIdsCovered(incident, one, perCredential), privileged: privilegedName, ...(keyHolds !== undefined ? { keyHolds } : {}) });
    if (looked === 'unverifiable' || looked === 'not-a-target' || looked === 'nothing-to-contain') return finish('evidence-only', notEvaluated(policy));
    if (looked.protected) {
      reasons.push(looked.reason);
      return finish('evidence-only', notEvaluated(policy), looked);
    }
    if (perCredential) grantTarget = credentialGrantSubject(one.subject);
    if ('followedTo' in looked) followedUser = looked.followedTo;
  }

  const approvalRequired = rails.approvalRequired || options.requireApproval;
  const intakeReason = intakeEvent !== undefined ? intakeApprovalReason(checked.incident, intakeEvent.originalBytes) : undefined;
  // A containment on an alarm's word (row 10c): SetAlarmState makes any alarm's state change event,
  // so a person decides. Read from the execution's own incident, never the step's input.
  const alarmReason = rails.kind === 'contain' && checked.incident.source === 'cloudwatch' ? ALARM_APPROVAL_REASON : undefined;
  // Either claim unverified: an unanswered request never contains, whatever the playbook's onTimeout.
  const unverifiedClaim = intakeReason !== undefined || alarmReason !== undefined;
  const personDecides = approvalRequired || unverifiedClaim;
  const clear = async (status: 'proceed' | 'needs-approval', heldQuarantine = false): Promise<GuardGrant | undefined> => {
    if (grantTarget === undefined) return undefined;
    const at = now();
    const deadline = status === 'needs-approval' ? new Date(at.getTime() + rails.timeoutSeconds * 1000) : undefined;
    const actionableAt = deadline ?? at;
    const candidate: ContainmentGrant = {
      pk: grantKey(checked.executionArn),
      executionArn: checked.executionArn,
      playbook,
      incidentKey: incident.key,
      incidentDigest: checked.incidentDigest,
      ...(checked.requestDigest !== undefined ? { requestDigest: checked.requestDigest } : {}),
      account: incident.account,
      region: incident.region,
      instanceId: grantTarget,
      kind: rails.kind,
      gameDay,
      mode,
      status: status === 'proceed' ? 'proceed' : 'awaiting-approval',
      // An unanswered request about an event from the intake never contains: only a person may.
      ...(deadline !== undefined ? { approvalDeadline: deadline.toISOString(), onTimeout: unverifiedClaim ? 'evidence-only' : rails.onTimeout } : {}),
      grantedAt: at.toISOString(),
      expiresAt: Math.floor(actionableAt.getTime() / 1000) + GRANT_VALIDITY_SECONDS,
      // A release of an instance: the record as read above, what the approval is given on. The
      // release restores only it, at this claim serial (release-instance holds the record at it).
      ...(releaseClaims?.record === 'held' && releaseClaims.capturedAt !== undefined && releaseClaims.claimSerial !== undefined
        ? { releaseRecord: { capturedAt: releaseClaims.capturedAt, claimSerial: releaseClaims.claimSerial } }
        : {}),
      // Cleared with no slot (row 15o): the steps act only where that spends nothing more (row 15s).
      ...(heldQuarantine ? { heldQuarantine: true as const } : {}),
    };
    const stored = await deps.grants.putIfAbsent(candidate);
    const g = stored.grant;
    // A grant found written answers only when it is the one this run would issue: the steps act on
    // it, so the answer must never say more than it clears (containment-guard-grant.ts).
    const difference = stored.written
      ? undefined
      : storedGrantDifference(g, { candidate, now: at, approvalSeconds: rails.timeoutSeconds, onTimeout: unverifiedClaim ? 'evidence-only' : rails.onTimeout, personDecides });
    if (difference !== undefined) {
      throw new ResponderFailedError(
        difference.of === 'target'
          ? `The grant of ${checked.executionArn} already exists for another incident or instance (${difference.text}); refusing to clear this one, and the stored grant is left as it is`
          : `The grant of ${checked.executionArn} already exists with other terms than this run would issue (${difference.text}); refusing to answer from it, and the stored grant is left as it is`,
      );
    }
    log.record(
      'firebreak:grant',
      g.pk,
      stored.written ? 'done' : 'already-done',
      stored.written
        ? `Granted ${g.kind} of ${grantTarget} to execution ${g.executionArn} (${g.status}, ${g.mode}, until ${new Date(g.expiresAt * 1000).toISOString()}).`
        : `A grant for execution ${g.executionArn} already exists (${g.status}, written ${g.grantedAt}): its decision stands.`,
    );
    return { key: g.pk, status: g.status, mode: g.mode, expiresAt: g.expiresAt, written: stored.written };
  };
  // A retried guard finds the grant it wrote; the stored decision is the one the responders will read.
  const decide = async (status: 'proceed' | 'needs-approval', heldQuarantine = false): Promise<GuardStatus> => {
    grant = await clear(status, heldQuarantine);
    if (grant === undefined) return status;
    return grant.status === 'proceed' ? 'proceed' : 'needs-approval';
  };

  // 3. Where the instance is read from EC2 (protection by tag, game-day opt-in): never the finding's copy.
  if (resource.kind === 'ec2-instance') {
    const looked = await lookAtInstance(incident, resource.instanceId, rails.kind, gameDay, deps, log, reasons);
    if (looked === 'unverifiable' || looked === 'not-a-target') return finish('evidence-only', notEvaluated(policy));
    if (looked === 'terminated') {
      // Nothing is left to contain and the steps refuse the instance, but a grant clears every
      // granted step of the execution, not only those: where a person must decide, it waits for one.
      if (!personDecides) return finish(await decide('proceed'), notEvaluated(policy));
      if (approvalRequired) reasons.push(`The ${playbook} playbook requires a person to approve before it changes resources.`);
      if (intakeReason !== undefined) reasons.push(intakeReason);
      if (alarmReason !== undefined) reasons.push(alarmReason);
      return finish(await decide('needs-approval'), notEvaluated(policy));
    }
    if (looked.protected) {
      reasons.push(looked.reason);
      return finish('evidence-only', notEvaluated(policy), looked);
    }
  }

  // 4. A release restores what a contained instance had: it takes no blast-radius slot, and a
  // person's approval (when the playbook requires it) is the rail. The approver is shown the
  // incidents that hold the instance: the release restores it only for the last of them.
  if (rails.kind === 'release') {
    if (rails.releasesInstances === true && instanceId !== undefined && deps.releaseStates !== undefined) {
      releaseClaims = await readReleaseClaims(deps.releaseStates, { account: incident.account, region: incident.region, instanceId }, log);
    }
    // Its unblock step lifts the DNS Firewall blocks its incident claimed on the instance, VPC-wide:
    // the approver is told which domains resolve again (row 5r).
    if (rails.liftsDnsBlocks === true && instanceId !== undefined && deps.dnsBlocks !== undefined) {
      releaseDnsBlocks = await readReleaseDnsBlocks(deps.dnsBlocks, { account: incident.account, region: incident.region, instanceId }, incident.key, log);
    }
    if (rails.releasesObjects === true && deps.objectClaims !== undefined) {
      const scanned = scannedObjectOf(incident).object;
      if (scanned !== undefined) releaseClaims = await readObjectReleaseClaims(deps.objectClaims, scanned, log);
    }
    if (personDecides) {
      if (intakeReason !== undefined) reasons.push(intakeReason);
      if (approvalRequired) reasons.push(`The ${playbook} playbook requires a person to approve before it changes resources.`);
      return finish(await decide('needs-approval'), notEvaluated(policy));
    }
    reasons.push(`The ${playbook} playbook releases without approval (this deployment's rails).`);
    return finish(await decide('proceed'), notEvaluated(policy));
  }

  const at = now();
  const where = gameDay ? `${incident.account} (game-day pool)` : incident.account;
  // The one resource the grant names, so that a second incident about it counts under the first's
  // slot (blast-radius.ts). An access-key incident's grant names every credential it lists: when
  // they all belong to one user or role (`one`, soleCredentialOf), that principal is what is
  // contained, and the hold records it; the incident key alone, a claim of the execution's input,
  // would let an execution under the key of a holding incident cut off another principal with no
  // slot (row 15i). Credentials of several principals are recorded as the set of them (row 15l): by
  // the key alone, whoever may start an execution could name a second principal and so be in that
  // case, and cut off any other set of credentials under one slot. A user is named as
  // IAM knows it now: the finding's name, when IAM knows none, is a claim any execution can repeat
  // with another user's key, which would then count under that name's hold (row 15k).
  const principal = grantTarget === CREDENTIALS_GRANT_SUBJECT && one !== undefined ? containedPrincipal(one, incident.account, followedUser) : undefined;
  const contained = grantTarget !== CREDENTIALS_GRANT_SUBJECT ? grantTarget : (principal ?? credentialsSlotTarget(incident));
  const slotTarget = contained !== undefined ? `${incident.region}/${contained}` : undefined;
  if (personDecides || mode === 'dry-run') {
    // Blast-radius slots count automatic containments: an approved one is a person's decision, and
    // a dry-run changes nothing, so neither takes a slot; the preview still tells the alert where
    // the account stands.
    const preview = await deps.limiter.preview(incident.account, incident.key, at, pool, slotTarget);
    log.record(
      'firebreak:blast-radius',
      incident.account,
      'observed',
      `${blastRadiusReason(where, preview, true)} No slot taken (${personDecides ? 'approval required' : 'dry-run'}).`,
    );
    reasons.push(blastRadiusReason(where, preview, true));
    if (personDecides) {
      if (approvalRequired) reasons.unshift('The playbook requires a person to approve before it changes resources.');
      if (alarmReason !== undefined) reasons.unshift(alarmReason);
      if (intakeReason !== undefined) reasons.unshift(intakeReason);
      return finish(await decide('needs-approval'), blastRadiusSummary(preview, false));
    }
    reasons.push('Dry-run: no blast-radius slot taken; this is what an enforce run would decide.');
    return finish(await decide(preview.granted ? 'proceed' : 'needs-approval'), blastRadiusSummary(preview, false));
  }

  // An instance Firebreak holds quarantined already (its sealed record unreleased): containing it
  // again takes nothing more out of service (row 15o). Counted per window alone, each finding about a
  // contained instance after its hold's window took a slot again, so the attacker's contained
  // footholds, which go on raising findings (security groups do not filter the VPC resolver), kept
  // the account's slots and the next real compromise waited for a person.
  const held = instanceId !== undefined && rails.kind === 'contain' ? await heldQuarantine(deps, incident, instanceId, rails, log) : undefined;
  const preview = held !== undefined ? await deps.limiter.preview(incident.account, incident.key, at, pool, slotTarget) : undefined;
  // A re-run, or another incident about it within the window, counts under its hold as before.
  if (held !== undefined && preview !== undefined && !(preview.granted && (preview.alreadyHeld || preview.sharedWith !== undefined))) {
    const heldReason = `Blast radius: ${instanceId} is held quarantined by Firebreak already (unreleased record, incident ${held}): containing it again takes nothing more out of service, so no slot is taken.`;
    reasons.push(heldReason);
    log.record('firebreak:blast-radius', incident.account, 'already-done', heldReason);
    return finish(await decide('proceed', true), { ...blastRadiusSummary(preview, false), granted: true });
  }
  const decision = await deps.limiter.acquire(incident.account, incident.key, at, pool, slotTarget);
  const reason = blastRadiusReason(where, decision, false);
  reasons.push(reason);
  if (!decision.granted) {
    log.record('firebreak:blast-radius', incident.account, 'skipped', reason);
    return finish(await decide('needs-approval'), blastRadiusSummary(decision, false));
  }
  log.record(
    'firebreak:blast-radius',
    `${incident.account}#${decision.slot}`,
    decision.alreadyHeld || decision.sharedWith !== undefined ? 'already-done' : 'done',
    reason,
  );
  return finish(await decide('proceed'), blastRadiusSummary(decision, true), { protected: false }, decision.alreadyHeld);
}

/**
 * The incident holding `instanceId` quarantined, when Firebreak's record of it is unreleased (one
 * consistent GetItem of its release attributes), or undefined: no record, a released one, or none
 * read. Read only where a deployed playbook releases instances: the guard's role may read the
 * records there alone (lib/stack/responders.ts), and without a release the record of an instance
 * restored by hand would stay unreleased for good. A read that fails takes a slot, as before.
 * Held takes no slot only for what spends nothing beyond the instance (row 15s): a playbook that
 * denies the role's sessions again (every holder of the role) always counts, and one that blocks
 * DNS counts when the incident names a domain the instance does not block already (a block holds
 * VPC-wide), read from the instance's block index beside the record. The grant then says it was
 * cleared with no slot, and those steps check it where they act.
 */
async function heldQuarantine(deps: ContainmentGuardDeps, incident: Incident, instanceId: string, rails: PlaybookRails, log: ActionLog): Promise<string | undefined> {
  if (deps.releaseStates === undefined || !Object.values(deps.config.rails).some((one) => one.releasesInstances === true)) return undefined;
  if (rails.renewsRoleSessions === true) return undefined;
  // As block-dns-domain's canonicalDomain (dns-domain.ts, not bundled here): another form finds no block, and counts.
  const raw = rails.blocksDns === true ? incident.guardDuty?.dnsDomain?.trim().toLowerCase() : undefined;
  const domain = raw?.endsWith('.') ? raw.slice(0, -1) : raw;
  try {
    const [state, blocks] = await Promise.all([
      deps.releaseStates.releaseStateOf(incident.account, incident.region, instanceId),
      domain !== undefined && deps.dnsBlocks !== undefined ? deps.dnsBlocks.blocksOfInstance(incident.account, incident.region, instanceId) : undefined,
    ]);
    if (state === undefined || state.released) return undefined;
    const holder = claimsOf(state)[0] ?? state.incidentKey;
    if (domain !== undefined && !(blocks ?? []).some((block) => block.domain === domain)) {
      log.record(
        'firebreak:blast-radius',
        instanceId,
        'observed',
        `Firebreak holds ${instanceId} quarantined already (incident ${holder}), but its playbook would block ${domain} VPC-wide, which no block of this instance holds yet: a change beyond the instance, so its containment counts against the blast radius.`,
      );
      return undefined;
    }
    // The record says what Firebreak did; EC2 says whether the instance is still out of service
    // (row 15p). Read after the record: a release restores the instance before it marks it released.
    const notIsolated = await notShownIsolated(incident, instanceId, deps).catch((error: unknown) => `EC2 could not be read (${describeError(error)})`);
    if (notIsolated === undefined) return holder;
    log.record(
      'ec2:DescribeInstances',
      instanceId,
      'observed',
      `Firebreak's record of ${instanceId} is unreleased (incident ${holder}), but EC2 does not show it isolated now (${notIsolated}): it may be back in service (restored by hand), so its containment counts against the blast radius.`,
    );
    return undefined;
  } catch (error) {
    log.record('dynamodb:GetItem', instanceId, 'skipped', `Could not read whether Firebreak holds ${instanceId} quarantined already (${describeError(error)}): the containment counts against the blast radius`);
    return undefined;
  }
}

/** An error in one line for the action log (at most 300 characters). */
function describeError(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
}

/** containment-guard as the responder runtime runs it (lib/responders/runtime.ts). */
export const containmentGuardResponder = stepResponder(containmentGuardOptionsSchema, guardContainment);

export interface ContainmentGuardHandlerDeps {
  /** EC2 and IAM in the incident's account, Step Functions and (for the default limiter and grants) DynamoDB in the security account. */
  readonly clients: Ec2Clients & IamClients & SfnClients & DynamoDbClients;
  readonly logger: Logger | IncidentLogger;
  /** @default readContainmentGuardConfig(process.env) */
  readonly config?: ContainmentGuardConfig;
  /** @default a DynamoDbBlastRadiusLimiter over clients.dynamodb() and config.stateTable */
  readonly limiter?: BlastRadiusLimiter;
  /** @default a DynamoDbGrantStore over clients.dynamodb() and config.stateTable */
  readonly grants?: GrantWriter;
  /** @default a DynamoDbPauseReader over clients.dynamodb() and config.stateTable */
  readonly emergencyPause?: PauseReader;
  /** @default a DynamoDbQuarantineReleaseStates over clients.dynamodb() and config.stateTable (none without a table) */
  readonly releaseStates?: QuarantineReleaseStates;
  /** @default a DynamoDbDnsBlockIndex over clients.dynamodb() and config.stateTable (none without a table) */
  readonly dnsBlocks?: Pick<DnsBlockStore, 'blocksOfInstance'>;
  /** @default a DynamoDbS3ObjectClaimReader over clients.dynamodb() and config.stateTable (none without a table) */
  readonly objectClaims?: Pick<S3ObjectClaims, 'get'>;
  /** @default a DynamoDbKeyHolds over clients.dynamodb() and config.stateTable (none without a table) */
  readonly keyHolds?: KeyHolds;
  readonly now?: () => Date;
}

/** Builds the Lambda handler over injected clients: the Lambda, the local game day and tests run exactly this. */
export function createContainmentGuardHandler(deps: ContainmentGuardHandlerDeps): ResponderHandler<GuardResult> {
  const config = deps.config ?? readContainmentGuardConfig(process.env);
  let limiter = deps.limiter;
  let grants = deps.grants;
  let emergencyPause = deps.emergencyPause;
  if (limiter === undefined || grants === undefined || emergencyPause === undefined) {
    if (config.stateTable === undefined) {
      throw new TypeError(
        `Invalid containment-guard configuration: ${DEPLOYMENT_ENV.stateTable} is not set, so the blast-radius counter and the grants have no table`,
      );
    }
    limiter ??= new DynamoDbBlastRadiusLimiter(deps.clients.dynamodb(), config.stateTable, config.blastRadius);
    grants ??= new DynamoDbGrantStore(deps.clients.dynamodb(), config.stateTable);
    emergencyPause ??= new DynamoDbPauseReader(deps.clients.dynamodb(), config.stateTable);
  }
  const releaseStates = deps.releaseStates ?? (config.stateTable !== undefined ? new DynamoDbQuarantineReleaseStates(deps.clients.dynamodb(), config.stateTable) : undefined);
  const dnsBlocks = deps.dnsBlocks ?? (config.stateTable !== undefined ? new DynamoDbDnsBlockIndex(deps.clients.dynamodb(), config.stateTable) : undefined);
  const objectClaims = deps.objectClaims ?? (config.stateTable !== undefined ? new DynamoDbS3ObjectClaimReader(deps.clients.dynamodb(), config.stateTable) : undefined);
  const keyHolds = deps.keyHolds ?? (config.stateTable !== undefined ? new DynamoDbKeyHolds(deps.clients.dynamodb(), config.stateTable) : undefined);
  return createResponderHandler(containmentGuardResponder, {
    clients: deps.clients,
    limiter,
    grants,
    emergencyPause,
    ...(releaseStates !== undefined ? { releaseStates } : {}),
    ...(dnsBlocks !== undefined ? { dnsBlocks } : {}),
    ...(objectClaims !== undefined ? { objectClaims } : {}),
    ...(keyHolds !== undefined ? { keyHolds } : {}),
    config,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
}
