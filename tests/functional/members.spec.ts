import { DateTime } from 'luxon'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Role from '#models/role'
import { TenantContext } from '#support/tenant_context'
import mail from '@adonisjs/mail/services/main'
import limiter from '@adonisjs/limiter/services/main'
import InvitationMail from '#mails/invitation_mail'
import { UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import AuditLogService from '#services/audit_log_service'
import { sqlTime } from '#support/sql_time'
import { findAuditOrFail, insertAuditRows } from '#tests/helpers/audit'

async function systemRole(slug: string) {
  return db.from('roles').where('slug', slug).whereNull('organization_id').firstOrFail()
}

test.group('Members API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => {
    mail.fake()
    return () => mail.restore()
  })

  test('lists members with role and status, filterable and paginated', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    await addMember(organization, 'viewer')
    const { organization: other } = await createOrganization('Other Org')
    await addMember(other, 'agent')
    const token = await tokenFor(owner, organization)

    const all = await client.get('/api/v1/users').bearerToken(token)
    all.assertStatus(200)
    assert.equal(all.body().meta.total, 3)
    assert.sameMembers(
      all.body().data.map((member: any) => member.role.slug),
      ['owner', 'agent', 'viewer']
    )

    const agentRole = await systemRole('agent')
    const agents = await client
      .get('/api/v1/users')
      .bearerToken(token)
      .qs({ role_id: agentRole.id })
    assert.deepEqual(
      agents.body().data.map((member: any) => member.user_id),
      [agent.id]
    )

    const search = await client
      .get('/api/v1/users')
      .bearerToken(token)
      .qs({ q: agent.email.slice(0, 6).toUpperCase() })
    assert.include(
      search.body().data.map((member: any) => member.user_id),
      agent.id
    )

    const paged = await client.get('/api/v1/users').bearerToken(token).qs({ per_page: 2, page: 2 })
    assert.deepEqual(paged.body().meta, { page: 2, per_page: 2, total: 3, last_page: 2 })
    assert.lengthOf(paged.body().data, 1)
  })

  test('adds an existing user, invites an unknown email', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const existing = await UserFactory.create()
    const agentRole = await systemRole('agent')

    const added = await client
      .post('/api/v1/users')
      .bearerToken(token)
      .json({ email: existing.email.toUpperCase(), role_id: agentRole.id })
    added.assertStatus(201)
    assert.equal(added.body().data.role.slug, 'agent')
    const audit = await findAuditOrFail('action', 'member.added')
    assert.equal(audit.subjectId, String(existing.id))

    const again = await client
      .post('/api/v1/users')
      .bearerToken(token)
      .json({ email: existing.email, role_id: agentRole.id })
    again.assertStatus(409)
    assert.equal(again.body().error_code, 'ALREADY_MEMBER')

    const invited = await client
      .post('/api/v1/users')
      .bearerToken(token)
      .json({ email: 'newcomer@example.com', role_id: agentRole.id })
    invited.assertStatus(202)
    assert.equal(invited.body().data.email, 'newcomer@example.com')
    assert.notProperty(invited.body().data, 'token_hash')
  })

  test('changes roles and status; never leaves the organization without an owner', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const token = await tokenFor(owner, organization)
    const viewerRole = await systemRole('viewer')
    const adminRole = await systemRole('admin')

    const changed = await client
      .patch(`/api/v1/users/${agent.id}`)
      .bearerToken(token)
      .json({ role_id: viewerRole.id })
    changed.assertStatus(200)
    assert.equal(changed.body().data.role.slug, 'viewer')
    const audit = await findAuditOrFail('action', 'member.updated')
    assert.deepEqual((audit.changes as any).after, { role_id: viewerRole.id, status: 'active' })

    const demoteSelf = await client
      .patch(`/api/v1/users/${owner.id}`)
      .bearerToken(token)
      .json({ role_id: adminRole.id })
    demoteSelf.assertStatus(409)
    assert.equal(demoteSelf.body().error_code, 'LAST_OWNER')
    const disableSelf = await client
      .patch(`/api/v1/users/${owner.id}`)
      .bearerToken(token)
      .json({ status: 'disabled' })
    disableSelf.assertStatus(409)
    const removeSelf = await client.delete(`/api/v1/users/${owner.id}`).bearerToken(token)
    removeSelf.assertStatus(409)

    const coOwner = await addMember(organization, 'owner')
    const demoted = await client
      .patch(`/api/v1/users/${owner.id}`)
      .bearerToken(token)
      .json({ role_id: adminRole.id })
    demoted.assertStatus(200)
    assert.isNotNull(coOwner)
  })

  test('admins cannot grant owner or touch owners', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const admin = await addMember(organization, 'admin')
    const agent = await addMember(organization, 'agent')
    const token = await tokenFor(admin, organization)
    const ownerRole = await systemRole('owner')

    const grant = await client
      .patch(`/api/v1/users/${agent.id}`)
      .bearerToken(token)
      .json({ role_id: ownerRole.id })
    grant.assertStatus(403)
    assert.include(grant.body().message, 'billing.manage')

    const removeOwner = await client.delete(`/api/v1/users/${owner.id}`).bearerToken(token)
    removeOwner.assertStatus(403)
  })

  test('removing a member ends their access in this organization only', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other Org')
    const agent = await addMember(organization, 'agent')
    await addMember(other, 'agent', agent)
    const agentToken = await tokenFor(agent, organization)
    const otherToken = await tokenFor(agent, other)

    const removed = await client
      .delete(`/api/v1/users/${agent.id}`)
      .bearerToken(await tokenFor(owner, organization))
    removed.assertStatus(200)

    const denied = await client.get('/api/v1/organization').bearerToken(agentToken)
    denied.assertStatus(401)
    const stillOk = await client.get('/api/v1/organization').bearerToken(otherToken)
    stillOk.assertStatus(200)
    assert.equal(stillOk.body().data.id, other.id)
  })

  test('unknown roles and bad input are refused', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other Org')
    const foreignRole = await TenantContext.run(other.id, () =>
      Role.create({ slug: 'secret', name: 'Secret', isSystem: false })
    )
    const token = await tokenFor(owner, organization)

    const foreign = await client
      .post('/api/v1/users')
      .bearerToken(token)
      .json({ email: 'x@example.com', role_id: foreignRole.id })
    foreign.assertStatus(422)
    assert.equal(foreign.body().error_code, 'UNKNOWN_ROLE')

    const invalid = await client
      .post('/api/v1/users')
      .bearerToken(token)
      .json({ email: 'nope', role_id: 'x' })
    invalid.assertStatus(422)
    assert.sameMembers(
      invalid.body().errors.map((error: any) => error.field),
      ['email', 'role_id']
    )
  })
})

