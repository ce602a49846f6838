import type { DataSource, EntityManager } from 'typeorm'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { Book, Order } from '../../entities'
import { compileStatement } from '../db/compiled-statement'
import type { StatementRunner } from '../db/pooled-query'
import { updateDateStamp } from '../db/update-date-stamp'

type OrderValues = { bookId: number; quantity: number }
/** The order's own values: which book, how many, and for whom (the token's subject, or null with AUTH_MODE=off). */
type NewOrderValues = OrderValues & { customerId: string | null }
const PLACED_ORDER_COLUMNS = ['id', 'bookId', 'quantity', 'status', 'customerId', 'createdAt'] as const
type PlacedOrderRow = Record<(typeof PLACED_ORDER_COLUMNS)[number], unknown> & { id: number }

/**
 * POST /orders' statements, written by TypeORM's QueryBuilder once at start-up (see
 * compileStatement) and run by whatever StatementRunner the caller passes: the request
 * transaction's (request.txExecute), so they share its connection and its outcome. They run
 * as prepared statements, which the server parses once per connection instead of per order:
 * the text protocol of EntityManager.query() made the server parse each one on every order.
 */
export function orderStatements(dataSource: DataSource) {
  const { manager } = dataSource
  const lockBook = compileStatement(['bookId'], (parameters) =>
    manager
      .createQueryBuilder(Book, 'book')
      .select('book.stock', 'stock')
      .where('book.id = :bookId', parameters)
      .setLock('pessimistic_write')
  )
  // TypeORM adds the version bump (so the ETag changes) and the update date at its precision.
  const takeStock = compileStatement(['bookId', 'quantity'], (parameters) =>
    manager
      .createQueryBuilder()
      .update(Book)
      .set({ stock: () => 'stock - :quantity', ...updateDateStamp(dataSource.getMetadata(Book)) })
      .where('id = :bookId', parameters)
  )
  const insertOrder = (dataSource.driver as MysqlDriver).isReturningSqlSupported('insert')
    ? insertReturning(manager)
    : insertThenSelect(manager)

  return {
    /** Locks the book row until the transaction ends; undefined when there is no such book. */
    async lockBook(tx: StatementRunner, values: Pick<OrderValues, 'bookId'>): Promise<{ stock: number } | undefined> {
      const [book] = await tx<{ stock: number }>(lockBook.sql, lockBook.bind(values))
      return book
    },
    async takeStock(tx: StatementRunner, values: OrderValues): Promise<void> {
      await tx(takeStock.sql, takeStock.bind(values))
    },
    insertOrder
  }
}

/** MariaDB 10.5+: one round trip answers with the stored row. */
function insertReturning(manager: EntityManager) {
  const insert = compileStatement(['bookId', 'quantity', 'customerId'], (parameters) =>
    insertBuilder(manager, parameters).returning([...PLACED_ORDER_COLUMNS])
  )
  return async (tx: StatementRunner, values: NewOrderValues): Promise<PlacedOrderRow> =>
    (await tx<PlacedOrderRow>(insert.sql, insert.bind(values)))[0]
}

/** MySQL has no INSERT ... RETURNING: read the row back by its new key, in the same transaction. */
function insertThenSelect(manager: EntityManager) {
  const insert = compileStatement(['bookId', 'quantity', 'customerId'], (parameters) => insertBuilder(manager, parameters))
  const select = compileStatement(['id'], (parameters) => {
    const builder = manager.createQueryBuilder(Order, 'order').where('order.id = :id', parameters)
    for (const column of PLACED_ORDER_COLUMNS) builder.addSelect(`order.${column}`, column)
    return builder
  })
  return async (tx: StatementRunner, values: NewOrderValues): Promise<PlacedOrderRow> => {
    // An INSERT answers with mysql2's result header, not rows.
    const { insertId } = (await tx(insert.sql, insert.bind(values))) as unknown as { insertId: number }
    return (await tx<PlacedOrderRow>(select.sql, select.bind({ id: insertId })))[0]
  }
}

function insertBuilder(manager: EntityManager, parameters: Record<'bookId' | 'quantity' | 'customerId', string>) {
  // The placeholders stand in for the values only while TypeORM writes the SQL.
  const values = parameters as unknown as NewOrderValues
  return manager
    .createQueryBuilder()
    .insert()
    .into(Order)
    .values({ bookId: values.bookId, quantity: values.quantity, customerId: values.customerId })
}
