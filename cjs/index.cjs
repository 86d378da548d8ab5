'use strict';
// `require('tollgate')` lands here: tollgate ships ES modules only.
const err = new Error("tollgate is an ES module: use import ... or await import('tollgate') (Node >= 20)");
err.code = 'ERR_REQUIRE_ESM';
throw err;
