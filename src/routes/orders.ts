import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { ORDER_STATUSES } from '../../entities/Order'
import { InsufficientStockError, NotFoundError } from '../http/errors'
import { AccessDeniedError } from '../auth/errors'
import { problemResponses, RESPONSE_HEADERS } from '../rest/route-schemas'
import { orderStatements } from './order-statements'
import type { StatementRunner } from '../db/pooled-query'
import { Order } from '../../entities'
import { buildResourceModel } from '../rest/resource-model'
import { routeAccess } from '../rest/route-access'

/** Most copies one order may ask for; a typo like 10000000 is a 400, not a stock check. */
export const MAX_ORDER_QUANTITY = 1_000

const PlaceOrderBody = Type.Object(
  {
    bookId: Type.Integer({ minimum: 1, maximum: 4_294_967_295, description: 'id of the book to order' }),
    quantity: Type.Integer({ minimum: 1, maximum: MAX_ORDER_QUANTITY, description: 'copies to order' })
  },
  { additionalProperties: false }
)
type PlaceOrderBody = Static<typeof PlaceOrderBody>

const PlacedOrder = Type.Object({
  id: Type.Integer(),
  bookId: Type.Integer(),
  quantity: Type.Integer(),
  status: Type.Union(ORDER_STATUSES.map((status) => Type.Literal(status))),
  customerId: Type.Union([Type.String(), Type.Null()], { description: 'the token subject that placed it; null with AUTH_MODE=off' }),
  createdAt: Type.String({ format: 'date-time' })
})

/**
 * `POST /orders`: places an order and takes its copies out of stock in one request-scoped
 * transaction. The book row is locked (SELECT ... FOR UPDATE) before stock is read, so
 * concurrent orders for one book queue on that row and can never sell more than there is.
 * Reading and changing orders afterwards is the generic REST routes' job (entities/Order.ts).
 */
export default async function orderRoutes(app: FastifyInstance) {
  const statements = orderStatements(app.db)
  // The same rules as the generated Order routes (entities/Order.ts): `create`, with the owner stamp.
  const access = routeAccess(app, buildResourceModel(app.db.getMetadata(Order)), 'create')
  app.post<{ Body: PlaceOrderBody }>(
    '/orders',
    {
      // The handler never calls app.db.transaction(): no AsyncLocalStorage (src/db/transaction-scope.ts).
      config: { transactional: { joinsDataSourceTransactions: false } },
      ...access.hooks,
      schema: {
        tags: ['Order'],
        summary: 'Place an order: lock the book, check and decrement its stock, insert the order',
        ...access.security,
        body: PlaceOrderBody,
        response: {
          201: { ...PlacedOrder, description: 'the order, placed', headers: { location: RESPONSE_HEADERS.location } },
          ...problemResponses(400, ...access.problems, 404, 415, 503),
          409: {
            ...problemResponses(409)[409],
            description: 'Conflict: the book has fewer copies in stock than ordered'
          }
        }
      }
    },
    async function placeOrder(request, reply) {
      const { bookId, quantity } = request.body
      // Under the owner rule the order is the caller's; staff and admins (allRows) place it as themselves too.
      const customerId = request.caller?.subject ?? null
      if (request.grant?.owner && customerId === null) throw new AccessDeniedError('a token without a subject (sub) cannot place orders: nobody could read them back')
      const tx = request.txExecute.bind(request) as StatementRunner
      const book = await statements.lockBook(tx, { bookId })
      if (!book) throw new NotFoundError(`book ${bookId} does not exist`)
      if (book.stock < quantity) throw new InsufficientStockError(bookId, book.stock, quantity)

      // The UPDATE also bumps the book's version column, so its ETag changes.
      await statements.takeStock(tx, { bookId, quantity })
      const order = await statements.insertOrder(tx, { bookId, quantity, customerId })
      reply.code(201).header('location', `/orders/${order.id}`)
      return order
    }
  )
}
