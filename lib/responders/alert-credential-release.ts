/**
 * What the approval request of a credential release says approving will and will not do
 * (docs/responders/release-credentials.md): whether the access key becomes Active again, or stays
 * Inactive because other incidents still hold it (only the last holder's release re-activates it),
 * and whether AWSDenyAll comes off the user or stays for the incident holding the user's other key;
 * for a role, whether its session deny is deleted (and from when) or stays (rewritten since, or
 * another incident's record holds the role).
 * The release-credentials Lambda read it from the sealed records just before the request
 * (release-credentials-preview.ts, the playbook's `Preview-<step>` state). A step result is a
 * claim, and the incident keys and reasons are text from the state table: each is neutralized on
 * one line, the lists are bounded, and everything is said as true when the request was made.
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { KeyRecordState, KeyReleasePreview, RoleReleasePreview } from './release-credentials-preview';
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
  const text = z.optional(z.string());
  // What a key's and a role's preview share: the state of the record, and who holds the credential.
  const recordFields = {
    record: z.enum(['held', 'no-record', 'released', 'not-held', 'untrusted', 'unreadable', 'refused']),
    reason: text,
    holders: z.optional(names),
    holderCount: z.optional(z.number()),
  };
  return z.looseObject({
    readAt: text,
    refused: text,
    // A result without roles: a preview made by the version before roles had one.
    roles: z.optional(
      z.array(
        z.looseObject({
          ...recordFields,
          kind: z.literal('role-sessions'),
          roleName: z.string(),
          policyName: text,
          issuedBefore: text,
          deletableAt: text,
          deny: z.optional(z.enum(['absent', 'recorded', 'rewritten'])),
          cutOffNow: text,
        }),
      ),
    ),
    keys: z.array(
      z.looseObject({
        ...recordFields,
        kind: z.literal('access-key'),
        accessKeyId: z.string(),
        userName: text,
        deactivated: z.optional(z.boolean()),
        denyAll: z.optional(
          z.looseObject({
            outcome: z.enum(['detach', 'stays', 'stays-untrusted']),
            attachedFor: text,
            otherKey: text,
            holders: z.optional(names),
            holderCount: z.optional(z.number()),
            otherKeyDeleted: z.optional(z.boolean()),
            reason: text,
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
    `  Firebreak could not read what this release will do when this request was made (${oneLine(why, MAX_REASON)}): approving may make the key Active again or leave it Inactive (while other incidents hold it), and detach AWSDenyAll or leave it (while another key of the user is held), or delete a role's session deny or leave it; the release reads the sealed records again and acts only as they say.`,
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
  return [
    ...preview.keys.slice(0, MAX_KEYS).flatMap((key) => keyLines(key as KeyReleasePreview, incident, asked)),
    ...(preview.roles ?? []).slice(0, MAX_KEYS).flatMap((role) => roleLines(role as RoleReleasePreview, incident, asked, preview.readAt)),
  ];
}

/**
 * The line of a credential's record the release will not act on (any state but `held`), for the
 * credential `what` ("access key AKIA… of user u", "role r"); undefined when the record is held.
 * `kept` ends the line of a record another incident holds (what stays, for whom).
 */
function recordLine(
  entry: { readonly record: KeyRecordState; readonly reason?: string; readonly holders?: readonly string[]; readonly holderCount?: number },
  what: string,
  incident: string,
  asked: string,
  kept = '',
): string | undefined {
  const reason = entry.reason !== undefined ? oneLine(entry.reason, MAX_REASON) : 'no reason given';
  switch (entry.record) {
    case 'no-record':
      return `  Firebreak keeps no record of a change to ${what} (${asked}): the release will change nothing.`;
    case 'released':
      return `  The record of ${what} is already released (${asked}): the release will change nothing.`;
    case 'refused':
      return `  The release of ${what} will refuse and change nothing: ${reason}.`;
    case 'untrusted':
      return `  The record of ${what} is NOT TRUSTED (${reason}): the release will refuse and change nothing.`;
    case 'unreadable':
      return `  Firebreak could not read the record of ${what} when this request was made (${reason}): what approving does is not known here; the release reads it again and acts only as it says.`;
    case 'not-held':
      return `  Incident ${incident} does not hold ${what} (${incidentsText(entry.holders ?? [], entry.holderCount)} ${plural(entry.holders, entry.holderCount) ? 'do' : 'does'}; ${asked}): the release will refuse and change nothing${kept}.`;
    case 'held':
      return undefined;
  }
}

