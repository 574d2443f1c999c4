import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import type Organization from '#models/organization'
import type User from '#models/user'
import AuditService, { type AuditEntry } from '#services/audit_service'
import AuditLogService from '#services/audit_log_service'
import { encodeCursor } from '#support/keyset'
import { sqlTime } from '#support/sql_time'
import { TenantContext } from '#support/tenant_context'
import { AuditLogFactory } from '#database/factories/audit_log_factory'
import { addMember, createOrganization } from '#tests/helpers/identity'
import {
  auditQuery,
  findAuditOrFail,
  insertAuditRows,
  matchingCount,
  pagerLinks,
} from '#tests/helpers/audit'
import { decodeHtml } from '#tests/helpers/html'

function entry(organization: Organization, input: Partial<AuditEntry> & { action: string }) {
  return AuditService.record({ organizationId: organization.id, ...input })
}

/** The audit entry ids linked from a list page, in page order. */
function listedIds(html: string) {
  return [...html.matchAll(/href="\/audit-logs\/(\d+)"/g)].map((match) => Number(match[1]))
}

async function idsOf(organization: Organization, action: string) {
  const rows = await auditQuery()
    .where('organization_id', organization.id)
    .where('action', action)
    .orderBy('id', 'desc')
  return rows.map((row) => row.id)
}

/** Parses the CSV the export sends (quoted cells, CRLF lines). */
function parseCsv(text: string) {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"'
        index++
      } else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      row.push(cell)
      cell = ''
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      index++
    } else cell += char
  }
  return rows
}

function page(client: any, user: User, organization: Organization, url: string) {
  return client
    .get(url)
    .loginAs(user)
    .withSession({ organization_id: organization.id })
    .redirects(0)
}

