import ace from '@adonisjs/core/services/ace'

type RunOptions = {
  /** Whether the command may prompt (a terminal); false unless answers are given. */
  interactive?: boolean
  /**
   * Answers by prompt name or title: a string is typed in, `true`/`false`
   * accepts or declines a confirmation.
   */
  prompts?: Record<string, string | boolean>
}

/**
 * Runs `node ace <name> …argv` in the test process and returns the command
 * (for `assertSucceeded`, `assertExitCode`) with everything it printed.
 */
export async function runCommand(name: string, argv: string[], options: RunOptions = {}) {
  await ace.boot()
  ace.ui.logger.flushLogs()
  const instance = await ace.create(await ace.find(name), argv)
  const prompts = Object.entries(options.prompts ?? {})
  ;(instance as unknown as { interactive: boolean }).interactive =
    options.interactive ?? prompts.length > 0
  for (const [title, answer] of prompts) {
    const trap = instance.prompt.trap(title)
    if (answer === true) trap.accept()
    else if (answer === false) trap.reject()
    else trap.replyWith(answer)
  }
  await instance.exec()
  const output = instance.ui.logger
    .getLogs()
    .map((log) => log.message)
    .join('\n')
  return { command: instance, output }
}
