import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, beforeSave, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'
import type { AccessToken } from '@adonisjs/auth/access_tokens'
import { SoftDeletes } from '#models/mixins/soft_deletes'
import Membership from '#models/membership'
import OrganizationTokensProvider from '#support/organization_tokens_provider'
import RememberMeTokensProvider from '#support/remember_me_tokens_provider'
import { GuardsAccess } from '#models/mixins/guards_access'

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export type UserStatus = 'active' | 'disabled'

/**
 * A global identity: one person, member of any number of organizations.
 */
export default class User extends compose(BaseModel, AuthFinder, SoftDeletes, GuardsAccess) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare name: string

  @column()
  declare email: string

  @column({ serializeAs: null })
  declare password: string

  /** SQLite returns 0/1. */
  @column({ serializeAs: null, consume: (value: unknown) => Boolean(value) })
  declare isSuperAdmin: boolean

  @column()
  declare status: UserStatus

  @column.dateTime()
  declare emailVerifiedAt: DateTime | null

  @column.dateTime()
  declare lastLoginAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @hasMany(() => Membership)
  declare memberships: HasMany<typeof Membership>

  static accessTokens = OrganizationTokensProvider.forModel(User)

  declare currentAccessToken?: AccessToken & { organizationId?: number }

  /** Console "remember me" cookies (config/auth.ts). */
  static rememberMeTokens = RememberMeTokensProvider.forModel(User)

  /** The remember-me token issued during this request, if any (session tracking links it). */
  declare issuedRememberMeTokenId?: number

  /**
   * Emails are compared case-insensitively: stored lowercased.
   */
  @beforeSave()
  static normalizeEmail(user: User) {
    if (user.$dirty.email) user.email = user.email.trim().toLowerCase()
  }
}
