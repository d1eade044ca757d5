/**
 * A flat view of the `ApiConfig` schema's fields, derived from its AST, shared by the environment
 * mapping and the Markdown reference so both follow the schema without a second hand-written list.
 *
 * @since 0.1.0
 * @internal
 */
import { Option, SchemaAST as AST } from "effect"
import { ApiConfig } from "../ApiConfig.js"

/**
 * How an environment variable's text becomes a JSON value for this field.
 *
 * @internal
 */
export type EnvKind = "string" | "number" | "boolean" | "duration" | "numberList" | "stringList" | "json"

/** @internal */
export interface FieldInfo {
  readonly segments: ReadonlyArray<string>
  readonly description: string | undefined
  /** Must be present in the input (no default). */
  readonly required: boolean
  /** Absent from the decoded value when absent from the input (optional without default). */
  readonly optionalNoDefault: boolean
  /** A struct whose fields are listed separately (the sections and `auth`). */
  readonly isSection: boolean
  readonly kind: EnvKind
  readonly typeName: string
  readonly children: ReadonlyArray<FieldInfo>
}

const unwrapEncoded = (ast: AST.AST): AST.AST => {
  let current = ast
  for (;;) {
    if (AST.isRefinement(current)) current = current.from
    else if (AST.isTransformation(current)) current = current.from
    else if (AST.isSuspend(current)) current = current.f()
    else return current
  }
}

const unwrapType = (ast: AST.AST): AST.AST => {
  let current = ast
  for (;;) {
    if (AST.isRefinement(current)) current = current.from
    else if (AST.isTransformation(current)) current = current.to
    else if (AST.isSuspend(current)) current = current.f()
    else return current
  }
}

/** The one struct inside `ast` (itself, or the single struct member of a union such as `{…} | false`). */
const structOf = (ast: AST.AST, unwrap: (ast: AST.AST) => AST.AST): AST.TypeLiteral | undefined => {
  const bare = unwrap(ast)
  if (AST.isTypeLiteral(bare) && bare.propertySignatures.length > 0 && bare.indexSignatures.length === 0) return bare
  if (AST.isUnion(bare)) {
    const structs = bare.types.map((member) => structOf(member, unwrap)).filter((s) => s !== undefined)
    return structs.length === 1 ? structs[0] : undefined
  }
  return undefined
}

const isStringish = (ast: AST.AST): boolean =>
  AST.isStringKeyword(ast) || AST.isTemplateLiteral(ast) ||
  (AST.isLiteral(ast) && typeof ast.literal === "string") ||
  (AST.isUnion(ast) && ast.types.every((member) => isStringish(unwrapEncoded(member))))

const isDurationType = (typeSide: AST.AST): boolean => {
  const bare = unwrapType(typeSide)
  return AST.isDeclaration(bare) &&
    Option.getOrElse(AST.getIdentifierAnnotation(bare), () => "").includes("Duration")
}

const kindOf = (encoded: AST.AST, typeSide: AST.AST): EnvKind => {
  const bare = unwrapEncoded(encoded)
  if (isDurationType(typeSide)) return "duration"
  if (AST.isNumberKeyword(bare)) return "number"
  if (AST.isBooleanKeyword(bare)) return "boolean"
  if (isStringish(bare)) return "string"
  if (AST.isTupleType(bare) && bare.elements.length === 0 && bare.rest.length === 1) {
    const element = unwrapEncoded(bare.rest[0]!.type)
    if (AST.isNumberKeyword(element)) return "numberList"
    if (isStringish(element)) return "stringList"
  }
  return "json"
}

const declarationNames: Readonly<Record<string, string>> = { LimitJson: "Limit" }

