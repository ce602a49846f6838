/**
 * The demo data set `npm run seed` writes (src/tools/seed.ts). README.md's and docs/rest.md's
 * curl examples quote these ids, ISBNs, prices, versions and dates, and test/docs/examples.test.ts
 * runs them against exactly this data: change a row and those examples (and their test) with it.
 *
 * Everything is fixed, timestamps included, so two seeded databases answer byte for byte alike.
 * ISBNs are ISBN-13s with valid check digits; Dune's is the real Ace paperback's, the others are
 * made up (978-0999000nnn, nnn = the book's id) and belong to no real edition.
 */

export interface DemoAuthor {
  id: number
  name: string
  bio: string | null
  createdAt: string
}

/** A book as it was added, before any order took copies out of stock. */
export interface DemoBook {
  id: number
  title: string
  isbn: string
  price: number
  stock: number
  authorId: number
  addedAt: string
}

/** An order as `POST /orders` would have placed it at `placedAt`; `status` is where it stands now. */
export interface DemoOrder {
  id: number
  bookId: number
  quantity: number
  status: 'placed' | 'shipped' | 'cancelled'
  placedAt: string
}

// Two authors without a bio, so `where.bio.isNull=true` finds something.
export const DEMO_AUTHORS: readonly DemoAuthor[] = [
  { id: 1, name: 'Frank Herbert', bio: 'Journalist turned novelist; wrote the six Dune novels.', createdAt: '2026-01-02T09:00:00.000Z' },
  { id: 2, name: 'Ursula K. Le Guin', bio: 'Wrote the Earthsea books and the Hainish cycle.', createdAt: '2026-01-02T10:00:00.000Z' },
  { id: 3, name: 'Isaac Asimov', bio: null, createdAt: '2026-01-02T11:00:00.000Z' },
  { id: 4, name: 'Octavia E. Butler', bio: 'MacArthur Fellow; wrote Kindred and the Parable novels.', createdAt: '2026-01-02T12:00:00.000Z' },
  { id: 5, name: 'Iain M. Banks', bio: null, createdAt: '2026-01-02T13:00:00.000Z' },
  { id: 6, name: 'Ted Chiang', bio: 'Short-story writer; "Story of Your Life" became the film Arrival.', createdAt: '2026-01-02T14:00:00.000Z' }
]

