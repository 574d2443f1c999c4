/*
|--------------------------------------------------------------------------
| Bouncer abilities
|--------------------------------------------------------------------------
|
| Parley authorizes through policies (app/policies), one per resource;
| there are no free-standing abilities.
*/
export {}
