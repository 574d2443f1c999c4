import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import limiter from '@adonisjs/limiter/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import type { ApiClient } from '@japa/api-client'
import InvitationMail from '#mails/invitation_mail'
import type Organization from '#models/organization'
import type User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import { decodeHtml } from '#tests/helpers/html'

const PASSWORD = 'copper-kettle-sunrise-7'

type FakeMails = ReturnType<typeof mail.fake>['mails']

async function systemRole(slug: string) {
  return db.from('roles').where('slug', slug).whereNull('organization_id').firstOrFail()
}

async function membership(organization: Organization, user: User) {
  return db
    .from('memberships')
    .where({ organization_id: organization.id, user_id: user.id })
    .first()
}

async function auditCount(action: string) {
  return (await auditQuery().where('action', action)).length
}

/** The secret of the last invitation mailed to `email`. */
function mailedToken(mails: FakeMails, email: string) {
  const sent = mails.queued(
    (queued) => queued instanceof InvitationMail && queued.email === email
  ) as InvitationMail[]
  if (sent.length === 0) throw new Error(`No invitation mailed to ${email}`)
  const url = new URL(sent.at(-1)!.url)
  if (url.pathname !== '/invitations/accept') throw new Error(`Unexpected link ${url}`)
  return url.searchParams.get('token')!
}

/** Invites `email` through the console, as `owner` of `organization`. */
async function inviteThroughConsole(
  client: ApiClient,
  organization: Organization,
  owner: User,
  email: string,
  role = 'agent'
) {
  const { id } = await systemRole(role)
  const response = await client
    .post('/members')
    .withCsrfToken()
    .redirects(0)
    .loginAs(owner)
    .withSession({ organization_id: organization.id })
    .form({ email, role_id: id })
  response.assertStatus(302)
  return db.from('invitations').where('email', email).whereNull('accepted_at').firstOrFail()
}

