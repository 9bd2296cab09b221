/**
 * `firebreak release --bucket B --key K`, pure parts: the release-s3-object playbook
 * (playbooks/release-s3-object.yaml, trigger manual, approval required) started for one object
 * Firebreak tagged infected, with an incident Firebreak raises itself (source `firebreak`) naming
 * the object as a Malware Protection for S3 incident does, so that the playbook's step
 * (lib/responders/release-s3-object.ts) reads it exactly as it reads the scan result's: the
 * containment guard grants the release for this object only (`malwareObjectGrantTarget`), and the
 * step takes the tags off only when they name this incident. The command's checks give a clear error
 * early; the step's are the ones that hold.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RESOURCE_ID_FORMAT } from '../../incident/identifiers';
import { RESPONDER_NAMES } from '../../contracts/responders';
import { MALWARE_OBJECT_TAGS, THREATS_FOUND } from '../../responders/s3-malware-object';
import { partitionOfRegion } from '../../responders/console-links';
import type { DeployedStack } from '../stack';
import type { ManualExecutionInput, ManualRequest, ManualRequestParts } from '../manual-request';
import { buildManualRequest, compactSecond, manualPlaybookStateMachineOf } from '../manual-request';
import { ReleaseSetupError } from './errors';
import { INCIDENT_KEY_PATTERN, RELEASE_FINDING_TYPE } from './request';
import { stepResultsOf } from './result';
import { terminalLine } from '../../responders/untrusted-text';

/** The playbook `firebreak release --bucket … --key …` starts. */
export const RELEASE_S3_OBJECT_PLAYBOOK = 'release-s3-object';
/** The object tag quarantine-s3-object writes the incident key to. */
export const OBJECT_INCIDENT_TAG = MALWARE_OBJECT_TAGS.incident.key;
export const BUCKET_NAME_PATTERN = RESOURCE_ID_FORMAT.s3BucketName;
export const VERSION_ID_PATTERN = RESOURCE_ID_FORMAT.opaqueToken;
/** S3 keys are 1 to 1024 bytes of UTF-8. */
export const KEY_MAX_BYTES = 1024;

/** The object to release, every part checked. */
export interface ReleasableObject {
  readonly bucketName: string;
  /** Exactly as typed: an S3 key may begin or end with spaces. */
  readonly key: string;
  readonly versionId?: string;
}

/** Everything an object release is made from: the common parts and the object. */
export interface S3ObjectReleaseParts extends ReleasableObject, ManualRequestParts {}

/** What the playbook's execution starts with: what every manual playbook reads. */
export type S3ObjectReleaseExecutionInput = ManualExecutionInput<typeof RELEASE_S3_OBJECT_PLAYBOOK>;

/**
 * `release-s3-<16 hex of account, bucket, version and key>-<UTC second>` (45 characters; the limit is
 * 80 and a key is neither short nor made of the characters a name allows). A request sent twice in
 * the same second starts one execution (see releaseExecutionName).
 */
export function s3ObjectReleaseExecutionName(account: string, object: ReleasableObject, at: Date): string {
  const digest = createHash('sha256').update(`${account}|${object.bucketName}|${object.versionId ?? ''}|${object.key}`).digest('hex').slice(0, 16);
  return `release-s3-${digest}-${compactSecond(at)}`;
}

/** The execution's name and input (pure; times are to the second). */
export function buildS3ObjectReleaseRequest(parts: S3ObjectReleaseParts): ManualRequest<S3ObjectReleaseExecutionInput> {
  const where = { account: parts.account, region: parts.region };
  return buildManualRequest(RELEASE_S3_OBJECT_PLAYBOOK, parts, {
    executionName: (second) => s3ObjectReleaseExecutionName(parts.account, parts, second),
    findingType: RELEASE_FINDING_TYPE,
    asked: `Release of s3://${parts.bucketName}/${JSON.stringify(parts.key).slice(1, -1)}${parts.versionId !== undefined ? ` (version ${parts.versionId})` : ''}`,
    resource: { kind: 'other', type: 'S3Bucket', id: `arn:${partitionOfRegion(parts.region) ?? 'aws'}:s3:::${parts.bucketName}` },
    details: {
      affected: [
        {
          kind: 's3-object',
          from: 'firebreak release --bucket --key',
          ...where,
          bucketName: parts.bucketName,
          key: { untrusted: parts.key },
          ...(parts.versionId !== undefined ? { versionId: parts.versionId } : {}),
        },
      ],
      // The scan result the quarantine acted on (the only one it acts on): what the release step reads the object from.
      malwareScan: { kind: 's3-object', scanStatus: 'COMPLETED', resultStatus: THREATS_FOUND, threats: [], statusReasons: [] },
    },
  });
}

