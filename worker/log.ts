type Level = 'info' | 'warn' | 'error'

// Credentials that could reach a log line through an error message or stack trace.
const SECRET_PATTERNS: [RegExp, string][] = [
  [/(\w+:\/\/[^:/\s]+:)[^@\s]+@/g, '$1[redacted]@'],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]'],
  [/\b(ik|rt|pwr|inv)_[\w-]{8,}/g, '$1_[redacted]'],
  [/((?:password|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?)[^"'\s,&}]+/gi, '$1[redacted]'],
]

/** Removes anything shaped like a credential. Applied to every string that reaches a log line. */
export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text)
}

/** One JSON object per line, the format Workers Logs and `wrangler tail` index. */
export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  const line: Record<string, unknown> = { level, message: redact(message), time: new Date().toISOString() }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line[key] = typeof value === 'string' ? redact(value) : value
  }
  const text = JSON.stringify(line)
  if (level === 'error') console.error(text)
  else if (level === 'warn') console.warn(text)
  else console.log(text)
}

// drizzle's "Failed query: … params: …" carries the statement's values (hashes, e-mails): keep the
// statement, drop the values.
const stripParams = (text: string | undefined) =>
  text?.replace(/\nparams: [\s\S]*?(\n\s+at |$)/, '\nparams: [redacted]$1')

export function describeError(error: unknown): { error_name: string; error_message: string; stack?: string } {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''
    return {
      error_name: error.name,
      error_message: `${stripParams(error.message)}${cause}`,
      stack: stripParams(error.stack),
    }
  }
  return { error_name: 'NonError', error_message: String(error) }
}
