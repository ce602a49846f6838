import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn
} from 'typeorm'
import { decimalAsNumber } from '../src/db/column-transformers'
import { RestResource } from '../src/rest/resource'
import type { Author } from './Author'
import type { Order } from './Order'

/** What a caller without a staff role sees of a book: everything but the stock count. */
const PUBLIC_FIELDS: Array<keyof Book> = ['id', 'title', 'isbn', 'price', 'authorId', 'createdAt', 'updatedAt', 'version']

@Entity('books')
@RestResource<Book>({
  writable: ['title', 'isbn', 'price', 'stock', 'authorId'],
  filterable: ['id', 'title', 'isbn', 'price', 'stock', 'authorId', 'createdAt', 'updatedAt'],
  sortable: ['id', 'title', 'price', 'stock', 'authorId', 'createdAt', 'updatedAt'],
  includable: ['author', 'orders'],
  // Enforced with AUTH_MODE=jwt (docs/security.md): anyone reads, editors write, staff count stock
  // (and may change nothing else), only admins delete.
  rules: {
    read: ['anonymous'],
    create: ['editor', 'admin'],
    update: ['editor', 'staff', 'admin'],
    delete: ['admin'],
    fields: {
      anonymous: { readable: PUBLIC_FIELDS },
      authenticated: { readable: PUBLIC_FIELDS },
      editor: { readable: '*' },
      staff: { readable: '*', writable: ['stock'] },
      admin: { readable: '*' }
    }
  }
})
export class Book {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  /** Full-text indexed: `search=` on /books matches words of the title. */
  @Index('FT_books_title', { fulltext: true })
  // Every sortable or filterable field has an index (src/rest/index-advice.ts checks at start-up).
  @Index('IDX_books_title')
  @Column({ type: 'varchar', length: 300 })
  title: string

  @Index('UQ_books_isbn', { unique: true })
  @Column({ type: 'varchar', length: 17 })
  isbn: string

  @Index('IDX_books_price')
  @Column({ type: 'decimal', precision: 10, scale: 2, transformer: decimalAsNumber })
  price: number

  @Index('IDX_books_stock')
  @Column({ type: 'int', unsigned: true, default: 0 })
  stock: number

  @Index('IDX_books_author')
  @Column({ type: 'int', unsigned: true })
  authorId: number

  @ManyToOne('Author', (author: Author) => author.books, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'authorId', foreignKeyConstraintName: 'FK_books_author' })
  author: Author

  /** Embedded with `include=orders`; under the owner rule a customer sees only its own. */
  @OneToMany('Order', (order: Order) => order.book)
  orders: Order[]

  @VersionColumn({ type: 'int', unsigned: true })
  version: number

  @Index('IDX_books_created')
  @CreateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt: Date

  @Index('IDX_books_updated')
  @UpdateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt: Date
}
