import type Chatbot from '#models/chatbot'
import { ProviderType } from '#enums/chatbots'
import type { ChatProvider } from '#providers/chat/types'
import BuiltinProvider from '#providers/chat/builtin'
import OpenAIProvider from '#providers/chat/openai'
import WebhookProvider from '#providers/chat/webhook'

/**
 * The provider a chatbot answers with.
 */
export function providerFor(chatbot: Chatbot): ChatProvider {
  switch (chatbot.providerType) {
    case ProviderType.OpenAI:
      return new OpenAIProvider()
    case ProviderType.Webhook:
      return new WebhookProvider()
    default:
      return new BuiltinProvider()
  }
}

export * from '#providers/chat/types'
