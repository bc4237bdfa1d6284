-- wrk script: authenticated referral pages, a different referral each time, out of the corpus's
-- SEVERN_BENCH_REPORTS (default a million).
math.randomseed(7)
local reports = tonumber(os.getenv("SEVERN_BENCH_REPORTS") or "1000000")
request = function()
  local id = 100000001 + math.random(0, reports - 1)
  return wrk.format("GET", "/referrals/ncmec:" .. id)
end

done = function(summary, latency, requests)
  local non_2xx = summary.errors.status
  io.write(string.format("pages %d, errors %d (status %d, timeout %d), %.0f pages/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    summary.requests, non_2xx + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    non_2xx, summary.errors.timeout, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
