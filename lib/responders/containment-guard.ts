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
 * The guard itself never changes an instance. Its only write is the blast-radius slot it takes in
 * enforce mode when it answers `proceed` (see blast-radius.ts); in dry-run it evaluates every rule
 * and reports what would happen without taking a slot.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { ClientFactory } from '../aws/clients';
import { awsErrorCode, toResponderError } from '../aws/errors';
import type { Incident } from '../incident/model';
import { ActionLog } from './action-log';
import type { BlastRadiusDecision, BlastRadiusLimiter, BlastRadiusPolicy } from './blast-radius';
import {
  BLAST_RADIUS_IAM_ACTIONS,
  DEFAULT_BLAST_RADIUS_POLICY,
  DynamoDbBlastRadiusLimiter,
  assertBlastRadiusPolicy,
} from './blast-radius';
import { incidentLoggerFrom } from './handler-logger';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderInput } from './responder-input';
import { parseResponderInput } from './responder-input';
import { isPlaceholderInstanceId } from './instance-state';

export const CONTAINMENT_GUARD_RESPONDER = 'containment-guard';

/**
 * IAM actions the guard needs: `ec2:DescribeInstances` where the instance lives (member role or the
 * security account's own role; only when a protected tag key is configured), and the blast-radius
 * table actions in the security account.
 */
