/**
 * The options of the release-s3-object step (none), apart from its registry entry
 * (s3-object-actions.ts) and from quarantine-s3-object's options, which release-s3-object does not
 * build. docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

export const releaseS3ObjectOptions = z.strictObject({});
