'use strict';
// `require('tollgate/openai')` lands here: tollgate ships ES modules only.
const err = new Error("tollgate is an ES module: use import ... or await import('tollgate/openai') (Node >= 20)");
err.code = 'ERR_REQUIRE_ESM';
throw err;
