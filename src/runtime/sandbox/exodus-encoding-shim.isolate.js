// Runs INSIDE the isolate: replaces `@exodus/bytes/encoding.js`, which whatwg-url imports only to register legacy encodings it never uses for URL parsing (see exodus-whatwg-shim.isolate.js).
