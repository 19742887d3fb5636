import { describe, expect, it } from 'vitest'
import { periodHref } from '../../portal/components/period.tsx'
import { readPeriod } from '../../worker/routes/portal/period.ts'

const TODAY = '2026-12-05'

describe('one period model, one URL shape', () => {
  it('reads presets, moving with today, 30 days by default', () => {
    expect(readPeriod({}, TODAY)).toEqual({ period: { preset: '30', from: '2026-11-06', to: TODAY } })
    expect(readPeriod({ period: '7' }, TODAY)).toEqual({
      period: { preset: '7', from: '2026-11-29', to: TODAY },
    })
    expect(readPeriod({ period: '90' }, TODAY).period.from).toBe('2026-09-07')
  })

  it('reads the calendar presets: this month so far, last month whole, the year so far', () => {
    expect(readPeriod({ period: 'month' }, TODAY).period).toEqual({
      preset: 'month',
      from: '2026-12-01',
      to: TODAY,
    })
    expect(readPeriod({ period: 'last-month' }, TODAY).period).toEqual({
      preset: 'last-month',
      from: '2026-11-01',
      to: '2026-11-30',
    })
    expect(readPeriod({ period: 'year' }, TODAY).period).toEqual({
      preset: 'year',
      from: '2026-01-01',
      to: TODAY,
    })
    // Across a year's end, and a leap February.
    expect(readPeriod({ period: 'last-month' }, '2027-01-15').period).toMatchObject({
      from: '2026-12-01',
      to: '2026-12-31',
    })
    expect(readPeriod({ period: 'last-month' }, '2028-03-01').period).toMatchObject({
      from: '2028-02-01',
      to: '2028-02-29',
    })
    // Dates that are a calendar preset's are named by it.
    expect(readPeriod({ from: '2026-11-01', to: '2026-11-30' }, TODAY).period.preset).toBe('last-month')
  })

  it('takes dates over a preset, and names dates that are a preset’s by it', () => {
    expect(readPeriod({ from: '2026-10-01', to: '2026-10-31' }, TODAY)).toEqual({
      period: { preset: 'custom', from: '2026-10-01', to: '2026-10-31' },
    })
    expect(readPeriod({ period: '7', from: '2026-10-01', to: '2026-10-31' }, TODAY).period.preset).toBe(
      'custom',
    )
    expect(readPeriod({ from: '2026-11-29', to: TODAY }, TODAY).period.preset).toBe('7')
  })

  it('falls back to 30 days with a message for what it cannot use', () => {
    for (const query of [
      { period: '14' },
      { from: '2026-10-01' },
      { from: '2026-10-31', to: '2026-10-01' },
      { from: '2026-02-30', to: '2026-03-01' },
      { from: '0001-01-01', to: '0001-01-02' },
      { from: '2020-01-01', to: '2026-01-01' },
    ]) {
      expect(readPeriod(query, TODAY), JSON.stringify(query)).toEqual({
        period: { preset: '30', from: '2026-11-06', to: TODAY },
        error: 'period.invalid',
      })
    }
  })

  it('writes a preset as period=N and custom dates as from/to, never both, keeping other filters', () => {
    expect(periodHref('/app', { preset: '7', from: '2026-11-29', to: TODAY })).toBe('/app?period=7')
    expect(
      periodHref(
        '/app/metrics/export',
        { preset: 'custom', from: '2026-10-01', to: '2026-10-31' },
        {
          format: 'csv',
          platform: '',
          metric: 'reach',
        },
      ),
    ).toBe('/app/metrics/export?format=csv&metric=reach&from=2026-10-01&to=2026-10-31')
    for (const period of [
      { preset: '90', from: '2026-09-07', to: TODAY },
      { preset: 'custom', from: '2026-10-01', to: '2026-10-31' },
    ] as const) {
      const query = Object.fromEntries(new URL(periodHref('/app', period), 'http://x').searchParams)
      expect(readPeriod(query, TODAY).period).toEqual(period)
    }
  })
})
