/*
|--------------------------------------------------------------------------
| Bouncer policies
|--------------------------------------------------------------------------
|
| One policy per resource, pre-registered so Edge's `@can` can name them.
*/
export const policies = {
  OrganizationPolicy: () => import('#policies/organization_policy'),
}
