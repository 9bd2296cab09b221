/**
 * The Malware Protection for S3 actions of the playbook format (issue 12), defined apart from
 * actions.ts so the registry only lists them: `quarantine-s3-object` tags an object a scan found
 * threats in (and optionally copies it under `firebreak-quarantine/`), never deleting it;
 * `release-s3-object` takes Firebreak's tags off again. docs/responders/quarantine-s3-object.md
 * says why there is no "move" that would delete the original.
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';

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
      })
      .check(
        z.refine((copy) => (copy.bucket === undefined) === (copy.bucketOwner === undefined), {
          message: 'bucket and bucketOwner go together: a quarantine bucket needs the account that owns it (S3 refuses a copy into a bucket of another owner)',
          path: ['bucketOwner'],
        }),
      ),
  ),
});

export const releaseS3ObjectOptions = z.strictObject({});

/** What both steps read of the object: HeadObject (s3:GetObject, s3:GetObjectVersion for a version) and its tags. */
const READS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'] as const;
const TAG_WRITES = ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'] as const;

export const S3_OBJECT_ACTIONS = {
  [RESPONDER_NAMES.quarantineS3Object]: {
    name: RESPONDER_NAMES.quarantineS3Object,
    description:
      'Tag an S3 object a Malware Protection scan found threats in as infected (that exact version), optionally copy it under firebreak-quarantine/; never deletes it.',
    options: quarantineS3ObjectOptions,
    responder: RESPONDER_NAMES.quarantineS3Object,
    iamActions: [...READS, ...TAG_WRITES],
    mutates: true,
    // CopyObject writes the copy (s3:PutObject) with its tags (s3:PutObjectTagging, already granted).
    optionalIamActions: (options: Record<string, unknown>) => (options.quarantineCopy !== undefined ? ['s3:PutObject'] : []),
  },
  [RESPONDER_NAMES.releaseS3Object]: {
    name: RESPONDER_NAMES.releaseS3Object,
    description: "Take Firebreak's infected tags off an S3 object again (a false positive), keeping the owner's tags; the quarantine copy stays.",
    options: releaseS3ObjectOptions,
    responder: RESPONDER_NAMES.releaseS3Object,
    iamActions: [...READS, ...TAG_WRITES, 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'],
    mutates: true,
  },
} as const;
