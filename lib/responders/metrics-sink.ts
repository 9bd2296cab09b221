/**
 * The response metrics' sink in Lambda: CloudWatch embedded metric format (EMF) documents written
 * as lines to the function's log, which CloudWatch Logs turns into metrics (no API call, nothing on
 * the path to containment waits for it). One document per point, each with its own dimensions, in
 * the namespace the stack sets (POWERTOOLS_METRICS_NAMESPACE, lib/contracts/metrics.ts).
 *
 * Written here rather than through Powertools Metrics, which wrote the same documents: Firebreak
 * emits only single points with fixed names and units, and Powertools Metrics' buffering, cold-start
 * metric and validation tables cost every responder bundle about 10 KB and its module scope the
 * construction (`npm run bench:bundles`). The format is AWS's specification:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { METRICS_NAMESPACE_ENV, METRIC_DIMENSION } from '../contracts/metrics';
import type { MetricPoint, MetricsSink } from './response-metrics';

/** Set to true (or 1, yes, on) to write no metrics, as with Powertools Metrics (the bundle tests read a handler's error alone). */
export const METRICS_DISABLED_ENV = 'POWERTOOLS_METRICS_DISABLED';

/** The namespace when the variable is missing (Powertools Metrics' default): the dashboard reads none of it. */
export const DEFAULT_METRICS_NAMESPACE = 'default_namespace';

/** One EMF document: the metric directive under `_aws`, then the dimension values and the metric's value at the root. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly [
      { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[] },
    ];
  };
  readonly [member: string]: unknown;
}

/**
 * The EMF document of one point: the `service` dimension (the Lambda) and the point's own, one
 * dimension set holding them all, and the value under the metric's name. Dimension values that are
 * not non-empty strings are left out (CloudWatch refuses an empty dimension value).
 */
export function emfDocument(namespace: string, service: string, point: MetricPoint, timestamp: number): EmfDocument {
  const dimensions: Record<string, string> = { [METRIC_DIMENSION.service]: service };
  for (const [name, value] of Object.entries(point.dimensions)) {
    if (typeof value === 'string' && value !== '') dimensions[name] = value;
  }
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: point.name, Unit: point.unit }] }],
    },
    ...dimensions,
    [point.name]: point.value,
  };
}

/** How the sink reads its configuration and writes its lines (defaults: the process's environment, stdout and clock). */
export interface ResponseMetricsSinkOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

/** One module-scope sink per Lambda: its `service` dimension is the responder's name. */
export function createResponseMetricsSink(serviceName: string, options: ResponseMetricsSinkOptions = {}): MetricsSink {
  const env = options.env ?? process.env;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const disabled = /^(1|y|yes|t|true|on)$/i.test(env[METRICS_DISABLED_ENV]?.trim() ?? '');
  const namespace = env[METRICS_NAMESPACE_ENV]?.trim() || DEFAULT_METRICS_NAMESPACE;
  return {
    emit(_service: string, points: readonly MetricPoint[]): void {
      if (disabled) return;
      for (const point of points) {
        // A value CloudWatch cannot take (NaN, Infinity) is dropped, not written as null.
        if (Number.isFinite(point.value)) write(JSON.stringify(emfDocument(namespace, serviceName, point, now())));
      }
    },
  };
}
