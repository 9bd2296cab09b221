import { describe, expect, it } from 'vitest';
import { actionMatches, evaluatePolicies, resourceMatches } from '../../../lib/gameday/sim/iam-policy';
import type { PolicyDocument, RequestContext } from '../../../lib/gameday/sim/iam-policy';

const doc = (...Statement: PolicyDocument['Statement'][]): PolicyDocument => ({ Version: '2012-10-17', Statement: Statement.flat() });
const request = (action: string, resource: string, keys: Record<string, string[]> = {}, evaluable?: (key: string) => boolean): RequestContext => ({
  action,
  resource,
  keys,
  ...(evaluable ? { evaluable } : {}),
});

describe('IAM wildcards', () => {
  it('matches action names case-insensitively and resources case-sensitively, across colons', () => {
    expect(actionMatches('ec2:Describe*', 'ec2:describeinstances')).toBe(true);
    expect(actionMatches('ec2:Describe?nstances', 'ec2:DescribeInstances')).toBe(true);
    expect(actionMatches('ec2:Modify*', 'ec2:CreateTags')).toBe(false);
    expect(resourceMatches('arn:aws:ec2:*::snapshot/*', 'arn:aws:ec2:eu-west-1::snapshot/snap-1')).toBe(true);
    expect(resourceMatches('arn:aws:ec2:*:111122223333:instance/*', 'arn:aws:ec2:eu-west-1:111122223333:Instance/i-1')).toBe(false);
    expect(resourceMatches('arn:aws:iam::111122223333:role/*', 'arn:aws:iam::111122223333:role/path/name')).toBe(true);
  });
});

