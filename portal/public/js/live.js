// Live updates for portal pages (docs/realtime.md). A page declares what it shows with
// `data-live="<topic>[,<topic>]"` on the sections that must stay current, and how each refreshes
// with htmx: `hx-trigger="live:<topic> from:body, live:poll from:body"`. This script opens one
// WebSocket to /app/events for those topics and, for every event heard, fires `live:<topic>` on
// <body>; htmx then asks the server for the fragment again, so what appears is rendered for the
// viewer like the first paint. While the socket is down it fires `live:poll` every 10 s instead,
// reconnects with exponential backoff and jitter, and fires one `live:poll` on reconnecting to
// catch up with whatever it missed. No inline code, no third party: the CSP's 'self' covers it.
;(() => {
  const POLL_MS = 10_000
  const PING_MS = 25_000
  const PONG_WAIT_MS = 10_000
  const FIRST_RETRY_MS = 1_000
  const MAX_RETRY_MS = 60_000
  // The tenant's object asks a page whose authorization is older than the server allows to
  // connect again (runtime/tenant-events.ts, REAUTHENTICATE).
  const REAUTHENTICATE = 4401
  // A socket that lived less than this before being asked to re-authenticate is not retried at
  // once (a clock far off would otherwise loop).
  const MIN_LIFE_MS = 30_000

  const topics = [
    ...new Set(
      [...document.querySelectorAll('[data-live]')].flatMap((element) =>
        element.dataset.live.split(/[\s,]+/).filter(Boolean),
      ),
    ),
  ]
  if (topics.length === 0) return

  let socket = null
  let attempt = 0
  let pollTimer = null
  let retryTimer = null
  let pingTimer = null
  let pongTimer = null

  const fire = (name, detail) => {
    if (window.htmx) window.htmx.trigger(document.body, name, detail)
    else document.body.dispatchEvent(new CustomEvent(name, { bubbles: true, detail }))
  }

  /** `live` or `polling` on <html> (tests and styles read it) and in the page's status line. */
  const show = (state) => {
    document.documentElement.dataset.liveState = state
    for (const element of document.querySelectorAll('[data-live-state]'))
      element.hidden = element.dataset.liveState !== state
  }

  const startPolling = () => {
    show('polling')
    pollTimer ??= setInterval(() => fire('live:poll'), POLL_MS)
  }

  const stopPolling = () => {
    clearInterval(pollTimer)
    pollTimer = null
  }

  const ping = () => {
    if (socket?.readyState !== WebSocket.OPEN) return
    socket.send('ping')
    clearTimeout(pongTimer)
    // No pong in time: the connection is dead without having said so; close it and fall back.
    pongTimer = setTimeout(() => socket?.close(), PONG_WAIT_MS)
  }

  const retryLater = () => {
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt)
    attempt++
    retryTimer = setTimeout(connect, ceiling * (0.5 + Math.random() / 2))
  }

  function connect() {
    clearTimeout(retryTimer)
    const url = new URL('/app/events', window.location.href)
    url.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
    url.searchParams.set('topics', topics.join(','))
    const opened = Date.now()
    const current = new WebSocket(url)
    socket = current

    current.addEventListener('open', () => {
      const missed = attempt > 0 || pollTimer !== null
      attempt = 0
      stopPolling()
      show('live')
      if (missed) fire('live:poll')
      pingTimer = setInterval(ping, PING_MS)
    })

    current.addEventListener('message', (message) => {
      if (message.data === 'pong') {
        clearTimeout(pongTimer)
        return
      }
      let event
      try {
        event = JSON.parse(message.data)
      } catch {
        return
      }
      for (const topic of event.topics ?? []) if (topics.includes(topic)) fire(`live:${topic}`, event)
    })

    current.addEventListener('close', (closed) => {
      if (socket !== current) return
      socket = null
      clearInterval(pingTimer)
      clearTimeout(pongTimer)
      if (closed.code === REAUTHENTICATE && Date.now() - opened > MIN_LIFE_MS) {
        // The event that caused this was not delivered: read the page again once connected.
        attempt = 1
        connect()
        return
      }
      startPolling()
      retryLater()
    })
  }

  window.addEventListener('pagehide', () => socket?.close(1000, 'page left'))
  connect()
})()
