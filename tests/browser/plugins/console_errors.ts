import type { PluginFn } from '@japa/runner/types'
import { decoratorsCollection } from '@japa/browser-client'

declare module 'playwright' {
  interface BrowserContext {
    /** Console errors and uncaught exceptions of every page of this context so far. */
    consoleErrors: string[]
    /**
     * Lets console errors matching `pattern` pass the end-of-test check: a
     * page answered with 403/404 on purpose logs "Failed to load resource".
     */
    allowConsoleErrors(pattern: RegExp): void
  }
}

/**
 * Every page a browser test opens must run without console errors or
 * uncaught exceptions. Pages record them on their context; after each test
 * of `suites` the context must hold none (besides allowed ones), otherwise
 * the test fails listing them.
 */
export function consoleErrors(suites: string[]): PluginFn {
  decoratorsCollection.register({
    context(context) {
      const allowed: RegExp[] = []
      context.consoleErrors = []
      context.allowConsoleErrors = (pattern) => {
        allowed.push(pattern)
      }
      Object.defineProperty(context, 'unexpectedConsoleErrors', {
        get: () => context.consoleErrors.filter((line) => !allowed.some((p) => p.test(line))),
      })
    },
    page(page, context) {
      page.on('console', (message) => {
        if (message.type() !== 'error') return
        const where = message.location().url || page.url()
        context.consoleErrors.push(`console.error at ${where}: ${message.text()}`)
      })
      page.on('pageerror', (error) => {
        context.consoleErrors.push(`uncaught exception at ${page.url()}: ${error.message}`)
      })
    },
  })

  return ({ runner }) => {
    runner.onSuite((suite) => {
      if (!suites.includes(suite.name)) return
      suite.onGroup((group) => {
        group.each.setup((test) => (hasError: boolean) => {
          const context = test.context?.browserContext as
            { unexpectedConsoleErrors?: string[] } | undefined
          const errors = context?.unexpectedConsoleErrors ?? []
          if (!hasError && errors.length > 0) {
            throw new Error(`The pages logged console errors:\n${errors.join('\n')}`)
          }
        })
      })
    })
  }
}
