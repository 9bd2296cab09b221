/**
 * An earlier revision's execution of one resource, as a `contain-each-*` step reads it again when
 * the resource's execution name is taken (compile-per-instance.ts): its status and, once it
 * SUCCEEDED, its guard's answer and (credentials) its steps' results. Read loosely, like the items.
 */
import * as z from '../contracts/zod-mini';

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
