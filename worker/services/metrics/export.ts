import { sql } from 'drizzle-orm'
import type { DbHandle } from '../../../db/client.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import { describeError, log } from '../../log.ts'
import { openDatabase } from '../../runtime/services.ts'
import type { Caller } from '../caller.ts'
import type { ServiceContext } from '../context.ts'
import type { MetricFilters } from './filters.ts'
import { keyOf, type PointKey, pageSql, pointsPage, type RawPoint } from './points.ts'

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Rows per page read by the export stream: a few hundred KB of output, one short transaction each. */
export const EXPORT_PAGE_ROWS = 5000

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
}

const COLUMNS = [
  'period_start',
  'connection_id',
  'platform',
  'label',
  'metric',
  'granularity',
  'value',
  'collected_at',
] as const satisfies readonly (keyof RawPoint)[]

/** The columns of a CSV for people (the portal's download): no internal ids or codes. */
export const SHEET_COLUMNS = ['period_start', 'platform', 'label', 'metric', 'value'] as const
export type SheetColumn = (typeof SHEET_COLUMNS)[number]

/**
 * How the portal's CSV reads in the member's spreadsheet: a Brazilian one splits on `;` and reads
 * `1,5` as a number; headers, platforms and metrics in the member's language. The API's export
 * keeps RFC 4180 with the raw columns, for programs.
 */
export type SheetCsv = {
  separator: ',' | ';'
  decimalComma: boolean
  headers: Record<SheetColumn, string>
  name: (kind: 'platform' | 'metric', value: string) => string
}

/**
 * Runs in the request's transaction, where the session and the license were checked (once for the
 * whole export): the permission, the tenant's slug for the file name and the first page, in one
 * statement. An export that fits in one page never opens a second connection.
 */
export async function prepareExport(ctx: ServiceContext, input: MetricFilters & { format: ExportFormat }) {
  authorize(ctx.principal, 'metrics.read')
  const tenantId = ctx.principal.tenantId
  const result = await ctx.tx.execute<{ slug: string; rows: RawPoint[] }>(sql`
    select t.slug, (
      select coalesce(json_agg(page order by page.period_start, page.connection_id, page.metric, page.granularity), '[]')
      from (${pageSql(tenantId, input, null, EXPORT_PAGE_ROWS)}) page
    ) as rows
    from tenants t where t.id = ${tenantId}`)
  const [tenant] = result.rows
  if (!tenant) throw notFound('tenant')
  return {
    tenantId,
    filename: `${tenant.slug}_metrics_${input.from}_${input.to}.${input.format}`,
    firstPage: tenant.rows,
  }
}

/**
 * One RFC 4180 field. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
 * CR first: labels are typed by people) gets a leading `'`, the usual neutralisation.
 */
export function csvField(value: string | number | null, separator: ',' | ';' = ','): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /["\r\n]/.test(text) || text.includes(separator) ? `"${text.replaceAll('"', '""')}"` : text
}

const csvLine = (point: RawPoint) => `${COLUMNS.map((column) => csvField(point[column])).join(',')}\r\n`

/** A point as a row of the people's CSV (see SheetCsv). */
function sheetLine(sheet: SheetCsv) {
  const cell = (point: RawPoint, column: SheetColumn): string => {
    switch (column) {
      case 'platform':
      case 'metric':
        return csvField(sheet.name(column, point[column]), sheet.separator)
      case 'value': {
        const text = String(point.value)
        return sheet.decimalComma ? text.replace('.', ',') : text
      }
      default:
        return csvField(point[column], sheet.separator)
    }
  }
  return (point: RawPoint) =>
    `${SHEET_COLUMNS.map((column) => cell(point, column)).join(sheet.separator)}\r\n`
}
const ndjsonLine = (point: RawPoint) => `${JSON.stringify(point)}\n`

