/**
 * The alert a person on call reads: what was found, on what, where, how severe, what Firebreak did
 * and did NOT do, what to do next, and where to click. Pure: input in, subject + message + message
 * attributes out; `alert.ts` only publishes it.
 *
 * SNS limits shape it (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): the subject is
 * at most 100 printable ASCII characters without line breaks, the message at most 256 KiB, and a
 * message attribute may not have an empty value.
 */
import * as z from 'zod';
import { isWellFormedInstanceId } from '../incident/identifiers';
import type { Incident } from '../incident/model';
import { ACTIONS } from '../playbooks/actions';
import type { GuardedOutcome } from '../playbooks/compile';
import { GUARD_RESPONDER, GUARD_STATE } from '../playbooks/compile';
import { consoleLinks } from './console-links';
import type { ConsoleLink } from './console-links';
import type { GuardBlastRadius, GuardResult, GuardStatus, ProtectionRule } from './containment-guard';
import { executionContextSchema, IMPOSTOR_GROUP_ACTION } from './model';
import { responderModeSchema } from '../contracts/responder-mode';
import { incidentSchema } from './responder-input';
import { neutralizeText, quoteUntrusted } from './untrusted-text';

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

export const ALERT_KINDS = ['report', 'failure', 'invalid-event', 'approval-request', 'triage-only'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** One timeline entry of another responder, read loosely: an unknown outcome is shown as it is. */
const actionLikeSchema = z.looseObject({
  api: z.string(),
  target: z.string(),
  outcome: z.string(),
  detail: z.string().default(''),
  at: z.string().optional(),
});

/** The result of an earlier step, read loosely: the alert must never be the step that fails on a newer result shape. */
const resultLikeSchema = z.looseObject({
  responder: z.string().optional(),
  status: z.string().optional(),
  mode: z.string().optional(),
  idempotentReplay: z.boolean().optional(),
  actions: z.array(actionLikeSchema).default([]),
});

const textLike = z.union([z.string(), z.array(z.string())]);

/**
 * What publish-alert receives. Permissive where the payload comes from other steps (results,
 * unknown keys are dropped), strict where a mistake would mislead (kind, mode, approval).
 */
export const alertInputSchema = z
  .object({
    kind: z.enum(ALERT_KINDS),
    incident: incidentSchema.optional(),
    mode: responderModeSchema.optional(),
    playbook: z.string().min(1).nullish(),
    options: ACTIONS.notify.options.default({}),
    execution: executionContextSchema.optional(),
    results: z.record(z.string(), resultLikeSchema.nullable()).optional(),
    failure: z
      .looseObject({ step: z.string().default('unknown'), error: z.string().default('unknown error'), cause: z.string().nullish() })
      .optional(),
    rawEvent: z.unknown().optional(),
    /** Why: the parse error of an invalid event, or why triage only alerts. */
    reason: z.unknown().optional(),
    /** Triage's reasons (the dispatcher's `alert-only` branch sends a list). */
    reasons: textLike.optional(),
    approval: z
      .object({
        taskToken: z.string().min(1),
        waitingSteps: z.array(z.string()).default([]),
        timeoutSeconds: z.number().int().positive(),
      })
      .optional(),
  })
  .superRefine((input, ctx) => {
    if ((input.kind === 'report' || input.kind === 'approval-request' || input.kind === 'triage-only') && !input.incident) {
      ctx.addIssue({ code: 'custom', path: ['incident'], message: `a ${input.kind} alert needs the incident` });
    }
    if (input.kind === 'failure' && !input.failure) {
      ctx.addIssue({ code: 'custom', path: ['failure'], message: 'a failure alert needs { step, error, cause? }' });
    }
    if (input.kind === 'approval-request' && !input.approval) {
      ctx.addIssue({ code: 'custom', path: ['approval'], message: 'an approval-request alert needs { taskToken, waitingSteps, timeoutSeconds }' });
    }
  });

export type AlertInput = z.output<typeof alertInputSchema>;
type ResultLike = z.output<typeof resultLikeSchema>;
type ActionLike = z.output<typeof actionLikeSchema>;

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

export interface SnsMessageAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

export interface AlertMessage {
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, SnsMessageAttribute>>;
}

export const MAX_SUBJECT_LENGTH = 100;
/** Far below SNS's 256 KiB: leaves room for attributes and for e-mail/SMS transports that add their own wrapping. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** How many action lines the message lists before it counts the rest. */
export const MAX_LISTED_ACTIONS = 60;
export const RAW_EVENT_EXCERPT_BYTES = 2048;
const MAX_LINE = 400;
const MAX_BLOCK = 4000;

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

// Letters NFKD does not decompose into ASCII.
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D', ł: 'l', Ł: 'L',
  þ: 'th', Þ: 'Th', ð: 'd', Ð: 'D', ı: 'i', ħ: 'h', Ħ: 'H',
  '‘': "'", '’': "'", '‚': "'", '′': "'", '“': '"', '”': '"', '„': '"', '″': '"', '«': '"', '»': '"',
  '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-', '…': '...', '•': '*', '·': '.', '×': 'x',
};

/** Printable ASCII for an SNS subject: transliterated where it can be, dropped where it cannot, whitespace collapsed. */
export function toPrintableAscii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7E]/g, (c) => (/\s/.test(c) ? ' ' : (TRANSLITERATIONS[c] ?? '')))
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** A valid SNS subject: ≤ 100 printable ASCII characters, no line break, cut with `...`. */
export function toSnsSubject(text: string): string {
  const ascii = toPrintableAscii(text);
  const subject = ascii.length === 0 ? 'Firebreak alert' : ascii;
  if (subject.length <= MAX_SUBJECT_LENGTH) return subject;
  return `${subject.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

/** Cuts to `max` code points, marking the cut. */
function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 3).join('')}...`;
}

/**
 * One line of text that may hold untrusted parts (ids, names, tags, reasons quoting them, action
 * details naming what EC2 said): neutralized (untrusted-text.ts: no format or control character,
 * links defanged, chat markup inert) and on one line, so it cannot forge a section of the alert.
 */
function oneLine(text: string, max = MAX_LINE): string {
  return neutralizeText(text, max);
}

/**
 * One line of the deployment's own words (a playbook's advice): only line breaks and control
 * characters go, so a runbook link the playbook's author wrote stays a link.
 */
