/**
 * The options of the quarantine-s3-object step, apart from its registry entry (s3-object-actions.ts,
 * whose descriptions and IAM action lists esbuild keeps in any bundle that imports their module: they
 * read RESPONDER_NAMES, a property access it cannot prove free of side effects) and from
 * release-s3-object's options, so that release-s3-object does not build this schema (and bundle zod's
 * refinements for it) at cold start. docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const quarantineS3ObjectOptions = z.strictObject({
  /**
   * Also copy the infected object (that exact version) under `firebreak-quarantine/`: in its own
   * bucket (`{}`), or in a quarantine bucket (`{ bucket, bucketOwner }`). Absent: tag only. The
   * original is never deleted.
   */
  quarantineCopy: z.optional(
    z
      .strictObject({
        /** The quarantine bucket (S3 bucket name); absent: the object's own bucket. */
        bucket: z.optional(z.string().check(z.regex(BUCKET_NAME, { message: 'an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)' }))),
        /** The account id that owns the quarantine bucket (S3 checks it: ExpectedBucketOwner). Required with bucket. */
        bucketOwner: z.optional(z.string().check(z.regex(/^\d{12}$/, { message: 'an AWS account id (12 digits)' }))),
        /**
         * The quarantine bucket's Region, where CopyObject is sent (S3 refuses a request for a bucket sent to another Region's
         * endpoint: 301 PermanentRedirect, security row 16zf). Absent: the scanned object's Region. A copy in the object's own
         * bucket is in the object's Region whatever it says (planQuarantineCopy).
         */
        bucketRegion: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d\d?$/, { message: 'an AWS Region' }))),
      })
      .check(
        z.refine((copy) => (copy.bucket === undefined) === (copy.bucketOwner === undefined), {
          message: 'bucket and bucketOwner go together: a quarantine bucket needs the account that owns it (S3 refuses a copy into a bucket of another owner)',
          path: ['bucketOwner'],
        }),
      ),
  ),
});
