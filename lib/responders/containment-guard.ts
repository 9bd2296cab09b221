/**
 * containment-guard: the safety rails a playbook runs BEFORE its resource-changing steps. It
 * answers one question — may this incident be contained automatically now? — with
 *
 * - `evidence-only`: never contain automatically (a GuardDuty sample, a protected instance, an
 *   instance whose protection cannot be verified); collect evidence and alert instead;
 * - `needs-approval`: a human decides (the playbook requires approval, or the account's blast
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
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import type { DynamoDbClients } from '../aws/clients/dynamodb';
import type { Ec2Clients } from '../aws/clients/ec2';
import type { SfnClients } from '../aws/clients/sfn';
import { describeInstance, tagRecord } from '../aws/describe-instance';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { assertServedAccount, requireServedAccounts } from '../aws/clients/access';
import type { ContainmentGrant, PlaybookRails, ServedAccounts } from '../contracts/security';
import { SECURITY_ENV, SECURITY_TAGS } from '../contracts/security';
import type { Incident } from '../incident/model';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import { isGameDayIncident, isGameDayTarget } from './game-day';
import type { GrantWriter } from './grants';
import { DynamoDbGrantStore, GRANT_VALIDITY_SECONDS, grantKey } from './grants';
import type { BlastRadiusDecision, BlastRadiusLimiter, BlastRadiusPolicy, BlastRadiusPool } from './blast-radius';
import {
  BLAST_RADIUS_IAM_ACTIONS,
  DEFAULT_BLAST_RADIUS_POLICY,
  DynamoDbBlastRadiusLimiter,
  assertBlastRadiusPolicy,
} from './blast-radius';
import type { ResponderHandler } from './runtime';
import { createResponderHandler, stepResponder } from './runtime';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { ResponderInput } from './responder-input';
import { incidentSchema } from './responder-input';
import { isPlaceholderInstanceId } from './instance-state';
import { ResponderFailedError } from '../contracts/responder-errors';
import { INSTANCE_ID_FORMAT } from '../incident/identifiers';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { RESPONDER_NAMES } from '../contracts/responders';

export const CONTAINMENT_GUARD_RESPONDER = RESPONDER_NAMES.containmentGuard;

/**
 * IAM actions the guard needs: `ec2:DescribeInstances` where the instance lives (member role or the
 * security account's own role; only when a protected tag key is configured, or for a game-day
 * incident), `states:DescribeExecution` on this deployment's playbook executions, and the
 * blast-radius and grant table actions in the security account.
 */
export const CONTAINMENT_GUARD_IAM_ACTIONS = {
  targetAccount: ['ec2:DescribeInstances'],
  securityAccount: ['states:DescribeExecution'],
  stateTable: [...new Set([...BLAST_RADIUS_IAM_ACTIONS, 'dynamodb:PutItem', 'dynamodb:GetItem'])],
} as const;

/** Options the compiled playbook passes to the guard step. */
export const containmentGuardOptionsSchema = z
  .object({
    /** The playbook requires a human's approval before its resource-changing steps. */
    requireApproval: z.boolean().default(false),
  })
  .strict();
export type ContainmentGuardOptions = z.output<typeof containmentGuardOptionsSchema>;
export type ContainmentGuardInput = ResponderInput<ContainmentGuardOptions>;

export type GuardStatus = 'proceed' | 'needs-approval' | 'evidence-only';

/**
 * Which rule made an instance protected. The finding's tags are never trusted: they are whatever
 * the instance (or its attacker) had set, reported back; only EC2's current tags count.
 */
export type ProtectionRule = 'instance-id' | 'instance-tag';

/** The blast-radius part of a guard result. */
export interface GuardBlastRadius {
  /** False when an earlier rule decided (sample, protected): the counter was not consulted. */
  readonly evaluated: boolean;
  /** A containment now is within the limit (in dry-run and approval runs: would be). */
  readonly granted: boolean;
  /** This run took a slot or confirmed the one the incident holds; false in dry-run and for approvals. */
  readonly slotTaken: boolean;
  /** Containments counted in the window (this one included when granted); null when not evaluated. */
  readonly used: number | null;
  readonly limit: number;
  readonly windowSeconds: number;
  /** Incident keys holding the slots when the limit is reached. */
  readonly activeIncidents?: readonly string[];
  /** ISO 8601 time the first slot frees up, when the limit is reached. */
  readonly retryAfter?: string;
}

