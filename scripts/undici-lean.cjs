'use strict';
// What the bundles get for `import … from 'undici'` (scripts/bundle.mjs resolves the bare name
// here): only the parts lightning uses — request() through the global Agent, and Pool — instead of
// undici's index, which also loads fetch, WebSocket, EventSource, the caches, the mocks and the
// proxy agents. That index is most of the ~700 KiB the supervisor compiled at boot and kept on its
// heap; the same undici code runs, so behaviour is unchanged. Typed against the real package (tsc
// and the tsc output still import undici itself). `request` is undici's own index.js
// makeDispatcher(api.request), copied: the index does not export its pieces separately.
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const api = require('undici/lib/api');
const Pool = require('undici/lib/dispatcher/pool');
const Agent = require('undici/lib/dispatcher/agent');
const util = require('undici/lib/core/util');
const errors = require('undici/lib/core/errors');
const { getGlobalDispatcher, setGlobalDispatcher } = require('undici/lib/global');

const { InvalidArgumentError } = errors;
Object.assign(Dispatcher.prototype, api);

function makeDispatcher(fn) {
  return (url, opts, handler) => {
    if (typeof opts === 'function') {
      handler = opts;
      opts = null;
    }
    if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) {
      throw new InvalidArgumentError('invalid url');
    }
    if (opts != null && typeof opts !== 'object') {
      throw new InvalidArgumentError('invalid opts');
    }
    if (opts && opts.path != null) {
      if (typeof opts.path !== 'string') throw new InvalidArgumentError('invalid opts.path');
      let path = opts.path;
      if (!opts.path.startsWith('/')) path = `/${path}`;
      url = new URL(util.parseOrigin(url).origin + path);
    } else {
      if (!opts) opts = typeof url === 'object' ? url : {};
      url = util.parseURL(url);
    }
    const { agent, dispatcher = getGlobalDispatcher() } = opts;
    if (agent) throw new InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
    return fn.call(dispatcher, {
      ...opts,
      origin: url.origin,
      path: url.search ? `${url.pathname}${url.search}` : url.pathname,
      method: opts.method || (opts.body ? 'PUT' : 'GET'),
    }, handler);
  };
}

module.exports = { Dispatcher, Pool, Agent, errors, getGlobalDispatcher, setGlobalDispatcher, request: makeDispatcher(api.request) };
