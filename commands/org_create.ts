import vine from '@vinejs/vine'
import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import db from '@adonisjs/lucid/services/db'
import OrganizationService from '#services/organization_service'
import UserService from '#services/user_service'
import { SLUG } from '#validators/organization'
import { ParleyCommand } from './_parley_command.js'

const orgCreateValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(2).maxLength(120),
    slug: vine.string().trim().toLowerCase().minLength(2).maxLength(64).regex(SLUG).optional(),
    owner_email: vine.string().trim().toLowerCase().email().maxLength(254),
    owner_name: vine.string().trim().minLength(1).maxLength(120).optional(),
  })
)

/**
 * Creates an organization and its owner: a new account when the email is
 * unknown, otherwise the existing user becomes its owner.
 */
export default class OrgCreate extends ParleyCommand {
  static commandName = 'org:create'
  static description = 'Create an organization with an owner (a new or an existing user)'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Name of the organization', required: false })
  declare name: string | undefined

  @flags.string({ description: 'Slug (default: derived from the name)' })
  declare slug: string | undefined

  @flags.string({ description: 'Email of the owner (an existing user or a new account)' })
  declare ownerEmail: string | undefined

  @flags.string({ description: 'Password of the owner, when the account is new' })
  declare ownerPassword: string | undefined

  @flags.string({
    description: 'Name of the owner, when the account is new (default: from the email)',
  })
  declare ownerName: string | undefined

  protected async handle() {
    const name = await this.orAsk('the <name> argument', this.name, () =>
      this.prompt.ask('Organization name')
    )
    const ownerEmail = await this.orAsk('--owner-email', this.ownerEmail, () =>
      this.prompt.ask('Owner email')
    )
    const input = await this.validate(
      orgCreateValidator,
      {
        name,
        slug: this.slug,
        owner_email: ownerEmail,
        owner_name: this.ownerName,
      },
      { name: '<name>' }
    )

    const existing = await UserService.findByEmail(input.owner_email)
    const password = existing
      ? undefined
      : await this.orAsk('--owner-password (the owner account is new)', this.ownerPassword, () =>
          this.prompt.secure('Owner password (at least 12 characters)')
        )
    if (existing && this.ownerPassword !== undefined) {
      this.logger.warning(`${existing.email} already has an account: --owner-password is ignored`)
    }

    const { owner, organization } = await db.transaction(async (trx) => {
      const user =
        existing ??
        (await UserService.create(
          {
            name: input.owner_name ?? input.owner_email.split('@')[0],
            email: input.owner_email,
            password: password!,
          },
          trx
        ))
      const created = await OrganizationService.create(
        { name: input.name, slug: input.slug },
        user,
        trx
      )
      return { owner: user, organization: created }
    })

    if (!existing) {
      await this.audit({
        action: 'user.created',
        subject: { type: 'user', id: owner.id },
        changes: { email: owner.email, name: owner.name, is_super_admin: false },
      })
    }
    await this.audit({
      action: 'organization.created',
      organizationId: organization.id,
      subject: { type: 'organization', id: organization.id },
      changes: {
        name: organization.name,
        slug: organization.slug,
        owner: { id: owner.id, email: owner.email, new_account: !existing },
      },
    })

    this.logger.success(
      `Organization "${organization.name}" created (slug: ${organization.slug}, id: ${organization.id})`
    )
    this.logger.info(`Owner: ${owner.email} (${existing ? 'existing account' : 'new account'})`)
  }
}
