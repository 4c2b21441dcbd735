-- wrk script for bench/run.sh: GETs or PUTs of random keys from a file, optionally paced.
--
--   wrk -t T -c C -d D -s bench/kv.lua URL -- OP KEYS_FILE VALUE_BYTES [RATE T]
--
-- OP is "get" or "put"; KEYS_FILE holds one URL-safe key a line; RATE, when given and > 0, is the
-- target rate in requests/s for the whole run, split evenly over the T threads (wrk's -t).
-- Pacing: each thread keeps a schedule of send slots T/RATE apart, and delay() hands the next
-- slot to whichever of its connections asks. A slot already past is not made up later (no
-- catch-up bursts), so the achieved rate, printed at the end, shows whether the server kept up.
-- Latency is measured from the actual send, as wrk always does (no coordinated-omission
-- correction, unlike wrk2; with 64 connections and most of them idle at 70 % load, sends are
-- rarely late). delay() is in whole milliseconds, so sends come in 1 ms batches. done() prints
-- one machine-readable line for run.sh.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } kv_timespec;
  int clock_gettime(int clock_id, kv_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("kv_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

local requests = {}
local interval_ms = 0
local next_slot = 0

function init(args)
  local op, keys_file, value_bytes = args[1], args[2], tonumber(args[3])
  local rate, threads = tonumber(args[4] or "0"), tonumber(args[5] or "1")
  local body = string.rep("v", value_bytes)
  for key in io.lines(keys_file) do
    if op == "get" then
      table.insert(requests, wrk.format("GET", "/get?key=" .. key))
    elseif op == "put" then
      table.insert(requests, wrk.format("PUT", "/put?key=" .. key,
          { ["Content-Type"] = "application/octet-stream" }, body))
    else
      error("OP must be get or put: " .. tostring(op))
    end
  end
  if #requests == 0 then
    error("no keys in " .. keys_file)
  end
  math.randomseed(os.time() * 1000 + (thread_index or 0))
  if rate > 0 then
    interval_ms = 1000 * threads / rate
    delay = paced_delay -- wrk calls delay() only when the script defines it
  end
end

function paced_delay()
  local t = now_ms()
  if next_slot < t then
    next_slot = t -- behind schedule: send now, skip the missed slots
  end
  local wait = next_slot - t
  next_slot = next_slot + interval_ms
  return math.floor(wait)
end

function request()
  return requests[math.random(#requests)]
end

function done(summary, latency)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
      "KVBENCH requests=%d seconds=%.3f rate=%.1f p50_us=%d p99_us=%d max_us=%d "
          .. "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
      summary.requests, seconds, summary.requests / seconds, latency:percentile(50),
      latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
