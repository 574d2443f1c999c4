import encryption from '@adonisjs/core/services/encryption'

const MEMO_SIZE = 2_000

/**
 * Column options for an object stored encrypted with the app key (as a
 * whole, so a database dump holds none of it). Decrypting costs an HMAC
 * and an AES pass per row, which dominated list reads (bench/README.md), so
 * each process remembers the last ciphertexts it decrypted: every save
 * writes a new ciphertext (random IV), so a remembered one never goes stale.
 * Each read gets its own copy of the object.
 */
export function encryptedJsonColumn<T extends Record<string, unknown>>() {
  const memo = new Map<string, T>()
  return {
    prepare: (value: T | null) => encryption.encrypt(value ?? {}),
    consume: (value: string | null): T => {
      if (!value) return {} as T
      let plain = memo.get(value)
      if (plain === undefined) {
        plain = encryption.decrypt<T>(value) ?? ({} as T)
        if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!)
        memo.set(value, plain)
      }
      return structuredClone(plain)
    },
  }
}
