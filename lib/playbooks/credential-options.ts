/**
 * The options of the IAM credential steps revoke-role-sessions and release-credentials, and the
 * deny-all policy's name, apart from their registry entries (credential-actions.ts): a responder
 * imports only its schema, not the entries' descriptions and IAM action lists, which esbuild keeps
 * in any bundle that imports their module (they read RESPONDER_NAMES, a property access it cannot
 * prove free of side effects). disable-access-key's options, which the other two never read, are in
 * disable-access-key-options.ts. docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

/** AWS's managed policy that denies every action: attached (never written) to a compromised user. */
export const DENY_ALL_POLICY_NAME = 'AWSDenyAll';

export const revokeRoleSessionsOptions = z.strictObject({});

export const releaseCredentialsOptions = z.strictObject({});