function ownLine(text: string, max = MAX_LINE): string {
  return cut(text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').replace(/ {2,}/g, ' ').trim(), max);
}

/** Untrusted multi-line text, neutralized and indented so that none of its lines can pass for a section heading. */
function indentedBlock(text: string, max = MAX_BLOCK): string[] {
  return neutralizeText(text, max, { multiline: true })
    .split('\n')
    .map((line) => `    ${line}`);
}

/** The first `maxBytes` bytes of UTF-8 text, never splitting a character. */
export function utf8Prefix(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  let bytes = 0;
  let out = '';
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return { text: out, truncated: true };
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Reads a Lambda error cause (`{"errorType","errorMessage","trace"}` as a string) into one sentence. */
export function describeCause(cause: string | null | undefined): string | undefined {
  if (cause === undefined || cause === null || cause.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed !== null && typeof parsed === 'object') {
      const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
      if (typeof errorMessage === 'string') {
        return typeof errorType === 'string' ? `${errorType}: ${errorMessage}` : errorMessage;
      }
    }
  } catch {
    // Not JSON: Step Functions' own causes are plain text.
  }
  return cause;
}

function rawEventField(rawEvent: unknown, field: string): string | undefined {
  if (rawEvent === null || typeof rawEvent !== 'object' || Array.isArray(rawEvent)) return undefined;
  const value = (rawEvent as Record<string, unknown>)[field];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Triage hands the dispatcher its parse error as `{ message, issues }`: people read the message and
 * one line per issue, never the JSON.
 */
function readableReason(reason: unknown): string {
  if (typeof reason === 'object' && reason !== null && typeof (reason as { message?: unknown }).message === 'string') {
    const { message, issues } = reason as { message: string; issues?: unknown };
    const lines = Array.isArray(issues)
      ? issues.flatMap((issue: unknown) => {
          if (typeof issue !== 'object' || issue === null) return [];
          const { path, expected } = issue as { path?: unknown; expected?: unknown };
          return typeof path === 'string' && typeof expected === 'string' ? [`- ${path}: expected ${expected}`] : [];
        })
      : [];
    return [message, ...lines].join('\n');
  }
  return stringify(reason);
}

/** The first line of the reason, for the subject. */
function reasonHeadline(input: AlertInput): string | undefined {
  return reasonText(input)?.split('\n')[0];
}

function reasonText(input: AlertInput): string | undefined {
  const parts: string[] = [];
  if (input.reason !== undefined && input.reason !== null) parts.push(readableReason(input.reason));
  if (typeof input.reasons === 'string') parts.push(input.reasons);
  else if (Array.isArray(input.reasons)) parts.push(...input.reasons);
  const text = parts.filter((p) => p.trim() !== '').join('\n');
  return text === '' ? undefined : text;
}

// ---------------------------------------------------------------------------------------------
// What the incident is about
// ---------------------------------------------------------------------------------------------

/** The id of the resource the incident concerns, for the subject (instance, access key, other). */
function resourceId(incident: Incident): string | undefined {
  const r = incident.resource;
  switch (r.kind) {
    case 'ec2-instance':
      return r.instanceId;
    case 'access-key':
      return r.accessKeyId ?? r.userName;
    case 'other':
      return r.id ?? r.type;
    default:
      return alarmInstanceId(incident);
  }
}

function alarmInstanceId(incident: Incident): string | undefined {
  for (const metric of incident.alarm?.metrics ?? []) {
    const id = metric.dimensions.InstanceId;
    if (id !== undefined) return id;
  }
  return undefined;
}

function instanceIdOf(incident: Incident): string | undefined {
  return incident.resource.kind === 'ec2-instance' ? incident.resource.instanceId : alarmInstanceId(incident);
}

function isGameDay(input: AlertInput): boolean {
  return input.incident?.gameDay === true || rawEventField(input.rawEvent, 'source') === 'firebreak.gameday';
}

function isSample(incident: Incident | undefined): boolean {
  return incident !== undefined && (incident.sample || incident.title.includes('[SAMPLE]'));
}

// ---------------------------------------------------------------------------------------------
// The containment decision of a guarded playbook (docs/safety-rails.md)
// ---------------------------------------------------------------------------------------------

/** Every `reason.outcome` lib/playbooks/compile.ts sends on the guarded variants of a playbook. */
const GUARDED_OUTCOMES = ['evidence-only', 'approved', 'rejected', 'timed-out', 'timed-out-contained'] as const satisfies readonly GuardedOutcome[];

/** `reason` on a guarded variant: which path ran, in one sentence, with the approval answer or error. */
const guardedReasonSchema = z.looseObject({
  outcome: z.enum(GUARDED_OUTCOMES),
  summary: z.string().optional(),
  approval: z.unknown().optional(),
});

/**
 * The containment guard's result (GuardResult, lambdas/containment-guard) as an alert reads it: the
 * fields it uses, each optional, the status and the rule as any text (a step result is a claim; an
 * unknown status is reported as such, not dropped). Typed from GuardResult, so the two cannot drift.
 */
type GuardResultReading = { readonly [K in 'reasons' | 'protected' | 'instanceId']?: GuardResult[K] } & {
  readonly status?: GuardStatus | (string & {});
  readonly protectedBy?: ProtectionRule | (string & {});
  readonly blastRadius?: Partial<Pick<GuardBlastRadius, 'evaluated' | 'granted' | 'used' | 'limit' | 'windowSeconds'>>;
};

const guardResultSchema: z.ZodType<GuardResultReading> = z.looseObject({
  status: z.string().optional(),
  reasons: z.array(z.string()).optional(),
  protected: z.boolean().optional(),
  protectedBy: z.string().optional(),
  instanceId: z.string().optional(),
  blastRadius: z
    .looseObject({
      evaluated: z.boolean().optional(),
      granted: z.boolean().optional(),
      used: z.number().nullish(),
      limit: z.number().optional(),
      windowSeconds: z.number().optional(),
    })
    .optional(),
});

/** What the rails decided about containment, in words for the alert. */
export interface ContainmentDecision {
  /** Whether the playbook's steps that change resources ran (or, in dry-run, were run to say what they would do). */
  readonly containmentRan: boolean;
  /** Short subject marker, without brackets (on an approval request it qualifies APPROVAL NEEDED); none when the subject needs no warning. */
  readonly marker?: string;
  /** The decision in one sentence. */
  readonly headline: string;
  /** Why the instance was not isolated, completing "Instance i-... was NOT isolated: ..." (only when it was not). */
  readonly whyNotIsolated?: string;
  /** The first thing to do about it (only when containment did not run). */
  readonly nextStep?: string;
  /** The compiler's sentence on the path taken. */
  readonly summary?: string;
  /** The guard's reasons, each one line. */
  readonly reasons: readonly string[];
}

const PROTECTION_RULE_WORDS: Readonly<Record<string, string | undefined>> = {
  'instance-id': "it is in the deployment's list of protected instances",
  'instance-tag': 'it carries the protected tag',
} satisfies Record<ProtectionRule, string>;

function guardResultOf(steps: readonly StepSummary[]): GuardResultReading | undefined {
  const step = steps.find((s) => s.result?.responder === GUARD_RESPONDER) ?? steps.find((s) => s.stepId === GUARD_STATE);
  if (step?.result === null || step?.result === undefined) return undefined;
  const parsed = guardResultSchema.safeParse(step.result);
  return parsed.success ? parsed.data : undefined;
}

function guardReasons(input: AlertInput, guard: GuardResultReading | undefined): string[] {
  const given = typeof input.reasons === 'string' ? [input.reasons] : (input.reasons ?? []);
  return [...new Set([...given, ...(guard?.reasons ?? [])].filter((r) => r.trim() !== ''))];
}

/** Who answered the approval request, read from the answer (`{ approved, by, at, comment? }`) or the rejection's `{ Error, Cause }`. */
function approvalAnswer(approval: unknown): { by?: string; at?: string; note?: string; error?: string } {
  if (approval === null || typeof approval !== 'object') return {};
  const record = approval as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
  if (typeof record.Error === 'string') {
    const cause = text(record.Cause);
    let parsed: Record<string, unknown> | undefined;
    try {
      const json: unknown = cause === undefined ? undefined : JSON.parse(cause);
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) parsed = json as Record<string, unknown>;
    } catch {
      // A hand-written rejection (aws stepfunctions send-task-failure) carries plain text.
    }
    const note = parsed === undefined ? cause : text(parsed.reason);
    const by = text(parsed?.by);
    const at = text(parsed?.at);
    return { error: record.Error, ...(by !== undefined ? { by } : {}), ...(at !== undefined ? { at } : {}), ...(note !== undefined ? { note } : {}) };
  }
  const by = text(record.by);
  const at = text(record.at);
  const note = text(record.comment);
  return { ...(by !== undefined ? { by } : {}), ...(at !== undefined ? { at } : {}), ...(note !== undefined ? { note } : {}) };
}

/** The approval timeout, from the compiler's summary ("... within 900 s ..."). */
function timeoutOf(summary: string | undefined): string {
  const seconds = summary?.match(/within (\d+) s\b/)?.[1];
  return seconds !== undefined ? `within ${seconds} s` : 'in time';
}

/**
 * What the containment guard and the approval decided, for report and approval-request alerts of
 * a guarded playbook; undefined when the alert comes from an unguarded playbook.
 */
export function containmentDecision(input: AlertInput): ContainmentDecision | undefined {
  if (input.kind !== 'report' && input.kind !== 'approval-request') return undefined;
  const steps = stepSummaries(input.results);
  const guard = guardResultOf(steps);
  const parsedReason = guardedReasonSchema.safeParse(input.reason);
  const path = parsedReason.success ? parsedReason.data : undefined;
  const reasons = guardReasons(input, guard);
  if (path === undefined && guard === undefined && reasons.length === 0) return undefined;
  const incident = input.incident;
  const instanceId = guard?.instanceId ?? (incident !== undefined ? instanceIdOf(incident) : undefined);
  const instance = instanceId !== undefined ? `Instance ${oneLine(instanceId, 80)}` : 'The resource';
  const summary = path?.summary !== undefined ? oneLine(path.summary, 1000) : undefined;
  const common = { reasons, ...(summary !== undefined ? { summary } : {}) };
  const answer = approvalAnswer(path?.approval);
  const by = answer.by !== undefined ? ` by ${oneLine(answer.by, 200)}` : '';
  const at = answer.at !== undefined ? ` at ${oneLine(answer.at, 40)}` : '';
  const note = answer.note !== undefined ? ` ("${oneLine(answer.note, 300)}")` : '';

  switch (path?.outcome) {
    case 'approved':
      return { ...common, containmentRan: true, headline: `Containment was APPROVED${by}${at}${note}: the steps that change resources ran after the evidence steps.` };
    case 'timed-out-contained':
      return {
        ...common,
        containmentRan: true,
        marker: 'CONTAINED WITHOUT APPROVAL',
        headline: `Nobody answered the approval request ${timeoutOf(path.summary)}, and this playbook's onTimeout is contain: the steps that change resources ran WITHOUT approval.`,
      };
    case 'rejected': {
      const how = answer.error !== undefined ? `REJECTED${by}${at}${note}` : `not approved: the answer${by} did not say "approved": true`;
      return {
        ...common,
        containmentRan: false,
        marker: 'NOT CONTAINED: rejected',
        headline: `Containment was ${how}. ${instance} was NOT isolated; the evidence steps ran.`,
        whyNotIsolated: `containment was ${answer.error !== undefined ? 'rejected' : 'not approved'}${by}`,
        nextStep: `Containment was not approved, so ${instanceId !== undefined ? 'the instance is still running and connected' : 'nothing was contained'}: make sure whoever decided has a plan (a false positive to archive, or containment by hand).`,
      };
    }
    case 'timed-out':
      return {
        ...common,
        containmentRan: false,
        marker: 'NOT CONTAINED: no answer',
        headline: `Nobody answered the approval request ${timeoutOf(path.summary)}: evidence only (onTimeout: evidence-only). ${instance} was NOT isolated.`,
        whyNotIsolated: `nobody answered the approval request ${timeoutOf(path.summary)}`,
        nextStep: `Nobody answered the approval request in time: ${instanceId !== undefined ? 'the instance is still running and connected' : 'nothing was contained'}. Decide now whether to contain it by hand, and find out why the request went unanswered.`,
      };
    default:
      break;
  }

  const status = path?.outcome === 'evidence-only' ? 'evidence-only' : guard?.status;
  if (status === 'evidence-only') {
    if (guard?.protected === true) {
      const rule = PROTECTION_RULE_WORDS[guard.protectedBy ?? ''];
      return {
        ...common,
        containmentRan: false,
        marker: 'NOT CONTAINED: protected',
        headline: `${instance} is PROTECTED${rule !== undefined ? ` (${rule})` : ''}: Firebreak never contains a protected instance automatically. It was NOT isolated; evidence was collected and this alert sent.`,
        whyNotIsolated: 'it is protected, and Firebreak never contains a protected instance automatically',
        nextStep: `${instance} is protected, so Firebreak left it running and connected: tell its owners now and decide with them whether to contain it by hand (isolating it stops what it serves).`,
      };
    }
    const sample = isSample(incident);
    return {
      ...common,
      containmentRan: false,
      // A sample already says [SAMPLE] in the subject.
      ...(sample ? {} : { marker: 'NOT CONTAINED: evidence only' }),
      headline: `The containment guard answered evidence-only: ${instance} was NOT isolated; evidence was collected and this alert sent.`,
      whyNotIsolated: sample ? 'it is a sample finding' : 'the containment guard answered evidence-only (reasons above)',
      ...(sample ? {} : { nextStep: 'Firebreak did not contain it: read the guard\'s reasons above and decide now whether to contain it by hand.' }),
    };
  }
  if (status === 'needs-approval') {
    const radius = guard?.blastRadius;
    const limitReached = radius?.evaluated === true && radius.granted === false;
    const window = radius?.windowSeconds !== undefined ? ` within the last ${radius.windowSeconds} s` : '';
    const cause = limitReached
      ? `Blast-radius limit reached (${radius.used ?? '?'} of ${radius.limit ?? '?'} automatic containments in this account${window})`
      : 'This playbook requires a person to approve';
    return {
      ...common,
      containmentRan: false,
      ...(limitReached ? { marker: 'blast radius' } : {}),
      headline: `${cause}: containment waits for a person's decision. ${instance} has NOT been isolated.`,
      whyNotIsolated: limitReached ? "the blast-radius limit is reached, so containment waits for a person's approval" : "containment waits for a person's approval",
    };
  }
  if (status === 'proceed') {
    return { ...common, containmentRan: true, headline: 'The containment guard let the playbook run as written (no rail held containment back).' };
  }
  return {
    ...common,
    containmentRan: false,
    marker: 'NOT CONTAINED',
    headline: `The containment guard answered ${oneLine(status ?? 'nothing', 40)}: ${instance} was NOT isolated.`,
    whyNotIsolated: `the containment guard answered ${oneLine(status ?? 'nothing', 40)}`,
    nextStep: 'Firebreak did not contain it: decide now whether to contain it by hand.',
  };
}

/** Matches a sentence that says a containment has happened ("the instance is isolated", "sessions are revoked"). */
const CLAIMS_CONTAINMENT = /\b(?:is|are|was|were|has been|have been)\s+(?:now\s+)?(?:isolated|quarantined|contained|revoked)\b/i;

/**
 * The playbook's advice on a path where its containment did not run. Its author wrote it for the
 * full playbook, so sentences that state a containment as done ("The instance is isolated …")
 * would be false here: they are dropped rather than qualified, because a reader skimming the alert
 * in an incident would take them at their word. What remains (how to investigate, what to rotate)
 * still holds once the instance is contained, so it is kept behind "If you contain it by hand".
 */
function adviceWithoutContainment(advice: string): string | undefined {
  const kept = advice
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => sentence.trim() !== '' && !CLAIMS_CONTAINMENT.test(sentence));
  return kept.length === 0 ? undefined : `If you contain it by hand: ${kept.join(' ')}`;
}

