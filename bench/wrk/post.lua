-- wrk script of `npm run bench`: POSTs the JSON body read from the file named by WRK_BODY, with
-- `Authorization: Bearer $WRK_TOKEN` when set, and prints one machine-readable line at the end:
--   BENCH_RESULT {"requests":…,"durationUs":…,"status":…,"p50Us":…,…}
-- `status` counts answers that are not 2xx/3xx; connect/read/write/timeout are socket errors.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