test.group('Console members: list and invite', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.setup(() => {
    mail.fake()
    return () => mail.restore()
  })

  test('lists members with role and status, and pending invitations with actions', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Lantern')
    const agent = await addMember(organization, 'agent')
    await inviteThroughConsole(client, organization, owner, 'pending@example.com')
    const { owner: stranger } = await createOrganization('Elsewhere')

    const response = await client
      .get('/members')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    const html = response.text()
    assert.include(html, agent.email)
    assert.include(html, owner.email)
    assert.notInclude(html, stranger.email)
    assert.match(html, new RegExp(`id="member-${agent.id}"[\\s\\S]*?>Agent<[\\s\\S]*?>active<`))
    assert.include(html, 'id="invite-form"')
    assert.include(html, 'pending@example.com')
    assert.include(html, `/invitations/`)
    assert.include(html, '>Resend<')
    assert.include(html, `action="/members/${agent.id}?_method=DELETE"`)
    assert.match(html, /name=['"]_csrf['"]/)
  })

  test('filters by search, role and status, paginates, and shows an empty state', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const viewer = await addMember(organization, 'viewer')
    await db
      .from('memberships')
      .where({ organization_id: organization.id, user_id: viewer.id })
      .update({ status: 'disabled' })
    const agentRole = await systemRole('agent')
    const page = (qs: Record<string, unknown>) =>
      client.get('/members').qs(qs).loginAs(owner).withSession({ organization_id: organization.id })

    const rows = (html: string) =>
      [...html.matchAll(/<tr id="member-(\d+)"/g)].map((match) => Number(match[1]))

    const byRole = await page({ role_id: agentRole.id, status: '', q: '' })
    byRole.assertStatus(200)
    assert.deepEqual(rows(byRole.text()), [agent.id])
    assert.include(byRole.text(), `<option value="${agentRole.id}" selected>`)

    const byStatus = await page({ status: 'disabled' })
    assert.deepEqual(rows(byStatus.text()), [viewer.id])
    assert.include(byStatus.text(), '>disabled<')

    const bySearch = await page({ q: agent.email.toUpperCase() })
    assert.deepEqual(rows(bySearch.text()), [agent.id])

    const all = await page({})
    assert.deepEqual(rows(all.text()), [owner.id, agent.id, viewer.id])

    const paged = await page({ per_page: 2, page: 2 })
    assert.deepEqual(rows(paged.text()), [viewer.id])
    assert.include(paged.text(), '3–3 of 3')
    assert.include(paged.text(), 'rel="prev"')

    const none = await page({ q: 'nobody-matches-this' })
    assert.include(none.text(), 'No member matches these filters')
    assert.include(none.text(), 'No pending invitations')
  })

  test('inviting an unknown email mails an invitation, audited', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization('Lantern')
    const { id: agentRoleId } = await systemRole('agent')

    const response = await client
      .post('/members')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .form({ email: 'Newcomer@Example.com', role_id: agentRoleId })
    response.assertStatus(302)
    response.assertHeader('location', '/members')
    response.assertFlashMessage('success', 'Invitation mailed to newcomer@example.com (Agent).')

    const invitation = await db
      .from('invitations')
      .where('email', 'newcomer@example.com')
      .firstOrFail()
    assert.equal(invitation.organization_id, organization.id)
    mails.assertQueuedCount(InvitationMail, 1)
    const sent = mails.queued((queued) => queued instanceof InvitationMail)[0] as InvitationMail
    assert.equal(sent.organizationName, 'Lantern')
    assert.equal(sent.roleName, 'Agent')
    assert.isString(mailedToken(mails, 'newcomer@example.com'))

    const entry = await findAuditOrFail('action', 'invitation.created')
    assert.equal(entry.subjectId, String(invitation.id))
    assert.equal(entry.organizationId, organization.id)
    assert.deepEqual(entry.changes, { email: 'newcomer@example.com', role: 'agent' })
  })

  test('inviting an existing account adds it at once, audited', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const existing = await UserFactory.create()
    const { id: viewerRoleId } = await systemRole('viewer')

    const response = await client
      .post('/members')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .form({ email: existing.email, role_id: viewerRoleId })
    response.assertStatus(302)
    response.assertFlashMessage(
      'success',
      `${existing.email} already had an account and was added as Viewer.`
    )
    const row = await membership(organization, existing)
    assert.equal(row?.role_id, viewerRoleId)
    mails.assertQueuedCount(InvitationMail, 0)
    const entry = await findAuditOrFail('action', 'member.added')
    assert.equal(entry.subjectId, String(existing.id))

    const again = await client
      .post('/members')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .header('referer', '/members')
      .form({ email: existing.email, role_id: viewerRoleId })
    again.assertStatus(302)
    again.assertHeader('location', '/members')
    again.assertFlashMessage('error', 'This person is already a member.')
  })

  test('a bad email is refused with an inline error and writes nothing', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { id: agentRoleId } = await systemRole('agent')
    const response = await client
      .post('/members')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .header('referer', '/members')
      .form({ email: 'not-an-email', role_id: agentRoleId })
    response.assertStatus(302)
    response.assertHeader('location', '/members')
    response.assertHasValidationError('email')
    response.assertFlashMessage('email', 'not-an-email')
    assert.lengthOf(await db.from('invitations'), 0)
    assert.equal(await auditCount('invitation.created'), 0)

    // The form shows the error beside the field and keeps what was typed.
    const page = await client
      .get('/members')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withFlashMessages({
        inputErrorsBag: { email: ['The email field must be a valid email address'] },
        email: 'not-an-email',
      })
    assert.match(page.text(), /class="form-control is-invalid"/)
    assert.include(page.text(), 'The email field must be a valid email address')
    assert.include(page.text(), 'value="not-an-email"')
  })

  test('a role the actor cannot grant is refused back on the form', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const admin = await addMember(organization, 'admin')
    const { id: ownerRoleId } = await systemRole('owner')
    const page = await client
      .get('/members')
      .loginAs(admin)
      .withSession({ organization_id: organization.id })
    const html = page.text()
    const inviteRoles = html.slice(
      html.indexOf('id="field-role_id"'),
      html.indexOf('</select>', html.indexOf('id="field-role_id"'))
    )
    assert.include(inviteRoles, '>Admin<')
    assert.notInclude(inviteRoles, `value="${ownerRoleId}"`)
    // The owner's row offers the admin no action.
    assert.notInclude(html, `action="/members/${owner.id}?_method=DELETE"`)

    const response = await client
      .post('/members')
      .withCsrfToken()
      .redirects(0)
      .loginAs(admin)
      .withSession({ organization_id: organization.id })
      .header('referer', '/members')
      .form({ email: 'boss@example.com', role_id: ownerRoleId })
    response.assertStatus(302)
    response.assertHeader('location', '/members')
    response.assertFlashMessage(
      'error',
      'You cannot grant a role with permissions you do not have (organization.delete, billing.manage).'
    )
    assert.lengthOf(await db.from('invitations'), 0)
  })

  test('a viewer sees no invite form or actions, and is refused on direct posts', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    const agent = await addMember(organization, 'agent')
    const invitation = await inviteThroughConsole(client, organization, owner, 'x@example.com')
    const { id: agentRoleId } = await systemRole('agent')
    const { id: viewerRoleId } = await systemRole('viewer')
    const as = <T extends { loginAs(user: User): T; withSession(data: object): T }>(request: T) =>
      request.loginAs(viewer).withSession({ organization_id: organization.id })

    const page = await as(client.get('/members'))
    page.assertStatus(200)
    assert.include(page.text(), agent.email)
    assert.include(page.text(), 'x@example.com')
    assert.notInclude(page.text(), 'id="invite-form"')
    assert.notInclude(page.text(), '>Resend<')
    assert.notInclude(page.text(), '_method=DELETE')
    assert.notInclude(page.text(), '_method=PATCH')

    const store = await as(client.post('/members').withCsrfToken().redirects(0)).form({
      email: 'sneaky@example.com',
      role_id: agentRoleId,
    })
    store.assertStatus(403)

    const update = await as(client.patch(`/members/${agent.id}`).withCsrfToken().redirects(0)).form(
      { role_id: viewerRoleId }
    )
    update.assertStatus(403)
    const remove = await as(client.delete(`/members/${agent.id}`).withCsrfToken().redirects(0))
    remove.assertStatus(403)
    const resend = await as(
      client.post(`/invitations/${invitation.id}/resend`).withCsrfToken().redirects(0)
    )
    resend.assertStatus(403)
    const cancel = await as(
      client.delete(`/invitations/${invitation.id}`).withCsrfToken().redirects(0)
    )
    cancel.assertStatus(403)

    assert.lengthOf(await db.from('invitations').where('email', 'sneaky@example.com'), 0)
    assert.equal((await membership(organization, agent))?.role_id, agentRoleId)
    assert.lengthOf(await db.from('invitations').where('id', invitation.id), 1)
  })

  test('a post without a CSRF token is refused and writes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const { id: agentRoleId } = await systemRole('agent')
    const store = await client
      .post('/members')
      .accept('json')
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .form({ email: 'nocsrf@example.com', role_id: agentRoleId })
    store.assertStatus(403)
    const remove = await client
      .delete(`/members/${agent.id}`)
      .accept('json')
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    remove.assertStatus(403)
    assert.lengthOf(await db.from('invitations'), 0)
    assert.isNotNull(await membership(organization, agent))
  })

  test('the invitations page lists every pending invitation, paginated', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    // Addresses no faker email can contain (owner emails are shown on the page).
    for (const name of ['a', 'b', 'c']) {
      await inviteThroughConsole(client, organization, owner, `invitee-${name}@parley.invalid`)
    }
    const response = await client
      .get('/invitations')
      .qs({ per_page: 2 })
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    assert.include(response.text(), 'invitee-c@parley.invalid')
    assert.notInclude(response.text(), 'invitee-a@parley.invalid')
    assert.include(response.text(), '1–2 of 3')
    assert.include(decodeHtml(response.text()), owner.name)
  })
})

