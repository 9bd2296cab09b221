/**
 * `firebreak release --bucket NAME --key KEY`: after an investigation found a Malware Protection for
 * S3 detection to be a false positive, start the release-s3-object playbook for the object
 * (lib/operator/release/s3-object.ts). Its step, in the object's account through the responder
 * role and after a person approves, takes Firebreak's infected tags off and keeps the owner's; the
 * quarantine copy stays as evidence. The command itself reads at most the object's tags (for the
 * incident key) and never changes the object.
 *
 * The same flags as `firebreak release --instance` (account, region, stack, state machine, incident,
 * reason, dry-run, watch, timeout), and `--json` as `firebreak dns unblock` has.
 */
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { callerIdentity, credentialsProblem, describeStack } from '../operator/aws';
import { LiveSetupError } from '../operator/errors';
import { startManualExecution, watchReleaseExecution } from '../operator/release/aws';
import { ReleaseFailedError, ReleaseSetupError, releaseExitCodeFor } from '../operator/release/errors';
import {
  BUCKET_NAME_PATTERN,
  KEY_MAX_BYTES,
  OBJECT_INCIDENT_TAG,
  RELEASE_S3_OBJECT_PLAYBOOK,
  VERSION_ID_PATTERN,
  buildS3ObjectReleaseRequest,
  formatS3ObjectReleaseOutcome,
  incidentKeyFromObjectTags,
  s3ObjectReleaseOutcomesOf,
  s3ObjectReleaseStateMachineOf,
} from '../operator/release/s3-object';
import type { ReleasableObject } from '../operator/release/s3-object';
import { awsErrorCode, isAccessDeniedAwsError } from '../aws/errors';
import { approveCommand, manualMode, requesterOf } from '../operator/manual-request';
import { executionLink, regionOfArn } from '../responders/console-links';
import { keptVersionId } from '../responders/s3-object-claims';
import { RELEASE_COMMON_FLAGS, checkFlags } from './release-flags';
import type { ReleaseFlags } from './release-flags';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { STSClient } from '@aws-sdk/client-sts';

/** The flags of an object release: `firebreak release`'s (lib/cli/release-flags.ts). */
export type S3ObjectReleaseFlags = ReleaseFlags;

/** What the object release needs from the outside world: `firebreak release`'s dependencies (its clients may carry S3). */
export interface S3ObjectReleaseDependencies {
  readonly makeClients: (region?: string) => { readonly sts: STSClient; readonly cloudFormation: CloudFormationClient; readonly sfn: SFNClient; readonly s3?: S3Client };
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Between two DescribeExecution calls while watching. */
  readonly watchIntervalMs: number;
}

const flagsSchema = z.object({
  instance: z.never({ error: 'no --instance with --bucket/--key: release one instance or one object per command' }).optional(),
  bucket: z.string({ error: 'an S3 bucket name (with --key)' }).trim().regex(BUCKET_NAME_PATTERN, 'an S3 bucket name such as acme-uploads'),
  // Not trimmed: an S3 key may begin or end with spaces, and the release must name the exact object.
  key: z
    .string({ error: 'the object key (with --bucket)' })
    .refine((key) => key.length > 0 && Buffer.byteLength(key, 'utf8') <= KEY_MAX_BYTES, `an S3 object key of 1 to ${KEY_MAX_BYTES} bytes`),
  versionId: z.string().trim().regex(VERSION_ID_PATTERN, 'an S3 version id').optional(),
  json: z.boolean().optional(),
  ...RELEASE_COMMON_FLAGS,
});

/** Checks the flags before any AWS call: every problem is a ReleaseSetupError naming its flag. */
export function checkS3ObjectReleaseFlags(flags: S3ObjectReleaseFlags): z.output<typeof flagsSchema> {
  // --json alone sends `release --instance …` here: the mistake is the --json, not a missing --bucket.
  if (flags.instance !== undefined && flags.bucket === undefined && flags.key === undefined && flags.versionId === undefined) {
    throw new ReleaseSetupError('--json: expected no --json with --instance: --json prints an object release (--bucket NAME --key KEY) as one JSON document');
  }
  return checkFlags(flagsSchema, flags);
}

/** `s3://bucket/key (version v)`, the key as JSON inside so that its line breaks stay visible. */
function describeObjectToRelease(object: ReleasableObject): string {
  return `s3://${object.bucketName}/${JSON.stringify(object.key).slice(1, -1)}${object.versionId !== undefined ? ` (version ${object.versionId})` : ''}`;
}

