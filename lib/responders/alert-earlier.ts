/**
 * The execution of one resource that another run of the same revision started, as a
 * `contain-each-*` step reads it again when the resource's execution name is taken
 * (compile-per-instance.ts): its status and, once it SUCCEEDED, its guard's answer and (credentials)
 * its steps' results. Read loosely, like the items.
 */
import * as z from '../contracts/zod-mini';
import { oneLine } from './alert-text';

/** Built by the item schemas that use it, which are themselves built lazily (not at cold start). */
export function earlierExecutionSchema() {
  return z.looseObject({
    status: z.string(),
    executionArn: z.optional(z.string()),
    guard: z.optional(z.string()),
    reasons: z.optional(z.array(z.string())),
    results: z.optional(z.record(z.string(), z.unknown())),
  });
}

export type EarlierExecution = z.output<ReturnType<typeof earlierExecutionSchema>>;

/** What both kinds of item (an instance's, a credential's) share, as far as an earlier execution goes. */
interface FanOutItem {
  readonly status: string;
  readonly executionName?: string | undefined;
  readonly guard?: string | undefined;
  readonly reasons?: string[] | undefined;
  readonly results?: Record<string, unknown> | undefined;
  readonly earlier?: EarlierExecution | undefined;
}

/** An ALREADY_STARTED item as its earlier execution ran (status, guard, reasons, a credential's results), when it was read again. */
export function asEarlierRan<T extends FanOutItem>(item: T): T {
  const earlier = item.status === 'ALREADY_STARTED' ? item.earlier : undefined;
  if (earlier === undefined) return item;
  return { ...item, status: earlier.status, guard: earlier.guard, reasons: earlier.reasons, ...(earlier.results !== undefined ? { results: earlier.results } : {}) };
}

/**
 * An ALREADY_STARTED item in one sentence: what the execution under its name did (`describeRun` of
 * it as it ran) when it was read again, else only that it ran. Every child's name carries the
 * revision (rows 1zh, 1zj: GuardDuty's update runs each resource again), so a taken name is another
 * run of this same revision (GuardDuty's delivery beside a confirmed copy from the oversized-event
 * intake, row 8g): what it found, not checked again by this run. The incident to look up is the
 * child's key, the name without the revision's 12 hex.
 */
export function describeAlreadyStarted<T extends FanOutItem>(item: T, describeRun: (ran: T) => string): string {
  const show = item.executionName !== undefined ? ` (firebreak incident ${oneLine(item.executionName.replace(/-[0-9a-f]{12}$/, ''), 80)})` : '';
  if (item.earlier === undefined) {
    return `already handled by another run of this revision of the incident (its execution name is taken): not touched again; whether it was contained is in that run's alert and record${show}`;
  }
  return `handled by another run of this revision of the incident, not started again: ${describeRun(asEarlierRan(item))} (as that run left it)${show}`;
}
