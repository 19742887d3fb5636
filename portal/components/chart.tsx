import { useI18n } from '../i18n/index.ts'

export type ChartSeries = { label: string; points: { t: string; v: number | null }[] }

/**
 * Drawing sizes in SVG units. A wide chart fills a page; a small one is one of several side by
 * side (small multiples), drawn in fewer units so its 11-unit text stays legible when a phone
 * shrinks it to 350 px.
 */
const SIZES = {
  wide: { width: 720, height: 260, pad: { top: 12, right: 16, bottom: 30, left: 64 }, xTicks: 6 },
  small: { width: 400, height: 220, pad: { top: 10, right: 12, bottom: 30, left: 54 }, xTicks: 4 },
} as const
const COLOURS = 8

/** Round tick steps (1, 2, 2.5, 5 × 10ⁿ) so the axis reads naturally. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw)
  return step ?? raw
}

/**
 * A server-rendered SVG line chart: no script, so it is part of the first paint and needs no CSP
 * exception. Axes carry formatted values and dates in the page's language, every point has a
 * `<title>` tooltip, the legend names each line, and a `<desc>` summarises the chart for screen
 * readers (the explorer also shows the same numbers as a table).
 */
export function LineChart(props: {
  id: string
  title: string
  series: ChartSeries[]
  size?: keyof typeof SIZES
}) {
  const i18n = useI18n()
  const { width: WIDTH, height: HEIGHT, pad: PAD, xTicks: X_TICKS } = SIZES[props.size ?? 'wide']
  const dates = [...new Set(props.series.flatMap((s) => s.points.map((p) => p.t)))].sort()
  const values = props.series.flatMap((s) => s.points.map((p) => p.v)).filter((v): v is number => v !== null)
  if (dates.length === 0 || values.length === 0) {
    return <p class="muted">{i18n.t('chart.noData')}</p>
  }
  const min = Math.min(0, ...values)
  const max = Math.max(...values, 1)
  const step = niceStep(max - min, 4)
  const top = Math.ceil(max / step) * step
  const bottom = Math.floor(min / step) * step
  const plotW = WIDTH - PAD.left - PAD.right
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const column = new Map(dates.map((date, index) => [date, index]))
  // One decimal is a tenth of a pixel at full width: more digits only weigh on the page.
  const x = (date: string) =>
    (
      PAD.left +
      (dates.length === 1 ? plotW / 2 : ((column.get(date) as number) / (dates.length - 1)) * plotW)
    ).toFixed(1)
  const y = (value: number) => (PAD.top + plotH - ((value - bottom) / (top - bottom || 1)) * plotH).toFixed(1)
  const yTicks: number[] = []
  for (let v = bottom; v <= top + step / 2; v += step) yTicks.push(v)
  const xEvery = Math.max(1, Math.ceil(dates.length / X_TICKS))
  const xTicks = dates.filter((_, index) => index % xEvery === 0)
  const compact = (v: number) => i18n.number(v, { notation: 'compact', maximumFractionDigits: 1 })
  const shortDate = (d: string) =>
    new Intl.DateTimeFormat(i18n.locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
      new Date(`${d}T00:00:00Z`),
    )
  // Each date's label once, not once per point of every line.
  const dateLabel = new Map(dates.map((date) => [date, i18n.date(date)]))
  const titleId = `${props.id}-title`
  const descId = `${props.id}-desc`
  return (
    <figure class="chart-figure">
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={titleId}>{props.title}</title>
        <desc id={descId}>
          {i18n.t('chart.desc', {
            series: props.series.map((s) => s.label).join(', '),
            from: i18n.date(dates[0] as string),
            to: i18n.date(dates.at(-1) as string),
          })}
        </desc>
        {yTicks.map((v) => (
          <g>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 8} y={(Number(y(v)) + 4).toFixed(1)} text-anchor="end">
              {compact(v)}
            </text>
          </g>
        ))}
        <line class="axis" x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={PAD.top + plotH} />
        <line class="axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} />
        {xTicks.map((d) => (
          <text x={x(d)} y={HEIGHT - 8} text-anchor="middle">
            {shortDate(d)}
          </text>
        ))}
        {props.series.map((series, index) => {
          const colour = `c${index % COLOURS}`
          // A gap (null) breaks the line instead of drawing through missing days.
          const segments: string[] = []
          let current = ''
          for (const point of series.points) {
            if (point.v === null) {
              if (current) segments.push(current)
              current = ''
              continue
            }
            current += `${current ? 'L' : 'M'}${x(point.t)},${y(point.v)}`
          }
          if (current) segments.push(current)
          // The colour is set once on the group: lines and points inherit it.
          const r = dates.length > 45 ? 2 : 3.5
          return (
            <g class={colour}>
              {segments.map((d) => (
                <path class="line" d={d} />
              ))}
              {series.points
                .filter((point) => point.v !== null)
                .map((point) => (
                  <circle cx={x(point.t)} cy={y(point.v as number)} r={r}>
                    <title>{`${props.title} · ${series.label} · ${dateLabel.get(point.t)}: ${i18n.number(point.v as number)}`}</title>
                  </circle>
                ))}
            </g>
          )
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {props.series.map((series, index) => (
            <li>
              <span class={`swatch c${index % COLOURS}`} aria-hidden="true" />
              {series.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  )
}
