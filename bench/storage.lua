-- wrk script for bench/storage.sh: PUTs and GETs of keys bench-0000000 .. bench-<KEYS-1>.
--
--   wrk -t T -c C -d D -s bench/storage.lua URL -- MODE KEYS VALUE_BYTES T [DONE_FILE]
--
-- MODE is one of
--   load  PUT every key once, each of the T threads taking every T-th key; a thread that is done
--         stops and appends a line to DONE_FILE. wrk itself runs for its whole -d unless
--         interrupted, so storage.sh sends it SIGINT once DONE_FILE has T lines (wrk then reports
--         the time until then)
--   get   GET random keys
--   put   PUT random keys (overwrites once the keys are loaded)
--   warm  PUT random keys among 1,000 "warm-" keys: JIT warm-up that adds almost no data
-- done() prints one machine-readable line, STORAGEBENCH ..., for storage.sh.

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local mode, keys, body, threads, next_key, done_file
local headers = { ["Content-Type"] = "application/octet-stream" }
local stopped = false

function init(args)
  mode, keys = args[1], tonumber(args[2])
  body = string.rep("v", tonumber(args[3]))
  threads = tonumber(args[4])
  done_file = args[5]
  next_key = thread_index
  math.randomseed(os.time() * 1000 + thread_index)
  if mode ~= "load" and mode ~= "get" and mode ~= "put" and mode ~= "warm" then
    error("MODE must be load, get, put or warm: " .. tostring(mode))
  end
end

local function key(i)
  return string.format("bench-%07d", i)
end

function request()
  if mode == "load" then
    if next_key >= keys then
      if not stopped then
        stopped = true
        local f = assert(io.open(done_file, "a"))
        f:write("thread ", thread_index, " done\n")
        f:close()
        wrk.thread:stop()
      end
      return wrk.format("GET", "/health") -- in flight while the thread stops; not a PUT
    end
    local i = next_key
    next_key = next_key + threads
    return wrk.format("PUT", "/put?key=" .. key(i), headers, body)
  elseif mode == "get" then
    return wrk.format("GET", "/get?key=" .. key(math.random(0, keys - 1)))
  elseif mode == "put" then
    return wrk.format("PUT", "/put?key=" .. key(math.random(0, keys - 1)), headers, body)
  else
    return wrk.format("PUT", "/put?key=warm-" .. math.random(0, 999), headers, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
      "STORAGEBENCH requests=%d seconds=%.2f rate=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
      e.connect + e.read + e.write + e.timeout, e.status))
end
