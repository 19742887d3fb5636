/** Thrown by a job handler that wants its message redelivered no sooner than `delaySeconds`. */
export class RetryLater extends Error {
  readonly delaySeconds: number
  constructor(message: string, delaySeconds: number) {
    super(message)
    this.name = 'RetryLater'
    this.delaySeconds = delaySeconds
  }
}
