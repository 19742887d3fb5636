import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { TestProject } from 'vitest/node'
import { READY_PREFIX, type StackInfo } from '../../db/local/stack-info.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo
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
  const info = await waitForReady(child)
  project.provide('stack', info)
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.stdin?.end()
    await exited
  }
}

function waitForReady(child: ChildProcess): Promise<StackInfo> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)) as StackInfo)
    })
    child.once('exit', (code) => reject(new Error(`database stack exited early with code ${code}`)))
  })
}