test.group('Console members: change, disable, remove', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => {
    mail.fake()
    return () => mail.restore()
  })

  test('changes a role, disables and enables a member, audited', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const { id: agentRoleId } = await systemRole('agent')
    const { id: viewerRoleId } = await systemRole('viewer')
    const patch = (form: Record<string, unknown>) =>
      client
        .patch(`/members/${agent.id}`)
        .withCsrfToken()
        .redirects(0)
        .loginAs(owner)
        .withSession({ organization_id: organization.id })
        .header('referer', '/members?status=active')
        .form(form)

    const changed = await patch({ role_id: viewerRoleId })
    changed.assertStatus(302)
    // Back to the page the form was on, filters kept.
    changed.assertHeader('location', '/members?status=active')
    changed.assertFlashMessage('success', `${agent.name} is now Viewer (active).`)
    assert.equal((await membership(organization, agent))?.role_id, viewerRoleId)
    const entry = await findAuditOrFail('action', 'member.updated')
    assert.equal(entry.subjectId, String(agent.id))
    assert.deepEqual(entry.changes, {
      before: { role_id: agentRoleId, status: 'active' },
      after: { role_id: viewerRoleId, status: 'active' },
    })

    const disabled = await patch({ status: 'disabled' })
    disabled.assertFlashMessage('success', `${agent.name} is now Viewer (disabled).`)
    assert.equal((await membership(organization, agent))?.status, 'disabled')
    const enabled = await patch({ status: 'active' })
    enabled.assertStatus(302)
    assert.equal((await membership(organization, agent))?.status, 'active')
    assert.equal(await auditCount('member.updated'), 3)
  })

  test('the last owner cannot be demoted, disabled or removed: flashed back', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { id: ownerRoleId } = await systemRole('owner')
    const { id: adminRoleId } = await systemRole('admin')
    const request = (method: 'patch' | 'delete', form: Record<string, unknown> = {}) =>
      client[method](`/members/${owner.id}`)
        .withCsrfToken()
        .redirects(0)
        .loginAs(owner)
        .withSession({ organization_id: organization.id })
        .header('referer', '/members')
        .form(form)

    const message =
      'An organization needs at least one active owner: make someone else owner first.'
    for (const response of [
      await request('patch', { role_id: adminRoleId }),
      await request('patch', { status: 'disabled' }),
      await request('delete'),
    ]) {
      response.assertStatus(302)
      response.assertHeader('location', '/members')
      response.assertFlashMessage('error', message)
    }
    const row = await membership(organization, owner)
    assert.equal(row?.role_id, ownerRoleId)
    assert.equal(row?.status, 'active')
    assert.equal(await auditCount('member.updated'), 0)
    assert.equal(await auditCount('member.removed'), 0)
  })

  test('removes a member, audited; their account stays', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const response = await client
      .delete(`/members/${agent.id}`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(302)
    response.assertHeader('location', '/members')
    response.assertFlashMessage('success', `${agent.name} was removed from the organization.`)
    assert.isNull(await membership(organization, agent))
    assert.isNotNull(await db.from('users').where('id', agent.id).first())
    const entry = await findAuditOrFail('action', 'member.removed')
    assert.deepEqual(entry.changes, { email: agent.email, role: 'agent' })
  })

  test('a bad status is an inline error and changes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const response = await client
      .patch(`/members/${agent.id}`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .header('referer', '/members')
      .form({ status: 'banished' })
    response.assertStatus(302)
    response.assertHasValidationError('status')
    assert.equal((await membership(organization, agent))?.status, 'active')
    assert.equal(await auditCount('member.updated'), 0)
  })

  test("another organization's member or invitation answers 404 and is left alone", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Mine')
    const { organization: other, owner: otherOwner } = await createOrganization('Theirs')
    const theirAgent = await addMember(other, 'agent')
    const theirs = await inviteThroughConsole(client, other, otherOwner, 'theirs@example.com')
    const { id: viewerRoleId } = await systemRole('viewer')
    const { id: agentRoleId } = await systemRole('agent')
    const as = <T extends { loginAs(user: User): T; withSession(data: object): T }>(request: T) =>
      request.loginAs(owner).withSession({ organization_id: organization.id })

    const update = await as(
      client.patch(`/members/${theirAgent.id}`).withCsrfToken().redirects(0)
    ).form({ role_id: viewerRoleId })
    update.assertStatus(404)
    const remove = await as(client.delete(`/members/${theirAgent.id}`).withCsrfToken().redirects(0))
    remove.assertStatus(404)
    const resend = await as(
      client.post(`/invitations/${theirs.id}/resend`).withCsrfToken().redirects(0)
    )
    resend.assertStatus(404)
    const cancel = await as(client.delete(`/invitations/${theirs.id}`).withCsrfToken().redirects(0))
    cancel.assertStatus(404)
    assert.include(cancel.text(), '<html')

    const row = await membership(other, theirAgent)
    assert.equal(row?.role_id, agentRoleId)
    const still = await db.from('invitations').where('id', theirs.id).firstOrFail()
    assert.equal(still.token_hash, theirs.token_hash)
    assert.equal(await auditCount('invitation.resent'), 0)
    assert.equal(await auditCount('invitation.cancelled'), 0)
  })
})

