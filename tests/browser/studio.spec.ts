import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import type { Page } from 'playwright'
import KnowledgeService from '#services/knowledge_service'
import { TenantContext } from '#support/tenant_context'
import { WorkerPool } from '#support/job_runner'
import { KnowledgeSourceType } from '#enums/chatbots'
import { createOrganization } from '#tests/helpers/identity'
import { seedChatbot } from '#tests/fixtures/knowledge'
import { signIn, submitAndWait, unique } from '#tests/browser/support'
import { emptyQueue } from '#tests/helpers/queues'

/** Asks the playground a question and waits for the page showing its reply. */
async function ask(page: Page, question: string) {
  await page.locator('#playground-text').fill(question)
  await submitAndWait(page, page.getByRole('button', { name: 'Send' }))
  await page.locator('.playground-reply').last().waitFor()
}

/**
 * The chatbot studio, answered by workers running in this process (`high`
 * for chat replies; `low` for indexing, started only once the upload's
 * progress has been seen). Rows are committed: the group deletes them.
 */
test.group('Chatbot studio in chromium', (group) => {
  let pool: WorkerPool
  const organizations: number[] = []
  const users: number[] = []

  group.setup(async () => {
    await emptyQueue('high')
    await emptyQueue('low')
    pool = new WorkerPool().start(['high'])
    return async () => {
      await pool.close()
      await db.from('audit_logs').whereIn('organization_id', organizations).delete()
      await db.from('organizations').whereIn('id', organizations).delete()
      await db.from('users').whereIn('id', users).delete()
    }
  })
  group.each.setup(() => limiter.clear())

  test('the playground answers and shows the chunks used; an upload shows progress, then answers', async ({
    browserContext,
    assert,
    cleanup,
  }) => {
    const { organization, owner } = await createOrganization(unique('Studio Org'))
    organizations.push(organization.id)
    users.push(owner.id)
    const chatbot = await seedChatbot(organization, 'Studio bot')
    await TenantContext.run(organization.id, async () => {
      const source = await KnowledgeService.create(chatbot.id, {
        type: KnowledgeSourceType.Faq,
        title: 'Payments FAQ',
        items: [{ question: 'How do I pay for my order?', answer: 'By card or bank transfer.' }],
      })
      await KnowledgeService.index(source.id)
    })

    const page = await signIn(browserContext, owner.email)
    await page.getByRole('link', { name: 'Chatbots' }).click()
    await page.assertPath('/chatbots')
    await page.getByRole('link', { name: 'Studio bot' }).click()
    await page.getByRole('link', { name: 'Playground' }).first().click()

    await ask(page, 'how do I pay for my order?')
    await page.assertTextContains('.playground-reply', 'By card or bank transfer.')
    await page.assertTextContains('.reply-chunks', 'Payments FAQ')

    // An upload is pending with its progress bar until a worker indexes it.
    const file = join(tmpdir(), `zeppelin-${Date.now()}.txt`)
    await writeFile(file, 'The zeppelin hangar opens every morning at nine o clock sharp.')
    await page.getByRole('link', { name: 'Knowledge' }).first().click()
    await page.locator('#file-file').setInputFiles(file)
    await submitAndWait(page, page.getByRole('button', { name: 'Upload file' }))
    const row = page.locator('#knowledge-sources tr', { hasText: 'zeppelin' })
    await row.locator('[role="progressbar"]').waitFor()
    assert.oneOf(await row.getAttribute('data-status'), ['pending', 'indexing'])

    const indexer = new WorkerPool().start(['low'])
    cleanup(() => indexer.close())
    // htmx polls the table and stops once every source is indexed.
    await page
      .locator('#knowledge-sources tr[data-status="indexed"]', { hasText: 'zeppelin' })
      .waitFor()
    await page.locator('#knowledge-sources:not([data-polling])').waitFor()

    await page.getByRole('link', { name: 'Playground' }).first().click()
    await ask(page, 'when does the zeppelin hangar open?')
    await page.assertTextContains('.playground-reply >> nth=-1', 'nine')
    await page.assertTextContains('.playground-reply >> nth=-1', 'zeppelin')
  })
})
