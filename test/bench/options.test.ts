import { describe, expect, it } from 'vitest';
import { oldSpaceMiB, semiSpaceMiB, stormOldSpaceFlags, wholeNumberFromEnvironment } from './options';

// Found by a new user's `STORM_INSTANCES=abc npm run bench -- storm`: the storm ran with NaN sizes
// and printed "FAIL exactly NaN playbook runs", as if Firebreak had lost them.
describe('wholeNumberFromEnvironment', () => {
  it('reads a whole number, or the default when the variable is unset or empty', () => {
    expect(wholeNumberFromEnvironment({ STORM_INSTANCES: '20' }, 'STORM_INSTANCES', 1000)).toBe(20);
    expect(wholeNumberFromEnvironment({}, 'STORM_INSTANCES', 1000)).toBe(1000);
    expect(wholeNumberFromEnvironment({ STORM_INSTANCES: '' }, 'STORM_INSTANCES', 1000)).toBe(1000);
  });

  it('refuses anything else, naming the variable and what it was given', () => {
    for (const value of ['abc', '1.5', '0', '-3', '10k']) {
      expect(() => wholeNumberFromEnvironment({ STORM_INSTANCES: value }, 'STORM_INSTANCES', 1000)).toThrow(
        `STORM_INSTANCES must be a whole number from 1 (default 1000), got '${value}'`,
      );
    }
  });
});

// The storm's peak memory depends on the young generation it was started with: it prints which.
describe('semiSpaceMiB', () => {
  it('reads the flag from the arguments or NODE_OPTIONS, in either spelling', () => {
    expect(semiSpaceMiB(['--experimental-async-context-frame', '--max-semi-space-size=8', '--import', 'tsx'], undefined)).toBe(8);
    expect(semiSpaceMiB([], '--max_semi_space_size=12 --inspect')).toBe(12);
    expect(semiSpaceMiB(['--max-semi-space-size=8'], '--max-semi-space-size=32')).toBe(8);
  });

  it('is undefined when the process was started without it', () => {
    expect(semiSpaceMiB(['--import', 'tsx'], '')).toBeUndefined();
    expect(semiSpaceMiB(['--max-old-space-size=800'], undefined)).toBeUndefined();
  });
});

// The storm's peak memory depends on the old generation's limit too: npm run bench gives the default
// storm 256 MiB, a larger one none unless asked (it holds more), and STORM_OLD_SPACE_MIB=0 none.
describe('oldSpaceMiB and stormOldSpaceFlags', () => {
  it('reads --max-old-space-size as semiSpaceMiB reads its flag', () => {
    expect(oldSpaceMiB(['--max-semi-space-size=8', '--max-old-space-size=256'], undefined)).toBe(256);
    expect(oldSpaceMiB([], '--max_old_space_size=512')).toBe(512);
    expect(oldSpaceMiB(['--max-semi-space-size=8'], undefined)).toBeUndefined();
  });

  it('limits the default storm to 256 MiB, a larger one only when asked, and none with 0', () => {
    expect(stormOldSpaceFlags({})).toEqual(['--max-old-space-size=256']);
    expect(stormOldSpaceFlags({ STORM_INSTANCES: '500' })).toEqual(['--max-old-space-size=256']);
    expect(stormOldSpaceFlags({ STORM_INSTANCES: '5000' })).toEqual([]);
    expect(stormOldSpaceFlags({ STORM_INSTANCES: '5000', STORM_OLD_SPACE_MIB: '1024' })).toEqual(['--max-old-space-size=1024']);
    expect(stormOldSpaceFlags({ STORM_OLD_SPACE_MIB: '0' })).toEqual([]);
    expect(() => stormOldSpaceFlags({ STORM_OLD_SPACE_MIB: 'lots' })).toThrow("STORM_OLD_SPACE_MIB must be a whole number from 1 (default 256), got 'lots'");
  });
});
