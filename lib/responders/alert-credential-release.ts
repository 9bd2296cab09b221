/**
 * What the approval request of a credential release says approving will and will not do
 * (docs/responders/release-credentials.md): whether the access key becomes Active again, or stays
 * Inactive because other incidents still hold it (only the last holder's release re-activates it),
 * and whether AWSDenyAll comes off the user or stays for the incident holding the user's other key.
 * The release-credentials Lambda read it from the sealed records just before the request
 * (release-credentials-preview.ts, the playbook's `Preview-<step>` state). A step result is a
 * claim, and the incident keys and reasons are text from the state table: each is neutralized on
 * one line, the lists are bounded, and everything is said as true when the request was made.
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { KeyReleasePreview } from './release-credentials-preview';
import type { StepSummary } from './alert-model';
import { oneLine } from './alert-text';

/** The state-name prefix of a step's read-only run before the approval (lib/playbooks/compile.ts GUARDED_PATH_PREFIXES.preview). */
const PREVIEW_PREFIX = 'Preview-';
/** The most incidents one line names (the rest are counted). */
const MAX_NAMED = 5;
/** The most characters shown of one incident key. */
const MAX_KEY = 128;
/** The most characters shown of a reason. */
const MAX_REASON = 300;
/** The most keys one release's request speaks of (a release names one). */
const MAX_KEYS = 2;

// z.lazy: built the first time an approval request is read, not at cold start.
const previewSchema = z.lazy(() => {
  const names = z.array(z.string());
  return z.looseObject({
    readAt: z.optional(z.string()),
    refused: z.optional(z.string()),
    keys: z.array(
      z.looseObject({
        kind: z.literal('access-key'),
        accessKeyId: z.string(),
        userName: z.optional(z.string()),
        record: z.enum(['held', 'no-record', 'released', 'not-held', 'untrusted', 'unreadable', 'refused']),
        reason: z.optional(z.string()),
        holders: z.optional(names),
        holderCount: z.optional(z.number()),
        deactivated: z.optional(z.boolean()),
        denyAll: z.optional(
          z.looseObject({
            outcome: z.enum(['detach', 'stays', 'stays-untrusted']),
            attachedFor: z.optional(z.string()),
            otherKey: z.optional(z.string()),
            holders: z.optional(names),
            holderCount: z.optional(z.number()),
            reason: z.optional(z.string()),
          }),
        ),
      }),
    ),
  });
});

