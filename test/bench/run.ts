import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { spawnReady, stopChild } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { benchApi, QUICK, SCALE } from './api.ts'
import { benchCollectionRun, benchFanOut, benchUpsert, type Figure } from './collection.ts'
import { benchRealtime } from './realtime.ts'
import { benchRuntimes } from './runtimes.ts'

/**
 * `npm run bench`: starts an ephemeral local stack (embedded Postgres + bridge + fake platforms),
 * runs every benchmark, prints one table and writes it as JSON to bench-results/ (git-ignored).
 * Counts are exact; speeds are compared with a baseline measured in the same run.
 */
const root = path.resolve(import.meta.dirname, '../..')
const [stack, fakes] = await Promise.all([
  spawnReady<StackInfo>(path.join(root, 'db/local/stack.ts'), [
    '--ephemeral',
    '--template',
    '--pg-port',
    '0',
    '--bridge-port',
    '0',
  ]),
  spawnReady<{ url: string }>(path.join(root, 'db/local/fake-platforms.ts'), ['--port', '0']),
])
let figures: Figure[] = []
try {
  // BENCH_QUICK=1 leaves out the collection figures (they need no Worker and rarely move).
  // BENCH_ONLY=realtime runs only the real-time figure (its own wrangler dev, a minute or two).
  // BENCH_ONLY=runtimes runs only the wrangler dev / Deno comparison (two stacks of their own).
  figures =
    process.env.BENCH_ONLY === 'realtime'
      ? await benchRealtime(stack.info, fakes.info.url)
      : process.env.BENCH_ONLY === 'runtimes'
        ? await benchRuntimes()
        : [
            ...(QUICK ? [] : await benchFanOut(stack.info)),
            ...(QUICK ? [] : await benchCollectionRun(stack.info, fakes.info.url)),
            ...(QUICK ? [] : await benchUpsert(stack.info)),
            ...(await benchApi(stack.info)),
            ...(await benchRealtime(stack.info, fakes.info.url)),
            ...(await benchRuntimes()),
          ]
} finally {
  await Promise.all([stopChild(stack.child), stopChild(fakes.child)])
}

const rows = figures.map((f) => [
  f.figure,
  `${f.value.toLocaleString('en-US')} ${f.unit}`,
  f.target,
  f.target === 'info' ? '' : f.pass ? 'pass' : 'FAIL',
])
const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...[['figure', 'value', 'target', 'result'], ...rows].map((r) => (r[i] as string).length)),
)
const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`
console.log(line(['figure', 'value', 'target', 'result']))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const row of rows) console.log(line(row))
const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
console.log(
  `\n${new Date().toISOString()} on ${machine}, BENCH_SCALE=${SCALE}${QUICK ? ', BENCH_QUICK=1' : ''}`,
)
await fs.mkdir(path.join(root, 'bench-results'), { recursive: true })
await fs.writeFile(
  path.join(root, 'bench-results', `bench-${Date.now()}.json`),
  JSON.stringify({ at: new Date().toISOString(), machine, scale: SCALE, quick: QUICK, figures }, null, 2),
)
process.exit(figures.every((f) => f.pass) ? 0 : 1)