/** What the guard verified about the execution it was asked about. */
export interface GuardExecution {
  /** True when DescribeExecution showed a RUNNING execution of this deployment's playbook for this incident. */
  readonly verified: boolean;
  readonly executionArn?: string;
  /** The playbook, from the verified state machine (never from the input). */
  readonly playbook?: string;
  readonly kind?: PlaybookRails['kind'];
}

/** The grant the guard wrote (or found) for the execution. */
export interface GuardGrant {
  readonly key: string;
  readonly status: ContainmentGrant['status'];
  readonly mode: ResponderMode;
  readonly expiresAt: number;
  /** False when a grant already existed for the execution (a retry): its decision stands. */
  readonly written: boolean;
}

export interface GuardResult extends ResponderResult<GuardStatus> {
  /** Every rule that shaped the decision, in words fit for the alert. */
  readonly reasons: readonly string[];
  readonly protected: boolean;
  readonly protectedBy?: ProtectionRule;
  readonly instanceId?: string;
  readonly blastRadius: GuardBlastRadius;
  readonly execution: GuardExecution;
  /** Present when the guard cleared the execution (proceed, or needs-approval). */
  readonly grant?: GuardGrant;
  /** True for a game-day incident (its blast-radius slots are counted apart: blast-gameday#). */
  readonly gameDay: boolean;
}

/** Deploy-time configuration of the rails. */
export interface ContainmentGuardConfig {
  /** Instances never contained automatically. */
  readonly protectedInstanceIds: readonly string[];
  /** An instance carrying a tag with this KEY (any value) in EC2 now is never contained automatically. */
  readonly protectedTagKey?: string;
  readonly blastRadius: BlastRadiusPolicy;
  /** The Firebreak state table holding the blast-radius slots and the grants. */
  readonly stateTable?: string;
  /** The security account (FIREBREAK_SECURITY_ACCOUNT_ID): executions must run there. */
  readonly securityAccountId?: string;
  /** The guard's own region (AWS_REGION): executions must run there. */
  readonly region?: string;
  /** The stack name (FIREBREAK_STACK_NAME): playbook state machines are `<stackName>-<playbook>`. */
  readonly stackName?: string;
  /** Rails per deployed playbook (FIREBREAK_PLAYBOOK_RAILS). Without them no execution can be verified. */
  readonly rails: Readonly<Record<string, PlaybookRails>>;
  /** The accounts the deployment serves; an incident of any other is refused (UnservedAccountError). */
  readonly servedAccounts?: ServedAccounts;
  /** The deployment's mode ceiling, read with the rest (FIREBREAK_MODE). @default process.env at decision time */
  readonly environment?: DeploymentEnvironment;
}

