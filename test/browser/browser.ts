import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type Browser, chromium } from 'playwright-core'

/**
 * The one place the browser suites get their Chromium. By default it is the headless Chromium
 * shipped inside the `@sparticuz/chromium` devDependency, with the few libraries it links beyond
 * glibc: `npm ci` is all a bare machine needs, no apt, no `playwright install` download.
 * `CHROMIUM_PATH` points at another Chromium instead (Debian's `/usr/bin/chromium`, say).
 *
 * Flags: not the package's own `chromium.args`, which are made for AWS Lambda and switch off web
 * security, site isolation and mixed-content blocking (`--disable-web-security`,
 * `--disable-site-isolation-trials`, `--allow-running-insecure-content`…): these suites check the
 * CSP and cross-site requests, which must run as in a real browser. playwright-core already adds
 * `--no-sandbox` (needed: we run as root), `--headless` and the quiet-browser flags (no background
 * networking, component updates, first-run or sync). The one flag added: `--disable-gpu`, as there
 * is no GPU here and software rendering needs no separate GPU process.
 */
const FLAGS = ['--disable-gpu']

/** Launches headless Chromium; throws (failing the suite, never skipping it) if there is none. */
export async function launchBrowser(): Promise<Browser> {
  const override = process.env.CHROMIUM_PATH
  const { executablePath, env } = override
    ? { executablePath: await existing(override), env: {} }
    : await bundledChromium()
  try {
    return await chromium.launch({
      executablePath,
      args: FLAGS,
      headless: true,
      env: { ...process.env, ...env },
    })
  } catch (error) {
    throw new Error(
      `Chromium at ${executablePath} did not start${override ? ' (CHROMIUM_PATH)' : ''}: ${(error as Error).message}`,
    )
  }
}

async function existing(file: string): Promise<string> {
  try {
    await fs.access(file, fs.constants.X_OK)
    return file
  } catch {
    throw new Error(`CHROMIUM_PATH=${file} is not an executable file: unset it to use @sparticuz/chromium`)
  }
}

/**
 * `@sparticuz/chromium`'s binary, unpacked to `<tmpdir>/chromium` (its SwiftShader libraries and
 * fonts beside it) on first use, about 2 s, and reused afterwards. Beyond glibc it links NSS, NSPR
 * and expat, which a machine with only Node may lack: the package ships them too, built for
 * Amazon Linux 2023 (they need glibc 2.34 or newer; Debian 12 has 2.36), unpacked to
 * `<tmpdir>/al2023/lib` and put first on LD_LIBRARY_PATH, so the system's copies are never used.
 * The package reuses any binary already there, so one left by another version of the package, or
 * cut short by an interrupted unpack, is checked (`--version` must report the package's major
 * version) and unpacked again.
 */
async function bundledChromium(): Promise<{ executablePath: string; env: Record<string, string> }> {
  let sparticuz: typeof import('@sparticuz/chromium')
  try {
    sparticuz = await import('@sparticuz/chromium')
  } catch (error) {
    throw new Error(
      `No browser for the browser suite: @sparticuz/chromium is not installed (run \`npm ci\`), and CHROMIUM_PATH is not set. ${(error as Error).message}`,
    )
  }
  const packageDir = path.resolve(fileURLToPath(import.meta.resolve('@sparticuz/chromium')), '../..')
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string
  }
  const libraries = path.join(await sparticuz.inflate(path.join(packageDir, 'bin', 'al2023.tar.br')), 'lib')
  const env = {
    LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    // The fonts the package ships (Open Sans; its fonts.conf names /tmp/fonts): real glyphs, and
    // the same everywhere, on a machine with no fonts installed.
    FONTCONFIG_PATH: path.join(os.tmpdir(), 'fonts'),
  }
  const wanted = version.split('.')[0]
  let executablePath = await sparticuz.default.executablePath()
  let found = await chromiumVersion(executablePath, env)
  if (found.major !== wanted) {
    await fs.rm(executablePath, { force: true })
    executablePath = await sparticuz.default.executablePath()
    found = await chromiumVersion(executablePath, env)
    if (found.major !== wanted)
      throw new Error(
        `@sparticuz/chromium ${version} unpacked ${executablePath}, which does not run as Chromium ${wanted}: ${found.output}`,
      )
  }
  return { executablePath, env }
}

/** What `chromium --version` prints (`Chromium 153.0.8010.0`) and its major version, or the error. */
async function chromiumVersion(
  file: string,
  env: Record<string, string>,
): Promise<{ major?: string; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(file, ['--version'], {
      timeout: 10_000,
      env: { ...process.env, ...env },
    })
    return { major: /(\d+)\.\d+\.\d+/.exec(stdout)?.[1], output: stdout.trim() }
  } catch (error) {
    return { output: (error as Error).message }
  }
}
