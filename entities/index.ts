import { Author } from './Author'
import { Book } from './Book'
import { Order } from './Order'

/** Every entity the service knows. A new entity is one file plus one line here. */
export const entities = [Author, Book, Order]

export { Author, Book, Order }
