import type { App } from '../../env.ts'
import { registerReportRuns } from './runs.ts'
import { registerReportSchedules } from './schedules.ts'

/** Scheduled PDF reports (docs/reports.md), part of the metrics module. */
export function registerReportRoutes(app: App) {
  registerReportSchedules(app)
  registerReportRuns(app)
}
