/**
 * STS: GetCallerIdentity, and AssumeRole into a member account's role. AssumeRole succeeds only
 * when the role exists, its trust policy names the caller (its role ARN, its account id or the
 * account root) and the ExternalId condition, when there is one, holds; otherwise AccessDenied as
 * STS answers it (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 */
import type { AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import { SimulatedServiceError } from './errors';
import type { SimWorld } from './world';
import type { CallerIdentity } from './model';

export type IssueCredentials = (identity: CallerIdentity, expiresAt: number | undefined) => {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
};

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export function stsHandlers(world: SimWorld, issue: IssueCredentials): Record<string, ApiHandler> {
  return {
    /** https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html */
    GetCallerIdentity(call) {
      return { UserId: call.caller.userId, Account: call.caller.account, Arn: call.caller.sessionArn };
    },

    AssumeRole(call) {
      const input = inputOf<AssumeRoleCommandInput>(call);
      if (!input.RoleArn) throw new SimulatedServiceError('ValidationError', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null", 400);
      if (!input.RoleSessionName || !SESSION_NAME.test(input.RoleSessionName)) {
        throw new SimulatedServiceError(
          'ValidationError',
          `1 validation error detected: Value '${String(input.RoleSessionName)}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
          400,
        );
      }
      const duration = input.DurationSeconds ?? 3600;
      if (duration < 900 || duration > 3600) {
        throw new SimulatedServiceError(
          'ValidationError',
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
          400,
        );
      }
      const denied = new SimulatedServiceError(
        'AccessDenied',
        `User: ${call.caller.sessionArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
        403,
      );
      const role = world.roles.get(input.RoleArn);
      if (!role) throw denied;
      const caller = call.caller;
      const trusted = role.trustedPrincipals.some(
        (p) => p === caller.principalArn || p === caller.account || p === `arn:aws:iam::${caller.account}:root`,
      );
      if (!trusted) throw denied;
      if (role.requiredExternalId !== undefined && input.ExternalId !== role.requiredExternalId) throw denied;
      const expiresAt = world.now() + duration * 1000;
      const identity: CallerIdentity = {
        account: role.account,
        principalArn: role.arn,
        sessionArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${input.RoleSessionName}`,
        userId: `${role.id}:${input.RoleSessionName}`,
      };
      const credentials = issue(identity, expiresAt);
      return {
        Credentials: {
          AccessKeyId: credentials.accessKeyId,
          SecretAccessKey: credentials.secretAccessKey,
          SessionToken: credentials.sessionToken,
          Expiration: new Date(expiresAt),
        },
        AssumedRoleUser: { AssumedRoleId: identity.userId, Arn: identity.sessionArn },
        PackedPolicySize: 0,
      };
    },
  };
}
