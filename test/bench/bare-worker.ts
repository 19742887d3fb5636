import { log } from '../../worker/log.ts'

/**
 * The baselines of the webhook benchmark, served by the same `wrangler dev` as Integra so the
 * ratios show what Integra's own work costs, not the machine's HTTP stack:
 * - bare: reads the body and acknowledges, nothing else (the target's baseline);
 * - `LOG_LINE=on`: also writes Integra's request line, through the same `log` with the same
 *   fields (under `wrangler dev` that line goes through wrangler's log plumbing, which is not free);
 * - `ENQUEUE=on`: also sends the body to the queue the webhook sends to (same binding and queue
 *   name as Integra's configuration; a local queue under `wrangler dev`, without a consumer).
 * The last one is the webhook's target baseline: everything the acknowledgement must do except
 * Integra's own work (signature, settings, routing), so their ratio shows what that work costs.
 */
type Env = { LOG_LINE?: string; ENQUEUE?: string; JOBS?: Queue<{ body: string }> }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const started = performance.now()
    const body = await request.text()
    if (env.LOG_LINE === 'on') {
      const url = new URL(request.url)
      // worker/middleware/request-log.ts's line, field for field.
      log('info', 'request', {
        request_id: crypto.randomUUID(),
        method: request.method,
        path: url.pathname,
        status: 200,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        tenant_id: 'ten_bench',
      })
    }
    if (env.ENQUEUE === 'on' && env.JOBS) await env.JOBS.send({ body })
    return Response.json({ status: 'queued' })
  },
}
