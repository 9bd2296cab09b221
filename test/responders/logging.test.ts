import { describe, expect, it } from 'vitest';
import { ResponderLogger, createResponderLogger, logLevelFromEnvironment, loggerForIncident } from '../../lib/responders/logging';
import { incidentLoggerFrom } from '../../lib/responders/handler-logger';

/** A logger writing into an array, parsed back record by record (every level unless a threshold is given: tests run SILENT). */
function recording(options: { threshold?: number } = {}) {
  const lines: string[] = [];
  const logger = new ResponderLogger({ service: 'quarantine-instance', write: (line) => lines.push(line), threshold: options.threshold ?? 0 });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('ResponderLogger', () => {
  it('writes one JSON record per line with the keys CloudWatch queries use', () => {
    const { logger, lines, records } = recording();
    logger.info('isolated', { eni: 'eni-1' }, { count: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\n$/);
    expect(records()[0]).toEqual({
      level: 'INFO',
      message: 'isolated',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      service: 'quarantine-instance',
      eni: 'eni-1',
      count: 2,
    });
  });

  it('stamps the incident key of its child on every record, and the parent stays without it', () => {
    const { logger, records } = recording();
    const child = loggerForIncident(logger, 'gd-123');
    child.warn('refused');
    child.error('failed', { code: 'X' });
    logger.info('cold start');
    expect(records().map((r) => [r.level, r.incidentKey])).toEqual([
      ['WARN', 'gd-123'],
      ['ERROR', 'gd-123'],
      ['INFO', undefined],
    ]);
  });

  it('never lets an extra key forge the level, message or service of a record', () => {
    const { logger, records } = recording();
    logger.info('real', { level: 'ERROR', message: 'forged', service: 'other', incidentKey: 'k' });
    expect(records()[0]).toMatchObject({ level: 'INFO', message: 'real', service: 'quarantine-instance', incidentKey: 'k' });
  });

  it('drops records below its threshold and writes those at or above it', () => {
    const { logger, records } = recording({ threshold: logLevelFromEnvironment({ LOG_LEVEL: 'warn' }) });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records().map((r) => r.message)).toEqual(['w', 'e']);
  });

  it('writes errors with their name, message, stack and cause, bigints as text, and survives cycles', () => {
    const { logger, records } = recording();
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    logger.error('boom', { error: new TypeError('bad', { cause: new Error('root') }), big: 10n, cycle });
    const record = records()[0] as { error: Record<string, unknown>; big: string; cycle: Record<string, unknown> };
    expect(record.error).toMatchObject({ name: 'TypeError', message: 'bad', stack: expect.stringContaining('TypeError: bad'), cause: { name: 'Error', message: 'root' } });
    expect(record.big).toBe('10');
    expect(record.cycle).toEqual({ name: 'loop', self: '[Circular]' });
  });

  it('carries the X-Ray trace id Lambda sets for the invocation', () => {
    const previous = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    try {
      const { logger, records } = recording();
      logger.info('traced');
      expect(records()[0]?.xray_trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793');
    } finally {
      if (previous === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = previous;
    }
  });
});

describe('logLevelFromEnvironment', () => {
  it("reads Lambda's advanced logging controls first, then the Powertools variables, INFO by default", () => {
    expect(logLevelFromEnvironment({})).toBe(logLevelFromEnvironment({ LOG_LEVEL: 'INFO' }));
    expect(logLevelFromEnvironment({ AWS_LAMBDA_LOG_LEVEL: 'ERROR', POWERTOOLS_LOG_LEVEL: 'DEBUG' })).toBe(logLevelFromEnvironment({ LOG_LEVEL: 'ERROR' }));
    expect(logLevelFromEnvironment({ POWERTOOLS_LOG_LEVEL: 'debug', LOG_LEVEL: 'ERROR' })).toBe(logLevelFromEnvironment({ LOG_LEVEL: 'DEBUG' }));
    expect(logLevelFromEnvironment({ AWS_LAMBDA_LOG_LEVEL: 'FATAL' })).toBeGreaterThan(logLevelFromEnvironment({ LOG_LEVEL: 'ERROR' }));
    expect(logLevelFromEnvironment({ LOG_LEVEL: 'loud' })).toBe(logLevelFromEnvironment({}));
  });

  it('SILENT writes nothing at any level', () => {
    const { logger, lines } = recording({ threshold: logLevelFromEnvironment({ POWERTOOLS_LOG_LEVEL: 'SILENT' }) });
    logger.error('e');
    expect(lines).toEqual([]);
  });
});

describe('incidentLoggerFrom', () => {
  it("gives a Lambda's logger a child with the incident key and passes any other logger through", () => {
    const { logger, records } = recording();
    incidentLoggerFrom(logger, 'gd-9').info('m');
    expect(records()[0]?.incidentKey).toBe('gd-9');
    const other = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    expect(incidentLoggerFrom(other, 'gd-9')).toBe(other);
  });
});

describe('createResponderLogger', () => {
  it('names the service after the responder', () => {
    const lines: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stdout.write;
    const previous = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    try {
      createResponderLogger('publish-alert').info('hello');
    } finally {
      process.stdout.write = original;
      if (previous === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = previous;
    }
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 'publish-alert', message: 'hello' });
  });
});
