import type { App } from '../../app.ts'

export function registerAdminRoutes(_app: App) {}
