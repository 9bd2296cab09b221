import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTIVE_FINDING_TYPES,
  findingTypesMatching,
  KNOWN_FINDING_TYPES,
  RETIRED_FINDING_TYPES,
} from '../../lib/playbooks/finding-types';
import { firstMatchingGlob, globsOverlap, matchesAnyGlob, matchesGlob } from '../../lib/playbooks/glob';

describe('matchesGlob', () => {
  it('lets * match any run of characters, including none', () => {
    expect(matchesGlob('Backdoor:EC2/*', 'Backdoor:EC2/C&CActivity.B!DNS')).toBe(true);
    expect(matchesGlob('Backdoor:EC2/*', 'Backdoor:EC2/')).toBe(true);
    expect(matchesGlob('*BruteForce', 'UnauthorizedAccess:EC2/SSHBruteForce')).toBe(true);
    expect(matchesGlob('*', '')).toBe(true);
  });

  it('treats every other character literally, so . ! & ? and brackets are not patterns', () => {
    expect(matchesGlob('Trojan:EC2/DropPoint!DNS', 'Trojan:EC2/DropPoint!DNS')).toBe(true);
    expect(matchesGlob('CryptoCurrency:EC2/BitcoinTool.B', 'CryptoCurrency:EC2/BitcoinToolxB')).toBe(false);
    expect(matchesGlob('a?c', 'abc')).toBe(false);
    expect(matchesGlob('[ab]', 'a')).toBe(false);
    expect(matchesGlob('[ab]', '[ab]')).toBe(true);
  });

  it('is case-sensitive and anchored at both ends', () => {
    expect(matchesGlob('backdoor:EC2/*', 'Backdoor:EC2/Spambot')).toBe(false);
    expect(matchesGlob('EC2', 'Backdoor:EC2/Spambot')).toBe(false);
    expect(matchesGlob('Backdoor:EC2/Spam', 'Backdoor:EC2/Spambot')).toBe(false);
  });

  it('finds the first matching glob of a list, and none when none matches', () => {
    expect(matchesAnyGlob(['Recon:*', 'Trojan:*'], 'Trojan:EC2/DropPoint')).toBe(true);
    expect(firstMatchingGlob(['Recon:*', 'Trojan:*', '*'], 'Trojan:EC2/DropPoint')).toBe('Trojan:*');
    expect(matchesAnyGlob([], 'Trojan:EC2/DropPoint')).toBe(false);
    expect(firstMatchingGlob(['Recon:*'], 'Trojan:EC2/DropPoint')).toBeUndefined();
  });
});

describe('globsOverlap', () => {
  it('says yes when one string can match both globs', () => {
    expect(globsOverlap('Backdoor:*', '*:EC2/*')).toBe(true);
    expect(globsOverlap('firebreak-*', '*-cpu')).toBe(true);
    expect(globsOverlap('*', 'anything')).toBe(true);
    expect(globsOverlap('same', 'same')).toBe(true);
  });

  it('says no when no string can match both', () => {
    expect(globsOverlap('Recon:*', 'Backdoor:*')).toBe(false);
    expect(globsOverlap('*-cpu', '*-network')).toBe(false);
    expect(globsOverlap('a', 'b')).toBe(false);
    expect(globsOverlap('ab*', 'b*')).toBe(false);
  });

  it('agrees with a brute-force search over every short string', () => {
    const glob = fc.array(fc.constantFrom('a', 'b', '*'), { maxLength: 4 }).map((chars) => chars.join(''));
    const words = (length: number): string[] =>
      length === 0 ? [''] : words(length - 1).flatMap((word) => (word.length === length - 1 ? [word, `${word}a`, `${word}b`] : [word]));
    const candidates = [...new Set(words(8))];
    fc.assert(
      fc.property(glob, glob, (a, b) => {
        const witness = candidates.some((word) => matchesGlob(a, word) && matchesGlob(b, word));
        expect(globsOverlap(a, b)).toBe(witness);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the GuardDuty finding-type catalogue', () => {
  it('lists each type once, in the ThreatPurpose:ResourceType/ThreatFamily format', () => {
    expect(new Set(KNOWN_FINDING_TYPES).size).toBe(KNOWN_FINDING_TYPES.length);
    for (const type of KNOWN_FINDING_TYPES) expect(type).toMatch(/^[A-Za-z]+:[A-Za-z0-9]+\/[A-Za-z0-9.&!]+$/);
  });

  it('covers EC2, IAM, S3, Kubernetes, Runtime, malware, RDS and Lambda findings', () => {
    for (const resource of ['EC2', 'IAMUser', 'S3', 'Kubernetes', 'Runtime', 'ECS', 'RDS', 'Lambda']) {
      expect(ACTIVE_FINDING_TYPES.some((type) => type.includes(`:${resource}/`)), resource).toBe(true);
    }
    expect(ACTIVE_FINDING_TYPES).toContain('Backdoor:EC2/C&CActivity.B!DNS');
    expect(ACTIVE_FINDING_TYPES).toContain('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(ACTIVE_FINDING_TYPES).toContain('Execution:EC2/MaliciousFile');
  });

  it('keeps retired types apart, but still known (old findings carry them)', () => {
    expect(RETIRED_FINDING_TYPES).toContain('Recon:IAMUser/UserPermissions');
    expect(ACTIVE_FINDING_TYPES).not.toContain('Recon:IAMUser/UserPermissions');
    expect(findingTypesMatching('Recon:IAMUser/UserPermissions')).toEqual(['Recon:IAMUser/UserPermissions']);
  });

  it('finds what a glob matches, and nothing for a misspelt one', () => {
    expect(findingTypesMatching('Backdoor:EC2/*')).toContain('Backdoor:EC2/C&CActivity.B!DNS');
    expect(findingTypesMatching('Backdoor:EC2/*').every((type) => type.startsWith('Backdoor:EC2/'))).toBe(true);
    expect(findingTypesMatching('Backdor:EC2/*')).toEqual([]);
    expect(findingTypesMatching('backdoor:EC2/*')).toEqual([]);
  });
});
