/**
 * How a Lambda entry point reaches the incident's account, from its environment: through the
 * member role when `FIREBREAK_MEMBER_ROLE_NAME` is set (with optionally
 * `FIREBREAK_MEMBER_ROLE_EXTERNAL_ID` and FIREBREAK_SESSION_REVOKER_ROLE_NAME), otherwise with the
 * function's own credentials for the security account only. Either way only the served accounts
 * (`requireServedAccounts`) get a client; FIREBREAK_SECURITY_ACCOUNT_ID is required.
 */
import * as z from '../../contracts/zod-mini';
import { DEPLOYMENT_ENV } from '../../contracts/environment';
import type { ServedAccounts } from '../../contracts/security';
import { SECURITY_ENV } from '../../contracts/security';
import type { TargetAccess } from './access';
import { SameAccountAccess, ServedAccountAccess, homeRegionFromEnvironment, requireServedAccounts } from './access';
import type { MemberRoleAccessOptions } from './member-role';
import { ACCOUNT_ID, MemberRoleAccess } from './member-role';

const nonEmpty = () => z.string().check(z.minLength(1));

const environmentSchema = z.object({
  AWS_REGION: z._default(nonEmpty(), 'us-east-1'),
  AWS_LAMBDA_FUNCTION_NAME: z.optional(nonEmpty()),
  [SECURITY_ENV.memberRoleName]: z.optional(nonEmpty()),
  [SECURITY_ENV.securityAccountId]: z.optional(
    z.string().check(z.regex(ACCOUNT_ID, `${SECURITY_ENV.securityAccountId} must be a 12-digit account id`)),
  ),
  [DEPLOYMENT_ENV.memberRoleExternalId]: z.optional(nonEmpty()),
  [SECURITY_ENV.sessionRevokerRoleName]: z.optional(nonEmpty()),
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
  const memberRoleName = config[SECURITY_ENV.memberRoleName];
  if (memberRoleName !== undefined && config[SECURITY_ENV.securityAccountId] === undefined) {
    throw new TypeError(
      `${SECURITY_ENV.memberRoleName} is set but ${SECURITY_ENV.securityAccountId} is not: the responder cannot tell its own account from member accounts`,
    );
  }
  const served = requireServedAccounts(env);
  if (memberRoleName === undefined) return { homeRegion: config.AWS_REGION, served };
  const sessionRevokerRoleName = config[SECURITY_ENV.sessionRevokerRoleName];
  const externalId = config[DEPLOYMENT_ENV.memberRoleExternalId];
  return {
    homeRegion: config.AWS_REGION,
    served,
    memberRole: {
      securityAccountId: served.securityAccountId,
      memberRoleName,
      homeRegion: config.AWS_REGION,
      ...(externalId !== undefined ? { externalId } : {}),
      ...(sessionRevokerRoleName !== undefined ? { sessionRevokerRoleName } : {}),
      ...(config.AWS_LAMBDA_FUNCTION_NAME !== undefined ? { sessionName: config.AWS_LAMBDA_FUNCTION_NAME } : {}),
    },
  };
}

/**
 * copy-evidence's access to the forensic account (where the copies go): `roleName` there, assumed
 * with the function's own credentials, with `externalId` when the deployment has one (the
 * ForensicRoleStack's trust then requires it, as the member roles' does).
 */
export function forensicAccessFromEnvironment(
  role: { readonly roleName: string; readonly externalId?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): MemberRoleAccess {
  return new MemberRoleAccess({
    securityAccountId: env[SECURITY_ENV.securityAccountId] ?? '',
    memberRoleName: role.roleName,
    homeRegion: homeRegionFromEnvironment(env),
    sessionName: 'copy-evidence',
    ...(role.externalId !== undefined ? { externalId: role.externalId } : {}),
  });
}

/** The served accounts' access a Lambda's clients use (member role or own credentials, see the module comment). */
export function targetAccessFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): ServedAccountAccess {
  const read = readAccessEnvironment(env);
  const inner: TargetAccess = read.memberRole ? new MemberRoleAccess(read.memberRole) : new SameAccountAccess(read.homeRegion);
  return new ServedAccountAccess(inner, read.served);
}
