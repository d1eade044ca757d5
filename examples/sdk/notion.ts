/**
 * A typed mini-SDK for Notion, built on any `HttpClient` (here: the resilient client, which adds the
 * base URL, `Notion-Version`, the bearer token, pacing at Notion's 3 requests/s, Retry-After and retries).
 *
 * Two wire formats sit behind one SDK surface:
 * - `notionWire`: Notion's real API. `POST /databases/{id}/query` with `{ start_cursor, page_size }`
 *   answers `{ object: "list", results, next_cursor, has_more }`; `GET /pages/{id}` answers a page
 *   object whose title lives in the property of type `"title"`. These schemas follow Notion's
 *   reference (https://developers.notion.com/reference/post-database-query) but decode only the
 *   fields this SDK uses.
 * - `simulatedWire`: the bundled simulated API, which is NOT Notion-shaped: its collection is
 *   `GET /items?cursor=&limit=` answering `{ results, next_cursor, has_more }` with items
 *   `{ id, name, version }`. The adapter maps `start_cursor` → `cursor`, `page_size` → `limit`,
 *   and an item to a `Page` whose title is the item's name.
 *
 * The pagination (`start_cursor` in, `next_cursor` / `has_more` out) and everything above the wire is
 * shared, so the example exercises the same `Stream` against both.
 */
import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { HttpClient, HttpClientError } from "@effect/platform"
import { Chunk, Effect, Option, type ParseResult, Schema, Stream } from "effect"

// ---------------------------------------------------------------------------------------------
// What the SDK returns (independent of the wire format)
// ---------------------------------------------------------------------------------------------

export class Page extends Schema.Class<Page>("Page")({
  id: Schema.String,
  title: Schema.String,
  /** Notion's page URL; `null` on the simulated API. */
  url: Schema.NullOr(Schema.String),
  lastEditedTime: Schema.NullOr(Schema.DateFromSelf)
}) {}

/** One page of query results, in Notion's pagination vocabulary. */
export interface QueryPage {
  readonly results: ReadonlyArray<Page>
  readonly next_cursor: string | null
  readonly has_more: boolean
}

/** A non-2xx answer, with Notion's error `code` (`rate_limited`, `object_not_found`, …) when it sent one. */
export class NotionApiError extends Schema.TaggedError<NotionApiError>()("NotionApiError", {
  status: Schema.Number,
  code: Schema.String,
  message: Schema.String
}) {}

export type SdkError<E> = E | NotionApiError | ParseResult.ParseError | HttpClientError.ResponseError

// ---------------------------------------------------------------------------------------------
// Notion's wire format
// ---------------------------------------------------------------------------------------------

const RichText = Schema.Struct({ plain_text: Schema.String })

const TitleProperty = Schema.Struct({ type: Schema.Literal("title"), title: Schema.Array(RichText) })
const OtherProperty = Schema.Struct({ type: Schema.String })

/** A Notion page object (only the fields the SDK reads; the rest is ignored). */
export const NotionPage = Schema.Struct({
  object: Schema.Literal("page"),
  id: Schema.String,
  url: Schema.String,
  last_edited_time: Schema.DateFromString,
  properties: Schema.Record({ key: Schema.String, value: Schema.Union(TitleProperty, OtherProperty) })
})

/** The answer of `POST /databases/{id}/query`. */
export const NotionQueryResponse = Schema.Struct({
  object: Schema.Literal("list"),
  results: Schema.Array(NotionPage),
  next_cursor: Schema.NullOr(Schema.String),
  has_more: Schema.Boolean
})

/** Notion's error body: `{ object: "error", status, code, message }`. */
const ErrorBody = Schema.Struct({
  code: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
})

/** The page's title: the plain text of its one `"title"` property (Notion allows exactly one). */
export const pageFromNotion = (p: typeof NotionPage.Type): Page => {
  const title = Object.values(p.properties).find((v): v is typeof TitleProperty.Type => v.type === "title" && "title" in v)
  return new Page({
    id: p.id,
    title: title === undefined ? "" : title.title.map((t) => t.plain_text).join(""),
    url: p.url,
    lastEditedTime: p.last_edited_time
  })
}

