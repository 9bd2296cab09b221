/**
 * Who counts on a user's AWSDenyAll, as the release of one of the user's keys must know it before
 * detaching it: release-credentials acts on it (releaseDenyAll) and its preview tells the approver
 * beforehand (release-credentials-preview.ts), from the same reads and the same rules, so that the
 * approval request never says other than what the release will do.
 *
 * AWSDenyAll is the user's, recorded on the key whose step attached it (or on a key another key's
 * release handed the duty to detach it over to, with the sealed record that proves it). It stays
 * while another key of the user has an unreleased record: an incident holding that key counts on it.
 */
import type { AccessKeyRecord, CredentialRecordStore, ReadCredentialRecord } from './credential-records';
import { keyHolders } from './credential-records';

/**
 * The sealed record that says Firebreak attached AWSDenyAll and that this key's release is the one
 * to detach it: the key's own record, or the proof of a duty handed over to it. `untrusted` when a
 * duty was handed over whose proof does not verify; undefined when this release has no duty.
 */
export function denyAllDuty(read: Pick<ReadCredentialRecord<AccessKeyRecord>, 'record' | 'denyAllHandover'>):
  | { readonly proof: AccessKeyRecord }
  | { readonly untrusted: string; readonly by: string }
  | undefined {
  const { record, denyAllHandover: handover } = read;
  if (record.denyAllAttached) return { proof: record };
  if (handover === undefined) return undefined;
  if (!handover.verdict.valid || handover.proof === undefined) return { untrusted: handover.verdict.valid ? 'no proof' : handover.verdict.reason, by: handover.by };
  return { proof: handover.proof };
}

/**
 * Another key of the user that keeps AWSDenyAll attached: its unreleased record does not verify or
 * names another user (`trusted: false`: whether an incident counts on the deny is not known), or
 * incidents still hold the key (`holders`).
 */
export type OtherKeyNeed =
  | { readonly other: string; readonly read: ReadCredentialRecord<AccessKeyRecord>; readonly trusted: false }
  | { readonly other: string; readonly read: ReadCredentialRecord<AccessKeyRecord>; readonly trusted: true; readonly holders: readonly string[]; readonly listedByIam: boolean };

/**
 * The first other key of `record`'s user whose unreleased record keeps AWSDenyAll attached, or
 * undefined when none does. The user's keys are those IAM lists (`listedKeys`) and those on the
 * user's list in the state table (a key deleted since is no longer listed by IAM, and its incident
 * may still count on the deny); each is a claim, checked against its own sealed record: no record,
 * or a released one, holds nothing. `holders` is never empty (the record's own incident at least).
 */
export async function otherKeyNeedingDenyAll(
  records: Pick<CredentialRecordStore, 'get' | 'userKeys'>,
  record: AccessKeyRecord,
  listedKeys: readonly string[],
): Promise<OtherKeyNeed | undefined> {
  const { account, userName, accessKeyId } = record;
  const noted = await records.userKeys(account, userName);
  for (const other of [...new Set([...listedKeys, ...noted])].filter((id) => id !== accessKeyId)) {
    const read = await records.get({ kind: 'access-key', account, accessKeyId: other });
    if (read === undefined || read.record.released === true) continue;
    if (!read.verdict.valid || read.record.userName !== userName) return { other, read, trusted: false };
    const holders = keyHolders(read.record, read.claims);
    return { other, read, trusted: true, holders: holders.length > 0 ? holders : [read.record.incidentKey], listedByIam: listedKeys.includes(other) };
  }
  return undefined;
}
