using System.Diagnostics;
using System.Globalization;
using System.Text;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Bench;

/// <summary>
/// At each concurrency, for a fixed time: (a) the raw driver's find-by-id from this process, (b) the same
/// GET by id through the bare app (ASP.NET Core and the driver, nothing else; bench/Books.Bench.Bare), (c) GET
/// /api/books/{id} and (d) GET /api/books?limit=20 through books-api; throughput, p50, p99, and for each
/// server its CPU time per request, bytes allocated per request (its runtime's alloc-rate counter) and peak
/// RSS (read from /proc of the server process).
/// </summary>
internal static class LoadBenchmark
{
    private const string ApiById = "API GET /api/books/{id}";
    private const string BareById = "bare GET /api/books/{id}";
    private static readonly TimeSpan s_warmup = TimeSpan.FromSeconds(5);
    private static readonly double s_clockTicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>An HTTP server under load: where wrk sends requests, and the process whose CPU and memory count.</summary>
    private sealed record Server(Uri Address, int Pid);

    private sealed record Result(string Scenario, int Concurrency, int Round, long Requests, double Seconds, double P50, double P99, double? CpuMsPerRequest, double MachineCpuMsPerRequest, double? KBAllocatedPerRequest)
    {
        public double Throughput => Requests / Seconds;
    }

    /// <summary>A table cell: the median of a scenario's rounds at one concurrency.</summary>
    private sealed record Cell(string Scenario, int Concurrency, double Throughput, double P50, double P99, double? CpuMsPerRequest, double MachineCpuMsPerRequest, double? KBAllocatedPerRequest);