describe('evaluatePolicies', () => {
  const allowInstances = { Sid: 'ContainInstances', Effect: 'Allow', Action: ['ec2:ModifyInstanceAttribute'], Resource: 'arn:aws:ec2:*:111122223333:instance/*' } as const;

  it('allows what a statement grants and implicitly denies the rest', () => {
    expect(evaluatePolicies([doc(allowInstances)], request('ec2:ModifyInstanceAttribute', 'arn:aws:ec2:eu-west-1:111122223333:instance/i-1'))).toMatchObject({
      decision: 'allow',
      statement: 'ContainInstances',
    });
    expect(evaluatePolicies([doc(allowInstances)], request('ec2:ModifyInstanceAttribute', 'arn:aws:ec2:eu-west-1:444455556666:instance/i-1')).decision).toBe('implicit-deny');
    expect(evaluatePolicies([doc(allowInstances)], request('ec2:TerminateInstances', 'arn:aws:ec2:eu-west-1:111122223333:instance/i-1')).decision).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over any Allow, in any order', () => {
    const deny = { Sid: 'DenyChangesToFirebreakRoles', Effect: 'Deny', Action: 'iam:PutRolePolicy', Resource: 'arn:aws:iam::111122223333:role/firebreak-*' } as const;
    const allow = { Effect: 'Allow', Action: 'iam:*', Resource: '*' } as const;
    const result = evaluatePolicies([doc(allow), doc(deny)], request('iam:PutRolePolicy', 'arn:aws:iam::111122223333:role/firebreak-responder-x'));
    expect(result).toMatchObject({ decision: 'explicit-deny', statement: 'DenyChangesToFirebreakRoles' });
    expect(evaluatePolicies([doc(allow, deny)], request('iam:PutRolePolicy', 'arn:aws:iam::111122223333:role/web')).decision).toBe('allow');
  });

  it('handles NotAction and NotResource', () => {
    const notAction = { Effect: 'Deny', NotAction: 'ec2:Describe*', Resource: '*' } as const;
    expect(evaluatePolicies([doc({ Effect: 'Allow', Action: '*', Resource: '*' }, notAction)], request('ec2:DescribeInstances', '*')).decision).toBe('allow');
    expect(evaluatePolicies([doc({ Effect: 'Allow', Action: '*', Resource: '*' }, notAction)], request('ec2:CreateTags', '*')).decision).toBe('explicit-deny');
    const notResource = { Effect: 'Allow', Action: 'sns:Publish', NotResource: 'arn:aws:sns:*:*:secret-*' } as const;
    expect(evaluatePolicies([doc(notResource)], request('sns:Publish', 'arn:aws:sns:eu-west-1:1:alerts')).decision).toBe('allow');
    expect(evaluatePolicies([doc(notResource)], request('sns:Publish', 'arn:aws:sns:eu-west-1:1:secret-x')).decision).toBe('implicit-deny');
  });

  describe('conditions', () => {
    const managedOnly = {
      Effect: 'Allow',
      Action: 'ec2:RevokeSecurityGroupEgress',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
    } as const;

    it('StringEquals holds on the tag value and fails when the key is absent', () => {
      expect(evaluatePolicies([doc(managedOnly)], request('ec2:RevokeSecurityGroupEgress', '*', { 'aws:ResourceTag/firebreak:managed': ['true'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(managedOnly)], request('ec2:RevokeSecurityGroupEgress', '*', { 'aws:ResourceTag/firebreak:managed': ['false'] })).decision).toBe('implicit-deny');
      expect(evaluatePolicies([doc(managedOnly)], request('ec2:RevokeSecurityGroupEgress', '*', {})).decision).toBe('implicit-deny');
    });

    it('matches condition key names case-insensitively', () => {
      expect(evaluatePolicies([doc(managedOnly)], request('ec2:RevokeSecurityGroupEgress', '*', { 'AWS:resourcetag/firebreak:managed': ['true'] })).decision).toBe('allow');
    });

    it('negated operators hold when the key is absent; IfExists forms too', () => {
      const notEquals = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:ResourceTag/env': 'prod' } } } as const;
      expect(evaluatePolicies([doc(notEquals)], request('ec2:X', '*')).decision).toBe('allow');
      expect(evaluatePolicies([doc(notEquals)], request('ec2:X', '*', { 'aws:ResourceTag/env': ['prod'] })).decision).toBe('implicit-deny');
      const ifExists = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 'ec2:Vpc': 'arn:aws:ec2:eu-west-1:1:vpc/vpc-1' } } } as const;
      expect(evaluatePolicies([doc(ifExists)], request('ec2:X', '*')).decision).toBe('allow');
      expect(evaluatePolicies([doc(ifExists)], request('ec2:X', '*', { 'ec2:Vpc': ['arn:aws:ec2:eu-west-1:1:vpc/vpc-2'] })).decision).toBe('implicit-deny');
    });

    it('StringLike and StringNotLike use IAM wildcards', () => {
      const like = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/firebreak-*' } } } as const;
      expect(evaluatePolicies([doc(like)], request('x:Y', '*', { 'aws:PrincipalArn': ['arn:aws:iam::1:role/firebreak-q'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(like)], request('x:Y', '*', { 'aws:PrincipalArn': ['arn:aws:iam::1:role/admin'] })).decision).toBe('implicit-deny');
      const notLike = { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/firebreak-*' } } } as const;
      expect(evaluatePolicies([doc({ Effect: 'Allow', Action: '*', Resource: '*' }, notLike)], request('x:Y', '*', { 'aws:PrincipalArn': ['arn:aws:iam::1:role/admin'] })).decision).toBe('explicit-deny');
    });

    it('ForAllValues holds on an empty set; ForAnyValue needs one match', () => {
      const leading = { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'blast#*' } } } as const;
      expect(evaluatePolicies([doc(leading)], request('dynamodb:PutItem', '*', { 'dynamodb:LeadingKeys': ['blast#1', 'blast#2'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(leading)], request('dynamodb:PutItem', '*', { 'dynamodb:LeadingKeys': ['blast#1', 'quarantine#x'] })).decision).toBe('implicit-deny');
      expect(evaluatePolicies([doc(leading)], request('dynamodb:PutItem', '*', {})).decision).toBe('allow');
      const anyTag = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['firebreak:incident', 'x'] } } } as const;
      expect(evaluatePolicies([doc(anyTag)], request('ec2:CreateTags', '*', { 'aws:TagKeys': ['Name', 'firebreak:incident'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(anyTag)], request('ec2:CreateTags', '*', { 'aws:TagKeys': [] })).decision).toBe('implicit-deny');
    });

    it('ArnLike matches each ARN part on its own; ArnEquals matches an exact ARN', () => {
      const arnLike = { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/firebreak-responder-*' } } } as const;
      expect(evaluatePolicies([doc(arnLike)], request('sts:AssumeRole', '*', { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/firebreak-responder-eu-west-1-q'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(arnLike)], request('sts:AssumeRole', '*', { 'aws:PrincipalArn': ['arn:aws:iam::999999999999:role/firebreak-responder-q'] })).decision).toBe('implicit-deny');
      const arnEquals = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:1:t' } } } as const;
      expect(evaluatePolicies([doc(arnEquals)], request('x:Y', '*', { 'aws:SourceArn': ['arn:aws:sns:eu-west-1:1:t'] })).decision).toBe('allow');
    });

    it('FIDELITY (fid-iam) ArnEquals takes the per-part wildcards of ArnLike: a Deny on ArnEquals with a wildcard applies, as in AWS', () => {
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
      // lists ArnEquals and ArnLike in one row: case-sensitive, each of the six parts checked on its own, * and ? in each.
      const all = { Effect: 'Allow', Action: '*', Resource: '*' } as const;
      const denyAttackers = { Sid: 'DenyAttackerRoles', Effect: 'Deny', Action: '*', Resource: '*', Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/attacker-*' } } } as const;
      const attacker = { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/attacker-1'] };
      expect(evaluatePolicies([doc(all, denyAttackers)], request('sns:Publish', '*', attacker))).toMatchObject({ decision: 'explicit-deny', statement: 'DenyAttackerRoles' });
      expect(evaluatePolicies([doc(all, denyAttackers)], request('sns:Publish', '*', { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/firebreak-q'] })).decision).toBe('allow');
      // Its negation likewise: ArnNotEquals with a wildcard is ArnNotLike.
      const onlyFirebreak = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/attacker-*' } } } as const;
      expect(evaluatePolicies([doc(onlyFirebreak)], request('sns:Publish', '*', attacker)).decision).toBe('implicit-deny');
      // Each part on its own: a wildcard in the account part does not reach into the resource part.
      expect(evaluatePolicies([doc(all, denyAttackers)], request('sns:Publish', '*', { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:user/role/attacker-1'] })).decision).toBe('allow');
    });

    it('FIDELITY (fid-iam) policy variables take the request’s values: a Deny on ${aws:PrincipalTag/…} or a Resource naming ${aws:username} binds, as in AWS', () => {
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
      const all = { Effect: 'Allow', Action: '*', Resource: '*' } as const;
      // Before, a variable was read as literal text: this Deny (StringEquals on a variable) never applied.
      const notOwnTeam = { Sid: 'NeverStopOwnTeamsInstances', Effect: 'Deny', Action: 'ec2:StopInstances', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } } as const;
      const sameTeam = { 'aws:PrincipalTag/team': ['web'], 'aws:ResourceTag/team': ['web'] };
      expect(evaluatePolicies([doc(all, notOwnTeam)], request('ec2:StopInstances', '*', sameTeam))).toMatchObject({ decision: 'explicit-deny', statement: 'NeverStopOwnTeamsInstances' });
      // And its negation always did.
      const ownTeamOnly = { Sid: 'OnlyOwnTeamsInstances', Effect: 'Deny', Action: 'ec2:StopInstances', Resource: '*', Condition: { StringNotEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } } as const;
      const keys = (resourceTeam: string) => ({ 'aws:PrincipalTag/team': ['web'], 'aws:ResourceTag/team': [resourceTeam] });
      expect(evaluatePolicies([doc(all, ownTeamOnly)], request('ec2:StopInstances', '*', keys('payments')))).toMatchObject({ decision: 'explicit-deny', statement: 'OnlyOwnTeamsInstances' });
      expect(evaluatePolicies([doc(all, ownTeamOnly)], request('ec2:StopInstances', '*', keys('web'))).decision).toBe('allow');
      // A Resource with a variable: the caller's own user only.
      const ownKeys = { Effect: 'Allow', Action: 'iam:UpdateAccessKey', Resource: 'arn:aws:iam::111122223333:user/${aws:username}' } as const;
      expect(evaluatePolicies([doc(ownKeys)], request('iam:UpdateAccessKey', 'arn:aws:iam::111122223333:user/alice', { 'aws:username': ['alice'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(ownKeys)], request('iam:UpdateAccessKey', 'arn:aws:iam::111122223333:user/bob', { 'aws:username': ['alice'] })).decision).toBe('implicit-deny');
      // No value (a role has no aws:username): matches nothing, unless a default is given.
      expect(evaluatePolicies([doc(ownKeys)], request('iam:UpdateAccessKey', 'arn:aws:iam::111122223333:user/${aws:username}')).decision).toBe('implicit-deny');
      const withDefault = { Effect: 'Allow', Action: 'iam:UpdateAccessKey', Resource: "arn:aws:iam::111122223333:user/${aws:username, 'nobody'}" } as const;
      expect(evaluatePolicies([doc(withDefault)], request('iam:UpdateAccessKey', 'arn:aws:iam::111122223333:user/nobody')).decision).toBe('allow');
      // ${*} is a literal star, not a wildcard.
      const literalStar = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${*}' } as const;
      expect(evaluatePolicies([doc(literalStar)], request('s3:GetObject', 'arn:aws:s3:::bucket/*')).decision).toBe('allow');
      expect(evaluatePolicies([doc(literalStar)], request('s3:GetObject', 'arn:aws:s3:::bucket/secret')).decision).toBe('implicit-deny');
      // A variable whose key AWS would supply but the context cannot compute is reported, never read literally.
      const result = evaluatePolicies([doc(all, ownTeamOnly)], request('ec2:StopInstances', '*', { 'aws:ResourceTag/team': ['web'] }, (key) => key !== 'aws:PrincipalTag/team'));
      expect(result).toMatchObject({ decision: 'explicit-deny', unevaluated: ['aws:PrincipalTag/team'] });
    });

    it('Null, Bool and Numeric operators', () => {
      const mustBeAbsent = { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Null: { 'aws:RequestTag/owner': 'true' } } } as const;
      const all = { Effect: 'Allow', Action: '*', Resource: '*' } as const;
      expect(evaluatePolicies([doc(all, mustBeAbsent)], request('x:Y', '*')).decision).toBe('explicit-deny');
      expect(evaluatePolicies([doc(all, mustBeAbsent)], request('x:Y', '*', { 'aws:RequestTag/owner': ['me'] })).decision).toBe('allow');
      const secure = { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } } as const;
      expect(evaluatePolicies([doc(all, secure)], request('x:Y', '*', { 'aws:SecureTransport': ['true'] })).decision).toBe('allow');
      const small = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThanEquals: { 'ec2:VolumeSize': '100' } } } as const;
      expect(evaluatePolicies([doc(small)], request('x:Y', '*', { 'ec2:VolumeSize': ['100'] })).decision).toBe('allow');
      expect(evaluatePolicies([doc(small)], request('x:Y', '*', { 'ec2:VolumeSize': ['101'] })).decision).toBe('implicit-deny');
    });

    it('reports a key AWS would supply but the context cannot compute, instead of judging it absent', () => {
      const org = { Sid: 'AssumeFirebreakMemberRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*', Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc' } } } as const;
      const result = evaluatePolicies([doc(org)], request('sts:AssumeRole', '*', {}, (key) => key !== 'aws:ResourceOrgID'));
      expect(result).toMatchObject({ decision: 'allow', unevaluated: ['aws:ResourceOrgID'] });
    });
  });
});