test.group('Console: audit log', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('lists the organization’s entries newest first, with an empty state', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Mine')
    const empty = await page(client, owner, organization, '/audit-logs')
    empty.assertStatus(200)
    assert.include(empty.text(), 'No audit entries')
    assert.include(empty.text(), 'Download CSV')
    assert.include(empty.text(), '50,000 rows')

    await entry(organization, { action: 'member.updated', actorUserId: owner.id, ip: '10.0.0.7' })
    await entry(organization, { action: 'organization.updated', actorUserId: owner.id })
    const { organization: other } = await createOrganization('Other')
    await entry(other, { action: 'member.removed' })

    const response = await page(client, owner, organization, '/audit-logs')
    response.assertStatus(200)
    const html = response.text()
    const ours = await auditQuery().where('organization_id', organization.id).orderBy('id', 'desc')
    assert.deepEqual(
      listedIds(html),
      ours.map((row) => row.id)
    )
    assert.include(html, '10.0.0.7')
    assert.equal(matchingCount(html), `${ours.length} entries`)
    assert.deepEqual(pagerLinks(html), { newer: null, older: null })
    assert.include(decodeHtml(html), owner.name)
    assert.notInclude(html, 'member.removed')
    assert.include(html, '<option value="member.*">')
  })

  test('filters by action (exact and prefix), member, status and date range', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    await entry(organization, { action: 'member.updated', actorUserId: owner.id })
    await entry(organization, { action: 'member.removed', actorUserId: agent.id, status: 'error' })
    await entry(organization, { action: 'organization.updated', actorUserId: owner.id })
    await TenantContext.run(organization.id, () =>
      AuditLogFactory.merge({
        action: 'token.created',
        createdAt: DateTime.fromISO('2024-03-10T12:00:00Z'),
      }).create()
    )
    const members = [
      ...(await idsOf(organization, 'member.removed')),
      ...(await idsOf(organization, 'member.updated')),
    ]

    const exact = await page(client, owner, organization, '/audit-logs?action=member.updated')
    assert.deepEqual(listedIds(exact.text()), await idsOf(organization, 'member.updated'))
    const prefix = await page(client, owner, organization, '/audit-logs?action=member.')
    assert.deepEqual(listedIds(prefix.text()), members)
    const star = await page(client, owner, organization, '/audit-logs?action=member.*')
    assert.deepEqual(listedIds(star.text()), members)

    const byAgent = await page(client, owner, organization, `/audit-logs?user_id=${agent.id}`)
    assert.deepEqual(listedIds(byAgent.text()), await idsOf(organization, 'member.removed'))
    assert.include(byAgent.text(), `<option value="${agent.id}" selected>`)

    const errors = await page(client, owner, organization, '/audit-logs?status=error')
    assert.deepEqual(listedIds(errors.text()), await idsOf(organization, 'member.removed'))

    // `to` is inclusive of its whole day; blank fields are no filter.
    const day = await page(
      client,
      owner,
      organization,
      '/audit-logs?action=&user_id=&status=&from=2024-03-10&to=2024-03-10'
    )
    day.assertStatus(200)
    assert.deepEqual(listedIds(day.text()), await idsOf(organization, 'token.created'))
    assert.include(day.text(), 'value="2024-03-10"')
    const before = await page(client, owner, organization, '/audit-logs?to=2024-03-09')
    assert.deepEqual(listedIds(before.text()), [])
    assert.include(before.text(), 'Nothing matches these filters')
  })

  test('Older and Newer walk the pages both ways: every entry once, ties broken by id', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other')
    // Seven entries at four instants, so that pages of three split the
    // entries sharing a created_at; another action and the other
    // organization's entries at the same instants.
    const base = DateTime.utc().startOf('second').minus({ hours: 1 })
    const instants = [0, 0, 0, 1, 1, 2, 3].map((minutes) => sqlTime(base.plus({ minutes })))
    await insertAuditRows(
      instants.flatMap((createdAt, index) =>
        [
          { owner: organization, action: 'member.updated' },
          { owner: other, action: 'member.updated' },
          { owner: organization, action: 'member.removed' },
        ].map((row) => ({
          organization_id: row.owner.id,
          action: row.action,
          status: 'success',
          request_id: `walk-${row.action}-${row.owner.id}-${index}`,
          created_at: createdAt,
        }))
      )
    )
    const expected = await auditQuery()
      .where('organization_id', organization.id)
      .where('action', 'member.updated')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
    const theirs = await idsOf(other, 'member.updated')

    const forward: number[][] = []
    let url: string | null = '/audit-logs?action=member.updated&per_page=3'
    let links = { newer: null as string | null, older: null as string | null }
    while (url && forward.length < 5) {
      const response = await page(client, owner, organization, url)
      response.assertStatus(200)
      const html = decodeHtml(response.text())
      forward.push(listedIds(html))
      assert.equal(matchingCount(html), '7 entries')
      assert.include(html, 'href="/audit-logs/export?action=member.updated&per_page=3"')
      links = pagerLinks(html)
      if (forward.length === 1) assert.isNull(links.newer)
      for (const link of [links.newer, links.older].filter((href) => href !== null)) {
        const query = new URL(link, 'http://console.test').searchParams
        assert.equal(query.get('action'), 'member.updated')
        assert.equal(query.get('per_page'), '3')
        assert.notEqual(query.has('cursor'), query.has('before'))
      }
      url = links.older
    }
    assert.deepEqual(
      forward.map((ids) => ids.length),
      [3, 3, 1]
    )
    assert.deepEqual(
      forward.flat(),
      expected.map((row) => row.id)
    )
    assert.notIncludeMembers(forward.flat(), theirs)

    // Back from the last page (no Older link): the same pages, the first
    // one again without a Newer link.
    assert.isNull(links.older)
    const backward: number[][] = []
    url = links.newer
    while (url && backward.length < 5) {
      const response = await page(client, owner, organization, url)
      response.assertStatus(200)
      backward.unshift(listedIds(response.text()))
      assert.isNotNull(pagerLinks(response.text()).older)
      url = pagerLinks(response.text()).newer
    }
    assert.deepEqual(backward, forward.slice(0, 2))
  })

  test('counts the matching entries up to the cap', async ({ client, assert, cleanup }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other')
    const at = sqlTime(DateTime.utc())
    const rows = (owned: Organization, action: string, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        organization_id: owned.id,
        action,
        status: 'success',
        request_id: `count-${owned.id}-${action}-${index}`,
        created_at: at,
      }))
    await insertAuditRows([
      ...rows(organization, 'bulk.event', 1234),
      ...rows(organization, 'member.removed', 1),
      ...rows(other, 'bulk.event', 50),
    ])
    const count = async (url: string) => {
      const response = await page(client, owner, organization, url)
      response.assertStatus(200)
      return matchingCount(response.text())
    }

    assert.equal(await count('/audit-logs?action=bulk.event'), '1,234 entries')
    assert.equal(await count('/audit-logs?action=member.removed'), '1 entry')

    const cap = AuditLogService.countCap
    cleanup(() => {
      AuditLogService.countCap = cap
    })
    AuditLogService.countCap = 1234
    assert.equal(await count('/audit-logs?action=bulk.event'), '1,234 entries')
    AuditLogService.countCap = 1000
    assert.equal(await count('/audit-logs?action=bulk.event'), 'More than 1,000 entries')
    const first = await page(client, owner, organization, '/audit-logs?action=bulk.event')
    const older = pagerLinks(first.text()).older!
    assert.equal(await count(older), 'More than 1,000 entries')
  })

  test('a bad page link goes to the first page, filters kept, with the reason', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    await entry(organization, { action: 'member.updated', actorUserId: owner.id })
    await entry(organization, { action: 'member.updated', actorUserId: owner.id })
    const valid = encodeCursor(DateTime.utc(), 1)

    for (const position of ['cursor=nope', 'before=nope', `cursor=${valid}&before=${valid}`]) {
      const response = await page(
        client,
        owner,
        organization,
        `/audit-logs?action=member.updated&${position}&per_page=2`
      )
      response.assertStatus(302)
      response.assertHeader('location', '/audit-logs?action=member.updated&per_page=2')
      assert.equal(
        response.flashMessages().error,
        'This page link is not valid: here is the first page instead.'
      )
    }

    // Longer than any cursor: an invalid field, like the filters.
    const long = await page(
      client,
      owner,
      organization,
      `/audit-logs?cursor=${'a'.repeat(201)}`
    ).header('referer', '/audit-logs')
    long.assertStatus(302)
    assert.properties(long.flashMessages().inputErrorsBag, ['cursor'])

    // A well-formed cursor past the oldest entry: an empty page that says so.
    const past = await page(
      client,
      owner,
      organization,
      `/audit-logs?action=member.updated&cursor=${encodeCursor(DateTime.fromMillis(1000), 1)}`
    )
    past.assertStatus(200)
    assert.include(past.text(), 'No entries on this page')
    assert.match(
      past.text(),
      /<a href="\/audit-logs\?action=member.updated" class="btn btn-primary">Newest/
    )
    assert.deepEqual(listedIds(past.text()), [])
  })

  test('invalid filters go back with inline errors', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await page(
      client,
      owner,
      organization,
      '/audit-logs?status=maybe&from=yesterday'
    ).header('referer', '/audit-logs')
    response.assertStatus(302)
    response.assertHeader('location', '/audit-logs')
    const errors = response.flashMessages().inputErrorsBag
    assert.properties(errors, ['status', 'from'])

    const reversed = await page(
      client,
      owner,
      organization,
      '/audit-logs?from=2024-03-10&to=2024-03-01'
    ).header('referer', '/audit-logs')
    reversed.assertStatus(302)
    assert.properties(reversed.flashMessages().inputErrorsBag, ['to'])

    const form = await client
      .get('/audit-logs')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withFlashMessages({ inputErrorsBag: { action: ['The action field format is invalid'] } })
    assert.include(form.text(), 'The action field format is invalid')
    assert.include(form.text(), 'aria-invalid="true"')
  })

  test('the detail page shows the request facts and the redacted change set', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    await entry(organization, {
      action: 'member.updated',
      actorUserId: owner.id,
      httpStatus: 200,
      message: 'Member updated',
      requestId: 'req-detail-0001',
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 (Detail Test)',
      method: 'PATCH',
      path: '/members/7',
      durationMs: 12,
      subject: { type: 'user', id: 7 },
      changes: { name: '<b>Ada</b>', password: 'hunter2-secret', nested: { api_key: 'sk-live-9' } },
    })
    const stored = await findAuditOrFail('request_id', 'req-detail-0001')

    const response = await page(client, owner, organization, `/audit-logs/${stored.id}`)
    response.assertStatus(200)
    const html = response.text()
    assert.match(html, /id="audit-request-id">req-detail-0001</)
    assert.match(html, /id="audit-ip">203\.0\.113\.9</)
    assert.include(html, 'Mozilla/5.0 (Detail Test)')
    assert.include(html, 'PATCH /members/7')
    assert.include(html, '12 ms')
    assert.include(html, 'Member updated')
    assert.include(html, owner.email)
    assert.include(html, '&quot;password&quot;: &quot;[REDACTED]&quot;')
    assert.include(html, '&quot;api_key&quot;: &quot;[REDACTED]&quot;')
    assert.include(html, '&lt;b&gt;Ada&lt;/b&gt;')
    assert.notInclude(html, 'hunter2-secret')
    assert.notInclude(html, 'sk-live-9')
    assert.notInclude(html, '<b>Ada</b>')
  })

  test("another organization's entry is 404, like a missing one", async ({ client }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other')
    await entry(other, { action: 'member.updated', requestId: 'req-theirs-0001' })
    const theirs = await findAuditOrFail('request_id', 'req-theirs-0001')

    const hidden = await page(client, owner, organization, `/audit-logs/${theirs.id}`)
    hidden.assertStatus(404)
    const missing = await page(client, owner, organization, '/audit-logs/999999999')
    missing.assertStatus(404)
  })

  test('a member without audit.view gets 403 on the list, an entry and the export', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    await entry(organization, { action: 'member.updated', actorUserId: owner.id })
    const [id] = await idsOf(organization, 'member.updated')

    for (const url of ['/audit-logs', `/audit-logs/${id}`, '/audit-logs/export']) {
      const response = await page(client, agent, organization, url)
      response.assertStatus(403)
      assert.notInclude(response.text(), 'member.updated')
    }
    assert.lengthOf(await idsOf(organization, 'audit_log.exported'), 0)

    const viewer = await addMember(organization, 'viewer')
    const allowed = await page(client, viewer, organization, '/audit-logs')
    allowed.assertStatus(200)
  })

  test('the CSV export holds the filtered rows only, escaped, and is audited', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Export Org')
    await entry(organization, {
      action: 'member.updated',
      actorUserId: owner.id,
      message: '=HYPERLINK("http://evil.example","click")',
      userAgent: '@SUM(1+1)',
      path: '-2+3',
      ip: '198.51.100.4',
      changes: { note: 'a, "quoted"\nline', token: 'tok-secret-1' },
    })
    await entry(organization, { action: 'member.removed', message: '+cmd' })
    await entry(organization, { action: 'organization.updated', message: 'not wanted' })
    const { organization: other } = await createOrganization('Other Org')
    await entry(other, { action: 'member.updated', message: 'theirs-row' })

    const response = await page(
      client,
      owner,
      organization,
      '/audit-logs/export?action=member.*&status=success'
    )
    response.assertStatus(200)
    assert.match(response.header('content-type'), /^text\/csv/)
    assert.equal(
      response.header('content-disposition'),
      `attachment; filename="audit-log-${organization.slug}-${DateTime.utc().toISODate()}.csv"`
    )
    const text = response.text()
    const rows = parseCsv(text)
    const [header, ...body] = rows
    assert.deepEqual(header.slice(0, 6), [
      'time',
      'action',
      'status',
      'http_status',
      'actor_user_id',
      'actor_email',
    ])
    assert.sameMembers(
      body.map((row) => row[1]),
      ['member.updated', 'member.removed']
    )
    const updated = body.find((row) => row[1] === 'member.updated')!
    const column = (name: string) => updated[header.indexOf(name)]
    assert.equal(column('message'), `'=HYPERLINK("http://evil.example","click")`)
    assert.equal(column('user_agent'), "'@SUM(1+1)")
    assert.equal(column('path'), "'-2+3")
    assert.equal(column('actor_email'), owner.email)
    assert.equal(column('ip'), '198.51.100.4')
    assert.deepEqual(JSON.parse(column('changes')), {
      note: 'a, "quoted"\nline',
      token: '[REDACTED]',
    })
    assert.equal(
      body.find((row) => row[1] === 'member.removed')![header.indexOf('message')],
      "'+cmd"
    )
    assert.notInclude(text, 'theirs-row')
    assert.notInclude(text, 'not wanted')
    assert.notInclude(text, 'tok-secret-1')

    const exported = await findAuditOrFail('action', 'audit_log.exported')
    assert.equal(exported.organizationId, organization.id)
    assert.equal(exported.actorUserId, owner.id)
    assert.deepEqual(exported.changes, {
      filters: { action: 'member.*', status: 'success' },
      limit: 50000,
    })
  })
  test('the export reads in chunks without losing or repeating rows sharing a timestamp', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    // More than one chunk (1,000), all with one created_at: the keyset
    // cursor must fall back on the id.
    const stamp = sqlTime(DateTime.utc())
    await insertAuditRows(
      Array.from({ length: 1203 }, (_, index) => ({
        organization_id: organization.id,
        action: 'bulk.event',
        status: 'success',
        request_id: `bulk-${index}`,
        created_at: stamp,
      }))
    )
    const response = await page(client, owner, organization, '/audit-logs/export?action=bulk.event')
    response.assertStatus(200)
    const [header, ...rows] = parseCsv(response.text())
    const requestIds = rows.map((row) => row[header.indexOf('request_id')])
    assert.lengthOf(requestIds, 1203)
    assert.lengthOf(new Set(requestIds), 1203)
  })
})

