export enum ChatbotStatus {
  Draft = 'draft',
  Active = 'active',
  Paused = 'paused',
}

export enum ProviderType {
  Builtin = 'builtin',
  OpenAI = 'openai',
  Webhook = 'webhook',
}

/**
 * Provider settings keys whose values are secrets: stored encrypted with the
 * rest of the settings, never returned by the API nor written to the audit log.
 */
export const SECRET_PROVIDER_SETTINGS = ['api_key', 'secret'] as const

export enum KnowledgeSourceType {
  Text = 'text',
  Faq = 'faq',
  File = 'file',
}

export enum KnowledgeSourceStatus {
  Pending = 'pending',
  Indexing = 'indexing',
  Indexed = 'indexed',
  Failed = 'failed',
}

export enum ConversationChannel {
  Api = 'api',
  Widget = 'widget',
  Console = 'console',
}

export enum ConversationStatus {
  Open = 'open',
  Handoff = 'handoff',
  Resolved = 'resolved',
}

export enum MessageRole {
  User = 'user',
  Assistant = 'assistant',
  Agent = 'agent',
  System = 'system',
}

export enum MessageStatus {
  Pending = 'pending',
  Processing = 'processing',
  Delivered = 'delivered',
  Failed = 'failed',
}
