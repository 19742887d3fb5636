import { sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { GRANULARITIES, users } from '../../db/schema/index.ts'
import { ApiError } from '../../worker/errors.ts'
import {
  afterCursor,
  byCreatedAt,
  decodeCursor,
  encodeCursor,
  type Key,
  key,
  nextPage,
} from '../../worker/services/keyset.ts'

// The one cursor codec (worker/services/keyset.ts) against cursors that decode to JSON but not to
// a sort key, for each shape of key the lists use. Through HTTP, fuzz-regressions.test.ts sends a
// few of these to every list.

const zeros = (prefix: string) => `${prefix}_${'0'.repeat(20)}`
const b64 = (text: string) => btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
const cursorOf = (value: unknown) => b64(JSON.stringify(value))
const kinds = (keys: readonly Key[]) => keys.map((k) => k.kind)

const SHAPES: Record<string, readonly Key[]> = {
  'created_at lists (users)': byCreatedAt(users, 'usr'),
  'bookings (day, id)': [key.date(sql`check_in`), key.id(sql`id`, 'bkg')],
  'properties (id)': [key.id(sql`id`, 'prp')],
  'points (day, connection, metric, granularity)': [
    key.date(sql`period_start`),
    key.id(sql`connection_id`, 'con'),
    key.text(sql`metric`),
    key.oneOf(sql`granularity`, GRANULARITIES),
  ],
}

/** A cursor of each shape that names no row but is a key: the last day and microsecond stored. */
const VALID: Record<string, unknown[]> = {
  'created_at lists (users)': ['9999-12-31T23:59:59.999999Z', zeros('usr')],
  'bookings (day, id)': ['9999-12-31', zeros('bkg')],
  'properties (id)': [zeros('prp')],
  'points (day, connection, metric, granularity)': ['0001-01-01', zeros('con'), 'reach', 'lifetime'],
}

/** Decodes to JSON, is not a sort key of any list. */
const FORGED: unknown[] = [
  ['not-a-date', 'x'],
  ['2026-99-99', zeros('bkg')],
  ["' OR 1=1--", 'x'],
  ['x'],
  [1],
  [1, 2],
  [null, null],
  [true, false],
  [1e308, -0],
  [['2026-01-01'], zeros('bkg')],
  [{ $gt: '' }, zeros('usr')],
  ['2026-02-29', zeros('bkg')],
  ['0000-01-01', zeros('bkg')],
  ['10000-01-01', zeros('bkg')],
  ['+275760-09-13', zeros('bkg')],
  ['-000001-01-01', zeros('bkg')],
  ['infinity', zeros('bkg')],
  ['2026-01-01T00:00:00.000000Z', zeros('bkg')],
  ['0000-12-31T23:59:59.999999Z', zeros('usr')],
  ['2026-01-01T24:00:00.000000Z', zeros('usr')],
  ['2016-12-31T23:59:60.000000Z', zeros('usr')],
  ['2026-01-01T00:00:00Z', zeros('usr')],
  ['2026-01-01T00:00:00.000000+01:00', zeros('usr')],
  ['+275760-09-13T00:00:00.000000Z', zeros('usr')],
  ['9999-12-31T23:59:59.999999Z', zeros('ses')],
  ['9999-12-31T23:59:59.999999Z', 'usr_0000000000000000000'],
  ['9999-12-31T23:59:59.999999Z', `${zeros('usr')} `],
  ['9999-12-31T23:59:59.999999Z', 'a\u0000'],
  [zeros('ses')],
  [zeros('PRP')],
  ['\ud800'],
  ['2026-01-01', zeros('con'), 'reach', 'year'],
  ['2026-01-01', zeros('con'), 'a\u0000', 'day'],
  ['2026-01-01', zeros('con'), '\ud800', 'day'],
  ['2026-01-01', zeros('con'), 'x'.repeat(201), 'day'],
  ['2026-01-01', zeros('prp'), 'reach', 'day'],
  ['2026-01-01', zeros('con'), 'reach', 'day', 'extra'],
  [],
  [[]],
  { 0: 'a', 1: 'b', length: 2 },
  '2026-01-01',
  42,
  null,
  true,
]

function refusal(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (error) {
    if (!(error instanceof ApiError)) return `threw ${String(error)}`
    return `${error.status} ${error.code} ${error.fields?.map((f) => f.path).join()}`
  }
}

describe('decodeCursor', () => {
  it('refuses with a 400 on query.cursor whatever a cursor decodes to, unless it is the key of its list', () => {
    for (const [shape, keys] of Object.entries(SHAPES)) {
      const answers = FORGED.map((value) => [
        JSON.stringify(value),
        refusal(() => decodeCursor(cursorOf(value), kinds(keys))),
      ])
      expect([shape, answers]).toEqual([
        shape,
        FORGED.map((value) => [JSON.stringify(value), '400 VALIDATION_FAILED query.cursor']),
      ])
    }
  })

  it('refuses what is not base64 of JSON', () => {
    for (const cursor of [
      'not-a-cursor!',
      '%%%',
      b64('["a",'),
      b64('NaN'),
      b64('\u00ff\u00fe'),
      'x'.repeat(199),
    ])
      expect([cursor, refusal(() => decodeCursor(cursor, kinds(SHAPES['properties (id)'] ?? [])))]).toEqual([
        cursor,
        '400 VALIDATION_FAILED query.cursor',
      ])
  })

  it('gives back the key of a cursor it wrote, at the first and last day and microsecond stored', () => {
    for (const [shape, keys] of Object.entries(SHAPES)) {
      const valid = VALID[shape] as string[]
      expect(decodeCursor(encodeCursor(valid), kinds(keys))).toEqual(valid)
    }
    expect(
      decodeCursor(
        encodeCursor(['0001-01-01T00:00:00.000000Z', zeros('usr')]),
        kinds(byCreatedAt(users, 'usr')),
      ),
    ).toEqual(['0001-01-01T00:00:00.000000Z', zeros('usr')])
    expect(decodeCursor(undefined, [])).toBeNull()
    expect(decodeCursor('', [])).toBeNull()
  })
})

describe('afterCursor and nextPage', () => {
  it('compare the whole key in one row comparison, values bound and cast to their column type', () => {
    const condition = afterCursor(
      byCreatedAt(users, 'usr'),
      encodeCursor(['2026-01-02T03:04:05.123456Z', zeros('usr')]),
      'desc',
    )
    const { sql: text, params } = new PgDialect().sqlToQuery(sql`${condition}`)
    expect({ sql: text, params }).toEqual({
      sql: '("users"."created_at", "users"."id") < ($1::timestamptz, $2)',
      params: ['2026-01-02T03:04:05.123456Z', zeros('usr')],
    })
    expect(afterCursor(byCreatedAt(users, 'usr'), undefined, 'asc')).toBeUndefined()
  })

  it('gives a cursor only when a row past the page was fetched', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }]
    expect(nextPage(rows, 2, (row) => [row.id])).toEqual({
      data: [{ id: 'a' }, { id: 'b' }],
      nextCursor: encodeCursor(['b']),
    })
    expect(nextPage(rows, 3, (row) => [row.id])).toEqual({ data: rows, nextCursor: null })
  })
})
