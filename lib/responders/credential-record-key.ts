/**
 * The partition key of a credential's record (credential-records.ts), apart from the records' seal so
 * that the containment guard, which reads whether a record holds a key (key-holds.ts), does not carry
 * the KMS client (docs/architecture.md, "Lean Lambda bundles").
 */
import { STATE_KEY_PREFIX } from '../contracts/security';

/** The partition key of a credential's record: one per access key, one per role, whatever the incident. */
export function credentialRecordKey(
  record: { readonly kind: 'access-key'; readonly account: string; readonly accessKeyId: string } | { readonly kind: 'role-sessions'; readonly account: string; readonly roleName: string },
): string {
  return record.kind === 'access-key'
    ? `${STATE_KEY_PREFIX.credential}${record.account}#access-key#${record.accessKeyId}`
    : `${STATE_KEY_PREFIX.credential}${record.account}#role#${record.roleName}`;
}

/**
 * The partition keys of each kind of credential item, as IAM matches them (`dynamodb:LeadingKeys`,
 * StringLike): the keys `credentialRecordKey` and `userKeysKey` (credential-records.ts) build. An
 * account id is 12 digits and IAM names hold no `#`, so no key of one kind matches another's pattern.
 * Both credential steps may seal (one record key, one scheme label), so these are what keep each
 * step's role to the records of its own kind (docs/security.md row 17a).
 */
export const CREDENTIAL_KEY_PATTERNS = {
  /** An access key's record: written by disable-access-key. */
  accessKey: `${STATE_KEY_PREFIX.credential}*#access-key#*`,
  /** A user's keys Firebreak noted (AWSDenyAll is user-wide): written by disable-access-key. */
  userKeys: `${STATE_KEY_PREFIX.credential}*#user#*`,
  /** A role's record: written by revoke-role-sessions. */
  role: `${STATE_KEY_PREFIX.credential}*#role#*`,
} as const;
