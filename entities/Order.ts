import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm'
import { RestResource } from '../src/rest/resource'
import type { Book } from './Book'

export const ORDER_STATUSES = ['placed', 'shipped', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/**
 * Orders are placed by the hand-written `POST /orders` (src/routes/orders.ts), not generic CRUD.
 * With AUTH_MODE=jwt each order belongs to the token subject that placed it: customers see only
 * their own; staff and admins see all and change their status.
 */
@Entity('orders')
@RestResource<Order>({
  writable: ['status'],
  filterable: ['id', 'bookId', 'quantity', 'status', 'customerId', 'createdAt'],
  sortable: ['id', 'bookId', 'quantity', 'createdAt'],
  includable: ['book', 'book.author'],
  operations: ['list', 'get', 'update'],
  rules: {
    read: ['authenticated'],
    create: ['authenticated'],
    update: ['staff', 'admin'],
    owner: 'customerId',
    allRows: ['staff', 'admin']
  }
})
export class Order {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Index('IDX_orders_book')
  @Column({ type: 'int', unsigned: true })
  bookId: number

  @ManyToOne('Book', (book: Book) => book.orders, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'bookId', foreignKeyConstraintName: 'FK_orders_book' })
  book: Book

  // Every sortable or filterable field has an index (src/rest/index-advice.ts checks at start-up).
  @Index('IDX_orders_quantity')
  @Column({ type: 'int', unsigned: true })
  quantity: number

  @Index('IDX_orders_status')
  @Column({ type: 'enum', enum: ORDER_STATUSES, default: 'placed' })
  status: OrderStatus

  /** The token subject (`sub`) that placed the order; null when authentication is off. */
  @Index('IDX_orders_customer')
  @Column({ type: 'varchar', length: 255, nullable: true })
  customerId: string | null

  @Index('IDX_orders_created')
  @CreateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt: Date
}
