/**
 * The zod schema of a playbook file (`playbooks/*.yaml`): the single definition behind the loader's
 * validation, its error messages, and the JSON Schema shipped for editors (`json-schema.ts`).
 * Objects are strict, so a misspelt key is an error instead of a silently ignored option; every
 * message says what is wrong in words, and the loader adds the file, line and column.
 */
import * as z from 'zod';
import { $ZodObject } from 'zod/v4/core';
import { RESPONDER_MODES } from '../contracts/responder-mode';
import type { ActionName } from './actions';
import { ACTION_NAMES, ACTIONS } from './actions';
import { RESPONDER_NAMES } from '../contracts/responders';
import { RELEASE_STEP_RESPONDERS } from './security-hub-options';
import { isGeneratedStateName } from './compile';
import { didYouMean } from './errors';
import { findingTypesMatching, KNOWN_FINDING_TYPES } from './finding-types';
import { APPROVAL_TIMEOUT_POLICIES, DEFAULT_APPROVAL, PLAYBOOK_TRIGGERS } from './model';
import { INCIDENT_SOURCES, PLAYBOOK_NAME_PATTERN, RESOURCE_KINDS, RESOURCE_ROLES, STARTING_ALARM_STATES } from './vocabulary';

export { INCIDENT_SOURCES, PLAYBOOK_NAME_PATTERN, RESOURCE_KINDS, RESOURCE_ROLES, STARTING_ALARM_STATES };

export const MAX_PLAYBOOK_NAME_LENGTH = 64;
/**
 * Step ids become Step Functions state names: kept to a safe alphabet and short enough that the
 * longest generated names (`BeforeApproval-<id>-failure-alert`, `BeforeApproval-<id>-summary-alert`) stay within ASL's 80 characters.
 */
export const STEP_ID_PATTERN = /^[A-Za-z0-9-]+$/;
export const MAX_STEP_ID_LENGTH = 50;
export const MAX_PRIORITY = 1000;
/** Approval waits: at least a minute (a person must be able to read the alert), at most a day. */
export const MIN_APPROVAL_TIMEOUT_SECONDS = 60;
export const MAX_APPROVAL_TIMEOUT_SECONDS = 86_400;

/**
 * Actions whose responder acts on the credentials an access-key incident names: the containment
 * guard clears credentials only for such incidents, so the playbook must match only them.
 */
export const CREDENTIAL_ACTIONS: readonly ActionName[] = ['disable-access-key', 'revoke-role-sessions', 'release-credentials'];

/**
 * Actions whose responder acts on the incident's EC2 instance, so the incident must concern one:
 * every action that needs EC2 permissions does (quarantine, snapshot, release), but a credential
 * action, which reads EC2 only to find the protected instances holding its role (row 2x).
 */
export const INSTANCE_ACTIONS: readonly ActionName[] = ACTION_NAMES.filter(
  (name) => !CREDENTIAL_ACTIONS.includes(name) && ACTIONS[name].iamActions.some((iamAction) => iamAction.startsWith('ec2:')),
);

// ---------------------------------------------------------------------------------------------
// Words for zod issues

