/**
 * `qs.parse` for openapi-backend's router, from Node's own querystring module (repeated keys become
 * arrays, `+` is a space, as in qs). qs and its side-channel dependencies cost every cold start about
 * 6 ms of module loading. The router parses a query string only in parseRequest, which the function
 * calls for path parameters alone, with no query.
 */
export { parse } from "node:querystring";
