import { test } from '@japa/runner'
import type { Page } from 'playwright'
import limiter from '@adonisjs/limiter/services/main'
import mail from '@adonisjs/mail/services/main'
import Invitation from '#models/invitation'
import Role from '#models/role'
import User from '#models/user'
import InvitationMail from '#mails/invitation_mail'
import { TenantContext } from '#support/tenant_context'
import { UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import {
  PHONE,
  openContext,
  signIn,
  statValue,
  submitAndWait,
  unique,
  uniqueEmail,
} from '#tests/browser/support'

test.group('Console in chromium: signing in and the dashboard', (group) => {
  group.each.setup(() => limiter.clear())

  test('an owner signs in, sees the dashboard figures and signs out', async ({
    browserContext,
    assert,
  }) => {
    const { organization, owner } = await createOrganization(unique('Dashboard Org'))
    await addMember(organization, 'agent')
    await addMember(organization, 'viewer')
    await tokenFor(owner, organization)

    const page = await signIn(browserContext, owner.email)
    await page.assertPath('/')
    await page.assertTitle('Dashboard · Parley')
    await page.assertTextContains('.breadcrumb', organization.name)
    assert.equal(await statValue(page, 'stat-members'), 3)
    assert.equal(await statValue(page, 'stat-invitations'), 0)
    assert.equal(await statValue(page, 'stat-tokens'), 1)
    assert.isAtLeast(await statValue(page, 'stat-audit-week'), 1)
    // Chart.js drew the per-day chart (it sizes the canvas when it renders).
    await page.waitForFunction(`!!window.Chart?.getChart(document.querySelector('#audit-chart'))`)

    await page.getByLabel('Open user menu').click()
    await submitAndWait(page, page.getByRole('button', { name: 'Sign out' }))
    await page.assertPath('/login')
    const again = await browserContext.visit('/')
    await again.assertPath('/login')
  })

  test('a wrong password shows the error and keeps the email', async ({ browserContext }) => {
    const { owner } = await createOrganization(unique('Wrong Password Org'))

    const page = await signIn(browserContext, owner.email, 'not-the-password-1')
    await page.assertPath('/login')
    await page.assertTextContains('body', 'Email or password is incorrect.')
    await page.assertInputValue('#email', owner.email)
  })

  test('a member of several organizations picks one, then switches', async ({ browserContext }) => {
    const { organization: first, owner } = await createOrganization(unique('First Org'))
    const { organization: second } = await createOrganization(unique('Second Org'))
    await addMember(second, 'viewer', owner)

    const page = await signIn(browserContext, owner.email)
    await page.assertTextContains('h1', 'Choose an organization')
    await submitAndWait(page, page.getByRole('button', { name: second.name }))
    await page.assertPath('/')
    await page.assertTextContains('.breadcrumb', second.name)

    await Promise.all([
      page.waitForEvent('load'),
      page.getByLabel('Organization').selectOption(first.slug),
    ])
    await page.assertTextContains('.breadcrumb', first.name)
  })

  test('at phone width the sidebar collapses behind its toggle', async (context) => {
    const { organization, owner } = await createOrganization(unique('Phone Org'))
    const phone = await openContext(context, { viewport: PHONE, isMobile: true, hasTouch: true })

    const page = await signIn(phone, owner.email)
    await page.assertTextContains('.breadcrumb', organization.name)
    const toggle = page.getByRole('button', { name: 'Toggle navigation' })
    await page.assertVisible(toggle)
    await page.assertNotVisible('#sidebar-menu')
    await toggle.click()
    await page.assertVisible(page.locator('#sidebar-menu').getByRole('link', { name: 'Dashboard' }))
    // Nothing is wider than the screen: no sideways scrolling on a phone.
    const overflow = () =>
      page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth'
      )
    context.assert.isAtMost(await overflow(), 0)
    // Wide tables scroll inside their card, never the page.
    for (const path of ['/members', '/roles', '/tokens', '/audit-logs', '/profile']) {
      await page.goto(path)
      context.assert.isAtMost(await overflow(), 0, path)
    }
  })

  test('with JavaScript disabled the dashboard still shows its figures', async (context) => {
    const { organization, owner } = await createOrganization(unique('No Script Org'))
    await addMember(organization, 'agent')
    const noScript = await openContext(context, { javaScriptEnabled: false })

    const page = await signIn(noScript, owner.email)
    await page.assertPath('/')
    context.assert.equal(await statValue(page, 'stat-members'), 2)
    context.assert.equal(await statValue(page, 'stat-invitations'), 0)
    // The chart's figures are readable as a table without the chart.
    await page.assertVisible('#audit-per-day-table')
    context.assert.lengthOf(await page.locator('#audit-per-day-table tbody td').all(), 7)
  })
})

