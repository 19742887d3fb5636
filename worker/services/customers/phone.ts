import { z } from 'zod'

/**
 * Phone numbers are stored in E.164 (`+5511912345678`), the form WhatsApp, SMS providers and
 * people's address books agree on, so one customer has one key whatever way it was typed.
 *
 * Most numbers come from Brazilians typing their own: `(11) 91234-5678`, `011 91234-5678`,
 * `11912345678`, `55 11 91234 5678`. Without a `+`, 10 or 11 digits (after a trunk `0`) are a
 * Brazilian number with its area code (DDD) and get `+55`; 12 or 13 digits starting with 55 already
 * carry the country code. Anything else without a `+` is ambiguous and refused: the person is
 * asked for the country code rather than a number being guessed wrong.
 */
export type PhoneProblem = 'empty' | 'characters' | 'length' | 'country_code' | 'area_code'

export type ParsedPhone = { ok: true; e164: string } | { ok: false; problem: PhoneProblem }

const ALLOWED = /^[+\d\s().-]*$/

export function parsePhone(raw: string): ParsedPhone {
  const text = raw.trim()
  if (text === '') return { ok: false, problem: 'empty' }
  if (!ALLOWED.test(text) || text.lastIndexOf('+') > 0) return { ok: false, problem: 'characters' }
  let digits = text.replace(/\D/g, '')
  if (text.startsWith('+')) {
    // E.164: a country code (no leading 0) and at most 15 digits in all.
    if (digits.length < 8 || digits.length > 15) return { ok: false, problem: 'length' }
    if (digits.startsWith('0')) return { ok: false, problem: 'country_code' }
    return digits.startsWith('55') ? brazilian(digits.slice(2)) : { ok: true, e164: `+${digits}` }
  }
  if (digits.startsWith('0') && (digits.length === 11 || digits.length === 12)) digits = digits.slice(1)
  if (digits.length === 10 || digits.length === 11) return brazilian(digits)
  if ((digits.length === 12 || digits.length === 13) && digits.startsWith('55'))
    return brazilian(digits.slice(2))
  return { ok: false, problem: 'country_code' }
}

/** A Brazilian national number: a two-digit area code (11–99, no zero) and 8 or 9 digits. */
function brazilian(national: string): ParsedPhone {
  if (national.length !== 10 && national.length !== 11) return { ok: false, problem: 'length' }
  if (!/^[1-9][1-9]/.test(national)) return { ok: false, problem: 'area_code' }
  // Mobile numbers have had nine digits starting with 9 since 2016; landlines have eight.
  if (national.length === 11 && national[2] !== '9') return { ok: false, problem: 'length' }
  return { ok: true, e164: `+55${national}` }
}

const PROBLEM_MESSAGES: Record<PhoneProblem, string> = {
  empty: 'Enter a phone number.',
  characters: 'Use digits, spaces, brackets, dots or dashes, and + only at the start.',
  length: 'This phone number has too few or too many digits.',
  country_code: 'Include the country code, e.g. +55 11 91234-5678.',
  area_code: 'The area code (DDD) is not valid.',
}

/** The boundary's phone field: any way people type a number in, E.164 out, or a 400 naming the problem. */
export const phoneField = z
  .string()
  .max(40)
  .transform((raw, ctx) => {
    const parsed = parsePhone(raw)
    if (parsed.ok) return parsed.e164
    ctx.addIssue({ code: 'custom', message: PROBLEM_MESSAGES[parsed.problem] })
    return z.NEVER
  })
  .describe('A phone number; stored in E.164. A Brazilian number without +55 is understood.')