/**
 * The export body, read page by page as the client consumes it (at most one page queued ahead),
 * never the whole result in memory. The first page comes from `prepareExport`. The stream
 * outlives the handler, and the request's DbHandle is closed once the response is returned
 * (`init`), so later pages are read through `db`, a handle of the stream's own (it connects on
 * its first page), closed when the stream ends, fails or is cancelled. Each page is one short
 * transaction with the tenant set for row-level security, and a keyset page (see `pageSql`), so
 * nothing is lost or repeated at page boundaries even while collection inserts points. A failure
 * after the first byte cannot change the status any more: the stream is errored, so the client
 * sees an aborted download rather than a silently truncated file.
 */
function exportStream(options: {
  db: DbHandle
  tenantId: string
  filters: MetricFilters
  format: ExportFormat
  sheet?: SheetCsv
  firstPage: RawPoint[]
  requestId: string
}): ReadableStream<Uint8Array> {
  const { db, tenantId, filters, format, sheet, requestId } = options
  const encoder = new TextEncoder()
  const line = format === 'ndjson' ? ndjsonLine : sheet ? sheetLine(sheet) : csvLine
  const header = sheet
    ? SHEET_COLUMNS.map((column) => csvField(sheet.headers[column], sheet.separator)).join(sheet.separator)
    : COLUMNS.join(',')
  let firstPage: RawPoint[] | null = options.firstPage
  let after: PointKey | null = null
  let cancelled = false
  /** The page being read, so a cancel waits for it instead of closing the socket under it. */
  let reading: Promise<unknown> = Promise.resolve()
  const nextPage = async (): Promise<RawPoint[]> => {
    if (firstPage) {
      const rows = firstPage
      firstPage = null
      return rows
    }
    const page = db.transaction((tx) => pointsPage(tx, tenantId, filters, after, EXPORT_PAGE_ROWS), {
      tenantId,
    })
    reading = page.catch(() => undefined)
    return page
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // The BOM makes spreadsheets read the file as UTF-8 (accents intact).
        if (format === 'csv') controller.enqueue(encoder.encode(`\uFEFF${header}\r\n`))
      },
      async pull(controller) {
        let rows: RawPoint[]
        try {
          rows = await nextPage()
        } catch (error) {
          if (cancelled) return
          log('error', 'metrics export failed', { request_id: requestId, ...describeError(error) })
          await db.close()
          controller.error(error)
          return
        }
        if (cancelled) return
        if (rows.length > 0) controller.enqueue(encoder.encode(rows.map(line).join('')))
        const last = rows.at(-1)
        if (rows.length < EXPORT_PAGE_ROWS || !last) {
          await db.close()
          controller.close()
        } else {
          after = keyOf(last)
        }
      },
      async cancel() {
        cancelled = true
        await reading
        await db.close()
      },
    },
    { highWaterMark: 1 },
  )
}

/**
 * The export flow of the API route and the portal's link: checks and the first page in the
 * request's transaction, then the body streamed from a database handle of its own (the request's
 * is closed once the response is returned; the stream closes this one when it ends, fails or is
 * cancelled), with its headers.
 */
export async function downloadExport(
  caller: Caller,
  filters: MetricFilters & { format: ExportFormat },
  sheet?: SheetCsv,
): Promise<{ body: ReadableStream<Uint8Array>; headers: Record<string, string> }> {
  const prepared = await caller.run((ctx) => prepareExport(ctx, filters), { module: 'metrics' })
  const body = exportStream({
    db: openDatabase(caller.services.config),
    tenantId: prepared.tenantId,
    filters,
    format: filters.format,
    sheet,
    firstPage: prepared.firstPage,
    requestId: caller.meta.requestId,
  })
  return {
    body,
    headers: {
      'Content-Type': EXPORT_CONTENT_TYPES[filters.format],
      'Content-Disposition': `attachment; filename="${prepared.filename}"`,
      'Cache-Control': 'no-store',
    },
  }
}
