-- wrk script for bench/storage.sh: PUTs and GETs of keys bench-0000000 .. bench-<KEYS-1>.
--
--   wrk -t T -c C -d D -s bench/storage.lua URL -- MODE KEYS VALUE_BYTES T [DONE_FILE]
--
-- MODE is one of
--   load  PUT every key once, each of the T threads taking every T-th key; a thread whose PUTs
--         have all been answered stops and appends a line to DONE_FILE. wrk itself runs for its whole -d unless
--         interrupted, so storage.sh sends it SIGINT once DONE_FILE has T lines (wrk then reports
--         the time until then)
--   get   GET random keys
--   put   PUT random keys (overwrites once the keys are loaded)
--   warm  GET or PUT (half each) random keys among 1,000 "warm-" keys: JIT warm-up of both paths
--         that adds almost no data
--
-- Values are VALUE_BYTES random letters, each request taking one of 1,024 values the thread made
-- at start, so RocksDB's block compression sees about as little redundancy as in real data.
-- done() prints one machine-readable line, STORAGEBENCH ..., for storage.sh.

local thread_count = 0
local all_threads = {}

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(all_threads, thread)
end

local mode, keys, threads, next_key, done_file
local bodies = {}
local headers = { ["Content-Type"] = "application/octet-stream" }
local stopped = false
local my_keys, put_answers = 0, 0
fillers = 0 -- answered /health fillers; global, so done() can read it through thread:get()
-- wrk calls request() once on the first thread's state before sending anything (to check the
-- script's requests); that first answer is never sent, so it must not use up a key.
local checked = true -- set in init()

function init(args)
  mode, keys = args[1], tonumber(args[2])
  local value_bytes = tonumber(args[3])
  threads = tonumber(args[4])
  done_file = args[5]
  next_key = thread_index
  checked = thread_index ~= 0
  my_keys = math.floor((keys - 1 - thread_index) / threads) + 1
  math.randomseed(os.time() * 1000 + thread_index)
  for b = 1, 1024 do
    local chars = {}
    for c = 1, value_bytes do
      chars[c] = string.char(97 + math.random(0, 25))
    end
    bodies[b] = table.concat(chars)
  end
  if mode ~= "load" and mode ~= "get" and mode ~= "put" and mode ~= "warm" then
    error("MODE must be load, get, put or warm: " .. tostring(mode))
  end
  if (mode == "load") ~= (response ~= nil) then
    error("set LOAD_MODE=1 in wrk's environment exactly when MODE is load")
  end
end

local function key(i)
  return string.format("bench-%07d", i)
end

local function body()
  return bodies[math.random(1, #bodies)]
end

-- A PUT is answered 204 (or an error); the /health fillers sent once the keys run out get 200.
-- Stopping only when every PUT has its answer leaves none in flight, so every key is stored.
-- Defined only for the load: wrk decides before init() whether the script wants responses (and
-- then parses every one), so the switch is an environment variable read when the script loads.
local function count_put_answers(status, headers, body)
  if status == 200 then
    fillers = fillers + 1
  else
    put_answers = put_answers + 1
  end
  if put_answers >= my_keys and not stopped then
    stopped = true
    local f = assert(io.open(done_file, "a"))
    f:write("thread ", thread_index, " done\n")
    f:close()
    wrk.thread:stop()
  end
end

if os.getenv("LOAD_MODE") == "1" then
  response = count_put_answers
end


function request()
  if not checked then
    checked = true
    return wrk.format("GET", "/health")
  end
  if mode == "load" then
    if next_key >= keys then
      -- not counted in the rate (see done()); their (short) latencies are in the histogram
      return wrk.format("GET", "/health") -- keeps the connection busy until the PUTs are answered
    end
    local i = next_key
    next_key = next_key + threads
    return wrk.format("PUT", "/put?key=" .. key(i), headers, body())
  elseif mode == "get" then
    return wrk.format("GET", "/get?key=" .. key(math.random(0, keys - 1)))
  elseif mode == "put" then
    return wrk.format("PUT", "/put?key=" .. key(math.random(0, keys - 1)), headers, body())
  elseif math.random(0, 1) == 0 then
    return wrk.format("GET", "/get?key=warm-" .. math.random(0, 999))
  else
    return wrk.format("PUT", "/put?key=warm-" .. math.random(0, 999), headers, body())
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local count = summary.requests
  for _, thread in ipairs(all_threads) do
    count = count - (thread:get("fillers") or 0)
  end
  io.write(string.format(
      "STORAGEBENCH requests=%d seconds=%.2f rate=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d\n",
      count, summary.duration / 1e6, count / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
      e.connect + e.read + e.write + e.timeout, e.status))
end