function sectionContainmentDecision(decision: ContainmentDecision | undefined): string[] {
  if (decision === undefined) return [];
  return [
    'CONTAINMENT DECISION',
    `  ${decision.headline}`,
    ...(decision.summary !== undefined ? [`  Path: ${decision.summary}`] : []),
    ...(decision.reasons.length > 0 ? ['  Why:', ...decision.reasons.map((r) => `  - ${oneLine(r, 1000)}`)] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Subject
// ---------------------------------------------------------------------------------------------

const KIND_PREFIX: Readonly<Record<AlertKind, string>> = {
  report: '',
  failure: '[FAILED]',
  'invalid-event': '[INVALID EVENT]',
  'approval-request': '[APPROVAL NEEDED]',
  'triage-only': '[NO ACTION]',
};

/**
 * The subject: markers that change how a reader should take it (game day, dry-run, sample, kind)
 * first, so truncation never drops them; then severity, finding type, resource and title.
 */
export function alertSubject(input: AlertInput): string {
  const { incident } = input;
  // "Not contained" changes what the reader must do, so it is a marker too: a subject that only
  // names a backdoor finding reads as handled.
  const marker = containmentDecision(input)?.marker;
  const kindPrefix =
    marker === undefined ? KIND_PREFIX[input.kind] : input.kind === 'approval-request' ? `[APPROVAL NEEDED: ${marker}]` : `${KIND_PREFIX[input.kind]}[${marker}]`;
  const prefix = [
    isGameDay(input) ? '[GAME DAY]' : '',
    input.mode === 'dry-run' ? '[DRY-RUN]' : '',
    isSample(incident) ? '[SAMPLE]' : '',
    kindPrefix,
  ].join('');
  let body: string;
  if (incident === undefined) {
    const source = rawEventField(input.rawEvent, 'source');
    const detailType = rawEventField(input.rawEvent, 'detail-type');
    const what = [source, detailType].filter((x) => x !== undefined).join(' ');
    body =
      input.kind === 'invalid-event'
        ? `Unparseable ${detailType ?? 'event'}${source !== undefined ? ` from ${source}` : ''}: ${reasonHeadline(input) ?? 'no reason given'}`
        : `Firebreak ${input.failure?.step ?? 'dispatch'} failed${what ? ` on ${what}` : ''}: ${input.failure?.error ?? 'unknown error'}`;
  } else {
    const on = resourceId(incident);
    const title = incident.title.replace(/\[SAMPLE\]\s*/g, '').trim();
    body = `${incident.severity.label}: ${incident.findingType}${on !== undefined ? ` on ${on}` : ''}${title !== '' ? ` - ${title}` : ''}`;
  }
  // Neutralized after the ASCII transliteration, which would otherwise turn a fullwidth ｈｔｔｐ:// back into a link.
  return toSnsSubject(neutralizeText(toPrintableAscii(`${prefix} ${body}`), 4 * MAX_SUBJECT_LENGTH));
}

// ---------------------------------------------------------------------------------------------
// Message attributes
// ---------------------------------------------------------------------------------------------

function attributeValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const clean = oneLine(value, 256);
  return clean === '' ? undefined : clean;
}

/**
 * Message attributes subscribers can filter on (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html).
 * Attributes without a value are left out: SNS rejects an empty StringValue.
 */
export function alertAttributes(input: AlertInput): Record<string, SnsMessageAttribute> {
  const { incident } = input;
  const strings: Record<string, string | undefined> = {
    severity: incident?.severity.label,
    playbook: input.playbook ?? input.execution?.playbook ?? undefined,
    account: incident?.account ?? rawEventField(input.rawEvent, 'account'),
    incident_key: incident?.key,
    mode: input.mode,
    kind: input.kind,
    source: incident?.source ?? rawEventField(input.rawEvent, 'source'),
  };
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, raw] of Object.entries(strings)) {
    const value = attributeValue(raw);
    if (value !== undefined) attributes[name] = { DataType: 'String', StringValue: value };
  }
  if (incident !== undefined && Number.isFinite(incident.severity.score)) {
    attributes.severity_score = { DataType: 'Number', StringValue: String(incident.severity.score) };
  }
  return attributes;
}

