/**
 * Deploy-time configuration, read from CDK context (`cdk.json` or `cdk deploy -c key=value`).
 * Context values given on the command line arrive as strings, so lists accept JSON arrays or
 * comma-separated text and booleans/numbers accept their string forms. Every problem names the key.
 *
 * One schema checks both ways in: the app's context (`readFirebreakConfig`) and the props of the
 * Firebreak construct a user adds to a stack of their own (`checkFirebreakProps`), so a value the
 * app refuses is refused in a user's stack with the same words. The defaults live in
 * `FIREBREAK_DEFAULTS` (lib/stack/defaults.ts); docs/deploy.md lists the keys.
 */
import { Token } from 'aws-cdk-lib';
import { z } from 'zod';
import type { FirebreakProps } from './firebreak-props';
import { RESPONDER_MODES } from '../contracts/responder-mode';
import { ROLE_NAME_PATTERN } from './iam-scopes';
import { INSTANCE_ID_FORMAT } from '../incident/identifiers';
import { FirebreakError } from '../contracts/errors';
import { EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE } from '../contracts/security';
import { nearestByEditDistance } from '../playbooks/errors';
import { APPROVER_ENTRY_PATTERN } from '../responders/approver-allowlist';

/** The context keys Firebreak reads, in the order docs/deploy.md documents them. */
export const CONTEXT_KEYS = [
  'alertEmails',
  'mode',
  'forceDryRun',
  'playbooksDir',
  'protectedInstanceIds',
  'protectedTagKey',
  'memberRoleName',
  'memberRoleExternalId',
  'organizationId',
  'sessionRevokerRoleName',
  'securityAccountId',
  'securityRegions',
  'instanceRegions',
  'servedAccountIds',
  'gameDayPrincipals',
  'operationsEmails',
  'alertSubscriberArns',
  'keyAdminArns',
  'recordVerifierArns',
  'approverArns',
  'privilegedRoleNamePatterns',
  'dnsAllowlist',
  'logRetentionDays',
  'incidentRecordRetentionDays',
  'eventArchiveRetentionDays',
  'blastRadiusMax',
  'blastRadiusWindowSeconds',
  'reservedConcurrency',
  'containmentTargetSeconds',
  'forensicAccountId',
  'forensicKmsKeyArn',
  'forensicRoleName',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** A context value that cannot be used; names the key and what was expected. */
export class FirebreakConfigError extends FirebreakError {
  override readonly name = 'FirebreakConfigError';
}

const list = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return text === '' ? [] : text.split(',').map((item) => item.trim());
}, z.array(z.string().trim().min(1)));

const bool = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ error: 'expected true or false' }),
);

