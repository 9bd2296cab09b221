/**
 * The containment guard's deploy-time configuration, read from its Lambda environment (written by
 * the stack, never taken from an input): protected instances, blast radius, state table, the
 * deployment's identity and every playbook's rails.
 */
import * as z from '../contracts/zod-mini';
import { requireServedAccounts } from '../aws/clients/access';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { SECURITY_ENV } from '../contracts/security';
import { DEFAULT_BLAST_RADIUS_POLICY, assertBlastRadiusPolicy } from './blast-radius';
import { INSTANCE_ID_FORMAT } from '../incident/identifiers';
import type { ContainmentGuardConfig } from './containment-guard-model';

const positiveInteger = (name: string, fallback: number) =>
  z.pipe(
    z.optional(z.pipe(z.string().check(z.trim(), z.regex(/^\d+$/, `${name} must be a whole number`)), z.transform(Number))),
    z.transform((value: number | undefined) => value ?? fallback),
  );

/** An optional name, trimmed; blank counts as unset. */
const optionalName = (...checks: z.core.$ZodCheck<string>[]) =>
  z.pipe(
    z.optional(z.string().check(z.trim(), ...checks)),
    z.transform((name: string | undefined) => (name === '' ? undefined : name)),
  );

/** One playbook's rails as the stack writes them (lib/contracts/security.ts PlaybookRails). */
export const playbookRailsSchema = z.strictObject({
  approvalRequired: z.boolean(),
  onTimeout: z.enum(['evidence-only', 'contain']),
  timeoutSeconds: z.number().check(z.int(), z.positive()),
  kind: z.enum(['contain', 'release']),
  grantScope: z.optional(z.literal('one-credential')),
  mode: z.optional(z.literal('dry-run')),
  manualRequest: z.optional(z.array(z.enum(['requestedBy', 'reason', 'dnsUnblock']))),
  releasesInstances: z.optional(z.literal(true)),
  liftsDnsBlocks: z.optional(z.literal(true)),
  releasesObjects: z.optional(z.literal(true)),
  disablesKeysOnly: z.optional(z.literal(true)),
  blocksDns: z.optional(z.literal(true)),
  renewsRoleSessions: z.optional(z.literal(true)),
});

const guardEnvironmentSchema = z.object({
  // A misspelt id would silently unprotect an instance, so every id must look like one.
  [DEPLOYMENT_ENV.protectedInstanceIds]: z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((list: string | undefined) => (list ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '')),
    ),
    z.array(z.string().check(z.regex(INSTANCE_ID_FORMAT, 'each protected instance id must look like i-0123456789abcdef0'))),
  ),
  [DEPLOYMENT_ENV.protectedTagKey]: optionalName(z.maxLength(128, `${DEPLOYMENT_ENV.protectedTagKey}: EC2 tag keys have at most 128 characters`)),
  [DEPLOYMENT_ENV.blastRadiusMax]: positiveInteger(DEPLOYMENT_ENV.blastRadiusMax, DEFAULT_BLAST_RADIUS_POLICY.maxContainments),
  [DEPLOYMENT_ENV.blastRadiusWindowSeconds]: positiveInteger(
    DEPLOYMENT_ENV.blastRadiusWindowSeconds,
    DEFAULT_BLAST_RADIUS_POLICY.windowSeconds,
  ),
  [DEPLOYMENT_ENV.stateTable]: optionalName(),
  [SECURITY_ENV.stackName]: optionalName(),
  AWS_REGION: z.optional(z.string().check(z.trim(), z.minLength(1))),
  [SECURITY_ENV.playbookRails]: z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((text: string | undefined, context) => {
        if (text === undefined || text.trim() === '') return {};
        try {
          return JSON.parse(text) as unknown;
        } catch {
          context.issues.push({ code: 'custom', message: `${SECURITY_ENV.playbookRails} is not JSON`, input: text });
          return z.NEVER;
        }
      }),
    ),
    z.record(z.string().check(z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)), playbookRailsSchema),
  ),
});

/**
 * Reads the rails' configuration from the Lambda environment (FIREBREAK_PROTECTED_INSTANCE_IDS,
 * FIREBREAK_PROTECTED_TAG_KEY, FIREBREAK_BLAST_RADIUS_MAX (5), FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS
 * (3600), FIREBREAK_STATE_TABLE, FIREBREAK_SECURITY_ACCOUNT_ID and the served accounts, AWS_REGION,
 * FIREBREAK_STACK_NAME, FIREBREAK_PLAYBOOK_RAILS, FIREBREAK_MODE); throws a TypeError naming every
 * bad variable.
 */
export function readContainmentGuardConfig(env: NodeJS.ProcessEnv = process.env): ContainmentGuardConfig {
  const parsed = guardEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new TypeError(`Invalid containment-guard configuration: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const values = parsed.data;
  const blastRadius = {
    maxContainments: values[DEPLOYMENT_ENV.blastRadiusMax],
    windowSeconds: values[DEPLOYMENT_ENV.blastRadiusWindowSeconds],
  };
  try {
    assertBlastRadiusPolicy(blastRadius);
  } catch (error) {
    throw new TypeError(
      `Invalid containment-guard configuration: ${DEPLOYMENT_ENV.blastRadiusMax} / ${DEPLOYMENT_ENV.blastRadiusWindowSeconds}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // Served accounts need the security account id; without it, no execution verifies either.
  const servedAccounts = env[SECURITY_ENV.securityAccountId] !== undefined ? requireServedAccounts(env) : undefined;
  return {
    protectedInstanceIds: values[DEPLOYMENT_ENV.protectedInstanceIds],
    ...(values[DEPLOYMENT_ENV.protectedTagKey] !== undefined ? { protectedTagKey: values[DEPLOYMENT_ENV.protectedTagKey] } : {}),
    blastRadius,
    ...(values[DEPLOYMENT_ENV.stateTable] !== undefined ? { stateTable: values[DEPLOYMENT_ENV.stateTable] } : {}),
    ...(servedAccounts !== undefined ? { servedAccounts, securityAccountId: servedAccounts.securityAccountId } : {}),
    ...(values.AWS_REGION !== undefined ? { region: values.AWS_REGION } : {}),
    ...(values[SECURITY_ENV.stackName] !== undefined ? { stackName: values[SECURITY_ENV.stackName] } : {}),
    rails: values[SECURITY_ENV.playbookRails],
    environment: env,
  };
}
