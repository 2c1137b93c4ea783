import type { Redis } from "ioredis";

/**
 * Claims expired pending entries for a consumer and reports each one's delivery count, in one round
 * trip. XAUTOCLAIM bumps the count but does not return it, hence the XPENDING per claimed entry.
 * XAUTOCLAIM looks at up to COUNT*10 pending entries per call, so the cursor is followed a few
 * times to get past entries that are pending but not yet expired.
 * KEYS[1] stream; ARGV group, consumer, min idle ms, count.
 * Returns { { id, { field, value, … }, deliveries }, … }.
 */
const CLAIM = `
local want = tonumber(ARGV[4])
local out = {}
local cursor = '0-0'
for _ = 1, 8 do
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', want - #out)
  cursor = r[1]
  for _, e in ipairs(r[2]) do
    if e and e[2] then
      local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
      local deliveries = 1
      if p[1] then deliveries = p[1][4] end
      out[#out + 1] = { e[1], e[2], deliveries }
    end
  end
  if #out >= want or cursor == '0-0' then break end
end
return out
`;

/**
 * Trims a stream below the oldest entry some group still needs: for each group, its oldest pending
 * entry, or the entry after its last-delivered id when nothing is pending (later entries are
 * undelivered). A stream without groups is never trimmed: a group created later starts at its
 * oldest entry. KEYS[1] stream. Returns the number of entries removed.
 */
const TRIM = `
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function before(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local min = nil
for _, g in ipairs(groups) do
  local name, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local summary = redis.call('XPENDING', KEYS[1], name)
  local keep
  if summary[1] > 0 then
    keep = summary[2]
  else
    local ms, seq = string.match(last, '^(%d+)-(%d+)$')
    keep = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
  end
  if min == nil or before(keep, min) then min = keep end
end
return redis.call('XTRIM', KEYS[1], 'MINID', min)
`;

/** Raw reply of CLAIM: id, flat field list, delivery count. */
export type ClaimedEntry = [string, string[], number];

export interface BusScripts {
  pitstopBusClaim(key: string, group: string, consumer: string, minIdleMs: number, count: number): Promise<ClaimedEntry[]>;
  pitstopBusTrim(key: string): Promise<number>;
}

/** Registers the scripts (EVALSHA, falling back to EVAL once per connection). */
export function defineBusScripts(redis: Redis): Redis & BusScripts {
  redis.defineCommand("pitstopBusClaim", { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand("pitstopBusTrim", { numberOfKeys: 1, lua: TRIM });
  return redis as Redis & BusScripts;
}
