const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case: no i, l, o, u

/** Prefixes of ids shown to people, so an id says what it points at (`ten_…`, `usr_…`). */
export const ID_PREFIXES = [
  'ten',
  'pln',
  'lic',
  'usr',
  'opr',
  'ses',
  'key',
  'aud',
  'con',
  'cns',
  'exp',
  'era',
  'rcp',
  'prp',
  'src',
  'bkg',
  'cfl',
  'msg',
  'cus',
  // Commerce (db/schema/commerce.ts)
  'sto',
  'cat',
  'prd',
  'opg',
  'opt',
  'rsv',
  'stm',
  'shb',
  'adr',
  'ord',
  'oit',
  'pay',
  'dlv',
  'oev',
  // The attendance module: numbers, contacts, conversations, messages, templates.
  'anb',
  'ctc',
  'cnv',
  'amg',
  'tpl',
  // Scheduling
  'svc',
  'pro',
  'pin',
  'exc',
  'blk',
  'apt',
  // Accounts: the second step of a sign-in (two-factor).
  'lgc',
  // Attendance teams (round-robin assignment).
  'atm',
  // Reports: schedules and their runs.
  'rps',
  'rpr',
  'rrl',
  'rmd',
  // Commerce campaigns and coupons, and their redemptions.
  'cmp',
  'red',
] as const
export type IdPrefix = (typeof ID_PREFIXES)[number]

/** A prefixed id with 100 random bits (20 base32 characters). */
export function newId(prefix: IdPrefix): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20))
  let out = `${prefix}_`
  for (const byte of bytes) out += ALPHABET[byte & 31]
  return out
}
