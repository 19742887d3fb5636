import type { MessageChannel } from '../../../db/schema/index.ts'
import { emailChannel } from './email.ts'
import { telegramChannel } from './telegram.ts'
import type {
  Channel,
  EmailContent,
  EmailSender,
  TelegramContent,
  TelegramSender,
  WhatsappContent,
  WhatsappSender,
} from './types.ts'
import { whatsappChannel } from './whatsapp.ts'

/** Each channel's content, as the outbox stores it. */
export type ContentOf = { whatsapp: WhatsappContent; email: EmailContent; telegram: TelegramContent }
/** Each channel's sender (credentials and from-address), resolved by the outbox per message. */
export type SenderOf = { whatsapp: WhatsappSender; email: EmailSender; telegram: TelegramSender }

/** Every way out, by the outbox's `channel`. */
export const channels = {
  whatsapp: whatsappChannel,
  email: emailChannel,
  telegram: telegramChannel,
} as const satisfies { [C in MessageChannel]: Channel<ContentOf[C], SenderOf[C]> }
