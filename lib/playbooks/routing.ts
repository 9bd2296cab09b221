/**
 * The routing table: what triage needs to know of the deployed playbooks (match, priority, mode,
 * flattened steps, state machine ARN) plus the deploy-time settings. The stack builds it from the
 * loaded playbooks and hands it to the dispatcher, which passes it to the triage Lambda with each
 * event; the CLI builds one with placeholder ARNs to simulate. It crosses a trust boundary (the
 * Lambda payload), so `parseRoutingTable` checks it with zod (zod/mini: the triage Lambda bundles it) and refuses a malformed one loudly.
 */
import * as z from '../contracts/zod-mini';
import type { ResponderMode } from '../contracts/responder-mode';
import { responderModeSchema } from '../contracts/responder-mode';
import type { Playbook, PlaybookMatch } from './model';
import { flattenSteps, isAutomatic } from './model';
import { INCIDENT_SOURCES, PLAYBOOK_NAME_PATTERN, RESOURCE_KINDS, RESOURCE_ROLES, STARTING_ALARM_STATES } from './vocabulary';
import { FirebreakError } from '../contracts/errors';

export interface RoutedPlaybook {
  readonly name: string;
  readonly priority: number;
  readonly mode: ResponderMode;
  readonly match: PlaybookMatch;
  /** Flattened action names, in execution order (parallel branches left to right). */
  readonly steps: string[];
  readonly stateMachineArn: string;
}

export interface TriageSettings {
  /** Deploy-time switch: every playbook runs in dry-run whatever its file says. */
  readonly forceDryRun: boolean;
}

export interface RoutingTable {
  /** Highest priority first; ties broken by name. */
  readonly playbooks: RoutedPlaybook[];
  readonly settings: TriageSettings;
}

/** The routing table handed to triage is malformed: a deployment bug, never an event problem. */
export class RoutingTableError extends FirebreakError {
  override readonly name = 'RoutingTableError';
}

const nonEmptyText = () => z.string().check(z.minLength(1));
const score = () => z.number().check(z.minimum(0), z.maximum(10));

const routedMatchSchema = z.strictObject({
  sources: z.array(z.enum(INCIDENT_SOURCES)).check(z.minLength(1)),
  findingTypes: z.optional(z.array(nonEmptyText()).check(z.minLength(1))),
  severity: z.optional(
    z.strictObject({ min: score(), max: score() }).check(z.refine((range) => range.min <= range.max, { message: 'min must not exceed max' })),
  ),
  resourceKinds: z.optional(z.array(z.enum(RESOURCE_KINDS)).check(z.minLength(1))),
  resourceRole: z.optional(z.enum(RESOURCE_ROLES)),
  alarmNames: z.optional(z.array(nonEmptyText()).check(z.minLength(1))),
  alarmStates: z.optional(z.array(z.enum(STARTING_ALARM_STATES)).check(z.minLength(1))),
});

export const routingTableSchema = z.strictObject({
  playbooks: z.array(
    z.strictObject({
      name: z.string().check(z.regex(PLAYBOOK_NAME_PATTERN)),
      priority: z.number().check(z.int(), z.minimum(0)),
      mode: responderModeSchema,
      match: routedMatchSchema,
      steps: z.array(nonEmptyText()).check(z.minLength(1)),
      stateMachineArn: nonEmptyText(),
    }),
  ),
  settings: z.strictObject({ forceDryRun: z.boolean() }),
});

/** Orders playbooks as triage tries them: highest priority first, then by name. */
export function byPriority(a: Pick<RoutedPlaybook, 'name' | 'priority'>, b: Pick<RoutedPlaybook, 'name' | 'priority'>): number {
  return b.priority - a.priority || a.name.localeCompare(b.name);
}

/** Checks an untrusted routing table; throws `RoutingTableError` naming every field at fault. */
export function parseRoutingTable(input: unknown): RoutingTable {
  const result = routingTableSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new RoutingTableError(`malformed routing table: ${problems.join('; ')}`, { cause: result.error });
  }
  return { playbooks: [...result.data.playbooks].sort(byPriority), settings: result.data.settings };
}

/**
 * Builds the routing table for the given playbooks; every automatic playbook needs its state
 * machine ARN. `trigger: manual` playbooks (release) are left out: triage never starts them.
 */
export function routingTableFor(
  playbooks: readonly Playbook[],
  stateMachineArns: Readonly<Record<string, string>>,
  settings: TriageSettings,
): RoutingTable {
  const routed = playbooks.filter(isAutomatic).map((playbook): RoutedPlaybook => {
    const stateMachineArn = Object.hasOwn(stateMachineArns, playbook.name) ? stateMachineArns[playbook.name] : undefined;
    if (stateMachineArn === undefined || stateMachineArn === '') {
      throw new RoutingTableError(`no state machine ARN for playbook '${playbook.name}'`);
    }
    return {
      name: playbook.name,
      priority: playbook.priority,
      mode: playbook.mode,
      match: playbook.match,
      steps: flattenSteps(playbook.steps).map((step) => step.action),
      stateMachineArn,
    };
  });
  return { playbooks: routed.sort(byPriority), settings: { forceDryRun: settings.forceDryRun } };
}
