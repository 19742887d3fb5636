import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib'
import type { Platform, ReportLanguage } from '../../../db/schema/index.ts'
import { en, type MessageKey } from '../../../portal/i18n/en.ts'
import { ptBR } from '../../../portal/i18n/pt-BR.ts'
import type { ChangeReason } from '../metrics/filters.ts'

/** A KPI card: the period's value, the comparison period's and the change in percent. */
export type Card = {
  value: number | null
  previousValue: number | null
  changePct: number | null
  changeReason: ChangeReason | null
}
export const REPORT_KPIS = ['followers', 'reach', 'views', 'interactions', 'engagementRate'] as const
export type ReportKpi = (typeof REPORT_KPIS)[number]

/** Everything the PDF shows, read by the run from the same services the portal's overview uses. */
export type ReportData = {
  title: string
  tenantName: string
  language: ReportLanguage
  timeZone: string
  from: string
  to: string
  previousFrom: string
  previousTo: string
  generatedAt: Date
  totals: Record<ReportKpi, Card>
  connections: { name: string; platform: Platform; kpis: Record<ReportKpi, Card> }[]
  /** One chart per platform and metric, one line per connection; `days` label the x axis. */
  charts: {
    platform: Platform
    metric: string
    days: string[]
    lines: { name: string; values: (number | null)[] }[]
  }[]
  /** Why the data may be incomplete (the same reasons a held run shows). */
  notes: string[]
  branding: { color: string; footer: string | null }
}

const CATALOGS: Record<ReportLanguage, Record<MessageKey, string>> = { 'pt-BR': ptBR, en }

/** The catalog text of `key` in `language`, `{name}` placeholders filled. */
export function reportText(
  language: ReportLanguage,
  key: MessageKey,
  params: Record<string, string | number> = {},
) {
  return CATALOGS[language][key].replace(/\{(\w+)\}/g, (_, name: string) =>
    String(params[name] ?? `{${name}}`),
  )
}

/**
 * Helvetica is a standard font (nothing embedded, which keeps the file and the Worker small) and
 * covers WinAnsi: Portuguese and the other Latin-1 letters, the euro sign, dashes and quotes.
 * Anything else a label may hold (an emoji in an account name) is replaced, never a missing glyph.
 */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')
export const pdfSafe = (text: string) =>
  [...text.replace(/\u2212/g, '-').replace(/\u202f/g, '\u00a0')]
    .map((char) =>
      ((char.codePointAt(0) ?? 0) <= 0xff && char >= ' ') || WIN_ANSI_EXTRA.has(char) ? char : '?',
    )
    .join('')

const A4 = { width: 595.28, height: 841.89 }
const MARGIN = 48
const INK = rgb(0.13, 0.13, 0.16)
const MUTED = rgb(0.42, 0.42, 0.48)
const RULE = rgb(0.85, 0.85, 0.88)
/** Distinct line colours for up to eight connections per chart (the portal's chart limit). */
const LINE_COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f']
const CHARTS_PER_PAGE = 3
const TABLES_PER_PAGE = 4

