/** IAM clients for responders that act in the incident's account (only `@aws-sdk/client-iam`). */
import { IAMClient } from '@aws-sdk/client-iam';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface IamClients {
  /** IAM in the incident's account (global service; region only signs the call). */
  iam(target: AwsTarget): Promise<IAMClient>;
}

/**
 * IAM clients through `access`. Responders call IAM in member accounts only to revoke role
 * sessions, which only the session-revoker role may do (lib/stack/member-role-stack.ts).
 */
export function iamClientsFor(
  access: TargetAccess,
  make: (config: TargetClientConfig) => IAMClient = (config) => new IAMClient(config),
): IamClients {
  return { iam: clientsPerTarget(access, { role: 'session-revoker', global: true }, make) };
}

/**
 * IAM clients through the member role (never the session revoker): disable-access-key reads users
 * and sets their keys' status there, under the member role's user-scoped statements.
 */
export function memberIamClientsFor(
  access: TargetAccess,
  make: (config: TargetClientConfig) => IAMClient = (config) => new IAMClient(config),
): IamClients {
  return { iam: clientsPerTarget(access, { role: 'member', global: true }, make) };
}
