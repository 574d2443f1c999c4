import vine from '@vinejs/vine'
import { ConversationChannel, ConversationStatus } from '#enums/chatbots'

/** Longest message a user, visitor or agent may send (config/chat.ts says the same). */
export const MAX_MESSAGE_LENGTH = 4000

const id = () => vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER)

/**
 * The end user a message comes from. `external_id` is the organization's
 * own id for them: messages with the same one reach the same contact.
 * Metadata is a flat object of at most 20 short values.
 */
const contactObject = () =>
  vine.object({
    external_id: vine.string().trim().minLength(1).maxLength(191).optional(),
    name: vine.string().trim().maxLength(120).nullable().optional(),
    email: vine.string().trim().email().maxLength(254).nullable().optional(),
    metadata: vine
      .record(vine.unionOfTypes([vine.string().maxLength(500), vine.number(), vine.boolean()]))
      .maxLength(20)
      .optional(),
  })

export const contactValidator = contactObject().optional()

/**
 * `contact`: the contact, or just its external id as a string
 * (`"contact": "crm-42"`).
 */
const contactOrExternalId = () =>
  vine.group([
    vine.group.if((data) => vine.helpers.isString(data.contact), {
      contact: vine
        .string()
        .trim()
        .minLength(1)
        .maxLength(191)
        .transform((externalId) => ({ external_id: externalId })),
    }),
    vine.group.else({ contact: contactValidator }),
  ])

export const messageText = () => vine.string().trim().minLength(1).maxLength(MAX_MESSAGE_LENGTH)

/**
 * `POST /api/v1/chatbots/:id/messages`: a user's message to a chatbot, in
 * a new conversation or an existing one; `wait` answers with the reply.
 */
export const chatbotMessageValidator = vine.compile(
  vine
    .object({
      text: messageText(),
      conversation_id: id().optional(),
      wait: vine.boolean().optional(),
      wait_timeout_ms: vine.number().withoutDecimals().min(100).max(30_000).optional(),
    })
    .merge(contactOrExternalId())
)

/** The inbox's assignment filter: mine, nobody's, or anyone's (no filter). */
export const ASSIGNED_FILTERS = ['me', 'unassigned', 'anyone'] as const

/**
 * `GET /api/v1/conversations` filters; `from`/`to` bound the last activity.
 */
export const listConversationsValidator = vine.compile(
  vine.object({
    chatbot_id: id().optional(),
    contact_id: id().optional(),
    status: vine.enum(Object.values(ConversationStatus)).optional(),
    channel: vine.enum(Object.values(ConversationChannel)).optional(),
    assigned: vine.enum(ASSIGNED_FILTERS).optional(),
    from: vine.date({ formats: { utc: true } }).optional(),
    to: vine.date({ formats: { utc: true } }).optional(),
    cursor: vine.string().maxLength(200).optional(),
    limit: vine.number().withoutDecimals().min(1).max(100).optional(),
  })
)

/**
 * `GET /api/v1/conversations/:id`: which page of its messages.
 */
export const conversationMessagesValidator = vine.compile(
  vine.object({
    before: id().optional(),
    after: vine.number().withoutDecimals().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: vine.number().withoutDecimals().min(1).max(100).optional(),
  })
)

export const agentMessageValidator = vine.compile(vine.object({ text: messageText() }))

/** An internal note: visible to members only, never to the visitor nor the bot. */
export const noteValidator = vine.compile(vine.object({ text: messageText() }))

export const updateConversationValidator = vine.compile(
  vine.object({ status: vine.enum(Object.values(ConversationStatus)) })
)
