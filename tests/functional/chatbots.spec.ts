import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Chatbot from '#models/chatbot'
import type Organization from '#models/organization'
import { TenantContext } from '#support/tenant_context'
import { auditQuery } from '#tests/helpers/audit'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

const API_KEY = 'sk-test-very-secret-openai-key-123'
const WEBHOOK_SECRET = 'whsec-super-secret-signing-key-456'

const openaiBot = {
  name: 'Support bot',
  description: 'Answers billing questions',
  provider_type: 'openai',
  provider_settings: {
    base_url: 'http://localhost:11434/v1',
    model: 'llama3',
    api_key: API_KEY,
  },
  system_prompt: 'You are helpful.',
  temperature: 0.5,
  max_reply_tokens: 300,
  allowed_origins: ['https://shop.example.com', 'http://localhost:3000'],
}

async function rawChatbot(id: number) {
  return db.from('chatbots').where('id', id).first()
}

/**
 * A chatbot row written as the organization, through the model.
 */
function seedChatbot(organization: Organization, name: string, status = 'draft') {
  return TenantContext.run(organization.id, () =>
    Chatbot.create({
      name,
      status: status as Chatbot['status'],
      providerType: 'webhook' as Chatbot['providerType'],
      providerSettings: { url: 'https://n8n.example.com/hook', secret: WEBHOOK_SECRET },
      temperature: 0.3,
      maxReplyTokens: 512,
      allowedOrigins: [],
    })
  )
}

async function auditsFor(action: string, organization: Organization) {
  return auditQuery().where('action', action).where('organization_id', organization.id)
}

