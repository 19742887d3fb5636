import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { spawnReady, stopChild } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo
    fakePlatformsUrl: string
  }
}

/**
 * Starts the same database stack as `npm run dev` (embedded Postgres + bridge, or the server in
 * DATABASE_URL), ephemeral and with a migrated template that each test file clones, plus the fake
 * platforms. Both run as child Node processes because modules imported here resolve with worker
 * conditions under the Workers pool (the `ws` package would load its browser build).
 */
export default async function setup(project: TestProject) {
  const [stack, fakes] = await Promise.all([
    spawnReady<StackInfo>(path.resolve('db/local/stack.ts'), [
      '--ephemeral',
      '--template',
      '--pg-port',
      '0',
      '--bridge-port',
      '0',
    ]),
    spawnReady<{ url: string }>(path.resolve('db/local/fake-platforms.ts'), ['--port', '0']),
  ])
  project.provide('stack', stack.info)
  project.provide('fakePlatformsUrl', fakes.info.url)
  return async () => {
    await Promise.all([stopChild(stack.child), stopChild(fakes.child)])
  }
}
