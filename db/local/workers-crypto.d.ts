/**
 * worker/auth/password.ts is shared with the Node scripts here (seed, admin:create), which only
 * call `hashPassword`. Its `verifyPassword` uses the Workers-only `crypto.subtle.timingSafeEqual`;
 * declaring it lets that file type-check under Node's types. Node scripts must not verify
 * passwords through it: Node's SubtleCrypto has no such method.
 */
import 'node:crypto'

declare module 'crypto' {
  namespace webcrypto {
    interface SubtleCrypto {
      timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean
    }
  }
}
