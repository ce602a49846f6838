import { Entity } from 'typeorm'
import { Book } from '../../entities/Book'
import { RestResource } from '../../src/rest/resource'

/**
 * Bench-only, read-only entity on the `slow_books` view (bench-database.ts), which costs the
 * server ~5 ms per row. It inherits Book's columns, so Lifeguard serves GET /slow-books/:id
 * with exactly the generic route and fast read path a real entity gets: the slow-database
 * and overload scenarios then measure the pool under a slow query, not a special route.
 */
@Entity('slow_books')
@RestResource<SlowBook>({ writable: [], filterable: ['id'], sortable: ['id'], operations: ['get'] })
export class SlowBook extends Book {}
