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
