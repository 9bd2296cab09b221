/** IAM clients for responders that act in the incident's account (only `@aws-sdk/client-iam`). */
import { IAMClient } from '@aws-sdk/client-iam';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface IamClients {
  /** IAM in the incident's account (global service; region only signs the call). */
  iam(target: AwsTarget): Promise<IAMClient>;
}

/**
 * IAM clients through `access`, for role-policy writes (and their reads): in member accounts through
 * the responder's own session-revoker role, the only one that may write role policies there
 * (lib/stack/member-role-stack.ts); its member role when it has none.
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
