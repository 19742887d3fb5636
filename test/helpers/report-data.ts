import { type Card, REPORT_KPIS, type ReportData } from '../../worker/services/reports/pdf.ts'

const card = (value: number, previousValue: number): Card => ({
  value,
  previousValue,
  changePct: Math.round(((value - previousValue) / previousValue) * 10000) / 100,
  changeReason: null,
})
const cards = (scale: number) =>
  Object.fromEntries(
    REPORT_KPIS.map((kpi, i) => [kpi, card(1000 * scale + i, 900 * scale + i)]),
  ) as ReportData['totals']

/** The load: 50 connections over 30 days, one chart per platform and metric. */
export function bigReport(language: ReportData['language'] = 'pt-BR'): ReportData {
  const days = Array.from({ length: 30 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`)
  const platforms = ['instagram', 'facebook', 'tiktok', 'x', 'whatsapp'] as const
  const connections = Array.from({ length: 50 }, (_, i) => ({
    name: `Cliente ${i + 1} — São Paulo 🚀`,
    platform: platforms[i % platforms.length] as (typeof platforms)[number],
    kpis: cards(i + 1),
  }))
  const charts = platforms.flatMap((platform) =>
    ['reach', 'views'].map((metric) => ({
      platform,
      metric,
      days,
      lines: connections
        .filter((connection) => connection.platform === platform)
        .slice(0, 8)
        .map((connection, n) => ({
          name: connection.name,
          values: days.map((_, d) => (d === 10 ? null : 100 + n * 10 + ((d * 37) % 50))),
        })),
    })),
  )
  return {
    title: 'Relatório mensal de desempenho',
    tenantName: 'Agência Ação & Companhia',
    language,
    timeZone: 'America/Sao_Paulo',
    from: '2026-11-01',
    to: '2026-11-30',
    previousFrom: '2026-10-02',
    previousTo: '2026-10-31',
    generatedAt: new Date('2026-12-01T12:00:00Z'),
    totals: cards(50),
    connections,
    charts,
    notes: ['Cliente 3 precisa ser reconectada: os dados podem parar antes do fim do período.'],
    branding: { color: '#7c3aed', footer: 'Agência Ação · relatórios@agencia.example' },
  }
}