// ---------------------------------------------------------------------------------------------
// Message body
// ---------------------------------------------------------------------------------------------

const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  done: 'done',
  'already-done': 'already done (earlier run)',
  'would-do': 'would have',
  'would-be-denied': 'would have been DENIED (missing permission)',
  skipped: 'skipped',
};
const NOT_DONE_OUTCOMES = new Set(['would-do', 'would-be-denied', 'skipped']);

function actionLine(stepId: string, action: ActionLike): string {
  const word = OUTCOME_WORDS[action.outcome] ?? action.outcome;
  const detail = action.detail.trim() === '' ? '' : `: ${action.detail}`;
  return `  - [${oneLine(stepId, 80)}] ${word}: ${oneLine(`${action.api} on ${action.target}${detail}`)}`;
}

/** Lists lines up to the budget shared by both action sections, then counts what was left out. */
class ActionBudget {
  private listed = 0;
  constructor(private readonly max: number) {}
  take(lines: readonly string[]): string[] {
    const room = Math.max(0, this.max - this.listed);
    const shown = lines.slice(0, room);
    this.listed += shown.length;
    const hidden = lines.length - shown.length;
    return hidden > 0 ? [...shown, `  ... and ${hidden} more action(s), listed in the execution history.`] : shown;
  }
}