/**
 * The incident key from the object's `firebreak:incident` tag, or a ReleaseSetupError saying why
 * there is none and to pass --incident.
 */
export function incidentKeyFromObjectTags(object: string, tags: Readonly<Record<string, string>>): string {
  const key = tags[OBJECT_INCIDENT_TAG];
  if (key === undefined) {
    throw new ReleaseSetupError(
      `${object} has no ${OBJECT_INCIDENT_TAG} tag: Firebreak did not tag it infected, or it was released already; pass --incident KEY (the key is in the scan's alert) to run the release playbook anyway (it reports not-tagged if so)`,
    );
  }
  if (!INCIDENT_KEY_PATTERN.test(key)) {
    throw new ReleaseSetupError(`the ${OBJECT_INCIDENT_TAG} tag of ${object} is ${JSON.stringify(key)}, which is not an incident key: pass --incident KEY (the key is in the scan's alert)`);
  }
  return key;
}

/** The release-s3-object playbook's state machine in the deployed stack, or a ReleaseSetupError saying how to deploy it. */
export function s3ObjectReleaseStateMachineOf(stack: DeployedStack, where: string): string {
  return manualPlaybookStateMachineOf(stack, where, RELEASE_S3_OBJECT_PLAYBOOK, ', or pass --state-machine-arn ARN of its state machine');
}

const s3ReleaseResultSchema = z.looseObject({
  responder: z.literal(RESPONDER_NAMES.releaseS3Object),
  status: z.string(),
  mode: z.string().optional(),
  refusal: z.looseObject({ code: z.string(), reason: z.string() }).optional(),
  holders: z.array(z.string()).optional(),
  actions: z.array(z.looseObject({ api: z.string(), outcome: z.string(), detail: z.string() })).default([]),
});

/** One release-s3-object result of an execution's output. */
export type S3ObjectReleaseOutcome = z.output<typeof s3ReleaseResultSchema> & { readonly step: string };

/** The release-s3-object results in the execution's output (JSON text), in step order; [] when there are none. */
export function s3ObjectReleaseOutcomesOf(output: string | undefined): S3ObjectReleaseOutcome[] {
  return stepResultsOf(output, s3ReleaseResultSchema);
}

/** What each status means for the person who asked, and whether the object's tags are off now. */
const OUTCOME_WORDS: Readonly<Record<string, { readonly released: boolean; readonly words: string }>> = {
  untagged: { released: true, words: "the infected tags are off, the owner's tags kept; the quarantine copy stays as evidence" },
  'not-tagged': { released: true, words: 'the object carried no Firebreak infected tag: nothing to take off' },
  held: { released: true, words: "this incident's claim on the object version is taken back; the object stays tagged infected while other incidents hold it" },
  'dry-run': { released: false, words: 'dry-run: nothing changed (S3 has no DryRun; the step only read the object and its tags)' },
  // Not "nothing changed": a refusal may follow this incident's claim taken back (claims-of-another-upload) or the
  // infected tags put back (claimed-since-cleared); the refusal's reason, printed below, says which.
  refused: { released: false, words: 'REFUSED: the infected tags are not taken off (the reason below says why, and what the step did)' },
  'not-found': { released: false, words: 'S3 has no such object (version) in the account: nothing changed' },
  changed: { released: false, words: 'the object was replaced since the scan: nothing changed' },
  'not-an-object': { released: false, words: 'the request named no object the step could read: nothing changed' },
};

/**
 * Lines for one outcome, and whether it is a success for the exit status (a refused or missing
 * object is not). Each is one line (`terminalLine`): details quote the object key, which whoever
 * uploaded the object chose, line feeds included.
 */
export function formatS3ObjectReleaseOutcome(outcome: S3ObjectReleaseOutcome): { lines: string[]; ok: boolean } {
  const known = Object.hasOwn(OUTCOME_WORDS, outcome.status) ? OUTCOME_WORDS[outcome.status]! : undefined;
  const lines = [`Step ${outcome.step}: ${outcome.status}${outcome.mode ? ` (${outcome.mode})` : ''}: ${known?.words ?? 'a status this command does not know; see the execution'}`];
  if (outcome.refusal) lines.push(`  ${outcome.refusal.code}: ${outcome.refusal.reason}`);
  if (outcome.holders !== undefined && outcome.holders.length > 0) lines.push(`  held by: ${outcome.holders.join(', ')} (their releases take the tags off, the last one's for good)`);
  for (const action of outcome.actions) lines.push(`  ${action.api} ${action.outcome}: ${action.detail}`);
  return { lines: lines.map(terminalLine), ok: known !== undefined && (known.released || outcome.status === 'dry-run') };
}
