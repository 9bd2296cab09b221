import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_METRICS_NAMESPACE, createResponseMetricsSink, emfDocument } from '../../lib/responders/metrics-sink';
import type { MetricPoint } from '../../lib/responders/response-metrics';

const NAMESPACE = 'Firebreak/Firebreak';
const AT = Date.parse('2026-11-20T10:01:42.500Z');
const containment: MetricPoint = { name: 'TimeToContainment', unit: 'Milliseconds', value: 42_500, dimensions: { origin: 'finding' } };
const failure: MetricPoint = { name: 'ResponderFailures', unit: 'Count', value: 1, dimensions: { origin: 'game-day', error: 'ResponderFailedError' } };

/** The sink's lines, parsed. */
function emitted(points: readonly MetricPoint[], env: Record<string, string | undefined> = { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE }): unknown[] {
  const lines: string[] = [];
  createResponseMetricsSink('quarantine-instance', { env, write: (line) => lines.push(line), now: () => AT }).emit('quarantine-instance', points);
  return lines.map((line) => JSON.parse(line) as unknown);
}

/**
 * The rules of AWS's EMF specification that a document of Firebreak's can break: `_aws` with a
 * millisecond Timestamp and one directive; a Namespace of 1–255 characters; at most 30 dimension
 * names per set, each a root member holding a non-empty string; each metric a root member holding a
 * number, with a CloudWatch unit.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
function emfViolations(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = document._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (aws === undefined || typeof aws !== 'object') return ['no _aws member'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp)) problems.push('Timestamp is not an integer of milliseconds');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0) return [...problems, 'no CloudWatchMetrics directive'];
  for (const directive of aws.CloudWatchMetrics as { Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown }[]) {
    if (typeof directive.Namespace !== 'string' || directive.Namespace.length < 1 || directive.Namespace.length > 255) problems.push('Namespace is not 1-255 characters');
    for (const set of directive.Dimensions as unknown[][]) {
      if (set.length > 30) problems.push('more than 30 dimensions in a set');
      for (const name of set) {
        const value = document[name as string];
        if (typeof value !== 'string' || value === '') problems.push(`dimension ${String(name)} has no string value at the root`);
      }
    }
    for (const metric of directive.Metrics as { Name?: unknown; Unit?: unknown }[]) {
      if (typeof metric.Name !== 'string' || typeof document[metric.Name] !== 'number') problems.push(`metric ${String(metric.Name)} has no number at the root`);
      if (!['Count', 'Milliseconds'].includes(String(metric.Unit))) problems.push(`metric ${String(metric.Name)} has unit ${String(metric.Unit)}`);
    }
  }
  return problems;
}

describe('createResponseMetricsSink', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('writes one EMF document per point, in the namespace the stack sets, with the service and the point dimensions', () => {
    expect(emitted([containment, failure])).toEqual([
      {
        _aws: { Timestamp: AT, CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [['service', 'origin']], Metrics: [{ Name: 'TimeToContainment', Unit: 'Milliseconds' }] }] },
        service: 'quarantine-instance',
        origin: 'finding',
        TimeToContainment: 42_500,
      },
      {
        _aws: { Timestamp: AT, CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [['service', 'origin', 'error']], Metrics: [{ Name: 'ResponderFailures', Unit: 'Count' }] }] },
        service: 'quarantine-instance',
        origin: 'game-day',
        error: 'ResponderFailedError',
        ResponderFailures: 1,
      },
    ]);
  });

  it('writes documents that follow the EMF specification, and the check can fail', () => {
    for (const document of emitted([containment, failure])) expect(emfViolations(document as Record<string, unknown>)).toEqual([]);
    const broken = { ...emfDocument(NAMESPACE, 'triage', failure, AT), error: '', ResponderFailures: 'one' };
    expect(emfViolations(broken)).toEqual(['dimension error has no string value at the root', 'metric ResponderFailures has no number at the root']);
  });

  it('writes what Powertools Metrics wrote for the same point (the format the dashboard was built on)', () => {
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', NAMESPACE);
    vi.stubEnv('POWERTOOLS_DEV', '');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(Date, 'now').mockReturnValue(AT);
    new Metrics({ serviceName: 'quarantine-instance' }).singleMetric().addDimensions({ ...failure.dimensions }).addMetric(failure.name, MetricUnit.Count, failure.value);
    vi.restoreAllMocks();
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(emitted([failure]));
  });

  it('leaves out a dimension with an empty value and a value CloudWatch cannot take', () => {
    const [document] = emitted([{ ...failure, dimensions: { origin: 'finding', error: '' } }, { ...containment, value: Number.NaN }]);
    expect(emitted([{ ...containment, value: Number.POSITIVE_INFINITY }])).toEqual([]);
    expect(document).toMatchObject({ _aws: { CloudWatchMetrics: [{ Dimensions: [['service', 'origin']] }] }, origin: 'finding' });
    expect(document).not.toHaveProperty('error');
  });

  it('writes nothing when metrics are disabled, and writes when the variable says false', () => {
    expect(emitted([failure], { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_METRICS_DISABLED: 'true' })).toEqual([]);
    expect(emitted([failure], { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_METRICS_DISABLED: '1' })).toEqual([]);
    expect(emitted([failure], { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_METRICS_DISABLED: 'false' })).toHaveLength(1);
  });

  it("falls back to Powertools' default namespace when the stack set none", () => {
    expect(emitted([failure], {})).toMatchObject([{ _aws: { CloudWatchMetrics: [{ Namespace: DEFAULT_METRICS_NAMESPACE }] } }]);
  });
});
