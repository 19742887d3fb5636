import { setup } from './connections.ts'
import type { TestDatabase } from './env.ts'

/** A tenant on a plan with the scheduling module, its owner signed in, its queue recorded. */
export const schedulingSetup = (db: TestDatabase, options: Parameters<typeof setup>[1] = {}) =>
  setup(db, { modules: ['scheduling'], ...options })

type Call = Awaited<ReturnType<typeof schedulingSetup>>['call']

export async function created<T = Record<string, unknown>>(response: Response, status = 201): Promise<T> {
  const text = await response.text()
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

/** Every weekday 09:00–18:00 with a 12:00–13:00 break, on the professional's wall clock. */
export const WEEKDAYS_NINE_TO_SIX = [1, 2, 3, 4, 5].map((weekday) => ({
  weekday,
  hours: [{ start: '09:00', end: '18:00' }],
  breaks: [{ start: '12:00', end: '13:00' }],
}))

export async function createProfessional(
  call: Call,
  body: Record<string, unknown> = {},
  days: unknown[] = WEEKDAYS_NINE_TO_SIX,
) {
  const professional = await created<{ id: string; name: string; time_zone: string }>(
    await call('/api/v1/scheduling/professionals', {
      method: 'POST',
      json: { name: `Dra. ${crypto.randomUUID().slice(0, 8)}`, ...body },
    }),
  )
  await created(
    await call(`/api/v1/scheduling/professionals/${professional.id}/working-plan`, {
      method: 'PUT',
      json: { days },
    }),
    200,
  )
  return professional
}

export async function createService(
  call: Call,
  professionalIds: string[],
  body: Record<string, unknown> = {},
) {
  return created<{ id: string; name: string; capacity: number }>(
    await call('/api/v1/scheduling/services', {
      method: 'POST',
      json: {
        name: `Consulta ${crypto.randomUUID().slice(0, 8)}`,
        duration_minutes: 60,
        price_cents: 15000,
        professional_ids: professionalIds,
        ...body,
      },
    }),
  )
}

/** A clinic: one professional (São Paulo, weekdays 9–18, lunch 12–13) and one 60-minute service. */
export async function clinic(call: Call, service: Record<string, unknown> = {}) {
  const professional = await createProfessional(call)
  return { professional, service: await createService(call, [professional.id], service) }
}

let phoneSeq = 0
/** A Brazilian mobile number no other test of the file uses. */
export const newPhone = () =>
  `+55119${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}${String(phoneSeq++ % 10_000).padStart(4, '0')}`

export const customer = (name = 'Maria Silva') => ({ name, phone: newPhone(), email: 'maria@example.test' })

export async function book(call: Call, body: Record<string, unknown>) {
  return call('/api/v1/scheduling/appointments', { method: 'POST', json: { customer: customer(), ...body } })
}
