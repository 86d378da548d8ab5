/**
 * The version of the ledger's key layout in Redis, written at the start of the store epoch
 * (`<KEY_LAYOUT>/<time>/<uuid>`, see StoreEpoch). The scripts that write reservations and
 * settlements refuse data whose epoch does not start with it.
 *
 * Layout 1 (no tag in the epoch) kept a key per reservation (`rv:<id>`) and per settled id
 * (`settled:<id>`); layout 2 keeps every reservation record in one hash (`rvs`) and the settled
 * ids in one hash per time slot (`sd:<slot>`). Buckets, reservation zsets, the records stream,
 * day rollups, budgets and leases are the same in both.
 */
export const KEY_LAYOUT = 'layout2';

/** The error code of a script reply refusing data of another layout. */
export const KEY_LAYOUT_ERROR = 'TOLLGATE_KEY_LAYOUT';

/** The layout an epoch value names: layout 1 wrote epochs without a tag; undefined when there is no epoch (no data yet). */
export function layoutOfEpoch(epoch: string | undefined): { written: string | undefined; usable: boolean } {
  if (epoch === undefined) return { written: undefined, usable: true };
  const tag = /^(layout\d+)\//.exec(epoch)?.[1];
  const written = tag ?? 'layout1';
  return { written, usable: written === KEY_LAYOUT };
}
