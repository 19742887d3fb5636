import { createApp } from './app.ts'
import type { Bindings } from './env.ts'
import { consumeDeadLetters, consumeJobs } from './jobs/consumer.ts'
import { onSchedule } from './jobs/scheduler.ts'
import { cloudflareQueue } from './runtime/cloudflare.ts'
import { createServices } from './runtime/services.ts'

/** Durable Object classes are exported by the entry module (wrangler.toml `durable_objects`). */
export { TenantEvents } from './runtime/tenant-events.ts'

const app = createApp()

export default {
  fetch: app.fetch,

  async scheduled(controller, env, _ctx) {
    await onSchedule(
      { cron: controller.cron, scheduledTime: controller.scheduledTime },
      cloudflareQueue(env.JOBS),
    )
  },

  async queue(batch, env, ctx) {
    const services = createServices(env)
    try {
      // integra-jobs (batched) and integra-webhooks (no batch wait) carry the same typed jobs.
      if (batch.queue.endsWith('-dlq')) await consumeDeadLetters(batch, services)
      else await consumeJobs(batch, services)
    } finally {
      ctx.waitUntil(services.db.close())
    }
  },
} satisfies ExportedHandler<Bindings, unknown>
