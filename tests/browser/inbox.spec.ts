import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import Chatbot from '#models/chatbot'
import { TenantContext } from '#support/tenant_context'
import { ChatbotStatus, ProviderType } from '#enums/chatbots'
import { addMember, createOrganization } from '#tests/helpers/identity'
import { signIn, submitAndWait, unique } from '#tests/browser/support'

const base = () => `http://${process.env.HOST}:${process.env.PORT}`

/** A visitor of the public chat API, as the widget would be (no cookies). */
async function startVisitor(chatbot: Chatbot) {
  const started = await fetch(
    `${base()}/api/v1/public/chatbots/${chatbot.publicKey}/conversations`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify({ contact: { name: 'Browsing Visitor' } }),
    }
  )
  const { data } = (await started.json()) as any
  const headers = {
    'Content-Type': 'application/json',
    'Accept': 'application/json',
    'X-Visitor-Token': data.visitor_token as string,
  }
  const url = `${base()}/api/v1/public/conversations/${data.conversation_id}/messages`
  return {
    id: Number(data.conversation_id),
    async write(text: string) {
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ text }) })
      if (response.status !== 202) throw new Error(`message refused: ${response.status}`)
    },
    async messages() {
      const response = await fetch(`${url}?after=0`, { headers })
      return ((await response.json()) as any).data as Array<{ role: string; content: string }>
    },
  }
}

/**
 * The inbox against the real server: rows are committed, so the group
 * deletes the organizations (their rows cascade), users and audit rows it
 * created.
 */
test.group('Inbox in chromium', (group) => {
  const organizations: number[] = []
  const users: number[] = []

  group.setup(() => async () => {
    await db.from('audit_logs').whereIn('organization_id', organizations).delete()
    await db.from('organizations').whereIn('id', organizations).delete()
    await db.from('users').whereIn('id', users).delete()
  })
  group.each.setup(() => limiter.clear())

  async function setup() {
    const { organization, owner } = await createOrganization(unique('Inbox Org'))
    organizations.push(organization.id)
    const agent = await addMember(organization, 'agent')
    const viewer = await addMember(organization, 'viewer')
    users.push(owner.id, agent.id, viewer.id)
    const chatbot = await TenantContext.run(organization.id, () =>
      Chatbot.create({
        name: 'Shop helper',
        status: ChatbotStatus.Active,
        providerType: ProviderType.Builtin,
        providerSettings: {},
        welcomeMessage: 'Hi! Ask me anything.',
        temperature: 0.3,
        maxReplyTokens: 256,
        allowedOrigins: [],
      })
    )
    return { organization, owner, agent, viewer, chatbot }
  }

  test('a new conversation appears live; the agent takes over and replies; the transcript follows the visitor', async ({
    browserContext,
    assert,
  }) => {
    const { agent, chatbot } = await setup()
    const page = await signIn(browserContext, agent.email)
    await page.goto('/conversations')
    await page.assertTextContains('#inbox-list', 'No conversations')
    await page.waitForFunction(`document.documentElement.dataset.liveReady === 'true'`)

    const visitor = await startVisitor(chatbot)
    await visitor.write('Where is my parcel?')
    const row = page.locator(`tr[data-conversation-id="${visitor.id}"]`)
    await row.waitFor()
    await page.assertTextContains(`tr[data-conversation-id="${visitor.id}"]`, 'Browsing Visitor')

    await submitAndWait(page, row.getByRole('link', { name: 'Browsing Visitor' }))
    await page.assertPath(`/conversations/${visitor.id}`)
    await page.assertTextContains('#transcript', 'Where is my parcel?')
    await submitAndWait(page, page.getByRole('button', { name: 'Take over' }))
    await page.assertTextContains('#conversation-details', 'Human')
    await page.locator('#field-text').fill('Hello, a human here: it ships today.')
    await submitAndWait(page, page.getByRole('button', { name: 'Send reply' }))
    await page.assertTextContains('#transcript', 'Hello, a human here: it ships today.')

    const seen = await visitor.messages()
    assert.deepInclude(
      seen.map(({ role, content }) => ({ role, content })),
      { role: 'agent', content: 'Hello, a human here: it ships today.' }
    )

    await page.waitForFunction(`document.documentElement.dataset.liveReady === 'true'`)
    await visitor.write('Great, thank you!')
    await page.locator('#transcript', { hasText: 'Great, thank you!' }).waitFor()
    // The reply box kept its place (only the live regions were replaced).
    assert.equal(await page.locator('#field-text').count(), 1)
  })

  test('a viewer reads a conversation without reply box nor actions', async ({
    browserContext,
  }) => {
    const { viewer, chatbot } = await setup()
    const visitor = await startVisitor(chatbot)
    await visitor.write('Just looking')
    const page = await signIn(browserContext, viewer.email)
    await page.goto(`/conversations/${visitor.id}`)
    await page.assertTextContains('#transcript', 'Just looking')
    await page.assertNotExists('#field-text')
    await page.assertNotExists('button:has-text("Take over")')
  })
})
