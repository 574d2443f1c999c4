/**
 * `npm run screenshots`: full-page PNGs of the console's main pages in
 * docs/screenshots/, so a reviewer can look without running a browser.
 * Starts what it needs: Redis (and PostgreSQL when DB_CONNECTION=pg), a
 * database of its own (<DB_DATABASE>_screenshots, migrated afresh and
 * seeded with the demo data), the web server on a free port and Debian's
 * chromium; signs in as the demo owner and the platform admin.
 * To add a page, add a line to PAGES.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, relative } from 'node:path'
import { chromium } from 'playwright-core'
import { appProcesses } from './lib/app.mjs'
import { ensureChromium } from './lib/chromium.mjs'
import { ROOT, ensureEnvFile, loadEnv } from './lib/env.mjs'
import { SetupError, log, main } from './lib/log.mjs'
import { runChecked } from './lib/process.mjs'
import { ensureBackingServices } from './lib/services.mjs'
import { waitUntil } from './lib/system.mjs'

const OUTPUT_DIR = join(ROOT, 'docs/screenshots')
const SERVER_LOG = join(ROOT, 'tmp/screenshots-server.log')
const READY_TIMEOUT_MS = 60_000
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

/** The demo seeder's logins (database/seeders/main_seeder.ts). */
const USERS = {
  owner: { email: 'owner@demo.parley.test', password: 'demo-owner-lantern-42' },
  admin: { email: 'admin@parley.test', password: 'platform-admin-orbit-42' },
}

/** First link on the page whose path matches: detail pages of seeded rows. */
const firstLink = (pattern) => async (page) => {
  for (const href of await page
    .locator('a[href]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')))) {
    if (pattern.test(new URL(href, page.url()).pathname)) return href
  }
  return null
}

/**
 * Two more organizations beside the demo one, so the queue monitor's
 * per-organization view has several tenants to compare.
 */
const LOAD_ORGANIZATIONS = [
  { name: 'Northwind Support', email: 'owner@northwind.demo.parley.test' },
  { name: 'Harbor Bikes', email: 'owner@harbor.demo.parley.test' },
]
const LOAD_OWNER_PASSWORD = 'demo-load-harbor-42'

/** Runs a TypeScript file of the app with its loader (scripts/lib/queue_load.ts). */
const TS_LOADER = '--import=ts-node-maintained/register/esm'

/**
 * name: file name; as: who is signed in (none: signed out); path: a URL, or
 * { from, link } to open the first link matching `link` on page `from`
 * (itself a path); before: what to do before opening the page (gets
 * { runScript }); steps: what to do on the page before the screenshot.
 */
