import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import KnowledgeSource from '#models/knowledge_source'
import type Organization from '#models/organization'
import type User from '#models/user'
import KnowledgeService from '#services/knowledge_service'
import { TenantContext } from '#support/tenant_context'
import { WorkerPool } from '#support/job_runner'
import { ConversationChannel, ConversationStatus } from '#enums/chatbots'
import { auditQuery } from '#tests/helpers/audit'
import { decodeHtml } from '#tests/helpers/html'
import { addMember, createOrganization } from '#tests/helpers/identity'
import { startFakeOpenAI, type FakeOpenAI } from '#tests/helpers/fake_openai'
import { drainIndexJobs, runIndexJobs, seedChatbot } from '#tests/fixtures/knowledge'

const API_KEY = 'sk-studio-test-key-0123456789'

const inTenant = <T>(organization: Organization, callback: () => Promise<T>) =>
  TenantContext.run(organization.id, callback)

/** A console request as `user` in `organization`. */
function as(client: any, user: User, organization: Organization) {
  const session = { organization_id: organization.id }
  return {
    get: (url: string) => client.get(url).loginAs(user).withSession(session),
    post: (url: string, method = 'post') =>
      client[method](url).loginAs(user).withSession(session).withCsrfToken().redirects(0),
  }
}

const openaiForm = (url: string, overrides: Record<string, unknown> = {}) => ({
  'name': 'Sales bot',
  'status': 'active',
  'provider_type': 'openai',
  'providers[openai][base_url]': url,
  'providers[openai][model]': 'gpt-test',
  'providers[openai][api_key]': API_KEY,
  'providers[openai][stream]': 'true',
  'providers[webhook][url]': '',
  'providers[webhook][secret]': '',
  'temperature': '0.3',
  'max_reply_tokens': '256',
  'allowed_origins': 'https://shop.example.com\nhttp://localhost:3000',
  ...overrides,
})

