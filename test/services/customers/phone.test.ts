import { describe, expect, it } from 'vitest'
import { parsePhone, phoneField } from '../../../worker/services/customers/phone.ts'

describe('parsePhone: E.164 out, however a Brazilian types it', () => {
  it.each([
    ['(11) 91234-5678', '+5511912345678'],
    ['11 91234 5678', '+5511912345678'],
    ['011 91234-5678', '+5511912345678'],
    ['11912345678', '+5511912345678'],
    ['55 11 91234-5678', '+5511912345678'],
    ['+55 (11) 91234-5678', '+5511912345678'],
    ['(21) 3456-7890', '+552134567890'],
    // A trunk 0 before the area code is dropped: 019 is Campinas.
    ['019 3456-7890', '+551934567890'],
    ['5521 3456 7890', '+552134567890'],
    // Area code 55 (Santa Maria, RS): 11 digits without a country code stay national.
    ['55 99123-4567', '+5555991234567'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['+351 912 345 678', '+351912345678'],
  ])('%s → %s', (raw, e164) => {
    expect(parsePhone(raw)).toEqual({ ok: true, e164 })
  })

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['11 9123a-5678', 'characters'],
    ['11+912345678', 'characters'],
    ['+0 11 91234 5678', 'country_code'],
    ['+123', 'length'],
    ['+1234567890123456', 'length'],
    ['91234-5678', 'country_code'],
    ['415 555 0100 12345', 'country_code'],
    ['(00) 91234-5678', 'area_code'],
    ['(10) 91234-5678', 'area_code'],
    // Eleven digits are a mobile number, which starts with 9.
    ['(11) 81234-5678', 'length'],
    ['+55 11 1234', 'length'],
  ])('refuses %j (%s)', (raw, problem) => {
    expect(parsePhone(raw)).toEqual({ ok: false, problem })
  })

  it('is the boundary field: normalized out, a message naming the problem otherwise', () => {
    expect(phoneField.parse('(11) 91234-5678')).toBe('+5511912345678')
    const failed = phoneField.safeParse('91234-5678')
    expect(failed.success).toBe(false)
    expect(failed.error?.issues[0]?.message).toMatch(/country code/)
    expect(phoneField.safeParse('1'.repeat(41)).success).toBe(false)
  })
})
