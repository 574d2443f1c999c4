/*
|--------------------------------------------------------------------------
| Bouncer policies
|--------------------------------------------------------------------------
|
| One policy per resource, pre-registered so Edge's `@can` can name them.
*/
export const policies = {
  OrganizationPolicy: () => import('#policies/organization_policy'),
  AuditLogPolicy: () => import('#policies/audit_log_policy'),
  ChatbotPolicy: () => import('#policies/chatbot_policy'),
  ConversationPolicy: () => import('#policies/conversation_policy'),
  MemberPolicy: () => import('#policies/member_policy'),
  PlatformPolicy: () => import('#policies/platform_policy'),
  RolePolicy: () => import('#policies/role_policy'),
  TokenPolicy: () => import('#policies/token_policy'),
}
