import { MODULES, type Module } from '../../db/schema/tenancy.ts'
import { type MessageKey, useI18n } from '../i18n/index.ts'

/** The module a MODULE_DISABLED error names (its details), if it is one. */
export const disabledModule = (details: Record<string, unknown> | undefined): Module | undefined =>
  MODULES.find((m) => m === details?.module)

const TITLES: Record<number, MessageKey> = {
  403: 'error.forbidden.title',
  404: 'error.notFound.title',
  429: 'error.tooMany.title',
}

/** A friendly page for 403, 404 and 500: what happened, what to do, and the id to quote to support. */
export function ErrorPage(props: {
  status: number
  message: MessageKey
  requestId: string
  home: string
  /** A module the plan lacks: the page names it and says what it does, not only "forbidden". */
  module?: Module
}) {
  const { t } = useI18n()
  const title =
    TITLES[props.status] ?? (props.status >= 500 ? 'error.server.title' : 'error.badRequest.title')
  const module = props.module
  return (
    <section class="narrow card" aria-labelledby="error-title">
      <p class="status-code">{props.status}</p>
      <h1 id="error-title">
        {module ? t('error.moduleDisabled.title', { module: t(`module.${module}`) }) : t(title)}
      </h1>
      <p>
        {module ? t('error.moduleDisabled.body', { about: t(`module.${module}.about`) }) : t(props.message)}
      </p>
      <p>
        <a href={props.home}>{t('error.backHome')}</a>
      </p>
      <p class="muted small">
        {t('error.requestId')} <code>{props.requestId}</code>
      </p>
    </section>
  )
}