export interface ContainmentGuardDeps {
  /** EC2 in the incident's account, Step Functions in the security account. */
  readonly clients: Ec2Clients & SfnClients;
  readonly limiter: BlastRadiusLimiter;
  readonly grants: GrantWriter;
  readonly config: ContainmentGuardConfig;
  readonly logger: IncidentLogger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------


const positiveInteger = (name: string, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .optional()
    .transform((value) => value ?? fallback);

/** One playbook's rails as the stack writes them (lib/contracts/security.ts PlaybookRails). */
export const playbookRailsSchema = z
  .object({
    approvalRequired: z.boolean(),
    onTimeout: z.enum(['evidence-only', 'contain']),
    timeoutSeconds: z.number().int().positive(),
    kind: z.enum(['contain', 'release']),
  })
  .strict();

const guardEnvironmentSchema = z.object({
  // A misspelt id would silently unprotect an instance, so every id must look like one.
  [DEPLOYMENT_ENV.protectedInstanceIds]: z
    .string()
    .optional()
    .transform((list) => (list ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''))
    .pipe(z.array(z.string().regex(INSTANCE_ID_FORMAT, 'each protected instance id must look like i-0123456789abcdef0'))),
  [DEPLOYMENT_ENV.protectedTagKey]: z
    .string()
    .trim()
    .max(128, `${DEPLOYMENT_ENV.protectedTagKey}: EC2 tag keys have at most 128 characters`)
    .optional()
    .transform((key) => (key === '' ? undefined : key)),
  [DEPLOYMENT_ENV.blastRadiusMax]: positiveInteger(DEPLOYMENT_ENV.blastRadiusMax, DEFAULT_BLAST_RADIUS_POLICY.maxContainments),
  [DEPLOYMENT_ENV.blastRadiusWindowSeconds]: positiveInteger(
    DEPLOYMENT_ENV.blastRadiusWindowSeconds,
    DEFAULT_BLAST_RADIUS_POLICY.windowSeconds,
  ),
  [DEPLOYMENT_ENV.stateTable]: z
    .string()
    .trim()
    .optional()
    .transform((name) => (name === '' ? undefined : name)),
  [SECURITY_ENV.stackName]: z
    .string()
    .trim()
    .optional()
    .transform((name) => (name === '' ? undefined : name)),
  AWS_REGION: z.string().trim().min(1).optional(),
  [SECURITY_ENV.playbookRails]: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined || text.trim() === '') return {};
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: `${SECURITY_ENV.playbookRails} is not JSON` });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/), playbookRailsSchema)),
});

/**
 * Reads the rails' configuration from the Lambda environment (FIREBREAK_PROTECTED_INSTANCE_IDS,
 * FIREBREAK_PROTECTED_TAG_KEY, FIREBREAK_BLAST_RADIUS_MAX (5), FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS
 * (3600), FIREBREAK_STATE_TABLE, FIREBREAK_SECURITY_ACCOUNT_ID and the served accounts, AWS_REGION,
 * FIREBREAK_STACK_NAME, FIREBREAK_PLAYBOOK_RAILS, FIREBREAK_MODE); throws a TypeError naming every
 * bad variable.
 */