const typeNameOf = (encoded: AST.AST, typeSide: AST.AST | undefined): string => {
  if (typeSide !== undefined && isDurationType(typeSide)) return "duration"
  const bare = unwrapEncoded(encoded)
  switch (bare._tag) {
    case "StringKeyword":
      return "string"
    case "NumberKeyword":
      return "number"
    case "BooleanKeyword":
      return "boolean"
    case "Literal":
      return JSON.stringify(bare.literal)
    case "Declaration": {
      const id = Option.getOrElse(AST.getIdentifierAnnotation(bare), () => "unknown")
      return declarationNames[id] ?? id
    }
    case "TupleType": {
      const element = bare.rest[0]
      if (bare.elements.length === 0 && element !== undefined) {
        const typeElement = typeSide !== undefined ? unwrapType(typeSide) : undefined
        const inner = typeNameOf(
          element.type,
          typeElement !== undefined && AST.isTupleType(typeElement) ? typeElement.rest[0]?.type : undefined
        )
        return inner.includes(" | ") ? `(${inner})[]` : `${inner}[]`
      }
      return "array"
    }
    case "TypeLiteral": {
      if (bare.propertySignatures.length === 0 && bare.indexSignatures.length === 1) {
        const signature = bare.indexSignatures[0]!
        return `Record<${typeNameOf(signature.parameter, undefined)}, ${typeNameOf(signature.type, undefined)}>`
      }
      return "object"
    }
    case "Union":
      return Array.from(new Set(bare.types.map((member) => typeNameOf(member, undefined)))).join(" | ")
    default:
      return bare._tag
  }
}

const descriptionOf = (signature: AST.PropertySignature | undefined): string | undefined => {
  if (signature === undefined) return undefined
  return Option.getOrUndefined(
    Option.orElse(AST.getDescriptionAnnotation(signature), () => AST.getDescriptionAnnotation(signature.type))
  )
}

const collect = (
  encoded: AST.TypeLiteral,
  typeSide: AST.TypeLiteral | undefined,
  prefix: ReadonlyArray<string>
): ReadonlyArray<FieldInfo> =>
  encoded.propertySignatures.map((signature): FieldInfo => {
    const name = String(signature.name)
    const typeSignature = typeSide?.propertySignatures.find((p) => p.name === signature.name)
    const segments = [...prefix, name]
    const encodedStruct = structOf(signature.type, unwrapEncoded)
    const typeStruct = typeSignature !== undefined ? structOf(typeSignature.type, unwrapType) : undefined
    const isSection = encodedStruct !== undefined && AST.isTypeLiteral(unwrapEncoded(signature.type))
    return {
      segments,
      description: descriptionOf(typeSignature),
      required: !signature.isOptional,
      optionalNoDefault: signature.isOptional && (typeSignature === undefined || typeSignature.isOptional),
      isSection,
      kind: isSection ? "json" : kindOf(signature.type, typeSignature?.type ?? signature.type),
      typeName: isSection ? "object" : typeNameOf(signature.type, typeSignature?.type),
      children: encodedStruct !== undefined ? collect(encodedStruct, typeStruct, segments) : []
    }
  })

const topEncoded = structOf(AST.encodedAST(ApiConfig.ast), unwrapEncoded)
const topType = structOf(AST.typeAST(ApiConfig.ast), unwrapType)

if (topEncoded === undefined) throw new Error("ApiConfig schema is expected to be a struct")

/**
 * The top-level fields of `ApiConfig`, each with its children (section fields).
 *
 * @internal
 */
export const fields: ReadonlyArray<FieldInfo> = collect(topEncoded, topType, [])

/**
 * Every field, depth first (a section precedes its children).
 *
 * @internal
 */
export const allFields: ReadonlyArray<FieldInfo> = (() => {
  const out: Array<FieldInfo> = []
  const visit = (field: FieldInfo) => {
    out.push(field)
    field.children.forEach(visit)
  }
  fields.forEach(visit)
  return out
})()

/**
 * `maxRetries` → `MAX_RETRIES`, `baseUrl` → `BASE_URL`.
 *
 * @internal
 */
export const screamingSnake = (camel: string): string =>
  camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()
