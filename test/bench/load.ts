import autocannon from 'autocannon'
import type { Figure } from './collection.ts'
import type { SentStatement } from './counting-bridge.ts'

/** One request, repeated by every connection of a load run. */
export type LoadRequest = {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH'
  headers?: Record<string, string>
  body?: string
}
/** A run ends at `amount` requests or after `seconds`, whichever comes first. */
export type Bounds = { amount: number; seconds: number; connections: number }
export type Run = {
  /** Responses received, of any status. */
  completed: number
  /** Requests sent: more than `completed` when the time bound stopped the run mid-flight. */
  sent: number
  seconds: number
  perSecond: number
  p50: number
  p99: number
  /** Non-2xx responses plus connection errors and timeouts. */
  failed: number
}

const round = (value: number, decimals = 0) => Math.round(value * 10 ** decimals) / 10 ** decimals
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * autocannon against one loopback URL, bounded in requests and in time: `amount` alone would let
 * a stalled server hold the benchmark forever, so a timer stops the run after `seconds`.
 */
export function cannon(url: string, request: LoadRequest, bounds: Bounds): Promise<Run> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    let lastResponseAt: number | undefined
    const instance = autocannon(
      {
        url,
        method: request.method ?? 'GET',
        headers: request.headers,
        body: request.body,
        amount: bounds.amount,
        connections: bounds.connections,
        timeout: bounds.seconds,
      },
      (error, result) => {
        clearTimeout(guard)
        if (error) return reject(error)
        const completed = result.requests.total
        // autocannon notices the end of an `amount` run on its once-a-second tick, so its
        // `duration` rounds up to that tick (3,000 requests done in 0.19 s reported 1.01 s here):
        // time the responses ourselves.
        const seconds = ((lastResponseAt ?? performance.now()) - startedAt) / 1000
        resolve({
          completed,
          sent: result.requests.sent,
          seconds,
          perSecond: completed / seconds,
          p50: result.latency.p50,
          p99: result.latency.p99,
          failed: result.non2xx + result.errors,
        })
      },
    )
    instance.on('response', () => {
      lastResponseAt = performance.now()
    })
    const guard = setTimeout(() => instance.stop(), bounds.seconds * 1000)
  })
}

/**
 * Waits until no statement has reached the bridge for `quietMs`: work a request left to
 * `waitUntil` (closing its pool, a `last_used_at` touch) is counted with the run that caused it.
 */
export async function settle(sent: SentStatement[], quietMs = 500, maxMs = 10_000): Promise<void> {
  const started = performance.now()
  let seen = sent.length
  let quietSince = started
  while (performance.now() - quietSince < quietMs && performance.now() - started < maxMs) {
    await sleep(100)
    if (sent.length !== seen) {
      seen = sent.length
      quietSince = performance.now()
    }
  }
}

export type LoadTarget = {
  /** `METHOD /path`, and what makes this request what it is. */
  name: string
  url: string
  request: LoadRequest
  bounds: Bounds
  /** Requests sent (and not measured) first, so the run sees warm isolates and caches. */
  warm: number
  /** The issues' target for SQL statements per request; without one the figure is 'info'. */
  statements?: { target: string; pass: (perRequest: number) => boolean }
}

/**
 * The load figures of issue 9, one target after the other: requests per second, p50 and p99
 * latency, failures (target 0) and SQL statements per request, counted exactly on the bridge
 * (statements sent during the run and its settling ÷ requests sent).
 */
export async function benchLoad(
  targets: LoadTarget[],
  sent: SentStatement[],
  /** Filled with each target's run, by name, for figures that compare runs. */
  runs?: Map<string, Run>,
): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const target of targets) {
    const { amount, seconds, connections } = target.bounds
    await cannon(target.url, target.request, {
      amount: target.warm,
      seconds,
      connections: Math.min(connections, target.warm),
    })
    await settle(sent)
    const before = sent.length
    const run = await cannon(target.url, target.request, target.bounds)
    runs?.set(target.name, run)
    await settle(sent)
    const statements = sent.length - before
    // Divided by requests sent, not responses: a request in flight when the time bound stopped
    // the run still runs to its end in the Worker, and its statements were counted.
    const perRequest = run.sent > 0 ? statements / run.sent : Number.NaN
    const label = `load ${target.name}`
    figures.push(
      {
        figure: `${label}: ${run.completed} of ${amount} requests (≤ ${seconds} s${run.completed < amount ? ', time bound hit' : ''}), ${connections} connections`,
        value: round(run.perSecond, 1),
        unit: 'req/s',
        target: 'info',
        pass: true,
      },
      { figure: `${label}: latency p50`, value: round(run.p50, 1), unit: 'ms', target: 'info', pass: true },
      { figure: `${label}: latency p99`, value: round(run.p99, 1), unit: 'ms', target: 'info', pass: true },
      {
        figure: `${label}: non-2xx responses and errors`,
        value: run.failed,
        unit: 'requests',
        target: '= 0',
        pass: run.failed === 0 && run.completed > 0,
      },
      {
        figure: `${label}: SQL statements per request (${statements} ÷ ${run.sent} sent)`,
        value: round(perRequest, 2),
        unit: 'statements',
        target: target.statements?.target ?? 'info',
        pass: target.statements ? target.statements.pass(perRequest) : true,
      },
    )
  }
  return figures
}

/**
 * Signs in through the client portal's form as a browser would: the login page sets the
 * `__Host-csrf` cookie, the form posts it back as `_csrf` with a same-origin `Origin`, and the
 * 303 sets `__Host-session`. Returns the `cookie` header of the signed-in browser. (`__Host-`
 * cookies are `Secure`; browsers keep them for http://localhost and 127.0.0.1, which they treat
 * as secure contexts, so the portal works over plain HTTP under `wrangler dev` too.)
 */
export async function portalSignIn(base: string, email: string, password: string): Promise<string> {
  const jar = new Map<string, string>()
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return response
  }
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
  await remember(await fetch(`${base}/app/login`)).arrayBuffer()
  const csrf = jar.get('__Host-csrf')
  if (!csrf) throw new Error('the portal login page set no __Host-csrf cookie')
  const answer = remember(
    await fetch(`${base}/app/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: cookie(),
        origin: base,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ email, password, _csrf: csrf }).toString(),
    }),
  )
  await answer.arrayBuffer()
  if (answer.status !== 303 || !jar.has('__Host-session'))
    throw new Error(`portal sign-in answered ${answer.status} without a session cookie`)
  return cookie()
}
