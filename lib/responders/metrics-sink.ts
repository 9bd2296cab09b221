/**
 * The response metrics' sink in Lambda: Powertools Metrics, which writes CloudWatch embedded metric
 * format lines to the function's log (CloudWatch Logs turns them into metrics; no API call, nothing
 * on the path to containment waits for it). One EMF document per point, each with its own
 * dimensions (`singleMetric`), in the namespace the stack sets (POWERTOOLS_METRICS_NAMESPACE).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricPoint, MetricsSink } from './response-metrics';

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

/** One module-scope sink per Lambda: its `service` dimension is the responder's name. */
export function createResponseMetricsSink(serviceName: string): MetricsSink {
  const metrics = new Metrics({ serviceName });
  return {
    emit(_service: string, points: readonly MetricPoint[]): void {
      for (const point of points) {
        metrics.singleMetric().addDimensions({ ...point.dimensions }).addMetric(point.name, UNITS[point.unit], point.value);
      }
    },
  };
}
