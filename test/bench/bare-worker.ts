/**
 * The baselines of the webhook benchmark, served by the same `wrangler dev` as Integra so the
 * ratios show what Integra's own work costs, not the machine's HTTP stack:
 * - bare: reads the body and acknowledges, nothing else (the target's baseline);
 * - `LOG_LINE=on`: also writes one JSON log line, as Integra does for every request (under
 *   `wrangler dev` that line goes through wrangler's log plumbing, which is not free);
 * - `ENQUEUE=on`: also sends the body to a queue, as the webhook does (a local queue under
 *   `wrangler dev`, without a consumer).
 */
type Env = { LOG_LINE?: string; ENQUEUE?: string; JOBS?: Queue<{ body: string }> }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const body = await request.text()
    if (env.LOG_LINE === 'on') {
      const url = new URL(request.url)
      console.log(
        JSON.stringify({
          level: 'info',
          message: 'request',
          time: new Date().toISOString(),
          path: url.pathname,
          status: 200,
        }),
      )
    }
    if (env.ENQUEUE === 'on' && env.JOBS) await env.JOBS.send({ body })
    return Response.json({ status: 'queued' })
  },
}
