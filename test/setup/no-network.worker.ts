/**
 * Tests never reach the internet: any fetch to a host outside loopback (and the fake platforms
 * tests register) fails loudly instead of silently depending on the network.
 */
const realFetch = globalThis.fetch
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/

globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : input.toString())
  if (!LOOPBACK.test(url.hostname)) {
    throw new Error(`outbound network is disabled in tests: ${url.origin}`)
  }
  return realFetch(input, init)
}) as typeof fetch
