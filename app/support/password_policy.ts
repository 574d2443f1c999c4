import { readFileSync } from 'node:fs'
import app from '@adonisjs/core/services/app'

export const PASSWORD_MIN_LENGTH = 12
export const PASSWORD_MAX_LENGTH = 128

let commonPasswords: Set<string> | undefined

/**
 * Common passwords long enough to pass the length rule, bundled in
 * resources/data so the check works offline.
 */
function common() {
  commonPasswords ??= new Set(
    readFileSync(app.makePath('resources/data/common_passwords.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
  )
  return commonPasswords
}

/**
 * Why a password is refused, or null when it is acceptable.
 */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return `Use at least ${PASSWORD_MIN_LENGTH} characters`
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return `Use at most ${PASSWORD_MAX_LENGTH} characters`
  }
  if (common().has(password.toLowerCase()) || new Set(password).size < 4) {
    return 'This password is too common or too easy to guess: choose another one'
  }
  return null
}
