/*
|--------------------------------------------------------------------------
| ORM conventions
|--------------------------------------------------------------------------
|
| Models serialize to snake_case, like the rest of the API (`request_id`,
| `per_page`, `error_code`).
*/
import { BaseModel, SnakeCaseNamingStrategy } from '@adonisjs/lucid/orm'
import '#support/paginate_in_one'

BaseModel.namingStrategy = new SnakeCaseNamingStrategy()