/**
 * s3:GetObjectTagging of the exact object (version), owned by `account`: its tags and the version S3 read them from
 * (`x-amz-version-id`: none in a bucket never versioned), or an error saying what is missing.
 */
export async function objectTagsToRelease(s3: S3Client, object: ReleasableObject, account: string): Promise<{ readonly tags: Record<string, string>; readonly versionId?: string }> {
  try {
    const answer = await s3.send(
      new GetObjectTaggingCommand({ Bucket: object.bucketName, Key: object.key, ...(object.versionId !== undefined ? { VersionId: object.versionId } : {}), ExpectedBucketOwner: account }),
    );
    const tags = Object.fromEntries((answer.TagSet ?? []).flatMap((tag) => (tag.Key !== undefined && tag.Value !== undefined ? [[tag.Key, tag.Value]] : [])));
    return { tags, ...(answer.VersionId !== undefined ? { versionId: answer.VersionId } : {}) };
  } catch (error) {
    const problem = credentialsProblem(error);
    if (problem) throw problem;
    const code = awsErrorCode(error) ?? 'UnknownError';
    if (code === 'NoSuchKey' || code === 'NoSuchBucket' || code === 'NoSuchVersion' || code === 'NotFound') {
      throw new ReleaseSetupError(`${describeObjectToRelease(object)} not found in account ${account} (${code}): check --bucket, --key, --version-id and --account`, { cause: error });
    }
    if (isAccessDeniedAwsError(error)) {
      throw new ReleaseSetupError(
        // S3 answers a missing object AccessDenied, not NoSuchKey, to a caller without s3:ListBucket on the bucket.
        `not allowed to call s3:GetObjectTagging on ${describeObjectToRelease(object)} (${code}), which reads the object's ${OBJECT_INCIDENT_TAG} tag, or the object is not there (without s3:ListBucket on the bucket S3 answers a missing object with ${code} too): check --bucket, --key and --version-id, then pass --incident KEY (the key is in the scan's alert), or use a role with s3:GetObjectTagging (the bucket must be owned by ${account})`,
        { cause: error },
      );
    }
    throw new ReleaseFailedError(`s3:GetObjectTagging failed (${code}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Runs `firebreak release --bucket … --key …` and resolves to its exit status (never calls process.exit). */
export async function runS3ObjectRelease(flags: S3ObjectReleaseFlags, deps: S3ObjectReleaseDependencies): Promise<number> {
  try {
    const checked = checkS3ObjectReleaseFlags(flags);
    let object: ReleasableObject = { bucketName: checked.bucket, key: checked.key, ...(checked.versionId !== undefined ? { versionId: checked.versionId } : {}) };
    const clients = deps.makeClients(checked.region);
    const region = checked.region ?? (await clients.sts.config.region().catch(() => undefined));
    if (!region) throw new ReleaseSetupError("no AWS region: pass --region (the bucket's region) or set AWS_REGION");
    const regional = checked.region ? clients : deps.makeClients(region);
    const identity = await callerIdentity(regional.sts);
    const account = checked.account ?? identity.account;

    let stateMachineArn = checked.stateMachineArn;
    let from = '--state-machine-arn';
    let deployedMode: string | undefined;
    if (stateMachineArn === undefined) {
      const stackRegion = checked.stackRegion ?? region;
      const stack = await describeStack((stackRegion === region ? regional : deps.makeClients(stackRegion)).cloudFormation, checked.stack, { region: stackRegion, account: identity.account }).catch((error: unknown) => {
        if (!(error instanceof LiveSetupError)) throw error;
        throw new ReleaseSetupError(`${error.message}; or pass --state-machine-arn ARN of the ${RELEASE_S3_OBJECT_PLAYBOOK} state machine`, { cause: error });
      });
      stateMachineArn = s3ObjectReleaseStateMachineOf(stack, `${stackRegion}/${identity.account}`);
      from = `stack ${stack.stackName}`;
      deployedMode = stack.mode;
    }
    const { mode, notice } = manualMode(checked.dryRun, deployedMode, checked.stack, { run: 'the release', would: 'take off' });
    if (notice) deps.err(notice);

    let incidentKey = checked.incident;
    if (incidentKey === undefined) {
      if (account !== identity.account) {
        throw new ReleaseSetupError(
          `the bucket is in account ${account}, but your credentials are for ${identity.account}: the incident key is read from the object's ${OBJECT_INCIDENT_TAG} tag, which needs credentials in the bucket's account; pass --incident KEY (the key is in the scan's alert) and run with credentials for the Firebreak stack`,
        );
      }
      const s3 = regional.s3 ?? new S3Client({ region });
      const read = await objectTagsToRelease(s3, object, account);
      incidentKey = incidentKeyFromObjectTags(describeObjectToRelease(object), read.tags);
      // The incidents holding an object are recorded per version (release-s3-object refuses a release that names none of an
      // object S3 keeps versions of): the release names the version whose tags named the incident.
      const readVersion = keptVersionId(read.versionId);
      if (object.versionId === undefined && readVersion !== undefined) {
        object = { ...object, versionId: readVersion };
        deps.err(`The bucket keeps versions of the object: releasing the current version, ${readVersion}, whose ${OBJECT_INCIDENT_TAG} tag names the incident (--version-id names another).`);
      }
    }

    const request = buildS3ObjectReleaseRequest({ ...object, account, region, incidentKey, mode, requestedBy: requesterOf(identity), ...(checked.reason ? { reason: checked.reason } : {}), at: deps.now() });
    const sfnRegion = regionOfArn(stateMachineArn) ?? region;
    const sfn = (sfnRegion === region ? regional : deps.makeClients(sfnRegion)).sfn;
    const started = await startManualExecution(sfn, stateMachineArn, request, { name: 'S3 object release', asked: 'a release of this object' });
    const approve = approveCommand(started.executionArn);
    if (checked.json && !checked.watch) {
      deps.out(JSON.stringify({ bucket: object.bucketName, key: object.key, versionId: object.versionId ?? null, account, region, incidentKey, mode, requestedBy: request.input.requestedBy, executionName: request.executionName, executionArn: started.executionArn, approve }, null, 2));
      return 0;
    }
    if (!checked.json) {
      deps.out(`Releasing ${describeObjectToRelease(object)} in ${account}/${region} (incident ${incidentKey}, mode ${mode}) as ${request.input.requestedBy}: started ${stateMachineArn} (from ${from}) as ${request.executionName}.`);
      deps.out(`Started: ${started.executionArn}`);
      deps.out(`It waits for approval: \`${approve}\` (or reject --reason "..."); nothing is taken off before. The quarantine copy stays as evidence.`);
      const link = executionLink(started.executionArn);
      if (link) deps.out(`Console: ${link}`);
    }
    if (!checked.watch) return 0;
    return await watchObjectRelease(deps, sfn, started.executionArn, sfnRegion, checked.timeout, checked.json === true);
  } catch (error) {
    deps.err(`firebreak release: ${error instanceof Error ? error.message : String(error)}`);
    return releaseExitCodeFor(error);
  }
}

