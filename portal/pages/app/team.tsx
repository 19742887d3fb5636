import { MEMBER_ROLES } from '../../../db/schema/identity.ts'
import { ActionButton, Alert, Field, HxForm, Select } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import type { FormState } from './connections.tsx'

export type MemberView = {
  id: string
  email: string
  name: string
  role: string
  status: string
  lastLoginAt: Date | string | null
}

const value = (state: FormState | undefined, name: string) => {
  const v = state?.values?.[name]
  return Array.isArray(v) ? v[0] : v
}

/** The team: who is in it, their roles, and the seats the plan allows. */
export function TeamList(props: {
  members: MemberView[]
  selfId: string
  usage: { users: number; limit: number | null }
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  const roles = MEMBER_ROLES.map((role) => ({ value: role, label: t(`role.${role}` as MessageKey) }))
  return (
    <section id="team-list" aria-labelledby="team-title">
      <h2 id="team-title">{t('team.members')}</h2>
      <p class="muted">
        {props.usage.limit === null
          ? t('team.noPlan')
          : t('team.seats', { used: props.usage.users, limit: props.usage.limit })}
      </p>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('team.name')}</th>
              <th scope="col">{t('team.role')}</th>
              <th scope="col">{t('team.status')}</th>
              <th scope="col">{t('team.lastLogin')}</th>
              <th scope="col">{t('connections.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {props.members.map((member) => (
              <tr>
                <td>
                  {member.name}
                  <div class="muted small">{member.email}</div>
                </td>
                <td>
                  {member.id === props.selfId ? (
                    t(`role.${member.role}` as MessageKey)
                  ) : (
                    <HxForm
                      action={`/app/team/${member.id}/role`}
                      target="#team-list"
                      class="row"
                      label={t('team.changeRole', { name: member.name })}
                    >
                      <label class="sr-only" for={`role-${member.id}`}>
                        {t('team.role')}
                      </label>
                      <select id={`role-${member.id}`} name="role">
                        {roles.map((role) => (
                          <option value={role.value} selected={role.value === member.role}>
                            {role.label}
                          </option>
                        ))}
                      </select>
                      <button type="submit" class="secondary">
                        {t('team.saveRole')}
                      </button>
                    </HxForm>
                  )}
                </td>
                <td>
                  <Status value={member.status} />
                </td>
                <td>
                  <When at={member.lastLoginAt} />
                </td>
                <td>
                  {member.id !== props.selfId &&
                    (member.status === 'active' ? (
                      <ActionButton
                        action={`/app/team/${member.id}/deactivate`}
                        target="#team-list"
                        label={t('team.deactivate')}
                        variant="danger"
                        confirm={t('team.deactivateConfirm', { name: member.name })}
                      />
                    ) : (
                      <ActionButton
                        action={`/app/team/${member.id}/reactivate`}
                        target="#team-list"
                        label={t('team.reactivate')}
                      />
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

/** Adds a member with a first password the inviter hands over (no e-mail is sent by the product). */
export function InviteForm(props: { state?: FormState }) {
  const { t } = useI18n()
  const errors = props.state?.errors
  return (
    <section id="invite" class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t('team.invite')}</h2>
      <p class="muted small">{t('team.inviteLead')}</p>
      {props.state?.message && <Alert kind="error">{t(props.state.message)}</Alert>}
      <HxForm action="/app/team" target="#invite" label={t('team.invite')}>
        <Field name="name" label="team.name" value={value(props.state, 'name')} errors={errors} required />
        <Field
          name="email"
          type="email"
          label="login.email"
          value={value(props.state, 'email')}
          errors={errors}
          required
        />
        <Select
          name="role"
          label="team.role"
          value={value(props.state, 'role') ?? 'analyst'}
          errors={errors}
          options={MEMBER_ROLES.map((role) => ({ value: role, label: t(`role.${role}` as MessageKey) }))}
        />
        <Field
          name="password"
          type="password"
          label="team.firstPassword"
          errors={errors}
          required
          autocomplete="new-password"
          hint="form.passwordHint"
        />
        <button type="submit" class="primary">
          {t('team.inviteSubmit')}
        </button>
      </HxForm>
    </section>
  )
}

export function TeamPage(props: Parameters<typeof TeamList>[0] & { form?: FormState }) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('team.title')}</h1>
      <TeamList {...props} />
      <InviteForm state={props.form} />
    </>
  )
}
