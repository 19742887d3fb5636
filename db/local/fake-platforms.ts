import http from 'node:http'
import { parseArgs } from 'node:util'
import { fakePlatforms } from './fakes/index.ts'
import { READY_PREFIX } from './stack-info.ts'

/**
 * Serves the fake platforms on loopback for `npm run dev` and the tests (a tiny Node adapter
 * around the Hono app's fetch handler). Prints `READY {"url":…}` and runs until stdin closes.
 */
const { values } = parseArgs({ options: { port: { type: 'string', default: '54330' } } })

const server = http.createServer(async (req, res) => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = chunks.length ? Buffer.concat(chunks) : undefined
  const headers = new Headers()
  for (const [key, value] of Object.entries(req.headers))
    if (typeof value === 'string') headers.set(key, value)
  const response = await fakePlatforms.fetch(
    new Request(`http://127.0.0.1${req.url ?? '/'}`, {
      method: req.method,
      headers,
      body: body && req.method !== 'GET' ? body : undefined,
    }),
  )
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(Buffer.from(await response.arrayBuffer()))
})

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : Number(values.port)
  process.stdout.on('error', () => {})
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`)
})

process.stdin.resume()
process.stdin.on('end', () => server.close(() => process.exit(0)))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
