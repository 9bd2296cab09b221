/**
 * The routing table: what triage needs to know of the deployed playbooks (match, priority, mode,
 * flattened steps, state machine ARN) plus the deploy-time settings. The stack builds it from the
 * loaded playbooks and hands it to the dispatcher, which passes it to the triage Lambda with each
 * event; the CLI builds one with placeholder ARNs to simulate. It crosses a trust boundary (the
 * Lambda payload), so `parseRoutingTable` checks it with zod and refuses a malformed one loudly.
 */
import * as z from 'zod';
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

const routedMatchSchema = z.strictObject({
  sources: z.array(z.enum(INCIDENT_SOURCES)).min(1),
  findingTypes: z.array(z.string().min(1)).min(1).optional(),
  severity: z
    .strictObject({ min: z.number().min(0).max(10), max: z.number().min(0).max(10) })
    .refine((range) => range.min <= range.max, { message: 'min must not exceed max' })
    .optional(),
  resourceKinds: z.array(z.enum(RESOURCE_KINDS)).min(1).optional(),
  resourceRole: z.enum(RESOURCE_ROLES).optional(),
  alarmNames: z.array(z.string().min(1)).min(1).optional(),
  alarmStates: z.array(z.enum(STARTING_ALARM_STATES)).min(1).optional(),
});

export const routingTableSchema = z.strictObject({
  playbooks: z.array(
    z.strictObject({
      name: z.string().regex(PLAYBOOK_NAME_PATTERN),
      priority: z.number().int().min(0),
      mode: responderModeSchema,
      match: routedMatchSchema,
      steps: z.array(z.string().min(1)).min(1),
      stateMachineArn: z.string().min(1),
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
