import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import UserService from '#services/user_service'
import { CommandInputError, ParleyCommand } from './_parley_command.js'

/**
 * Makes an existing user a platform super-admin: a platform flag, not a
 * role in any organization.
 */
export default class UserPromote extends ParleyCommand {
  static commandName = 'user:promote'
  static description = 'Make an existing user a platform super-admin'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Email of the user to promote' })
  declare email: string | undefined

  protected async handle() {
    const answer = await this.orAsk('--email', this.email, () => this.prompt.ask('User email'))
    const email = answer.trim()
    const user = await UserService.findByEmail(email)
    if (!user) throw new CommandInputError(`There is no user with the email ${email}.`)

    if (user.isSuperAdmin) {
      this.logger.info(`${user.email} is already a super-admin: nothing changed`)
      return
    }
    user.isSuperAdmin = true
    await user.save()

    await this.audit({
      action: 'user.promoted',
      subject: { type: 'user', id: user.id },
      changes: { email: user.email, is_super_admin: { before: false, after: true } },
    })
    this.logger.success(`${user.email} is now a platform super-admin`)
  }
}
