import { useI18n } from '../../i18n/index.ts'

/**
 * The privacy page's place in the portal. Its content (LGPD: data export, erasure requests,
 * consents) belongs to the privacy issue; until that lands the page says so instead of showing a
 * feature that does not exist.
 */
export function PrivacyPage() {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('privacy.title')}</h1>
      <section class="card">
        <p>{t('privacy.placeholder')}</p>
        <p class="muted">{t('privacy.contact')}</p>
      </section>
    </>
  )
}
