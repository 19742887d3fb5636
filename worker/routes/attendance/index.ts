import type { App } from '../../env.ts'
import { registerAttendanceContacts } from './contacts.ts'
import { registerAttendanceConversations } from './conversations.ts'
import { registerAttendanceHours } from './hours.ts'
import { registerAttendanceNumbers } from './numbers.ts'
import { registerAttendanceReplies } from './replies.ts'
import { registerAttendanceReports } from './reports.ts'
import { registerAttendanceTeams } from './teams.ts'
import { registerAttendanceWorkflow } from './workflow.ts'

/** The WhatsApp attendance module (docs/attendance.md). */
export function registerAttendanceRoutes(app: App) {
  registerAttendanceNumbers(app)
  registerAttendanceConversations(app)
  registerAttendanceReplies(app)
  registerAttendanceWorkflow(app)
  registerAttendanceContacts(app)
  registerAttendanceReports(app)
  registerAttendanceTeams(app)
  registerAttendanceHours(app)
}
