import type { Child } from 'hono/jsx'
import { type MessageKey, useI18n } from '../i18n/index.ts'
import { usePage } from './page.ts'

/** Field name → message key of what is wrong with it (see worker/routes/portal/forms.ts). */
export type FieldErrors = Partial<Record<string, MessageKey>>

/** A form shown again after a refusal: what was typed, the errors beside the fields, a message. */
export type FormState = {
  values?: Record<string, string | string[]>
  errors?: FieldErrors
  message?: MessageKey
}

/** The first value typed into a field of a form shown again. */
export const formValue = (state: FormState | undefined, name: string) => {
  const v = state?.values?.[name]
  return Array.isArray(v) ? v[0] : v
}

/** The double-submit token every state-changing form carries (worker/middleware/portal-csrf.ts). */
export function CsrfField(props: { token?: string }) {
  const page = usePage()
  return <input type="hidden" name="_csrf" value={props.token ?? page.csrfToken} />
}

type FieldProps = {
  name: string
  label: MessageKey
  type?: string
  value?: string | number | null
  errors?: FieldErrors
  hint?: MessageKey
  required?: boolean
  autocomplete?: string
  min?: string | number
  max?: string | number
  placeholder?: string
  inputmode?: 'numeric' | 'decimal' | 'email' | 'text'
}

/** A labelled input whose error, if any, is announced with it (aria-describedby, aria-invalid). */
export function Field(props: FieldProps) {
  const { t } = useI18n()
  const id = `f-${props.name}`
  const error = props.errors?.[props.name]
  const described = [error ? `${id}-error` : null, props.hint ? `${id}-hint` : null].filter(Boolean).join(' ')
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{t(props.label)}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? undefined}
        required={props.required}
        autocomplete={props.autocomplete}
        min={props.min}
        max={props.max}
        placeholder={props.placeholder}
        inputmode={props.inputmode}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {t(props.hint)}
        </p>
      )}
      {error && (
        <p class="error" id={`${id}-error`}>
          {t(error)}
        </p>
      )}
    </div>
  )
}

/** A new password typed twice (`confirm_password`), with the rules' hint: the same on every form that sets one. */
export function NewPasswordFields(props: { name: string; errors?: FieldErrors }) {
  return (
    <>
      <Field
        name={props.name}
        type="password"
        label="account.newPassword"
        errors={props.errors}
        required
        autocomplete="new-password"
        hint="form.passwordHint"
      />
      <Field
        name="confirm_password"
        type="password"
        label="account.confirmPassword"
        errors={props.errors}
        required
        autocomplete="new-password"
      />
    </>
  )
}

export function Select(props: {
  name: string
  label: MessageKey
  options: { value: string; label: string }[]
  value?: string | null
  errors?: FieldErrors
  required?: boolean
}) {
  const { t } = useI18n()
  const id = `f-${props.name}`
  const error = props.errors?.[props.name]
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{t(props.label)}</label>
      <select
        id={id}
        name={props.name}
        required={props.required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        {props.options.map((option) => (
          <option value={option.value} selected={option.value === (props.value ?? '')}>
            {option.label}
          </option>
        ))}
      </select>
      {error && (
        <p class="error" id={`${id}-error`}>
          {t(error)}
        </p>
      )}
    </div>
  )
}

/** A message above a form or list: `role=alert` for errors, `role=status` for confirmations. */
export function Alert(props: { kind: 'error' | 'success' | 'info'; children: Child }) {
  return (
    <div class={`alert ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  )
}

/**
 * One button that posts to `action` (pause, revoke, suspend…): a real form, so it works without
 * JavaScript; with htmx it swaps `target` with the same section of the answer.
 */
export function ActionButton(props: {
  action: string
  label: string
  target: string
  fields?: Record<string, string>
  confirm?: string
  variant?: 'danger' | 'secondary'
  describedBy?: string
}) {
  return (
    <form
      method="post"
      action={props.action}
      class="inline"
      hx-post={props.action}
      hx-target={props.target}
      hx-select={props.target}
      hx-swap="outerHTML"
      hx-confirm={props.confirm}
    >
      <CsrfField />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.variant ?? 'secondary'} aria-describedby={props.describedBy}>
        {props.label}
      </button>
    </form>
  )
}

/** A form that posts normally and, with htmx, swaps only its section (`target`) of the answer. */
export function HxForm(props: {
  action: string
  target: string
  children: Child
  class?: string
  method?: 'get' | 'post'
  pushUrl?: boolean
  trigger?: string
  label?: string
}) {
  const method = props.method ?? 'post'
  return (
    <form
      method={method}
      action={props.action}
      class={props.class}
      aria-label={props.label}
      {...{ [`hx-${method}`]: props.action }}
      hx-target={props.target}
      hx-select={props.target}
      hx-swap="outerHTML"
      hx-push-url={props.pushUrl ? 'true' : undefined}
      hx-trigger={props.trigger}
    >
      {method === 'post' && <CsrfField />}
      {props.children}
    </form>
  )
}

/** A status word as a coloured badge; the text itself carries the meaning, not the colour. */
export function Badge(props: { status: string; label: string }) {
  return <span class={`badge s-${props.status}`}>{props.label}</span>
}

/** "Next page" for keyset lists: the cursor travels in the URL, every other filter stays. */
export function Pager(props: { nextHref: string | null }) {
  const { t } = useI18n()
  if (!props.nextHref) return null
  return (
    <p class="pager">
      <a href={props.nextHref}>{t('list.next')}</a>
    </p>
  )
}
