import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { TestProject } from 'vitest/node'
import { READY_PREFIX, type StackInfo } from '../../db/local/stack-info.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo
    fakePlatformsUrl: string
  }
}

/**
 * Starts the same database stack as `npm run dev` (embedded Postgres + bridge, or the server in
 * DATABASE_URL), ephemeral and with a migrated template that each test file clones. It runs as a
 * child Node process because modules imported here resolve with worker conditions under the
 * Workers pool (the `ws` package would load its browser build).
 */
export default async function setup(project: TestProject) {
  const child = spawn(
    process.execPath,
    [path.resolve('db/local/stack.ts'), '--ephemeral', '--template', '--pg-port', '0', '--bridge-port', '0'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const fakes = spawn(process.execPath, [path.resolve('db/local/fake-platforms.ts'), '--port', '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const [info, fake] = await Promise.all([
    waitForReady<StackInfo>(child),
    waitForReady<{ url: string }>(fakes),
  ])
  project.provide('stack', info)
  project.provide('fakePlatformsUrl', fake.url)
  return async () => {
    await Promise.all(
      [child, fakes].map((process) => {
        const exited = new Promise((resolve) => process.once('exit', resolve))
        process.stdin?.end()
        return exited
      }),
    )
  }
}

function waitForReady<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)) as T)
    })
    child.once('exit', (code) => reject(new Error(`child process exited early with code ${code}`)))
  })
}
