/**
 * A gate that opens at most once per `intervalMs`, for warnings raised per request or per
 * reconnect attempt: a dependency that is down would otherwise write one line per request.
 * Returns how many calls were held back since the gate last opened, or -1 while it is shut.
 */
export function onceEvery(intervalMs: number): () => number {
  let openedAt = -Infinity
  let heldBack = 0
  return () => {
    const now = Date.now()
    if (now - openedAt < intervalMs) {
      heldBack++
      return -1
    }
    openedAt = now
    const suppressed = heldBack
    heldBack = 0
    return suppressed
  }
}
