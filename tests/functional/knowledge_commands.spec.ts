import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import type Chatbot from '#models/chatbot'
import type Organization from '#models/organization'
import KnowledgeService from '#services/knowledge_service'
import { TenantContext } from '#support/tenant_context'
import { findAuditOrFail } from '#tests/helpers/audit'
import {
  chunksOf,
  drainIndexJobs,
  ownerSetup,
  queuedIndexJobs,
  runIndexJobs,
  seedChatbot,
  words,
} from '#tests/fixtures/knowledge'

/**
 * Runs `node ace knowledge:reindex …` in this process, without a terminal.
 */
async function reindex(argv: string[]) {
  await ace.boot()
  ace.ui.logger.flushLogs()
  const command = await ace.create(await ace.find('knowledge:reindex'), argv)
  await command.exec()
  const output = command.ui.logger
    .getLogs()
    .map((log) => log.message)
    .join('\n')
  return { command, output }
}

/**
 * Indexed text sources for a chatbot.
 */
async function addSources(organization: Organization, chatbot: Chatbot, titles: string[]) {
  const sources = await TenantContext.run(organization.id, async () => {
    const created = []
    for (const title of titles) {
      created.push(
        await KnowledgeService.create(chatbot.id, {
          type: 'text' as any,
          title,
          content: `${title}: ${words(200, title.toLowerCase())}`,
        })
      )
    }
    return created
  })
  await runIndexJobs()
  return sources.map((source) => Number(source.id))
}

const queued = async () =>
  (await queuedIndexJobs()).map((job) => ({
    sourceId: job.data.payload.sourceId,
    organizationId: job.data.context.organization_id,
  }))

test.group('Commands: knowledge:reindex', (group) => {
  group.setup(() => ace.ui.switchMode('raw'))
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => drainIndexJobs())

  test('--chatbot queues the sources of that chatbot only, in its organization', async ({
    assert,
  }) => {
    const { organization, chatbot } = await ownerSetup()
    const other = await seedChatbot(organization, 'Other bot')
    const [kept, alsoKept, deleted] = await addSources(organization, chatbot, [
      'Alpha',
      'Beta',
      'Gone',
    ])
    const [untouched] = await addSources(organization, other, ['Elsewhere'])
    await TenantContext.run(organization.id, () => KnowledgeService.delete(chatbot.id, deleted))

    const { command, output } = await reindex([`--chatbot=${chatbot.id}`])
    command.assertSucceeded()
    assert.include(output, `2 knowledge source(s) of chatbot ${chatbot.id} queued for indexing`)

    assert.sameDeepMembers(await queued(), [
      { sourceId: kept, organizationId: organization.id },
      { sourceId: alsoKept, organizationId: organization.id },
    ])
    const rows = await db.from('knowledge_sources').whereIn('id', [kept, alsoKept, untouched])
    const status = Object.fromEntries(rows.map((row) => [row.id, [row.status, row.progress]]))
    assert.deepEqual(status, {
      [kept]: ['pending', 0],
      [alsoKept]: ['pending', 0],
      [untouched]: ['indexed', 100],
    })

    const audit = await findAuditOrFail('action', 'knowledge.reindexed')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.subjectId, String(chatbot.id))
    assert.equal(audit.message, 'node ace knowledge:reindex')
    assert.containsSubset(audit.changes, { sources: 2, sync: false })

    // The jobs index them as usual.
    await runIndexJobs()
    assert.isNotEmpty(await chunksOf(kept))
    const [row] = await db.from('knowledge_sources').where('id', kept)
    assert.containsSubset(row, { status: 'indexed', progress: 100 })
  })

  test('without --chatbot queues every chatbot’s sources, each in its own organization', async ({
    assert,
  }) => {
    const a = await ownerSetup()
    const b = await ownerSetup('Globex')
    const [a1, a2] = await addSources(a.organization, a.chatbot, ['One', 'Two'])
    const [b1] = await addSources(b.organization, b.chatbot, ['Three'])
    const retired = await seedChatbot(b.organization, 'Retired')
    const [hidden] = await addSources(b.organization, retired, ['Retired'])
    await db.from('chatbots').where('id', retired.id).update({ deleted_at: new Date() })

    const { command, output } = await reindex([])
    command.assertSucceeded()

    const jobs = await queued()
    assert.includeDeepMembers(jobs, [
      { sourceId: a1, organizationId: a.organization.id },
      { sourceId: a2, organizationId: a.organization.id },
      { sourceId: b1, organizationId: b.organization.id },
    ])
    assert.notInclude(
      jobs.map((job) => job.sourceId),
      hidden
    )
    // Every live source of every live chatbot, and nothing else.
    const live = await db
      .from('knowledge_sources')
      .join('chatbots', 'chatbots.id', 'knowledge_sources.chatbot_id')
      .whereNull('knowledge_sources.deleted_at')
      .whereNull('chatbots.deleted_at')
      .select('knowledge_sources.id', 'knowledge_sources.organization_id')
    assert.sameDeepMembers(
      jobs,
      live.map((row) => ({ sourceId: row.id, organizationId: row.organization_id }))
    )
    assert.match(
      output,
      new RegExp(` ${live.length} knowledge source\\(s\\) of \\d+ chatbot\\(s\\) queued`)
    )
  })

  test('an unknown or deleted chatbot is an error with exit code 1, and queues nothing', async ({
    assert,
  }) => {
    const { organization, chatbot } = await ownerSetup()
    await addSources(organization, chatbot, ['Alpha'])
    await db.from('chatbots').where('id', chatbot.id).update({ deleted_at: new Date() })

    for (const id of ['999999999', 'abc', String(chatbot.id)]) {
      const { command, output } = await reindex([`--chatbot=${id}`])
      command.assertFailed()
      assert.equal(command.exitCode, 1)
      assert.include(output, `No chatbot with id ${id}.`)
    }
    assert.lengthOf(await queuedIndexJobs(), 0)
  })

  test('--sync indexes in this process: no jobs, failures reported with exit code 1', async ({
    assert,
  }) => {
    const { organization, chatbot } = await ownerSetup()
    const [good, broken] = await addSources(organization, chatbot, ['Good', 'Broken'])
    await db
      .from('knowledge_sources')
      .where('id', broken)
      .update({ type: 'faq', content: 'not json' })
    const before = (await chunksOf(good)).map((chunk) => chunk.id)

    const { command, output } = await reindex([`--chatbot=${chatbot.id}`, '--sync'])
    assert.equal(command.exitCode, 1)
    assert.include(output, `1 knowledge source(s) of chatbot ${chatbot.id} indexed`)
    assert.include(output, `Source ${broken} ("Broken") failed`)
    assert.lengthOf(await queuedIndexJobs(), 0)

    const after = await chunksOf(good)
    assert.lengthOf(after, before.length)
    assert.notIncludeMembers(
      after.map((chunk) => chunk.id),
      before
    )
    const rows = await db.from('knowledge_sources').whereIn('id', [good, broken]).orderBy('id')
    assert.containsSubset(rows, [{ status: 'indexed', progress: 100 }, { status: 'failed' }])
    const audit = await findAuditOrFail('action', 'knowledge.reindexed')
    assert.containsSubset(audit.changes, { sources: 2, sync: true })
  })
})
