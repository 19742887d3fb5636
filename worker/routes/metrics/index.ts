import type { App } from '../../env.ts'
import { registerMetricsExport } from './export.ts'
import { registerMetricsPoints } from './points.ts'
import { registerMetricsSeries } from './series.ts'
import { registerMetricsSummary } from './summary.ts'
import { registerMetricsWebhooks } from './webhooks.ts'

/** The metrics module: series, raw points, KPI summary, export and the Meta webhook counters. */
export function registerMetricsRoutes(app: App) {
  registerMetricsSeries(app)
  registerMetricsPoints(app)
  registerMetricsSummary(app)
  registerMetricsExport(app)
  registerMetricsWebhooks(app)
}
