import { MEMBER_ROLES } from '../../../db/schema/identity.ts'
import { ActionButton, Alert, type FormState, HxForm } from '../../components/forms.tsx'
import { InviteMemberForm, MembersTable, type MemberView } from '../../components/members.tsx'
import { labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'

/** The team: who is in it, their roles, and the seats the plan allows. */
export function TeamList(props: {
  members: MemberView[]
  selfId: string
  usage: { users: number; limit: number | null }
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  const roles = MEMBER_ROLES.map((role) => ({ value: role, label: t(`role.${role}`) }))
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
      <MembersTable
        members={props.members}
        role={(member) =>
          member.id === props.selfId ? (
            labelOf(t, 'role', member.role)
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
          )
        }
        actions={(member) =>
          member.id !== props.selfId &&
          (member.status === 'invited' ? (
            <div class="actions">
              <ActionButton
                action={`/app/team/${member.id}/invitation`}
                target="#team-list"
                label={t('team.resendInvitation')}
                variant="secondary"
              />
              <ActionButton
                action={`/app/team/${member.id}/invitation/revoke`}
                target="#team-list"
                label={t('team.revokeInvitation')}
                variant="danger"
                confirm={t('team.revokeInvitationConfirm', { name: member.name })}
              />
            </div>
          ) : member.status === 'active' ? (
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
          ))
        }
      />
    </section>
  )
}

/** Invites someone by e-mail; they choose their own password from the link. */
export function InviteForm(props: { state?: FormState }) {
  const { t } = useI18n()
  return (
    <section id="invite" class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t('team.inviteByEmail')}</h2>
      <p class="muted small">{t('team.inviteByEmailLead')}</p>
      <InviteMemberForm
        action="/app/team"
        target="#invite"
        state={props.state}
        defaultRole="analyst"
        byEmail
      />
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
