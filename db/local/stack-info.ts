/** What the database stack (stack.ts) reports on its READY line; imported without starting it. */
export type StackInfo = {
  ownerUrl: string
  appUrl: string
  /** Unset when the server is not on loopback (the driver then connects directly). */
  wsProxy?: string
  postgresPort: number
  /** Set with --template: a migrated database that per-test databases are cloned from. */
  templateDatabase?: string
}

export const APP_ROLE = 'integra_app'
export const APP_PASSWORD = 'integra-local-app'
export const READY_PREFIX = 'READY '
