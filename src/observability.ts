/**
 * Structured logs and metrics, shared by both functions. Powertools reads POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_LOG_LEVEL and POWERTOOLS_METRICS_NAMESPACE; metrics are printed in CloudWatch embedded
 * metric format, which CloudWatch turns into metrics without any API call from the function.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

export const logger = new Logger();
export const metrics = new Metrics();
export { MetricUnit };

/** Adds one count under `name` with its own `dimension` (e.g. the reason of a rejection). */
export function countWithDimension(name: string, dimension: string, value: string): void {
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** Flushes the invocation's metrics; an invocation that recorded none prints nothing. */
export function publishMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