function invitationToken(mails: ReturnType<typeof mail.fake>['mails'], email: string) {
  const sent = mails.queued(
    (queued) => queued instanceof InvitationMail && queued.email === email
  ) as InvitationMail[]
  return new URL(sent.at(-1)!.url).searchParams.get('token')!
}

test.group('Invitations API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('the invitee gets a mail; accepting creates the account and joins', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const agentRole = await systemRole('agent')
    await client
      .post('/api/v1/invitations')
      .bearerToken(await tokenFor(owner, organization))
      .json({ email: 'newbie@example.com', role_id: agentRole.id })

    mails.assertQueuedCount(InvitationMail, 1)
    const token = invitationToken(mails, 'newbie@example.com')
    const stored = await db.from('invitations').where('email', 'newbie@example.com').firstOrFail()
    assert.notEqual(stored.token_hash, token)

    const missingDetails = await client.post(`/api/v1/invitations/${token}/accept`).json({})
    missingDetails.assertStatus(422)
    assert.equal(missingDetails.body().error_code, 'ACCOUNT_DETAILS_REQUIRED')

    const accepted = await client
      .post(`/api/v1/invitations/${token}/accept`)
      .json({ name: 'New Bie', password: 'copper-kettle-sunrise-7' })
    accepted.assertStatus(201)
    assert.equal(accepted.body().data.organization.id, organization.id)
    assert.equal(accepted.body().data.role.slug, 'agent')
    const me = await client.get('/api/v1/auth/me').bearerToken(accepted.body().data.token.value)
    me.assertStatus(200)
    assert.isNotNull(
      (await db.from('users').where('email', 'newbie@example.com').firstOrFail()).email_verified_at
    )

    const reused = await client
      .post(`/api/v1/invitations/${token}/accept`)
      .json({ name: 'New Bie', password: 'copper-kettle-sunrise-7' })
    reused.assertStatus(422)
    assert.equal(reused.body().error_code, 'INVALID_INVITATION')
  })

  test('an existing account is linked; expired links are refused', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const ownerToken = await tokenFor(owner, organization)
    const viewerRole = await systemRole('viewer')
    const existing = await UserFactory.create()

    await client
      .post('/api/v1/invitations')
      .bearerToken(ownerToken)
      .json({ email: existing.email, role_id: viewerRole.id })
    const linked = await client
      .post(`/api/v1/invitations/${invitationToken(mails, existing.email)}/accept`)
      .json({})
    linked.assertStatus(200)
    assert.equal(linked.body().data.user.id, existing.id)
    assert.equal(linked.body().data.role.slug, 'viewer')

    await client
      .post('/api/v1/invitations')
      .bearerToken(ownerToken)
      .json({ email: 'late@example.com', role_id: viewerRole.id })
    await db
      .from('invitations')
      .where('email', 'late@example.com')
      .update({
        expires_at: DateTime.utc()
          .minus({ days: 1 })
          .toFormat(db.connection().dialect.dateTimeFormat),
      })
    const expired = await client
      .post(`/api/v1/invitations/${invitationToken(mails, 'late@example.com')}/accept`)
      .json({ name: 'Late', password: 'copper-kettle-sunrise-7' })
    expired.assertStatus(422)
    assert.equal(expired.body().error_code, 'INVALID_INVITATION')

    const forged = await client.post(`/api/v1/invitations/${'A'.repeat(43)}/accept`).json({})
    forged.assertStatus(422)
  })

  test('invite, list, cancel', async ({ client, assert }) => {
    mail.fake()
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const agentRole = await systemRole('agent')

    const created = await client
      .post('/api/v1/invitations')
      .bearerToken(token)
      .json({ email: 'Guest@Example.com', role_id: agentRole.id })
    created.assertStatus(201)
    const resent = await client
      .post('/api/v1/invitations')
      .bearerToken(token)
      .json({ email: 'guest@example.com', role_id: agentRole.id })
    resent.assertStatus(201)

    const list = await client.get('/api/v1/invitations').bearerToken(token)
    assert.deepEqual(
      list.body().data.map((invitation: any) => invitation.email),
      ['guest@example.com']
    )

    const cancelled = await client
      .delete(`/api/v1/invitations/${resent.body().data.id}`)
      .bearerToken(token)
    cancelled.assertStatus(200)
    const empty = await client.get('/api/v1/invitations').bearerToken(token)
    assert.lengthOf(empty.body().data, 0)
    const again = await client
      .delete(`/api/v1/invitations/${resent.body().data.id}`)
      .bearerToken(token)
    again.assertStatus(404)
  })
})

