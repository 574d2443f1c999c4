import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { HttpContext } from '@adonisjs/core/http'
import { defineConfig, destination, targets } from '@adonisjs/core/logger'

/**
 * Logs are JSON lines in production (one object per line, each carrying the
 * request id of the request that wrote it) and pretty-printed in
 * development. Secrets are redacted by pino before a line is written.
 */
const loggerConfig = defineConfig({
  default: 'app',

  loggers: {
    app: {
      enabled: true,
      name: env.get('APP_NAME', 'parley'),
      level: env.get('LOG_LEVEL'),

      /**
       * Every line written while a request is handled carries its id, even
       * from code that logs through the global logger service.
       */
      mixin() {
        const ctx = HttpContext.get()
        return ctx ? { request_id: ctx.request.id() } : {}
      },
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
          'api_key',
          '*.api_key',
        ],
        censor: '[redacted]',
      },
      /**
       * Tests write synchronously to a file so a test can read the lines a
       * request produced; elsewhere JSON goes to stdout (pretty in dev).
       */
      ...(app.inTest
        ? {
            desination: destination({
              dest: app.tmpPath('logs/test.log'),
              sync: true,
              mkdir: true,
            }),
          }
        : {
            transport: {
              targets: targets()
                .pushIf(!app.inProduction, targets.pretty())
                .pushIf(app.inProduction, targets.file({ destination: 1 }))
                .toArray(),
            },
          }),
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
