import { afterEach, describe, expect, it, vi } from 'vitest';

const TABLE = process.env.FIREBREAK_STATE_TABLE;
// publish-alert reads its topic first; the stack sets both.
process.env.ALERT_TOPIC_ARN ??= 'arn:aws:sns:us-east-1:111122223333:firebreak-alerts';

afterEach(() => {
  process.env.FIREBREAK_STATE_TABLE = TABLE;
  vi.resetModules();
});

// A function deployed without its state table fails when its module loads (cold start), naming
// the variable, as one without its alert topic does; never at the first incident.
describe('Lambda cold start without FIREBREAK_STATE_TABLE', () => {
  it.each(['approval', 'containment-guard', 'publish-alert', 'quarantine-instance', 'release-instance'])('%s fails at module load', async (lambda) => {
    delete process.env.FIREBREAK_STATE_TABLE;
    vi.resetModules();
    const loading = import(`../../lambdas/${lambda}/index`);
    // Compared by name: vi.resetModules() gives the reloaded module its own copy of the class.
    await expect(loading).rejects.toMatchObject({ name: 'StateTableNotConfiguredError' });
    await expect(loading).rejects.toThrow(/FIREBREAK_STATE_TABLE/);
  });

  it('loads with the table set', async () => {
    await expect(import('../../lambdas/publish-alert/index')).resolves.toHaveProperty('handler');
  });
});