test.group('Audit log API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("filters the organization's entries, newest first, never another's", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other, owner: otherOwner } = await createOrganization('Other Org')
    const token = await tokenFor(owner, organization)
    await client.patch('/api/v1/organization').bearerToken(token).json({ name: 'Renamed One' })
    await client.patch('/api/v1/organization').bearerToken(token).json({ name: 'Renamed Two' })
    await client
      .patch('/api/v1/organization')
      .bearerToken(await tokenFor(otherOwner, other))
      .json({ name: 'Theirs' })

    const list = await client
      .get('/api/v1/audit-logs')
      .bearerToken(token)
      .qs({ action: 'organization.*' })
    list.assertStatus(200)
    assert.deepEqual(list.body().meta, {
      page: 1,
      per_page: 20,
      total: 2,
      last_page: 1,
      total_capped: false,
    })
    assert.deepEqual(
      list.body().data.map((entry: any) => entry.changes.after.name),
      ['Renamed Two', 'Renamed One']
    )
    assert.isTrue(list.body().data.every((entry: any) => entry.organization_id === organization.id))

    const byUser = await client
      .get('/api/v1/audit-logs')
      .bearerToken(token)
      .qs({ user_id: otherOwner.id })
    assert.equal(byUser.body().meta.total, 0)

    const errors = await client.get('/api/v1/audit-logs').bearerToken(token).qs({ status: 'error' })
    assert.equal(errors.body().meta.total, 0)

    const future = await client
      .get('/api/v1/audit-logs')
      .bearerToken(token)
      .qs({ from: '2999-01-01' })
    assert.equal(future.body().meta.total, 0)

    const bad = await client
      .get('/api/v1/audit-logs')
      .bearerToken(token)
      .qs({ status: 'maybe', from: 'yesterday' })
    bad.assertStatus(422)

    const theirs = await findAuditOrFail('organization_id', other.id)
    const hidden = await client.get(`/api/v1/audit-logs/${theirs.id}`).bearerToken(token)
    hidden.assertStatus(404)
  })

  test('keyset pages (limit, cursor) walk the whole log once, newest first', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other, owner: otherOwner } = await createOrganization('Other Org')
    const token = await tokenFor(owner, organization)
    // Five entries in the same second at least once: ties are broken by id.
    for (const name of ['One', 'Two', 'Three', 'Four', 'Five']) {
      await client.patch('/api/v1/organization').bearerToken(token).json({ name })
    }
    await client
      .patch('/api/v1/organization')
      .bearerToken(await tokenFor(otherOwner, other))
      .json({ name: 'Theirs' })

    const numbered = await client
      .get('/api/v1/audit-logs')
      .bearerToken(token)
      .qs({ action: 'organization.updated', per_page: 100 })
    const expected = numbered.body().data.map((entry: any) => entry.id)
    assert.lengthOf(expected, 5)

    const seen: number[] = []
    let cursor: string | null | undefined
    let pages = 0
    do {
      const page = await client
        .get('/api/v1/audit-logs')
        .bearerToken(token)
        .qs({ action: 'organization.updated', limit: 2, ...(cursor ? { cursor } : {}) })
      page.assertStatus(200)
      assert.equal(page.body().meta.limit, 2)
      assert.notProperty(page.body().meta, 'total')
      seen.push(...page.body().data.map((entry: any) => entry.id))
      cursor = page.body().meta.next_cursor
      pages += 1
    } while (cursor && pages < 10)
    assert.equal(pages, 3)
    assert.deepEqual(seen, expected)

    const bad = await client.get('/api/v1/audit-logs').bearerToken(token).qs({ cursor: 'nope' })
    bad.assertStatus(422)
    assert.equal(bad.body().error_code, 'BAD_CURSOR')
    const tooMany = await client.get('/api/v1/audit-logs').bearerToken(token).qs({ limit: 101 })
    tooMany.assertStatus(422)
  })

  test('keyset pages walk back with before (meta.prev_cursor)', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const at = sqlTime(DateTime.utc().startOf('second'))
    await insertAuditRows(
      Array.from({ length: 5 }, (_, index) => ({
        organization_id: organization.id,
        action: 'bulk.event',
        status: 'success',
        request_id: `prev-${index}`,
        created_at: at,
      }))
    )
    const list = (qs: Record<string, unknown>) =>
      client
        .get('/api/v1/audit-logs')
        .bearerToken(token)
        .qs({ action: 'bulk.event', limit: 2, ...qs })
    const ids = (response: Awaited<ReturnType<typeof list>>) =>
      response.body().data.map((entry: any) => entry.id)

    const first = await list({})
    assert.isNull(first.body().meta.prev_cursor)
    const second = await list({ cursor: first.body().meta.next_cursor })
    const third = await list({ cursor: second.body().meta.next_cursor })
    assert.isNull(third.body().meta.next_cursor)
    assert.lengthOf(ids(third), 1)

    const backToSecond = await list({ before: third.body().meta.prev_cursor })
    backToSecond.assertStatus(200)
    assert.deepEqual(ids(backToSecond), ids(second))
    assert.isString(backToSecond.body().meta.next_cursor)
    const backToFirst = await list({ before: backToSecond.body().meta.prev_cursor })
    assert.deepEqual(ids(backToFirst), ids(first))
    assert.isNull(backToFirst.body().meta.prev_cursor)

    const both = await list({ cursor: first.body().meta.next_cursor, before: 'x' })
    both.assertStatus(422)
    assert.equal(both.body().error_code, 'BAD_CURSOR')
    const bad = await list({ before: 'nope' })
    assert.equal(bad.body().error_code, 'BAD_CURSOR')
  })

  test('numbered pages count up to the cap (total_capped) and stop there (PAGE_TOO_DEEP)', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other Org')
    const token = await tokenFor(owner, organization)
    const at = sqlTime(DateTime.utc())
    await insertAuditRows(
      [organization, other, other].flatMap((owned, copy) =>
        Array.from({ length: 5 }, (_, index) => ({
          organization_id: owned.id,
          action: 'bulk.event',
          status: 'success',
          request_id: `capped-${copy}-${index}`,
          created_at: at,
        }))
      )
    )
    const list = (qs: Record<string, unknown>) =>
      client
        .get('/api/v1/audit-logs')
        .bearerToken(token)
        .qs({ action: 'bulk.event', ...qs })

    // Under the cap: the exact total, another organization's entries not counted.
    const exact = await list({ per_page: 2, page: 2 })
    assert.deepEqual(exact.body().meta, {
      page: 2,
      per_page: 2,
      total: 5,
      last_page: 3,
      total_capped: false,
    })

    // The default cap: pages past the first 10,000 entries are refused, whatever the log holds.
    assert.equal(AuditLogService.countCap, 10_000)
    const lastAllowed = await list({ per_page: 20, page: 500 })
    lastAllowed.assertStatus(200)
    const tooDeep = await list({ per_page: 20, page: 501 })
    tooDeep.assertStatus(422)
    assert.equal(tooDeep.body().error_code, 'PAGE_TOO_DEEP')
    assert.include(tooDeep.body().message, '10,000')
    assert.include(tooDeep.body().message, '`cursor`')

    const cap = AuditLogService.countCap
    cleanup(() => {
      AuditLogService.countCap = cap
    })
    AuditLogService.countCap = 3
    const capped = await list({ per_page: 2 })
    capped.assertStatus(200)
    assert.lengthOf(capped.body().data, 2)
    assert.deepEqual(capped.body().meta, {
      page: 1,
      per_page: 2,
      total: 3,
      last_page: 2,
      total_capped: true,
    })
    // A short page past the cap still knows it passed it.
    const shortPage = await list({ per_page: 4, page: 1 })
    assert.deepEqual(shortPage.body().meta, {
      page: 1,
      per_page: 4,
      total: 3,
      last_page: 1,
      total_capped: true,
    })
    const beyond = await list({ per_page: 2, page: 3 })
    beyond.assertStatus(422)
    assert.equal(beyond.body().error_code, 'PAGE_TOO_DEEP')
    AuditLogService.countCap = 5
    const atCap = await list({ per_page: 10 })
    assert.equal(atCap.body().meta.total, 5)
    assert.isFalse(atCap.body().meta.total_capped)
  })

  test('deep numbered pages hold the same entries, in order, as reading the whole list', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other Org')
    const token = await tokenFor(owner, organization)
    const start = DateTime.utc().startOf('second')
    // Shared timestamps (ties broken by id) and another organization's entries in between.
    await insertAuditRows(
      Array.from({ length: 11 }, (_, index) => [
        {
          organization_id: organization.id,
          action: index % 4 === 0 ? 'deep.other' : 'deep.event',
          status: 'success',
          request_id: `ours-${index}`,
          created_at: sqlTime(start.minus({ seconds: Math.floor(index / 3) })),
        },
        {
          organization_id: other.id,
          action: 'deep.event',
          status: 'success',
          request_id: `theirs-${index}`,
          created_at: sqlTime(start.minus({ seconds: Math.floor(index / 3) })),
        },
      ]).flat()
    )
    const page = async (qs: Record<string, unknown>) => {
      const response = await client.get('/api/v1/audit-logs').bearerToken(token).qs(qs)
      response.assertStatus(200)
      return response.body().data.map((entry: any) => entry.request_id) as string[]
    }

    for (const action of ['deep.event', 'deep.*']) {
      const whole = await page({ action, per_page: 100 })
      assert.lengthOf(whole, action === 'deep.event' ? 8 : 11)
      assert.isTrue(whole.every((id) => id.startsWith('ours-')))
      const paged = [
        ...(await page({ action, per_page: 3, page: 1 })),
        ...(await page({ action, per_page: 3, page: 2 })),
        ...(await page({ action, per_page: 3, page: 3 })),
        ...(await page({ action, per_page: 3, page: 4 })),
      ]
      assert.deepEqual(paged, whole)
      assert.deepEqual(await page({ action, per_page: 3, page: 5 }), [])
    }
  })

  test('needs audit.view', async ({ client }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const response = await client
      .get('/api/v1/audit-logs')
      .bearerToken(await tokenFor(agent, organization))
    response.assertStatus(403)
  })
})
