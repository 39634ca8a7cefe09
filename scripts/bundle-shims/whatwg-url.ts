/**
 * Stands in for `whatwg-url` in the bundle. node-fetch 2 (under `@kubernetes/client-node`)
 * uses it only where node has no global URL (`Url.URL || whatwgUrl.URL`), which never happens
 * on node 20; the real package brings tr46, whose 1.5 MB mapping table would stay in the
 * agent's heap for as long as it runs.
 */
import { URL } from 'node:url';

export { URL };
export default { URL };
