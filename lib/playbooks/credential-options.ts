/**
 * The options of the IAM credential steps (disable-access-key, revoke-role-sessions,
 * release-credentials), apart from their registry entries (credential-actions.ts): a responder
 * imports only its schema, not the entries' descriptions and IAM action lists, which esbuild keeps
 * in any bundle that imports their module (they read RESPONDER_NAMES, a property access it cannot
 * prove free of side effects). docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

/** AWS's managed policy that denies every action: attached (never written) to a compromised user. */
export const DENY_ALL_POLICY_NAME = 'AWSDenyAll';

export const disableAccessKeyOptions = z.strictObject({
  /**
   * Also attach AWS's managed AWSDenyAll policy to each user whose key is disabled: it stops the
   * user's other keys and console password too (a stolen password, or a key the finding did not
   * name). Off by default: a user's other credentials may run production; a person decides.
   */
  denyAll: z._default(z.boolean(), false),
});

export const revokeRoleSessionsOptions = z.strictObject({});

export const releaseCredentialsOptions = z.strictObject({});