test.group('Console chatbot studio: chatbots', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => drainIndexJobs())
  let openai: FakeOpenAI
  group.setup(async () => {
    openai = await startFakeOpenAI({ apiKey: API_KEY })
    return () => openai.close()
  })
  group.each.setup(() => openai.reset())

  test('the list shows status, provider and conversations started today', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const busy = await seedChatbot(organization, 'Busy bot')
    const quiet = await seedChatbot(organization, 'Quiet bot')
    await inTenant(organization, async () => {
      const now = DateTime.now()
      const contact = await Contact.create({
        externalId: 'c-1',
        metadata: {},
        firstSeenAt: now,
        lastSeenAt: now,
      })
      const conversation = () =>
        Conversation.create({
          chatbotId: busy.id,
          contactId: contact.id,
          channel: ConversationChannel.Api,
          status: ConversationStatus.Open,
        })
      await conversation()
      await conversation()
    })

    const page = await as(client, owner, organization).get('/chatbots')
    page.assertStatus(200)
    const html = page.text()
    const row = (id: number) => html.slice(html.indexOf(`id="chatbot-${id}"`)).split('</tr>')[0]
    assert.include(row(busy.id), 'Busy bot')
    assert.include(row(busy.id), 'builtin')
    assert.match(row(busy.id), /class="conversations-today">2</)
    assert.match(row(quiet.id), /class="conversations-today">0</)
    assert.include(html, 'id="new-chatbot"')
  })

  test('create and edit: secrets are write-only and kept when left empty', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const console = as(client, owner, organization)
    const created = await console.post('/chatbots').form(openaiForm(openai.url))
    const chatbot = await inTenant(organization, () =>
      Chatbot.query().where('name', 'Sales bot').firstOrFail()
    )
    created.assertHeader('location', `/chatbots/${chatbot.id}`)
    assert.equal(chatbot.providerSettings.api_key, API_KEY)
    assert.deepEqual(chatbot.allowedOrigins, ['https://shop.example.com', 'http://localhost:3000'])

    const page = await console.get(`/chatbots/${chatbot.id}`)
    page.assertStatus(200)
    const html = decodeHtml(page.text())
    assert.notInclude(html, API_KEY)
    assert.include(html, 'set — leave empty to keep')
    assert.include(html, `data-chatbot="${chatbot.publicKey}"`)
    assert.include(html, `/demo/${chatbot.publicKey}`)
    assert.include(html, 'id="copy-snippet"')

    // Saved again with the key left empty and streaming unticked.
    const form: Record<string, unknown> = openaiForm(openai.url, {
      'name': 'Sales bot 2',
      'providers[openai][api_key]': '',
    })
    delete form['providers[openai][stream]']
    const saved = await console.post(`/chatbots/${chatbot.id}`, 'put').form(form)
    saved.assertHeader('location', `/chatbots/${chatbot.id}`)
    await inTenant(organization, () => chatbot.refresh())
    assert.equal(chatbot.name, 'Sales bot 2')
    assert.equal(chatbot.providerSettings.api_key, API_KEY)
    assert.isFalse(chatbot.providerSettings.stream)

    const entries = await auditQuery()
      .where('subject_id', String(chatbot.id))
      .whereIn('action', ['chatbot.created', 'chatbot.updated'])
    assert.sameMembers(
      entries.map((entry) => entry.action),
      ['chatbot.created', 'chatbot.updated']
    )
    assert.notInclude(JSON.stringify(entries.map((entry) => entry.changes)), API_KEY)
  })

  test('provider field errors are shown inline and no secret is flashed back', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const console = as(client, owner, organization)
    const invalid = await console
      .post('/chatbots')
      .header('referer', '/chatbots/create')
      .form(openaiForm('not a url', { 'providers[openai][model]': '' }))
    invalid.assertHeader('location', '/chatbots/create')
    const flashed = invalid.flashMessages()
    assert.properties(flashed.inputErrorsBag, [
      'provider_settings.base_url',
      'provider_settings.model',
    ])
    assert.notInclude(JSON.stringify(flashed), API_KEY)

    const page = await console.get('/chatbots/create').withFlashMessages(flashed)
    const html = page.text()
    const openaiSection = html.slice(
      html.indexOf('id="provider-openai"'),
      html.indexOf('id="provider-webhook"')
    )
    assert.include(openaiSection, 'is-invalid')
    assert.include(openaiSection, flashed.inputErrorsBag['provider_settings.model'][0])
    assert.include(openaiSection, 'value="not a url"')
    assert.notInclude(html, API_KEY)
  })

  test('delete and duplicate, audited', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const chatbot = await seedChatbot(organization, 'Twin bot')
    const console = as(client, owner, organization)

    const duplicated = await console.post(`/chatbots/${chatbot.id}/duplicate`)
    const copy = await inTenant(organization, () =>
      Chatbot.query().where('name', 'Twin bot (copy)').firstOrFail()
    )
    duplicated.assertHeader('location', `/chatbots/${copy.id}`)

    const deleted = await console.post(`/chatbots/${chatbot.id}?_method=DELETE`)
    deleted.assertHeader('location', '/chatbots')
    assert.isNull(await inTenant(organization, () => Chatbot.find(chatbot.id)))
    const actions = await auditQuery()
      .where('organization_id', organization.id)
      .whereIn('action', ['chatbot.duplicated', 'chatbot.deleted'])
    assert.lengthOf(actions, 2)
  })

  test('test connection: ok with latency, and a 401 classified', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const console = as(client, owner, organization)
    await console.post('/chatbots').form(openaiForm(openai.url))
    const chatbot = await inTenant(organization, () =>
      Chatbot.query().where('name', 'Sales bot').firstOrFail()
    )

    openai.respondWith('pong')
    const ok = await console.post(`/chatbots/${chatbot.id}/test`)
    ok.assertHeader('location', `/chatbots/${chatbot.id}`)
    assert.match(ok.flashMessages().success, /^The provider answered in \d+ ms\.$/)
    assert.isTrue(ok.flashMessages().connection_test.ok)
    assert.equal(openai.requests[0].headers.authorization, `Bearer ${API_KEY}`)
    const page = await console.get(`/chatbots/${chatbot.id}`).withFlashMessages(ok.flashMessages())
    assert.include(page.text(), 'id="connection-test"')
    assert.include(page.text(), 'pong')

    openai.failNext(1, 401)
    const refused = await console.post(`/chatbots/${chatbot.id}/test`)
    const flashed = refused.flashMessages()
    assert.notProperty(flashed, 'success')
    assert.include(flashed.error, 'HTTP 401')
    assert.equal(flashed.connection_test.error_code, 'http_401')
    assert.isFalse(flashed.connection_test.retryable)
    assert.notInclude(JSON.stringify(flashed), API_KEY)

    const entries = await auditQuery()
      .where('subject_id', String(chatbot.id))
      .where('action', 'chatbot.connection_tested')
      .orderBy('id')
    assert.lengthOf(entries, 2)
    assert.deepInclude(entries[1].changes as object, { ok: false, error_code: 'http_401' })
    assert.notInclude(JSON.stringify(entries.map((entry) => entry.changes)), API_KEY)
  })

  test('the API test endpoint answers the same result', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const chatbot = await seedChatbot(organization)
    const { tokenFor } = await import('#tests/helpers/identity')
    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/test`)
      .bearerToken(await tokenFor(owner, organization))
    response.assertStatus(200)
    assert.isTrue(response.body().data.ok)
    assert.equal(response.body().data.provider, 'builtin')
  })

  test('a viewer reads everything without forms and gets 403 on posts', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const chatbot = await seedChatbot(organization, 'Read-only bot')
    const viewer = await addMember(organization, 'viewer')
    const console = as(client, viewer, organization)

    for (const url of [
      '/chatbots',
      `/chatbots/${chatbot.id}`,
      `/chatbots/${chatbot.id}/knowledge`,
      `/chatbots/${chatbot.id}/playground`,
    ]) {
      const page = await console.get(url)
      page.assertStatus(200)
      const html = page.text()
      assert.include(html, 'Read-only bot', url)
      assert.notMatch(html, /<form[^>]+method="POST"[^>]+action="\/chatbots/, url)
      assert.notInclude(html, 'New chatbot', url)
    }

    const posts: Array<[string, string]> = [
      ['/chatbots', 'post'],
      [`/chatbots/${chatbot.id}`, 'put'],
      [`/chatbots/${chatbot.id}`, 'delete'],
      [`/chatbots/${chatbot.id}/duplicate`, 'post'],
      [`/chatbots/${chatbot.id}/test`, 'post'],
      [`/chatbots/${chatbot.id}/knowledge`, 'post'],
      [`/chatbots/${chatbot.id}/playground`, 'post'],
    ]
    for (const [url, method] of posts) {
      const response = await console.post(url, method).form({ name: 'x', text: 'hi' })
      assert.equal(response.status(), 403, `${method} ${url}`)
    }
    assert.lengthOf(await inTenant(organization, () => Chatbot.all()), 1)
  })
})

test.group('Console chatbot studio: knowledge', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => drainIndexJobs())

  async function setup() {
    const { organization, owner } = await createOrganization()
    const chatbot = await seedChatbot(organization)
    return { organization, owner, chatbot, console: as(testClient!, owner, organization) }
  }
  let testClient: any

  test('adds text and FAQ pairs from the forms, audited', async ({ client, assert }) => {
    testClient = client
    const { organization, chatbot, console } = await setup()
    const text = await console.post(`/chatbots/${chatbot.id}/knowledge`).form({
      form: 'text',
      type: 'text',
      title: 'Shipping',
      content: 'We ship worldwide within five days.',
    })
    text.assertHeader('location', `/chatbots/${chatbot.id}/knowledge`)
    const faq = await console.post(`/chatbots/${chatbot.id}/knowledge`).form({
      'form': 'faq',
      'type': 'faq',
      'title': 'Billing',
      'items[0][question]': 'How do I pay?',
      'items[0][answer]': 'By card.',
      'items[1][question]': '',
      'items[1][answer]': '',
      'items[2][question]': 'Refunds?',
      'items[2][answer]': 'Within 30 days.',
    })
    faq.assertHeader('location', `/chatbots/${chatbot.id}/knowledge`)

    const sources = await inTenant(organization, () => KnowledgeSource.query().orderBy('id'))
    assert.deepEqual(
      sources.map((source) => [source.type, source.title, source.status]),
      [
        ['text', 'Shipping', 'pending'],
        ['faq', 'Billing', 'pending'],
      ]
    )
    assert.lengthOf(JSON.parse(sources[1].content!), 2)
    assert.lengthOf(
      await auditQuery()
        .where('organization_id', organization.id)
        .where('action', 'knowledge.created'),
      2
    )

    const empty = await console
      .post(`/chatbots/${chatbot.id}/knowledge`)
      .header('referer', `/chatbots/${chatbot.id}/knowledge`)
      .form({ form: 'faq', type: 'faq', title: 'Empty' })
    assert.property(empty.flashMessages().inputErrorsBag, 'items')
  })

  test('uploads a text file and an FAQ CSV; a bad CSV row is reported', async ({
    client,
    assert,
  }) => {
    testClient = client
    const { organization, chatbot, console } = await setup()
    const upload = (name: string, type: string, body: string) =>
      console
        .post(`/chatbots/${chatbot.id}/knowledge`)
        .header('referer', `/chatbots/${chatbot.id}/knowledge`)
        .field('form', type === 'faq' ? 'csv' : 'file')
        .field('type', type)
        .file('file', Buffer.from(body), { filename: name })

    ;(await upload('guide.md', 'file', '# Guide\n\nReturns take **ten** days.')).assertHeader(
      'location',
      `/chatbots/${chatbot.id}/knowledge`
    )
    ;(await upload('faq.csv', 'faq', 'question,answer\nWhere?,Here.\n')).assertHeader(
      'location',
      `/chatbots/${chatbot.id}/knowledge`
    )
    const bad = await upload('bad.csv', 'faq', 'question,answer\nonly one value\n')
    assert.property(bad.flashMessages().inputErrorsBag, 'file')

    const sources = await inTenant(organization, () => KnowledgeSource.query().orderBy('id'))
    assert.deepEqual(
      sources.map((source) => [source.type, source.title, source.fileName]),
      [
        ['file', 'guide.md', 'guide.md'],
        ['faq', 'faq.csv', 'faq.csv'],
      ]
    )
  })

  test('the sources fragment polls while indexing and stops once indexed', async ({
    client,
    assert,
  }) => {
    testClient = client
    const { organization, chatbot, console } = await setup()
    await inTenant(organization, () =>
      KnowledgeService.create(chatbot.id, {
        type: 'text',
        title: 'Doc',
        content: 'Some words.',
      } as any)
    )
    const polling = await console.get(`/chatbots/${chatbot.id}/knowledge/sources`)
    polling.assertStatus(200)
    assert.include(polling.text(), 'hx-trigger="every 1s"')
    assert.include(polling.text(), 'role="progressbar"')
    assert.notInclude(polling.text(), '<html')

    await runIndexJobs()
    const done = await console.get(`/chatbots/${chatbot.id}/knowledge/sources`)
    assert.notInclude(done.text(), 'hx-trigger')
    assert.notInclude(done.text(), 'role="progressbar"')
    assert.include(done.text(), 'indexed')
  })

  test('edits, re-indexes and deletes a source', async ({ client, assert }) => {
    testClient = client
    const { organization, chatbot, console } = await setup()
    const source = await inTenant(organization, () =>
      KnowledgeService.create(chatbot.id, { type: 'text', title: 'Doc', content: 'Old.' } as any)
    )
    await runIndexJobs()
    const form = await console.get(`/chatbots/${chatbot.id}/knowledge/${source.id}/edit`)
    assert.include(form.text(), 'Old.')

    const saved = await console
      .post(`/chatbots/${chatbot.id}/knowledge/${source.id}`, 'put')
      .form({ title: 'New doc', content: 'New content.' })
    saved.assertHeader('location', `/chatbots/${chatbot.id}/knowledge`)
    await inTenant(organization, () => source.refresh())
    assert.equal(source.title, 'New doc')
    assert.equal(source.status, 'pending')

    await console.post(`/chatbots/${chatbot.id}/knowledge/${source.id}/reindex`)
    await console.post(`/chatbots/${chatbot.id}/knowledge/${source.id}?_method=DELETE`)
    assert.isNull(await inTenant(organization, () => KnowledgeSource.find(source.id)))
    const actions = await auditQuery()
      .where('organization_id', organization.id)
      .whereIn('action', ['knowledge.updated', 'knowledge.reindexed', 'knowledge.deleted'])
    assert.lengthOf(actions, 3)
  })
})

/**
 * The playground goes through the real pipeline: a worker in this process
 * answers on other connections, so this group commits and cleans up.
 */
test.group('Console chatbot studio: playground', (group) => {
  let pool: WorkerPool
  const organizations: number[] = []
  const users: number[] = []
  group.setup(() => {
    pool = new WorkerPool().start(['high'])
    return () => pool.close()
  })
  group.each.teardown(async () => {
    const ids = organizations.splice(0)
    await db.from('audit_logs').whereIn('organization_id', ids).delete()
    await db.from('organizations').whereIn('id', ids).delete()
    await db.from('users').whereIn('id', users.splice(0)).delete()
  })

  test('answers through the pipeline and shows the knowledge chunks used', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    organizations.push(organization.id)
    users.push(owner.id)
    const chatbot = await seedChatbot(organization, 'Helpful bot')
    await inTenant(organization, async () => {
      const source = await KnowledgeService.create(chatbot.id, {
        type: 'faq',
        title: 'Returns FAQ',
        items: [{ question: 'How do I return an item?', answer: 'Print the label and post it.' }],
      } as any)
      await KnowledgeService.index(source.id)
    })
    const console = as(client, owner, organization)

    const asked = await console
      .post(`/chatbots/${chatbot.id}/playground`)
      .form({ text: 'how do I return an item?' })
    const location = asked.header('location')
    assert.match(location, new RegExp(`^/chatbots/${chatbot.id}/playground\\?conversation=\\d+$`))

    const page = await console.get(location)
    const html = decodeHtml(page.text())
    assert.include(html, 'Print the label and post it.')
    assert.match(html, /class="reply-chunk">Returns FAQ <span class="text-secondary">score \d/)
    assert.include(html, 'confidence')
    assert.include(html, 'name="conversation_id"')

    const conversation = await inTenant(organization, () =>
      Conversation.query().where('chatbot_id', chatbot.id).firstOrFail()
    )
    assert.equal(conversation.channel, ConversationChannel.Console)
  })
})
