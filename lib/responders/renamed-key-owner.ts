/**
 * Following an access key to the user that owns it now, when IAM knows no user of the name the
 * finding gives (renamed since the finding, iam:UpdateUser): shared by the containment guard,
 * disable-access-key and release-credentials (a user renamed since it was contained, row 11u), so
 * that all resolve the user alike. In a module of its own, apart from credential-targets.ts, so
 * that the bundles that read credential targets without calling IAM (publish-alert) do not carry
 * it (docs/architecture.md, "Lean Lambda bundles").
 */
import type { AccessKeyMetadata, IAMClient } from '@aws-sdk/client-iam';
import { GetAccessKeyLastUsedCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { isAwsError, toResponderError } from '../aws/errors';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import { readOrMissing } from './credential-targets';

/** A user the finding names by a name IAM no longer knows, found again by its key: renamed since the finding. */
export interface RenamedKeyOwner {
  /** The name the finding gives (IAM knows no user of that name now). */
  readonly from: string;
  /** The name of the user IAM says owns the key now, in the incident's account. */
  readonly to: string;
  /** That user's access keys, as ListAccessKeys answered for `to` (the key among them). */
  readonly keys: readonly AccessKeyMetadata[];
  /** One sentence for the action log, the alert and the incident record. */
  readonly detail: string;
}

/**
 * Follows access key `accessKeyId` to the user that owns it now, called ONLY when IAM knows no user
 * of the name the finding gives (NoSuchEntity on the user's read): whoever holds the key and may
 * `iam:UpdateUser` can rename the user after GuardDuty saw the key, and the finding keeps the old
 * name. GetAccessKeyLastUsed answers `UserName`, "the name of the IAM user that owns this access
 * key" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html); the
 * reference names no error of its own (older versions: NoSuchEntity, 404, for a key IAM does not
 * know), and says nothing of a key of another account, so its answer is a lead, not a verdict: the
 * user it names must list the key (ListAccessKeys, which answers for the caller's account only),
 * or nothing is followed. `refuseName` is asked about the new name before any call on that user
 * (the privileged name patterns apply to it as to the old). A user that exists and does not own the
 * key is never followed: the caller refuses it (row 11o) without calling this. Any other error fails
 * the step (retried), as every read of the credential's principal.
 */
export async function followKeyToRenamedUser(
  iam: Pick<IAMClient, 'send'>,
  claim: { readonly account: string; readonly userName: string; readonly accessKeyId: string },
  refuseName: (userName: string) => string | undefined = () => undefined,
): Promise<{ readonly renamed: RenamedKeyOwner } | { readonly refused: string; /** refuseName's answer, when it refused the new name. */ readonly byName?: string }> {
  const { account, userName: from, accessKeyId } = claim;
  const unknown = `IAM knows no user ${from} in account ${account}`;
  let owner: string | undefined;
  try {
    owner = (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })))?.UserName;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return { refused: `${unknown}, and IAM knows no user that owns access key ${accessKeyId} (GetAccessKeyLastUsed: NoSuchEntity; the key deleted, or not this account's)` };
    if (isAwsError(error, 'AccessDenied')) return { refused: `${unknown}, and the owner of access key ${accessKeyId} could not be read (GetAccessKeyLastUsed: AccessDenied; the key is another account's, or this account's member role predates the iam:GetAccessKeyLastUsed grant)` };
    throw toResponderError(error, 'iam:GetAccessKeyLastUsed');
  }
  if (owner === undefined || !RESOURCE_ID_FORMAT.iamName.test(owner)) return { refused: `${unknown}, and GetAccessKeyLastUsed names no user as the owner of access key ${accessKeyId}` };
  if (owner === from) return { refused: `${unknown}, yet GetAccessKeyLastUsed names ${from} as the owner of access key ${accessKeyId} (the user deleted and created again meanwhile?)` };
  const name = refuseName(owner);
  if (name !== undefined) {
    return { refused: `${unknown}: access key ${accessKeyId} is user ${owner}'s now (GetAccessKeyLastUsed: renamed from ${from} since the finding, a strong sign of an attacker, or a forged finding's name). ${name.charAt(0).toUpperCase()}${name.slice(1)}`, byName: name };
  }
  const listed = await readOrMissing('iam:ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: owner })));
  const keys = listed === 'missing' ? [] : (listed.AccessKeyMetadata ?? []);
  if (!keys.some((key) => key.AccessKeyId === accessKeyId)) {
    return { refused: `${unknown}, and GetAccessKeyLastUsed names ${owner} as the owner of access key ${accessKeyId}, but IAM lists no such key under a user ${owner} of account ${account} (ListAccessKeys): not followed` };
  }
  return {
    renamed: {
      from,
      to: owner,
      keys,
      // What IAM says is fact; that a user was renamed is only the likelier reading: a forged finding
      // may pair a real key with a name IAM never had, and the alert must not send responders after
      // a rename that never happened (row 11r).
      detail: `The finding names user ${from}, unknown to IAM in account ${account}; access key ${accessKeyId} is user ${owner}'s now (GetAccessKeyLastUsed, ListAccessKeys): renamed since the finding (a strong sign of an attacker, who may call iam:UpdateUser with the key), or a forged finding's name`,
    },
  };
}

/** The key ids of ListAccessKeys' answer. */
export function keyIdsOf(keys: readonly AccessKeyMetadata[]): string[] {
  return keys.flatMap((key) => (key.AccessKeyId !== undefined ? [key.AccessKeyId] : []));
}

/** "Access key(s) … is/are not user …'s access keys": the start of a refusal of keys IAM does not list under `userName`. */
export function notKeysOf(userName: string, accessKeyIds: readonly string[]): string {
  return accessKeyIds.length === 1 ? `Access key ${accessKeyIds[0]} is not one of user ${userName}'s access keys` : `Access keys ${accessKeyIds.join(', ')} are not user ${userName}'s access keys`;
}

/**
 * The one-owner rule of a followed user, for the guard before its slot and for disable-access-key
 * before any change: every key named under the vanished name (`accessKeyIds`) must be listed by the
 * user (of `account`) one of them led to, since each key followed on its own could lead to another
 * user, contained under one user's check (rows 11q, 11s). Keys never change owner (a rename keeps
 * them), so keys of one user all lead to it. Why not, naming the stray keys and both names;
 * undefined when one user owns them all.
 */
export function keysOfAnotherOwner(renamed: RenamedKeyOwner, account: string, accessKeyIds: readonly string[]): string | undefined {
  const owned = keyIdsOf(renamed.keys);
  const strays = accessKeyIds.filter((id) => !owned.includes(id));
  if (strays.length === 0) return undefined;
  const followed = accessKeyIds.filter((id) => owned.includes(id));
  return `${notKeysOf(renamed.to, strays)} in account ${account} (ListAccessKeys), yet the incident names ${strays.length === 1 ? 'it' : 'them'}, as ${followed.join(', ')}, under user ${renamed.from}, whom IAM no longer knows: a key followed to another user is never contained under this user's check (${renamed.detail})`;
}
