import { createContext, useContext } from 'hono/jsx'
import type { ErrorCode } from '../../worker/errors.ts'
import { DEFAULT_TIME_ZONE } from '../viewer.ts'
import { en, type MessageKey } from './en.ts'
import { ptBR } from './pt-BR.ts'

export type { MessageKey } from './en.ts'

/** The portals' languages; the first is the default when nothing the visitor asks for matches. */
export const LOCALES = ['pt-BR', 'en'] as const
export type Locale = (typeof LOCALES)[number]

const CATALOGS: Record<Locale, Record<MessageKey, string>> = { 'pt-BR': ptBR, en }

export type Params = Record<string, string | number>

/** Whether the catalogs have `key`: checked at run time, so text can become a key without a cast. */
const isMessageKey = (key: string): key is MessageKey => Object.hasOwn(en, key)

/**
 * The catalog keys that translate an API error code (`error.CODE`). The constraint makes a key
 * whose code the API no longer has (renamed or removed in worker/errors.ts) a compile error here.
 */
type CodeKeys<K extends `error.${ErrorCode}`> = K
export type ErrorMessageKey = CodeKeys<Extract<MessageKey, `error.${Uppercase<string>}`>>

/** The message for an API error code, when the catalogs have one (else the caller's generic one). */
export function errorMessageKey(code: ErrorCode): ErrorMessageKey | undefined {
  const key: `error.${ErrorCode}` = `error.${code}`
  return isMessageKey(key) ? key : undefined
}

/** The kinds of value the catalogs name (`status.active`, `role.owner`, `platform.x`, …). */
export type LabelKind =
  | 'status'
  | 'role'
  | 'platform'
  | 'metric'
  | 'runKind'
  | 'calendar.severity'
  | 'privacy.purpose'

/**
 * The catalog's word for a value that arrives as text (a status, role or platform read from a
 * row): `labelOf(t, 'status', 'active')` is "Active", or the value itself when the catalogs have no
 * word for it. Values typed as a union need no helper: `t(`role.${role}`)` is checked by the compiler.
 */
export function labelOf(t: I18n['t'], kind: LabelKind, value: string): string {
  const key = `${kind}.${value}`
  return isMessageKey(key) ? t(key) : value
}

/** Everything a page needs to speak the visitor's language: messages, numbers and dates. */
export type I18n = {
  locale: Locale
  t: (key: MessageKey, params?: Params) => string
  number: (value: number, options?: Intl.NumberFormatOptions) => string
  /** A percentage given in percent units (12.5 → "12,5%" in pt-BR). */
  percent: (value: number) => string
  /** A calendar day (`YYYY-MM-DD` as written) or the day of an instant in `timeZone`. */
  date: (value: Date | string) => string
  /** An instant in `timeZone`, with the zone's short name ("5 de dez. de 2026, 08:30 BRT"). */
  dateTime: (value: Date | string) => string
  /** The IANA zone instants are shown in: the viewer's (see portal/viewer.ts). */
  timeZone: string
}

/** A supported locale from a tag such as `pt`, `pt-PT` or `en-GB`; null when none fits. */
export function matchLocale(tag: string | null | undefined): Locale | null {
  const base = tag?.trim().toLowerCase().split(/[-_]/)[0]
  if (base === 'pt') return 'pt-BR'
  if (base === 'en') return 'en'
  return null
}

/** The best supported language of an `Accept-Language` header, honouring its q-values. */
export function fromAcceptLanguage(header: string | null | undefined): Locale | null {
  if (!header) return null
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean)
      return { tag, q: q === undefined ? 1 : Number(q), index }
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  for (const entry of ranked) {
    const locale = matchLocale(entry.tag)
    if (locale) return locale
  }
  return null
}

/**
 * The language of a page: the signed-in member's saved preference (`users.locale`), then the
 * visitor's choice remembered in the `lang` cookie (visitors and operators have no column),
 * then the browser's `Accept-Language`, then Portuguese.
 */
export function negotiateLocale(sources: {
  preference?: string | null
  cookie?: string | null
  acceptLanguage?: string | null
}): Locale {
  return (
    matchLocale(sources.preference) ??
    matchLocale(sources.cookie) ??
    fromAcceptLanguage(sources.acceptLanguage) ??
    LOCALES[0]
  )
}

const cache = new Map<string, I18n>()
const DAY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Formatters are built once per locale, zone and isolate: Intl constructors are not cheap. A day
 * written `YYYY-MM-DD` is a calendar day and reads the same in every zone; an instant reads in
 * `timeZone`.
 */
export function i18nFor(locale: Locale, timeZone = DEFAULT_TIME_ZONE): I18n {
  const key = `${locale} ${timeZone}`
  const cached = cache.get(key)
  if (cached) return cached
  const catalog = CATALOGS[locale]
  const dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' })
  const zonedDayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone })
  // dateStyle cannot be combined with timeZoneName: the same fields, spelt out.
  const dateTimeFormat = new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  })
  const numberFormat = new Intl.NumberFormat(locale)
  const i18n: I18n = {
    locale,
    timeZone,
    t: (key, params) => {
      const text = catalog[key] ?? en[key] ?? key
      return params
        ? text.replace(/\{(\w+)\}/g, (match, name: string) => String(params[name] ?? match))
        : text
    },
    number: (value, options) =>
      options ? new Intl.NumberFormat(locale, options).format(value) : numberFormat.format(value),
    percent: (value) =>
      new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value / 100),
    date: (value) =>
      typeof value === 'string' && DAY.test(value)
        ? dayFormat.format(new Date(`${value}T00:00:00Z`))
        : zonedDayFormat.format(new Date(value)),
    dateTime: (value) => dateTimeFormat.format(new Date(value)),
  }
  cache.set(key, i18n)
  return i18n
}

/** The page's I18n for components, provided once by the layout (see portal/layouts/shell.tsx). */
export const I18nContext = createContext<I18n>(i18nFor(LOCALES[0]))

export const useI18n = () => useContext(I18nContext)
