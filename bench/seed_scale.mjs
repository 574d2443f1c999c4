/**
 * Seeds the scale scenario's volume into a bench database in seconds, with
 * PostgreSQL's INSERT … SELECT generate_series: conversations (with one
 * contact each) spread over the organization's chatbots, their messages
 * (alternating user / assistant, delivered), and audit entries, all in
 * Demo Company (slug `demo`) over the last 90 days, then ANALYZE.
 *
 *   node bench/seed_scale.mjs [--messages=1000000] [--audit=100000]
 *                             [--conversations=10000] [--quick]   (--quick: 50k / 10k)
 *
 * It writes to the database of benchEnv() (BENCH_DB, default parley_bench),
 * which must be migrated and seeded with the demo data first.
 */
import pg from 'pg'
import { postgresConfig } from '../scripts/lib/postgres.mjs'
import { benchEnv } from './lib/index.mjs'

const AUDIT_ACTIONS = [
  'chatbot.updated',
  'chatbot.created',
  'conversation.replied',
  'conversation.assigned',
  'member.invited',
  'member.updated',
  'token.created',
  'auth.login',
  'role.updated',
  'organization.updated',
]

/** --name=value flags as numbers, with defaults. */
export function scaleOptions(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick')
  const flag = (name, fallback) => {
    const value = argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1]
    return value === undefined ? fallback : Number(value)
  }
  const messages = flag('messages', quick ? 50_000 : 1_000_000)
  return {
    messages,
    audit: flag('audit', quick ? 10_000 : 100_000),
    conversations: flag('conversations', Math.max(1, Math.min(10_000, Math.ceil(messages / 20)))),
  }
}

/** Inserts the rows; returns { organizationId, chatbots, seconds } and the counts. */
export async function seedScale(env, { messages, audit, conversations }) {
  const client = new pg.Client(postgresConfig(env))
  await client.connect()
  const started = Date.now()
  try {
    const org = await client.query("SELECT id FROM organizations WHERE slug = 'demo'")
    if (!org.rowCount) throw new Error('no Demo Company (slug demo): run the demo seeder first')
    const organizationId = org.rows[0].id
    const bots = await client.query(
      'SELECT id FROM chatbots WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY id',
      [organizationId]
    )
    const chatbotIds = bots.rows.map((row) => row.id)
    const owner = await client.query("SELECT id FROM users WHERE email = 'owner@demo.parley.test'")
    const ownerId = owner.rows[0]?.id ?? null

    await client.query('BEGIN')
    // One contact per conversation, tagged so they can be told apart from real ones.
    const contacts = await client.query(
      `INSERT INTO contacts (organization_id, external_id, name, first_seen_at, last_seen_at, created_at, updated_at)
       SELECT $1, 'bench-' || g || '-' || $3, 'Visitor ' || g, now(), now(), now(), now()
       FROM generate_series(1, $2) AS g
       RETURNING id`,
      [organizationId, conversations, started]
    )
    const contactIds = contacts.rows.map((row) => row.id)

    // Conversations: last activity spread over 90 days, a few statuses and channels.
    const created = await client.query(
      `INSERT INTO conversations (organization_id, chatbot_id, contact_id, channel, status,
                                  last_message_at, created_at, updated_at)
       SELECT $1, ($2::bigint[])[1 + (i % cardinality($2::bigint[]))], c.id,
              (ARRAY['widget','api','console'])[1 + (i % 3)],
              (ARRAY['open','resolved','resolved','handoff'])[1 + (i % 4)],
              now() - (i * interval '90 days' / $4), now() - interval '91 days',
              now() - (i * interval '90 days' / $4)
       FROM unnest($3::bigint[]) WITH ORDINALITY AS c(id, i)
       RETURNING id`,
      [organizationId, chatbotIds, contactIds, conversations]
    )
    const conversationIds = created.rows.map((row) => row.id)

    // Messages: `messages` rows dealt round-robin over the conversations, each
    // conversation's in time order, ending at its last activity.
    await client.query(
      `INSERT INTO messages (organization_id, conversation_id, role, content, status, provider,
                             created_at, updated_at)
       SELECT $1, conv.id,
              CASE WHEN (g / $3) % 2 = 0 THEN 'user' ELSE 'assistant' END,
              CASE WHEN (g / $3) % 2 = 0 THEN 'Question ' || g || ': how much does Parley cost?'
                   ELSE 'Answer ' || g || ': see the pricing page, plans start free.' END,
              'delivered',
              CASE WHEN (g / $3) % 2 = 0 THEN NULL ELSE 'builtin' END,
              conv.last_message_at - ((($4 - 1 - g) / $3) * interval '1 minute'),
              conv.last_message_at - ((($4 - 1 - g) / $3) * interval '1 minute')
       FROM generate_series(0, $4 - 1) AS g
       JOIN conversations conv ON conv.id = ($2::bigint[])[1 + (g % $3)]
       ORDER BY g`,
      [organizationId, conversationIds, conversationIds.length, messages]
    )
    // Who spoke last, as the services record it with each message (the inbox badge reads it).
    await client.query(
      `UPDATE conversations SET last_message_role = (
         SELECT m.role FROM messages m
         WHERE m.conversation_id = conversations.id AND m.role <> 'system'
         ORDER BY m.id DESC LIMIT 1)
       WHERE id = ANY($1::bigint[])`,
      [conversationIds]
    )

    await client.query(
      `INSERT INTO audit_logs (organization_id, actor_user_id, action, status, http_status, message,
                               subject_type, subject_id, ip, user_agent, request_id, method, path,
                               duration_ms, changes, created_at)
       SELECT $1, $2, ($3::text[])[1 + (g % cardinality($3::text[]))],
              CASE WHEN g % 20 = 0 THEN 'error' ELSE 'success' END,
              CASE WHEN g % 20 = 0 THEN 422 ELSE 200 END,
              'Seeded by bench/seed_scale.mjs', 'chatbot', (1 + g % 20)::text, '127.0.0.1',
              'bench', 'bench-' || g, 'PATCH', '/api/v1/chatbots/' || (1 + g % 20), 12,
              '{"before":{"description":"a"},"after":{"description":"b"}}'::jsonb,
              now() - (g * interval '90 days' / $4)
       FROM generate_series(1, $4) AS g`,
      [organizationId, ownerId, AUDIT_ACTIONS, audit]
    )
    await client.query('COMMIT')
    // As autovacuum would leave a table this size: statistics, and the visibility map
    // index-only scans (counts) rely on.
    await client.query('VACUUM (ANALYZE) contacts, conversations, messages, audit_logs')
    return {
      organizationId,
      chatbots: chatbotIds.length,
      conversations,
      messages,
      audit,
      seconds: (Date.now() - started) / 1000,
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    await client.end()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = scaleOptions()
  const result = await seedScale(benchEnv(), options)
  console.log(
    `seeded ${result.messages.toLocaleString('en-US')} messages in ` +
      `${result.conversations.toLocaleString('en-US')} conversations over ${result.chatbots} ` +
      `chatbots and ${result.audit.toLocaleString('en-US')} audit entries in ${result.seconds} s`
  )
}
