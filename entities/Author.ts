import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn } from 'typeorm'
import { RestResource } from '../src/rest/resource'
import type { Book } from './Book'

@Entity('authors')
@RestResource<Author>({
  writable: ['name', 'bio'],
  filterable: ['id', 'name', 'bio', 'createdAt'],
  sortable: ['id', 'name', 'createdAt'],
  includable: ['books', 'books.orders'],
  // Enforced with AUTH_MODE=jwt (docs/security.md): anyone reads, editors write, only admins delete.
  rules: { read: ['anonymous'], create: ['editor', 'admin'], update: ['editor', 'admin'], delete: ['admin'] }
})
export class Author {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  // Every sortable or filterable field has an index (src/rest/index-advice.ts checks at start-up).
  @Index('IDX_authors_name')
  @Column({ type: 'varchar', length: 200 })
  name: string

  /**
   * A TEXT column takes an index only on a prefix, which @Index() cannot declare: the migration
   * creates `bio(100)`, and `synchronize: false` keeps migration:generate from dropping it.
   */
  @Index('IDX_authors_bio', { synchronize: false })
  @Column({ type: 'text', nullable: true })
  bio: string | null

  @Index('IDX_authors_created')
  @CreateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt: Date

  @OneToMany('Book', (book: Book) => book.author)
  books: Book[]
}
