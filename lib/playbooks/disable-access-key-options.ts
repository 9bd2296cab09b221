/**
 * The options of the disable-access-key step, apart from the other credential steps' options
 * (credential-options.ts): esbuild keeps every module-level schema of a module a Lambda imports, so
 * in that module this one, with its default, was built at cold start by revoke-role-sessions and
 * release-credentials, which never read it. docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

export const disableAccessKeyOptions = z.strictObject({
  /**
   * Also attach AWS's managed AWSDenyAll policy to each user whose key is disabled: it stops the
   * user's other keys and console password too (a stolen password, or a key the finding did not
   * name). Off by default: a user's other credentials may run production; a person decides.
   */
  denyAll: z._default(z.boolean(), false),
});
