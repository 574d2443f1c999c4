/*
|--------------------------------------------------------------------------
| Environment variables
|--------------------------------------------------------------------------
|
| Every variable Parley reads is declared and validated here; the app
| refuses to boot with a message naming the variable when one is missing or
| malformed. `.env.example` documents each of them.
*/
import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  /*
  | App
  */
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  HOST: Env.schema.string({ format: 'host' }),
  APP_KEY: Env.schema.string(),
  APP_NAME: Env.schema.string.optional(),
  APP_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  LOG_LEVEL: Env.schema.enum([
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const),

  /*
  | Database: PostgreSQL (`pg`) in production and tests, SQLite for the quick start
  */
  DB_CONNECTION: Env.schema.enum(['pg', 'sqlite'] as const),
  DB_HOST: Env.schema.string({ format: 'host' }),
  DB_PORT: Env.schema.number(),
  DB_USER: Env.schema.string(),
  DB_PASSWORD: Env.schema.string.optional(),
  DB_DATABASE: Env.schema.string(),
  DB_POOL_MAX: Env.schema.number.optional(),

  /*
  | Redis: queues, cache, rate limits, SSE fan-out
  */
  REDIS_HOST: Env.schema.string({ format: 'host' }),
  REDIS_PORT: Env.schema.number(),
  REDIS_PASSWORD: Env.schema.string.optional(),
  REDIS_DB: Env.schema.number.optional(),
  QUEUE_PREFIX: Env.schema.string.optional(),
  // Queue retention, worker heartbeats and the scheduled health snapshot (config/queue.ts, app/jobs/schedule.ts)
  QUEUE_KEEP_COMPLETED: Env.schema.number.optional(),
  QUEUE_COMPLETED_MAX_AGE_HOURS: Env.schema.number.optional(),
  QUEUE_KEEP_FAILED: Env.schema.number.optional(),
  QUEUE_FAILED_RETENTION_DAYS: Env.schema.number.optional(),
  QUEUE_HEARTBEAT_MS: Env.schema.number.optional(),
  HEALTH_SNAPSHOT_EVERY_MS: Env.schema.number.optional(),

  /*
  | Sessions and rate limits
  */
  SESSION_DRIVER: Env.schema.enum(['cookie', 'redis', 'memory'] as const),
  LIMITER_STORE: Env.schema.enum(['redis', 'memory'] as const),

  /*
  | Identity
  */
  REGISTRATION_ENABLED: Env.schema.boolean.optional(),
  TOKEN_DEFAULT_EXPIRY: Env.schema.string.optional(),
  // how long a web process keeps a token's and a member's identity rows (0 = off)
  AUTH_CACHE_TTL_MS: Env.schema.number.optional(),

  /*
  | Operations
  */
  HEALTH_TOKEN: Env.schema.string.optional(),
  STORAGE_PATH: Env.schema.string.optional(),
  AUDIT_RETENTION_DAYS: Env.schema.number.optional(),
  // bench/ only: the /bench routes and the X-Query-Count header (start/routes/bench.ts)
  BENCH_ROUTES: Env.schema.boolean.optional(),

  /*
  | Knowledge: chunk size and overlap, in characters
  */
  KNOWLEDGE_CHUNK_SIZE: Env.schema.number.optional(),
  KNOWLEDGE_CHUNK_OVERLAP: Env.schema.number.optional(),
  QUEUE_LOCK_DURATION_MS: Env.schema.number.optional(),
  CHAT_REPLY_ATTEMPTS: Env.schema.number.optional(),
  CHAT_REPLY_BACKOFF_MS: Env.schema.number.optional(),
  CHAT_SWEEP_EVERY_MS: Env.schema.number.optional(),

  /*
  | Mail: `local` stores messages under tmp/mail; production must choose
  | explicitly, and `smtp` needs SMTP_HOST and SMTP_PORT
  */
  MAIL_MAILER: Env.schema.enum.optionalWhen(process.env.NODE_ENV !== 'production', [
    'smtp',
    'local',
  ] as const),
  MAIL_FROM_ADDRESS: Env.schema.string.optional({ format: 'email' }),
  MAIL_FROM_NAME: Env.schema.string.optional(),
  SMTP_HOST: Env.schema.string.optionalWhen(() => process.env.MAIL_MAILER !== 'smtp', {
    format: 'host',
  }),
  SMTP_PORT: Env.schema.number.optionalWhen(() => process.env.MAIL_MAILER !== 'smtp'),
  SMTP_USERNAME: Env.schema.string.optional(),
  SMTP_PASSWORD: Env.schema.string.optional(),
  PASSWORD_RESET_EXPIRY_MINUTES: Env.schema.number.optional(),
  EMAIL_VERIFICATION_EXPIRY_HOURS: Env.schema.number.optional(),
})
