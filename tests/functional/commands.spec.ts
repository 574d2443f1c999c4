import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import ace from '@adonisjs/core/services/ace'
import { runCommand } from '#tests/helpers/ace'
import db from '@adonisjs/lucid/services/db'
import { Secret } from '@adonisjs/core/helpers'
import testUtils from '@adonisjs/core/services/test_utils'
import AccessTokenModel from '#models/access_token'
import Membership from '#models/membership'
import Organization from '#models/organization'
import Role from '#models/role'
import User from '#models/user'
import { TenantContext } from '#support/tenant_context'
import { USER_PASSWORD, UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization } from '#tests/helpers/identity'
import { auditQuery, findAudit, findAuditOrFail } from '#tests/helpers/audit'
import MainSeeder, { DEMO } from '#database/seeders/main_seeder'

const STRONG = 'violet-harbor-lantern-42'

/**
 * The stored flag: SQLite returns booleans as 0/1.
 */
const isSuperAdmin = (user: User) => Boolean(user.isSuperAdmin)

/**
 * The token a command printed, as the API guard would see it.
 */
function verifyPrinted(output: string) {
  const [value] = output.match(/prl_\S+/) ?? ['']
  return User.accessTokens.verify(new Secret(value))
}

/**
 * Awaited inside the tenant: preloads run when the query does.
 */
function membershipsOf(organization: Organization) {
  return TenantContext.run(
    organization.id,
    async () => await Membership.query().preload('role').preload('user')
  )
}

test.group('Commands: org:create', (group) => {
  group.setup(() => ace.ui.switchMode('raw'))
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('creates the organization and a new owner account', async ({ assert }) => {
    const { command, output } = await runCommand('org:create', [
      'Acme Robotics',
      '--owner-email=Ada@Example.com',
      `--owner-password=${STRONG}`,
    ])
    command.assertSucceeded()
    assert.include(output, 'slug: acme-robotics')

    const organization = await Organization.findByOrFail('slug', 'acme-robotics')
    assert.equal(organization.name, 'Acme Robotics')
    const owner = await User.verifyCredentials('ada@example.com', STRONG)
    assert.equal(owner.name, 'ada')
    assert.isFalse(isSuperAdmin(owner))

    const [membership] = await membershipsOf(organization)
    assert.equal(membership.userId, owner.id)
    assert.equal(membership.role.slug, 'owner')

    const audit = await findAuditOrFail('action', 'organization.created')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.subjectId, String(organization.id))
    assert.equal(audit.message, 'node ace org:create')
    assert.equal(audit.changes!.slug, 'acme-robotics')
    const userAudit = await findAuditOrFail('action', 'user.created')
    assert.equal(userAudit.subjectId, String(owner.id))
    const trail = JSON.stringify(await auditQuery())
    assert.notInclude(trail, STRONG)
  })

  test('makes an existing user the owner, with no password needed', async ({ assert }) => {
    const existing = await UserFactory.merge({ email: 'grace@example.com' }).create()
    const { command } = await runCommand('org:create', [
      'Compilers',
      '--owner-email=grace@example.com',
      '--slug=compilers-inc',
    ])
    command.assertSucceeded()

    const organization = await Organization.findByOrFail('slug', 'compilers-inc')
    const [membership] = await membershipsOf(organization)
    assert.equal(membership.userId, existing.id)
    assert.equal(membership.role.slug, 'owner')
    assert.lengthOf(await User.query().where('email', 'grace@example.com'), 1)
    await User.verifyCredentials('grace@example.com', USER_PASSWORD)
    assert.isNull(await findAudit('action', 'user.created'))
  })

  test('asks for missing values on a terminal', async ({ assert }) => {
    const { command } = await runCommand('org:create', [], {
      interactive: true,
      prompts: {
        'Organization name': 'Prompted Co',
        'Owner email': 'prompted@example.com',
        'Owner password (at least 12 characters)': STRONG,
      },
    })
    command.assertSucceeded()
    const organization = await Organization.findByOrFail('slug', 'prompted-co')
    const [membership] = await membershipsOf(organization)
    assert.equal(membership.user.email, 'prompted@example.com')
  })

  test('names the missing flag when it cannot ask', async ({ assert }) => {
    const { command, output } = await runCommand('org:create', ['Acme'])
    command.assertExitCode(1)
    assert.include(output, 'Missing --owner-email')

    const noPassword = await runCommand('org:create', ['Acme', '--owner-email=new@example.com'])
    noPassword.command.assertExitCode(1)
    assert.include(noPassword.output, 'Missing --owner-password')
    assert.isNull(await Organization.findBy('slug', 'acme'))
  })

  test('writes nothing when the slug is taken or the password is weak', async ({ assert }) => {
    await createOrganization('Taken')
    const taken = await runCommand('org:create', [
      'Another',
      '--slug=taken',
      '--owner-email=fresh@example.com',
      `--owner-password=${STRONG}`,
    ])
    taken.command.assertExitCode(1)
    assert.include(taken.output, 'slug is already taken')
    // The owner account was created in the same transaction: rolled back too.
    assert.isNull(await User.findBy('email', 'fresh@example.com'))

    const weak = await runCommand('org:create', [
      'Weak Co',
      '--owner-email=weak@example.com',
      '--owner-password=password1234',
    ])
    weak.command.assertExitCode(1)
    assert.include(weak.output, 'Password refused')
    assert.isNull(await Organization.findBy('slug', 'weak-co'))

    const invalid = await runCommand('org:create', ['Bad', '--owner-email=not-an-email'])
    invalid.command.assertExitCode(1)
    assert.include(invalid.output, '--owner-email')
    assert.lengthOf(await auditQuery(), 0)
  })
})