const PAGES = [
  { name: 'login', path: '/login' },
  { name: 'dashboard', as: 'owner', path: '/' },
  { name: 'dashboard-phone', as: 'owner', path: '/', viewport: PHONE },
  { name: 'members', as: 'owner', path: '/members' },
  { name: 'invitations', as: 'owner', path: '/invitations' },
  { name: 'roles', as: 'owner', path: '/roles' },
  { name: 'role-new', as: 'owner', path: '/roles/create' },
  { name: 'tokens', as: 'owner', path: '/tokens' },
  { name: 'audit-log', as: 'owner', path: '/audit-logs' },
  { name: 'audit-detail', as: 'owner', path: { from: '/audit-logs', link: /^\/audit-logs\/\d+$/ } },
  { name: 'settings', as: 'owner', path: '/settings' },
  { name: 'profile', as: 'owner', path: '/profile' },
  { name: 'platform-organizations', as: 'admin', path: '/admin/organizations' },
  { name: 'platform-users', as: 'admin', path: '/admin/users' },
  { name: 'platform-audit-log', as: 'admin', path: '/admin/audit-logs' },
  // The chatbot studio: list, the demo chatbot's settings, knowledge and playground.
  { name: 'chatbots', as: 'owner', path: '/chatbots' },
  { name: 'chatbot-edit', as: 'owner', path: { from: '/chatbots', link: /^\/chatbots\/\d+$/ } },
  {
    name: 'chatbot-knowledge',
    as: 'owner',
    path: { from: '/chatbots', link: /^\/chatbots\/\d+\/knowledge$/ },
  },
  {
    name: 'chatbot-playground',
    as: 'owner',
    path: { from: '/chatbots', link: /^\/chatbots\/\d+\/playground$/ },
    // The script runs no worker, so the question is typed but not sent.
    steps: async (page) => {
      await page.locator('#playground-text').fill('How much does Parley cost?')
    },
  },
  {
    // The demo chatbot's demo page (linked from its studio page), the widget open, a question answered.
    name: 'widget',
    as: 'owner',
    path: { from: { from: '/chatbots', link: /^\/chatbots\/\d+$/ }, link: /^\/demo\/pk_/ },
    steps: async (page) => {
      await page.getByRole('button', { name: 'Open chat' }).click()
      await page.getByRole('log').locator('.msg').first().waitFor()
      await page.getByRole('textbox', { name: 'Your message' }).fill('How much does Parley cost?')
      await page.keyboard.press('Enter')
      await page.getByRole('log').getByText('How much does Parley cost?').waitFor()
      // The worker answers: welcome, question, reply.
      await page
        .getByRole('log')
        .locator('.msg:not(.typing) .text')
        .nth(2)
        .waitFor({ timeout: 15_000 })
    },
  },
  // After the widget: its visitor's conversation is in the inbox.
  { name: 'inbox', as: 'owner', path: '/conversations' },
  {
    name: 'conversation',
    as: 'owner',
    path: { from: '/conversations', link: /^\/conversations\/\d+$/ },
  },
  {
    // The queue monitor under load: over a thousand real jobs across the
    // organizations, some failing, dispatched while the worker runs.
    name: 'queue-monitor',
    as: 'admin',
    path: '/admin/queues',
    before: async ({ runScript }) => {
      await runScript('scripts/lib/queue_load.ts', 'load')
      await new Promise((resolve) => setTimeout(resolve, 1000))
    },
  },
  { name: 'queue-failed-jobs', as: 'admin', path: '/admin/queues/low?state=failed' },
]

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/**
 * The web server and a worker (so the chatbot answers on the widget and
 * conversation pages), their output in tmp/ (shown when it fails).
 */
function startServer(env) {
  const output = openSync(SERVER_LOG, 'w')
  const children = appProcesses({ web: true, worker: true, env }).map((spec) =>
    spawn(spec.command, spec.args, { cwd: spec.cwd, env, stdio: ['ignore', output, output] })
  )
  return {
    /** The web server's exit code (null while it runs). */
    get exitCode() {
      return children[0].exitCode
    },
    kill: (signal) => children.forEach((child) => child.kill(signal)),
  }
}

const serverOutput = () => readFileSync(SERVER_LOG, 'utf8').split('\n').slice(-30).join('\n')

