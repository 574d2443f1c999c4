import vine from '@vinejs/vine'
import { KnowledgeSourceType } from '#enums/chatbots'

export const MAX_TITLE = 200
export const MAX_CONTENT = 200_000
export const MAX_FAQ_ITEMS = 500
export const MAX_QUESTION = 1000
export const MAX_ANSWER = 5000

/** The source types that can be added as JSON (files come as uploads). */
const JSON_TYPES = [KnowledgeSourceType.Text, KnowledgeSourceType.Faq] as const

/**
 * A text source `{type: 'text', title, content}` or an FAQ source
 * `{type: 'faq', title, items: [{question, answer}]}`.
 */
export const createKnowledgeValidator = vine.compile(
  vine
    .object({
      type: vine.enum(JSON_TYPES),
      title: vine.string().trim().minLength(1).maxLength(MAX_TITLE),
    })
    .merge(
      vine
        .group([
          vine.group.if((data) => data.type === KnowledgeSourceType.Text, {
            content: vine.string().trim().minLength(1).maxLength(MAX_CONTENT),
          }),
          vine.group.if((data) => data.type === KnowledgeSourceType.Faq, {
            items: vine
              .array(
                vine.object({
                  question: vine.string().trim().minLength(1).maxLength(MAX_QUESTION),
                  answer: vine.string().trim().minLength(1).maxLength(MAX_ANSWER),
                })
              )
              .minLength(1)
              .maxLength(MAX_FAQ_ITEMS),
          }),
        ])
        .otherwise(() => {
          // An unknown type is already reported by `type`.
        })
    )
)