export function readContainmentGuardConfig(env: NodeJS.ProcessEnv = process.env): ContainmentGuardConfig {
  const parsed = guardEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new TypeError(`Invalid containment-guard configuration: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const values = parsed.data;
  const blastRadius = {
    maxContainments: values[DEPLOYMENT_ENV.blastRadiusMax],
    windowSeconds: values[DEPLOYMENT_ENV.blastRadiusWindowSeconds],
  };
  try {
    assertBlastRadiusPolicy(blastRadius);
  } catch (error) {
    throw new TypeError(
      `Invalid containment-guard configuration: ${DEPLOYMENT_ENV.blastRadiusMax} / ${DEPLOYMENT_ENV.blastRadiusWindowSeconds}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // Served accounts need the security account id; without it, no execution verifies either.
  const servedAccounts = env[SECURITY_ENV.securityAccountId] !== undefined ? requireServedAccounts(env) : undefined;
  return {
    protectedInstanceIds: values[DEPLOYMENT_ENV.protectedInstanceIds],
    ...(values[DEPLOYMENT_ENV.protectedTagKey] !== undefined ? { protectedTagKey: values[DEPLOYMENT_ENV.protectedTagKey] } : {}),
    blastRadius,
    ...(values[DEPLOYMENT_ENV.stateTable] !== undefined ? { stateTable: values[DEPLOYMENT_ENV.stateTable] } : {}),
    ...(servedAccounts !== undefined ? { servedAccounts, securityAccountId: servedAccounts.securityAccountId } : {}),
    ...(values.AWS_REGION !== undefined ? { region: values.AWS_REGION } : {}),
    ...(values[SECURITY_ENV.stackName] !== undefined ? { stackName: values[SECURITY_ENV.stackName] } : {}),
    rails: values[SECURITY_ENV.playbookRails],
    environment: env,
  };
}

// ---------------------------------------------------------------------------------------------
// Pure decisions
// ---------------------------------------------------------------------------------------------

/** Whether an instance is protected and by which rule. */
export type ProtectionVerdict =
  | { readonly protected: false }
  | { readonly protected: true; readonly rule: ProtectionRule; readonly reason: string };

/**
 * Protection by id (the deployment's list) or by the protected tag KEY (any value, exact case as
 * EC2 keys are case-sensitive) on the instance's CURRENT tags, as EC2 describes them now. The tags
 * a finding reports are never consulted: anyone who can tag the instance (often the instance's own
 * role) could otherwise exempt it, and the finding's copy may be stale.
 */
export function protectionOf(
  instanceId: string,
  config: Pick<ContainmentGuardConfig, 'protectedInstanceIds' | 'protectedTagKey'>,
  currentTags?: Readonly<Record<string, string>>,
): ProtectionVerdict {
  if (config.protectedInstanceIds.includes(instanceId)) {
    return {
      protected: true,
      rule: 'instance-id',
      reason: `Instance ${instanceId} is protected: it is in the deploy-time list of protected instances (FIREBREAK_PROTECTED_INSTANCE_IDS), so Firebreak collects evidence and alerts instead of containing it.`,
    };
  }
  const key = config.protectedTagKey;
  if (key === undefined) return { protected: false };
  if (currentTags !== undefined && Object.hasOwn(currentTags, key)) {
    return {
      protected: true,
      rule: 'instance-tag',
      reason: `Instance ${instanceId} is protected: it carries the tag ${key}=${JSON.stringify(currentTags[key])} now, so Firebreak collects evidence and alerts instead of containing it.`,
    };
  }
  return { protected: false };
}

/** A window length for people: `3600 s (1 h)`. */
export function describeWindow(windowSeconds: number): string {
  const human =
    windowSeconds % 86400 === 0
      ? `${windowSeconds / 86400} d`
      : windowSeconds % 3600 === 0
        ? `${windowSeconds / 3600} h`
        : windowSeconds % 60 === 0
          ? `${windowSeconds / 60} min`
          : undefined;
  return human === undefined ? `${windowSeconds} s` : `${windowSeconds} s (${human})`;
}

/** The alert sentence for a blast-radius decision. */
export function blastRadiusReason(account: string, decision: BlastRadiusDecision, hypothetical: boolean): string {
  const window = describeWindow(decision.windowSeconds);
  if (!decision.granted) {
    const holders = decision.activeIncidents.map((hold) => hold.incidentKey);
    const frees = decision.retryAfter !== undefined ? ` The first slot frees at ${decision.retryAfter}.` : '';
    return `Blast radius reached: ${decision.used} of ${decision.limit} automatic containments already made in account ${account} within the last ${window}${holders.length > 0 ? ` (${holders.join(', ')})` : ''}; a person must approve any further containment.${frees}`;
  }
  if (decision.alreadyHeld) {
    return `Blast radius: this incident already counts as containment ${decision.used} of ${decision.limit} in account ${account} for the ${window} window; no second slot taken.`;
  }
  return hypothetical
    ? `Blast radius: containing now would be containment ${decision.used} of ${decision.limit} in account ${account} within ${window}.`
    : `Blast radius: containment ${decision.used} of ${decision.limit} in account ${account} within ${window}.`;
}

function blastRadiusSummary(decision: BlastRadiusDecision, slotTaken: boolean): GuardBlastRadius {
  return {
    evaluated: true,
    granted: decision.granted,
    slotTaken: decision.granted && slotTaken,
    used: decision.used,
    limit: decision.limit,
    windowSeconds: decision.windowSeconds,
    ...(decision.granted
      ? {}
      : {
          activeIncidents: decision.activeIncidents.map((hold) => hold.incidentKey),
          ...(decision.retryAfter !== undefined ? { retryAfter: decision.retryAfter } : {}),
        }),
  };
}

function notEvaluated(policy: BlastRadiusPolicy): GuardBlastRadius {
  return {
    evaluated: false,
    granted: false,
    slotTaken: false,
    used: null,
    limit: policy.maxContainments,
    windowSeconds: policy.windowSeconds,
  };
}

// ---------------------------------------------------------------------------------------------
// The responder
// ---------------------------------------------------------------------------------------------

/** What DescribeExecution established about the execution the guard was asked about. */
type ExecutionCheck =
  | {
      readonly verified: true;
      readonly executionArn: string;
      readonly playbook: string;
      readonly rails: PlaybookRails;
      readonly inputMode?: ResponderMode;
      /** What the execution's own input says (a caller of the Lambda cannot lower these). */
      readonly gameDay: boolean;
      readonly sample: boolean;
    }
  | { readonly verified: false; readonly executionArn?: string; readonly reason: string };

const STATE_MACHINE_ARN = /^arn:([\w-]+):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

/**
 * Verifies with states:DescribeExecution that `executionArn` is a RUNNING execution of one of this
 * deployment's playbook state machines (`<stackName>-<playbook>`, in the security account and the
 * guard's region) and that its input names the same incident (key, account, region, instance).
 * IAM lets the guard describe only `<stackName>-*` executions, so any other ARN is denied and
 * treated as not verified. Throws only on transient errors (the state machine retries).
 */
export async function verifyExecution(
  executionArn: string | undefined,
  incident: Incident,
  deps: Pick<ContainmentGuardDeps, 'clients' | 'config'>,
): Promise<ExecutionCheck> {
  const { config } = deps;
  if (executionArn === undefined) {
    return { verified: false, reason: 'The guard was invoked without a playbook execution (no execution ARN in its input): no containment grant is possible; evidence and an alert only.' };
  }
  const refuse = (why: string): ExecutionCheck => ({
    verified: false,
    executionArn,
    reason: `Execution ${executionArn} is not one this guard can clear (${why}): no containment grant; evidence and an alert only.`,
  });
  if (config.stackName === undefined || config.securityAccountId === undefined || config.region === undefined || Object.keys(config.rails).length === 0) {
    return refuse(`the deployment's ${SECURITY_ENV.stackName}, ${SECURITY_ENV.securityAccountId}, AWS_REGION or ${SECURITY_ENV.playbookRails} is not set on the guard`);
  }
  let output;
  try {
    output = await deps.clients.sfn().send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'ExecutionDoesNotExist' || code === 'InvalidArn' || code === 'AccessDeniedException' || code === 'AccessDenied') {
      return refuse(`states:DescribeExecution answered ${code}`);
    }
    throw toResponderError(error, 'states:DescribeExecution');
  }
  if (output.status !== 'RUNNING') return refuse(`its status is ${output.status ?? 'unknown'}, not RUNNING`);
  const machine = STATE_MACHINE_ARN.exec(output.stateMachineArn ?? '');
  if (!machine) return refuse(`its state machine ARN ${output.stateMachineArn ?? '(none)'} is not a state machine ARN`);
  const [, , region, account, name] = machine as unknown as [string, string, string, string, string];
  if (account !== config.securityAccountId || region !== config.region) {
    return refuse(`its state machine runs in ${account}/${region}, not in this deployment's ${config.securityAccountId}/${config.region}`);
  }
  const prefix = `${config.stackName}-`;
  const playbook = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  const rails = playbook !== undefined && Object.hasOwn(config.rails, playbook) ? config.rails[playbook] : undefined;
  if (playbook === undefined || rails === undefined) return refuse(`its state machine ${name} is not one of this deployment's guarded playbooks`);
  let executionInput: unknown;
  try {
    executionInput = JSON.parse(output.input ?? '');
  } catch {
    return refuse('its input is not JSON');
  }
  const claimed = incidentSchema.safeParse((executionInput as { incident?: unknown } | null)?.incident);
  if (!claimed.success) return refuse('its input carries no incident');
  const theirs = claimed.data;
  const theirInstance = theirs.resource.kind === 'ec2-instance' ? theirs.resource.instanceId : undefined;
  const ourInstance = incident.resource.kind === 'ec2-instance' ? incident.resource.instanceId : undefined;
  const differences = [
    theirs.key !== incident.key ? `incident ${theirs.key}, not ${incident.key}` : undefined,
    theirs.account !== incident.account ? `account ${theirs.account}, not ${incident.account}` : undefined,
    theirs.region !== incident.region ? `region ${theirs.region}, not ${incident.region}` : undefined,
    theirInstance !== ourInstance ? `instance ${theirInstance ?? 'none'}, not ${ourInstance ?? 'none'}` : undefined,
  ].filter((d): d is string => d !== undefined);
  if (differences.length > 0) return refuse(`its input names ${differences.join(', ')}`);
  const inputMode = (executionInput as { mode?: unknown }).mode;
  return {
    verified: true,
    executionArn,
    playbook,
    rails,
    ...(inputMode === 'enforce' || inputMode === 'dry-run' ? { inputMode } : {}),
    gameDay: isGameDayIncident(theirs),
    sample: theirs.sample,
  };
}

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
  let gameDay = isGameDayIncident(incident);
  let effective: EffectiveMode = effectiveMode(input.mode, environment);
  let execution: GuardExecution = { verified: false };
  let grant: GuardGrant | undefined;

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
    };
    logger.info('containment-guard decided', { status, reasons, mode: effective.mode, blastRadius, execution, grant });
    return result;
  };

  // 1. Which execution asks, and what the deployment says its playbook's rails are.
  const checked = await verifyExecution(input.execution?.executionArn, incident, deps);
  if (!checked.verified) {
    log.record('states:DescribeExecution', checked.executionArn ?? incident.key, 'skipped', checked.reason);
    reasons.push(checked.reason);
    recordEffectiveMode(log, instanceId ?? incident.key, effective);
    execution = { verified: false, ...(checked.executionArn !== undefined ? { executionArn: checked.executionArn } : {}) };
    return finish('evidence-only', notEvaluated(policy));
  }
  const { rails, playbook } = checked;
  // The Lambda input may only make the decision stricter than the verified execution's input: a
  // direct invocation naming a real game-day execution cannot drop its game-day (or sample) flag.
  gameDay = gameDay || checked.gameDay;
  const pool: BlastRadiusPool = gameDay ? 'gameday' : 'real';
  const sample = incident.sample || checked.sample;
  execution = { verified: true, executionArn: checked.executionArn, playbook, kind: rails.kind };
  log.record('states:DescribeExecution', checked.executionArn, 'observed', `RUNNING execution of playbook ${playbook} (${rails.kind}) for incident ${incident.key}.`);
  if (checked.inputMode === 'dry-run') {
    effective = effectiveMode(input.mode, environment, { mode: 'dry-run', why: 'the execution was started in dry-run' });
  }
  recordEffectiveMode(log, instanceId ?? incident.key, effective);
  const mode = effective.mode;

  // 2. An account the deployment does not serve: refused, never acted upon elsewhere.
  if (deps.config.servedAccounts !== undefined) assertServedAccount(incident.account, deps.config.servedAccounts);

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

  const approvalRequired = rails.approvalRequired || options.requireApproval;
  const clear = async (status: 'proceed' | 'needs-approval'): Promise<GuardGrant | undefined> => {
    if (instanceId === undefined) return undefined;
    const at = now();
    const deadline = status === 'needs-approval' ? new Date(at.getTime() + rails.timeoutSeconds * 1000) : undefined;
    const actionableAt = deadline ?? at;
    const candidate: ContainmentGrant = {
      pk: grantKey(checked.executionArn),
      executionArn: checked.executionArn,
      playbook,
      incidentKey: incident.key,
      account: incident.account,
      region: incident.region,
      instanceId,
      kind: rails.kind,
      gameDay,
      mode,
      status: status === 'proceed' ? 'proceed' : 'awaiting-approval',
      ...(deadline !== undefined ? { approvalDeadline: deadline.toISOString(), onTimeout: rails.onTimeout } : {}),
      grantedAt: at.toISOString(),
      expiresAt: Math.floor(actionableAt.getTime() / 1000) + GRANT_VALIDITY_SECONDS,
    };
    const stored = await deps.grants.putIfAbsent(candidate);
    const g = stored.grant;
    if (g.incidentKey !== candidate.incidentKey || g.instanceId !== candidate.instanceId || g.account !== candidate.account || g.region !== candidate.region || g.kind !== candidate.kind) {
      throw new ResponderFailedError(`The grant of ${checked.executionArn} already exists for another incident or instance (${g.incidentKey}, ${g.instanceId}); refusing to clear this one`);
    }
    log.record(
      'firebreak:grant',
      g.pk,
      stored.written ? 'done' : 'already-done',
      stored.written
        ? `Granted ${g.kind} of ${instanceId} to execution ${g.executionArn} (${g.status}, ${g.mode}, until ${new Date(g.expiresAt * 1000).toISOString()}).`
        : `A grant for execution ${g.executionArn} already exists (${g.status}, written ${g.grantedAt}): its decision stands.`,
    );
    return { key: g.pk, status: g.status, mode: g.mode, expiresAt: g.expiresAt, written: stored.written };
  };
  // A retried guard finds the grant it wrote; the stored decision is the one the responders will read.
  const decide = async (status: 'proceed' | 'needs-approval'): Promise<GuardStatus> => {
    grant = await clear(status);
    if (grant === undefined) return status;
    return grant.status === 'proceed' ? 'proceed' : 'needs-approval';
  };

  // 3. Where the instance is read from EC2 (protection by tag, game-day opt-in): never the finding's copy.
  if (resource.kind === 'ec2-instance') {
    const looked = await lookAtInstance(incident, resource.instanceId, rails.kind, gameDay, deps, log, reasons);
    if (looked === 'unverifiable' || looked === 'not-a-target') return finish('evidence-only', notEvaluated(policy));
    if (looked === 'terminated') return finish(await decide('proceed'), notEvaluated(policy));
    if (looked.protected) {
      reasons.push(looked.reason);
      return finish('evidence-only', notEvaluated(policy), looked);
    }
  }

  // 4. A release restores what a contained instance had: it takes no blast-radius slot, and a
  // person's approval (when the playbook requires it) is the rail.
  if (rails.kind === 'release') {
    if (approvalRequired) {
      reasons.push(`The ${playbook} playbook requires a person to approve before it changes resources.`);
      return finish(await decide('needs-approval'), notEvaluated(policy));
    }
    reasons.push(`The ${playbook} playbook releases without approval (this deployment's rails).`);
    return finish(await decide('proceed'), notEvaluated(policy));
  }

  const at = now();
  const where = gameDay ? `${incident.account} (game-day pool)` : incident.account;
  if (approvalRequired || mode === 'dry-run') {
    // Blast-radius slots count automatic containments: an approved one is a person's decision, and
    // a dry-run changes nothing, so neither takes a slot; the preview still tells the alert where
    // the account stands.
    const preview = await deps.limiter.preview(incident.account, incident.key, at, pool);
    log.record(
      'firebreak:blast-radius',
      incident.account,
      'observed',
      `${blastRadiusReason(where, preview, true)} No slot taken (${approvalRequired ? 'approval required' : 'dry-run'}).`,
    );
    reasons.push(blastRadiusReason(where, preview, true));
    if (approvalRequired) {
      reasons.unshift('The playbook requires a person to approve before it changes resources.');
      return finish(await decide('needs-approval'), blastRadiusSummary(preview, false));
    }
    reasons.push('Dry-run: no blast-radius slot taken; this is what an enforce run would decide.');
    return finish(await decide(preview.granted ? 'proceed' : 'needs-approval'), blastRadiusSummary(preview, false));
  }

  const decision = await deps.limiter.acquire(incident.account, incident.key, at, pool);
  const reason = blastRadiusReason(where, decision, false);
  reasons.push(reason);
  if (!decision.granted) {
    log.record('firebreak:blast-radius', incident.account, 'skipped', reason);
    return finish(await decide('needs-approval'), blastRadiusSummary(decision, false));
  }
  log.record(
    'firebreak:blast-radius',
    `${incident.account}#${decision.slot}`,
    decision.alreadyHeld ? 'already-done' : 'done',
    reason,
  );
  return finish(await decide('proceed'), blastRadiusSummary(decision, true), { protected: false }, decision.alreadyHeld);
}

