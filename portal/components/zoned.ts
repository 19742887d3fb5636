import type { Locale } from '../i18n/index.ts'

/**
 * Dates and times on a wall clock of `zone` in the page's language: scheduling's pages (the
 * public booking page, the staff day view) show instants where the viewer lives, never in UTC.
 */
export function zonedFormatters(locale: Locale, zone: string) {
  // A local date is a calendar date: read in UTC it is itself, whatever the zone.
  const day = new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  })
  const longDay = new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  })
  const time = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: '2-digit', minute: '2-digit' })
  const full = new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: 'full', timeStyle: 'short' })
  return {
    /** A local date (YYYY-MM-DD), short: "seg., 7 de dez.". */
    day: (date: string) => day.format(new Date(`${date}T12:00:00Z`)),
    longDay: (date: string) => longDay.format(new Date(`${date}T12:00:00Z`)),
    time: (instant: Date) => time.format(instant),
    full: (instant: Date) => `${full.format(instant)} (${zone})`,
  }
}

export type ZonedFormatters = ReturnType<typeof zonedFormatters>
