/**
 * STS: GetCallerIdentity, and AssumeRole into a member account's role. AssumeRole succeeds only
 * when the role exists and its trust policy allows the caller: evaluated as IAM evaluates a
 * resource-based policy (iam-policy.ts), principals (the caller's role ARN, its account id or the
 * account root), explicit denies and conditions on the keys an AssumeRole request carries
 * (aws:PrincipalArn, aws:PrincipalAccount, sts:ExternalId, sts:RoleSessionName). Otherwise
 * AccessDenied as STS answers it (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 * The caller's own identity policy is checked before, like every call's (policy-enforcement.ts).
 *
 * A trust condition on any other key (aws:PrincipalOrgID, aws:SourceIdentity, a principal tag…)
 * cannot be evaluated here: AssumeRole is refused and the refusal names the key, rather than a
 * rehearsal admitting a caller that AWS might not.
 */
import type { AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import { SimulatedServiceError } from './errors';
import type { SimWorld } from './world';
import type { CallerIdentity } from './model';
import { evaluateResourcePolicy } from './iam-policy';

/** The condition keys of an AssumeRole request the simulator knows the values of (absent ones are absent in AWS too). */
const TRUST_KEYS = new Set(['aws:principalarn', 'aws:principalaccount', 'sts:externalid', 'sts:rolesessionname']);

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
      const trust = evaluateResourcePolicy(
        role.trustPolicy,
        {
          action: 'sts:AssumeRole',
          resource: role.arn,
          keys: {
            'aws:PrincipalArn': [caller.principalArn],
            'aws:PrincipalAccount': [caller.account],
            'sts:RoleSessionName': [input.RoleSessionName],
            ...(input.ExternalId !== undefined ? { 'sts:ExternalId': [input.ExternalId] } : {}),
          },
          evaluable: (key) => TRUST_KEYS.has(key.toLowerCase()),
        },
        { arn: caller.principalArn, account: caller.account },
      );
      if (trust.unevaluated.length > 0) {
        throw new SimulatedServiceError(
          'AccessDenied',
          `User: ${caller.sessionArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn} ` +
            `(the simulated account cannot evaluate the trust policy's condition on ${trust.unevaluated.join(', ')}, and refuses rather than admit a caller AWS might not)`,
          403,
        );
      }
      if (trust.deny || !(trust.direct || trust.delegated)) throw denied;
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