/**
 * Reads the instance from EC2 when a rule needs its current tags: the protected tag key (contain
 * only), or the game-day opt-in tag (any game-day incident). The configured id list needs no call.
 * An instance that cannot be described cannot be verified and is treated as protected.
 */
async function lookAtInstance(
  incident: Incident,
  instanceId: string,
  kind: PlaybookRails['kind'],
  gameDay: boolean,
  deps: ContainmentGuardDeps,
  log: ActionLog,
  reasons: string[],
): Promise<ProtectionVerdict | 'unverifiable' | 'terminated' | 'not-a-target'> {
  const { config } = deps;
  const byList = kind === 'contain' ? protectionOf(instanceId, config) : ({ protected: false } as const);
  if (byList.protected) return byList;
  const needsTags = (kind === 'contain' && config.protectedTagKey !== undefined) || gameDay;
  if (!needsTags) return byList;

  const ec2 = await deps.clients.ec2({ account: incident.account, region: incident.region });
  // A malformed id names no instance: its tags cannot be read, so the guard cannot verify it.
  const lookup = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed' });
  if (!lookup.found) {
    const reason = `Instance ${instanceId} could not be described in ${incident.account}/${incident.region} (${lookup.code}): its current tags, and so its ${gameDay ? 'game-day opt-in' : 'protection'}, cannot be verified; evidence and an alert only.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'unverifiable';
  }
  const currentTags = tagRecord(lookup.instance.Tags);
  if (gameDay && !isGameDayTarget(currentTags)) {
    const { key, value } = SECURITY_TAGS.gameDayTarget;
    const reason = `Game-day incident: instance ${instanceId} does not carry the tag ${key}=${value} in EC2 now, so a drill may not change it; evidence and an alert only (no blast-radius slot taken).`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'not-a-target';
  }
  const state = lookup.instance.State?.Name;
  if (state === 'terminated') {
    const reason = `Instance ${instanceId} is terminated: nothing to ${kind}, so no blast-radius slot is taken.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'terminated';
  }
  if (kind !== 'contain' || config.protectedTagKey === undefined) {
    log.record('ec2:DescribeInstances', instanceId, 'observed', `Read the current tags of ${instanceId}: it is a game-day target.`);
    return { protected: false };
  }
  const verdict = protectionOf(instanceId, config, currentTags);
  log.record(
    'ec2:DescribeInstances',
    instanceId,
    'observed',
    verdict.protected
      ? `Read the current tags of ${instanceId}: the protected tag key ${config.protectedTagKey} is present.`
      : `Read the current tags of ${instanceId}: no ${config.protectedTagKey} tag, not protected.`,
  );
  return verdict;
}

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