/** What approving does to the role's session deny (pure). */
function roleLines(role: RoleReleasePreview, incident: string, asked: string, readAt: string | undefined): string[] {
  const name = oneLine(role.roleName, 64);
  const line = recordLine(role, `role ${name}`, incident, asked, `: the deny STAYS, for the release of incident ${oneLine(role.holders?.[0] ?? '?', MAX_KEY)} to delete`);
  if (line !== undefined) return [line];
  const policyName = oneLine(role.policyName ?? '?', 128);
  const policy = `inline policy ${policyName} of role ${name}`;
  const cutOff = oneLine(role.issuedBefore ?? '?', 40);
  const until = oneLine(role.deletableAt ?? '', 40);
  // The release refuses before then, whatever IAM says: a session the deny cuts may still be valid.
  const wait = until !== '' && !(Date.parse(readAt ?? '') >= Date.parse(until)) ? ` A release acting before ${until} (12 hours after the cut-off, the longest a role session lasts) refuses and changes nothing: a stolen session could work again.` : '';
  switch (role.deny) {
    case 'recorded':
      return [`  Incident ${incident} holds the record of role ${name}: approving DELETES the ${policy} (the deny of its sessions issued before ${cutOff}) (${asked}), unless it is rewritten before the release acts.${wait}`];
    case 'absent':
      return [`  Role ${name} no longer has the inline policy ${policyName}: approving deletes nothing and marks the record released (${asked}).${wait}`];
    case 'rewritten':
      return [
        `  The ${policy} is NOT the deny the record names (cut-off ${cutOff}): rewritten since${role.cutOffNow !== undefined ? ` (now cut-off ${oneLine(role.cutOffNow, 40)}: quarantine-instance renewing the deny)` : ''} (${asked}); the deny STAYS: the release will refuse and change nothing; a person deletes it by hand once its sessions have expired.`,
      ];
    default:
      return [`  Firebreak could not read the ${policy} when this request was made (${oneLine(role.reason ?? '?', MAX_REASON)}): the release reads it again and deletes it only if it is still the deny the record names.${wait}`];
  }
}

function keyLines(key: KeyReleasePreview, incident: string, asked: string): string[] {
  const id = oneLine(key.accessKeyId, 128);
  const user = key.userName !== undefined ? ` of user ${oneLine(key.userName, 64)}` : '';
  const line = recordLine(key, `access key ${id}${user}`, incident, asked);
  if (line !== undefined) return [line];
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
    // The user renamed since it was contained: the release acts under the current name (row 11aa).
    ...(key.reason !== undefined ? [`  WARNING: ${oneLine(key.reason, MAX_REASON)}.`] : []),
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
      const several = plural(denyAll.holders, denyAll.holderCount);
      // A deleted key's own release is refused (the key is gone), so it cannot be the one that detaches it.
      const detachedBy =
        denyAll.otherKeyDeleted === true
          ? `but IAM no longer lists ${other} (deleted since), so its release cannot detach AWSDenyAll: a person detaches it once ${holders} ${several ? 'are' : 'is'} closed.`
          : 'whose release detaches it.';
      lines.push(
        `  AWSDenyAll STAYS ATTACHED to ${userName}${attachedFor}: ${holders} still ${several ? 'hold' : 'holds'} the user's other access key ${other} contained (${asked}), and AWSDenyAll is the user's, not the key's. The duty to detach it goes over to the record of ${other}, ${detachedBy}`,
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