interface StepSummary {
  readonly stepId: string;
  readonly result: ResultLike | null;
}

function stepSummaries(results: AlertInput['results']): StepSummary[] {
  return Object.entries(results ?? {}).map(([stepId, result]) => ({ stepId, result }));
}

function stepHeadline(step: StepSummary): string {
  if (step.result === null) return `  [${oneLine(step.stepId, 80)}] did not run`;
  const { responder, status, idempotentReplay } = step.result;
  const replay = idempotentReplay === true ? ' (already done by an earlier run: nothing changed)' : '';
  return `  [${oneLine(step.stepId, 80)}] ${oneLine(responder ?? 'step', 80)}: ${oneLine(status ?? 'no status', 80)}${replay}`;
}

function ranResponder(steps: readonly StepSummary[], responder: string): StepSummary | undefined {
  return steps.find((s) => s.result?.responder === responder);
}

function hasOutcome(steps: readonly StepSummary[], outcome: string): boolean {
  return steps.some((s) => s.result?.actions.some((a) => a.outcome === outcome) === true);
}

function sectionWhatWasFound(incident: Incident): string[] {
  // The finding's own words are quoted and attributed: they are evidence of what it says, not facts.
  const by = incident.source === 'cloudwatch' ? 'reported by the alarm' : 'reported by the finding';
  const lines = ['WHAT WAS FOUND', `  ${oneLine(incident.findingType)}, ${by} as: ${quoteUntrusted(incident.title, MAX_LINE)}`];
  if (incident.description !== undefined && incident.description.trim() !== '' && incident.description !== incident.title) {
    lines.push(`  Description, ${by} (quoted, not checked):`, ...indentedBlock(incident.description, 2000));
  }
  lines.push(`  Severity: ${incident.severity.label} (${incident.severity.score.toFixed(1)} of 10)`);
  const gd = incident.guardDuty;
  if (gd) {
    const role = gd.resourceRole === 'TARGET' ? ', the resource is the TARGET (attacked)' : gd.resourceRole === 'ACTOR' ? ', the resource is the ACTOR (attacking)' : '';
    lines.push(`  Source: GuardDuty finding ${oneLine(gd.findingId)}, seen ${gd.count} time(s)${role}`);
    if (gd.actionType !== undefined) lines.push(`  Activity: ${oneLine(gd.actionType)}${gd.connectionDirection !== undefined ? ` (${oneLine(gd.connectionDirection)})` : ''}`);
    if (gd.remoteIndicators.length > 0) lines.push(`  Indicators, ${by} (defanged): ${oneLine(gd.remoteIndicators.join(', '))}`);
  }
  const alarm = incident.alarm;
  if (alarm) {
    lines.push(`  Source: CloudWatch ${alarm.kind} alarm ${quoteUntrusted(alarm.alarmName, 255)}, ${alarm.previousState ?? '?'} -> ${alarm.state}`);
    if (alarm.reason !== undefined) lines.push(`  Reason, reported by the alarm: ${quoteUntrusted(alarm.reason, MAX_LINE)}`);
    if (alarm.alarmRule !== undefined) lines.push(`  Rule: ${quoteUntrusted(alarm.alarmRule, MAX_LINE)}`);
  }
  lines.push(`  First seen ${incident.times.created}, updated ${incident.times.updated}, received by Firebreak ${incident.times.received}`);
  lines.push(`  Incident key: ${incident.key}`);
  return lines;
}

/** What quarantine-instance observed from EC2 before it changed anything (its pre-quarantine record), read loosely. */
const observedInstanceSchema = z.looseObject({
  instanceId: z.string(),
  capturedAt: z.string().optional(),
  networkInterfaces: z.array(z.looseObject({ networkInterfaceId: z.string(), groupIds: z.array(z.string()).default([]) })).default([]),
  instanceProfileArn: z.string().optional(),
  tags: z.record(z.string(), z.string()).default({}),
});
type ObservedInstanceLike = z.output<typeof observedInstanceSchema>;

/** The instance as a responder observed it from EC2 (the quarantine's pre-quarantine record), if one did. */
function observedInstance(steps: readonly StepSummary[], instanceId: string): ObservedInstanceLike | undefined {
  for (const step of steps) {
    const parsed = observedInstanceSchema.safeParse((step.result as { preQuarantine?: unknown } | null)?.preQuarantine);
    if (parsed.success && parsed.data.instanceId === instanceId) return parsed.data;
  }
  return undefined;
}

/** The responder whose timeline holds an action. */
function describedBy(steps: readonly StepSummary[], action: ActionLike): string {
  return steps.find((step) => step.result?.actions.includes(action) === true)?.result?.responder ?? 'a responder';
}

const MAX_TAGS_SHOWN = 20;

function tagsText(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags);
  const shown = entries.slice(0, MAX_TAGS_SHOWN).map(([key, value]) => `${quoteUntrusted(key, 128)}=${quoteUntrusted(value, 256)}`);
  return `${shown.join(', ')}${entries.length > MAX_TAGS_SHOWN ? `, and ${entries.length - MAX_TAGS_SHOWN} more` : ''}`;
}

