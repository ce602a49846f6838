/**
 * A stand-in for a PoolGuard's borrower bookkeeping (attribution, borrowAs) with the pool
 * stats the caller gives: what the read router asks of a guard, for its routing tests.
 */
export function fakeGuard(stats: () => { total: number; idle: number; active: number; pending: number; max: number }) {
  const guard = {
    currentBorrower: undefined as unknown,
    timedBorrower: undefined as unknown,
    stats,
    attribution() {
      return { borrower: guard.currentBorrower, timed: guard.timedBorrower }
    },
    borrowAs<T>(attribution: { borrower: unknown }, borrow: () => T): T {
      const outer = guard.currentBorrower
      guard.currentBorrower = attribution.borrower
      try {
        return borrow()
      } finally {
        guard.currentBorrower = outer
      }
    },
    isAbandoned: () => false
  }
  return guard
}
