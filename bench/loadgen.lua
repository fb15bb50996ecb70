-- wrk script of the loopback HTTP benchmarks; bench/loadgen.py runs it, see run() there.
--
-- Request file: its path is in the environment variable LOADGEN_REQUESTS (wrk passes a script
-- no options of its own). One request per line ("\n" ends it), four fields separated by TABs:
--
--     METHOD <TAB> PATH <TAB> HEADERS <TAB> BODY
--
--   METHOD   GET, POST ...
--   PATH     the request target, query string included: /api/perks/claim?x=1
--   HEADERS  zero or more "Name: value" pairs joined by "|", e.g.
--            Content-Type: application/json|Cookie: sessionid=abc; csrftoken=def
--            A name holds no ":" and a value no "|"; Host and Content-Length are added here.
--   BODY     sent as is; empty means no body. It holds no TAB and no newline (compact JSON).
--
-- No field may hold a TAB, a CR or a LF; loadgen.write_requests() refuses such requests.
--
-- Modes:
--   once (default)      each request of the file is sent exactly once, in file order, and the
--                       run ends by itself when all are answered (-d is then only a cap).
--                       Only with ONE wrk thread (-t1): several threads could not agree on
--                       who sends what without shared state, and one thread is plenty (the
--                       server, not wrk, is the bottleneck on loopback).
--   LOADGEN_CYCLE=1     cycles through the file for the whole -d duration (throughput of a
--                       trivial endpoint); any number of threads, each starting at its own
--                       offset (LOADGEN_THREADS tells them how many there are).
--
-- done() prints one line "LOADGEN {json}": requests (answered), total (lines in the file), mode,
-- complete (once: all answered before the -d cap; cycle: null), duration_s, rps,
-- latency_ms {p50, p90, p99, max, mean} (wrk's histogram, corrected for coordinated omission),
-- errors {connect, read, write, timeout}, non_2xx_3xx (wrk counts status > 399),
-- statuses {"201": n}, codes {"sold_out": n} (the first "code": "..." of each body).
--
-- wrk runs setup() and done() in one Lua state and each thread in a Lua state of its own, so the
-- tallies of response() live in the thread's state and done() pulls them with thread:get().
-- wrk 4.1.0's thread:get()/set() mishandles the Lua stack on tables (wg/wrk#399): only numbers
-- and strings cross, hence one global number per tally and a string naming them.

local threads = {} -- main state: every thread, from setup()
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_number", thread_count)
   threads[thread_count] = thread
end

-- Thread state ------------------------------------------------------------------------------

answered = 0 -- responses received
total = 0 -- requests in the file
finished = false -- once mode: every request answered
tally_names = "" -- names of the tally globals ("status:201", "code:sold_out"), "\n"-separated

local requests = {} -- pre-formatted: request() must be cheap, it runs once per request
local next_index = 1
local cycle = false
local verified = false

local function fail(message)
   io.stderr:write("loadgen.lua: ", message, "\n")
   os.exit(2)
end

local function parse_headers(field)
   local headers = {}
   for pair in field:gmatch("[^|]+") do
      local name, value = pair:match("^%s*([^:]-)%s*:%s*(.-)%s*$")
      if not name or name == "" then
         return nil
      end
      headers[name] = value
   end
   return headers
end

function init(args)
   local path = os.getenv("LOADGEN_REQUESTS")
   if not path or path == "" then
      fail("set LOADGEN_REQUESTS to the request file")
   end
   cycle = os.getenv("LOADGEN_CYCLE") == "1"
   local file, err = io.open(path, "r")
   if not file then
      fail(err)
   end
   local line_number = 0
   for line in file:lines() do
      line_number = line_number + 1
      if line ~= "" then
         local method, target, header_field, body =
            line:match("^([^\t]+)\t([^\t]+)\t([^\t]*)\t([^\t]*)$")
         local headers = method and parse_headers(header_field)
         if not headers then
            fail(path .. ":" .. line_number .. ": expected METHOD\\tPATH\\tHEADERS\\tBODY")
         end
         requests[#requests + 1] = wrk.format(method, target, headers, body ~= "" and body or nil)
      end
   end
   file:close()
   total = #requests
   if total == 0 then
      fail(path .. ": no request")
   end
   if cycle then
      -- Threads start at evenly spread offsets (LOADGEN_THREADS: their number), so that they
      -- do not send the same requests in lockstep.
      local thread_total = tonumber(os.getenv("LOADGEN_THREADS") or "1") or 1
      next_index = math.floor((thread_number - 1) * total / thread_total) % total + 1
   elseif thread_number > 1 then
      fail("once mode (LOADGEN_CYCLE unset) runs with one thread: wrk -t1")
   end
end

function request()
   -- wrk calls request() once on thread 1 before the run to check that it parses: that
   -- request is not sent, so it must not use up a line of the file.
   if not verified and thread_number == 1 then
      verified = true
      return requests[next_index]
   end
   verified = true
   if next_index > total then
      if cycle then
         next_index = 1
      else
         -- All sent: the connection stays idle (an empty write) until the last answer ends
         -- the run. A sync gunicorn worker that accepts such a connection waits on it, but
         -- only after the requests still in flight: they were connected earlier, and the
         -- accept queue is first in, first out.
         return ""
      end
   end
   local req = requests[next_index]
   next_index = next_index + 1
   return req
end

-- One global number per tally: see the top of the file.
local function count(name)
   local n = _G[name]
   if n == nil then
      tally_names = tally_names .. name .. "\n"
      n = 0
   end
   _G[name] = n + 1
end

local function end_run()
   finished = true
   wrk.thread:stop()
   -- Stopping this thread alone would leave wrk's main thread asleep for the rest of -d, and
   -- its measured duration with it. Its SIGINT handler is what ends the sleep early (as a ^C
   -- does), so send SIGINT to the main thread (tid = pid), then wrk joins threads and runs
   -- done() as usual.
   local ok, ffi = pcall(require, "ffi")
   if ok then
      ffi.cdef([[
         int getpid(void);
         int kill(int pid, int sig);
         int tgkill(int tgid, int tid, int sig);
      ]])
      local pid = ffi.C.getpid()
      if not pcall(function() return ffi.C.tgkill(pid, pid, 2) end) then
         ffi.C.kill(pid, 2) -- old glibc: the signal goes to the main thread on Linux anyway
      end
   else
      -- Not LuaJIT: a shell's parent is wrk. (os.execute would not do: system() ignores
      -- SIGINT in the caller while the command runs.)
      local shell = io.popen("kill -INT $PPID")
      if shell then
         shell:close()
      end
   end
end

function response(status, headers, body)
   answered = answered + 1
   count("status:" .. status)
   local code = body:match('"code"%s*:%s*"([^"]*)"')
   if code then
      count("code:" .. code)
   end
   if not cycle and answered == total then
      end_run()
   end
end

-- Main state: done() ------------------------------------------------------------------------

local function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

local function json_counts(counts)
   local keys = {}
   for key in pairs(counts) do
      keys[#keys + 1] = key
   end
   table.sort(keys)
   local parts = {}
   for _, key in ipairs(keys) do
      parts[#parts + 1] = json_string(key) .. ": " .. string.format("%d", counts[key])
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests_stats)
   local statuses, codes = {}, {}
   local requests_answered, file_total, finished_all = 0, 0, true
   for _, thread in ipairs(threads) do
      requests_answered = requests_answered + thread:get("answered")
      file_total = thread:get("total")
      finished_all = finished_all and thread:get("finished")
      for name in thread:get("tally_names"):gmatch("[^\n]+") do
         local kind, key = name:match("^(%a+):(.*)$")
         local into = kind == "status" and statuses or codes
         into[key] = (into[key] or 0) + thread:get(name)
      end
   end
   local cycle_mode = os.getenv("LOADGEN_CYCLE") == "1"
   local duration_s = summary.duration / 1e6
   local function ms(us)
      return string.format("%.3f", us / 1000)
   end
   local e = summary.errors
   local fields = {
      '"requests": ' .. string.format("%d", requests_answered),
      '"total": ' .. string.format("%d", file_total),
      '"mode": ' .. (cycle_mode and '"cycle"' or '"once"'),
      -- once: whether every request was answered before the -d cap; cycle: always null
      '"complete": ' .. (cycle_mode and "null" or tostring(finished_all)),
      '"duration_s": ' .. string.format("%.3f", duration_s),
      '"rps": ' .. string.format("%.1f", requests_answered / duration_s),
      '"latency_ms": {"p50": ' .. ms(latency:percentile(50)) .. ', "p90": '
         .. ms(latency:percentile(90)) .. ', "p99": ' .. ms(latency:percentile(99))
         .. ', "max": ' .. ms(latency.max) .. ', "mean": ' .. ms(latency.mean) .. "}",
      string.format(
         '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}',
         e.connect, e.read, e.write, e.timeout
      ),
      '"non_2xx_3xx": ' .. string.format("%d", e.status),
      '"statuses": ' .. json_counts(statuses),
      '"codes": ' .. json_counts(codes),
   }
   io.write("LOADGEN {" .. table.concat(fields, ", ") .. "}\n")
end