/** containment-guard as the responder runtime runs it (lib/responders/runtime.ts). */
export const containmentGuardResponder = stepResponder(containmentGuardOptionsSchema, guardContainment);

export interface ContainmentGuardHandlerDeps {
  /** EC2 in the incident's account, Step Functions and (for the default limiter and grants) DynamoDB in the security account. */
  readonly clients: Ec2Clients & SfnClients & DynamoDbClients;
  readonly logger: Logger | IncidentLogger;
  /** @default readContainmentGuardConfig(process.env) */
  readonly config?: ContainmentGuardConfig;
  /** @default a DynamoDbBlastRadiusLimiter over clients.dynamodb() and config.stateTable */
  readonly limiter?: BlastRadiusLimiter;
  /** @default a DynamoDbGrantStore over clients.dynamodb() and config.stateTable */
  readonly grants?: GrantWriter;
  readonly now?: () => Date;
}

/** Builds the Lambda handler over injected clients: the Lambda, the local game day and tests run exactly this. */
export function createContainmentGuardHandler(deps: ContainmentGuardHandlerDeps): ResponderHandler<GuardResult> {
  const config = deps.config ?? readContainmentGuardConfig(process.env);
  let limiter = deps.limiter;
  let grants = deps.grants;
  if (limiter === undefined || grants === undefined) {
    if (config.stateTable === undefined) {
      throw new TypeError(
        `Invalid containment-guard configuration: ${DEPLOYMENT_ENV.stateTable} is not set, so the blast-radius counter and the grants have no table`,
      );
    }
    limiter ??= new DynamoDbBlastRadiusLimiter(deps.clients.dynamodb(), config.stateTable, config.blastRadius);
    grants ??= new DynamoDbGrantStore(deps.clients.dynamodb(), config.stateTable);
  }
  return createResponderHandler(containmentGuardResponder, {
    clients: deps.clients,
    limiter,
    grants,
    config,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
}
