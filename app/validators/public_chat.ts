import vine from '@vinejs/vine'
import { contactValidator, messageText } from '#validators/conversation'

/** A chatbot's public key as Chatbot.assignPublicKey makes it (`pk_` + random base64url). */
export const PUBLIC_KEY = /^pk_[A-Za-z0-9_-]{16,64}$/

/**
 * `POST /api/v1/public/chatbots/:key/conversations`: what the visitor says
 * about themselves (unverified; see PublicChatService.start).
 */
export const startPublicConversationValidator = vine.compile(
  vine.object({ contact: contactValidator })
)

/**
 * `POST /api/v1/public/conversations/:id/messages`
 */
export const publicMessageValidator = vine.compile(vine.object({ text: messageText() }))

/**
 * `GET /api/v1/public/conversations/:id/messages`: the messages after
 * `after` (a message id; 0 or none: from the start).
 */
export const publicMessagesValidator = vine.compile(
  vine.object({
    after: vine.number().withoutDecimals().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: vine.number().withoutDecimals().min(1).max(100).optional(),
  })
)
