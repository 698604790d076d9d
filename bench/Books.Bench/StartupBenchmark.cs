using Books.AppHost;
using System.Diagnostics;
using Aspire.Hosting;

namespace Books.Bench;

/// <summary>
/// Time from starting the AppHost to books-api healthy (executable mode), and on to every resource healthy
/// (books-identity, which books-api does not wait for, last), median of several runs.
/// </summary>
internal static class StartupBenchmark
{
    public static async Task<string> MeasureAsync(BenchOptions options)
    {
        var (api, all) = (new List<double>(), new List<double>());
        for (var i = 0; i < options.StartupRuns; i++)
        {
            var dataDirectory = Directory.CreateTempSubdirectory("books-bench-start-").FullName;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var stopwatch = Stopwatch.StartNew();
            var app = await BenchTarget.StartAppAsync(options, dataDirectory, timeout.Token);
            api.Add(stopwatch.Elapsed.TotalSeconds);
            await app.ResourceNotifications.WaitForResourceHealthyAsync(BooksApiTokens.IdentityResourceName, timeout.Token);
            all.Add(stopwatch.Elapsed.TotalSeconds);
            await app.StopAsync(timeout.Token);
            await app.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }

        if (api.Count == 0)
        {
            return "AppHost start to books-api healthy: not measured (--startup-runs 0)";
        }

        return $"AppHost start to books-api healthy (executable mode, {api.Count} runs): {Summary(api)}; to every resource healthy: {Summary(all)}";
    }

    private static string Summary(List<double> runs)
    {
        runs.Sort();
        return $"median {runs[runs.Count / 2]:0.00} s (min {runs[0]:0.00} s, max {runs[^1]:0.00} s)";
    }
}
