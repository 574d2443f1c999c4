import type { Secret } from '@adonisjs/core/helpers'
import { AccessTokensLucidUserProvider } from '@adonisjs/auth/access_tokens'
import type { LucidTokenable } from '@adonisjs/auth/types/access_tokens'
import { tokenOwners } from '#support/organization_tokens_provider'

/**
 * The `api` guard's user provider. The guard verifies a token, then looks
 * its user up by id: OrganizationTokensProvider already read the user in
 * the token's query, so the lookup that follows takes it from there instead
 * of querying again (entries are keyed by user id and used once, so
 * concurrent requests never see another user's row).
 */
export class OrganizationTokensUserProvider<
  TokenableProperty extends string,
  UserModel extends LucidTokenable<TokenableProperty>,
> extends AccessTokensLucidUserProvider<TokenableProperty, UserModel> {
  #verifiedOwners = new Map<string, InstanceType<UserModel>>()

  async verifyToken(tokenValue: Secret<string>) {
    const token = await super.verifyToken(tokenValue)
    const owner = token ? tokenOwners.get(token) : undefined
    if (token && owner) {
      this.#verifiedOwners.set(String(token.tokenableId), owner as InstanceType<UserModel>)
    }
    return token
  }

  async findById(identifier: string | number | BigInt) {
    const key = String(identifier)
    const owner = this.#verifiedOwners.get(key)
    if (!owner) return super.findById(identifier)
    this.#verifiedOwners.delete(key)
    return this.createUserForGuard(owner)
  }
}