/** "incident X" / "incidents X, Y and 3 more" (pure). */
function incidentsText(keys: readonly string[], total: number | undefined): string {
  const named = keys.slice(0, MAX_NAMED).map((key) => oneLine(key, MAX_KEY));
  const more = Math.max(total ?? keys.length, keys.length) - named.length;
  const list = `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return named.length === 1 && more === 0 ? `incident ${list}` : `incidents ${list}`;
}

const plural = (keys: readonly string[] | undefined, total: number | undefined) => Math.max(total ?? 0, keys?.length ?? 0) > 1;

/**
 * The lines of the APPROVAL NEEDED section on what a credential release will do, or none when the
 * playbook previewed no credential release.
 */
export function credentialReleaseLines(steps: readonly StepSummary[], incidentKey: string | undefined): string[] {
  const previews = steps.filter((step) => step.stepId.startsWith(PREVIEW_PREFIX));
  return previews.flatMap((step) => previewLines(step, incidentKey));
}

function previewLines(step: StepSummary, incidentKey: string | undefined): string[] {
  const raw = step.result as Record<string, unknown> | null;
  const incident = oneLine(incidentKey ?? 'of this release', MAX_KEY);
  const unknown = (why: string) => [
    `  Firebreak could not read what this release will do when this request was made (${oneLine(why, MAX_REASON)}): approving may make the key Active again or leave it Inactive (while other incidents hold it), and detach AWSDenyAll or leave it (while another key of the user is held); the release reads the sealed records again and acts only as they say.`,
  ];
  if (raw === null || raw.responder !== RESPONDER_NAMES.releaseCredentials) {
    // The preview failed after its retries: the state machine put its error here instead.
    const error = raw !== null && typeof raw.Error === 'string' ? raw.Error : 'no result';
    return unknown(error);
  }
  const parsed = previewSchema.safeParse(raw.preview);
  if (!parsed.success) return unknown('its result is not one Firebreak reads');
  const preview = parsed.data;
  const asked = `as the sealed records said${preview.readAt !== undefined ? ` at ${oneLine(preview.readAt, 40)}` : ''}, when this request was made; the release reads them again before it acts`;
  if (preview.refused !== undefined) return [`  The release will refuse and change nothing: ${oneLine(preview.refused, MAX_REASON)}.`];
  return preview.keys.slice(0, MAX_KEYS).flatMap((key) => keyLines(key as KeyReleasePreview, incident, asked));
}

function keyLines(key: KeyReleasePreview, incident: string, asked: string): string[] {
  const id = oneLine(key.accessKeyId, 128);
  const user = key.userName !== undefined ? ` of user ${oneLine(key.userName, 64)}` : '';
  const reason = key.reason !== undefined ? oneLine(key.reason, MAX_REASON) : 'no reason given';
  switch (key.record) {
    case 'no-record':
      return [`  Firebreak keeps no record of a change to access key ${id}${user} (${asked}): the release will change nothing.`];
    case 'released':
      return [`  The record of access key ${id}${user} is already released (${asked}): the release will change nothing.`];
    case 'refused':
      return [`  The release of access key ${id}${user} will refuse and change nothing: ${reason}.`];
    case 'untrusted':
      return [`  The record of access key ${id}${user} is NOT TRUSTED (${reason}): the release will refuse and change nothing; the key stays as it is.`];
    case 'unreadable':
      return [`  Firebreak could not read the record of access key ${id}${user} when this request was made (${reason}): what approving does is not known here; the release reads it again and acts only as it says.`];
    case 'not-held':
      return [`  Incident ${incident} does not hold access key ${id}${user} (${incidentsText(key.holders ?? [], key.holderCount)} ${plural(key.holders, key.holderCount) ? 'do' : 'does'}; ${asked}): the release will refuse and change nothing.`];
    case 'held':
      break;
  }
  const others = key.holders ?? [];
  if (others.length > 0 || (key.holderCount ?? 0) > 0) {
    const holders = incidentsText(others, key.holderCount);
    return [
      `  Approving takes back only incident ${incident}'s hold on access key ${id}${user}: the key STAYS INACTIVE, ${holders} still ${plural(others, key.holderCount) ? 'hold' : 'holds'} it (${asked});`,
      `  it is made Active again only by the release of the last incident holding it, so it stays Inactive until ${plural(others, key.holderCount) ? 'they are' : 'that incident is'} released too. Nothing changes in IAM (AWSDenyAll included). If ${plural(others, key.holderCount) ? 'they are all' : 'it is'} released before this release acts, this release is the last: it then makes the key Active again if Firebreak set it Inactive, and detaches the AWSDenyAll Firebreak attached unless another key of the user is held.`,
    ];
  }
  const lines = [
    key.deactivated === true
      ? `  Incident ${incident} holds the last claim on access key ${id}${user}: approving makes the key ACTIVE again (Firebreak set it Inactive) (${asked}), unless an incident, this one included, contains it again before the release acts: then it changes nothing and a new release is needed.`
      : `  Incident ${incident} holds the last claim on access key ${id}${user}, but Firebreak did not set it Inactive (it was Inactive before): it stays Inactive (${asked}).`,
  ];
  const denyAll = key.denyAll;
  if (denyAll === undefined) return lines;
  const attachedFor = denyAll.attachedFor !== undefined ? ` (Firebreak attached it for incident ${oneLine(denyAll.attachedFor, MAX_KEY)})` : '';
  const userName = key.userName !== undefined ? `user ${oneLine(key.userName, 64)}` : 'the user';
  switch (denyAll.outcome) {
    case 'detach':
      lines.push(`  Approving also detaches AWSDenyAll from ${userName}${attachedFor}, if it is still attached: no other key of the user has an unreleased record (${asked}).`);
      break;
    case 'stays': {
      const other = oneLine(denyAll.otherKey ?? 'another key', 128);
      const holders = incidentsText(denyAll.holders ?? [], denyAll.holderCount);
      lines.push(
        `  AWSDenyAll STAYS ATTACHED to ${userName}${attachedFor}: ${holders} still ${plural(denyAll.holders, denyAll.holderCount) ? 'hold' : 'holds'} the user's other access key ${other} contained (${asked}), and AWSDenyAll is the user's, not the key's. The duty to detach it goes over to the record of ${other}, whose release detaches it.`,
      );
      break;
    }
    case 'stays-untrusted':
      lines.push(
        `  AWSDenyAll STAYS ATTACHED to ${userName}${attachedFor}: ${oneLine(denyAll.reason ?? 'a record does not verify', MAX_REASON)}, so whether an incident still counts on it is not known; a person looks and detaches it by hand.`,
      );
      break;
  }
  return lines;
}