// More than one default page (20), so a plain `GET /books` already carries a Link; three books
// share the price 6.99 so sorting by price shows the id breaking ties; some are sold out.
export const DEMO_BOOKS: readonly DemoBook[] = [
  { id: 1, title: 'Dune', isbn: '978-0441013593', price: 9.99, stock: 12, authorId: 1, addedAt: '2026-01-05T10:00:00.000Z' },
  { id: 2, title: 'Dune Messiah', isbn: '978-0999000021', price: 8.99, stock: 7, authorId: 1, addedAt: '2026-01-07T10:00:00.000Z' },
  { id: 3, title: 'Children of Dune', isbn: '978-0999000038', price: 8.99, stock: 0, authorId: 1, addedAt: '2026-01-09T10:00:00.000Z' },
  { id: 4, title: 'God Emperor of Dune', isbn: '978-0999000045', price: 9.49, stock: 4, authorId: 1, addedAt: '2026-01-11T10:00:00.000Z' },
  { id: 5, title: 'A Wizard of Earthsea', isbn: '978-0999000052', price: 7.99, stock: 15, authorId: 2, addedAt: '2026-01-13T10:00:00.000Z' },
  { id: 6, title: 'The Left Hand of Darkness', isbn: '978-0999000069', price: 11.5, stock: 6, authorId: 2, addedAt: '2026-01-15T10:00:00.000Z' },
  { id: 7, title: 'The Dispossessed', isbn: '978-0999000076', price: 12, stock: 3, authorId: 2, addedAt: '2026-01-17T10:00:00.000Z' },
  { id: 8, title: 'The Lathe of Heaven', isbn: '978-0999000083', price: 10.25, stock: 0, authorId: 2, addedAt: '2026-01-19T10:00:00.000Z' },
  { id: 9, title: 'The Tombs of Atuan', isbn: '978-0999000090', price: 7.49, stock: 9, authorId: 2, addedAt: '2026-01-21T10:00:00.000Z' },
  { id: 10, title: 'Foundation', isbn: '978-0999000106', price: 6.99, stock: 20, authorId: 3, addedAt: '2026-01-23T10:00:00.000Z' },
  { id: 11, title: 'Foundation and Empire', isbn: '978-0999000113', price: 6.99, stock: 14, authorId: 3, addedAt: '2026-01-25T10:00:00.000Z' },
  { id: 12, title: 'Second Foundation', isbn: '978-0999000120', price: 6.99, stock: 11, authorId: 3, addedAt: '2026-01-27T10:00:00.000Z' },
  { id: 13, title: 'I, Robot', isbn: '978-0999000137', price: 5.99, stock: 8, authorId: 3, addedAt: '2026-01-29T10:00:00.000Z' },
  { id: 14, title: 'The Caves of Steel', isbn: '978-0999000144', price: 7.25, stock: 2, authorId: 3, addedAt: '2026-01-31T10:00:00.000Z' },
  { id: 15, title: 'Kindred', isbn: '978-0999000151', price: 13.99, stock: 10, authorId: 4, addedAt: '2026-02-02T10:00:00.000Z' },
  { id: 16, title: 'Parable of the Sower', isbn: '978-0999000168', price: 12.99, stock: 5, authorId: 4, addedAt: '2026-02-04T10:00:00.000Z' },
  { id: 17, title: 'Parable of the Talents', isbn: '978-0999000175', price: 12.99, stock: 0, authorId: 4, addedAt: '2026-02-06T10:00:00.000Z' },
  { id: 18, title: 'Dawn', isbn: '978-0999000182', price: 10.5, stock: 6, authorId: 4, addedAt: '2026-02-08T10:00:00.000Z' },
  { id: 19, title: 'Consider Phlebas', isbn: '978-0999000199', price: 11.99, stock: 4, authorId: 5, addedAt: '2026-02-10T10:00:00.000Z' },
  { id: 20, title: 'The Player of Games', isbn: '978-0999000205', price: 10.99, stock: 7, authorId: 5, addedAt: '2026-02-12T10:00:00.000Z' },
  { id: 21, title: 'Use of Weapons', isbn: '978-0999000212', price: 11.49, stock: 3, authorId: 5, addedAt: '2026-02-14T10:00:00.000Z' },
  { id: 22, title: 'Excession', isbn: '978-0999000229', price: 12.49, stock: 1, authorId: 5, addedAt: '2026-02-16T10:00:00.000Z' },
  { id: 23, title: 'Stories of Your Life and Others', isbn: '978-0999000236', price: 14, stock: 9, authorId: 6, addedAt: '2026-02-18T10:00:00.000Z' },
  { id: 24, title: 'Exhalation', isbn: '978-0999000243', price: 15.99, stock: 6, authorId: 6, addedAt: '2026-02-20T10:00:00.000Z' }
]

// In the order they were placed. Dune's two orders leave it at stock 10, version 3 (each order
// bumps the version, as POST /orders does); a cancelled order keeps its copies out of stock,
// as cancelling through PATCH /orders/:id does.
export const DEMO_ORDERS: readonly DemoOrder[] = [
  { id: 1, bookId: 10, quantity: 2, status: 'shipped', placedAt: '2026-03-02T14:05:00.000Z' },
  { id: 2, bookId: 1, quantity: 1, status: 'shipped', placedAt: '2026-03-09T11:20:00.000Z' },
  { id: 3, bookId: 15, quantity: 1, status: 'cancelled', placedAt: '2026-03-16T16:45:00.000Z' },
  { id: 4, bookId: 1, quantity: 1, status: 'placed', placedAt: '2026-03-23T09:10:00.000Z' },
  { id: 5, bookId: 23, quantity: 3, status: 'placed', placedAt: '2026-03-30T18:00:00.000Z' }
]
