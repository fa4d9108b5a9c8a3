-- wrk script of `python -m bench`: counts the responses outside 2xx (wrk's own count
-- leaves out 3xx) and prints, when the run is done, one line of JSON with the figures.
-- Latencies are in microseconds. https://github.com/wg/wrk/blob/master/SCRIPTING

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  first_status = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_status == 0 then
      first_status = status
    end
  end
end

function done(summary, latency, requests)
  local non2xx_total, status = 0, 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    if status == 0 then
      status = thread:get("first_status")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    '{"bench_wrk": 1, "requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, "first_non2xx_status": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, non2xx_total, status,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max
  ))
end
