/**
 * A typed mini-SDK for the simulated API's `/items` collection, built on the resilient client:
 * responses are decoded with Schema, the collection is paginated as a `Stream`.
 */
import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { HttpClient } from "@effect/platform"
import { Chunk, Effect, Option, Schema, Stream } from "effect"

export class Item extends Schema.Class<Item>("Item")({
  id: Schema.String,
  name: Schema.String,
  version: Schema.Number
}) {}

export class ItemPage extends Schema.Class<ItemPage>("ItemPage")({
  results: Schema.Array(Item),
  next_cursor: Schema.NullOr(Schema.String),
  has_more: Schema.Boolean
}) {}

export const makeItemsSdk = <E>(client: HttpClient.HttpClient.With<E>) => {
  const getJson = <A, I>(schema: Schema.Schema<A, I>, request: HttpClientRequest.HttpClientRequest) =>
    client.execute(request).pipe(
      Effect.flatMap(HttpClientResponse.filterStatusOk),
      Effect.flatMap(HttpClientResponse.schemaBodyJson(schema))
    )

  /** One page of the collection. */
  const listPage = (cursor: string | null, limit = 20) =>
    getJson(
      ItemPage,
      HttpClientRequest.get("/items").pipe(
        HttpClientRequest.setUrlParams(cursor === null ? { limit } : { limit, cursor })
      )
    )

  /** Every item, page by page, as a stream (`next_cursor` / `has_more`). */
  const listAll = (pageSize = 20) =>
    Stream.paginateChunkEffect(null as string | null, (cursor) =>
      Effect.map(listPage(cursor, pageSize), (page) =>
        [
          Chunk.fromIterable(page.results),
          page.has_more && page.next_cursor !== null ? Option.some(page.next_cursor) : Option.none()
        ] as const))

  const getItem = (id: string) => getJson(Item, HttpClientRequest.get(`/items/${encodeURIComponent(id)}`))

  return { listPage, listAll, getItem } as const
}
