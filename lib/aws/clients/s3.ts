/** S3 clients for the malware-object responders (only `@aws-sdk/client-s3`). */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface S3Clients {
  /** S3 in the account that owns the bucket (the scan result's account), in the bucket's region. */
  s3(target: AwsTarget): Promise<S3Client>;
}

/** S3 clients through `access` (own credentials or the member role), one per account and region. */
export function s3ClientsFor(access: TargetAccess, make: (config: TargetClientConfig) => S3Client = (config) => new S3Client(config as S3ClientConfig)): S3Clients {
  return { s3: clientsPerTarget(access, { role: 'member' }, make) };
}
