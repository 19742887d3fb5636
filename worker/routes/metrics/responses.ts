import { z } from 'zod'
import {
  CONNECTION_STATUSES,
  GRANULARITIES,
  META_WEBHOOK_PLATFORMS,
  PLATFORMS,
} from '../../../db/schema/index.ts'
import { CHANGE_REASONS } from '../../services/metrics/filters.ts'
import { BUCKETS } from '../../services/metrics/series.ts'

/**
 * The metrics responses as the OpenAPI document shows them. Each route checks its JSON against
 * these types with `satisfies`, so the document cannot drift from what is sent.
 */
const date = z.iso.date()
const nullableNumber = z.number().nullable()
const changeReason = z.enum(CHANGE_REASONS).nullable().meta({
  description:
    'Why `change_pct` is null: `no_current_data`, `no_previous_data`, `previous_zero`, or `partial_previous_data` (a sum whose previous period has points on fewer days than the period: it began before the first collection). Null when the change is given.',
})

export const seriesResponse = z.object({
  from: date,
  to: date,
  granularity: z.enum(BUCKETS),
  previous_from: date.optional().meta({ description: 'With `compare=previous_period`.' }),
  previous_to: date.optional().meta({ description: 'With `compare=previous_period`.' }),
  series: z.array(
    z.object({
      connection_id: z.string(),
      platform: z.enum(PLATFORMS),
      metric: z.string(),
      points: z
        .array(
          z.object({
            t: date.meta({ description: 'The first day of the bucket (day, ISO week from Monday, month).' }),
            v: nullableNumber.meta({
              description: 'Flows summed, stocks (followers) at their last value; null: nothing collected.',
            }),
          }),
        )
        .meta({ description: 'Every bucket of the period, in order.' }),
      total: nullableNumber
        .optional()
        .meta({ description: 'With `compare`: the period (sum, or last value).' }),
      previous_total: nullableNumber.optional().meta({ description: 'With `compare`: the previous period.' }),
      change_pct: nullableNumber.optional().meta({
        description:
          'With `compare`: percent, 2 decimals; null with `change_reason` when no fair comparison exists.',
      }),
      change_reason: changeReason.optional(),
    }),
  ),
})

export const pointsResponse = z.object({
  data: z.array(
    z.object({
      period_start: date,
      connection_id: z.string(),
      platform: z.enum(PLATFORMS),
      metric: z.string(),
      granularity: z.enum(GRANULARITIES),
      value: z.number(),
      collected_at: z.iso.datetime(),
    }),
  ),
  next_cursor: z
    .string()
    .nullable()
    .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
})

const card = z.object({
  value: nullableNumber,
  previous_value: nullableNumber,
  change_pct: nullableNumber,
  change_reason: changeReason,
})

export const summaryResponse = z.object({
  from: date,
  to: date,
  previous_from: date,
  previous_to: date,
  definitions: z
    .object({
      followers: z.string(),
      reach: z.string(),
      views: z.string(),
      interactions: z.string(),
      conversations: z.string(),
      messages: z.string(),
      engagement_rate: z.string(),
      change_pct: z.string(),
      metrics: z
        .record(z.enum(PLATFORMS), z.record(z.string(), z.array(z.string()).readonly()))
        .meta({ description: 'Which catalog metrics feed each KPI, per platform.' }),
    })
    .meta({ description: 'What each number means, sent with every response.' }),
  data: z.array(
    z.object({
      connection_id: z.string(),
      platform: z.enum(PLATFORMS),
      label: z.string().nullable(),
      display_name: z.string().nullable(),
      status: z.enum(CONNECTION_STATUSES),
      kpis: z.object({
        followers: card.extend({ growth: nullableNumber }),
        reach: card,
        views: card,
        interactions: card,
        conversations: card.meta({ description: 'WhatsApp: conversations opened.' }),
        messages: card.meta({ description: 'WhatsApp: messages sent.' }),
        engagement_rate: card.meta({ description: 'Interactions ÷ followers × 100.' }),
      }),
    }),
  ),
})

export const webhookCountersResponse = z.object({
  from: date,
  to: date,
  data: z.array(
    z.object({
      day: date.meta({ description: 'The UTC day of the events.' }),
      platform: z.enum(META_WEBHOOK_PLATFORMS),
      account_id: z.string().meta({ description: 'The WhatsApp business account or Instagram account.' }),
      connection_id: z.string().nullable().meta({ description: 'The connection of that account, if any.' }),
      phone_number_id: z.string().nullable().meta({ description: 'WhatsApp: the business phone number.' }),
      metric: z.string().meta({
        description: 'WhatsApp: sent, delivered, read, failed, played. Instagram: comments, mentions.',
        examples: ['delivered'],
      }),
      pricing_category: z.string().meta({
        description: 'WhatsApp: `all`, or one of the pricing categories Meta reported (marketing, utility…).',
      }),
      value: z.number().int(),
    }),
  ),
})
