/**
 * How a Lambda entry point reaches the incident's account, from its environment: through the
 * member role when `FIREBREAK_MEMBER_ROLE_NAME` is set (with optionally
 * `FIREBREAK_MEMBER_ROLE_EXTERNAL_ID` and FIREBREAK_SESSION_REVOKER_ROLE_NAME), otherwise with the
 * function's own credentials for the security account only. Either way only the served accounts
 * (`requireServedAccounts`) get a client; FIREBREAK_SECURITY_ACCOUNT_ID is required.
 */
import * as z from 'zod';
import type { ServedAccounts } from '../../contracts/security';
import { SECURITY_ENV } from '../../contracts/security';
import type { TargetAccess } from './access';
import { SameAccountAccess, ServedAccountAccess, requireServedAccounts } from './access';
import type { MemberRoleAccessOptions } from './member-role';
import { ACCOUNT_ID, MemberRoleAccess } from './member-role';

const environmentSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_LAMBDA_FUNCTION_NAME: z.string().min(1).optional(),
  FIREBREAK_MEMBER_ROLE_NAME: z.string().min(1).optional(),
  FIREBREAK_SECURITY_ACCOUNT_ID: z
    .string()
    .regex(ACCOUNT_ID, 'FIREBREAK_SECURITY_ACCOUNT_ID must be a 12-digit account id')
    .optional(),
  FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: z.string().min(1).optional(),
  [SECURITY_ENV.sessionRevokerRoleName]: z.string().min(1).optional(),
});

/** What the environment says about reaching accounts: the home region, the served accounts, the member role if any. */
export interface AccessEnvironment {
  readonly homeRegion: string;
  readonly served: ServedAccounts;
  /** Set when member accounts are reached through the member role. */
  readonly memberRole?: MemberRoleAccessOptions;
}

/** Reads the access configuration of a Lambda's environment; throws a TypeError naming every problem. */
export function readAccessEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): AccessEnvironment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new TypeError(`Invalid Firebreak environment: ${z.prettifyError(parsed.error)}`);
  }
  const config = parsed.data;
  if (config.FIREBREAK_MEMBER_ROLE_NAME !== undefined && config.FIREBREAK_SECURITY_ACCOUNT_ID === undefined) {
    throw new TypeError(
      'FIREBREAK_MEMBER_ROLE_NAME is set but FIREBREAK_SECURITY_ACCOUNT_ID is not: the responder cannot tell its own account from member accounts',
    );
  }
  const served = requireServedAccounts(env);
  if (config.FIREBREAK_MEMBER_ROLE_NAME === undefined) return { homeRegion: config.AWS_REGION, served };
  const sessionRevokerRoleName = config[SECURITY_ENV.sessionRevokerRoleName];
  return {
    homeRegion: config.AWS_REGION,
    served,
    memberRole: {
      securityAccountId: served.securityAccountId,
      memberRoleName: config.FIREBREAK_MEMBER_ROLE_NAME,
      homeRegion: config.AWS_REGION,
      ...(config.FIREBREAK_MEMBER_ROLE_EXTERNAL_ID !== undefined ? { externalId: config.FIREBREAK_MEMBER_ROLE_EXTERNAL_ID } : {}),
      ...(sessionRevokerRoleName !== undefined ? { sessionRevokerRoleName } : {}),
      ...(config.AWS_LAMBDA_FUNCTION_NAME !== undefined ? { sessionName: config.AWS_LAMBDA_FUNCTION_NAME } : {}),
    },
  };
}

/** The served accounts' access a Lambda's clients use (member role or own credentials, see the module comment). */
export function targetAccessFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): ServedAccountAccess {
  const read = readAccessEnvironment(env);
  const inner: TargetAccess = read.memberRole ? new MemberRoleAccess(read.memberRole) : new SameAccountAccess(read.homeRegion);
  return new ServedAccountAccess(inner, read.served);
}
