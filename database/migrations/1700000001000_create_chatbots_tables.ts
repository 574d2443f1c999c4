import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Chatbots and their knowledge. Knowledge chunks carry a full-text index:
 * a generated `tsvector` with a GIN index on PostgreSQL, an external-content
 * FTS5 table kept in sync by triggers on SQLite (the quick start).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('chatbots', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table.string('name', 120).notNullable()
      table.string('description', 1000).nullable()
      table.string('status', 16).notNullable().defaultTo('draft')
      table.string('provider_type', 16).notNullable().defaultTo('builtin')
      // Encrypted JSON (the whole object, so secrets never sit in plain text).
      table.text('provider_settings').notNullable()
      table.text('system_prompt').nullable()
      table.string('welcome_message', 1000).nullable()
      table.string('fallback_message', 1000).nullable()
      table.double('temperature').notNullable().defaultTo(0.3)
      table.integer('max_reply_tokens').notNullable().defaultTo(512)
      table.string('public_key', 64).notNullable().unique()
      table.jsonb('allowed_origins').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.timestamp('deleted_at', { useTz: true }).nullable()

      table.index(['organization_id', 'status', 'id'])
      table.index(['organization_id', 'id'])
    })

    this.schema.createTable('knowledge_sources', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table
        .bigInteger('chatbot_id')
        .notNullable()
        .references('id')
        .inTable('chatbots')
        .onDelete('CASCADE')
      table.string('type', 16).notNullable()
      table.string('title', 200).notNullable()
      table.text('content').nullable()
      table.string('status', 16).notNullable().defaultTo('pending')
      table.integer('chunk_count').notNullable().defaultTo(0)
      table.string('error', 1000).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.timestamp('deleted_at', { useTz: true }).nullable()

      table.index(['organization_id', 'chatbot_id', 'status'])
      table.index(['organization_id', 'chatbot_id', 'type'])
    })

    this.schema.createTable('knowledge_chunks', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table
        .bigInteger('chatbot_id')
        .notNullable()
        .references('id')
        .inTable('chatbots')
        .onDelete('CASCADE')
      table
        .bigInteger('knowledge_source_id')
        .notNullable()
        .references('id')
        .inTable('knowledge_sources')
        .onDelete('CASCADE')
      table.integer('position').notNullable()
      table.text('content').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()

      table.unique(['knowledge_source_id', 'position'])
      table.index(['organization_id', 'chatbot_id'])
    })

    if (this.isPostgres()) {
      this.schema.raw(`
        alter table knowledge_chunks add column search_vector tsvector
          generated always as (to_tsvector('english'::regconfig, content)) stored
      `)
      this.schema.raw(
        'create index knowledge_chunks_search_vector_index on knowledge_chunks using gin (search_vector)'
      )
    } else {
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
    }
  }

  async down() {
    if (!this.isPostgres()) {
      this.schema.raw('drop trigger if exists knowledge_chunks_fts_update')
      this.schema.raw('drop trigger if exists knowledge_chunks_fts_delete')
      this.schema.raw('drop trigger if exists knowledge_chunks_fts_insert')
      this.schema.raw('drop table if exists knowledge_chunks_fts')
    }
    this.schema.dropTable('knowledge_chunks')
    this.schema.dropTable('knowledge_sources')
    this.schema.dropTable('chatbots')
  }

  protected isPostgres() {
    return this.db.dialect.name === 'postgres'
  }
}
