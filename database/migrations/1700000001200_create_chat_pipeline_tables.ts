import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What the message pipeline and knowledge ingestion need beyond the first
 * chatbot tables:
 * - `chat_outbox`: one row per accepted message, written in the same
 *   transaction as the message and deleted once its job is on the queue;
 *   the sweeper enqueues the rows left behind (Redis down at ingest).
 * - knowledge: indexing progress and the uploaded file's name on sources;
 *   a `heading` (an FAQ's question) on chunks, weighted above the body in
 *   the full-text index.
 * - conversations: the hash of the visitor token of the public chat API.
 * - messages: `meta` (for assistant replies, the knowledge chunks used) and
 *   the author of agent messages.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('chat_outbox', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table
        .bigInteger('message_id')
        .notNullable()
        .unique()
        .references('id')
        .inTable('messages')
        .onDelete('CASCADE')
      table.timestamp('created_at', { useTz: true }).notNullable()

      table.index(['created_at'])
    })

    this.schema.alterTable('knowledge_sources', (table) => {
      table.smallint('progress').notNullable().defaultTo(0)
      table.string('file_name', 255).nullable()
    })

    this.schema.alterTable('knowledge_chunks', (table) => {
      table.text('heading').nullable()
    })

    this.schema.alterTable('conversations', (table) => {
      table.string('visitor_token_hash', 64).nullable().unique()
      // The conversations list's channel filter.
      table.index(['organization_id', 'channel', 'last_message_at'])
    })

    this.schema.alterTable('messages', (table) => {
      table.jsonb('meta').nullable()
      // The member who wrote an agent message.
      table
        .bigInteger('author_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
    })

    if (this.isPostgres()) {
      this.schema.raw('drop index if exists knowledge_chunks_search_vector_index')
      this.schema.raw('alter table knowledge_chunks drop column search_vector')
      this.schema.raw(`
        alter table knowledge_chunks add column search_vector tsvector
          generated always as (
            setweight(to_tsvector('english'::regconfig, coalesce(heading, '')), 'A') ||
            setweight(to_tsvector('english'::regconfig, content), 'B')
          ) stored
      `)
      this.schema.raw(
        'create index knowledge_chunks_search_vector_index on knowledge_chunks using gin (search_vector)'
      )
    } else {
      this.dropSqliteIndex()
      this.schema.raw(`
        create virtual table knowledge_chunks_fts using fts5(
          heading, content, content='knowledge_chunks', content_rowid='id',
          tokenize='porter unicode61'
        )
      `)
      this.schema.raw(`
        create trigger knowledge_chunks_fts_insert after insert on knowledge_chunks begin
          insert into knowledge_chunks_fts (rowid, heading, content)
            values (new.id, coalesce(new.heading, ''), new.content);
        end
      `)
      this.schema.raw(`
        create trigger knowledge_chunks_fts_delete after delete on knowledge_chunks begin
          insert into knowledge_chunks_fts (knowledge_chunks_fts, rowid, heading, content)
            values ('delete', old.id, coalesce(old.heading, ''), old.content);
        end
      `)
      this.schema.raw(`
        create trigger knowledge_chunks_fts_update after update on knowledge_chunks begin
          insert into knowledge_chunks_fts (knowledge_chunks_fts, rowid, heading, content)
            values ('delete', old.id, coalesce(old.heading, ''), old.content);
          insert into knowledge_chunks_fts (rowid, heading, content)
            values (new.id, coalesce(new.heading, ''), new.content);
        end
      `)
      this.schema.raw("insert into knowledge_chunks_fts (knowledge_chunks_fts) values ('rebuild')")
    }
  }

  async down() {
    if (this.isPostgres()) {
      this.schema.raw('drop index if exists knowledge_chunks_search_vector_index')
      this.schema.raw('alter table knowledge_chunks drop column search_vector')
      this.schema.raw(`
        alter table knowledge_chunks add column search_vector tsvector
          generated always as (to_tsvector('english'::regconfig, content)) stored
      `)
      this.schema.raw(
        'create index knowledge_chunks_search_vector_index on knowledge_chunks using gin (search_vector)'
      )
    } else {
      this.dropSqliteIndex()
      this.schema.raw(`
        create virtual table knowledge_chunks_fts using fts5(
          content, content='knowledge_chunks', content_rowid='id', tokenize='porter unicode61'
        )
      `)
      this.schema.raw(`
        create trigger knowledge_chunks_fts_insert after insert on knowledge_chunks begin
          insert into knowledge_chunks_fts (rowid, content) values (new.id, new.content);
        end
      `)
      this.schema.raw(`
        create trigger knowledge_chunks_fts_delete after delete on knowledge_chunks begin
          insert into knowledge_chunks_fts (knowledge_chunks_fts, rowid, content)
            values ('delete', old.id, old.content);
        end
      `)
      this.schema.raw(`
        create trigger knowledge_chunks_fts_update after update on knowledge_chunks begin
          insert into knowledge_chunks_fts (knowledge_chunks_fts, rowid, content)
            values ('delete', old.id, old.content);
          insert into knowledge_chunks_fts (rowid, content) values (new.id, new.content);
        end
      `)
      this.schema.raw("insert into knowledge_chunks_fts (knowledge_chunks_fts) values ('rebuild')")
    }

    this.schema.alterTable('messages', (table) => {
      table.dropColumn('author_user_id')
      table.dropColumn('meta')
    })
    this.schema.alterTable('conversations', (table) => {
      table.dropIndex(['organization_id', 'channel', 'last_message_at'])
      table.dropColumn('visitor_token_hash')
    })
    this.schema.alterTable('knowledge_chunks', (table) => table.dropColumn('heading'))
    this.schema.alterTable('knowledge_sources', (table) => {
      table.dropColumn('progress')
      table.dropColumn('file_name')
    })
    this.schema.dropTable('chat_outbox')
  }

  protected dropSqliteIndex() {
    this.schema.raw('drop trigger if exists knowledge_chunks_fts_update')
    this.schema.raw('drop trigger if exists knowledge_chunks_fts_delete')
    this.schema.raw('drop trigger if exists knowledge_chunks_fts_insert')
    this.schema.raw('drop table if exists knowledge_chunks_fts')
  }

  protected isPostgres() {
    return this.db.dialect.name === 'postgres'
  }
}
