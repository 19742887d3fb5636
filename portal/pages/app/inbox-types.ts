import type { getContact } from '../../../worker/services/attendance/contacts.ts'
import type { getConversation } from '../../../worker/services/attendance/conversations.ts'
import type { MessageKey } from '../../i18n/index.ts'

// What the inbox's pages receive from the attendance verbs (portal/pages/app/inbox*.tsx).

export type ConversationView = Awaited<ReturnType<typeof getConversation>>
export type ContactView = Awaited<ReturnType<typeof getContact>>
export type TemplateView = {
  name: string
  language: string
  category: string
  body: string | null
  parameters: string[]
}
export type Member = { id: string; name: string }

/** The composer shown again after a refusal: what was typed and why it was refused. */
export type ComposerState = { text?: string; note?: string; template?: string; message?: MessageKey }

export type OpenConversation = {
  conversation: ConversationView
  contact: ContactView
  templates: TemplateView[]
  members: Member[]
  /** The hidden client message id of this render's composer: a double submit sends once. */
  clientMessageId: string
  composer?: ComposerState
  /** The messages replied to, by wamid, for the quote above a reply. */
  quotes: Record<string, { direction: string; body: string | null }>
  /** The customer's message this reply answers (`?reply=`), quoted above the text box. */
  replyTo: { id: string; wamid: string; body: string | null } | null
  notice?: MessageKey
  error?: MessageKey
}
