import { DbRememberMeTokensProvider } from '@adonisjs/auth/session'
import type { LucidModel } from '@adonisjs/lucid/types/model'

/**
 * The guard's remember-me tokens, noting on the user which token the
 * current request issued (at login, or when a remembered browser signs in
 * again and the guard replaces its token): session tracking links that
 * token to the session, so ending the session deletes it too.
 */
export default class RememberMeTokensProvider<
  Model extends LucidModel,
> extends DbRememberMeTokensProvider<Model> {
  static forModel<Model extends LucidModel>(model: Model) {
    return new RememberMeTokensProvider<Model>({ tokenableModel: model })
  }

  async create(user: InstanceType<Model>, expiresIn: string | number) {
    const token = await super.create(user, expiresIn)
    ;(user as { issuedRememberMeTokenId?: number }).issuedRememberMeTokenId = Number(
      token.identifier
    )
    return token
  }
}
