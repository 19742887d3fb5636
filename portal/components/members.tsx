import type { Child } from 'hono/jsx'
import { MEMBER_ROLES } from '../../db/schema/identity.ts'
import { labelOf, useI18n } from '../i18n/index.ts'
import { Alert, Field, type FormState, formValue, HxForm, Select } from './forms.tsx'
import { Status, When } from './status.tsx'

/** A member of a tenant as the team page and the admin central's tenant page list them. */
export type MemberView = {
  id: string
  email: string
  name: string
  role: string
  status: string
  lastLoginAt: Date | string | null
}

/** The members of a tenant: name and e-mail, role, status, last sign-in, and what may be done. */
export function MembersTable(props: {
  members: MemberView[]
  /** The role cell: plain text, or a form where the viewer may change it. */
  role?: (member: MemberView) => Child
  actions: (member: MemberView) => Child
}) {
  const { t } = useI18n()
  return (
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
              <td>{props.role ? props.role(member) : labelOf(t, 'role', member.role)}</td>
              <td>
                <Status value={member.status} />
              </td>
              <td>
                <When at={member.lastLoginAt} />
              </td>
              <td>{props.actions(member)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/**
 * Adds a member: by e-mail invitation (`byEmail`, the team page: they choose their password), or
 * with a first password the inviter hands over (the admin central), to be changed at first sign-in.
 */
export function InviteMemberForm(props: {
  action: string
  target: string
  state?: FormState
  defaultRole: (typeof MEMBER_ROLES)[number]
  byEmail?: boolean
}) {
  const { t } = useI18n()
  const errors = props.state?.errors
  return (
    <>
      {props.state?.message && <Alert kind="error">{t(props.state.message)}</Alert>}
      <HxForm action={props.action} target={props.target} label={t('team.invite')}>
        <Field
          name="name"
          label="team.name"
          value={formValue(props.state, 'name')}
          errors={errors}
          required
        />
        <Field
          name="email"
          type="email"
          label="login.email"
          value={formValue(props.state, 'email')}
          errors={errors}
          required
        />
        <Select
          name="role"
          label="team.role"
          value={formValue(props.state, 'role') ?? props.defaultRole}
          errors={errors}
          options={MEMBER_ROLES.map((role) => ({ value: role, label: t(`role.${role}`) }))}
        />
        {!props.byEmail && (
          <Field
            name="password"
            type="password"
            label="team.firstPassword"
            errors={errors}
            required
            autocomplete="new-password"
            hint="form.passwordHint"
          />
        )}
        <button type="submit" class="primary">
          {t(props.byEmail ? 'team.sendInvitation' : 'team.inviteSubmit')}
        </button>
      </HxForm>
    </>
  )
}