type ZodIssue = z.core.$ZodIssue;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value === 'number' ? 'the number' : typeof value} ${String(value)}`;
  return typeof value;
}

/**
 * A found value as message text: a primitive as itself, anything else by its kind. Never
 * `String()` of a mapping: a YAML `{toString: null}` would throw a TypeError out of validation.
 */
function shownValue(value: unknown): string {
  return value !== null && (typeof value === 'object' || typeof value === 'function') ? typeName(value) : String(value);
}

/** " (did you mean 'x'?)" for text close to a candidate; nothing for a mapping or list, which has no spelling to correct. */
function suggestionFor(value: unknown, candidates: readonly string[]): string {
  return typeof value === 'string' ? didYouMean(value, candidates) : '';
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping (key: value lines)';
    case 'array':
      return 'a list';
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    default:
      return expected;
  }
}

/**
 * Wraps a custom zod error message so that a missing value falls back to zod's own issue, which
 * `describeZodIssue` turns into "missing required key …".
 */
function unlessMissing(message: (issue: { input?: unknown }) => string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message(issue));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Runs a refinement even when the value has other problems. */
const ALWAYS = { when: () => true };

function keyName(path: readonly PropertyKey[]): string {
  const last = [...path].reverse().find((segment) => typeof segment === 'string');
  return typeof last === 'string' ? last : 'value';
}

/** True when zod wrote the message itself (we then write a better one). */
function isDefaultZodMessage(message: string): boolean {
  return /^(Invalid (input|option|key|element|value|string|union)|Too (small|big)|Unrecognized key|Expected )/.test(message);
}

/**
 * One zod issue in words. `input` is the value found at the issue's path (undefined when the key
 * is missing). Custom messages written in the schema win; zod's generic ones are rewritten.
 */
export function describeZodIssue(issue: ZodIssue, input: unknown): string {
  if (!isDefaultZodMessage(issue.message)) return issue.message;
  const key = keyName(issue.path);
  switch (issue.code) {
    case 'invalid_key': {
      // A record key failed its own schema (e.g. a reserved tag prefix): say which key and why.
      // zod puts the offending key at the end of the path.
      const why = issue.issues.map((inner) => (isDefaultZodMessage(inner.message) ? describeZodIssue(inner, key) : inner.message));
      return `key '${key}' is not allowed: ${why.join('; ')}`;
    }
    case 'invalid_type':
      if (input === undefined) return `missing required key '${key}'`;
      return `'${key}' must be ${expectedName(issue.expected)}, not ${typeName(input)}`;
    case 'invalid_value': {
      if (input === undefined) return `missing required key '${key}'`;
      const allowed = issue.values.map((value) => String(value));
      return `'${key}' cannot be ${typeName(input)}${suggestionFor(input, allowed)}; expected one of: ${allowed.join(', ')}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `'${key}' must list at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return `'${key}' must not be empty`;
      return `'${key}' must be at least ${String(issue.minimum)}, not ${shownValue(input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `'${key}' must list at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `'${key}' must be at most ${String(issue.maximum)} characters long`;
      return `'${key}' must be at most ${String(issue.maximum)}, not ${shownValue(input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      return issue.message;
  }
}

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** Known keys of a strict object schema (for "did you mean" on misspelt keys). */
export function objectKeys(schema: unknown): string[] {
  return schema instanceof $ZodObject ? Object.keys(schema._zod.def.shape) : [];
}

// ---------------------------------------------------------------------------------------------
// match:

const severityBound = (bound: 'min' | 'max') =>
  z
    .number({ error: unlessMissing((issue) => `severity ${bound} must be a number from 0.0 to 10.0, not ${typeName(issue.input)}`) })
    .min(0, { error: unlessMissing((issue) => `severity ${bound} ${shownValue(issue.input)} is outside GuardDuty's 0.0–10.0 scale`) })
    .max(10, { error: unlessMissing((issue) => `severity ${bound} ${shownValue(issue.input)} is outside GuardDuty's 0.0–10.0 scale`) });

export const severityRangeSchema = z
  .strictObject({
    min: severityBound('min')
      .optional()
      .describe('Inclusive lower bound, 0.0–10.0 (default 0.0). GuardDuty bands: Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.'),
    max: severityBound('max').optional().describe('Inclusive upper bound, 0.0–10.0 (default 10.0).'),
  })
  .superRefine((range: unknown, ctx) => {
    if (!isRecord(range)) return;
    const { min, max } = range;
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `impossible severity range: min ${min.toFixed(1)} is greater than max ${max.toFixed(1)}, so no finding can match`,
      });
    }
  }, ALWAYS)
  .describe('Numeric severity range the finding must fall in (GuardDuty scores 0.0–10.0; matched numerically, never by label).');

const globSchema = (what: string) =>
  z
    .string({ error: unlessMissing((issue) => `${what} must be text, not ${typeName(issue.input)}`) })
    .min(1, { error: `${what} must not be empty` });

/** Every family glob (`Purpose:Resource/*`, `Purpose:*`) of the catalogue, for suggestions. */
const FINDING_TYPE_SUGGESTIONS: readonly string[] = [
  ...new Set(
    KNOWN_FINDING_TYPES.flatMap((type) => {
      const [purpose, rest = ''] = type.split(':');
      const resource = rest.split('/')[0] ?? '';
      return [type, `${purpose}:${resource}/*`, `${purpose}:*`, `*:${resource}/*`];
    }),
  ),
];

