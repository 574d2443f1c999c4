import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import { MAX_CONTENT } from '#validators/knowledge'
import { TenantContext } from '#support/tenant_context'
import { auditQuery } from '#tests/helpers/audit'
import { addMember, tokenFor } from '#tests/helpers/identity'
import {
  chunksOf,
  drainIndexJobs,
  isPostgres,
  ownerSetup,
  queuedIndexJobs,
  runIndexJobs,
  searchChunks,
  seedChatbot,
  words,
} from '#tests/fixtures/knowledge'

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

async function expectStatus(
  request: PromiseLike<{ assertStatus(status: number): void }>,
  status: number
) {
  ;(await request).assertStatus(status)
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
  group.each.setup(() => drainIndexJobs())

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
      progress: 0,
      file_name: null,
      content: LONG_TEXT,
    })

    const jobs = await runIndexJobs()
    assert.lengthOf(jobs, 1)
    assert.equal(jobs[0].queueName, 'low')
    assert.equal(jobs[0].progress, 100)
    assert.deepEqual(jobs[0].data.payload, { sourceId: created.id })
    assert.equal(jobs[0].data.context.organization_id, organization.id)

    const expected = KnowledgeService.chunk(LONG_TEXT).length
    assert.isAbove(expected, 1)
    const shown = await client
      .get(`/api/v1/chatbots/${chatbot.id}/knowledge/${created.id}`)
      .bearerToken(token)
    shown.assertStatus(200)
    assert.containsSubset(shown.body().data, {
      status: 'indexed',
      chunk_count: expected,
      progress: 100,
    })
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
      chunks.map((chunk) => ({ question: chunk.heading, answer: chunk.content })),
      FAQ.items
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
    assert.containsSubset(response.body().data, { status: 'pending', progress: 0 })
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

  test('editing a source re-indexes it when its content changes (audited); a title alone does not', async ({
    client,
    assert,
  }) => {
    const { chatbot, token } = await ownerSetup()
    const text = (
      await client
        .post(`/api/v1/chatbots/${chatbot.id}/knowledge`)
        .bearerToken(token)
        .json({ type: 'text', title: 'Handbook', content: 'Parcels leave on Mondays.' })
    ).body().data
    const faq = (
      await client.post(`/api/v1/chatbots/${chatbot.id}/knowledge`).bearerToken(token).json(FAQ)
    ).body().data
    await runIndexJobs()
    const url = (id: number) => `/api/v1/chatbots/${chatbot.id}/knowledge/${id}`

    const renamed = await client.patch(url(text.id)).bearerToken(token).json({ title: 'Shipping' })
    renamed.assertStatus(200)
    assert.containsSubset(renamed.body().data, { title: 'Shipping', status: 'indexed' })
    assert.lengthOf(await queuedIndexJobs(), 0)

    const edited = await client
      .patch(url(text.id))
      .bearerToken(token)
      .json({ content: 'Parcels leave on Fridays.' })
    edited.assertStatus(200)
    assert.containsSubset(edited.body().data, { status: 'pending', progress: 0 })
    assert.lengthOf(await runIndexJobs(), 1)
    assert.deepEqual(
      (await chunksOf(text.id)).map((chunk) => chunk.content),
      ['Parcels leave on Fridays.']
    )

    const items = [{ question: 'Do you ship on Sundays?', answer: 'No, never.' }]
    const faqEdited = await client.patch(url(faq.id)).bearerToken(token).json({ items })
    faqEdited.assertStatus(200)
    assert.deepEqual(faqEdited.body().data.items, items)
    await runIndexJobs()
    assert.deepEqual(
      (await chunksOf(faq.id)).map((chunk) => chunk.heading),
      ['Do you ship on Sundays?']
    )

    const [audit] = await auditQuery()
      .where('action', 'knowledge.updated')
      .where('subject_id', String(faq.id))
    assert.deepEqual(audit.changes, {
      chatbot_id: chatbot.id,
      before: { title: 'Billing FAQ', items: 3 },
      after: { title: 'Billing FAQ', items: 1 },
      reindexed: true,
    })

    for (const [id, body] of [
      [faq.id, { content: 'not for an FAQ' }],
      [text.id, { items }],
      [text.id, { title: 'x'.repeat(201) }],
      [text.id, { content: 'x'.repeat(MAX_CONTENT + 1) }],
    ] as const) {
      const refused = await client.patch(url(id)).bearerToken(token).json(body)
      refused.assertStatus(422)
    }
    assert.lengthOf(await queuedIndexJobs(), 0)
    assert.deepEqual(
      (await chunksOf(text.id)).map((chunk) => chunk.content),
      ['Parcels leave on Fridays.']
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

test.group('Knowledge: duplicating a chatbot', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => drainIndexJobs())

  test('copies its knowledge: indexed sources with their chunks, the others queued', async ({
    client,
    assert,
  }) => {
    const { organization, chatbot, token } = await ownerSetup()
    const base = `/api/v1/chatbots/${chatbot.id}/knowledge`
    const add = async (body: object) =>
      (await client.post(base).bearerToken(token).json(body)).body().data
    const handbook = await add({ type: 'text', title: 'Handbook', content: LONG_TEXT })
    const faq = await add(FAQ)
    const gone = await add({ type: 'text', title: 'Gone', content: 'Deleted knowledge' })
    await runIndexJobs()
    await expectStatus(client.delete(`${base}/${gone.id}`).bearerToken(token), 200)
    const later = await add({ type: 'text', title: 'Later', content: 'Not indexed yet' })
    const originals = JSON.stringify(await db.from('knowledge_chunks').orderBy('id'))

    const response = await client
      .post(`/api/v1/chatbots/${chatbot.id}/duplicate`)
      .bearerToken(token)
    response.assertStatus(201)
    const copyId = response.body().data.id

    const copies = await db
      .from('knowledge_sources')
      .where('chatbot_id', copyId)
      .whereNull('deleted_at')
      .orderBy('id')
    assert.deepEqual(
      copies.map(({ title, type, status, chunk_count: chunks, progress }) => ({
        title,
        type,
        status,
        chunks,
        progress,
      })),
      [
        {
          title: 'Handbook',
          type: 'text',
          status: 'indexed',
          chunks: KnowledgeService.chunk(LONG_TEXT).length,
          progress: 100,
        },
        { title: 'Billing FAQ', type: 'faq', status: 'indexed', chunks: 3, progress: 100 },
        { title: 'Later', type: 'text', status: 'pending', chunks: 0, progress: 0 },
      ]
    )
    for (const copy of copies) assert.equal(copy.organization_id, organization.id)
    assert.lengthOf(await db.from('knowledge_sources').where('chatbot_id', copyId), 3)

    // Indexed sources come with their chunks: the copy answers at once.
    const pieces = (rows: any[]) =>
      rows.map(({ position, heading, content }) => ({ position, heading, content }))
    for (const [original, copy] of [
      [handbook, copies[0]],
      [faq, copies[1]],
    ]) {
      const copied = await chunksOf(copy.id)
      assert.deepEqual(pieces(copied), pieces(await chunksOf(original.id)))
      for (const chunk of copied) {
        assert.equal(chunk.chatbot_id, copyId)
        assert.equal(chunk.organization_id, organization.id)
      }
    }
    const found = await searchChunks('parley7')
    assert.sameMembers(
      found.map((chunk) => chunk.chatbot_id),
      [chatbot.id, copyId]
    )
    const refund = await searchChunks('refund')
    assert.includeMembers(
      refund.map((chunk) => chunk.knowledge_source_id),
      [copies[1].id]
    )

    // The unindexed one is queued (beside its original, still waiting).
    assert.sameMembers(
      (await queuedIndexJobs()).map((job) => job.data.payload.sourceId),
      [later.id, copies[2].id]
    )
    await runIndexJobs()
    assert.lengthOf(await chunksOf(copies[2].id), 1)
    // The original chatbot's knowledge is unchanged.
    assert.equal(
      JSON.stringify(
        await db.from('knowledge_chunks').whereNot('chatbot_id', copyId).orderBy('id')
      ),
      JSON.stringify([...JSON.parse(originals), ...(await chunksOf(later.id))])
    )
  })
})

test.group('Knowledge: indexing progress', (group) => {
  // Other connections see committed rows only: these tests commit, then
  // remove what they wrote.
  let organization: Organization
  group.each.setup(async () => {
    organization = await Organization.create({
      name: 'Progress',
      slug: `progress-${randomUUID()}`,
      status: 'active',
      plan: 'free',
      settings: {},
    })
    return async () => {
      for (const table of ['knowledge_chunks', 'knowledge_sources', 'chatbots']) {
        await db.from(table).where('organization_id', organization.id).delete()
      }
      await db.from('organizations').where('id', organization.id).delete()
    }
  })
  group.each.setup(() => drainIndexJobs())

  /**
   * A big indexed source, and a way to index it again.
   */
  async function indexedSource() {
    const chatbot = await seedChatbot(organization)
    const content = words(30_000, 'parley').slice(0, MAX_CONTENT)
    const source = await TenantContext.run(organization.id, () =>
      KnowledgeService.create(chatbot.id, { type: 'text' as any, title: 'Big', content })
    )
    await drainIndexJobs()
    const index = (onProgress?: (progress: number) => unknown) =>
      TenantContext.run(organization.id, () => KnowledgeService.index(source.id, { onProgress }))
    await index()
    const chunkIds = (await chunksOf(source.id)).map((chunk) => chunk.id)
    return { source, index, chunkIds }
  }

  /**
   * On SQLite the steps between 10 and 100 run inside the chunk
   * transaction, which holds the only connection: nothing can look then.
   */
  const canLook = (progress: number) => isPostgres() || progress <= 10 || progress === 100

  test('rises in steps while chunks are written, seen by other connections; old chunks stay until the new set is complete', async ({
    assert,
  }) => {
    const { source, index, chunkIds } = await indexedSource()
    assert.isAbove(chunkIds.length, 200)

    const steps: { progress: number; row?: any; chunks?: number[] }[] = []
    await index(async (progress) => {
      if (!canLook(progress)) return steps.push({ progress })
      const row = await db.from('knowledge_sources').where('id', source.id).first()
      const chunks = (await chunksOf(source.id)).map((chunk) => chunk.id)
      steps.push({ progress, row, chunks })
    })

    const values = steps.map(({ progress }) => progress)
    assert.deepEqual(values.slice(0, 2), [0, 10])
    assert.equal(values.at(-1), 100)
    assert.isAtLeast(values.filter((value) => value > 10 && value < 100).length, 4)
    for (let at = 1; at < values.length; at++) assert.isAbove(values[at], values[at - 1])

    const [done] = steps.splice(-1)
    for (const { progress, row, chunks } of steps.filter((step) => step.row)) {
      assert.containsSubset(row, { status: 'indexing', progress })
      assert.deepEqual(chunks, chunkIds)
    }
    assert.equal(steps.filter((step) => step.row).length, isPostgres() ? steps.length : 2)
    assert.containsSubset(done.row, {
      status: 'indexed',
      progress: 100,
      chunk_count: chunkIds.length,
    })
    assert.lengthOf(done.chunks!, chunkIds.length)
    assert.notIncludeMembers(done.chunks!, chunkIds)
  }).timeout(30_000)

  test('a failure keeps the old chunks; the source is failed at the progress it reached', async ({
    assert,
  }) => {
    const { source, index, chunkIds } = await indexedSource()

    let failedAt = 0
    await assert.rejects(
      () =>
        index((progress) => {
          if (progress <= 40 || progress === 100) return
          failedAt = progress
          throw new Error('Disk full')
        }),
      'Disk full'
    )

    const row = await db.from('knowledge_sources').where('id', source.id).first()
    assert.containsSubset(row, { status: 'failed', error: 'Disk full' })
    // PostgreSQL shows the step that failed; SQLite the last one before the transaction.
    assert.isAbove(failedAt, 40)
    assert.equal(row.progress, isPostgres() ? failedAt : 10)
    assert.deepEqual(
      (await chunksOf(source.id)).map((chunk) => chunk.id),
      chunkIds
    )
  }).timeout(30_000)
})
