import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { camelCaseKeys, camelKey } from '../../lib/incident/case';

describe('camelKey', () => {
  it.each([
    ['InstanceDetails', 'instanceDetails'],
    ['Id', 'id'],
    ['IpAddressV4', 'ipAddressV4'],
    ['S3BucketDetails', 's3BucketDetails'],
    ['EcsClusterDetails', 'ecsClusterDetails'],
    ['ECSClusterDetails', 'ecsClusterDetails'],
    ['ID', 'id'],
    ['instanceId', 'instanceId'],
    ['detail-type', 'detail-type'],
    ['', ''],
    ['AWS::EC2::Instance', 'aws::EC2::Instance'],
  ])('%s → %s', (key, camel) => {
    expect(camelKey(key)).toBe(camel);
  });
});

describe('camelCaseKeys', () => {
  it('rewrites keys at every level, inside arrays too, and leaves values alone', () => {
    expect(camelCaseKeys({ Resource: { Tags: [{ Key: 'Name', Value: 'Web' }] } })).toEqual({
      resource: { tags: [{ key: 'Name', value: 'Web' }] },
    });
  });

  it('keeps the camelCase twin when both spellings are present, whatever the order', () => {
    expect(camelCaseKeys({ Id: 'pascal', id: 'camel' })).toEqual({ id: 'camel' });
    expect(camelCaseKeys({ id: 'camel', Id: 'pascal' })).toEqual({ id: 'camel' });
  });

  it('keeps a __proto__ key as plain data, never as the prototype', () => {
    const result = camelCaseKeys(JSON.parse('{"__proto__": {"Polluted": true}}')) as object;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stops rewriting below 32 levels and survives a cyclic object', () => {
    const cyclic: Record<string, unknown> = { Name: 'loop' };
    cyclic.Self = cyclic;
    expect(() => camelCaseKeys(cyclic)).not.toThrow();
  });

  it('is idempotent on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = camelCaseKeys(value);
        expect(camelCaseKeys(once)).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });
});