const hex = (value: string) => {
  const n = Number.parseInt(value.slice(1), 16)
  return rgb(((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255)
}

type Fonts = { regular: PDFFont; bold: PDFFont }

/**
 * Renders the report: a cover with the tenant's branding and the period, the KPI cards (with the
 * change against the comparison period), one vector chart per platform and metric, a table per
 * connection, the notes about missing data, and page numbers. Returns the file and its page count.
 */
export async function renderReportPdf(data: ReportData): Promise<{ bytes: Uint8Array; pages: number }> {
  const doc = await PDFDocument.create()
  doc.setTitle(pdfSafe(`${data.title} · ${data.tenantName}`))
  doc.setProducer('Integra')
  doc.setCreationDate(data.generatedAt)
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
  }
  const t = (key: MessageKey, params?: Record<string, string | number>) =>
    reportText(data.language, key, params)
  const number = new Intl.NumberFormat(data.language, { maximumFractionDigits: 2 })
  const day = new Intl.DateTimeFormat(data.language, { dateStyle: 'long', timeZone: 'UTC' })
  const dayOf = (value: string) => day.format(new Date(`${value}T12:00:00Z`))
  const brand = hex(data.branding.color)
  const write = (
    page: PDFPage,
    text: string,
    x: number,
    y: number,
    size: number,
    bold = false,
    color = INK,
  ) => page.drawText(pdfSafe(text), { x, y, size, font: bold ? fonts.bold : fonts.regular, color })
  const formatCard = (kpi: ReportKpi, value: number | null) =>
    value === null ? '—' : kpi === 'engagementRate' ? `${number.format(value)} %` : number.format(value)
  const change = (card: Card) =>
    card.changePct === null
      ? t(`kpi.noComparison.${card.changeReason ?? 'no_previous_data'}`)
      : `${card.changePct > 0 ? '+' : ''}${number.format(card.changePct)} %`
  const period = t('report.pdf.period', { from: dayOf(data.from), to: dayOf(data.to) })
  const comparison = t('report.pdf.comparedWith', {
    from: dayOf(data.previousFrom),
    to: dayOf(data.previousTo),
  })

  // Cover: the brand band, who it is for, what it covers, and the totals.
  const cover = doc.addPage([A4.width, A4.height])
  cover.drawRectangle({ x: 0, y: A4.height - 220, width: A4.width, height: 220, color: brand })
  write(cover, data.tenantName, MARGIN, A4.height - 90, 28, true, rgb(1, 1, 1))
  write(cover, data.title, MARGIN, A4.height - 130, 18, false, rgb(1, 1, 1))
  write(cover, period, MARGIN, A4.height - 170, 13, false, rgb(1, 1, 1))
  write(cover, comparison, MARGIN, A4.height - 250, 10, false, MUTED)
  write(cover, t('report.pdf.totals'), MARGIN, A4.height - 290, 14, true)
  REPORT_KPIS.forEach((kpi, index) => {
    const column = index % 2
    const row = Math.floor(index / 2)
    const x = MARGIN + column * 255
    const y = A4.height - 390 - row * 100
    cover.drawRectangle({ x, y, width: 240, height: 86, borderColor: RULE, borderWidth: 1 })
    cover.drawRectangle({ x, y, width: 4, height: 86, color: brand })
    write(cover, t(`kpi.${kpi}`), x + 14, y + 64, 10, false, MUTED)
    write(cover, formatCard(kpi, data.totals[kpi].value), x + 14, y + 36, 20, true)
    write(cover, change(data.totals[kpi]), x + 14, y + 14, 9, false, MUTED)
  })
  write(
    cover,
    t('report.pdf.generated', {
      at: new Intl.DateTimeFormat(data.language, {
        dateStyle: 'long',
        timeStyle: 'short',
        timeZone: data.timeZone,
      }).format(data.generatedAt),
    }),
    MARGIN,
    MARGIN + 20,
    9,
    false,
    MUTED,
  )

  // Charts, a few per page.
  for (let i = 0; i < data.charts.length; i += CHARTS_PER_PAGE) {
    const page = doc.addPage([A4.width, A4.height])
    write(page, t('report.pdf.charts'), MARGIN, A4.height - MARGIN - 10, 16, true)
    data.charts.slice(i, i + CHARTS_PER_PAGE).forEach((chart, index) => {
      drawChart(page, fonts, chart, {
        top: A4.height - MARGIN - 40 - index * 240,
        title: `${t(`platform.${chart.platform}`)} · ${metricName(data.language, chart.metric)}`,
        number,
      })
    })
  }

  // A table per connection: each KPI, its value, the comparison's and the change.
  for (let i = 0; i < data.connections.length; i += TABLES_PER_PAGE) {
    const page = doc.addPage([A4.width, A4.height])
    write(page, t('report.pdf.connections'), MARGIN, A4.height - MARGIN - 10, 16, true)
    data.connections.slice(i, i + TABLES_PER_PAGE).forEach((connection, index) => {
      let y = A4.height - MARGIN - 50 - index * 180
      write(page, `${connection.name} (${t(`platform.${connection.platform}`)})`, MARGIN, y, 12, true)
      y -= 20
      const columns = [MARGIN, MARGIN + 200, MARGIN + 310, MARGIN + 420]
      const header = [
        t('report.pdf.metric'),
        t('report.pdf.value'),
        t('report.pdf.previous'),
        t('report.pdf.change'),
      ]
      header.forEach((text, column) => {
        write(page, text, columns[column] as number, y, 9, true, MUTED)
      })
      for (const kpi of REPORT_KPIS) {
        y -= 4
        page.drawLine({
          start: { x: MARGIN, y },
          end: { x: A4.width - MARGIN, y },
          thickness: 0.5,
          color: RULE,
        })
        y -= 14
        const card = connection.kpis[kpi]
        const cells = [
          t(`kpi.${kpi}`),
          formatCard(kpi, card.value),
          formatCard(kpi, card.previousValue),
          change(card),
        ]
        cells.forEach((text, column) => {
          write(page, text, columns[column] as number, y, 10)
        })
      }
    })
  }

  // As the portal's overview: a change shown as "no basis for comparison" is explained once, in
  // the notes. The explanation is not a reason to hold the run (the data is complete).
  const withoutBasis = [data.totals, ...data.connections.map((c) => c.kpis)].some((cards) =>
    Object.values(cards).some(
      (card) => card.changeReason === 'no_previous_data' || card.changeReason === 'partial_previous_data',
    ),
  )
  const notes = withoutBasis ? [...data.notes, t('kpi.noComparisonNote')] : data.notes
  if (notes.length > 0) {
    const page = doc.addPage([A4.width, A4.height])
    write(page, t('report.pdf.notes'), MARGIN, A4.height - MARGIN - 10, 16, true)
    let y = A4.height - MARGIN - 40
    for (const note of notes) {
      for (const line of wrap(pdfSafe(`• ${note}`), fonts.regular, 10, A4.width - 2 * MARGIN)) {
        if (y < MARGIN + 30) break
        write(page, line, MARGIN, y, 10)
        y -= 14
      }
    }
  }

  // Page numbers and the tenant's footer on every page.
  const pages = doc.getPages()
  pages.forEach((page, index) => {
    const label = t('report.pdf.page', { page: index + 1, pages: pages.length })
    write(
      page,
      label,
      A4.width - MARGIN - fonts.regular.widthOfTextAtSize(pdfSafe(label), 9),
      24,
      9,
      false,
      MUTED,
    )
    if (data.branding.footer) write(page, data.branding.footer, MARGIN, 24, 9, false, MUTED)
  })
  return { bytes: await doc.save(), pages: pages.length }
}

/** The catalog's name of a metric, or its key made readable when the catalogs have none. */
function metricName(language: ReportLanguage, metric: string): string {
  const key = `metric.${metric}`
  return Object.hasOwn(en, key) ? reportText(language, key as MessageKey) : metric.replace(/_/g, ' ')
}

/** Greedy word wrap to `width` points. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word
    if (line && font.widthOfTextAtSize(next, size) > width) {
      lines.push(line)
      line = word
    } else line = next
  }
  if (line) lines.push(line)
  return lines
}

/**
 * One line chart as vector paths (`drawSvgPath`, whose y axis points down from its origin): axes,
 * the maximum on the y axis, the first and last day, one polyline per connection broken where a
 * day has no value, and a legend.
 */
function drawChart(
  page: PDFPage,
  fonts: Fonts,
  chart: ReportData['charts'][number],
  options: { top: number; title: string; number: Intl.NumberFormat },
) {
  const left = MARGIN + 40
  const width = A4.width - MARGIN - left
  const height = 150
  const top = options.top
  page.drawText(pdfSafe(options.title), { x: MARGIN, y: top, size: 11, font: fonts.bold, color: INK })
  const plotTop = top - 14
  const values = chart.lines.flatMap((line) => line.values.filter((value): value is number => value !== null))
  const max = Math.max(1, ...values)
  const min = Math.min(0, ...values)
  const span = max - min || 1
  const step = chart.days.length > 1 ? width / (chart.days.length - 1) : 0
  page.drawSvgPath(`M 0 0 L 0 ${height} L ${width} ${height}`, {
    x: left,
    y: plotTop,
    borderColor: MUTED,
    borderWidth: 0.75,
  })
  const label = (text: string, x: number, y: number) =>
    page.drawText(pdfSafe(text), { x, y, size: 8, font: fonts.regular, color: MUTED })
  label(options.number.format(max), MARGIN, plotTop - 8)
  label(options.number.format(min), MARGIN, plotTop - height)
  label(chart.days[0] ?? '', left, plotTop - height - 12)
  const lastDay = chart.days.at(-1) ?? ''
  label(lastDay, left + width - fonts.regular.widthOfTextAtSize(lastDay, 8), plotTop - height - 12)
  chart.lines.slice(0, LINE_COLOURS.length).forEach((line, index) => {
    let path = ''
    let pen = false
    line.values.forEach((value, i) => {
      if (value === null) {
        pen = false
        return
      }
      const x = (i * step).toFixed(2)
      const y = (height - ((value - min) / span) * height).toFixed(2)
      path += `${pen ? 'L' : 'M'} ${x} ${y} `
      pen = true
    })
    const colour = hex(LINE_COLOURS[index] as string)
    if (path) page.drawSvgPath(path, { x: left, y: plotTop, borderColor: colour, borderWidth: 1.5 })
    const legendX = MARGIN + (index % 4) * 125
    const legendY = plotTop - height - 28 - Math.floor(index / 4) * 12
    page.drawRectangle({ x: legendX, y: legendY, width: 8, height: 8, color: colour })
    label(line.name.slice(0, 28), legendX + 12, legendY)
  })
}
