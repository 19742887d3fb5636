import type { Context } from 'hono'
import type { z } from 'zod'
import type { FieldErrors } from '../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { unstorableTextPath } from '../../validator.ts'

export type FormValues = Record<string, string | string[]>

/** The posted form as strings (repeated names, e.g. checkboxes, as arrays); files are ignored. */
export async function formValues(c: Context): Promise<FormValues> {
  // `all: true` everywhere: Hono caches the first parse, the CSRF check's included.
  const body = await c.req.parseBody({ all: true })
  const values: FormValues = {}
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') values[name] = value
    else if (Array.isArray(value)) values[name] = value.filter((v): v is string => typeof v === 'string')
  }
  return values
}

function messageFor(issue: z.core.$ZodIssue, field: string): MessageKey {
  if (issue.code === 'too_small') {
    if (field.includes('password')) return 'form.passwordTooShort'
    return issue.minimum === 1 ? 'form.required' : 'form.tooShort'
  }
  if (issue.code === 'too_big') return 'form.tooLong'
  if (issue.code === 'invalid_format' && issue.format === 'email') return 'form.invalidEmail'
  if (issue.code === 'invalid_value' || issue.code === 'invalid_type') return 'form.choose'
  return 'form.invalid'
}

/**
 * Validates a portal form with zod at the boundary, like the API's `validate`, but answers with
 * message keys per field so the page can show them beside the inputs, in the visitor's language.
 */
export async function readForm<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<
  { ok: true; data: z.infer<S>; values: FormValues } | { ok: false; errors: FieldErrors; values: FormValues }
> {
  const values = await formValues(c)
  const result = schema.safeParse(values)
  if (result.success) {
    // As the API's validate(): text Postgres cannot store is the field's error, not a 500.
    const unstorable = unstorableTextPath(result.data)
    if (!unstorable) return { ok: true, data: result.data, values }
    return { ok: false, errors: { [unstorable[0] ?? '_form']: 'form.invalid' }, values }
  }
  const errors: FieldErrors = {}
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '_form')
    errors[field] ??= messageFor(issue, field)
  }
  return { ok: false, errors, values }
}

/** A form value as one string (the first, if repeated). */
export const one = (values: FormValues, name: string): string => {
  const value = values[name]
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '')
}

/** A form value as a list (checkbox groups). */
export const many = (values: FormValues, name: string): string[] => {
  const value = values[name]
  return Array.isArray(value) ? value : value ? [value] : []
}
