/**
 * Where one borrower's time went, in milliseconds (performance.now() differences, summed over
 * its borrows and statements). The guard fills it in; the HTTP layer reads it once per response
 * (Server-Timing). Plain numbers added in place: no event, no allocation per statement.
 */
export interface BorrowTiming {
  /** From asking the pool for a connection to being answered (a connection, or a refusal). */
  poolWaitMs: number
  /** From sending a statement on a connection it borrowed to its answer. */
  statementMs: number
}

export function newBorrowTiming(): BorrowTiming {
  return { poolWaitMs: 0, statementMs: 0 }
}
