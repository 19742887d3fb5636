/**
 * `crypto.subtle.timingSafeEqual` is a Workers extension the app uses to compare secrets
 * (passwords, webhook signatures); Deno's SubtleCrypto has no such method. This gives Deno one
 * with the same contract: equal lengths required (the caller checks; a mismatch throws, as
 * Workers does), and every byte read whatever the first difference, so timing reveals no prefix.
 * Imported first by the Deno entry.
 */
type Bytes = ArrayBuffer | ArrayBufferView

function bytesOf(value: Bytes): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
}

export function timingSafeEqual(a: Bytes, b: Bytes): boolean {
  const left = bytesOf(a)
  const right = bytesOf(b)
  if (left.length !== right.length) throw new TypeError('Input buffers must have the same byte length')
  let difference = 0
  for (let i = 0; i < left.length; i++) difference |= (left[i] as number) ^ (right[i] as number)
  return difference === 0
}

const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: unknown }
if (typeof subtle.timingSafeEqual !== 'function') subtle.timingSafeEqual = timingSafeEqual
