/**
 * Which instances an alarm's metrics name: a leaf, so that the alert's modules read it without the
 * alarm parser (lib/incident/cloudwatch.ts) in their bundles.
 */

/** The distinct instances an alarm's metrics name through their `InstanceId` dimension, in order. */
export function alarmMetricInstanceIds(metrics: readonly { readonly dimensions: Readonly<Record<string, string>> }[]): string[] {
  const ids = metrics.map((metric) => (Object.hasOwn(metric.dimensions, 'InstanceId') ? metric.dimensions.InstanceId : undefined));
  return [...new Set(ids.filter((id): id is string => id !== undefined && id !== ''))];
}
