import { describe, expect, it } from 'vitest';
import { propertySeed } from './property-seed';

describe('propertySeed', () => {
  it('replays the seed a previous run printed, negative ones included', () => {
    expect(propertySeed({ FIREBREAK_FC_SEED: '1234567' })).toBe(1234567);
    expect(propertySeed({ FIREBREAK_FC_SEED: '-2147483648' })).toBe(-2147483648);
  });

  it('draws a 32-bit integer when none is given', () => {
    const seed = propertySeed({});
    expect(Number.isInteger(seed) && seed >= -0x8000_0000 && seed <= 0x7fff_ffff).toBe(true);
  });

  it('refuses a seed that is not a 32-bit integer, naming the variable, rather than run unseeded', () => {
    for (const bad of ['abc', '1.5', '4294967296', '12e3']) {
      expect(() => propertySeed({ FIREBREAK_FC_SEED: bad })).toThrow(/FIREBREAK_FC_SEED=.*expected a 32-bit integer/);
    }
  });
});