test.group('Console invitations: resend, cancel, accept', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('resending mails a fresh link and expiry; the old link stops working', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const invitation = await inviteThroughConsole(client, organization, owner, 'again@example.com')
    const oldToken = mailedToken(mails, 'again@example.com')
    await db
      .from('invitations')
      .where('id', invitation.id)
      .update({
        expires_at: DateTime.utc()
          .minus({ days: 1 })
          .toFormat(db.connection().dialect.dateTimeFormat),
      })

    const response = await client
      .post(`/invitations/${invitation.id}/resend`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .header('referer', '/members')
      .form({})
    response.assertStatus(302)
    response.assertHeader('location', '/members')
    response.assertFlashMessage(
      'success',
      'Invitation mailed again to again@example.com; the previous link no longer works.'
    )
    mails.assertQueuedCount(InvitationMail, 2)
    const newToken = mailedToken(mails, 'again@example.com')
    assert.notEqual(newToken, oldToken)
    const stored = await db.from('invitations').where('id', invitation.id).firstOrFail()
    assert.notEqual(stored.token_hash, invitation.token_hash)
    assert.isAbove(new Date(stored.expires_at).getTime(), Date.now() + 6 * 86_400_000)
    const entry = await findAuditOrFail('action', 'invitation.resent')
    assert.equal(entry.subjectId, String(invitation.id))

    const old = await client.get('/invitations/accept').qs({ token: oldToken })
    old.assertStatus(422)
    const fresh = await client.get('/invitations/accept').qs({ token: newToken })
    fresh.assertStatus(200)
  })

  test('cancelling an invitation deletes it, audited like the API', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const invitation = await inviteThroughConsole(client, organization, owner, 'bye@example.com')
    const token = mailedToken(mails, 'bye@example.com')
    const response = await client
      .delete(`/invitations/${invitation.id}`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .header('referer', '/invitations')
    response.assertStatus(302)
    response.assertHeader('location', '/invitations')
    response.assertFlashMessage('success', 'Invitation to bye@example.com cancelled.')
    assert.isNull(await db.from('invitations').where('id', invitation.id).first())
    const entry = await findAuditOrFail('action', 'invitation.cancelled')
    assert.deepEqual(entry.changes, { email: 'bye@example.com' })

    const page = await client.get('/invitations/accept').qs({ token })
    page.assertStatus(422)
    assert.include(page.text(), 'This invitation link is invalid, used or expired')
  })

  test('a newcomer accepts: account created, signed in to the organization', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization('Lantern')
    await inviteThroughConsole(client, organization, owner, 'newbie@example.com', 'viewer')
    const token = mailedToken(mails, 'newbie@example.com')
    const acceptPage = `/invitations/accept?token=${token}`

    const page = await client.get('/invitations/accept').qs({ token })
    page.assertStatus(200)
    const html = page.text()
    assert.include(html, 'Join Lantern')
    assert.include(html, 'Viewer')
    assert.include(html, 'newbie@example.com')
    assert.include(html, 'name="password"')
    assert.include(html, `name="token" value="${token}"`)
    assert.notInclude(html, 'password_confirmation')

    const post = (form: Record<string, unknown>) =>
      client
        .post('/invitations/accept')
        .withCsrfToken()
        .redirects(0)
        .header('referer', acceptPage)
        .form({ token, ...form })

    const missing = await post({})
    missing.assertStatus(302)
    missing.assertHeader('location', acceptPage)
    missing.assertFlashMessage('error', 'Choose your name and a password to create your account.')
    missing.assertFlashMessage('token', token)
    // Back on the page, the secret comes from the old input.
    const back = await client.get('/invitations/accept').withFlashMessages({
      token,
      error: 'Choose your name and a password to create your account.',
    })
    back.assertStatus(200)
    assert.include(back.text(), `name="token" value="${token}"`)
    assert.include(back.text(), 'Choose your name and a password to create your account.')

    const weak = await post({ name: 'New Bie', password: 'short' })
    weak.assertStatus(302)
    weak.assertHasValidationError('password')
    assert.notProperty(weak.flashMessages(), 'password')
    assert.isNull(await db.from('users').where('email', 'newbie@example.com').first())

    const accepted = await post({ name: 'New Bie', password: PASSWORD })
    accepted.assertStatus(302)
    accepted.assertHeader('location', '/')
    accepted.assertFlashMessage('success', 'Welcome to Lantern!')
    const user = await db.from('users').where('email', 'newbie@example.com').firstOrFail()
    assert.equal(user.name, 'New Bie')
    assert.isNotNull(user.email_verified_at)
    assert.equal(accepted.session().organization_id, organization.id)
    assert.equal(accepted.session().auth_web, user.id)
    const row = await db
      .from('memberships')
      .where({ organization_id: organization.id, user_id: user.id })
      .firstOrFail()
    assert.equal(row.role_id, (await systemRole('viewer')).id)
    // The console signs in with a session: no API token is left behind.
    assert.lengthOf(await db.from('access_tokens').where('user_id', user.id), 0)

    const entry = await findAuditOrFail('action', 'invitation.accepted')
    assert.equal(entry.actorUserId, user.id)
    assert.equal(entry.organizationId, organization.id)
    assert.deepEqual(entry.changes, { email: 'newbie@example.com', account_created: true })

    const reused = await post({ name: 'Someone Else', password: PASSWORD })
    reused.assertStatus(302)
    reused.assertFlashMessage(
      'error',
      'This invitation link is invalid, used or expired: ask for a new invitation.'
    )
    assert.equal(await auditCount('invitation.accepted'), 1)
  })

  test('an existing account only confirms; another signed-in user is switched', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization('Lantern')
    const existing = await UserFactory.create()
    const { organization: otherOrg } = await createOrganization('Other')
    const bystander = await addMember(otherOrg, 'agent')
    const { id: viewerRoleId } = await systemRole('viewer')
    await client
      .post('/api/v1/invitations')
      .bearerToken(await tokenFor(owner, organization))
      .json({ email: existing.email, role_id: viewerRoleId })
    const token = mailedToken(mails, existing.email)

    const page = await client
      .get('/invitations/accept')
      .qs({ token })
      .loginAs(bystander)
      .withSession({ organization_id: otherOrg.id })
    page.assertStatus(200)
    assert.notInclude(page.text(), 'name="password"')
    assert.include(page.text(), 'already has a Parley account')
    assert.include(page.text(), `You are signed in as ${bystander.email}`)

    const accepted = await client
      .post('/invitations/accept')
      .withCsrfToken()
      .redirects(0)
      .loginAs(bystander)
      .withSession({ organization_id: otherOrg.id })
      .form({ token })
    accepted.assertStatus(302)
    accepted.assertHeader('location', '/')
    assert.equal(accepted.session().auth_web, existing.id)
    assert.equal(accepted.session().organization_id, organization.id)
    assert.equal((await membership(organization, existing))?.role_id, viewerRoleId)
    const entry = await findAuditOrFail('action', 'invitation.accepted')
    assert.deepEqual(entry.changes, { email: existing.email, account_created: false })
  })

  test('expired and forged links show a friendly page and create nothing', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const invitation = await inviteThroughConsole(client, organization, owner, 'late@example.com')
    const token = mailedToken(mails, 'late@example.com')
    await db
      .from('invitations')
      .where('id', invitation.id)
      .update({
        expires_at: DateTime.utc()
          .minus({ minutes: 1 })
          .toFormat(db.connection().dialect.dateTimeFormat),
      })

    for (const secret of [token, 'A'.repeat(43), '']) {
      const page = await client.get('/invitations/accept').qs({ token: secret })
      page.assertStatus(422)
      assert.include(page.text(), 'This invitation cannot be used')
      assert.include(page.text(), 'This invitation link is invalid, used or expired')
      assert.notInclude(page.text(), 'name="password"')

      const post = await client
        .post('/invitations/accept')
        .withCsrfToken()
        .redirects(0)
        .header('referer', `/invitations/accept?token=${secret}`)
        .form({ token: secret, name: 'Late', password: PASSWORD })
      post.assertStatus(302)
      post.assertHeader('location', `/invitations/accept?token=${secret}`)
      post.assertFlashMessage(
        'error',
        'This invitation link is invalid, used or expired: ask for a new invitation.'
      )
      assert.notProperty(post.session(), 'auth_web')
    }
    assert.isNull(await db.from('users').where('email', 'late@example.com').first())
    assert.equal(await auditCount('invitation.accepted'), 0)
  })

  test('accepting without a CSRF token is refused', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    await inviteThroughConsole(client, organization, owner, 'nocsrf@example.com')
    const response = await client
      .post('/invitations/accept')
      .accept('json')
      .redirects(0)
      .form({ token: mailedToken(mails, 'nocsrf@example.com'), name: 'X', password: PASSWORD })
    response.assertStatus(403)
    assert.isNull(await db.from('users').where('email', 'nocsrf@example.com').first())
  })

  test('accepting is throttled like sign-ups', async ({ client, assert }) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      await client.post('/invitations/accept').withCsrfToken().redirects(0).form({ token: 'x' })
    }
    const blocked = await client
      .post('/invitations/accept')
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/invitations/accept?token=x')
      .form({ token: 'x' })
    blocked.assertStatus(302)
    assert.match(String(blocked.flashMessages().error), /^Too many requests/)
  })
})