test.group('Audit log: action suggestions', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("suggest each of the organization's actions once, in order, and no other organization's", async ({
    assert,
  }) => {
    const { organization } = await createOrganization('Suggestions Org')
    const { organization: other } = await createOrganization('Other Org')
    const actions = [
      'chatbot.created',
      'chatbot.updated',
      'member.invited',
      'token_created',
      'z.last',
    ]
    const now = sqlTime()
    await insertAuditRows(
      Array.from({ length: 300 }, (_, index) => ({
        organization_id: organization.id,
        action: actions[index % actions.length],
        status: 'success',
        created_at: now,
      }))
    )
    await insertAuditRows([
      { organization_id: other.id, action: 'secret.elsewhere', status: 'success', created_at: now },
    ])

    const suggested = await TenantContext.run(organization.id, () =>
      AuditLogService.filterOptions()
    )
    const ownActions = (
      await auditQuery().where('organization_id', organization.id).distinct('action')
    )
      .map((row) => row.action)
      .sort()
    assert.deepEqual(
      suggested.actions.filter((action) => !action.endsWith('.*')),
      ownActions
    )
    assert.includeMembers(suggested.actions, ['chatbot.*', 'member.*'])
    assert.notInclude(suggested.actions, 'secret.elsewhere')

    // The platform page, for one organization and across all of them (the newest entries').
    const forOther = await TenantContext.asPlatform(() =>
      AuditLogService.filterOptions({ platform: true, organizationId: other.id })
    )
    assert.include(forOther.actions, 'secret.elsewhere')
    assert.notInclude(forOther.actions, 'chatbot.created')
    const everywhere = await TenantContext.asPlatform(() =>
      AuditLogService.filterOptions({ platform: true })
    )
    assert.includeMembers(everywhere.actions, [...actions, 'secret.elsewhere'])
  })
})