export const CONTAINMENT_GUARD_IAM_ACTIONS = {
  targetAccount: ['ec2:DescribeInstances'],
  stateTable: [...BLAST_RADIUS_IAM_ACTIONS],
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

/** Which rule made an instance protected. */
export type ProtectionRule = 'instance-id' | 'instance-tag' | 'finding-tag';

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

export interface GuardResult extends ResponderResult<GuardStatus> {
  /** Every rule that shaped the decision, in words fit for the alert. */
  readonly reasons: readonly string[];
  readonly protected: boolean;
  readonly protectedBy?: ProtectionRule;
  readonly instanceId?: string;
  readonly blastRadius: GuardBlastRadius;
}

/** Deploy-time configuration of the rails. */
export interface ContainmentGuardConfig {
  /** Instances never contained automatically. */
  readonly protectedInstanceIds: readonly string[];
  /** An instance carrying a tag with this KEY (any value) is never contained automatically. */
  readonly protectedTagKey?: string;
  readonly blastRadius: BlastRadiusPolicy;
  /** The Firebreak state table holding the blast-radius slots. */
  readonly stateTable?: string;
}

export interface ContainmentGuardDeps {
  readonly clients: Pick<ClientFactory, 'ec2'>;
  readonly limiter: BlastRadiusLimiter;
  readonly config: ContainmentGuardConfig;
  readonly logger: IncidentLogger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

const positiveInteger = (name: string, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .optional()
    .transform((value) => value ?? fallback);

const guardEnvironmentSchema = z.object({
  // A misspelt id would silently unprotect an instance, so every id must look like one.
  FIREBREAK_PROTECTED_INSTANCE_IDS: z
    .string()
    .optional()
    .transform((list) => (list ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''))
    .pipe(z.array(z.string().regex(INSTANCE_ID, 'each protected instance id must look like i-0123456789abcdef0'))),
  FIREBREAK_PROTECTED_TAG_KEY: z
    .string()
    .trim()
    .max(128, 'FIREBREAK_PROTECTED_TAG_KEY: EC2 tag keys have at most 128 characters')
    .optional()
    .transform((key) => (key === '' ? undefined : key)),
  FIREBREAK_BLAST_RADIUS_MAX: positiveInteger('FIREBREAK_BLAST_RADIUS_MAX', DEFAULT_BLAST_RADIUS_POLICY.maxContainments),
  FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS: positiveInteger(
    'FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS',
    DEFAULT_BLAST_RADIUS_POLICY.windowSeconds,
  ),
  FIREBREAK_STATE_TABLE: z
    .string()
    .trim()
    .optional()
    .transform((name) => (name === '' ? undefined : name)),
});

/**
 * Reads the rails' configuration from the Lambda environment (FIREBREAK_PROTECTED_INSTANCE_IDS,
 * FIREBREAK_PROTECTED_TAG_KEY, FIREBREAK_BLAST_RADIUS_MAX (5), FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS
 * (3600), FIREBREAK_STATE_TABLE); throws a TypeError naming every bad variable.
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
    maxContainments: values.FIREBREAK_BLAST_RADIUS_MAX,
    windowSeconds: values.FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS,
  };
  try {
    assertBlastRadiusPolicy(blastRadius);
  } catch (error) {
    throw new TypeError(
      `Invalid containment-guard configuration: FIREBREAK_BLAST_RADIUS_MAX / FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    protectedInstanceIds: values.FIREBREAK_PROTECTED_INSTANCE_IDS,
    ...(values.FIREBREAK_PROTECTED_TAG_KEY !== undefined ? { protectedTagKey: values.FIREBREAK_PROTECTED_TAG_KEY } : {}),
    blastRadius,
    ...(values.FIREBREAK_STATE_TABLE !== undefined ? { stateTable: values.FIREBREAK_STATE_TABLE } : {}),
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
 * Protection by id or by the protected tag KEY (any value, exact case as EC2 keys are
 * case-sensitive), on the instance's current tags or, failing that, on the tags the finding saw.
 */
export function protectionOf(
  instanceId: string,
  config: Pick<ContainmentGuardConfig, 'protectedInstanceIds' | 'protectedTagKey'>,
  findingTags: Readonly<Record<string, string>>,
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
  if (Object.hasOwn(findingTags, key)) {
    return {
      protected: true,
      rule: 'finding-tag',
      reason: `Instance ${instanceId} is protected: the finding shows the tag ${key}=${JSON.stringify(findingTags[key])}, so Firebreak collects evidence and alerts instead of containing it.`,
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

function tagsOf(instance: Instance): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

type InstanceLookup =
  | { readonly found: true; readonly instance: Instance }
  | { readonly found: false; readonly code: string };

async function describeInstance(ec2: EC2Client, instanceId: string): Promise<InstanceLookup> {
  try {
    const output = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = output.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find(
      (candidate) => candidate.InstanceId === instanceId,
    );
    return instance ? { found: true, instance } : { found: false, code: 'NoSuchInstance' };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed') return { found: false, code };
    throw toResponderError(error, 'ec2:DescribeInstances');
  }
}

/** Evaluates every rail for one incident and says whether its containment may proceed. */
export async function guardContainment(input: ContainmentGuardInput, deps: ContainmentGuardDeps): Promise<GuardResult> {
  const { incident, mode, options } = input;
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const logger = deps.logger;
  const policy = deps.config.blastRadius;
  const reasons: string[] = [];
  const resource = incident.resource;
  const instanceId = resource.kind === 'ec2-instance' ? resource.instanceId : undefined;

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
      mode,
      status,
      idempotentReplay,
      actions: log.actions,
      reasons,
      protected: protection.protected,
      ...(protection.protected ? { protectedBy: protection.rule } : {}),
      ...(instanceId !== undefined ? { instanceId } : {}),
      blastRadius,
    };
    logger.info('containment-guard decided', { status, reasons, mode, blastRadius });
    return result;
  };

  // A sample names placeholder resources and must never lead to a change, nor to an AWS call that
  // CloudTrail would record as if an incident had happened.
  if (incident.sample || (instanceId !== undefined && isPlaceholderInstanceId(instanceId))) {
    reasons.push(
      incident.sample
        ? 'GuardDuty sample finding: Firebreak never changes resources for a sample; evidence and an alert only.'
        : `Instance id ${instanceId} is a placeholder, not a real instance: evidence and an alert only.`,
    );
    return finish('evidence-only', notEvaluated(policy));
  }

  if (resource.kind === 'ec2-instance') {
    const protection = await checkProtection(incident, resource.instanceId, resource.tags, deps, log, reasons);
    if (protection === 'unverifiable') return finish('evidence-only', notEvaluated(policy));
    if (protection === 'terminated') return finish('proceed', notEvaluated(policy));
    if (protection.protected) {
      reasons.push(protection.reason);
      return finish('evidence-only', notEvaluated(policy), protection);
    }
  }

  const at = now();
  if (options.requireApproval || mode === 'dry-run') {
    // Blast-radius slots count automatic containments: an approved one is a person's decision, and
    // a dry-run changes nothing, so neither takes a slot; the preview still tells the alert where
    // the account stands.
    const preview = await deps.limiter.preview(incident.account, incident.key, at);
    log.record(
      'firebreak:blast-radius',
      incident.account,
      'observed',
      `${blastRadiusReason(incident.account, preview, true)} No slot taken (${options.requireApproval ? 'approval required' : 'dry-run'}).`,
    );
    reasons.push(blastRadiusReason(incident.account, preview, true));
    if (options.requireApproval) {
      reasons.unshift('The playbook requires a person to approve before it changes resources.');
      return finish('needs-approval', blastRadiusSummary(preview, false));
    }
    reasons.push('Dry-run: no blast-radius slot taken; this is what an enforce run would decide.');
    return finish(preview.granted ? 'proceed' : 'needs-approval', blastRadiusSummary(preview, false));
  }

  const decision = await deps.limiter.acquire(incident.account, incident.key, at);
  const reason = blastRadiusReason(incident.account, decision, false);
  reasons.push(reason);
  if (!decision.granted) {
    log.record('firebreak:blast-radius', incident.account, 'skipped', reason);
    return finish('needs-approval', blastRadiusSummary(decision, false));
  }
  log.record(
    'firebreak:blast-radius',
    `${incident.account}#${decision.slot}`,
    decision.alreadyHeld ? 'already-done' : 'done',
    reason,
  );
  return finish('proceed', blastRadiusSummary(decision, true), { protected: false }, decision.alreadyHeld);
}

/**
 * Protection of an EC2 instance. The configured list and the finding's tags need no call; the
 * instance's current tags are read only when a protected tag key is configured. An instance that
 * cannot be described cannot be verified and is therefore treated as protected.
 */
async function checkProtection(
  incident: Incident,
  instanceId: string,
  findingTags: Readonly<Record<string, string>>,
  deps: ContainmentGuardDeps,
  log: ActionLog,
  reasons: string[],
): Promise<ProtectionVerdict | 'unverifiable' | 'terminated'> {
  const { config } = deps;
  const withoutCurrentTags = protectionOf(instanceId, config, findingTags);
  if (withoutCurrentTags.protected || config.protectedTagKey === undefined) return withoutCurrentTags;

  const ec2 = await deps.clients.ec2({ account: incident.account, region: incident.region });
  const lookup = await describeInstance(ec2, instanceId);
  if (!lookup.found) {
    const reason = `Instance ${instanceId} could not be described in ${incident.account}/${incident.region} (${lookup.code}): its current tags, and so its protection, cannot be verified; evidence and an alert only.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'unverifiable';
  }
  const state = lookup.instance.State?.Name;
  if (state === 'terminated') {
    const reason = `Instance ${instanceId} is terminated: nothing to contain, so no blast-radius slot is taken.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', reason);
    reasons.push(reason);
    return 'terminated';
  }
  const currentTags = tagsOf(lookup.instance);
  const verdict = protectionOf(instanceId, config, findingTags, currentTags);
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

export interface ContainmentGuardHandlerDeps {
  readonly clients: ClientFactory;
  readonly logger: Logger | IncidentLogger;
  /** @default readContainmentGuardConfig(process.env) */
  readonly config?: ContainmentGuardConfig;
  /** @default a DynamoDbBlastRadiusLimiter over clients.dynamodb() and config.stateTable */
  readonly limiter?: BlastRadiusLimiter;
  readonly now?: () => Date;
}

/** Builds the Lambda handler over injected clients: the Lambda, the local game day and tests run exactly this. */
export function createContainmentGuardHandler(deps: ContainmentGuardHandlerDeps): (event: unknown) => Promise<GuardResult> {
  const config = deps.config ?? readContainmentGuardConfig(process.env);
  let limiter = deps.limiter;
  if (limiter === undefined) {
    if (config.stateTable === undefined) {
      throw new TypeError(
        'Invalid containment-guard configuration: FIREBREAK_STATE_TABLE is not set, so the blast-radius counter has no table',
      );
    }
    limiter = new DynamoDbBlastRadiusLimiter(deps.clients.dynamodb(), config.stateTable, config.blastRadius);
  }
  const guardLimiter = limiter;
  return async (event) => {
    const input = parseResponderInput(event, containmentGuardOptionsSchema);
    const logger = incidentLoggerFrom(deps.logger, input.incident.key);
    return guardContainment(input, {
      clients: deps.clients,
      limiter: guardLimiter,
      config,
      logger,
      ...(deps.now ? { now: deps.now } : {}),
    });
  };
}
