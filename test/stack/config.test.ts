import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ContextKey } from '../../lib/stack/config';
import { FirebreakConfigError, checkFirebreakProps, readFirebreakConfig } from '../../lib/stack/config';

function read(context: Partial<Record<ContextKey, unknown>>) {
  return readFirebreakConfig((key) => context[key]);
}

describe('readFirebreakConfig', () => {
  it('returns nothing for absent or null keys, so the stack defaults apply', () => {
    expect(read({})).toEqual({});
    expect(read({ protectedTagKey: null, memberRoleName: null })).toEqual({});
  });

  it('reads values from cdk.json as they are typed', () => {
    expect(
      read({
        alertEmails: ['oncall@example.com'],
        mode: 'enforce',
        forceDryRun: false,
        playbooksDir: 'my-playbooks',
        protectedInstanceIds: ['i-0123456789abcdef0'],
        protectedTagKey: 'firebreak:protected',
        memberRoleName: 'FirebreakResponder',
        organizationId: 'o-a1b2c3d4e5',
        logRetentionDays: 90,
        reservedConcurrency: 20,
      }),
    ).toEqual({
      organizationId: 'o-a1b2c3d4e5',
      alertEmails: ['oncall@example.com'],
      mode: 'enforce',
      forceDryRun: false,
      playbooksDir: 'my-playbooks',
      protectedInstanceIds: ['i-0123456789abcdef0'],
      protectedTagKey: 'firebreak:protected',
      memberRoleName: 'FirebreakResponder',
      logRetentionDays: 90,
      reservedConcurrency: 20,
    });
  });

  it('reads the strings `cdk deploy -c key=value` passes: comma lists, JSON lists, booleans and numbers', () => {
    expect(
      read({
        alertEmails: 'oncall@example.com, secops@example.com',
        protectedInstanceIds: '["i-0123456789abcdef0","i-0fedcba9876543210"]',
        forceDryRun: 'true',
        logRetentionDays: '30',
      }),
    ).toEqual({
      alertEmails: ['oncall@example.com', 'secops@example.com'],
      protectedInstanceIds: ['i-0123456789abcdef0', 'i-0fedcba9876543210'],
      forceDryRun: true,
      logRetentionDays: 30,
    });
    expect(read({ alertEmails: '' })).toEqual({ alertEmails: [] });
  });

  it('names every bad key and what it expected', () => {
    let error: unknown;
    try {
      read({ mode: 'on', alertEmails: 'not-an-address', logRetentionDays: 42, protectedInstanceIds: 'i-123' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FirebreakConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/context "mode"/);
    expect(message).toMatch(/context "alertEmails\[0\]": each entry must be an e-mail address/);
    expect(message).toMatch(/context "logRetentionDays": one of the CloudWatch Logs retention periods/);
    expect(message).toMatch(/context "protectedInstanceIds\[0\]": each entry must be an instance id/);
  });

  // Found by a new user's `cdk synth -c mode=enforced`: the message said what was expected but not
  // what was given, which for a value typed on the command line is the part to look at.
  it('says what value it was given beside what it expected', () => {
    expect(() => read({ mode: 'enforced' })).toThrow('context "mode": Invalid option: expected one of "enforce"|"dry-run", got "enforced"');
    expect(() => read({ alertEmails: 'oncall@example.com, oncall' })).toThrow(/context "alertEmails\[1\]": each entry must be an e-mail address[^;]*, got "oncall"/);
    expect(() => read({ blastRadiusMax: 101 })).toThrow(/context "blastRadiusMax": at most 100[^;]*, got 101/);
  });

  it('refuses a role name IAM would refuse', () => {
    expect(() => read({ memberRoleName: 'role/with/slashes' })).toThrow(/context "memberRoleName"/);
  });

  it('bounds the blast radius as the limiter does: 1–100 containments, a window of a minute to a week', () => {
    expect(read({ blastRadiusMax: '100', blastRadiusWindowSeconds: '60' })).toEqual({ blastRadiusMax: 100, blastRadiusWindowSeconds: 60 });
    expect(read({ blastRadiusMax: 1, blastRadiusWindowSeconds: 604_800 })).toEqual({ blastRadiusMax: 1, blastRadiusWindowSeconds: 604_800 });
    expect(() => read({ blastRadiusMax: 101 })).toThrow(/context "blastRadiusMax": at most 100/);
    expect(() => read({ blastRadiusMax: 0 })).toThrow(/context "blastRadiusMax"/);
    expect(() => read({ blastRadiusWindowSeconds: 59 })).toThrow(/context "blastRadiusWindowSeconds": at least 60 seconds/);
    expect(() => read({ blastRadiusWindowSeconds: 604_801 })).toThrow(/context "blastRadiusWindowSeconds": at most 604800 seconds/);
  });

  it('reads the security account the member-role stack trusts, as text (account ids keep their leading zeros)', () => {
    expect(read({ securityAccountId: '012345678901' })).toEqual({ securityAccountId: '012345678901' });
    expect(() => read({ securityAccountId: 12345678901 })).toThrow(/context "securityAccountId"/);
  });

  it('requires organizationId whenever memberRoleName is set, naming both', () => {
    expect(() => read({ memberRoleName: 'FirebreakResponder' })).toThrow(
      /context "organizationId": required when memberRoleName is set/,
    );
    expect(() => read({ organizationId: 'o-a1b2c3d4e5' })).toThrow(/context "organizationId": only meaningful with memberRoleName/);
    expect(() => read({ sessionRevokerRoleName: 'Revoker' })).toThrow(/context "sessionRevokerRoleName": only meaningful with memberRoleName/);
    expect(read({ memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5', sessionRevokerRoleName: 'Revoker' })).toEqual({
      memberRoleName: 'FirebreakResponder',
      organizationId: 'o-a1b2c3d4e5',
      sessionRevokerRoleName: 'Revoker',
    });
  });

  it('reads the trust settings of issue 8 as lists, from cdk.json or the command line', () => {
    expect(
      read({
        gameDayPrincipals: 'arn:aws:iam::111122223333:role/GameDay, arn:aws:iam::111122223333:role/aws-reserved/*/AWSReservedSSO_GameDay_*',
        servedAccountIds: ['222233334444'],
        securityRegions: 'eu-west-1,us-east-1',
        operationsEmails: ['platform@example.com'],
        alertSubscriberArns: ['arn:aws:iam::111122223333:user/chatops'],
        keyAdminArns: ['arn:aws:iam::111122223333:root'],
        recordVerifierArns: 'arn:aws:iam::111122223333:role/IncidentReviewer',
        privilegedRoleNamePatterns: '["*Admin*","BreakGlass"]',
      }),
    ).toEqual({
      gameDayPrincipals: ['arn:aws:iam::111122223333:role/GameDay', 'arn:aws:iam::111122223333:role/aws-reserved/*/AWSReservedSSO_GameDay_*'],
      servedAccountIds: ['222233334444'],
      securityRegions: ['eu-west-1', 'us-east-1'],
      operationsEmails: ['platform@example.com'],
      alertSubscriberArns: ['arn:aws:iam::111122223333:user/chatops'],
      keyAdminArns: ['arn:aws:iam::111122223333:root'],
      recordVerifierArns: ['arn:aws:iam::111122223333:role/IncidentReviewer'],
      privilegedRoleNamePatterns: ['*Admin*', 'BreakGlass'],
    });
  });

  it('reads the approvers (approverArns) as a list of IAM role and user ARNs, paths allowed, from cdk.json or the command line', () => {
    expect(read({ approverArns: 'arn:aws:iam::111122223333:role/teams/OnCall, arn:aws:iam::111122223333:user/alice' })).toEqual({
      approverArns: ['arn:aws:iam::111122223333:role/teams/OnCall', 'arn:aws:iam::111122223333:user/alice'],
    });
    expect(read({ approverArns: [] })).toEqual({ approverArns: [] });
    // A role's or user's unique id names that principal alone, not whatever has its name later.
    expect(read({ approverArns: ['AROAQ3EGRW6JONCALL01', 'AIDAQ3EGRW6JALICE001'] })).toEqual({ approverArns: ['AROAQ3EGRW6JONCALL01', 'AIDAQ3EGRW6JALICE001'] });
    expect(() => read({ approverArns: ['AKIAQ3EGRW6JEXAMPLE1'] })).toThrow(/context "approverArns\[0\]": each entry must be .* or a role or user unique id/);
    // Patterns, sessions and the root user are not approvers: the function compares exact role and user names.
    expect(() => read({ approverArns: ['arn:aws:iam::111122223333:role/On*'] })).toThrow(/context "approverArns\[0\]": each entry must be an IAM role or user ARN/);
    expect(() => read({ approverArns: ['arn:aws:sts::111122223333:assumed-role/OnCall/carol'] })).toThrow(/context "approverArns\[0\]"/);
    expect(() => read({ approverArns: ['arn:aws:iam::111122223333:root'] })).toThrow(/context "approverArns\[0\]"/);
    // ATTACK: one cdk.json entry that passes as a role with a path, but that FIREBREAK_APPROVER_ARNS
    // (comma-separated) gives the function back as two: another account's role among them.
    expect(() => read({ approverArns: ['arn:aws:iam::111122223333:role/x,arn:aws:iam::444455556666:role/Evil'] })).toThrow(/context "approverArns\[0\]"/);
  });

  it('refuses a unique id in another case, with a blank inside or with a session, from the command line and from props given in code (review review-pause)', () => {
    // Blanks around an entry are trimmed here, and again where the function reads FIREBREAK_APPROVER_ARNS.
    expect(read({ approverArns: ' AROAQ3EGRW6JONCALL01 , AIDAQ3EGRW6JALICE001' })).toEqual({ approverArns: ['AROAQ3EGRW6JONCALL01', 'AIDAQ3EGRW6JALICE001'] });
    expect(() => checkFirebreakProps({ approverArns: [' AROAQ3EGRW6JONCALL01 '] } as Parameters<typeof checkFirebreakProps>[0])).not.toThrow();
    for (const entry of ['aroaq3egrw6joncall01', 'AROAQ3EGRW6JONCALL01:carol', 'AROA Q3EGRW6JONCALL01', 'AROAQ3EGRW6JONCALL01,AIDAQ3EGRW6JALICE001']) {
      expect(() => read({ approverArns: [entry] }), entry).toThrow(/context "approverArns\[0\]"/);
      expect(() => checkFirebreakProps({ approverArns: [entry] } as Parameters<typeof checkFirebreakProps>[0]), entry).toThrow(/prop "approverArns\[0\]"/);
    }
  });

  it('refuses principals that are not IAM principal ARNs, account ids that are not 12 digits, and an empty key-admin list', () => {
    expect(() => read({ gameDayPrincipals: ['arn:aws:sts::111122223333:assumed-role/GameDay/alice'] })).toThrow(
      /context "gameDayPrincipals\[0\]": each entry must be an IAM principal ARN/,
    );
    expect(() => read({ gameDayPrincipals: '111122223333' })).toThrow(/context "gameDayPrincipals\[0\]"/);
    expect(() => read({ alertSubscriberArns: ['*'] })).toThrow(/context "alertSubscriberArns\[0\]"/);
    expect(() => read({ recordVerifierArns: ['*'] })).toThrow(/context "recordVerifierArns\[0\]"/);
    expect(() => read({ servedAccountIds: '1234' })).toThrow(/context "servedAccountIds\[0\]": each entry must be a 12-digit AWS account id/);
    expect(() => read({ securityRegions: ['Ireland'] })).toThrow(/context "securityRegions\[0\]": each entry must be a region name/);
    expect(() => read({ keyAdminArns: [] })).toThrow(/context "keyAdminArns": name at least one key administrator/);
    expect(() => read({ privilegedRoleNamePatterns: ['arn:aws:iam::111122223333:role/Admin'] })).toThrow(/context "privilegedRoleNamePatterns\[0\]"/);
  });

  it('reads instanceRegions (where the served accounts run instances) as region names, from cdk.json or the command line (holder-regions-setting)', () => {
    expect(read({ instanceRegions: ['eu-west-1', 'us-east-1'] }).instanceRegions).toEqual(['eu-west-1', 'us-east-1']);
    expect(read({ instanceRegions: 'eu-west-1, us-east-1' }).instanceRegions).toEqual(['eu-west-1', 'us-east-1']);
    expect(read({ instanceRegions: '["eu-west-1"]' }).instanceRegions).toEqual(['eu-west-1']);
    expect(read({}).instanceRegions).toBeUndefined();
  });

  it('refuses an instanceRegions entry that is no region name, naming it, and an empty list (holder-regions-setting)', () => {
    expect(() => read({ instanceRegions: ['eu-west-1', 'Ireland'] })).toThrow(/context "instanceRegions\[1\]": each entry must be a region name such as eu-west-1, got "Ireland"/);
    expect(() => read({ instanceRegions: 'eu-west-1,*' })).toThrow(/context "instanceRegions\[1\]": each entry must be a region name/);
    expect(() => read({ instanceRegions: [] })).toThrow(/context "instanceRegions": name at least one region/);
    expect(() => read({ instanceRegions: '' })).toThrow(/context "instanceRegions": name at least one region/);
    expect(() => checkFirebreakProps({ instanceRegions: ['eu-west-1', 'EU West'] } as Parameters<typeof checkFirebreakProps>[0])).toThrow(/prop "instanceRegions\[1\]": each entry must be a region name/);
  });

  it("tried (review-8k): instanceRegions with a trailing comma, an empty entry or an upper-case region is refused, never read as fewer regions", () => {
    expect(() => read({ instanceRegions: 'eu-west-1,' })).toThrow(/context "instanceRegions\[1\]"/);
    expect(() => read({ instanceRegions: 'eu-west-1,,us-east-1' })).toThrow(/context "instanceRegions\[1\]"/);
    expect(() => read({ instanceRegions: ['eu-west-1', ''] })).toThrow(/context "instanceRegions\[1\]"/);
    expect(() => read({ instanceRegions: 'eu-west-1,US-EAST-1' })).toThrow(/context "instanceRegions\[1\]": each entry must be a region name/);
    expect(read({ instanceRegions: [' eu-west-1 ', 'eu-west-1'] }).instanceRegions).toEqual(['eu-west-1', 'eu-west-1']);
  });

  it('reads the shipped cdk.json: every documented key parses, game days are off and no member role is configured', () => {
    const { context } = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
    const config = readFirebreakConfig((key) => context[key], Object.keys(context));
    expect(config).toMatchObject({ mode: 'dry-run', gameDayPrincipals: [], servedAccountIds: [] });
    expect(config.memberRoleName).toBeUndefined();
    expect(config.keyAdminArns).toBeUndefined();
  });
});

describe('a context key that is not one of Firebreak\'s', () => {
  // `-c alertEmail=…` for alertEmails used to synthesize a deployment that alerts nobody.
  const readKeys = (context: Record<string, unknown>) => readFirebreakConfig((key) => context[key], Object.keys(context));

  it('is refused when it is a near miss of a Firebreak key, with the key it resembles', () => {
    expect(() => readKeys({ alertEmail: 'oncall@example.com' })).toThrow(/context "alertEmail": not a Firebreak key \(did you mean 'alertEmails'\?\)/);
    expect(() => readKeys({ protectedInstanceId: 'i-0123456789abcdef0' })).toThrow(/did you mean 'protectedInstanceIds'/);
    expect(() => readKeys({ AlertEmails: 'oncall@example.com' })).toThrow(/context "AlertEmails": not a Firebreak key \(did you mean 'alertEmails'\?\)/);
    expect(() => readKeys({ Mode: 'enforce' })).toThrow(/did you mean 'mode'/);
    expect(() => readKeys({ blastRadiusMx: 3 })).toThrow(/did you mean 'blastRadiusMax'/);
  });

  it('names every near miss beside every bad value, in one error', () => {
    let error: unknown;
    try {
      readKeys({ alertEmail: 'oncall@example.com', gameDayPrincipal: 'arn:aws:iam::111122223333:role/GameDay', mode: 'on' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FirebreakConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`context "alertEmail": not a Firebreak key (did you mean 'alertEmails'?)`);
    expect(message).toContain(`context "gameDayPrincipal": not a Firebreak key (did you mean 'gameDayPrincipals'?)`);
    expect(message).toMatch(/context "mode"/);
  });

  it("is left alone when it is the CDK's own or far from every Firebreak key", () => {
    const context = {
      '@aws-cdk/aws-iam:minimizePolicies': true,
      '@aws-cdk/core:target-partitions': ['aws'],
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:enable-path-metadata': true,
      'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a'],
      'cdk-nag/some-setting': true,
      'cli-telemetry': false,
      'acknowledged-issue-numbers': [32775],
      myTeamSetting: 'anything',
      alertEmails: 'oncall@example.com',
    };
    expect(readKeys(context)).toEqual({ alertEmails: ['oncall@example.com'] });
  });
});

