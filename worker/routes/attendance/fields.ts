import { idParam } from '../../http.ts'

/** Every attendance route's module gate. */
export const attendance = { module: 'attendance' } as const
export const tags = ['attendance']

export const conversationParam = idParam('cnv')
export const numberParam = idParam('anb')
export const contactParam = idParam('ctc')
