/**
 * The options of the `notify` step (publish-alert). A module of its own so that the alert Lambda,
 * which checks them, does not bundle every other action's definition (actions.ts) with them.
 */
import * as z from '../contracts/zod-mini';

export const notifyOptions = z.strictObject({
  /** What a human should do next, in the playbook's words. */
  advice: z.optional(z.string().check(z.minLength(1))),
});