async function signIn(browser, contextOptions, { email, password }) {
  const context = await browser.newContext(contextOptions)
  const page = await context.newPage()
  await page.goto('/login')
  await page.locator('#email').fill(email)
  await page.locator('#password').fill(password)
  await Promise.all([
    page.waitForEvent('load'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ])
  if (new URL(page.url()).pathname === '/login') {
    throw new SetupError(`signing in as ${email} failed: is the demo seeder's password unchanged?`)
  }
  await page.close()
  return context
}

async function resolvePath(context, path) {
  if (typeof path === 'string') return path
  const from = await resolvePath(context, path.from)
  if (!from) return null
  const page = await context.newPage()
  await page.goto(from)
  const href = await firstLink(path.link)(page)
  await page.close()
  return href
}

main(async () => {
  ensureEnvFile()
  const base = loadEnv('development')
  const env = {
    ...base,
    NODE_ENV: 'development',
    DB_DATABASE: `${base.DB_DATABASE ?? 'parley'}_screenshots`,
    QUEUE_PREFIX: `${base.QUEUE_PREFIX ?? 'parley'}-screenshots`,
    LIMITER_STORE: 'memory',
    SESSION_DRIVER: 'cookie',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  }
  await ensureBackingServices(env)
  const executablePath = await ensureChromium(env)
  mkdirSync(OUTPUT_DIR, { recursive: true })

  const node = process.execPath
  const aceOptions = { env: { ...process.env, ...env } }
  log(`preparing the ${env.DB_CONNECTION} database ${env.DB_DATABASE} with the demo data`)
  if (env.DB_CONNECTION === 'sqlite') {
    // A new file: Lucid's migration:fresh cannot drop SQLite's FTS5 shadow tables.
    for (const suffix of ['', '-wal', '-shm']) {
      rmSync(join(ROOT, 'tmp', `${env.DB_DATABASE}.sqlite3${suffix}`), { force: true })
    }
    await runChecked(node, ['ace', 'migration:run', '--force'], aceOptions)
  } else {
    await runChecked(node, ['ace', 'migration:fresh', '--force'], aceOptions)
  }
  await runChecked(node, ['ace', 'db:seed'], aceOptions)
  for (const { name, email } of LOAD_ORGANIZATIONS) {
    await runChecked(
      node,
      [
        'ace',
        'org:create',
        name,
        `--owner-email=${email}`,
        `--owner-password=${LOAD_OWNER_PASSWORD}`,
      ],
      aceOptions
    )
  }
  // Jobs and monitor counters of an earlier run are gone before the worker starts.
  const runScript = (file, ...args) => runChecked(node, [TS_LOADER, file, ...args], aceOptions)
  await runScript('scripts/lib/queue_load.ts', 'reset')

  const baseURL = `http://${env.HOST}:${env.PORT}`
  log(`starting the web server on ${baseURL}`)
  const server = startServer({ ...process.env, ...env })
  let browser
  try {
    const ready = await waitUntil(
      async () => {
        if (server.exitCode !== null) return true
        try {
          return (await fetch(`${baseURL}/api/ping`)).status === 200
        } catch {
          return false
        }
      },
      READY_TIMEOUT_MS,
      500
    )
    if (!ready || server.exitCode !== null) {
      throw new SetupError(`the web server did not start; its last output:\n${serverOutput()}`)
    }

    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true })
    // One context per user and width, signed in once.
    const contexts = new Map()
    const contextFor = async (as, viewport) => {
      const key = `${as ?? 'guest'}:${viewport.width}`
      if (!contexts.has(key)) {
        const options = { baseURL, viewport }
        contexts.set(
          key,
          as ? await signIn(browser, options, USERS[as]) : await browser.newContext(options)
        )
      }
      return contexts.get(key)
    }

    const saved = []
    const skipped = []
    for (const entry of PAGES) {
      await entry.before?.({ runScript })
      const context = await contextFor(entry.as, entry.viewport ?? DESKTOP)
      const path = await resolvePath(context, entry.path)
      if (!path) {
        skipped.push(`${entry.name} (no link to it)`)
        continue
      }
      const page = await context.newPage()
      const errors = []
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
      page.on('pageerror', (error) => errors.push(error.message))
      const response = await page.goto(path)
      if (!response || response.status() >= 400) {
        skipped.push(`${entry.name} (${path} answered ${response?.status()})`)
        await page.close()
        continue
      }
      // Charts animate in; wait for the page to settle.
      await page.waitForLoadState('networkidle')
      await entry.steps?.(page)
      await page.waitForTimeout(600)
      const file = join(OUTPUT_DIR, `${entry.name}.png`)
      await page.screenshot({ path: file, fullPage: true })
      const size = Math.round(statSync(file).size / 1024)
      saved.push(`${relative(ROOT, file)} (${path}, ${size} KB)`)
      if (errors.length) log(`${entry.name}: console errors: ${errors.join(' | ')}`)
      await page.close()
    }

    log(`${saved.length} screenshots in ${relative(ROOT, OUTPUT_DIR)}/:`)
    saved.forEach((line) => console.log(`  ${line}`))
    if (skipped.length) log(`skipped: ${skipped.join(', ')}`)
    return saved.length > 0 ? 0 : 1
  } finally {
    await browser?.close()
    server.kill('SIGTERM')
  }
})
