import type { App } from '../../app.ts'

export function registerWebhookRoutes(_app: App) {}
