/**
 * The routing table: what triage needs to know of the deployed playbooks (match, priority, mode,
 * flattened steps, and each one's index: its position in the routed list) plus the deploy-time
 * settings. The stack builds it from the loaded playbooks and writes it, compressed, into the
 * triage function's environment (`routingEnvironmentValue`); triage reads it back once at module
 * load (`routingTableFromEnvironment`). It never travels with an event: every byte of the Triage
 * state's input is taken from the event's 256 KiB (docs/security.md §D4). The dispatcher holds the
 * routed playbooks' state machine ARNs in the same order and starts the one at the index triage
 * answers (lib/playbooks/dispatcher.ts). The CLI's simulate goes through the same encoding.
 *
 * The environment is a trust boundary too (a deployment bug, a hand-edited function), so
 * `parseRoutingTable` checks what it decodes with zod (zod/mini: the triage Lambda bundles it) and
 * refuses a malformed table loudly.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as z from '../contracts/zod-mini';
import { SECURITY_ENV } from '../contracts/security';
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
  /** Its position in the routed list, as deployed: the dispatcher starts the state machine at this index. */
  readonly index: number;
}

export interface TriageSettings {
  /** Deploy-time switch: every playbook runs in dry-run whatever its file says. */
  readonly forceDryRun: boolean;
}

export interface RoutingTable {
  /** Highest priority first, ties broken by name; each at its own `index`. */
  readonly playbooks: RoutedPlaybook[];
  readonly settings: TriageSettings;
}

/** The routing table triage reads is missing or malformed: a deployment bug, never an event problem. */
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
    }),
  ),
  settings: z.strictObject({ forceDryRun: z.boolean() }),
});

/** Orders playbooks as triage tries them: highest priority first, then by name. */
export function byPriority(a: Pick<RoutedPlaybook, 'name' | 'priority'>, b: Pick<RoutedPlaybook, 'name' | 'priority'>): number {
  return b.priority - a.priority || a.name.localeCompare(b.name);
}

/** Checks an untrusted routing table (as encoded: no indexes); throws `RoutingTableError` naming every field at fault. */
export function parseRoutingTable(input: unknown): RoutingTable {
  const result = routingTableSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new RoutingTableError(`malformed routing table: ${problems.join('; ')}`, { cause: result.error });
  }
  const playbooks = result.data.playbooks.map((playbook, index): RoutedPlaybook => ({ ...playbook, index }));
  const names = new Set(playbooks.map(({ name }) => name));
  if (names.size !== playbooks.length) throw new RoutingTableError('malformed routing table: a playbook is listed twice');
  // The index is the position as written, which the dispatcher's list of ARNs follows; the order
  // triage tries them in is by priority, whatever order they were written in.
  return { playbooks: playbooks.sort(byPriority), settings: result.data.settings };
}

/**
 * Builds the routing table for the given playbooks: their index is their position by priority.
 * `trigger: manual` playbooks (release) are left out: triage never starts them, and the
 * dispatcher holds no ARN of theirs.
 */
export function routingTableFor(playbooks: readonly Playbook[], settings: TriageSettings): RoutingTable {
  const routed = playbooks
    .filter(isAutomatic)
    .map((playbook) => ({
      name: playbook.name,
      priority: playbook.priority,
      mode: playbook.mode,
      match: playbook.match,
      steps: flattenSteps(playbook.steps).map((step) => step.action),
    }))
    .sort(byPriority);
  return { playbooks: routed.map((playbook, index) => ({ ...playbook, index })), settings: { forceDryRun: settings.forceDryRun } };
}

/** The routed playbooks' names in index order: the order the dispatcher lists their state machine ARNs in. */
export function routedPlaybookNames(table: RoutingTable): string[] {
  return [...table.playbooks].sort((a, b) => a.index - b.index).map(({ name }) => name);
}

/** The routing table as JSON data, as `parseRoutingTable` reads it: without the indexes, each playbook at its index. */
export function encodeRoutingTable(table: RoutingTable): unknown {
  return {
    playbooks: [...table.playbooks].sort((a, b) => a.index - b.index).map(({ index: _index, ...playbook }) => playbook),
    settings: table.settings,
  };
}

/**
 * The routing table as the triage function's environment holds it (SECURITY_ENV.routingTable):
 * `encodeRoutingTable`'s JSON, deflated (raw DEFLATE) and in base64, so that a team's playbooks fit
 * within Lambda's 4 KB of environment (the stack checks it at synth: lib/stack/responder-function.ts).
 * JSON of match rules repeats itself (keys, finding types), which DEFLATE takes to about a quarter
 * (the shipped playbooks: 4 KB of JSON, 1.1 KB in the variable).
 */
export function routingEnvironmentValue(table: RoutingTable): string {
  return deflateRawSync(Buffer.from(JSON.stringify(encodeRoutingTable(table)), 'utf8'), { level: 9 }).toString('base64');
}

/** The environment variable that holds `table`, as the stack sets it on the triage function. */
export function routingEnvironment(table: RoutingTable): Record<string, string> {
  return { [SECURITY_ENV.routingTable]: routingEnvironmentValue(table) };
}

/**
 * Reads the routing table from the triage function's environment; throws `RoutingTableError` when
 * it is missing, not base64 DEFLATE of JSON, or not a routing table.
 */
export function routingTableFromEnvironment(environment: Readonly<Record<string, string | undefined>>): RoutingTable {
  const value = environment[SECURITY_ENV.routingTable];
  if (value === undefined || value === '') throw new RoutingTableError(`no routing table: ${SECURITY_ENV.routingTable} is not set`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(inflateRawSync(Buffer.from(value, 'base64')).toString('utf8'));
  } catch (error) {
    throw new RoutingTableError(`malformed routing table: ${SECURITY_ENV.routingTable} is not base64 of deflated JSON`, { cause: error });
  }
  return parseRoutingTable(decoded);
}
