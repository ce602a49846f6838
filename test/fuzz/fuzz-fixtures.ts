import type { FastifyInstance } from 'fastify'
import { seedAuthors, seedBooks } from '../fixtures/seed'
import { SPECIMEN_CASES } from '../fixtures/specimen-cases'

/**
 * The data the fuzzer and the regression cases run against. Sizes are chosen for the
 * regression cases: at least 16 rows per table, so `0x10` (16) names a real author, book
 * and order if the app misreads it; books 4 onwards carry no order, so a wrong DELETE of
 * book 16 succeeds (and is seen) instead of hiding behind a 409.
 */
export const SEEDED_ROWS = 20

export interface SeededIds {
  authorIds: number[]
  bookIds: number[]
  orderIds: number[]
  specimenIds: number[]
}

export async function seedFuzzData(app: FastifyInstance): Promise<SeededIds> {
  // Names with quotes, wildcards and astral characters, so filters over them meet real matches.
  const names = ["O'Brien", 'Zoë 😀', '100% _real_', 'back\\slash', '`tick`']
  const authorIds = await seedAuthors(
    app,
    Array.from({ length: SEEDED_ROWS }, (_, i) => ({ name: `${names[i % names.length]} ${i + 1}`, bio: i % 3 === 0 ? null : `bio ${i + 1}` }))
  )
  const bookIds = await seedBooks(
    app,
    Array.from({ length: SEEDED_ROWS }, (_, i) => ({
      title: `${names[i % names.length]} vol. ${i + 1}`,
      isbn: `fuzz-${String(i + 1).padStart(4, '0')}`,
      price: [0, 0.01, 12.5, 99999999.99][i % 4],
      stock: 1_000,
      // Books on four authors only: most authors are unreferenced and can really be deleted.
      authorId: authorIds[i % 4]
    }))
  )
  const orderIds: number[] = []
  for (let i = 0; i < SEEDED_ROWS; i++) {
    // Through the route, as clients place orders: it also exercises the transactional path once per row.
    const response = await app.inject({ method: 'POST', url: '/orders', payload: { bookId: bookIds[i % 3], quantity: 1 + (i % 2) } })
    if (response.statusCode !== 201) throw new Error(`seeding an order failed: ${response.statusCode} ${response.body}`)
    orderIds.push(response.json().id)
  }
  const specimenIds: number[] = []
  for (let i = 0; i < SEEDED_ROWS; i++) {
    const payload = Object.fromEntries(SPECIMEN_CASES.map((kind) => [kind.field, kind.accepted[i % kind.accepted.length][0]]))
    const response = await app.inject({ method: 'POST', url: '/specimens', payload: { ...payload, name: `specimen ${i + 1}` } })
    if (response.statusCode !== 201) throw new Error(`seeding a specimen failed: ${response.statusCode} ${response.body}`)
    specimenIds.push(response.json().id)
  }
  return { authorIds, bookIds, orderIds, specimenIds }
}
