// Copies the pinned htmx build and Scalar's API reference (the /api/docs page) from node_modules
// into the static assets (portal/public/vendor), so the browser loads the exact versions
// package-lock.json names, from our own origin (no CDN).
// Run by `npm run dev`, `npm test`, `npm run build` and `npm run deploy` (their pre-scripts); the
// copy is git-ignored, so the lockfile stays the one place that says which htmx and Scalar we ship.
import { copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'portal/public/vendor')
mkdirSync(target, { recursive: true })
copyFileSync(join(root, 'node_modules/htmx.org/dist/htmx.min.js'), join(target, 'htmx.min.js'))
mkdirSync(join(target, 'scalar'), { recursive: true })
copyFileSync(
  join(root, 'node_modules/@scalar/api-reference/dist/browser/standalone.js'),
  join(target, 'scalar/api-reference.js'),
)