test.group('Console in chromium: every page', (group) => {
  group.each.setup(() => limiter.clear())

  /** Opens each path, which must answer 200 and show its title (console errors fail the test). */
  async function tour(page: Page, pages: Array<[path: string, heading: string]>) {
    for (const [path, heading] of pages) {
      const response = await page.goto(path)
      if (response?.status() !== 200) {
        throw new Error(`GET ${path} answered ${response?.status()}`)
      }
      await page.assertTextContains('h1', heading)
    }
  }

  test('an owner opens every organization page', async ({ browserContext }) => {
    const { owner } = await createOrganization(unique('Tour Org'))
    const page = await signIn(browserContext, owner.email)
    await tour(page, [
      ['/', 'Dashboard'],
      ['/conversations', 'Inbox'],
      ['/members', 'Members'],
      ['/invitations', 'invitations'],
      ['/roles', 'Roles'],
      ['/roles/create', 'role'],
      ['/tokens', 'API tokens'],
      ['/audit-logs', 'Audit log'],
      ['/settings', 'Settings'],
      ['/profile', 'Profile'],
    ])
  })

  test('a platform admin opens every platform page', async ({ browserContext }) => {
    const admin = await UserFactory.apply('superAdmin').create()
    const page = await signIn(browserContext, admin.email)
    await tour(page, [
      ['/admin/organizations', 'Organizations'],
      ['/admin/users', 'Users'],
      ['/admin/audit-logs', 'audit'],
    ])
  })
})

/** The path and query of the accept link in the invitation mailed to `email`. */
function mailedLink(mails: ReturnType<typeof mail.fake>['mails'], email: string) {
  const sent = mails.queued(
    (queued) => queued instanceof InvitationMail && queued.email === email
  ) as InvitationMail[]
  if (sent.length === 0) throw new Error(`No invitation was mailed to ${email}`)
  const url = new URL(sent.at(-1)!.url)
  return `${url.pathname}${url.search}`
}

