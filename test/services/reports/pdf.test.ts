import { describe, expect, it } from 'vitest'
import { renderReportPdf } from '../../../worker/services/reports/pdf.ts'
import { pdfText } from '../../helpers/pdf.ts'
import { bigReport } from '../../helpers/report-data.ts'

describe('the report PDF', () => {
  it('renders 50 connections and 30 days inside workerd, every glyph in Helvetica (no missing ones)', async () => {
    const { bytes, pages } = await renderReportPdf(bigReport())
    const text = pdfText(bytes)
    expect(pages).toBe(text.filter((line) => /^Página \d+ de \d+$/.test(line)).length)
    expect(text).toContain(`Página ${pages} de ${pages}`)
    expect(text).toContain('Agência Ação & Companhia')
    expect(text).toContain('De 1 de novembro de 2026 a 30 de novembro de 2026')
    expect(text).toContain('Taxa de engajamento')
    // The emoji has no WinAnsi glyph: replaced, never dropped silently or drawn as a missing box.
    expect(text).toContain('Cliente 1 — São Paulo ? (Instagram)')
    expect(text).toContain('Agência Ação · relatórios@agencia.example')
    expect(bytes.length).toBeLessThan(5 * 1024 * 1024)
  })

  it('reads in English with English dates and numbers', async () => {
    const text = pdfText((await renderReportPdf(bigReport('en'))).bytes)
    expect(text).toContain('From November 1, 2026 to November 30, 2026')
    expect(text).toContain('50,001')
    expect(text.some((line) => /^Page 1 of \d+$/.test(line))).toBe(true)
  })

  it('says why a change is missing, as the portal does, in both languages', async () => {
    const report = bigReport()
    const short = {
      value: 10,
      previousValue: 2,
      changePct: null,
      changeReason: 'partial_previous_data' as const,
    }
    const fromZero = { value: 10, previousValue: 0, changePct: null, changeReason: 'previous_zero' as const }
    report.totals = { ...report.totals, reach: short, views: fromZero }
    const pt = pdfText((await renderReportPdf(report)).bytes).join(' ')
    expect(pt).toContain('sem base de comparação')
    expect(pt).toContain('antes: 0')
    expect(pt).toContain('Sem base de comparação: o período anterior começou antes da primeira coleta')
    const en = pdfText((await renderReportPdf({ ...report, language: 'en' })).bytes).join(' ')
    expect(en).toContain('no basis for comparison')
    expect(en).toContain('up from 0')
    expect(en).toContain('No basis for comparison: the previous period began before the first collection')
    // Complete data needs no such note.
    expect(pdfText((await renderReportPdf(bigReport('en'))).bytes).join(' ')).not.toContain(
      'No basis for comparison',
    )
  })
})
