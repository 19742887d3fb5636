import { createApp } from '../../worker/app.ts'
import { isDocumentedPath, openApiPath } from '../../worker/openapi/document.ts'

/**
 * The app's API routes, each with its own handlers in registration order (app-wide middleware
 * left out), keyed as the OpenAPI document keys its operations: `PATCH /api/v1/users/{id}`.
 */
export function apiRoutes(): Map<string, object[]> {
  const routes = new Map<string, object[]>()
  for (const route of createApp().routes) {
    if (route.method === 'ALL' || !isDocumentedPath(route.path)) continue
    const key = `${route.method} ${openApiPath(route.path)}`
    routes.set(key, [...(routes.get(key) ?? []), route.handler])
  }
  return routes
}