test.group('Console in chromium: team, tokens and the audit log', (group) => {
  group.each.setup(() => limiter.clear())
  group.each.setup(() => {
    mail.fake()
    return () => mail.restore()
  })

  test('an owner invites someone who accepts in another browser; the owner changes their role, creates and revokes a token, and finds it all in the audit log', async (context) => {
    const { browserContext, assert } = context
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization(unique('Team Org'))
    const inviteeEmail = uniqueEmail('invitee')

    // Invite by email from the members page.
    const page = await signIn(browserContext, owner.email)
    await page.goto('/members')
    const inviteForm = page.locator('#invite-form')
    await inviteForm.getByLabel('Email address').fill(inviteeEmail)
    await inviteForm.getByLabel('Role').selectOption({ label: 'Agent' })
    await submitAndWait(page, inviteForm.getByRole('button', { name: 'Invite' }))
    await page.assertTextContains('[role="status"]', `Invitation mailed to ${inviteeEmail}`)
    await page.assertTextContains('body', inviteeEmail)

    // The invitee opens the mailed link in a browser of their own and creates the account.
    const invitee = await openContext(context)
    const accept = await invitee.visit(mailedLink(mails, inviteeEmail))
    await accept.assertTextContains('h1', `Join ${organization.name}`)
    await accept.getByLabel('Your name').fill('Ivy Invitee')
    await accept.getByLabel('Password').fill('ivy-invitee-lantern-77')
    await submitAndWait(accept, accept.getByRole('button', { name: 'Create account and join' }))
    await accept.assertPath('/')
    await accept.assertTextContains('[role="status"]', `Welcome to ${organization.name}!`)
    await accept.assertTextContains('.breadcrumb', organization.name)
    const joined = await User.findByOrFail('email', inviteeEmail)

    // The owner sees the new member and makes them a viewer.
    await page.reload()
    const row = page.locator(`#member-${joined.id}`)
    await page.assertTextContains(row, 'Ivy Invitee')
    await page.assertTextContains(row, 'Agent')
    await row.getByLabel('Role of Ivy Invitee').selectOption({ label: 'Viewer' })
    await submitAndWait(page, row.getByRole('button', { name: 'Change role' }))
    await page.assertTextContains('[role="status"]', 'Ivy Invitee')
    await page.assertTextContains(page.locator(`#member-${joined.id}`), 'Viewer')

    // A token: its value is shown once, then only its name; revoking it asks first.
    await page.goto('/tokens')
    const tokenForm = page.locator('#token-form')
    await tokenForm.getByLabel('Name', { exact: true }).fill('CRM sync')
    await submitAndWait(page, tokenForm.getByRole('button', { name: /create/i }))
    const plain = await page.locator('#plain-token').inputValue()
    assert.isAbove(plain.length, 20)
    const tokenRow = page.locator('tr', { hasText: 'CRM sync' })
    await page.assertElementsCount(tokenRow, 1)
    await page.reload()
    await page.assertNotExists('#plain-token')
    assert.notInclude(await page.content(), plain)
    await tokenRow.getByRole('button', { name: 'Revoke' }).click()
    const dialog = page.getByRole('dialog')
    await page.assertVisible(dialog)
    await submitAndWait(page, dialog.getByRole('button', { name: 'Revoke' }))
    await page.assertTextContains('[role="status"]', 'CRM sync')
    const revoked = await page.request.get('/api/v1/organization', {
      headers: { Authorization: `Bearer ${plain}`, Accept: 'application/json' },
    })
    assert.equal(revoked.status(), 401)

    // Each action is in the organization's audit log, with its details one click away.
    await page.goto('/audit-logs')
    const actions = await page.locator('tbody td code').allTextContents()
    for (const action of [
      'invitation.created',
      'invitation.accepted',
      'member.updated',
      'token.created',
      'token.revoked',
    ]) {
      assert.include(actions, action)
    }
    const updated = page.locator('tbody tr', { hasText: 'member.updated' }).first()
    await submitAndWait(page, updated.getByRole('link', { name: /Details/ }))
    await page.assertPathMatches(/^\/audit-logs\/\d+$/)
    await page.assertTextContains('body', 'member.updated')
    await page.assertTextContains('body', `user #${joined.id}`)
    await page.assertTextContains('body', 'HeadlessChrome')
    const viewerRole = await TenantContext.run(organization.id, () =>
      Role.query().where('slug', 'viewer').whereNull('organization_id').firstOrFail()
    )
    const changes = JSON.parse((await page.locator('#audit-changes').textContent()) ?? '{}')
    assert.equal(changes.after.role_id, viewerRole.id)
  })

  test('a viewer sees no invite form and is refused when posting it anyway', async ({
    browserContext,
    assert,
  }) => {
    const { organization } = await createOrganization(unique('Viewer Org'))
    const viewer = await addMember(organization, 'viewer')
    const email = uniqueEmail('not-invited')

    const page = await signIn(browserContext, viewer.email)
    await page.assertPath('/')
    await page.goto('/members')
    await page.assertTextContains('body', viewer.email)
    await page.assertNotExists('#invite-form')
    await page.assertNotExists('form[action="/members"][method="POST"]')
    await page.assertElementsCount(
      page.getByRole('button', { name: /Invite|Change role|Remove/ }),
      0
    )

    // The same form the owner gets, with this session's CSRF token: the server refuses it.
    browserContext.allowConsoleErrors(/status of 403/)
    await Promise.all([
      page.waitForEvent('load'),
      page.evaluate(`(() => {
        const form = document.createElement('form')
        form.method = 'POST'
        form.action = '/members'
        const fields = {
          _csrf: document.querySelector('input[name="_csrf"]').value,
          email: ${JSON.stringify(email)},
          role_id: '1',
        }
        for (const [name, value] of Object.entries(fields)) {
          const input = document.createElement('input')
          input.type = 'hidden'
          input.name = name
          input.value = value
          form.append(input)
        }
        document.body.append(form)
        form.submit()
      })()`),
    ])
    await page.assertTextContains('h1', 'You are not allowed to do this')
    const invited = await TenantContext.run(organization.id, () =>
      Invitation.query().where('email', email).first()
    )
    assert.isNull(invited)
  })
})