function sectionOnWhat(incident: Incident, steps: readonly StepSummary[]): string[] {
  const r = incident.resource;
  const lines = ['ON WHAT'];
  switch (r.kind) {
    case 'ec2-instance': {
      const observed = observedInstance(steps, r.instanceId);
      const facts = [r.instanceType, r.availabilityZone, r.instanceState].filter((x): x is string => x !== undefined && x !== '');
      lines.push(`  EC2 instance ${oneLine(r.instanceId)}${facts.length > 0 ? ` (${oneLine(facts.join(', '))}, claimed by the finding)` : ''}`);
      const described = steps
        .flatMap((step) => step.result?.actions ?? [])
        .find((a) => a.api === 'ec2:DescribeInstances' && a.outcome === 'observed' && a.target === r.instanceId);
      if (described !== undefined && described.detail.trim() !== '') lines.push(`  As EC2 described it to ${oneLine(describedBy(steps, described), 80)}: ${oneLine(described.detail)}`);
      if (observed !== undefined) {
        // Facts a responder read from EC2 itself win over what the finding says.
        lines.push(`  Observed from EC2 by quarantine-instance${observed.capturedAt !== undefined ? ` at ${oneLine(observed.capturedAt, 40)}` : ''}, before any change:`);
        lines.push(`    Instance profile: ${observed.instanceProfileArn !== undefined ? oneLine(observed.instanceProfileArn) : 'none'}`);
        for (const eni of observed.networkInterfaces.slice(0, 16)) {
          lines.push(`    Network interface ${oneLine(eni.networkInterfaceId)}: security groups ${oneLine(eni.groupIds.join(', ') || 'none')}`);
        }
        if (Object.keys(observed.tags).length > 0) lines.push(`    Tags: ${oneLine(tagsText(observed.tags), 4000)}`);
      }
      const claimed: string[] = [];
      if (observed === undefined && r.instanceProfileArn !== undefined) claimed.push(`    Instance profile: ${oneLine(r.instanceProfileArn)}`);
      for (const eni of r.networkInterfaces.slice(0, 16)) {
        const groups = observed === undefined ? eni.securityGroups.map((g) => [g.groupId, g.groupName ? `(${g.groupName})` : undefined].filter(Boolean).join(' ')).join(', ') : '';
        const parts = [eni.privateIpAddress, eni.publicIp ? `public ${eni.publicIp}` : undefined, eni.vpcId, eni.subnetId, groups ? `groups ${groups}` : undefined]
          .filter((x): x is string => x !== undefined && x !== '');
        claimed.push(`    Network interface ${oneLine(eni.networkInterfaceId ?? '(id not in the finding)')}: ${oneLine(parts.join(', '))}`);
      }
      if (r.networkInterfaces.length > 16) claimed.push(`    ... and ${r.networkInterfaces.length - 16} more network interface(s)`);
      if (observed === undefined && Object.keys(r.tags).length > 0) claimed.push(`    Tags: ${oneLine(tagsText(r.tags), 4000)}`);
      if (claimed.length > 0) {
        lines.push(
          observed === undefined
            ? '  Claimed by the finding (no responder observed the instance from EC2, so none of this was checked):'
            : '  Claimed by the finding (addresses; not checked):',
          ...claimed,
        );
      }
      break;
    }
    case 'access-key':
      lines.push(`  Access key ${oneLine(r.accessKeyId ?? '(id not in the finding)')} of ${oneLine(r.userType ?? 'principal')} ${quoteUntrusted(r.userName ?? r.principalId ?? '(unknown)', 128)}, claimed by the finding`);
      break;
    case 'other':
      lines.push(`  ${oneLine(r.type)} ${oneLine(r.id ?? '(id not in the finding)')}, claimed by the finding`);
      break;
    default: {
      const instanceId = alarmInstanceId(incident);
      lines.push(instanceId !== undefined ? `  EC2 instance ${oneLine(instanceId)} (from the alarm's InstanceId dimension)` : '  No specific resource named by the event.');
    }
  }
  return lines;
}

function sectionWhere(account: string | undefined, region: string | undefined, incident?: Incident): string[] {
  const lines = ['WHERE', `  Account ${oneLine(account ?? '(unknown)', 40)}, region ${oneLine(region ?? '(unknown)', 40)}`];
  const envelope = incident?.gameDay === true ? incident.envelope : undefined;
  if (envelope !== undefined) {
    const from = [envelope.account !== undefined ? `account ${oneLine(envelope.account, 40)}` : undefined, envelope.region !== undefined ? oneLine(envelope.region, 40) : undefined]
      .filter((x) => x !== undefined)
      .join(', ');
    lines.push(`  GAME DAY: the event was put on the bus from ${from || 'an unnamed account'} (its envelope); the account and region above are what the finding claims.`);
  }
  return lines;
}

function sectionDid(input: AlertInput, steps: readonly StepSummary[], budget: ActionBudget): string[] {
  const mode = input.mode ?? 'unknown mode';
  const header = `WHAT FIREBREAK DID${input.playbook ? ` (playbook ${oneLine(input.playbook, 80)}, ${mode})` : ` (${mode})`}`;
  if (steps.length === 0) {
    return [header, input.kind === 'triage-only' ? '  Nothing: no playbook step ran for this incident.' : '  Nothing yet: no step had finished.'];
  }
  const lines = [header];
  let observed = 0;
  for (const step of steps) {
    lines.push(stepHeadline(step));
    const done: string[] = [];
    for (const action of step.result?.actions ?? []) {
      if (action.outcome === 'observed') observed += 1;
      else if (!NOT_DONE_OUTCOMES.has(action.outcome)) done.push(actionLine(step.stepId, action));
    }
    lines.push(...budget.take(done));
  }
  if (observed > 0) lines.push(`  (${observed} read-only check(s) not listed.)`);
  return lines;
}

function sectionDidNot(
  input: AlertInput,
  steps: readonly StepSummary[],
  budget: ActionBudget,
  decision: ContainmentDecision | undefined,
): string[] {
  const lines = ['WHAT FIREBREAK DID NOT DO'];
  if (input.mode === 'dry-run') lines.push('  - Dry-run: nothing was changed. "would have" lines are what enforce mode would do.');
  if (isSample(input.incident)) lines.push('  - Sample finding: no resource was touched (its ids are placeholders).');
  for (const step of steps) {
    const notDone = (step.result?.actions ?? []).filter((a) => NOT_DONE_OUTCOMES.has(a.outcome)).map((a) => actionLine(step.stepId, a));
    lines.push(...budget.take(notDone));
  }
  if (input.kind === 'failure' && input.failure) {
    lines.push(`  - Step ${oneLine(input.failure.step, 80)} failed: the steps after it did not run.`);
  }
  if (input.kind === 'approval-request') lines.push('  - The waiting steps have not run: they need a human decision.');
  const incident = input.incident;
  const notContained = decision?.containmentRan === false ? decision.whyNotIsolated : undefined;
  if (incident !== undefined && instanceIdOf(incident) !== undefined && !isSample(incident)) {
    const instanceId = oneLine(instanceIdOf(incident) ?? '');
    if (ranResponder(steps, 'quarantine-instance') === undefined) {
      lines.push(`  - Instance ${instanceId} was NOT isolated${notContained !== undefined ? `: ${notContained}.` : ' (no containment step ran).'}`);
    }
    if (ranResponder(steps, 'snapshot-volumes') === undefined) lines.push(`  - The volumes of ${instanceId} were NOT snapshotted (no evidence step ran).`);
  } else if (notContained !== undefined) {
    lines.push(`  - The steps that change resources did NOT run: ${notContained}.`);
  }
  lines.push('  - Firebreak never terminates instances, deletes resources or changes anything not listed above.');
  return lines;
}

