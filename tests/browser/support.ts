import { randomUUID } from 'node:crypto'
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright'
import type { TestContext } from '@japa/runner/core'
import { USER_PASSWORD } from '#database/factories/user_factory'

/**
 * Browser tests run against the real server, outside any database
 * transaction: every test makes its own organization and users with
 * unique names so tests do not see each other's rows.
 */
export const unique = (prefix: string) => `${prefix} ${randomUUID().slice(0, 8)}`

export const uniqueEmail = (prefix: string) =>
  `${prefix}-${randomUUID().slice(0, 8)}@browser.parley.test`

/** A phone-sized viewport (iPhone 12–15). */
export const PHONE = { width: 390, height: 844 }

/**
 * Another browser context for the same test (another person, JavaScript
 * off…): its pages' console errors count in the test's end check, and it
 * is closed after the test.
 */
export async function openContext(
  {
    browser,
    browserContext,
    cleanup,
  }: Pick<TestContext, 'browser' | 'browserContext'> & {
    cleanup: (handler: () => Promise<void>) => void
  },
  options: BrowserContextOptions = {}
): Promise<BrowserContext> {
  const host = process.env.HOST
  const port = process.env.PORT
  const context = await (browser as Browser).newContext({
    baseURL: `http://${host}:${port}`,
    ...options,
  })
  context.consoleErrors = browserContext.consoleErrors
  cleanup(() => context.close())
  return context
}

/** Signs in through the login form; resolves once the next page has loaded. */
export async function signIn(
  context: BrowserContext,
  email: string,
  password: string = USER_PASSWORD
): Promise<Page> {
  const page = await context.visit('/login')
  await page.locator('#email').fill(email)
  await page.locator('#password').fill(password)
  await submitAndWait(page, page.getByRole('button', { name: 'Sign in' }))
  return page
}

/** Clicks a submit button and waits until the page it leads to has loaded. */
export async function submitAndWait(page: Page, button: Locator) {
  await Promise.all([page.waitForEvent('load'), button.click()])
}

/** The number shown in a dashboard card. */
export async function statValue(page: Page, id: string) {
  const text = await page.locator(`#${id} [data-value]`).textContent()
  return Number(text?.trim())
}
