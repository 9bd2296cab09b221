/**
 * The flags every `firebreak release` form shares (an instance, an S3 object), checked the same
 * way: each problem is a ReleaseSetupError naming its flag, before any AWS call.
 */
import { z } from 'zod';
import { ReleaseSetupError } from '../operator/release/errors';
import { INCIDENT_KEY_PATTERN, STATE_MACHINE_ARN_PATTERN } from '../operator/release/request';

/** The flags of `firebreak release`, as commander hands them over: `--instance`, or `--bucket/--key/--version-id/--json` (lib/cli/release-s3-object.ts). */
export interface ReleaseFlags {
  readonly instance?: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly json?: boolean;
  readonly account?: string;
  readonly region?: string;
  readonly stack: string;
  readonly stackRegion?: string;
  readonly stateMachineArn?: string;
  readonly incident?: string;
  readonly dryRun?: boolean;
  readonly watch?: boolean;
  readonly timeout: string;
  readonly reason?: string;
}

const MAX_REASON = 1000;
const region = z.string().trim().regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'a region such as eu-west-1');

/** Where the target is, where the stack is, which incident, how to run and why. */
export const RELEASE_COMMON_FLAGS = {
  account: z.string().trim().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
  region: region.optional(),
  stack: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name'),
  stackRegion: region.optional(),
  stateMachineArn: z.string().trim().regex(STATE_MACHINE_ARN_PATTERN, 'a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)').optional(),
  incident: z.string().trim().regex(INCIDENT_KEY_PATTERN, 'an incident key: letters, digits, "-" or "_", at most 64').optional(),
  dryRun: z.boolean().optional(),
  watch: z.boolean().optional(),
  timeout: z.coerce.number({ error: 'a whole number of seconds' }).int('a whole number of seconds').positive('a whole number of seconds above 0'),
  reason: z.string().trim().min(1, 'some text (or drop --reason)').max(MAX_REASON, `at most ${MAX_REASON} characters`).optional(),
};

const FLAG_NAMES: Readonly<Record<string, string>> = { stackRegion: '--stack-region', stateMachineArn: '--state-machine-arn', dryRun: '--dry-run', versionId: '--version-id' };

/**
 * Parses the flags of a manual-playbook command (release, credentials release, dns unblock) with
 * `schema`; every problem becomes one ReleaseSetupError naming its flag as typed (`names` adds the
 * command's own spellings, e.g. `--access-key`, or `DOMAIN` for an argument).
 */
export function checkFlags<T extends z.ZodType<{ readonly stackRegion?: string | undefined; readonly stateMachineArn?: string | undefined }>>(
  schema: T,
  flags: unknown,
  names: Readonly<Record<string, string>> = {},
): z.output<T> {
  const parsed = schema.safeParse(flags);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name = Object.hasOwn(names, key) ? names[key] : FLAG_NAMES[key];
      return `${name ?? `--${key}`}: expected ${issue.message}`;
    });
    throw new ReleaseSetupError(problems.join('; '));
  }
  if (parsed.data.stateMachineArn !== undefined && parsed.data.stackRegion !== undefined) {
    throw new ReleaseSetupError('--stack-region only says where to read the stack, and --state-machine-arn skips the stack: drop --stack-region');
  }
  return parsed.data;
}
