/**
 * An earlier revision's execution of one resource, as a `contain-each-*` step reads it again when
 * the resource's execution name is taken (compile-per-instance.ts): its status and, once it
 * SUCCEEDED, its guard's answer and (credentials) its steps' results. Read loosely, like the items.
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
 * An ALREADY_STARTED item in one sentence: what its earlier execution did (`describeRun` of it as it
 * ran) when it was read again, else only that an earlier revision handled it. What that execution
 * did is what it found then, not now: an instance's isolation undone since by whoever may change its
 * ENIs is not isolated again by this revision (docs/security.md rows 6r, 1zh), so the sentence says so.
 */
export function describeAlreadyStarted<T extends FanOutItem>(item: T, describeRun: (ran: T) => string): string {
  const show = item.executionName !== undefined ? ` (firebreak incident ${oneLine(item.executionName, 80)})` : '';
  if (item.earlier === undefined) {
    return `already handled by an earlier revision of this incident (its execution name is taken): not touched again; whether it was contained is in that revision's alert and record${show}`;
  }
  return `handled by an earlier revision of this incident, not started again: ${describeRun(asEarlierRan(item))} (as that revision left it; not checked again since)${show}`;
}
