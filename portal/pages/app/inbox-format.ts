import type { I18n } from '../../i18n/index.ts'

// How the inbox words people, numbers and moments: a phone as people write it, a time in the
// member's zone (relative when it is today), what is left of the customer-service window.

/**
 * A WhatsApp id (the phone's digits with country code) as people read it: `+55 11 98765-4321` for
 * Brazilian numbers, the digits in groups of three or four after the `+` otherwise.
 */
export function formatPhone(waId: string | null | undefined): string | null {
  const digits = waId?.replace(/\D/g, '') ?? ''
  if (digits === '') return null
  const br = /^55(\d{2})(\d{4,5})(\d{4})$/.exec(digits)
  if (br) return `+55 ${br[1]} ${br[2]}-${br[3]}`
  return `+${digits.replace(/(\d{3,4})(?=\d{4})/g, '$1 ')}`
}

/** Who the customer is, in words: the team's name for them, their WhatsApp name, else the phone. */
export function contactLabel(
  i18n: I18n,
  contact: { name: string | null; profileName: string | null; waId: string | null },
): string {
  return contact.name ?? contact.profileName ?? formatPhone(contact.waId) ?? i18n.t('inbox.unknownContact')
}

const dayIn = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)

/** The clock time of a moment in the member's zone (`14:05`). */
export const clockTime = (i18n: I18n, at: Date, timeZone: string) =>
  new Intl.DateTimeFormat(i18n.locale, { hour: '2-digit', minute: '2-digit', timeZone }).format(at)

/**
 * When something happened, as a list scans it: "now", "5 min ago" within the hour, the clock time
 * earlier today, else the day (and the year when it is not this one), all in the member's zone.
 */
export function shortWhen(i18n: I18n, value: Date | string, now: Date, timeZone: string): string {
  const at = new Date(value)
  const minutes = Math.floor((now.getTime() - at.getTime()) / 60_000)
  if (minutes < 1) return i18n.t('inbox.now')
  if (minutes < 60)
    return new Intl.RelativeTimeFormat(i18n.locale, { numeric: 'always', style: 'short' }).format(
      -minutes,
      'minute',
    )
  if (dayIn(at, timeZone) === dayIn(now, timeZone)) return clockTime(i18n, at, timeZone)
  const sameYear = dayIn(at, timeZone).slice(0, 4) === dayIn(now, timeZone).slice(0, 4)
  return new Intl.DateTimeFormat(i18n.locale, {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
    timeZone,
  }).format(at)
}

/** A full moment in the member's zone, the zone named, for tooltips and the contact panel. */
export const fullWhen = (i18n: I18n, value: Date | string, timeZone: string) =>
  new Intl.DateTimeFormat(i18n.locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(new Date(value))

/** "3 h 12 min" (or "12 min") until `closesAt`; the composer's countdown says it in a sentence. */
export function timeLeft(closesAt: Date | string, now: Date): { hours: number; minutes: number } {
  const total = Math.max(0, Math.floor((new Date(closesAt).getTime() - now.getTime()) / 60_000))
  return { hours: Math.floor(total / 60), minutes: total % 60 }
}

/** A duration in seconds as people read it: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function duration(i18n: I18n, seconds: number | null): string {
  if (seconds === null) return '—'
  const n = (value: number) => i18n.number(value)
  if (seconds < 60) return `${n(seconds)} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${n(minutes)} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return minutes % 60 ? `${n(hours)} h ${n(minutes % 60)} min` : `${n(hours)} h`
  const days = Math.floor(hours / 24)
  return hours % 24 ? `${n(days)} d ${n(hours % 24)} h` : `${n(days)} d`
}
