/**
 * @module
 * A list's order as Django admin's changelist takes it from `?o=`: a column's name, `-` first
 * for descending. Every order ends on the primary key, so rows that tie keep one order and a
 * row never shows on two pages (Django admin adds `-pk` for the same reason).
 */
import { type AnyColumn, asc, desc, type SQL } from 'drizzle-orm'

/** One of a list's orders: the column's name and the direction. */
export type Order<K extends string> = { key: K; descending: boolean }

/** A list's orders: each name's column, the primary key (the tie-break), and the default order. */
export type Orders<K extends string> = { columns: Record<K, AnyColumn>; id: AnyColumn; fallback: Order<K> }

/** `?o=` read against `orders`: absent → the default; a name it does not know → null (the caller's 400). */
export function parseOrder<K extends string>(orders: Orders<K>, value: string | undefined): Order<K> | null {
  if (value === undefined || value === '') return orders.fallback
  const descending = value.startsWith('-')
  const key = descending ? value.slice(1) : value
  return Object.hasOwn(orders.columns, key) ? { key: key as K, descending } : null
}

/** `?o=`'s value for `order`. */
export function orderParam(order: Order<string>): string {
  return `${order.descending ? '-' : ''}${order.key}`
}

/** The ORDER BY terms: the column, then the primary key in the same direction. */
export function orderTerms<K extends string>(orders: Orders<K>, order: Order<K>): SQL[] {
  const direction = order.descending ? desc : asc
  const column = orders.columns[order.key]
  return column === orders.id ? [direction(column)] : [direction(column), direction(orders.id)]
}
