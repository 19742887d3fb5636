import { describe, expect, it } from 'vitest'
import {
  computeSlots,
  type SlotProfessional,
  type SlotService,
  workingMinutes,
} from '../../../worker/services/scheduling/availability.ts'
import {
  offsetMinutes,
  zonedDate,
  zonedInstant,
  zonedLabel,
} from '../../../worker/services/scheduling/zones.ts'

const utc = (date: string, minute: number, zone: string) => zonedInstant(date, minute, zone).toISOString()

describe('wall clock to instant, with Intl only', () => {
  it('reads São Paulo (no DST since 2019) as UTC−3 all year', () => {
    expect(utc('2027-01-15', 9 * 60, 'America/Sao_Paulo')).toBe('2027-01-15T12:00:00.000Z')
    expect(utc('2027-07-15', 9 * 60, 'America/Sao_Paulo')).toBe('2027-07-15T12:00:00.000Z')
    expect(offsetMinutes(Date.parse('2027-11-07T12:00:00Z'), 'America/Sao_Paulo')).toBe(-180)
  })

  it('follows New York across its 2027 changes (14 March forward, 7 November back)', () => {
    expect(utc('2027-03-13', 9 * 60, 'America/New_York')).toBe('2027-03-13T14:00:00.000Z')
    expect(utc('2027-03-14', 9 * 60, 'America/New_York')).toBe('2027-03-14T13:00:00.000Z')
    // 02:30 does not exist on 14 March: read with the offset before, it is 03:30 daylight time.
    expect(utc('2027-03-14', 150, 'America/New_York')).toBe('2027-03-14T07:30:00.000Z')
    expect(zonedLabel(new Date('2027-03-14T07:30:00Z'), 'America/New_York')).toBe('2027-03-14T03:30')
    // 01:30 happens twice on 7 November: the first (daylight, UTC−4) is taken.
    expect(utc('2027-11-07', 90, 'America/New_York')).toBe('2027-11-07T05:30:00.000Z')
    expect(utc('2027-11-07', 9 * 60, 'America/New_York')).toBe('2027-11-07T14:00:00.000Z')
  })

  it('follows Lisbon across its 2027 changes (28 March, 31 October)', () => {
    expect(utc('2027-03-27', 9 * 60, 'Europe/Lisbon')).toBe('2027-03-27T09:00:00.000Z')
    expect(utc('2027-03-28', 9 * 60, 'Europe/Lisbon')).toBe('2027-03-28T08:00:00.000Z')
    expect(utc('2027-10-31', 9 * 60, 'Europe/Lisbon')).toBe('2027-10-31T09:00:00.000Z')
    expect(zonedDate(new Date('2027-03-27T23:30:00Z'), 'Europe/Lisbon')).toBe('2027-03-27')
    expect(zonedDate(new Date('2027-03-28T23:30:00Z'), 'Europe/Lisbon')).toBe('2027-03-29')
  })
})

const service = (over: Partial<SlotService> = {}): SlotService => ({
  id: 'svc_test',
  durationMinutes: 60,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  capacity: 1,
  minNoticeMinutes: 0,
  horizonDays: 365,
  slotIntervalMinutes: 60,
  ...over,
})

const everyDay = (start: number, end: number, breaks: [number, number][] = []) =>
  [0, 1, 2, 3, 4, 5, 6].flatMap((weekday) => [
    { weekday, kind: 'work' as const, start, end },
    ...breaks.map(([s, e]) => ({ weekday, kind: 'break' as const, start: s, end: e })),
  ])

const professional = (timeZone: string, plan = everyDay(9 * 60, 12 * 60)): SlotProfessional => ({
  id: 'pro_test',
  name: 'Ana',
  timeZone,
  plan,
  exceptions: new Map(),
})

/** The slots' starts on the professional's wall clock, for one UTC day range. */
function slotLabels(
  p: SlotProfessional,
  from: string,
  to: string,
  over: Partial<Parameters<typeof computeSlots>[0]> = {},
) {
  return computeSlots({
    service: service(),
    professionals: [p],
    blocked: [],
    busy: [],
    from: Date.parse(from),
    to: Date.parse(to),
    now: Date.parse('2027-01-01T00:00:00Z'),
    enforceNotice: true,
    ...over,
  }).map((slot) => zonedLabel(slot.startsAt, p.timeZone))
}

