import type { DataSource, EntityManager } from 'typeorm'
import type { RequestTransaction } from './request-transaction'

type TransactionWork = (manager: EntityManager) => Promise<unknown>

/**
 * TypeORM's `dataSource.transaction()` (= `dataSource.manager.transaction()`) always
 * borrows a connection of its own. Called while a request transaction holds one, it waits
 * for a second connection: with every pooled connection held that way, the pool deadlocks
 * (a pool of one does so on the first nested call). This makes such a call join the open
 * request transaction with a SAVEPOINT on the connection it already holds; with no request
 * transaction open it behaves exactly as before.
 *
 * Only explicit transaction() calls are joined: repository/manager methods on `app.db` (and
 * `app.db.query`) still borrow their own connection and see only committed data.
 * An isolation level passed to a joined call is ignored: a savepoint cannot change it.
 */
export function joinRequestTransactions(
  dataSource: DataSource,
  openTransaction: () => RequestTransaction | undefined
): void {
  const manager = dataSource.manager
  const ownTransaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>
  manager.transaction = function transactionOrSavepoint(isolationOrWork: unknown, work?: unknown) {
    const open = openTransaction()
    if (!open || open.isFinished || open.dataSource !== dataSource) return ownTransaction(isolationOrWork, work)
    return open.transaction((typeof isolationOrWork === 'function' ? isolationOrWork : work) as TransactionWork)
  } as EntityManager['transaction']
}
