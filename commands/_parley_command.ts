import { BaseCommand } from '@adonisjs/core/ace'
import { SimpleMessagesProvider, errors as vineErrors } from '@vinejs/vine'
import type { VineValidator } from '@vinejs/vine'
import type { Infer, SchemaTypes } from '@vinejs/vine/types'
import ApiException from '#exceptions/api_exception'
import AuditService, { type AuditInput } from '#services/audit_service'

/**
 * A problem with what the command was given, fixable by whoever runs it.
 */
export class CommandInputError extends Error {}

/**
 * Base of Parley's own ace commands (the leading underscore keeps this file
 * out of the command list). Missing values are asked for only when a person
 * sits at a terminal; scripts and CI get an error naming the missing flag.
 * Errors a user can act on end the command with one line and exit code 1,
 * not a stack trace.
 */
export abstract class ParleyCommand extends BaseCommand {
  /**
   * Whether missing flags may be prompted for.
   */
  interactive = process.stdin.isTTY === true

  protected abstract handle(): Promise<void>

  async run() {
    try {
      await this.handle()
    } catch (error) {
      if ((error as { code?: string })?.code === 'E_PROMPT_CANCELLED') {
        this.logger.error('Cancelled: nothing was changed.')
      } else if (error instanceof ApiException || error instanceof CommandInputError) {
        this.logger.error(error.message)
      } else {
        throw error
      }
      this.exitCode = 1
    }
  }

  /**
   * `value` when given, else the answer to `ask` on a terminal.
   */
  protected async orAsk(
    option: string,
    value: string | undefined,
    ask: () => Promise<string>
  ): Promise<string> {
    if (value !== undefined) return value
    if (!this.interactive) {
      throw new CommandInputError(
        `Missing ${option}: pass it on the command line (prompts need an interactive terminal).`
      )
    }
    return ask()
  }

  /**
   * Runs a VineJS validator; its messages name fields as the flags they
   * come from (`owner_email` → `--owner-email`) unless `labels` says
   * otherwise (arguments).
   */
  protected async validate<Schema extends SchemaTypes>(
    validator: VineValidator<Schema, undefined>,
    data: Record<string, unknown>,
    labels: Record<string, string> = {}
  ): Promise<Infer<Schema>> {
    const fields = Object.fromEntries(
      Object.keys(data).map((key) => [key, labels[key] ?? `--${key.replaceAll('_', '-')}`])
    )
    try {
      return await validator.validate(data, {
        messagesProvider: new SimpleMessagesProvider({}, fields),
        meta: undefined,
      })
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      const messages = (error.messages as { message: string }[]).map(({ message }) => message)
      throw new CommandInputError(messages.join(' '))
    }
  }

  /**
   * Writes the audit entry of a change made from the command line (no
   * request, no authenticated actor).
   */
  protected audit(entry: AuditInput) {
    return AuditService.record({ message: `node ace ${this.commandName}`, ...entry })
  }
}
