import type { StoredAuditRecord } from "../../core/healing/audit-record.js";
import type { AuditStore } from "../../store/port.js";

/** Records per query: a few hundred kB of JSON, so a long chain never sits in one result set. */
const PAGE_SIZE = 1000;

/**
 * Every record up to `untilSeq` (inclusive; all when absent) in seq order, read a page at a time.
 * Pass the head read before starting to get a consistent snapshot while others keep appending.
 */
export async function* readAuditRecords(store: AuditStore, untilSeq?: number): AsyncGenerator<StoredAuditRecord> {
  let afterSeq = 0;
  for (;;) {
    const page = await store.list({ afterSeq, limit: PAGE_SIZE });
    for (const r of page) {
      if (untilSeq !== undefined && r.seq > untilSeq) return;
      yield r;
    }
    if (page.length < PAGE_SIZE) return;
    afterSeq = page.at(-1)!.seq;
  }
}
