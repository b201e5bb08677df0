-- wrk script of benchmarks/intake_load.py: POSTs one public submission per request, each with a
-- fresh client id (UUID 4), and writes one line per answer to <prefix>-<thread>.txt:
--   "<status> <receipt code or bare row id>" for a 2xx answer, "<status> -" otherwise.
-- Arguments (after --): prefix programme district
-- The summary (requests, errors, latency percentiles in microseconds) is printed as one JSON line.

local threads = {}
local description = "Дорога к школе в кишлаке ночью не освещена, дети возвращаются в темноте; " ..
  "родители просят поставить фонари у моста и у остановки."

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local function seed()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f:read(6)
  f:close()
  local n = 0
  for i = 1, #bytes do n = n * 256 + bytes:byte(i) end
  return n
end

function init(args)
  prefix, programme, district = args[1], args[2], args[3]
  math.randomseed(seed())
  out = io.open(prefix .. "-" .. id .. ".txt", "w")
  out:setvbuf("line")
end

local function uuid4()
  local b = {}
  for i = 1, 16 do b[i] = math.random(0, 255) end
  b[7] = bit.bor(bit.band(b[7], 0x0f), 0x40)
  b[9] = bit.bor(bit.band(b[9], 0x3f), 0x80)
  return string.format("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", unpack(b))
end

function request()
  local body = '{"programme":"' .. programme .. '","district":"' .. district .. '","description":"' ..
    description .. '","location_text":"","language":"ru","client_id":"' .. uuid4() .. '"}'
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    local code = body:match('"receipt_code"%s*:%s*"([%w%-]+)"') or body:match('"id"%s*:%s*"([%w%-]+)"') or "?"
    out:write(status, " ", code, "\n")
  else
    out:write(status, " -\n")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
