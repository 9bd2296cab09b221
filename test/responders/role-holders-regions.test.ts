/** instanceRegionsOf (row 2z): FIREBREAK_INSTANCE_REGIONS read as the regions to search, or the step fails. */
import { describe, expect, it } from 'vitest';
import { instanceRegionsOf } from '../../lib/responders/role-holders';

const of = (value: string | undefined) => instanceRegionsOf({ FIREBREAK_INSTANCE_REGIONS: value });

describe('instanceRegionsOf', () => {
  it('tried (review-8k): whitespace and duplicates name the same regions; a trailing comma, an empty entry, an upper-case or a multi-line value fail the step', () => {
    expect(of(undefined)).toBeUndefined();
    expect(of(' eu-west-1 , us-east-1,eu-west-1\n')).toEqual(['eu-west-1', 'us-east-1']);
    expect(of('eu-west-1\u00a0')).toEqual(['eu-west-1']);
    for (const value of ['', 'eu-west-1,', ',eu-west-1', 'eu-west-1,,us-east-1', 'EU-WEST-1', 'eu-west-1\nus-east-1', 'eu-west-1 us-east-1']) {
      expect(() => of(value), JSON.stringify(value)).toThrow(/FIREBREAK_INSTANCE_REGIONS holds /);
    }
  });
});
