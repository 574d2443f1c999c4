/**
 * What the HTTP scenarios need in the bench database besides the demo
 * seed: a full page of chatbots in Demo Company, created through the API
 * like a client would, and both kinds of credentials.
 */
import { DEMO_OWNER } from './env.mjs'
import { apiLogin, consoleLogin } from './auth.mjs'

/** Chatbots of Demo Company after fixture(): one from the seeder, the rest from here. */
export const CHATBOTS = 20

/** Logs in as the demo owner, tops Demo Company up to CHATBOTS chatbots; { token, cookie, chatbotIds }. */
export async function fixture(url) {
  const { token } = await apiLogin(url, DEMO_OWNER)
  const headers = { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' }
  const list = async () =>
    (await (await fetch(`${url}/api/v1/chatbots?per_page=100`, { headers })).json()).data
  const existing = await list()
  for (let i = existing.length; i < CHATBOTS; i++) {
    const response = await fetch(`${url}/api/v1/chatbots`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `Bench bot ${i + 1}`, description: 'Created by bench/' }),
    })
    if (response.status !== 201) {
      throw new Error(`creating a chatbot answered ${response.status}: ${await response.text()}`)
    }
  }
  const chatbotIds = (await list()).map((chatbot) => chatbot.id)
  const cookie = await consoleLogin(url, DEMO_OWNER)
  return { token, cookie, chatbotIds, auth: { authorization: `Bearer ${token}` } }
}
