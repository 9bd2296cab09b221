import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_ENV } from '../../lib/contracts/environment';
import { StateTableNotConfiguredError, stateTableFromEnv } from '../../lib/responders/state-table';

describe('stateTableFromEnv', () => {
  it('returns the state table the stack set', () => {
    expect(stateTableFromEnv({ [DEPLOYMENT_ENV.stateTable]: 'Firebreak-StateTable-1A2B3C' })).toBe('Firebreak-StateTable-1A2B3C');
  });

  it('fails at cold start, naming the variable, when the table is missing or not a table name', () => {
    expect(() => stateTableFromEnv({})).toThrow(StateTableNotConfiguredError);
    expect(() => stateTableFromEnv({})).toThrow(/FIREBREAK_STATE_TABLE .* got nothing/);
    expect(() => stateTableFromEnv({ [DEPLOYMENT_ENV.stateTable]: '' })).toThrow(/FIREBREAK_STATE_TABLE/);
    expect(() => stateTableFromEnv({ [DEPLOYMENT_ENV.stateTable]: 'no spaces allowed' })).toThrow(StateTableNotConfiguredError);
  });
});
