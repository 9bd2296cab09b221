import { describe, expect, it } from 'vitest';
import { ACTIONS, ACTION_NAMES } from '../../lib/playbooks/actions';
import { MUTATING_ACTIONS } from '../../lib/playbooks/mutating-actions';

describe('MUTATING_ACTIONS', () => {
  it('names exactly the actions the registry marks as changing resources', () => {
    const fromRegistry = ACTION_NAMES.filter((name) => ACTIONS[name].mutates).sort();
    expect([...MUTATING_ACTIONS].sort()).toEqual(fromRegistry);
    // Not vacuous: both read-only and mutating actions exist.
    expect(fromRegistry).toContain('quarantine-instance');
    expect(ACTION_NAMES.filter((name) => !ACTIONS[name].mutates)).toContain('snapshot-volumes');
  });
});
