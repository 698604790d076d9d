using System.Diagnostics;

namespace Books.Bench;

/// <summary>Time from starting the AppHost to books-api healthy (executable mode), median of several runs.</summary>
internal static class StartupBenchmark
{
    public static async Task<string> MeasureAsync(BenchOptions options)
    {
        var runs = new List<double>();
        for (var i = 0; i < options.StartupRuns; i++)
        {
            var dataDirectory = Directory.CreateTempSubdirectory("books-bench-start-").FullName;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var stopwatch = Stopwatch.StartNew();
            var app = await BenchTarget.StartAppAsync(options, dataDirectory, timeout.Token);
            runs.Add(stopwatch.Elapsed.TotalSeconds);
            await app.StopAsync(timeout.Token);
            await app.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }

        runs.Sort();
        if (runs.Count == 0)
        {
            return "AppHost start to books-api healthy: not measured (--startup-runs 0)";
        }

        return $"AppHost start to books-api healthy (executable mode, {runs.Count} runs): median {runs[runs.Count / 2]:0.00} s " +
               $"(min {runs[0]:0.00} s, max {runs[^1]:0.00} s)";
    }
}