describe('availability computed on read', () => {
  it('keeps the local hours on both sides of a DST change (New York, Lisbon) and in São Paulo', () => {
    const ny = professional('America/New_York')
    expect(slotLabels(ny, '2027-03-13T00:00:00Z', '2027-03-15T23:00:00Z')).toEqual([
      '2027-03-13T09:00',
      '2027-03-13T10:00',
      '2027-03-13T11:00',
      '2027-03-14T09:00',
      '2027-03-14T10:00',
      '2027-03-14T11:00',
      '2027-03-15T09:00',
      '2027-03-15T10:00',
      '2027-03-15T11:00',
    ])
    const lisbon = professional('Europe/Lisbon')
    expect(slotLabels(lisbon, '2027-10-30T00:00:00Z', '2027-11-01T00:00:00Z')).toEqual([
      '2027-10-30T09:00',
      '2027-10-30T10:00',
      '2027-10-30T11:00',
      '2027-10-31T09:00',
      '2027-10-31T10:00',
      '2027-10-31T11:00',
    ])
    const sp = professional('America/Sao_Paulo')
    expect(slotLabels(sp, '2027-11-07T00:00:00Z', '2027-11-08T00:00:00Z')).toEqual([
      '2027-11-07T09:00',
      '2027-11-07T10:00',
      '2027-11-07T11:00',
    ])
  })

  it('steps in real time across the night the clocks change: 3 real hours from 00:00 to 04:00', () => {
    const night = professional('America/New_York', everyDay(0, 4 * 60))
    expect(slotLabels(night, '2027-03-14T04:00:00Z', '2027-03-14T12:00:00Z')).toEqual([
      '2027-03-14T00:00',
      '2027-03-14T01:00',
      '2027-03-14T03:00',
    ])
    // Back in November the same plan has 5 real hours: 01:00 happens twice.
    expect(slotLabels(night, '2027-11-07T03:00:00Z', '2027-11-07T12:00:00Z')).toEqual([
      '2027-11-07T00:00',
      '2027-11-07T01:00',
      '2027-11-07T01:00',
      '2027-11-07T02:00',
      '2027-11-07T03:00',
    ])
  })

  it('subtracts breaks, exceptions, blocked periods, appointments with buffers, notice and horizon', () => {
    const p = professional('America/Sao_Paulo', everyDay(9 * 60, 18 * 60, [[12 * 60, 13 * 60]]))
    expect(workingMinutes(p, '2027-03-01')).toEqual([
      { start: 540, end: 720 },
      { start: 780, end: 1080 },
    ])
    p.exceptions.set('2027-03-02', { date: '2027-03-02', kind: 'off', start: null, end: null })
    p.exceptions.set('2027-03-03', { date: '2027-03-03', kind: 'hours', start: 14 * 60, end: 16 * 60 })
    const day = (date: string, over: Partial<Parameters<typeof computeSlots>[0]> = {}) =>
      slotLabels(p, `${date}T03:00:00Z`, `${date}T23:59:00Z`, over).map((label) => label.slice(11))
    expect(day('2027-03-01')).toEqual([
      '09:00',
      '10:00',
      '11:00',
      '13:00',
      '14:00',
      '15:00',
      '16:00',
      '17:00',
    ])
    expect(day('2027-03-02')).toEqual([])
    expect(day('2027-03-03')).toEqual(['14:00', '15:00'])
    // A holiday from 15:00 local; an appointment 10:00–11:00 with a 30-minute buffer after it.
    const blocked = [{ start: Date.parse('2027-03-01T18:00:00Z'), end: Date.parse('2027-03-02T03:00:00Z') }]
    const busy = [
      {
        professionalId: 'pro_test',
        from: Date.parse('2027-03-01T13:00:00Z'),
        until: Date.parse('2027-03-01T14:30:00Z'),
        slotKey: 'apt_x',
      },
    ]
    expect(day('2027-03-01', { blocked, busy })).toEqual(['09:00', '13:00', '14:00'])
    // The service's own 45-minute buffer before has to stay clear of other appointments, not of
    // breaks: 13:00 stays (its buffer falls in lunch), the 10:00 appointment still takes 10:00 and 11:00.
    expect(day('2027-03-01', { busy, service: service({ bufferBeforeMinutes: 45 }) })).toEqual([
      '09:00',
      '13:00',
      '14:00',
      '15:00',
      '16:00',
      '17:00',
    ])
    // Notice: two hours from 09:30 local leaves 12:00 on; the horizon cuts the next day.
    const now = Date.parse('2027-03-01T12:30:00Z')
    expect(day('2027-03-01', { now, service: service({ minNoticeMinutes: 120 }) })).toEqual([
      '13:00',
      '14:00',
      '15:00',
      '16:00',
      '17:00',
    ])
    expect(
      slotLabels(p, '2027-03-04T00:00:00Z', '2027-03-05T00:00:00Z', {
        now,
        service: service({ horizonDays: 2 }),
      }),
    ).toEqual([])
  })

  it('keeps a group class open while seats remain, and closes it to anything else', () => {
    const p = professional('America/Sao_Paulo')
    const key = `grp:svc_test:${new Date('2027-03-01T12:00:00Z').toISOString()}`
    const seat = {
      professionalId: 'pro_test',
      from: Date.parse('2027-03-01T12:00:00Z'),
      until: Date.parse('2027-03-01T13:00:00Z'),
      slotKey: key,
    }
    const slots = (busy: (typeof seat)[], capacity: number) =>
      computeSlots({
        service: service({ capacity }),
        professionals: [p],
        blocked: [],
        busy,
        from: Date.parse('2027-03-01T12:00:00Z'),
        to: Date.parse('2027-03-01T12:01:00Z'),
        now: 0,
        enforceNotice: false,
      }).map((slot) => slot.seatsLeft)
    expect(slots([seat, seat], 3)).toEqual([1])
    expect(slots([seat, seat, seat], 3)).toEqual([])
    expect(slots([{ ...seat, slotKey: 'apt_other' }], 3)).toEqual([])
  })
})
