import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS, matchesPrivilegedName, privilegedPathReason } from '../../lib/contracts/privileged-names';
import { privilegedRoleArns } from '../../lib/stack/iam-scopes';

/** IAM's match of an ARN pattern (`*` any run of characters, `/` included; case-sensitive, as ARNs are). */
const iamMatches = (pattern: string, arn: string): boolean => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`).test(arn);

const PREFIX = 'arn:aws:iam::111122223333:role/';
/** Paths and names a member account may give its roles: each pattern's word at every place of the ARN. */
const PATHS = ['/', '/ops/', '/platform-admin/', '/ops/BreakGlass/', '/aws-reserved/sso.amazonaws.com/', '/team/aws-reserved/', '/ops/stacksets-exec-payments/', '/x/AWSReservedSSO_a/', '/ci/cdk-hnb659fds-deploy/', '/a/OrganizationAccountAccessRole/', '/ok/'];
const NAMES = ['runner', 'web-server', 'AWSReservedSSO_ops', 'stacksets-exec-1', 'OrganizationAccountAccessRole', 'cdk-hnb659fds-cfn-exec-role', 'site-admin'];

describe('privilegedPathReason: the responders refuse every role the stack\'s deny names (rows 11ab, 11ad)', () => {
  it('ATTACK (rereview-operator): a role under a path whose inner folder a pattern names (role/*/stacksets-exec-*, role/*/AWSReservedSSO_*) is privileged, as IAM reads its ARN', () => {
    expect(privilegedPathReason('role', 'runner', '/ops/stacksets-exec-payments/', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBe(
      'role runner at path /ops/stacksets-exec-payments/ matches the privileged name pattern stacksets-exec-* as IAM reads its ARN (role/ops/stacksets-exec-payments/runner)',
    );
    expect(privilegedPathReason('role', 'runner', '/x/AWSReservedSSO_a/', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toMatch(/pattern AWSReservedSSO_\* as IAM reads its ARN/);
    expect(privilegedPathReason('role', 'deployer', '/ci/cdk-hnb659fds-deploy/', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toMatch(/pattern cdk-hnb659fds-\* as IAM reads its ARN/);
  });

  it('ATTACK (rereview-operator): whatever the path and name, a role the deny names (case-sensitively) is refused by its name or its path; none else by path, case aside', () => {
    const denied = privilegedRoleArns(PREFIX, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS);
    for (const path of PATHS) {
      for (const name of NAMES) {
        const arn = `${PREFIX}${path.slice(1)}${name}`;
        const iamDenies = denied.some((pattern) => iamMatches(pattern, arn));
        const refused = matchesPrivilegedName(name, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS) !== undefined || privilegedPathReason('role', name, path, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS) !== undefined;
        expect({ arn, refused }).toEqual({ arn, refused: iamDenies });
      }
    }
    // The other case of a path IAM denies is refused too (the responders match whatever the case).
    expect(privilegedPathReason('role', 'runner', '/OPS/STACKSETS-EXEC-1/', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeDefined();
    // A path that is only `/`, or none: the name alone decides.
    expect(privilegedPathReason('role', 'runner', '/', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeUndefined();
    expect(privilegedPathReason('role', 'runner', undefined, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeUndefined();
  });
});