const integer = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int().positive(),
);

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy `retentionInDays`). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** An IAM principal ARN: a user, a role or an account root (never a role session), `*` allowed in the name. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|(user|role)\/[\w+=,.@/*-]+)$/;
const PRINCIPAL_ARN_MESSAGE =
  'each entry must be an IAM principal ARN such as arn:aws:iam::111122223333:role/GameDay (a role, a user or :root); ' +
  'a role session or a bare account id is not an IAM principal ARN';
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

function windowRange(input: unknown): string {
  return `blastRadiusWindowSeconds must be a whole number of seconds from 60 to 604800, got ${String(input)}`;
}

const contextSchema = z.object({
  alertEmails: list.pipe(z.array(z.string().regex(EMAIL, 'each entry must be an e-mail address'))).optional(),
  mode: z.enum(RESPONDER_MODES).optional(),
  forceDryRun: bool.optional(),
  playbooksDir: z.string().min(1).optional(),
  protectedInstanceIds: list
    .pipe(z.array(z.string().regex(INSTANCE_ID_FORMAT, 'each entry must be an instance id such as i-0123456789abcdef0')))
    .optional(),
  protectedTagKey: z.string().trim().min(1).max(128, 'EC2 tag keys have at most 128 characters').optional(),
  memberRoleName: z.string().regex(ROLE_NAME, 'an IAM role name (at most 64 of letters, digits and +=,.@_-)').optional(),
  memberRoleExternalId: z.string().regex(EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE).optional(),
  organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an organization id such as o-a1b2c3d4e5').optional(),
  sessionRevokerRoleName: z.string().regex(ROLE_NAME, 'an IAM role name (at most 64 of letters, digits and +=,.@_-)').optional(),
  // Context from the command line arrives as a string; an account id is never a number (leading zeros).
  securityAccountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id (the Firebreak security account)').optional(),
  securityRegions: list.pipe(z.array(z.string().regex(REGION, 'each entry must be a region name such as eu-west-1'))).optional(),
  // Where role-holders looks for protected instances holding a role (row 2z): unset, every enabled region.
  instanceRegions: list
    .pipe(
      z
        .array(z.string().regex(REGION, 'each entry must be a region name such as eu-west-1'))
        .min(1, 'name at least one region (omit the key to read every region enabled for the account): instanceRegions is empty'),
    )
    .optional(),
  servedAccountIds: list
    .pipe(
      z.array(
        z.string().regex(/^\d{12}$/, {
          error: (issue) => `each entry must be a 12-digit AWS account id: servedAccountIds must be 12-digit account ids, got '${String(issue.input)}'`,
        }),
      ),
    )
    .optional(),
  gameDayPrincipals: list.pipe(z.array(z.string().regex(PRINCIPAL_ARN, PRINCIPAL_ARN_MESSAGE))).optional(),
  operationsEmails: list.pipe(z.array(z.string().regex(EMAIL, 'each entry must be an e-mail address'))).optional(),
  alertSubscriberArns: list.pipe(z.array(z.string().regex(PRINCIPAL_ARN, PRINCIPAL_ARN_MESSAGE))).optional(),
  keyAdminArns: list
    .pipe(z.array(z.string().regex(PRINCIPAL_ARN, PRINCIPAL_ARN_MESSAGE)).min(1, 'name at least one key administrator (omit the key for the account root user): keyAdminArns is empty'))
    .optional(),
  recordVerifierArns: list.pipe(z.array(z.string().regex(PRINCIPAL_ARN, PRINCIPAL_ARN_MESSAGE))).optional(),
  // The approval function compares names exactly (lib/responders/approver-allowlist.ts): no pattern.
  approverArns: list
    .pipe(
      z.array(
        z
          .string()
          .regex(
            APPROVER_ENTRY_PATTERN,
            'each entry must be an IAM role or user ARN such as arn:aws:iam::111122223333:role/OnCall (a path allowed; no wildcard, role session or :root), or a role or user unique id such as AROAQ3EGRW6JONCALL01',
          ),
      ),
    )
    .optional(),
  privilegedRoleNamePatterns: list
    .pipe(z.array(z.string().regex(ROLE_NAME_PATTERN, 'each entry must be a role name, with optional * wildcards')))
    .optional(),
  // The organization's own domains: block-dns-domain never blocks them, their subdomains or their parents.
  dnsAllowlist: list
    .pipe(z.array(z.string().regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/, 'each entry must be a domain name such as example.com (no wildcard)')))
    .optional(),
  logRetentionDays: integer
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .optional(),
  // The responders refuse to start with anything else (lib/responders/incident-record.ts).
  incidentRecordRetentionDays: integer
    .pipe(z.number().min(1, 'at least 1 day').max(3650, 'at most 3650 days (ten years)'))
    .optional(),
  // EventBridge archives keep events 1 day or more (0 is "forever", which a security account's records policy should choose knowingly, not by default).
  eventArchiveRetentionDays: integer
    .pipe(z.number().min(1, 'at least 1 day').max(3650, 'at most 3650 days (ten years)'))
    .optional(),
  // One BatchGetItem reads every slot of an account: the limiter refuses more than 100.
  blastRadiusMax: integer
    .pipe(
      z.number().max(100, {
        error: (issue) =>
          `at most 100 (the blast-radius limiter reads every slot with one BatchGetItem): blastRadiusMax must be a whole number from 1 to 100, got ${String(issue.input)}`,
      }),
    )
    .optional(),
  blastRadiusWindowSeconds: integer
    .pipe(
      z
        .number()
        .min(60, { error: (issue) => `at least 60 seconds: ${windowRange(issue.input)}` })
        .max(604_800, { error: (issue) => `at most 604800 seconds (a week): ${windowRange(issue.input)}` }),
    )
    .optional(),
  reservedConcurrency: integer.optional(),
  // The time-to-containment alarm's threshold: from a finding's arrival to the instance isolated.
  containmentTargetSeconds: integer
    .pipe(
      z
        .number()
        .min(10, { error: (issue) => `at least 10 seconds: containmentTargetSeconds must be a whole number of seconds from 10 to 86400, got ${String(issue.input)}` })
        .max(86_400, { error: (issue) => `at most 86400 seconds (a day): containmentTargetSeconds must be a whole number of seconds from 10 to 86400, got ${String(issue.input)}` }),
    )
    .optional(),
  forensicAccountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id (the forensic account evidence is copied to)').optional(),
  forensicKmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'a KMS key ARN such as arn:aws:kms:eu-west-1:444455556666:key/1234abcd-… (a key id or alias is not enough: the forensic role is scoped to this ARN)')
    .optional(),
  forensicRoleName: z.string().regex(ROLE_NAME, 'an IAM role name (at most 64 of letters, digits and +=,.@_-)').optional(),
}).superRefine((config, context) => {
  // The forensic copy needs all of it, and the key must be the forensic account's own.
  if ((config.forensicAccountId === undefined) !== (config.forensicKmsKeyArn === undefined)) {
    context.addIssue({
      code: 'custom',
      path: [config.forensicAccountId === undefined ? 'forensicAccountId' : 'forensicKmsKeyArn'],
      message: 'forensicAccountId and forensicKmsKeyArn go together: set both (the account evidence is copied to and its key) or neither',
    });
  }
  const keyAccount = config.forensicKmsKeyArn?.split(':')[4];
  if (config.forensicAccountId !== undefined && keyAccount !== undefined && keyAccount !== config.forensicAccountId) {
    context.addIssue({
      code: 'custom',
      path: ['forensicKmsKeyArn'],
      message: `the key must belong to the forensic account ${config.forensicAccountId}, got a key of account ${keyAccount}`,
    });
  }
  // Copies in a served account stay within reach of whoever controls it (copy-evidence refuses an incident of its own forensic account).
  if (config.forensicAccountId !== undefined && config.servedAccountIds?.includes(config.forensicAccountId) === true) {
    context.addIssue({
      code: 'custom',
      path: ['forensicAccountId'],
      input: config.forensicAccountId,
      message: `forensicAccountId ${config.forensicAccountId} is also in servedAccountIds: the forensic account must be an account of its own, out of reach of the accounts whose evidence it keeps`,
    });
  }
  // The forensic account is never served (unservedAccountReason, row 1n), and the security account's
  // own incidents would all be alerted only: an evidence vault that is Firebreak's own account is
  // refused here, where the security account is known (deployed without it, see docs/deploy.md).
  if (config.forensicAccountId !== undefined && config.forensicAccountId === config.securityAccountId) {
    context.addIssue({
      code: 'custom',
      path: ['forensicAccountId'],
      input: config.forensicAccountId,
      message: `forensicAccountId ${config.forensicAccountId} is the securityAccountId: the forensic account must be an account of its own (Firebreak never acts in it, so every incident of the security account would be alerted only)`,
    });
  }
  if (config.forensicRoleName !== undefined && config.forensicAccountId === undefined) {
    context.addIssue({ code: 'custom', path: ['forensicRoleName'], message: 'only meaningful with forensicAccountId: forensicRoleName is set but forensicAccountId is not' });
  }
  // Without the organization id, nothing confines the member-role grant (aws:ResourceOrgID) to the
  // organization's accounts: a forged event naming an outside account would send responders there.
  if (config.memberRoleName !== undefined && config.organizationId === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['organizationId'],
      message:
        'required when memberRoleName is set (memberRoleName is set but organizationId is not): member roles are assumed only in the organization (o-…) named here, which confines sts:AssumeRole to its accounts',
    });
  }
  for (const key of ['organizationId', 'memberRoleExternalId', 'sessionRevokerRoleName'] as const) {
    if (config[key] !== undefined && config.memberRoleName === undefined) {
      context.addIssue({
        code: 'custom',
        path: [key],
        message: `only meaningful with memberRoleName: ${key} is set but memberRoleName is not; set both or neither`,
      });
    }
  }
  if (config.mode === 'enforce' && config.forceDryRun === true) {
    context.addIssue({
      code: 'custom',
      path: ['forceDryRun'],
      message: 'mode "enforce" and forceDryRun true contradict each other; drop forceDryRun to enforce, or set mode "dry-run"',
    });
  }
});

/** The configuration as read; absent keys take the stack's defaults. */
export type FirebreakConfig = z.output<typeof contextSchema>;

/** `, got <value>` for a value that was given (short, as JSON), or nothing for an absent one. */
function givenValue(input: unknown): string {
  if (input === undefined) return '';
  const text = JSON.stringify(input) ?? String(input);
  return `, got ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`;
}

/** Checks `raw` against the schema; throws one FirebreakConfigError naming every bad key as `<label> "<key>"`, after `earlier` problems. */
function parseSettings(raw: Record<string, unknown>, label: string, what: string, earlier: readonly string[] = []): FirebreakConfig {
  // reportInput: a value typed on the command line (-c mode=enforced) is what a person looks at first.
  const parsed = contextSchema.safeParse(raw, { reportInput: true });
  if (parsed.success && earlier.length === 0) return parsed.data;
  const problems = (parsed.success ? [] : parsed.error.issues).map((issue) => {
    const [key, ...rest] = issue.path.map(String);
    const at = rest.length > 0 ? `${key}[${rest.join('.')}]` : key;
    return `${label} "${at}": ${issue.message}${givenValue(issue.input)}`;
  });
  throw new FirebreakConfigError(`Invalid Firebreak ${what}: ${[...earlier, ...problems].join('; ')}`, parsed.success ? {} : { cause: parsed.error });
}

/**
 * The Firebreak key a context key is a near miss of, if any: the same key in other case, or one or
 * two edits away (one for the short keys, where two edits reach unrelated words). The CDK's own
 * keys (feature flags `@aws-cdk/…`, `aws:cdk:…`, lookups `availability-zones:…`, anything with
 * `:`, `@` or `/`) and keys far from every Firebreak key are other tools' settings, never ours.
 */
export function misspeltContextKey(key: string): ContextKey | undefined {
  if ((CONTEXT_KEYS as readonly string[]).includes(key) || /[:@/]/.test(key)) return undefined;
  const best = nearestByEditDistance(key, CONTEXT_KEYS);
  if (best === undefined) return undefined;
  const allowed = Math.min(key.length, best.name.length) < 6 ? 1 : 2;
  return best.distance <= allowed ? best.name : undefined;
}

/**
 * Reads and checks every Firebreak context key through `getContext` (e.g.
 * `(key) => app.node.tryGetContext(key)`); throws one FirebreakConfigError naming every bad key.
 * `presentKeys` (every context key set, e.g. `Object.keys(app.node.getAllContext())`) are checked
 * for near misses of Firebreak's keys: a misspelt key would otherwise be ignored, and
 * `-c alertEmail=…` deploy a stack that alerts nobody.
 */
export function readFirebreakConfig(getContext: (key: ContextKey) => unknown, presentKeys: readonly string[] = []): FirebreakConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = getContext(key);
    // `cdk.json` may carry a key with a null value to document it without setting it.
    if (value !== undefined && value !== null) raw[key] = value;
  }
  const misspelt = presentKeys.flatMap((key) => {
    const meant = misspeltContextKey(key);
    return meant === undefined ? [] : [`context "${key}": not a Firebreak key (did you mean '${meant}'?); a key Firebreak does not know is otherwise ignored`];
  });
  return parseSettings(raw, 'context', 'configuration', misspelt);
}

/**
 * Checks the props of the Firebreak construct with the same schema as the app's context (the
 * playbooks are checked where they are loaded); throws one FirebreakConfigError naming every bad
 * prop. Values that are unresolved tokens (known only at deploy time) are left to CloudFormation.
 */
export function checkFirebreakProps(props: FirebreakProps): void {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = (props as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) raw[key] = value.filter((entry) => !Token.isUnresolved(entry));
    else if (!Token.isUnresolved(value)) raw[key] = value;
  }
  parseSettings(raw, 'prop', 'props');
}
