import { describe, expect, it } from 'vitest';
import {
  cloudWatchAlarmLink,
  consoleLinks,
  consoleOrigin,
  ec2InstanceLink,
  executionLink,
  guardDutyFindingLink,
  partitionOfRegion,
  s3ObjectLink,
} from '../../lib/responders/console-links';

describe('partitionOfRegion', () => {
  it.each([
    ['eu-west-1', 'aws'],
    ['ap-southeast-5', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', undefined],
  ])('puts %s in %s', (region, partition) => {
    expect(partitionOfRegion(region)).toBe(partition);
  });
});

describe('console links', () => {
  it('use the regional console host in the commercial partition', () => {
    expect(consoleOrigin('eu-west-1')).toBe('https://eu-west-1.console.aws.amazon.com');
    expect(ec2InstanceLink('eu-west-1', 'i-0abc1234def567890')).toBe(
      'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc1234def567890',
    );
  });

  it('use the China console host for cn- regions', () => {
    expect(guardDutyFindingLink('cn-north-1', 'abc123')).toBe(
      'https://console.amazonaws.cn/guardduty/home?region=cn-north-1#/findings?macros=current&fId=abc123',
    );
  });

  it('use the GovCloud console host for us-gov- regions', () => {
    expect(ec2InstanceLink('us-gov-west-1', 'i-0abc1234def567890')).toBe(
      'https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#InstanceDetails:instanceId=i-0abc1234def567890',
    );
  });

  it('build no link where there is no public console', () => {
    expect(ec2InstanceLink('us-iso-east-1', 'i-0abc1234def567890')).toBeUndefined();
  });

  it('take the execution region and partition from its ARN, not from the finding', () => {
    const arn = 'arn:aws-us-gov:states:us-gov-east-1:999988887777:execution:firebreak-pb:gd-1';
    expect(executionLink(arn)).toBe(`https://console.amazonaws-us-gov.com/states/home?region=us-gov-east-1#/v2/executions/details/${arn}`);
    expect(executionLink('not-an-arn')).toBeUndefined();
  });

  it('escape characters an id should never hold instead of letting them break the URL', () => {
    expect(guardDutyFindingLink('eu-west-1', 'a b#c')).toContain('fId=a%20b%23c');
  });

  // The region becomes part of the link's host: text that is not a Region code must never make a
  // link to another host (an execution ARN is a claim of the input like the rest).
  it('build no link from a region that is not a Region code, wherever it comes from', () => {
    expect(consoleOrigin('evil.example/x#')).toBeUndefined();
    expect(ec2InstanceLink('attacker.example?', 'i-0abc1234def567890')).toBeUndefined();
    expect(executionLink('arn:aws:states:evil.example/x#:111122223333:execution:firebreak-pb:gd-1')).toBeUndefined();
    expect(consoleLinks({ region: 'eu-west-1.evil.example', findingId: 'f1', executionArn: 'arn:aws:states:@evil:1:execution:a:b' })).toEqual([]);
  });

  // encodeURIComponent throws URIError on a lone surrogate, which JSON text can carry as an escape:
  // the alert must still go out.
  it('encode a lone surrogate or an astral character in any linked text instead of throwing', () => {
    expect(guardDutyFindingLink('eu-west-1', 'f\uD800x')).toContain('fId=f%EF%BF%BDx');
    expect(ec2InstanceLink('eu-west-1', '\uDC00')).toContain('instanceId=%EF%BF%BD');
    expect(executionLink('arn:aws:states:eu-west-1:111122223333:execution:firebreak-pb:x\uD83D\uDE00y\uD83D')).toBe(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:111122223333:execution:firebreak-pb:x%F0%9F%98%80y%EF%BF%BD',
    );
  });

  it('lists only the links that can be built, finding first', () => {
    expect(consoleLinks({ region: 'eu-west-1', findingId: 'f1', instanceId: 'i-0abc1234def567890' }).map((l) => l.label)).toEqual([
      'GuardDuty finding',
      'EC2 instance',
    ]);
    expect(consoleLinks({ region: 'eu-west-1', alarmName: 'cpu high' })).toEqual([
      { label: 'CloudWatch alarm', url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/cpu%20high' },
    ]);
    expect(consoleLinks({})).toEqual([]);
  });
});

describe('console links of attacker-chosen ids and names', () => {
  // Held: every text part is percent-encoded (or, in an execution ARN, everything an ARN never
  // holds), so no finding id, alarm name, object key or execution name leads anywhere but the
  // console, or ends the link early where mail and chat clients stop reading one.
  it('tried (review-alerts): no finding id, alarm name, object key or execution name moves a link off the console or ends it early', () => {
    const texts = ['@evil.example.com', '//evil.example.com/x', '\\\\evil.example.com', 'a b|<https://evil.example.com|approve>', 'x\u2028y\u0085z', '%2F%2Fevil.com', 'a>b"c`d', 'i-0abc1234def567890\u202E'];
    for (const text of texts) {
      const links = [
        guardDutyFindingLink('eu-west-1', text),
        cloudWatchAlarmLink('eu-west-1', text),
        s3ObjectLink('eu-west-1', 'bucket', text),
        executionLink(`arn:aws:states:eu-west-1:111122223333:execution:firebreak-pb:${text}`),
      ];
      for (const link of links) {
        expect(new URL(link!).host, text).toBe('eu-west-1.console.aws.amazon.com');
        expect(link, text).toMatch(/^[\x21-\x7e]+$/);
        expect(link, text).not.toMatch(/[<>|"`\\]/);
      }
    }
  });
});