function sectionNext(input: AlertInput, steps: readonly StepSummary[], decision: ContainmentDecision | undefined): string[] {
  const advice: string[] = [];
  const notContained = decision?.containmentRan === false;
  // When the rails kept containment back, what to do about that comes first; the playbook's own
  // advice assumed its containment ran, so only what still holds is kept (adviceWithoutContainment).
  if (notContained && decision.nextStep !== undefined) advice.push(decision.nextStep);
  // Otherwise the playbook's own words come first: its author knows this kind of incident best.
  if (input.options.advice !== undefined) {
    const playbookAdvice = notContained ? adviceWithoutContainment(input.options.advice) : input.options.advice;
    if (playbookAdvice !== undefined) advice.push(ownLine(playbookAdvice, 2000));
  }
  const incident = input.incident;
  const sample = isSample(incident);
  if (isGameDay(input)) advice.push('Game day: compare this alert and the timeline with the scenario\'s expectations; this is an exercise, not a real incident.');
  if (sample) advice.push('Sample finding: nothing to investigate. Archive it in GuardDuty once you have checked the alert reads well.');
  switch (input.kind) {
    case 'invalid-event':
      advice.push('Find which producer sent this event (source and detail-type above). If it is a real finding in a shape Firebreak does not know, the parser needs updating; the event is kept in the unprocessable-events queue for a replay.');
      break;
    case 'failure':
      advice.push(...failureAdvice(input));
      break;
    case 'approval-request':
      advice.push('Decide now: approve to let the waiting steps run, reject to skip them (commands above).');
      break;
    case 'triage-only':
      advice.push('Firebreak took no action. Decide whether this needs one: review the finding, and archive it or escalate.');
      break;
    case 'report':
      break;
  }
  if (input.mode === 'dry-run' && input.kind !== 'invalid-event') {
    advice.push('Dry-run: check the "would have" actions. Fix any "would have been DENIED" permission, then run a game day before switching the playbook to enforce.');
  }
  if (incident !== undefined && !sample && input.kind !== 'invalid-event') {
    const quarantine = ranResponder(steps, 'quarantine-instance');
    if (quarantine?.result?.actions.some((a) => a.outcome === 'done' || a.outcome === 'already-done') === true) {
      advice.push('The instance is isolated: investigate from its snapshots, not by logging in. Then decide whether to rebuild it or release it from quarantine.');
    } else if (instanceIdOf(incident) !== undefined && incident.severity.score >= 7 && input.mode !== 'dry-run' && decision?.containmentRan !== false) {
      advice.push('The instance was not isolated by Firebreak: decide now whether to contain it by hand.');
    }
    const snapshot = ranResponder(steps, 'snapshot-volumes')?.result as (ResultLike & { instanceStoreVolumes?: { status?: string } }) | undefined;
    if (snapshot?.instanceStoreVolumes?.status === 'present') {
      advice.push('The instance has instance-store volumes that snapshots do not preserve: image them from inside the instance before it stops.');
    }
    if (incident.guardDuty !== undefined) advice.push('Review the finding in GuardDuty (link below) and archive it when the incident is closed.');
  }
  if (input.kind !== 'invalid-event' && hasOutcome(steps, 'would-be-denied')) advice.push('Some calls would be denied: add the missing IAM actions to the responder or member role.');
  return ['WHAT TO DO NEXT', ...advice.map((a, i) => `  ${i + 1}. ${a}`)];
}

