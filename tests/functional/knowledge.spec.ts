import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import queueManager from '@rlanz/bull-queue/services/main'
import type { Job as BullJob } from 'bullmq'
import Chatbot from '#models/chatbot'
import type Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import { TenantContext } from '#support/tenant_context'
import { runJob } from '#support/job_runner'
import type { JobData } from '#jobs/base_job'
import { auditQuery } from '#tests/helpers/audit'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

const words = (count: number, prefix = 'word') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`).join(' ')

const LONG_TEXT = words(400, 'parley')

const FAQ = {
  type: 'faq',
  title: 'Billing FAQ',
  items: [
    { question: 'How do I pay?', answer: 'By card or bank transfer.' },
    { question: 'Can I get a refund?', answer: 'Within 30 days, no questions asked.' },
    { question: 'Where are invoices?', answer: 'Under Settings, Billing.' },
  ],
}

function seedChatbot(organization: Organization, name = 'Support bot') {
  return TenantContext.run(organization.id, () =>
    Chatbot.create({
      name,
      status: 'active' as Chatbot['status'],
      providerType: 'builtin' as Chatbot['providerType'],
      providerSettings: {},
      temperature: 0.3,
      maxReplyTokens: 512,
      allowedOrigins: [],
    })
  )
}

async function ownerSetup() {
  const { organization, owner } = await createOrganization()
  const chatbot = await seedChatbot(organization)
  const token = await tokenFor(owner, organization)
  return { organization, owner, chatbot, token }
}

/**
 * The index jobs waiting on the `low` queue, run the way the worker runs
 * them (class by name, in the organization of their context), then removed.
 */
async function runIndexJobs() {
  const queue = queueManager.getOrSet('low')
  const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter(
    (job) => job.name === 'IndexKnowledgeSource'
  ) as BullJob<JobData<{ sourceId: number }>>[]
  for (const job of jobs) {
    await runJob(job)
    await job.remove()
  }
  return jobs
}

async function expectStatus(
  request: PromiseLike<{ assertStatus(status: number): void }>,
  status: number
) {
  ;(await request).assertStatus(status)
}

function chunksOf(sourceId: number) {
  return db.from('knowledge_chunks').where('knowledge_source_id', sourceId).orderBy('position')
}

test.group('Knowledge: chunking', () => {
  test('cuts at word boundaries within the size, overlapping by whole words', ({ assert }) => {
    const text = words(30, 'w')
    const chunks = KnowledgeService.chunk(text, 20, 8)

    assert.isAbove(chunks.length, 3)
    for (const chunk of chunks) {
      assert.isAtMost(chunk.length, 20)
      assert.isAbove(chunk.trim().length, 0)
      for (const word of chunk.split(' ')) assert.match(word, /^w\d+$/)
    }
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1].split(' ')
      const current = chunks[index].split(' ')
      // The chunk starts with the last words of the one before, and adds new ones.
      const overlap = previous.slice(previous.indexOf(current[0]))
      assert.isAbove(previous.indexOf(current[0]), 0)
      assert.deepEqual(current.slice(0, overlap.length), overlap)
      assert.isAtMost(overlap.join(' ').length, 8)
      assert.isAbove(current.length, overlap.length)
    }
    // Every word is kept, in order.
    const seen = [...new Set(chunks.flatMap((chunk) => chunk.split(' ')))]
    assert.equal(seen.join(' '), text)
  })

  test('without overlap the chunks are the text, cut; whitespace is collapsed', ({ assert }) => {
    const chunks = KnowledgeService.chunk('alpha  beta\n\ngamma\tdelta epsilon', 11, 0)
    assert.deepEqual(chunks, ['alpha beta', 'gamma delta', 'epsilon'])
  })

  test('no empty chunks; long words are cut; an overlap as big as the size still ends', ({
    assert,
  }) => {
    assert.deepEqual(KnowledgeService.chunk('', 100, 10), [])
    assert.deepEqual(KnowledgeService.chunk(' \n\t ', 100, 10), [])
    assert.deepEqual(KnowledgeService.chunk('abcdefghij', 4, 0), ['abcd', 'efgh', 'ij'])
    const chunks = KnowledgeService.chunk(words(50), 12, 500)
    assert.isAbove(chunks.length, 1)
    for (const chunk of chunks) assert.isAtMost(chunk.length, 12)
    assert.include(chunks.at(-1)!, 'word49')
  })

  test('defaults come from config/knowledge.ts', ({ assert }) => {
    const chunks = KnowledgeService.chunk(LONG_TEXT)
    assert.isAbove(chunks.length, 1)
    for (const chunk of chunks) assert.isAtMost(chunk.length, 800)
  })
})

test.group('Knowledge API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(async () => {
    await queueManager.getOrSet('low').drain(true)
  })

  test('a text source is stored pending, indexed by the job on the low queue', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
      .bearerToken(token)
      .json({ type: 'text', title: 'Handbook', content: LONG_TEXT })
    response.assertStatus(201)
    const created = response.body().data
    assert.containsSubset(created, {
      chatbot_id: chatbot.id,
      type: 'text',
      title: 'Handbook',
      status: 'pending',
      chunk_count: 0,
      content: LONG_TEXT,
    })

    const jobs = await runIndexJobs()
    assert.lengthOf(jobs, 1)
    assert.equal(jobs[0].queueName, 'low')
    assert.deepEqual(jobs[0].data.payload, { sourceId: created.id })
    assert.equal(jobs[0].data.context.organization_id, organization.id)

    const expected = KnowledgeService.chunk(LONG_TEXT).length
    assert.isAbove(expected, 1)
    const shown = await client
      .get(`/api/v1/chatbots/${chatbot.id}/knowledge/${created.id}`)
      .bearerToken(token)
    shown.assertStatus(200)
    assert.containsSubset(shown.body().data, { status: 'indexed', chunk_count: expected })
    const chunks = await chunksOf(created.id)
    assert.lengthOf(chunks, expected)
    assert.deepEqual(
      chunks.map((chunk) => chunk.position),
      [...Array(expected).keys()]
    )
    for (const chunk of chunks) {
      assert.equal(chunk.organization_id, organization.id)
      assert.equal(chunk.chatbot_id, chatbot.id)
    }

    const [audit] = await auditQuery()
      .where('action', 'knowledge.created')
      .where('organization_id', organization.id)
    assert.equal(audit.subjectId, String(created.id))
    assert.notInclude(JSON.stringify(audit.changes), 'parley1 parley2')
  })

  test('an FAQ source gets one chunk per pair', async ({ client, assert }) => {
    const { chatbot, token } = await ownerSetup()
    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
      .bearerToken(token)
      .json(FAQ)
    response.assertStatus(201)
    const created = response.body().data
    assert.deepEqual(created.items, FAQ.items)

    await runIndexJobs()

    const chunks = await chunksOf(created.id)
    assert.deepEqual(
      chunks.map((chunk) => chunk.content),
      FAQ.items.map(({ question, answer }) => `Q: ${question}\nA: ${answer}`)
    )
    const shown = await client
      .get(`/api/v1/chatbots/${chatbot.id}/knowledge/${created.id}`)
      .bearerToken(token)
    assert.containsSubset(shown.body().data, { status: 'indexed', chunk_count: 3 })
  })

  test('lists the chatbot’s sources, paginated, without content', async ({ client, assert }) => {
    const { chatbot, token, organization } = await ownerSetup()
    const other = await seedChatbot(organization, 'Other bot')
    for (const title of ['One', 'Two', 'Three']) {
      await expectStatus(
        client
          .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
          .bearerToken(token)
          .json({ type: 'text', title, content: `About ${title}` }),
        201
      )
    }
    await expectStatus(
      client
        .post(`/api/v1/chatbots/${other.id}/knowledge`)
        .bearerToken(token)
        .json({ type: 'text', title: 'Elsewhere', content: 'Not this bot' }),
      201
    )

    const response = await client
      .get(`/api/v1/chatbots/${chatbot.id}/knowledge`)
      .qs({ per_page: 2 })
      .bearerToken(token)
    response.assertStatus(200)
    const body = response.body()
    assert.deepEqual(
      body.data.map((row: any) => row.title),
      ['Three', 'Two']
    )
    assert.notProperty(body.data[0], 'content')
    assert.containsSubset(body.meta, { page: 1, per_page: 2, total: 3, last_page: 2 })
  })

  test('reindex replaces the chunks: same count, no duplicates', async ({ client, assert }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const created = (
      await client
        .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
        .bearerToken(token)
        .json({ type: 'text', title: 'Handbook', content: LONG_TEXT })
    ).body().data
    await runIndexJobs()
    const before = await chunksOf(created.id)

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/knowledge/${created.id}/reindex`)
      .bearerToken(token)
    response.assertStatus(202)
    assert.equal(response.body().data.status, 'pending')
    assert.lengthOf(await runIndexJobs(), 1)
    // A job delivered twice changes nothing either.
    await TenantContext.run(organization.id, () => KnowledgeService.index(created.id))

    const after = await chunksOf(created.id)
    assert.lengthOf(after, before.length)
    assert.deepEqual(
      after.map((chunk) => chunk.content),
      before.map((chunk) => chunk.content)
    )
    assert.notInclude(
      after.map((chunk) => chunk.id),
      before[0].id
    )
    const source = await db.from('knowledge_sources').where('id', created.id).first()
    assert.equal(source.status, 'indexed')
    assert.equal(source.chunk_count, before.length)
    assert.lengthOf(
      await auditQuery()
        .where('action', 'knowledge.reindexed')
        .where('subject_id', String(created.id)),
      1
    )
  })

  test('a source that cannot be indexed is marked failed with the error', async ({ assert }) => {
    const { organization, chatbot } = await ownerSetup()
    const source = await TenantContext.run(organization.id, () =>
      KnowledgeService.create(chatbot.id, { type: 'faq', title: 'Broken', items: FAQ.items } as any)
    )
    await db.from('knowledge_sources').where('id', source.id).update({ content: 'not json' })

    await assert.rejects(() =>
      TenantContext.run(organization.id, () => KnowledgeService.index(source.id))
    )
    const row = await db.from('knowledge_sources').where('id', source.id).first()
    assert.equal(row.status, 'failed')
    assert.isNotEmpty(row.error)
    assert.lengthOf(await chunksOf(source.id), 0)
  })

  test('delete removes the chunks and hides the source', async ({ client, assert }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const created = (
      await client.post(`/api/v1/chatbots/${chatbot.id}/knowledge`).bearerToken(token).json(FAQ)
    ).body().data
    await runIndexJobs()
    assert.lengthOf(await chunksOf(created.id), 3)

    const response = await client
      .delete(`/api/v1/chatbots/${chatbot.id}/knowledge/${created.id}`)
      .bearerToken(token)
    response.assertStatus(200)

    assert.lengthOf(await chunksOf(created.id), 0)
    const row = await db.from('knowledge_sources').where('id', created.id).first()
    assert.isNotNull(row.deleted_at)
    await expectStatus(
      client.get(`/api/v1/chatbots/${chatbot.id}/knowledge/${created.id}`).bearerToken(token),
      404
    )
    const list = await client.get(`/api/v1/chatbots/${chatbot.id}/knowledge`).bearerToken(token)
    assert.lengthOf(list.body().data, 0)
    // An index job arriving late leaves a deleted source alone.
    assert.isNull(
      await TenantContext.run(organization.id, () => KnowledgeService.index(created.id))
    )
    assert.lengthOf(await chunksOf(created.id), 0)
    assert.lengthOf(
      await auditQuery()
        .where('action', 'knowledge.deleted')
        .where('subject_id', String(created.id)),
      1
    )
  })

  test('refuses invalid sources with 422 and writes nothing', async ({ client, assert }) => {
    const { chatbot, token } = await ownerSetup()
    const question = { question: 'Q?', answer: 'A.' }
    const invalid: object[] = [
      {},
      { type: 'text', title: 'No content' },
      { type: 'text', title: 'Blank', content: '   ' },
      { type: 'text', title: 'x'.repeat(201), content: 'ok' },
      { type: 'text', title: 'Huge', content: 'a'.repeat(200_001) },
      { type: 'faq', title: 'No items' },
      { type: 'faq', title: 'Empty', items: [] },
      { type: 'faq', title: 'Too many', items: Array(501).fill(question) },
      { type: 'faq', title: 'No answer', items: [{ question: 'Q?' }] },
      { type: 'faq', title: 'Long', items: [{ question: 'q'.repeat(1001), answer: 'A.' }] },
      { type: 'file', title: 'Not here', content: 'x' },
      { type: 'html', title: 'Unknown', content: 'x' },
    ]
    for (const body of invalid) {
      const response = await client
        .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
        .bearerToken(token)
        .json(body)
      response.assertStatus(422)
    }
    assert.lengthOf(await db.from('knowledge_sources'), 0)
    assert.lengthOf(await auditQuery().whereLike('action', 'knowledge.%'), 0)
    assert.lengthOf(await runIndexJobs(), 0)
  })

  test('a viewer reads knowledge but cannot change it', async ({ client, assert }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const created = (
      await client.post(`/api/v1/chatbots/${chatbot.id}/knowledge`).bearerToken(token).json(FAQ)
    ).body().data
    const viewer = await tokenFor(await addMember(organization, 'viewer'), organization)
    const base = `/api/v1/chatbots/${chatbot.id}/knowledge`

    await expectStatus(client.get(base).bearerToken(viewer), 200)
    await expectStatus(client.get(`${base}/${created.id}`).bearerToken(viewer), 200)
    await expectStatus(client.post(base).bearerToken(viewer).json(FAQ), 403)
    await expectStatus(client.delete(`${base}/${created.id}`).bearerToken(viewer), 403)
    await expectStatus(client.post(`${base}/${created.id}/reindex`).bearerToken(viewer), 403)

    assert.lengthOf(await db.from('knowledge_sources').whereNull('deleted_at'), 1)
    assert.lengthOf(await runIndexJobs(), 1)
  })

  test('another organization’s chatbot or source is a 404 and stays unchanged', async ({
    client,
    assert,
  }) => {
    const a = await ownerSetup()
    const b = await ownerSetup()
    const created = (
      await client.post(`/api/v1/chatbots/${a.chatbot.id}/knowledge`).bearerToken(a.token).json(FAQ)
    ).body().data
    await runIndexJobs()
    const snapshot = async () =>
      JSON.stringify([
        await db.from('knowledge_sources').where('id', created.id),
        await chunksOf(created.id),
      ])
    const before = await snapshot()

    const foreign = `/api/v1/chatbots/${a.chatbot.id}/knowledge`
    // B's own chatbot, A's source id.
    const mixed = `/api/v1/chatbots/${b.chatbot.id}/knowledge/${created.id}`
    await expectStatus(client.get(foreign).bearerToken(b.token), 404)
    await expectStatus(client.post(foreign).bearerToken(b.token).json(FAQ), 404)
    await expectStatus(client.get(`${foreign}/${created.id}`).bearerToken(b.token), 404)
    await expectStatus(client.get(mixed).bearerToken(b.token), 404)
    await expectStatus(client.delete(mixed).bearerToken(b.token), 404)
    await expectStatus(client.post(`${mixed}/reindex`).bearerToken(b.token), 404)
    // Another chatbot of the same organization does not own it either.
    const sibling = await seedChatbot(a.organization, 'Sibling')
    await expectStatus(
      client.get(`/api/v1/chatbots/${sibling.id}/knowledge/${created.id}`).bearerToken(a.token),
      404
    )

    assert.equal(await snapshot(), before)
    assert.lengthOf(await runIndexJobs(), 0)
    assert.lengthOf(
      await db.from('knowledge_sources').where('organization_id', b.organization.id),
      0
    )
  })
})