/** The calls the SDK needs from a wire format. */
export interface Wire<E> {
  readonly queryDatabase: (
    databaseId: string,
    startCursor: string | undefined,
    pageSize: number
  ) => Effect.Effect<QueryPage, SdkError<E>>
  readonly retrievePage: (pageId: string) => Effect.Effect<Page, SdkError<E>>
}

/** 2xx → decode with `schema`; anything else → `NotionApiError` with the API's own code and message. */
const decodeResponse = <A, I>(schema: Schema.Schema<A, I>) =>
(
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<A, NotionApiError | ParseResult.ParseError | HttpClientError.ResponseError> =>
  response.status >= 200 && response.status < 300
    ? HttpClientResponse.schemaBodyJson(schema)(response)
    : HttpClientResponse.schemaBodyJson(ErrorBody)(response).pipe(
      Effect.orElseSucceed(() => ({ code: undefined, error: undefined, message: undefined })),
      Effect.flatMap((body) =>
        Effect.fail(
          new NotionApiError({
            status: response.status,
            code: body.code ?? body.error ?? "unknown",
            message: body.message ?? `HTTP ${response.status}`
          })
        )
      )
    )

/** Notion's real API. Paths are relative to the client's base URL (`https://api.notion.com/v1`). */
export const notionWire = <E>(client: HttpClient.HttpClient.With<E>): Wire<E> => ({
  queryDatabase: (databaseId, startCursor, pageSize) =>
    HttpClientRequest.post(`/databases/${encodeURIComponent(databaseId)}/query`).pipe(
      HttpClientRequest.bodyUnsafeJson(startCursor === undefined ? { page_size: pageSize } : { start_cursor: startCursor, page_size: pageSize }),
      client.execute,
      Effect.flatMap(decodeResponse(NotionQueryResponse)),
      Effect.map((list) => ({ results: list.results.map(pageFromNotion), next_cursor: list.next_cursor, has_more: list.has_more }))
    ),
  retrievePage: (pageId) =>
    client.get(`/pages/${encodeURIComponent(pageId)}`).pipe(
      Effect.flatMap(decodeResponse(NotionPage)),
      Effect.map(pageFromNotion)
    )
})

// ---------------------------------------------------------------------------------------------
// The simulated API's wire format (not Notion's: see the module comment)
// ---------------------------------------------------------------------------------------------

const SimItem = Schema.Struct({ id: Schema.String, name: Schema.String, version: Schema.Number })
const SimList = Schema.Struct({ results: Schema.Array(SimItem), next_cursor: Schema.NullOr(Schema.String), has_more: Schema.Boolean })

const pageFromItem = (item: typeof SimItem.Type): Page => new Page({ id: item.id, title: item.name, url: null, lastEditedTime: null })

/** The simulated API: one collection stands in for the database, its items for pages. */
export const simulatedWire = <E>(client: HttpClient.HttpClient.With<E>): Wire<E> => ({
  queryDatabase: (_databaseId, startCursor, pageSize) =>
    HttpClientRequest.get("/items").pipe(
      HttpClientRequest.setUrlParams(startCursor === undefined ? { limit: pageSize } : { limit: pageSize, cursor: startCursor }),
      client.execute,
      Effect.flatMap(decodeResponse(SimList)),
      Effect.map((list) => ({ results: list.results.map(pageFromItem), next_cursor: list.next_cursor, has_more: list.has_more }))
    ),
  retrievePage: (pageId) =>
    client.get(`/items/${encodeURIComponent(pageId)}`).pipe(Effect.flatMap(decodeResponse(SimItem)), Effect.map(pageFromItem))
})

// ---------------------------------------------------------------------------------------------
// The SDK
// ---------------------------------------------------------------------------------------------

export const makeNotionSdk = <E>(wire: Wire<E>) => ({
  /**
   * Every page of a database, as a stream: one request per result page (`page_size` ≤ 100), sent
   * only as the consumer pulls, so the rate limiter paces the pagination too.
   */
  queryDatabase: (databaseId: string, options: { readonly pageSize?: number } = {}) =>
    Stream.paginateChunkEffect(undefined as string | undefined, (startCursor) =>
      Effect.map(wire.queryDatabase(databaseId, startCursor, options.pageSize ?? 100), (page) =>
        [
          Chunk.fromIterable(page.results),
          page.has_more && page.next_cursor !== null ? Option.some(page.next_cursor) : Option.none()
        ] as const)),
  retrievePage: wire.retrievePage
})