async function watchObjectRelease(deps: S3ObjectReleaseDependencies, sfn: SFNClient, executionArn: string, sfnRegion: string, timeoutSeconds: number, json: boolean): Promise<number> {
  if (!json) deps.out(`Watching the release (timeout ${timeoutSeconds} s; Ctrl-C stops watching, not the release).`);
  const watched = await watchReleaseExecution(sfn, executionArn, { now: deps.now, sleep: deps.sleep, timeoutMs: timeoutSeconds * 1000, intervalMs: deps.watchIntervalMs });
  if (watched.kind === 'timed-out') {
    deps.err(`Timed out after ${timeoutSeconds} s; the release is still running in AWS: \`aws stepfunctions describe-execution --execution-arn ${executionArn} --region ${sfnRegion}\`.`);
    return 1;
  }
  const outcomes = watched.status === 'SUCCEEDED' ? s3ObjectReleaseOutcomesOf(watched.output) : [];
  const formatted = outcomes.map(formatS3ObjectReleaseOutcome);
  const ok = watched.status === 'SUCCEEDED' && formatted.length > 0 && formatted.every((outcome) => outcome.ok);
  if (json) {
    deps.out(JSON.stringify({ executionArn, status: watched.status, outcomes: outcomes.map(({ step, status, mode, refusal }) => ({ step, status, mode, refusal })), released: ok }, null, 2));
    return ok ? 0 : 1;
  }
  deps.out(`The release execution ended ${watched.status}.`);
  for (const outcome of formatted) for (const line of outcome.lines) deps.out(line);
  if (watched.status === 'SUCCEEDED') {
    if (formatted.length === 0) deps.out(`Its output holds no ${RELEASE_S3_OBJECT_PLAYBOOK} result (rejected, or timed out waiting for approval?): see the execution in the console.`);
    return ok ? 0 : 1;
  }
  deps.err(`The release did not succeed (${watched.status}${watched.error ? `, ${watched.error}` : ''}). The playbook alerted its failure; see the execution for which step failed.`);
  return 1;
}
