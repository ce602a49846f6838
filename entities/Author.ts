import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm'
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

  @Column({ type: 'varchar', length: 200 })
  name: string

  @Column({ type: 'text', nullable: true })
  bio: string | null

  @CreateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt: Date

  @OneToMany('Book', (book: Book) => book.author)
  books: Book[]
}
