/**
 * The portals' static files (portal/public), answered before the app as Workers' `[assets]` are:
 * a request for a file that exists gets it with the headers `_headers` sets for every file;
 * anything else goes to the app.
 */
const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
}

/** The `/*` block of a Cloudflare `_headers` file: `  Name: value` lines under the pattern. */
export function headersFor(file: string): Record<string, string> {
  const headers: Record<string, string> = {}
  let inBlock = false
  for (const line of file.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    if (!/^\s/.test(line)) {
      inBlock = line.trim() === '/*'
      continue
    }
    const colon = line.indexOf(':')
    if (inBlock && colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim()
  }
  return headers
}

export async function staticFiles(root: URL): Promise<(request: Request) => Promise<Response | null>> {
  const common = headersFor(new TextDecoder().decode(await Deno.readFile(new URL('_headers', root))))
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null
    const { pathname } = new URL(request.url)
    const name = pathname.slice(1)
    const extension = name.slice(name.lastIndexOf('.') + 1)
    // Only plain file names under the root: no directories, dot files or climbing out.
    if (!TYPES[extension] || name.split('/').some((part) => part === '' || part.startsWith('.'))) return null
    try {
      const body = await Deno.readFile(new URL(name, root))
      return new Response(request.method === 'HEAD' ? null : body, {
        headers: { ...common, 'Content-Type': TYPES[extension] },
      })
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null
      throw error
    }
  }
}
