import { Author } from './Author'
import { Book } from './Book'
import { Order } from './Order'

/** Every entity the service knows. A new entity is one file plus one line here. */
export const entities = [Author, Book, Order]

/**
 * TypeORM subscriber classes (`@EventSubscriber()` + EntitySubscriberInterface), for the app and the CLI.
 * With any subscriber, every entity's routes read and write through a QueryRunner so the
 * subscriber sees their entity and query events (src/rest/entity-events.ts).
 */
export const subscribers: Function[] = []

export { Author, Book, Order }