/** A finding-type glob that must match at least one GuardDuty finding type (catches typos). */
const findingTypeGlobSchema = globSchema('a finding-type glob').refine((glob) => findingTypesMatching(glob).length > 0, {
  error: (issue) =>
    `finding-type glob '${shownValue(issue.input)}' matches no GuardDuty finding type${suggestionFor(issue.input, FINDING_TYPE_SUGGESTIONS)}`,
});

export const playbookMatchSchema = z
  .strictObject({
    sources: z
      .array(
        z.enum(INCIDENT_SOURCES, {
          error: unlessMissing((issue) =>
            `unknown source ${typeName(issue.input)}${suggestionFor(issue.input, INCIDENT_SOURCES)}; sources are: ${INCIDENT_SOURCES.join(', ')}`),
        }),
      )
      .min(1, { error: 'sources must list at least one source: guardduty, cloudwatch' })
      .describe('Where the incident comes from: guardduty (GuardDuty findings) and/or cloudwatch (alarm state changes).'),
    findingTypes: z
      .array(findingTypeGlobSchema)
      .min(1, { error: 'findingTypes must list at least one glob (leave the key out to match every type)' })
      .optional()
      .describe('GuardDuty finding types, `*` matching any run of characters, e.g. "Backdoor:EC2/*". Case-sensitive. Default: every type.'),
    severity: severityRangeSchema.optional(),
    resourceKinds: z
      .array(
        z.enum(RESOURCE_KINDS, {
          error: unlessMissing((issue) =>
            `unknown resource kind ${typeName(issue.input)}${suggestionFor(issue.input, RESOURCE_KINDS)}; kinds are: ${RESOURCE_KINDS.join(', ')}`),
        }),
      )
      .min(1, { error: 'resourceKinds must list at least one kind (leave the key out to match every kind)' })
      .optional()
      .describe('What the incident must concern: ec2-instance, access-key, other or none. Default: any.'),
    resourceRole: z
      .enum(RESOURCE_ROLES, {
        error: unlessMissing((issue) => `resourceRole must be TARGET (the resource is attacked) or ACTOR (the resource attacks), not ${typeName(issue.input)}`),
      })
      .optional()
      .describe('GuardDuty service.resourceRole: TARGET when the resource is attacked, ACTOR when it is the attacker. Default: either.'),
    alarmNames: z
      .array(globSchema('an alarm-name glob'))
      .min(1, { error: 'alarmNames must list at least one glob (leave the key out to match every alarm)' })
      .optional()
      .describe('CloudWatch alarm-name globs, e.g. "firebreak-*". Default: every alarm.'),
    alarmStates: z
      .array(
        z.enum(STARTING_ALARM_STATES, {
          error: unlessMissing((issue) =>
            issue.input === 'OK' || issue.input === 'INSUFFICIENT_DATA'
              ? `Firebreak never starts a playbook when an alarm goes to ${shownValue(issue.input)} (the condition cleared, or nothing is known); alarmStates can only list ALARM`
              : `unknown alarm state ${typeName(issue.input)}; alarmStates can only list ALARM`),
        }),
      )
      .min(1, { error: 'alarmStates must list ALARM (or leave the key out)' })
      .optional()
      .describe('New alarm states that start this playbook. Only ALARM: an alarm returning to OK or INSUFFICIENT_DATA never starts anything.'),
  })
  .superRefine((match: unknown, ctx) => {
    if (!isRecord(match) || !Array.isArray(match.sources)) return;
    const sources: unknown[] = match.sources;
    const needs = (key: string, source: string, what: string) => {
      if (match[key] !== undefined && !sources.includes(source)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} only applies to ${what}, but sources does not include ${source}`,
          params: { at: 'key' },
        });
      }
    };
    needs('findingTypes', 'guardduty', 'GuardDuty findings');
    needs('resourceRole', 'guardduty', 'GuardDuty findings');
    needs('alarmNames', 'cloudwatch', 'CloudWatch alarms');
    needs('alarmStates', 'cloudwatch', 'CloudWatch alarms');
  }, ALWAYS)
  .describe('Which incidents this playbook handles. Every key given must hold; keys left out match anything.');

// ---------------------------------------------------------------------------------------------
// steps:

const stepIdSchema = z
  .string({ error: unlessMissing((issue) => `step id must be text, not ${typeName(issue.input)}`) })
  .regex(STEP_ID_PATTERN, {
    error: unlessMissing((issue) =>
      `step id ${typeName(issue.input)} may only use letters, digits and hyphens: it becomes a Step Functions state name`),
  })
  .max(MAX_STEP_ID_LENGTH, { error: `step id must be at most ${MAX_STEP_ID_LENGTH} characters long` })
  .refine((id) => !isGeneratedStateName(id), {
    error: (issue) =>
      `step id '${shownValue(issue.input)}' is reserved for the states Firebreak adds around resource-changing steps (Guard, the approval wait, EvidenceOnly-…, Approved-…): choose another id`,
  })
  .describe('Unique name of the step in this playbook (becomes the state name). Default: the action name, then -2, -3… when repeated.');

function optionKeysOf(action: ActionName): string[] {
  return objectKeys(ACTIONS[action].options);
}

export const actionStepSchema = z
  .strictObject({
    id: stepIdSchema.optional(),
    action: z
      .enum(ACTION_NAMES as [ActionName, ...ActionName[]], {
        error: unlessMissing((issue) =>
          typeof issue.input === 'string'
            ? `unknown action '${issue.input}'${didYouMean(issue.input, ACTION_NAMES)}; actions are: ${ACTION_NAMES.join(', ')}`
            : `action must name one of: ${ACTION_NAMES.join(', ')}`),
      })
      .describe(ACTION_NAMES.map((name) => `${name}: ${ACTIONS[name].description}`).join('\n')),
    with: z
      .record(z.string(), z.unknown(), { error: unlessMissing((issue) => `'with' must be a mapping of options, not ${typeName(issue.input)}`) })
      .optional()
      .describe("The action's options (each action documents its own)."),
  })
  .superRefine((step, ctx) => {
    const options = ACTIONS[step.action].options;
    const result = options.safeParse(step.with ?? {});
    if (result.success) return;
    const known = optionKeysOf(step.action);
    const list = known.length > 0 ? `its options are: ${known.join(', ')}` : 'it takes no options';
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          ctx.addIssue({
            code: 'custom',
            path: ['with', ...issue.path, key],
            message: `'${key}' is not an option of ${step.action}${didYouMean(key, known)}; ${list}`,
            params: { at: 'key' },
          });
        }
        continue;
      }
      const input = valueAt(step.with ?? {}, issue.path);
      ctx.addIssue({
        code: 'custom',
        path: ['with', ...issue.path],
        message: `invalid option for ${step.action}: ${describeZodIssue(issue, input)}`,
      });
    }
  })
  .describe('One action with its options.');

export interface ActionStepDocument {
  id?: string | undefined;
  action: ActionName;
  with?: Record<string, unknown> | undefined;
}
export interface ParallelStepDocument {
  id?: string | undefined;
  parallel: StepDocument[];
}
export type StepDocument = ActionStepDocument | ParallelStepDocument;

export const parallelStepSchema: z.ZodType<ParallelStepDocument> = z
  .strictObject({
    id: stepIdSchema.optional(),
    parallel: z
      .array(z.lazy(() => stepSchema))
      .min(2, { error: 'a parallel group needs at least two steps; put a single step directly in the list' })
      .describe('Steps that run at the same time (a Step Functions Parallel state); the group ends when all have ended.'),
  })
  .describe('Steps run side by side.');

/** A step: an action, or a `parallel:` group of steps. */
export const stepSchema: z.ZodType<StepDocument> = z.union([actionStepSchema, parallelStepSchema]);

/** Index of each step kind in `stepSchema`'s union (the loader picks the branch to report). */
export const STEP_UNION_BRANCH = { action: 0, parallel: 1 } as const;

// ---------------------------------------------------------------------------------------------
// approval: and trigger:

const approvalTimeoutMessage = unlessMissing(
  (issue) =>
    `approval timeoutSeconds must be a whole number of seconds from ${MIN_APPROVAL_TIMEOUT_SECONDS} to ${MAX_APPROVAL_TIMEOUT_SECONDS} (a day), not ${shownValue(issue.input)}`,
);

export const approvalSchema = z
  .strictObject({
    required: z
      .boolean({ error: unlessMissing((issue) => `approval required must be true or false, not ${typeName(issue.input)}`) })
      .default(DEFAULT_APPROVAL.required)
      .describe('true: a person must approve (firebreak approve) before the resource-changing steps run. Default false: only the blast-radius limit asks for approval.'),
    timeoutSeconds: z
      .number({ error: approvalTimeoutMessage })
      .int({ error: approvalTimeoutMessage })
      .min(MIN_APPROVAL_TIMEOUT_SECONDS, { error: approvalTimeoutMessage })
      .max(MAX_APPROVAL_TIMEOUT_SECONDS, { error: approvalTimeoutMessage })
      .default(DEFAULT_APPROVAL.timeoutSeconds)
      .describe(`How long the execution waits for an answer, ${MIN_APPROVAL_TIMEOUT_SECONDS}–${MAX_APPROVAL_TIMEOUT_SECONDS} s. Default ${DEFAULT_APPROVAL.timeoutSeconds} (an hour).`),
    onTimeout: z
      .enum(APPROVAL_TIMEOUT_POLICIES, {
        error: unlessMissing((issue) =>
          `approval onTimeout cannot be ${typeName(issue.input)}${suggestionFor(issue.input, APPROVAL_TIMEOUT_POLICIES)}; expected one of: ${APPROVAL_TIMEOUT_POLICIES.join(', ')}`),
      })
      .default(DEFAULT_APPROVAL.onTimeout)
      .describe(
        'When nobody answers in time. evidence-only (default): keep the evidence, skip the resource-changing steps, alert again. contain: run them anyway, and say so in the alert.',
      ),
  })
  .describe(
    'The approval rail: whether a person must approve the resource-changing steps, how long to wait, and what happens when nobody answers. The blast-radius limit asks for approval with these same settings.',
  );

export type ApprovalDocument = z.input<typeof approvalSchema>;

export const triggerSchema = z
  .enum(PLAYBOOK_TRIGGERS, {
    error: unlessMissing((issue) =>
      `trigger cannot be ${typeName(issue.input)}${suggestionFor(issue.input, PLAYBOOK_TRIGGERS)}; expected one of: ${PLAYBOOK_TRIGGERS.join(', ')}`),
  })
  .describe(
    "automatic (default): triage routes matching incidents to it. manual: only a person starts it (firebreak release); triage never does. per-instance: only another playbook's contain-each-instance step starts it, once per instance of a multi-resource incident; that playbook's notify step alerts for it. per-credential: only another playbook's contain-each-credential step starts it, once per IAM credential (user access key, role) of the incident, its guard's grant naming that credential alone; that playbook's notify step alerts for it.",
  );

// ---------------------------------------------------------------------------------------------
// the file

/**
 * Visits every step-like mapping of a possibly invalid document. The cross-field checks below run
 * even when other parts of the file are wrong (`when: () => true`), so a reviewer sees them all at
 * once; they therefore read the raw value defensively instead of trusting its type.
 */
function visitRawSteps(steps: unknown, path: (string | number)[], visit: (step: Record<string, unknown>, path: (string | number)[]) => void): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step: unknown, index) => {
    if (!isRecord(step)) return;
    const stepPath = [...path, index];
    visit(step, stepPath);
    visitRawSteps(step.parallel, [...stepPath, 'parallel'], visit);
  });
}

/** The responders whose answer says whether a release let go of its resource (update-security-hub-finding reads it). */
const RELEASE_RESPONDERS: readonly string[] = RELEASE_STEP_RESPONDERS;

/** True when the raw step is, or its parallel group holds, a release step. */
function releasesIn(step: Record<string, unknown>): boolean {
  if (Array.isArray(step.parallel)) return step.parallel.some((member: unknown) => isRecord(member) && releasesIn(member));
  return typeof step.action === 'string' && Object.hasOwn(ACTIONS, step.action) && RELEASE_RESPONDERS.includes(ACTIONS[step.action as ActionName].responder);
}

/**
 * The paths of the Security Hub write-backs that set RESOLVED with no release step before them
 * (row 13g). The write-back resolves a finding only on the answer of the release step that ran
 * before it (row 13e); placed before the release, in a parallel group with it, or in a playbook
 * without one, it sees no answer. A group's members see only the steps before the group.
 */
function resolvedWithoutRelease(steps: unknown, path: (string | number)[]): (string | number)[][] {
  if (!Array.isArray(steps)) return [];
  const found: (string | number)[][] = [];
  let released = false;
  steps.forEach((step: unknown, index) => {
    if (!isRecord(step)) return;
    found.push(...resolvingSteps(step, [...path, index], released));
    if (releasesIn(step)) released = true;
  });
  return found;
}

/** The RESOLVED write-backs a step is or holds, when no release ran before it (a group's members run side by side). */
function resolvingSteps(step: Record<string, unknown>, path: (string | number)[], releasedBefore: boolean): (string | number)[][] {
  if (releasedBefore) return [];
  if (Array.isArray(step.parallel)) return step.parallel.flatMap((member: unknown, index) => (isRecord(member) ? resolvingSteps(member, [...path, 'parallel', index], false) : []));
  return step.action === RESPONDER_NAMES.updateSecurityHubFinding && isRecord(step.with) && step.with.workflowStatus === 'RESOLVED' ? [[...path, 'with', 'workflowStatus']] : [];
}

/** True when every raw step is a known action or a parallel group of such steps. */
function everyStepWellFormed(steps: unknown): boolean {
  return (
    Array.isArray(steps) &&
    steps.every(
      (step: unknown) =>
        isRecord(step) &&
        (step.parallel !== undefined ? everyStepWellFormed(step.parallel) : typeof step.action === 'string' && Object.hasOwn(ACTIONS, step.action)),
    )
  );
}

export const playbookFileSchema = z
  .strictObject({
    name: z
      .string({ error: unlessMissing((issue) => `name must be text, not ${typeName(issue.input)}`) })
      .regex(PLAYBOOK_NAME_PATTERN, {
        error: unlessMissing((issue) =>
          `playbook name ${typeName(issue.input)} must be kebab-case (lowercase letters, digits, single hyphens), e.g. compromised-ec2-instance: it names the state machine`),
      })
      .max(MAX_PLAYBOOK_NAME_LENGTH, { error: `playbook name must be at most ${MAX_PLAYBOOK_NAME_LENGTH} characters long` })
      .describe('kebab-case, unique across playbooks; names the state machine.'),
    description: z
      .string({ error: unlessMissing((issue) => `description must be text, not ${typeName(issue.input)}`) })
      .trim()
      .min(1, { error: 'description must say why this playbook does what it does' })
      .describe('Why this playbook does what it does, for the reviewer and the person on call.'),
    priority: z
      .number({ error: unlessMissing((issue) => `priority must be a whole number from 0 to ${MAX_PRIORITY}, not ${typeName(issue.input)}`) })
      .int({ error: unlessMissing((issue) => `priority must be a whole number from 0 to ${MAX_PRIORITY}, not ${shownValue(issue.input)}`) })
      .min(0, { error: unlessMissing((issue) => `priority must be a whole number from 0 to ${MAX_PRIORITY}, not ${shownValue(issue.input)}`) })
      .max(MAX_PRIORITY, { error: unlessMissing((issue) => `priority must be a whole number from 0 to ${MAX_PRIORITY}, not ${shownValue(issue.input)}`) })
      .describe('When several playbooks match one incident, the highest priority runs (0–1000).'),
    mode: z.enum(RESPONDER_MODES).describe('enforce: responders change resources. dry-run: they only check, with EC2 DryRun, what they would do.'),
    trigger: triggerSchema.optional(),
    approval: approvalSchema.optional(),
    match: playbookMatchSchema,
    steps: z
      .array(stepSchema)
      .min(1, { error: 'steps must list at least one step' })
      .describe('What to do, in order.'),
  })
  .superRefine((file: unknown, ctx) => {
    if (!isRecord(file)) return;
    const match = isRecord(file.match) ? file.match : {};
    const kinds = match.resourceKinds;
    const onlyInstances = Array.isArray(kinds) && kinds.length > 0 && kinds.every((kind) => kind === 'ec2-instance');
    const onlyAccessKeys = Array.isArray(kinds) && kinds.length > 0 && kinds.every((kind) => kind === 'access-key');
    const firstUse = new Map<string, (string | number)[]>();
    let changesResources = false;
    let alerts = false;
    // A misspelt action or a malformed step is reported as such; it must not also read as a missing notify step.
    const everyActionKnown = everyStepWellFormed(file.steps);
    visitRawSteps(file.steps, ['steps'], (step, path) => {
      if (typeof step.action === 'string' && Object.hasOwn(ACTIONS, step.action)) {
        const definition = ACTIONS[step.action as ActionName];
        changesResources ||= definition.mutates;
        alerts ||= definition.responder === ACTIONS.notify.responder;
      }
      if (typeof step.id === 'string') {
        const earlier = firstUse.get(step.id);
        if (earlier === undefined) firstUse.set(step.id, path);
        else {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'id'],
            message: `duplicate step id '${step.id}': step ids name the states of the compiled state machine and must be unique`,
            params: { firstPath: [...earlier, 'id'] },
          });
        }
      }
      const action = step.action;
      if (typeof action === 'string' && (INSTANCE_ACTIONS as readonly string[]).includes(action) && !onlyInstances) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'action'],
          message: `action ${action} acts on an EC2 instance, but this playbook can match incidents that are not EC2 instances: add 'resourceKinds: [ec2-instance]' to match`,
        });
      }
      if (typeof action === 'string' && (CREDENTIAL_ACTIONS as readonly string[]).includes(action) && !onlyAccessKeys) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'action'],
          message: `action ${action} acts on the credentials an access-key incident names, but this playbook can match other incidents: add 'resourceKinds: [access-key]' to match`,
        });
      }
    });
    const manual = file.trigger === 'manual';
    const approvalRequired = typeof file.approval === 'object' && file.approval !== null && (file.approval as { required?: unknown }).required === true;
    if (manual && changesResources && everyActionKnown && !approvalRequired) {
      // Issue 8: whoever starts a manual playbook is only a claim (any caller of StartExecution);
      // the release goes through the guard and a person's approval, whose identity is recorded.
      ctx.addIssue({
        code: 'custom',
        path: file.approval !== undefined ? ['approval'] : ['trigger'],
        message:
          "a 'trigger: manual' playbook that changes resources runs only after a person approves it through the approval function: add 'approval: { required: true }'",
        params: { at: 'key' },
      });
    } else if (manual && changesResources && (file.approval as { onTimeout?: unknown }).onTimeout === 'contain') {
      // An unanswered request of a manual playbook would run its steps on the timeout path: the
      // starter's claim alone would release (docs/security.md row 5n).
      ctx.addIssue({
        code: 'custom',
        path: ['approval', 'onTimeout'],
        message:
          "a 'trigger: manual' playbook never runs its steps unanswered: its onTimeout must be evidence-only (a release or unblock nobody approved changes nothing; start it again)",
      });
    } else if (file.approval !== undefined && !changesResources && Array.isArray(file.steps)) {
      ctx.addIssue({
        code: 'custom',
        path: ['approval'],
        message: 'approval guards the steps that change resources, and this playbook has none: remove approval',
        params: { at: 'key' },
      });
    }
    for (const at of resolvedWithoutRelease(file.steps, ['steps'])) {
      ctx.addIssue({
        code: 'custom',
        path: at,
        message: `${RESPONDER_NAMES.updateSecurityHubFinding} sets RESOLVED only on the answer of a release step before it (${RELEASE_RESPONDERS.join(', ')}): put it after the release step, not before it nor in a parallel group with it, so that a release that released nothing leaves the finding open`,
      });
    }
    // A per-instance playbook's parent waits for it and alerts once for every instance.
    if (changesResources && !alerts && everyActionKnown && file.trigger !== 'per-instance' && file.trigger !== 'per-credential') {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message:
          'a playbook with steps that change resources needs a notify step: when the safety rails skip those steps (protected instance, blast radius, rejected approval), its alert is how people learn why',
        params: { at: 'key' },
      });
    }
  }, ALWAYS);

export type PlaybookFileDocument = z.infer<typeof playbookFileSchema>;
