/** KMS in the security account (the record key); only `@aws-sdk/client-kms`. */
import { KMSClient } from '@aws-sdk/client-kms';
import { homeRegionFromEnvironment, onFirstUse } from './access';

export interface KmsClients {
  /** KMS in the security account (the HMAC key that seals quarantine records). */
  kms(): KMSClient;
}

/** One KMS client in the home region, made on first use. */
export function homeKmsClients(homeRegion: string = homeRegionFromEnvironment()): KmsClients {
  return { kms: onFirstUse(() => new KMSClient({ region: homeRegion })) };
}
