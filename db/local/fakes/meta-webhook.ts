/**
 * Meta's webhook deliveries as Meta sends them (WhatsApp Cloud API, `messages` field), signed
 * with the app secret: for the tests, the bench and the browser suite, which post them to the
 * local Worker. WebCrypto only, so it runs in Node and in workerd alike.
 */

export type WhatsappStatus = {
  wamid: string
  status: 'sent' | 'delivered' | 'read' | 'failed'
  recipient?: string
}

/** One status notification of a business number (`metadata.phone_number_id`). */
export function whatsappStatusBody(phoneNumberId: string, statuses: readonly WhatsappStatus[]): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              statuses: statuses.map((s) => ({
                id: s.wamid,
                status: s.status,
                timestamp: String(Math.floor(Date.now() / 1000)),
                recipient_id: s.recipient ?? '5511999990000',
              })),
            },
          },
        ],
      },
    ],
  })
}

/** `sha256=<hex HMAC-SHA256>` of exactly these bytes with the app secret: `X-Hub-Signature-256`. */
export async function metaSignature(appSecret: string, body: string): Promise<string> {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(appSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)))
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/** The request Meta makes: POST, JSON, signed. */
export async function signedMetaRequest(appSecret: string, body: string) {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': await metaSignature(appSecret, body),
    },
    body,
  }
}