function failureAdvice(input: AlertInput): string[] {
  const error = input.failure?.error ?? '';
  const account = input.incident?.account ?? rawEventField(input.rawEvent, 'account');
  const advice: string[] = [];
  if (error === 'MemberRoleUnavailableError') {
    advice.push(`Deploy (or repair) the Firebreak member-role stack in account ${account ?? '(see the cause)'}: Firebreak cannot act there without it.`);
  } else if (error === 'ResponderAccessDeniedError') {
    advice.push('Grant the IAM action named in the error to the responder (or member) role, then run the playbook again for this incident.');
  } else if (error === 'TransientResponderError' || error.startsWith('Lambda.') || error === 'States.Timeout') {
    advice.push('AWS kept throttling or timing out after every retry: run the playbook again for this incident once the API recovers.');
  } else if (error === 'ResponderInputError') {
    advice.push('The step received input it does not accept: this is a Firebreak bug or a playbook option error; the cause names the field.');
  } else {
    advice.push('Open the execution (link below): the failed step\'s input and error are in its history.');
  }
  if (input.incident !== undefined && instanceIdOf(input.incident) !== undefined && !isSample(input.incident)) {
    advice.push('Until then the incident is only partly handled: contain the instance and preserve its volumes by hand if the steps above did not.');
  }
  return advice;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function sectionApproval(input: AlertInput, now: Date): string[] {
  const approval = input.approval;
  if (approval === undefined) return [];
  // The task token stays out of the alert (issue 8): publish-alert stored it in the state table,
  // and only the approval function sends it, after recording who answered.
  const deadline = new Date(now.getTime() + approval.timeoutSeconds * 1000).toISOString();
  const steps = approval.waitingSteps.length > 0 ? approval.waitingSteps.map((s) => oneLine(s, 80)).join(', ') : '(the playbook\'s guarded steps)';
  const executionArn = input.execution?.executionArn;
  const execution = executionArn !== undefined ? shellQuote(oneLine(executionArn, 300)) : '<the execution ARN of this playbook run>';
  return [
    'APPROVAL NEEDED',
    `  Playbook ${oneLine(input.playbook ?? input.execution?.playbook ?? '(unknown)', 80)} is waiting for a decision before: ${steps}.`,
    `  It waits ${approval.timeoutSeconds} s, until ${deadline}; then the playbook's timeout rule applies.`,
    `  Execution: ${executionArn !== undefined ? oneLine(executionArn, 300) : '(unknown)'}`,
    '  Approve (with credentials that carry the stack\'s ApproverPolicy; your identity is recorded):',
    `    npx firebreak approve --execution ${execution}`,
    '  Reject:',
    `    npx firebreak reject --execution ${execution} --reason "..."`,
    '  One answer only; the instance\'s own role cannot answer.',
  ];
}

function sectionRefusal(input: AlertInput): string[] {
  return ['WHY IT WAS REFUSED', ...indentedBlock(reasonText(input) ?? 'no reason given')];
}

function sectionRawEvent(input: AlertInput): string[] {
  const raw = stringify(input.rawEvent);
  const excerpt = utf8Prefix(raw, RAW_EVENT_EXCERPT_BYTES);
  return [
    excerpt.truncated ? `THE EVENT (first ${RAW_EVENT_EXCERPT_BYTES} bytes of ${Buffer.byteLength(raw, 'utf8')})` : 'THE EVENT',
    ...indentedBlock(raw === '' ? '(empty)' : excerpt.text, RAW_EVENT_EXCERPT_BYTES),
  ];
}

function sectionFailure(input: AlertInput): string[] {
  const failure = input.failure;
  if (failure === undefined) return [];
  const cause = describeCause(failure.cause);
  return [
    'WHAT FAILED',
    `  Step: ${oneLine(failure.step, 80)}`,
    `  Error: ${oneLine(failure.error)}`,
    ...(cause !== undefined ? ['  Cause:', ...indentedBlock(cause)] : []),
  ];
}

function sectionLinks(links: readonly ConsoleLink[], account: string | undefined): string[] {
  if (links.length === 0) return [];
  return [
    'LINKS',
    ...links.map((l) => `  ${l.label}: ${l.url}`),
    ...(account !== undefined ? [`  (The instance and its snapshots are in account ${account}; the execution is in the account Firebreak runs in.)`] : []),
  ];
}

function sectionExecution(input: AlertInput, now: Date): string[] {
  const lines = ['ABOUT THIS ALERT', `  Kind: ${input.kind}; mode: ${input.mode ?? 'unknown'}; sent ${now.toISOString()}`];
  if (input.execution?.executionArn !== undefined) lines.push(`  Execution: ${oneLine(input.execution.executionArn)}`);
  if (input.incident !== undefined) lines.push(`  Incident revision: ${oneLine(input.incident.revision)}`);
  return lines;
}

function openingLines(input: AlertInput): string[] {
  const lines: string[] = [];
  const incident = input.incident;
  switch (input.kind) {
    case 'invalid-event':
      lines.push('Firebreak received an event it could not parse into an incident. It took no action on it.');
      break;
    case 'failure':
      lines.push(`Firebreak FAILED while handling ${incident ? `incident ${incident.key}` : 'an event'}: step ${oneLine(input.failure?.step ?? 'unknown', 80)} failed for good (retries exhausted or a final error).`);
      break;
    case 'approval-request':
      lines.push(`Firebreak needs a human decision to continue on incident ${incident?.key ?? ''}.`);
      break;
    case 'triage-only':
      lines.push(`Firebreak did not run a playbook for incident ${incident?.key ?? ''}${reasonText(input) ? `: ${oneLine(reasonText(input) ?? '', 600)}` : '.'}`);
      break;
    case 'report':
      lines.push(`Firebreak handled incident ${incident?.key ?? ''}${input.playbook ? ` with playbook ${oneLine(input.playbook, 80)}` : ''}.`);
      break;
  }
  if (isGameDay(input)) lines.push(`GAME DAY: this ${incident ? 'incident' : 'event'} was injected by a game day. It is an exercise.`);
  if (input.mode === 'dry-run' && input.kind !== 'invalid-event') lines.push('DRY-RUN: Firebreak changed nothing; the actions below are what it WOULD have done.');
  if (isSample(incident)) lines.push('SAMPLE: a GuardDuty sample finding with placeholder resources; nothing was touched.');
  // Someone created a group named like Firebreak's: isolation did not use it, but people must know it exists.
  const impostors = new Map<string, string>();
  for (const step of stepSummaries(input.results)) {
    for (const action of step.result?.actions ?? []) {
      if (action.api === IMPOSTOR_GROUP_ACTION) impostors.set(action.target, action.detail);
    }
  }
  for (const [groupId, detail] of impostors) {
    lines.push(`WARNING: ${oneLine(detail || `impostor security group ${groupId}`, 600)}. Find out who created it: a group named like Firebreak's isolation groups is a sign of someone preparing to defeat containment.`);
  }
  return lines;
}

/** Builds the subject, plain-text message and message attributes of one alert. */
export function buildAlertMessage(input: AlertInput, context: { readonly now: Date }): AlertMessage {
  const { incident } = input;
  const steps = stepSummaries(input.results);
  const budget = new ActionBudget(MAX_LISTED_ACTIONS);
  const account = incident?.account ?? rawEventField(input.rawEvent, 'account');
  const region = incident?.region ?? rawEventField(input.rawEvent, 'region');
  // No console link is built from an id that is not an instance id (triage refused it; the link would carry attacker text).
  const claimedInstanceId = incident !== undefined && !isSample(incident) ? instanceIdOf(incident) : undefined;
  const instanceId = claimedInstanceId !== undefined && isWellFormedInstanceId(claimedInstanceId) ? claimedInstanceId : undefined;
  const links = consoleLinks({
    ...(region !== undefined ? { region } : {}),
    ...(incident?.guardDuty?.findingId !== undefined ? { findingId: incident.guardDuty.findingId } : {}),
    ...(incident?.alarm?.alarmName !== undefined ? { alarmName: incident.alarm.alarmName } : {}),
    ...(instanceId !== undefined ? { instanceId } : {}),
    ...(input.execution?.executionArn !== undefined ? { executionArn: input.execution.executionArn } : {}),
  });

  const decision = containmentDecision(input);
  const sections: string[][] = [openingLines(input), sectionContainmentDecision(decision)];
  if (input.kind === 'approval-request') sections.push(sectionApproval(input, context.now));
  if (input.kind === 'failure') sections.push(sectionFailure(input));
  if (incident !== undefined) {
    sections.push(sectionWhatWasFound(incident), sectionOnWhat(incident, steps), sectionWhere(account, region, incident));
  } else {
    if (input.kind === 'invalid-event') sections.push(sectionRefusal(input));
    if (input.rawEvent !== undefined || input.kind === 'invalid-event') sections.push(sectionRawEvent(input));
    if (account !== undefined || region !== undefined) sections.push(sectionWhere(account, region));
  }
  if (input.kind !== 'invalid-event') {
    sections.push(sectionDid(input, steps, budget), sectionDidNot(input, steps, budget, decision));
  }
  sections.push(sectionNext(input, steps, decision), sectionLinks(links, incident?.account), sectionExecution(input, context.now));

  const text = sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n');
  const capped = utf8Prefix(text, MAX_MESSAGE_BYTES - 200);
  const message = capped.truncated ? `${capped.text}\n\n[Message cut at ${MAX_MESSAGE_BYTES} bytes; the execution history has everything.]` : text;
  return { subject: alertSubject(input), message, attributes: alertAttributes(input) };
}
