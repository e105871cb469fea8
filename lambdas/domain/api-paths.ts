/**
 * The HTTP API's paths, in one place for the stack that builds the routes, the functions that answer
 * on them and the tools that call them.
 */

export const ITEMS_PATH = '/items';

/** The path of `GET /requests/{requestId}` for one request. */
export const requestStatusPath = (requestId: string): string => `/requests/${encodeURIComponent(requestId)}`;

export const ANALYSES_PATH = '/analyses';

/** The path of `GET /analyses/{name}/windows` for one analysis. */
export const analysisWindowsPath = (name: string): string =>
  `${ANALYSES_PATH}/${encodeURIComponent(name)}/windows`;
