import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { READY_PREFIX } from './stack-info.ts'

/**
 * Starts a Node script of db/local as a child (stdin piped: closing it stops the child) and
 * resolves with the JSON of its `READY {…}` line.
 */
export async function spawnReady<T>(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; info: T }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const info = await new Promise<T>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)) as T)
    })
    child.once('exit', (code) => reject(new Error(`${script} exited early with code ${code}`)))
  })
  return { child, info }
}

/** Closes the child's stdin (its shutdown signal) and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.stdin?.end()
  await exited
}

/**
 * Stops a child started `detached` (its own process group, as wrangler is): SIGTERM to the whole
 * group so workerd goes too, then SIGKILL if it has not exited within 5 seconds.
 */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (!child.pid || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {}
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {}
}