test.group('Commands: user:create', (group) => {
  group.setup(() => ace.ui.switchMode('raw'))
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('creates a user, named after the email by default', async ({ assert }) => {
    const { command, output } = await runCommand('user:create', [
      '--email=Linus@Example.com',
      `--password=${STRONG}`,
    ])
    command.assertSucceeded()
    assert.include(output, 'linus@example.com')

    const user = await User.verifyCredentials('linus@example.com', STRONG)
    assert.equal(user.name, 'linus')
    assert.isFalse(isSuperAdmin(user))
    const audit = await findAuditOrFail('action', 'user.created')
    assert.isNull(audit.organizationId)
    assert.equal(audit.subjectId, String(user.id))
    assert.notInclude(JSON.stringify(audit.changes), STRONG)
  })

  test('creates a super-admin with a name', async ({ assert }) => {
    const { command } = await runCommand('user:create', [
      '--email=root@example.com',
      `--password=${STRONG}`,
      '--name=Root Operator',
      '--super-admin',
    ])
    command.assertSucceeded()
    const user = await User.findByOrFail('email', 'root@example.com')
    assert.isTrue(isSuperAdmin(user))
    assert.equal(user.name, 'Root Operator')
  })

  test('adds the user to an organization with a built-in or a custom role', async ({ assert }) => {
    const { organization } = await createOrganization('Acme')
    const custom = await TenantContext.run(organization.id, () =>
      Role.create({ slug: 'support-lead', name: 'Support lead', isSystem: false })
    )

    const agent = await runCommand('user:create', [
      '--email=agent@example.com',
      `--password=${STRONG}`,
      '--org=acme',
      '--role=agent',
    ])
    agent.command.assertSucceeded()
    const lead = await runCommand('user:create', [
      '--email=lead@example.com',
      `--password=${STRONG}`,
      '--org=acme',
      '--role=support-lead',
    ])
    lead.command.assertSucceeded()

    const memberships = await membershipsOf(organization)
    const roles = Object.fromEntries(
      memberships.map((membership) => [membership.user.email, membership.roleId])
    )
    const agentRole = await TenantContext.asPlatform(
      async () =>
        await Role.query().where('slug', 'agent').whereNull('organization_id').firstOrFail()
    )
    assert.equal(roles['agent@example.com'], agentRole.id)
    assert.equal(roles['lead@example.com'], custom.id)

    const audit = await auditQuery().where('action', 'user.created').orderBy('id').firstOrFail()
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.changes!.role, 'agent')
  })

  test('asks for the role on a terminal', async ({ assert }) => {
    const { organization } = await createOrganization('Acme')
    const { command } = await runCommand(
      'user:create',
      ['--email=viewer@example.com', '--org=acme'],
      {
        interactive: true,
        prompts: { 'Password (at least 12 characters)': STRONG, 'Role in acme': 'viewer' },
      }
    )
    command.assertSucceeded()
    const memberships = await membershipsOf(organization)
    const membership = memberships.find(
      (candidate) => candidate.user.email === 'viewer@example.com'
    )
    assert.equal(membership?.role.slug, 'viewer')
  })

  test('refuses a taken email, an unknown organization or role, writing nothing', async ({
    assert,
  }) => {
    await UserFactory.merge({ email: 'taken@example.com' }).create()
    const taken = await runCommand('user:create', [
      '--email=TAKEN@example.com',
      `--password=${STRONG}`,
    ])
    taken.command.assertExitCode(1)
    assert.include(taken.output, 'already exists')

    const unknownOrg = await runCommand('user:create', [
      '--email=someone@example.com',
      `--password=${STRONG}`,
      '--org=nowhere',
      '--role=agent',
    ])
    unknownOrg.command.assertExitCode(1)
    assert.include(unknownOrg.output, 'no organization with the slug "nowhere"')

    // Another organization's custom role is not a role of this one.
    const { organization: other } = await createOrganization('Other')
    await TenantContext.run(other.id, () =>
      Role.create({ slug: 'other-only', name: 'Other only', isSystem: false })
    )
    await createOrganization('Acme')
    const badRole = await runCommand('user:create', [
      '--email=someone@example.com',
      `--password=${STRONG}`,
      '--org=acme',
      '--role=other-only',
    ])
    badRole.command.assertExitCode(1)
    assert.include(
      badRole.output,
      'no role "other-only" in acme: use one of owner, admin, agent, viewer'
    )

    const roleWithoutOrg = await runCommand('user:create', [
      '--email=someone@example.com',
      `--password=${STRONG}`,
      '--role=agent',
    ])
    roleWithoutOrg.command.assertExitCode(1)
    assert.include(roleWithoutOrg.output, '--role needs --org')

    const noPassword = await runCommand('user:create', ['--email=someone@example.com'])
    noPassword.command.assertExitCode(1)
    assert.include(noPassword.output, 'Missing --password')

    assert.isNull(await User.findBy('email', 'someone@example.com'))
    assert.isNull(await findAudit('action', 'user.created'))
  })
})