test.group('Chatbots API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('creates a chatbot: secrets are write-only, encrypted at rest and not audited', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/api/v1/chatbots')
      .bearerToken(await tokenFor(owner, organization))
      .json(openaiBot)
    response.assertStatus(201)

    const data = response.body().data
    assert.containsSubset(data, {
      name: 'Support bot',
      status: 'draft',
      provider_type: 'openai',
      provider_settings: { base_url: 'http://localhost:11434/v1', model: 'llama3' },
      provider_secrets_set: ['api_key'],
      temperature: 0.5,
      max_reply_tokens: 300,
      allowed_origins: ['https://shop.example.com', 'http://localhost:3000'],
    })
    assert.notProperty(data.provider_settings, 'api_key')
    assert.match(data.public_key, /^pk_[A-Za-z0-9_-]{24}$/)
    assert.notInclude(response.text(), API_KEY)

    const row = await rawChatbot(data.id)
    assert.equal(Number(row.organization_id), organization.id)
    assert.notInclude(row.provider_settings, API_KEY)
    assert.notInclude(row.provider_settings, 'llama3')
    const stored = await TenantContext.run(organization.id, () => Chatbot.findOrFail(data.id))
    assert.equal(stored.providerSettings.api_key, API_KEY)

    const [audit] = await auditsFor('chatbot.created', organization)
    assert.equal(audit.subjectId, String(data.id))
    assert.equal((audit.changes as any).name, 'Support bot')
    assert.notInclude(JSON.stringify(audit.serialize()), API_KEY)
  })

  test('a new chatbot defaults to a draft on the built-in provider', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/api/v1/chatbots')
      .bearerToken(await tokenFor(owner, organization))
      .json({ name: 'Plain', provider_settings: { threshold: 0.4 } })
    response.assertStatus(201)
    assert.containsSubset(response.body().data, {
      status: 'draft',
      provider_type: 'builtin',
      provider_settings: { threshold: 0.4 },
      provider_secrets_set: [],
      allowed_origins: [],
    })
  })

  test('the openai provider can turn streaming off and set its timeout', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/api/v1/chatbots')
      .bearerToken(await tokenFor(owner, organization))
      .json({
        ...openaiBot,
        provider_settings: { ...openaiBot.provider_settings, stream: false, timeout_ms: 30_000 },
      })
    response.assertStatus(201)
    assert.deepEqual(response.body().data.provider_settings, {
      base_url: 'http://localhost:11434/v1',
      model: 'llama3',
      stream: false,
      timeout_ms: 30_000,
    })
    const stored = await TenantContext.run(organization.id, () =>
      Chatbot.findOrFail(response.body().data.id)
    )
    assert.isFalse(stored.providerSettings.stream)
  })

  test('lists newest first with filters and pagination meta, only this organization', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Globex')
    const first = await seedChatbot(organization, 'Billing helper', 'active')
    const second = await seedChatbot(organization, 'Sales desk')
    const third = await seedChatbot(organization, 'Billing FAQ')
    const foreign = await seedChatbot(other, 'Billing elsewhere', 'active')
    const token = await tokenFor(owner, organization)

    const page = await client.get('/api/v1/chatbots').qs({ per_page: 2 }).bearerToken(token)
    page.assertStatus(200)
    assert.deepEqual(
      page.body().data.map((row: { id: number }) => row.id),
      [third.id, second.id]
    )
    assert.deepEqual(page.body().meta, { page: 1, per_page: 2, total: 3, last_page: 2 })
    assert.notInclude(page.text(), WEBHOOK_SECRET)

    const next = await client
      .get('/api/v1/chatbots')
      .qs({ per_page: 2, page: 2 })
      .bearerToken(token)
    assert.deepEqual(
      next.body().data.map((row: { id: number }) => row.id),
      [first.id]
    )

    const active = await client.get('/api/v1/chatbots').qs({ status: 'active' }).bearerToken(token)
    assert.deepEqual(
      active.body().data.map((row: { id: number }) => row.id),
      [first.id]
    )

    const search = await client.get('/api/v1/chatbots').qs({ q: 'BILLING' }).bearerToken(token)
    const found = search.body().data.map((row: { id: number }) => row.id)
    assert.deepEqual(found, [third.id, first.id])
    assert.notInclude(found, foreign.id)

    const invalid = await client.get('/api/v1/chatbots').qs({ status: 'gone' }).bearerToken(token)
    invalid.assertStatus(422)
  })

  test('shows and updates a chatbot; an omitted secret is kept, a new one replaces it', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const created = await client.post('/api/v1/chatbots').bearerToken(token).json(openaiBot)
    const id = created.body().data.id

    const shown = await client.get(`/api/v1/chatbots/${id}`).bearerToken(token)
    shown.assertStatus(200)
    assert.equal(shown.body().data.public_key, created.body().data.public_key)

    const renamed = await client
      .patch(`/api/v1/chatbots/${id}`)
      .bearerToken(token)
      .json({
        name: 'Renamed',
        status: 'active',
        provider_type: 'openai',
        provider_settings: { base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
      })
    renamed.assertStatus(200)
    assert.containsSubset(renamed.body().data, {
      name: 'Renamed',
      status: 'active',
      description: 'Answers billing questions',
      temperature: 0.5,
      provider_settings: { base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
      provider_secrets_set: ['api_key'],
    })
    let stored = await TenantContext.run(organization.id, () => Chatbot.findOrFail(id))
    assert.equal(stored.providerSettings.api_key, API_KEY)

    const rotated = await client
      .patch(`/api/v1/chatbots/${id}`)
      .bearerToken(token)
      .json({
        provider_type: 'openai',
        provider_settings: { base_url: 'https://api.openai.com/v1', model: 'x', api_key: 'new' },
      })
    rotated.assertStatus(200)
    stored = await TenantContext.run(organization.id, () => Chatbot.findOrFail(id))
    assert.equal(stored.providerSettings.api_key, 'new')

    const audits = await auditsFor('chatbot.updated', organization)
    assert.lengthOf(audits, 2)
    const changes = audits.find((row) => (row.changes as any).after.name === 'Renamed')!.changes
    assert.equal((changes as any).before.name, 'Support bot')
    assert.equal((changes as any).before.status, 'draft')
    for (const audit of audits) assert.notInclude(JSON.stringify(audit.serialize()), API_KEY)
  })

  test('switching provider needs that provider’s settings', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const created = await client.post('/api/v1/chatbots').bearerToken(token).json(openaiBot)
    const id = created.body().data.id
    const before = await rawChatbot(id)

    const bare = await client
      .patch(`/api/v1/chatbots/${id}`)
      .bearerToken(token)
      .json({ provider_type: 'webhook' })
    bare.assertStatus(422)
    assert.equal(bare.body().error_code, 'PROVIDER_SETTINGS_REQUIRED')

    const untyped = await client
      .patch(`/api/v1/chatbots/${id}`)
      .bearerToken(token)
      .json({ provider_settings: { model: 'other' } })
    untyped.assertStatus(422)

    assert.deepEqual(await rawChatbot(id), before)

    const switched = await client
      .patch(`/api/v1/chatbots/${id}`)
      .bearerToken(token)
      .json({
        provider_type: 'webhook',
        provider_settings: { url: 'https://n8n.example.com/hook', secret: WEBHOOK_SECRET },
      })
    switched.assertStatus(200)
    assert.deepEqual(switched.body().data.provider_settings, {
      url: 'https://n8n.example.com/hook',
    })
    assert.deepEqual(switched.body().data.provider_secrets_set, ['secret'])
    const stored = await TenantContext.run(organization.id, () => Chatbot.findOrFail(id))
    assert.notProperty(stored.providerSettings, 'api_key')
  })

  test('deletes softly: gone from the API, the row stays', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const chatbot = await seedChatbot(organization, 'Short lived')

    const response = await client.delete(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token)
    response.assertStatus(200)

    assert.isNotNull((await rawChatbot(chatbot.id)).deleted_at)
    ;(await client.get(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token)).assertStatus(404)
    ;(await client.delete(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token)).assertStatus(404)
    const list = await client.get('/api/v1/chatbots').bearerToken(token)
    assert.lengthOf(list.body().data, 0)
    assert.equal(list.body().meta.total, 0)

    const [audit] = await auditsFor('chatbot.deleted', organization)
    assert.equal(audit.subjectId, String(chatbot.id))
    assert.equal((audit.changes as any).name, 'Short lived')
  })

  test('duplicates as a draft copy with its own public key and the same secrets', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const source = await seedChatbot(organization, 'Original', 'active')

    const response = await client.post(`/api/v1/chatbots/${source.id}/duplicate`).bearerToken(token)
    response.assertStatus(201)
    const copy = response.body().data
    assert.notEqual(copy.id, source.id)
    assert.equal(copy.name, 'Original (copy)')
    assert.equal(copy.status, 'draft')
    assert.equal(copy.provider_type, 'webhook')
    assert.deepEqual(copy.provider_secrets_set, ['secret'])
    assert.notEqual(copy.public_key, source.publicKey)
    assert.notInclude(response.text(), WEBHOOK_SECRET)

    const stored = await TenantContext.run(organization.id, () => Chatbot.findOrFail(copy.id))
    assert.equal(stored.providerSettings.secret, WEBHOOK_SECRET)
    assert.notInclude((await rawChatbot(copy.id)).provider_settings, WEBHOOK_SECRET)

    const [audit] = await auditsFor('chatbot.duplicated', organization)
    assert.equal(audit.subjectId, String(copy.id))
    assert.equal((audit.changes as any).source_id, source.id)
    assert.notInclude(JSON.stringify(audit.serialize()), WEBHOOK_SECRET)

    const long = await seedChatbot(organization, 'x'.repeat(120))
    const longCopy = await client.post(`/api/v1/chatbots/${long.id}/duplicate`).bearerToken(token)
    longCopy.assertStatus(201)
    assert.lengthOf(longCopy.body().data.name, 120)
    assert.isTrue(longCopy.body().data.name.endsWith(' (copy)'))
  })

  test('refuses invalid fields with 422 and writes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const openai = openaiBot.provider_settings
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, 'name', 'required'],
      [{ name: 'x' }, 'name', 'minLength'],
      [{ name: 'x'.repeat(121) }, 'name', 'maxLength'],
      [{ name: 'Bot', status: 'deleted' }, 'status', 'enum'],
      [{ name: 'Bot', provider_type: 'skynet' }, 'provider_type', 'enum'],
      [{ name: 'Bot', temperature: 2.5 }, 'temperature', 'max'],
      [{ name: 'Bot', temperature: -1 }, 'temperature', 'min'],
      [{ name: 'Bot', max_reply_tokens: 100_000 }, 'max_reply_tokens', 'max'],
      [{ name: 'Bot', max_reply_tokens: 10.5 }, 'max_reply_tokens', 'withoutDecimals'],
      [{ name: 'Bot', system_prompt: 'x'.repeat(8001) }, 'system_prompt', 'maxLength'],
      [{ name: 'Bot', provider_settings: { threshold: 3 } }, 'provider_settings.threshold', 'max'],
      [{ name: 'Bot', provider_type: 'openai' }, 'provider_settings', 'required'],
      [
        {
          name: 'Bot',
          provider_type: 'openai',
          provider_settings: { ...openai, base_url: 'nope' },
        },
        'provider_settings.base_url',
        'url',
      ],
      [
        { name: 'Bot', provider_type: 'openai', provider_settings: { ...openai, api_key: '' } },
        'provider_settings.api_key',
        'required',
      ],
      [
        { name: 'Bot', provider_type: 'openai', provider_settings: { ...openai, timeout_ms: 50 } },
        'provider_settings.timeout_ms',
        'min',
      ],
      [
        { name: 'Bot', provider_type: 'openai', provider_settings: { ...openai, stream: 'often' } },
        'provider_settings.stream',
        'boolean',
      ],
      [
        {
          name: 'Bot',
          provider_type: 'webhook',
          provider_settings: { url: 'https://n8n.example.com/hook', secret: 'short' },
        },
        'provider_settings.secret',
        'minLength',
      ],
      [
        {
          name: 'Bot',
          provider_type: 'webhook',
          provider_settings: {
            url: 'https://n8n.example.com/hook',
            secret: WEBHOOK_SECRET,
            timeout_ms: 10,
          },
        },
        'provider_settings.timeout_ms',
        'min',
      ],
      [
        { name: 'Bot', allowed_origins: ['https://shop.example.com/path'] },
        'allowed_origins.0',
        'regex',
      ],
      [{ name: 'Bot', allowed_origins: ['javascript:alert(1)'] }, 'allowed_origins.0', 'regex'],
      [
        {
          name: 'Bot',
          allowed_origins: Array.from({ length: 21 }, (_, i) => `https://s${i}.example.com`),
        },
        'allowed_origins',
        'array.maxLength',
      ],
    ]

    for (const [body, field, rule] of cases) {
      const response = await client.post('/api/v1/chatbots').bearerToken(token).json(body)
      response.assertStatus(422)
      assert.equal(response.body().error_code, 'VALIDATION_ERROR')
      assert.deepInclude(
        response.body().errors.map((error: { field: string; rule: string }) => ({
          field: error.field,
          rule: error.rule,
        })),
        { field, rule },
        JSON.stringify(body).slice(0, 200)
      )
    }

    const chatbot = await seedChatbot(organization, 'Unchanged')
    const before = await rawChatbot(chatbot.id)
    for (const body of [{ name: 'x' }, { temperature: 9 }, { allowed_origins: ['ftp://x.com'] }]) {
      const response = await client
        .patch(`/api/v1/chatbots/${chatbot.id}`)
        .bearerToken(token)
        .json(body)
      response.assertStatus(422)
    }
    assert.deepEqual(await rawChatbot(chatbot.id), before)

    const [{ total }] = await db.from('chatbots').count('* as total')
    assert.equal(Number(total), 1)
    assert.lengthOf(await auditQuery().whereLike('action', 'chatbot.%'), 0)
  })

  test('a viewer can list and read chatbots but not change them', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    const token = await tokenFor(viewer, organization)
    const chatbot = await seedChatbot(organization, 'Read only')
    const before = await rawChatbot(chatbot.id)

    ;(await client.get('/api/v1/chatbots').bearerToken(token)).assertStatus(200)
    ;(await client.get(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token)).assertStatus(200)

    const refused = [
      await client.post('/api/v1/chatbots').bearerToken(token).json({ name: 'Nope' }),
      await client.patch(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token).json({ name: 'No' }),
      await client.delete(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token),
      await client.post(`/api/v1/chatbots/${chatbot.id}/duplicate`).bearerToken(token),
    ]
    for (const response of refused) {
      response.assertStatus(403)
      assert.equal(response.body().error_code, 'FORBIDDEN')
    }
    assert.deepEqual(await rawChatbot(chatbot.id), before)
    const [{ total }] = await db.from('chatbots').count('* as total')
    assert.equal(Number(total), 1)
  })

  test('another organization’s chatbot is a 404 and stays unchanged', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const { organization: other, owner: otherOwner } = await createOrganization('Globex')
    const chatbot = await seedChatbot(organization, 'Private')
    const before = await rawChatbot(chatbot.id)
    const token = await tokenFor(otherOwner, other)

    const responses = [
      await client.get(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token),
      await client
        .patch(`/api/v1/chatbots/${chatbot.id}`)
        .bearerToken(token)
        .json({ name: 'Mine' }),
      await client.delete(`/api/v1/chatbots/${chatbot.id}`).bearerToken(token),
      await client.post(`/api/v1/chatbots/${chatbot.id}/duplicate`).bearerToken(token),
    ]
    for (const response of responses) {
      response.assertStatus(404)
      assert.equal(response.body().error_code, 'NOT_FOUND')
    }
    assert.deepEqual(await rawChatbot(chatbot.id), before)
    const [{ total }] = await db.from('chatbots').count('* as total')
    assert.equal(Number(total), 1)
  })
})
