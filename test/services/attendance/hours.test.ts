import { describe, expect, it } from 'vitest'
import { closedPeriodAt, type HoursSettings } from '../../../worker/services/attendance/hours.ts'

/** Monday to Friday 09:00–18:00 in São Paulo (UTC−3, no daylight saving since 2019). */
const week: HoursSettings = {
  timeZone: 'America/Sao_Paulo',
  weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: 9 * 60, end: 18 * 60 })),
  exceptions: [],
  awayMessage: 'Voltamos às 9h.',
  awayNow: false,
  awaySince: null,
}
const at = (iso: string) => new Date(iso)

describe('closedPeriodAt', () => {
  it('is null inside the hours and names the closing time outside them', () => {
    // Tuesday 2026-12-01, 10:00 and 17:59 local: open.
    expect(closedPeriodAt(week, at('2026-12-01T13:00:00Z'))).toBeNull()
    expect(closedPeriodAt(week, at('2026-12-01T20:59:00Z'))).toBeNull()
    // 18:00 local is closed: the period began at that instant (21:00Z), and lasts the night.
    expect(closedPeriodAt(week, at('2026-12-01T21:00:00Z'))).toBe('closed-2026-12-01T21:00:00.000Z')
    expect(closedPeriodAt(week, at('2026-12-02T11:59:00Z'))).toBe('closed-2026-12-01T21:00:00.000Z')
    // The weekend is one period, from Friday 18:00 to Monday 09:00.
    expect(closedPeriodAt(week, at('2026-12-05T15:00:00Z'))).toBe('closed-2026-12-04T21:00:00.000Z')
    expect(closedPeriodAt(week, at('2026-12-07T11:00:00Z'))).toBe('closed-2026-12-04T21:00:00.000Z')
    expect(closedPeriodAt(week, at('2026-12-07T12:00:00Z'))).toBeNull()
  })

  it('reads a dated exception before the week: a closed day, or other hours', () => {
    const holiday = { ...week, exceptions: [{ date: '2026-12-08' }] }
    expect(closedPeriodAt(holiday, at('2026-12-08T15:00:00Z'))).toBe('closed-2026-12-07T21:00:00.000Z')
    const short = { ...week, exceptions: [{ date: '2026-12-24', start: 9 * 60, end: 12 * 60 }] }
    expect(closedPeriodAt(short, at('2026-12-24T14:00:00Z'))).toBeNull()
    expect(closedPeriodAt(short, at('2026-12-24T16:00:00Z'))).toBe('closed-2026-12-24T15:00:00.000Z')
    // A Saturday opened by an exception.
    const saturday = { ...week, exceptions: [{ date: '2026-12-05', start: 8 * 60, end: 12 * 60 }] }
    expect(closedPeriodAt(saturday, at('2026-12-05T12:00:00Z'))).toBeNull()
    expect(closedPeriodAt(saturday, at('2026-12-05T18:00:00Z'))).toBe('closed-2026-12-05T15:00:00.000Z')
  })

  it('keeps local hours across daylight saving time', () => {
    const newYork = { ...week, timeZone: 'America/New_York' }
    // 09:30 local is 14:30Z in winter (EST) and 13:30Z in summer (EDT).
    expect(closedPeriodAt(newYork, at('2026-12-01T14:30:00Z'))).toBeNull()
    expect(closedPeriodAt(newYork, at('2026-07-01T13:30:00Z'))).toBeNull()
    expect(closedPeriodAt(newYork, at('2026-12-01T13:30:00Z'))).toBe('closed-2026-11-30T23:00:00.000Z')
  })

  it('is always open without hours, and closed from the switch while "away now" is on', () => {
    const none = { ...week, weekly: [] }
    expect(closedPeriodAt(none, at('2026-12-05T03:00:00Z'))).toBeNull()
    const away = { ...week, awayNow: true, awaySince: at('2026-12-01T14:00:00Z') }
    expect(closedPeriodAt(away, at('2026-12-01T15:00:00Z'))).toBe('away-2026-12-01T14:00:00.000Z')
  })

  it('names one period for a business closed longer than the look-back', () => {
    const closed = { ...week, weekly: [], exceptions: [{ date: '2026-01-05', start: 540, end: 1080 }] }
    expect(closedPeriodAt(closed, at('2026-12-05T15:00:00Z'))).toBe('closed-before-2026-11-21')
  })
})