test.group('Commands: token:create', (group) => {
  group.setup(() => ace.ui.switchMode('raw'))
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('prints a working token once', async ({ assert }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { command, output } = await runCommand('token:create', [
      `--email=${owner.email}`,
      '--org=acme',
      '--abilities=chatbots.view,conversations.reply',
      '--expires-in=30d',
      '--name=Zapier',
    ])
    command.assertSucceeded()

    const printed = output.match(/prl_\S+/g) ?? []
    assert.lengthOf(printed, 1)
    const token = await verifyPrinted(output)
    assert.isNotNull(token)
    assert.equal(token!.organizationId, organization.id)
    assert.equal(token!.tokenableId, owner.id)
    assert.equal(token!.name, 'Zapier')
    assert.deepEqual(token!.abilities, ['chatbots.view', 'conversations.reply'])
    const days = (token!.expiresAt!.getTime() - Date.now()) / 86_400_000
    assert.closeTo(days, 30, 0.01)

    const audit = await findAuditOrFail('action', 'token.created')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.subjectId, String(token!.identifier))
    const trail = JSON.stringify(await auditQuery())
    assert.notInclude(trail, printed.join())
    assert.notInclude(trail, printed.join().split('.').pop()!)
  })

  test('defaults to every ability and the provider lifetime; never expires on request', async ({
    assert,
  }) => {
    const { owner } = await createOrganization('Acme')
    const byDefault = await runCommand('token:create', [`--email=${owner.email}`, '--org=acme'])
    byDefault.command.assertSucceeded()
    const token = await verifyPrinted(byDefault.output)
    assert.deepEqual(token!.abilities, ['*'])
    assert.equal(token!.name, 'Command line')
    assert.closeTo((token!.expiresAt!.getTime() - Date.now()) / 86_400_000, 90, 0.01)

    const forever = await runCommand('token:create', [
      `--email=${owner.email}`,
      '--org=acme',
      '--expires-in=never',
    ])
    forever.command.assertSucceeded()
    const endless = await verifyPrinted(forever.output)
    assert.isNull(endless!.expiresAt)

    const seconds = await runCommand('token:create', [
      `--email=${owner.email}`,
      '--org=acme',
      '--expires-in=3600',
    ])
    const hourly = await verifyPrinted(seconds.output)
    assert.closeTo((hourly!.expiresAt!.getTime() - Date.now()) / 1000, 3600, 5)
  })

  test('refuses unknown abilities, users, organizations and non-members', async ({ assert }) => {
    const { organization, owner } = await createOrganization('Acme')
    const viewer = await addMember(organization, 'viewer')
    const outsider = await UserFactory.create()

    const cases: [string[], string][] = [
      [
        [`--email=${owner.email}`, '--org=acme', '--abilities=chatbots.fly'],
        '"chatbots.fly" is not a permission',
      ],
      [[`--email=${owner.email}`, '--org=acme', '--expires-in=soon'], '--expires-in'],
      [['--email=nobody@example.com', '--org=acme'], 'no user with the email nobody@example.com'],
      [[`--email=${owner.email}`, '--org=nowhere'], 'no organization with the slug "nowhere"'],
      [
        [`--email=${outsider.email}`, '--org=acme'],
        `${outsider.email} is not an active member of acme`,
      ],
      [
        [`--email=${viewer.email}`, '--org=acme', '--abilities=chatbots.manage'],
        'permissions you do not have yourself: chatbots.manage',
      ],
      [[`--email=${owner.email}`], 'Missing --org'],
    ]
    for (const [argv, message] of cases) {
      const { command, output } = await runCommand('token:create', argv)
      command.assertExitCode(1)
      assert.include(output, message)
      assert.notMatch(output, /prl_/)
    }
    const tokens = await TenantContext.asPlatform(async () => await AccessTokenModel.query())
    assert.lengthOf(tokens, 0)
  })

  test('asks which organization on a terminal', async ({ assert }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { command, output } = await runCommand('token:create', [`--email=${owner.email}`], {
      interactive: true,
      prompts: { Organization: 'acme' },
    })
    command.assertSucceeded()
    const token = await verifyPrinted(output)
    assert.equal(token!.organizationId, organization.id)
  })
})