    public static async Task<string> RunAsync(BenchTarget target, BenchOptions options)
    {
        using var mongo = new MongoClient(target.ConnectionString);
        var books = mongo.GetDatabase(MongoUrl.Create(target.ConnectionString).DatabaseName).GetCollection<BsonDocument>("books");
        var ids = target.BookIds.ToArray();
        var objectIds = ids.Select(ObjectId.Parse).ToArray();
        using var startTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var bare = await BareServer.StartAsync(target.ConnectionString, startTimeout.Token);
        var api = new Server(target.ApiAddress, target.ApiProcess.Id);
        var bareServer = new Server(bare.Address, bare.Process.Id);
        using var apiHttp = NewHttpClient(api);
        using var bareHttp = NewHttpClient(bareServer);

        var byId = ids.Select(id => $"/api/books/{id}").ToArray();
        var scenarios = new (string Name, Server? Server, string[]? HttpPaths, Func<int, Task> Call)[]
        {
            ("raw driver find-by-id", null, null, i => books.Find(new BsonDocument("_id", objectIds[i % objectIds.Length])).FirstOrDefaultAsync()),
            (BareById, bareServer, byId, i => GetAsync(bareHttp, byId[i % byId.Length])),
            (ApiById, api, byId, i => GetAsync(apiHttp, byId[i % byId.Length])),
            ("API GET /api/books?limit=20", api, ["/api/books?limit=20"], _ => GetAsync(apiHttp, "/api/books?limit=20")),
        };

        // Each concurrency runs its scenarios in rounds, raw, bare and API back to back, and the table gives the
        // median round: a shared 2-core machine drifts by 10-30% over minutes, and a ratio of two cells
        // measured minutes apart would mostly measure that drift.
        var results = new List<Result>();
        foreach (var concurrency in options.Concurrency)
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var (name, server, httpPaths, call) in scenarios)
                {
                    var result = await MeasureScenarioAsync(name, server, httpPaths, call, concurrency, TimeSpan.FromSeconds(options.Seconds), round);
                    results.Add(result);
                    Console.WriteLine($"  c={concurrency,-3} round {round} {name,-30} {result.Throughput,8:0} req/s");
                }
            }
        }

        var generator = WrkLoad.IsAvailable ? "wrk (1 thread)" : ".NET HttpClient in the bench process (install wrk for a cheaper generator)";
        return Format(results, PeakRssMegabytes(api.Pid), PeakRssMegabytes(bareServer.Pid), BuildOf(api.Pid), generator, options);
    }

    private static HttpClient NewHttpClient(Server server) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<Result> MeasureScenarioAsync(
        string name, Server? server, string[]? httpPaths, Func<int, Task> call, int concurrency, TimeSpan duration, int round)
    {
        var useWrk = server is not null && WrkLoad.IsAvailable;
        // Warm-up first: JIT tiers, pools, connections.
        if (useWrk)
        {
            await WrkLoad.RunAsync(server!.Address, httpPaths!, concurrency, s_warmup);
        }
        else
        {
            await MeasureAsync(call, concurrency, s_warmup);
        }

        using var allocations = server is null ? null : AllocationMeter.Start(server.Pid);
        var cpuBefore = server is null ? 0 : CpuSeconds(server.Pid);
        var machineBefore = MachineBusySeconds();
        var (requests, seconds, p50, p99) = useWrk
            ? await WrkLoad.RunAsync(server!.Address, httpPaths!, concurrency, duration)
            : await MeasureWithHttpClientOrDriverAsync(call, concurrency, duration);
        double? cpuMsPerRequest = server is null ? null : (CpuSeconds(server.Pid) - cpuBefore) * 1000 / requests;
        var machine = MachineBusySeconds() - machineBefore;
        var allocatedKB = allocations?.BytesPerSecond / (requests / seconds) / 1024;
        return new Result(name, concurrency, round, requests, seconds, p50, p99, cpuMsPerRequest, machine * 1000 / requests, allocatedKB);
    }

    private static async Task GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<(long Requests, double Seconds, double P50, double P99)> MeasureWithHttpClientOrDriverAsync(
        Func<int, Task> call, int concurrency, TimeSpan duration)
    {
        var (requests, seconds, latencies) = await MeasureAsync(call, concurrency, duration);
        return (requests, seconds, Percentile(latencies, 50), Percentile(latencies, 99));
    }

    private static async Task<(long Requests, double Seconds, double[] LatenciesMs)> MeasureAsync(Func<int, Task> call, int concurrency, TimeSpan duration)
    {
        var latencies = new List<double>[concurrency];
        var stopwatch = Stopwatch.StartNew();
        var end = stopwatch.Elapsed + duration;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = new List<double>(100_000);
            while (stopwatch.Elapsed < end)
            {
                var started = Stopwatch.GetTimestamp();
                await call(Interlocked.Increment(ref next));
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return (all.Length, stopwatch.Elapsed.TotalSeconds, all);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];

    /// <summary>User plus system CPU time of a process, from /proc/{pid}/stat.</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / s_clockTicksPerSecond;
    }

    /// <summary>Busy CPU time of the whole machine (every process, all cores), from the first line of /proc/stat.</summary>
    private static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(field => long.Parse(field, CultureInfo.InvariantCulture)).ToArray();
        // Not busy: idle, waiting for I/O, or taken by the hypervisor (steal). Guest time is already in user time.
        const int idle = 3, iowait = 4, steal = 7;
        return fields.Take(steal).Where((_, i) => i is not idle and not iowait).Sum() / s_clockTicksPerSecond;
    }

    /// <summary>The process's peak resident set (VmHWM), in MB.</summary>
    private static double PeakRssMegabytes(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0)
            .Single();

    /// <summary>Release or Debug, read from the books-api process's own command line.</summary>
    private static string BuildOf(int pid)
    {
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        return commandLine.Contains("/Release/", StringComparison.Ordinal) ? "Release"
            : commandLine.Contains("/Debug/", StringComparison.Ordinal) ? "Debug (run the bench with -c Release)"
            : "an unknown configuration";
    }

    private static string Format(List<Result> results, double peakRss, double barePeakRss, string build, string generator, BenchOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Load: {options.Seconds} s per cell after a {s_warmup.TotalSeconds:0} s warm-up, {options.Rounds} rounds per concurrency (figures: the median round); {Environment.ProcessorCount} cores; books-api built in {build}; HTTP load from {generator}; raw load from the driver in the bench process.");
        if (options.ApiEnvironment.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"books-api environment added: {string.Join(", ", options.ApiEnvironment.Select(e => $"{e.Name}={e.Value}"))}.");
        }

        text.AppendLine();
        text.AppendLine("| concurrency | scenario | req/s | p50 ms | p99 ms | server CPU ms/request | server KB allocated/request | machine CPU ms/request | vs raw: throughput | vs raw: p99 |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        var cells = results.GroupBy(r => (r.Concurrency, r.Scenario)).Select(rounds => new Cell(
            rounds.Key.Scenario, rounds.Key.Concurrency, Median(rounds.Select(r => r.Throughput)),
            Median(rounds.Select(r => r.P50)), Median(rounds.Select(r => r.P99)),
            rounds.First().CpuMsPerRequest is null ? null : Median(rounds.Select(r => r.CpuMsPerRequest!.Value)),
            Median(rounds.Select(r => r.MachineCpuMsPerRequest)),
            rounds.Any(r => r.KBAllocatedPerRequest is null) ? null : Median(rounds.Select(r => r.KBAllocatedPerRequest!.Value)))).ToList();
        foreach (var cell in cells)
        {
            var raw = cells.Single(r => r.Concurrency == cell.Concurrency && r.CpuMsPerRequest is null);
            var ratios = cell.CpuMsPerRequest is null ? "| |" : $"| {cell.Throughput / raw.Throughput:0.00}x | {cell.P99 / raw.P99:0.00}x |";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {cell.Concurrency} | {cell.Scenario} | {cell.Throughput:0} | {cell.P50:0.00} | {cell.P99:0.00} | {cell.CpuMsPerRequest?.ToString("0.000", CultureInfo.InvariantCulture) ?? ""} | {cell.KBAllocatedPerRequest?.ToString("0.0", CultureInfo.InvariantCulture) ?? ""} | {cell.MachineCpuMsPerRequest:0.000} {ratios}");
        }

        text.AppendLine();
        text.AppendLine("GET by id throughput ratios, round by round (each round measures raw, bare and API back to back):");
        foreach (var concurrency in options.Concurrency)
        {
            var rounds = results.Where(r => r.Concurrency == concurrency).GroupBy(r => r.Round).Select(round => (
                Raw: round.Single(r => r.CpuMsPerRequest is null).Throughput,
                Bare: round.Single(r => r.Scenario == BareById).Throughput,
                Api: round.Single(r => r.Scenario == ApiById).Throughput)).ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- c={concurrency}: API/raw {Ratios(rounds.Select(r => r.Api / r.Raw))}; bare/raw {Ratios(rounds.Select(r => r.Bare / r.Raw))}; API/bare {Ratios(rounds.Select(r => r.Api / r.Bare))}");
        }

        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"books-api peak RSS (VmHWM) over the whole run: {peakRss:0} MB (the bare app's: {barePeakRss:0} MB).");
        return text.ToString();
    }

    private static string Ratios(IEnumerable<double> ratios) =>
        string.Join(", ", ratios.Select(ratio => ratio.ToString("0.00x", CultureInfo.InvariantCulture)));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
