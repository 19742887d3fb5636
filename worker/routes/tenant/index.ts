import type { App } from '../../app.ts'

export function registerTenantRoutes(_app: App) {}
