import { useI18n } from '../i18n/index.ts'

export type Bar = { label: string; value: number; tooltip: string }

const WIDTH = 720
const HEIGHT = 260
const PAD = { top: 12, right: 16, bottom: 42, left: 64 }

/**
 * A server-rendered SVG bar chart in the style of `LineChart` (portal/components/chart.tsx): the
 * same `.chart`, `.axis`, `.grid`, colour and `.legend` classes, no script. The y axis runs from 0
 * to `max` (or a round step above the largest value) and carries `yLabel`; each bar has a
 * `<title>` tooltip, the x axis names the bars and a `<desc>` summarises the chart.
 */
export function BarChart(props: {
  id: string
  title: string
  desc: string
  yLabel: string
  legend: string
  bars: Bar[]
  max?: number
  format: (value: number) => string
}) {
  const { t } = useI18n()
  if (props.bars.length === 0) return <p class="muted">{t('chart.noData')}</p>
  const top = props.max ?? Math.max(1, ...props.bars.map((b) => b.value))
  const plotW = WIDTH - PAD.left - PAD.right
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const y = (value: number) => PAD.top + plotH - (Math.min(value, top) / top) * plotH
  const slot = plotW / props.bars.length
  const barW = Math.min(80, slot * 0.6)
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top)
  const short = (label: string) => (label.length > 16 ? `${label.slice(0, 15)}…` : label)
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
        <desc id={descId}>{props.desc}</desc>
        {ticks.map((v) => (
          <g>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 8} y={y(v) + 4} text-anchor="end">
              {props.format(v)}
            </text>
          </g>
        ))}
        <text
          x={14}
          y={PAD.top + plotH / 2}
          text-anchor="middle"
          transform={`rotate(-90 14 ${PAD.top + plotH / 2})`}
        >
          {props.yLabel}
        </text>
        <line class="axis" x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={PAD.top + plotH} />
        <line class="axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} />
        {props.bars.map((bar, index) => {
          const cx = PAD.left + slot * index + slot / 2
          return (
            <g class="c0">
              <rect
                class="bar c0"
                x={(cx - barW / 2).toFixed(1)}
                y={y(bar.value).toFixed(1)}
                width={barW.toFixed(1)}
                height={(PAD.top + plotH - y(bar.value)).toFixed(1)}
                tabindex="0"
              >
                <title>{bar.tooltip}</title>
              </rect>
              <text x={cx.toFixed(1)} y={HEIGHT - PAD.bottom + 16} text-anchor="middle">
                {short(bar.label)}
              </text>
            </g>
          )
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          <li>
            <span class="swatch c0" aria-hidden="true" />
            {props.legend}
          </li>
        </ul>
      </figcaption>
    </figure>
  )
}