test.group('Commands: user:promote', (group) => {
  group.setup(() => ace.ui.switchMode('raw'))
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('makes a user a super-admin, once', async ({ assert }) => {
    const user = await UserFactory.create()
    const { command } = await runCommand('user:promote', [`--email=${user.email.toUpperCase()}`])
    command.assertSucceeded()
    await user.refresh()
    assert.isTrue(isSuperAdmin(user))

    const audit = await findAuditOrFail('action', 'user.promoted')
    assert.equal(audit.subjectId, String(user.id))
    assert.deepEqual(audit.changes!.is_super_admin, { before: false, after: true })

    const again = await runCommand('user:promote', [`--email=${user.email}`])
    again.command.assertSucceeded()
    assert.include(again.output, 'already a super-admin')
    assert.lengthOf(await auditQuery().where('action', 'user.promoted'), 1)
  })

  test('refuses an unknown email and a missing flag', async ({ assert }) => {
    const unknown = await runCommand('user:promote', ['--email=ghost@example.com'])
    unknown.command.assertExitCode(1)
    assert.include(unknown.output, 'no user with the email ghost@example.com')

    const missing = await runCommand('user:promote', [])
    missing.command.assertExitCode(1)
    assert.include(missing.output, 'Missing --email')
    assert.isNull(await findAudit('action', 'user.promoted'))
  })
})

test.group('Seeder: main', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('seeds the demo organization, owner and super-admin once', async ({ assert }) => {
    const count = async (table: string) => {
      const [row] = await db.from(table).count('* as total')
      return Number(row.total)
    }
    const counts = async () => ({
      users: await count('users'),
      organizations: await count('organizations'),
      memberships: await count('memberships'),
      roles: await count('roles'),
      invitations: await count('invitations'),
      audit: await count('audit_logs'),
    })

    await new MainSeeder(db.connection()).run()
    const first = await counts()
    await new MainSeeder(db.connection()).run()
    assert.deepEqual(await counts(), first)

    const organization = await Organization.findByOrFail('slug', DEMO.organization.slug)
    assert.equal(organization.name, 'Demo Company')
    const owner = await User.verifyCredentials(DEMO.owner.email, DEMO.owner.password)
    const membership = (await membershipsOf(organization)).find((row) => row.userId === owner.id)
    assert.equal(membership?.role.slug, 'owner')

    // The team: one member per built-in role, a custom role, an invitation, a week of history.
    const viewer = await User.verifyCredentials(DEMO.viewer.email, DEMO.viewer.password)
    const team = await membershipsOf(organization)
    assert.sameMembers(
      team.map((member) => member.role.slug),
      ['owner', 'admin', 'agent', 'agent', 'viewer']
    )
    assert.equal(team.find((member) => member.userId === viewer.id)?.role.slug, 'viewer')
    const [custom] = await db.from('roles').where('organization_id', organization.id)
    assert.equal(custom.name, 'Support lead')
    const [invitation] = await db.from('invitations').where('organization_id', organization.id)
    assert.equal(invitation.email, 'new.hire@demo.parley.test')
    const history = await auditQuery().where('organization_id', organization.id)
    assert.isAtLeast(history.length, 8)
    const days = new Set(history.map((row) => row.createdAt.toISODate()))
    assert.isAtLeast(days.size, 5)

    const admin = await User.verifyCredentials(DEMO.superAdmin.email, DEMO.superAdmin.password)
    assert.isTrue(isSuperAdmin(admin))
    const adminMemberships = await TenantContext.asPlatform(
      async () => await Membership.query().where('user_id', admin.id)
    )
    assert.lengthOf(adminMemberships, 0)
  })

  test('seeds nothing in production', async ({ assert, cleanup }) => {
    Object.defineProperty(app, 'inProduction', { value: true, configurable: true })
    cleanup(() => {
      delete (app as { inProduction?: boolean }).inProduction
    })
    await new MainSeeder(db.connection()).run()
    assert.isNull(await User.findBy('email', DEMO.owner.email))
  })
})
