/**
 * The Malware Protection for S3 actions of the playbook format (issue 12), defined apart from
 * actions.ts so the registry only lists them: `quarantine-s3-object` tags an object a scan found
 * threats in (and optionally copies it under `firebreak-quarantine/`), never deleting it;
 * `release-s3-object` takes Firebreak's tags off again. docs/responders/quarantine-s3-object.md
 * says why there is no "move" that would delete the original. The steps' options schemas are in
 * quarantine-s3-object-options.ts and release-s3-object-options.ts, which the responders import.
 */
import { RESPONDER_NAMES } from '../contracts/responders';
import { quarantineS3ObjectOptions } from './quarantine-s3-object-options';
import { releaseS3ObjectOptions } from './release-s3-object-options';

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
