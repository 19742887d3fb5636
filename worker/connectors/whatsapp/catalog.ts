import type { MetricCatalog } from '../types.ts'

/**
 * WhatsApp Business Cloud API analytics of a WhatsApp Business Account (WABA) as of 2026-11:
 * messages sent and delivered (`analytics`, granularity DAY) and conversations opened
 * (`conversation_analytics`, granularity DAILY), all asked for on the WABA node, kept 1 year.
 */
export const whatsappCatalog = {
  version: '2026-11',
  metrics: {
    messages_sent: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Messages sent by the WABA’s numbers',
    },
    messages_delivered: { aggregation: 'sum', granularity: 'day', description: 'Messages delivered' },
    conversations: { aggregation: 'sum', granularity: 'day', description: 'Conversations opened' },
  },
} as const satisfies MetricCatalog

/** WABA node fields asked for, and which key of their data points feeds which catalog metric. */
export const FIELDS = {
  analytics: { messages_sent: 'sent', messages_delivered: 'delivered' },
  conversation_analytics: { conversations: 'conversation' },
} as const satisfies Record<string, Partial<Record<keyof typeof whatsappCatalog.metrics, string>>>

export type Field = keyof typeof FIELDS
