/**
 * `qs.parse` for openapi-backend's router, from Node's own querystring module (repeated keys become
 * arrays, `+` is a space, as in qs), instead of qs and its dependencies (bench/README.md). The router
 * parses a query string only in parseRequest, which the function calls for path parameters alone, with
 * no query.
 */
export { parse } from "node:querystring";
