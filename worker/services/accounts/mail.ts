import type { UserLocale } from '../auth/preferences.ts'

type Mail = { subject: string; text: string }

/**
 * The account e-mails (a reset link, an invitation) in the recipient's language. They live here
 * rather than in the portal catalogs because services do not import the portal (its catalogs come
 * with hono/jsx); both languages sit side by side so neither is forgotten.
 */
const TEXTS = {
  passwordReset: {
    'pt-BR': (p: { name: string; link: string; minutes: number }) => ({
      subject: 'Redefinir sua senha do Integra',
      text: `Olá, ${p.name}.\n\nRecebemos um pedido para redefinir a senha da sua conta no Integra. Para escolher uma nova senha, abra o link abaixo (ele vale por ${p.minutes} minutos e só pode ser usado uma vez):\n\n${p.link}\n\nSe não foi você, ignore este e-mail: sua senha continua a mesma.`,
    }),
    en: (p: { name: string; link: string; minutes: number }) => ({
      subject: 'Reset your Integra password',
      text: `Hello, ${p.name}.\n\nWe received a request to reset the password of your Integra account. To choose a new password, open the link below (it works for ${p.minutes} minutes and only once):\n\n${p.link}\n\nIf it was not you, ignore this e-mail: your password stays the same.`,
    }),
  },
  invitation: {
    'pt-BR': (p: { name: string; link: string; tenant: string; inviter: string; days: number }) => ({
      subject: `Convite para ${p.tenant} no Integra`,
      text: `Olá, ${p.name}.\n\n${p.inviter} convidou você para a equipe de ${p.tenant} no Integra. Para aceitar, abra o link abaixo e escolha sua senha (ele vale por ${p.days} dias e só pode ser usado uma vez):\n\n${p.link}\n\nSe você não esperava este convite, ignore este e-mail.`,
    }),
    en: (p: { name: string; link: string; tenant: string; inviter: string; days: number }) => ({
      subject: `Invitation to ${p.tenant} on Integra`,
      text: `Hello, ${p.name}.\n\n${p.inviter} invited you to the team of ${p.tenant} on Integra. To accept, open the link below and choose your password (it works for ${p.days} days and only once):\n\n${p.link}\n\nIf you did not expect this invitation, ignore this e-mail.`,
    }),
  },
} as const

export const passwordResetMail = (
  locale: UserLocale,
  params: { name: string; link: string; minutes: number },
): Mail => TEXTS.passwordReset[locale](params)

export const invitationMail = (
  locale: UserLocale,
  params: { name: string; link: string; tenant: string; inviter: string; days: number },
): Mail => TEXTS.invitation[locale](params)

/** A saved language the e-mails speak, or Portuguese (Brazil first). */
export const mailLocale = (locale: string | null | undefined): UserLocale =>
  locale === 'en' ? 'en' : 'pt-BR'
