import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { en } from '../../portal/i18n/en.ts'
import { errorMessageKey, i18nFor, labelOf } from '../../portal/i18n/index.ts'
import { ApiError, ERROR_CODES, isErrorCode } from '../../worker/errors.ts'
import { errorFromQuery, errorKey } from '../../worker/routes/portal/run.ts'

describe('error codes in the catalogs', () => {
  it('lists each code once', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
  })

  it('has no `error.CODE` message for a code the API does not use (the compiler checks it too)', () => {
    const codeKeys = Object.keys(en).filter((key) => /^error\.[A-Z_]+$/.test(key))
    expect(codeKeys.length).toBeGreaterThan(10)
    expect(codeKeys.filter((key) => !isErrorCode(key.slice('error.'.length)))).toEqual([])
  })

  it('finds the message of a code, and none for a code without one', () => {
    expect(errorMessageKey('LAST_OWNER')).toBe('error.LAST_OWNER')
    expect(errorMessageKey('NOT_READY')).toBeUndefined()
    expect(i18nFor('pt-BR').t(errorMessageKey('LAST_OWNER') ?? 'error.badRequest.body')).not.toBe(
      en['error.LAST_OWNER'],
    )
  })

  it('falls back to the generic message of the status for a code without one', () => {
    expect(errorKey(new ApiError(409, 'SLUG_TAKEN', 'taken'))).toBe('error.SLUG_TAKEN')
    expect(errorKey(new ApiError(503, 'NOT_READY', 'not ready'))).toBe('error.server.body')
    expect(errorKey(new ApiError(404, 'NOT_FOUND', 'gone'))).toBe('error.notFound.body')
  })

  it('reads `?error=CODE` after a redirect: a code with a message, a generic message, or nothing', async () => {
    const app = new Hono().get('/', (c) => c.text(errorFromQuery(c) ?? '(none)'))
    const read = async (query: string) => (await app.request(`/?${query}`)).text()
    expect(await read('error=LAST_OWNER')).toBe('error.LAST_OWNER')
    expect(await read('error=NOT_READY')).toBe('error.badRequest.body')
    expect(await read('error=NO_SUCH_CODE')).toBe('error.badRequest.body')
    expect(await read('error=pageTitle')).toBe('(none)')
    expect(await read('')).toBe('(none)')
  })
})

describe('labelOf', () => {
  const { t } = i18nFor('en')

  it('names a value that arrives as text, or shows the value itself', () => {
    expect(labelOf(t, 'status', 'active')).toBe(en['status.active'])
    expect(labelOf(t, 'role', 'owner')).toBe(en['role.owner'])
    expect(labelOf(t, 'metric', 'no_such_metric')).toBe('no_such_metric')
    expect(labelOf(t, 'status', 'toString')).toBe('toString')
  })
})
