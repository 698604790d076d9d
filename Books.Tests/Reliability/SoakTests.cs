using System.Collections.Concurrent;
using System.Globalization;
using Books.Api.Security;

namespace Books.Tests.Reliability;

/// <summary>
/// A bounded soak over real HTTP (Kestrel, loopback) against the stand-in: mixed reads and writes at a
/// fixed concurrency. It asserts correctness (no 5xx, every acknowledged write readable afterwards) and
/// reports throughput and latency; it sets no speed goal. BOOKS_SOAK_SECONDS (default 10) sets the length.
/// </summary>
// In the in-process collection, one class at a time; AppHosts and the second stand-in's tests may run beside it,
// so it sets no speed goal and its client timeout is generous.
[Collection(MongodStandInCollection.Name)]
public sealed class SoakTests(MongodStandInFixture mongod)
{
    private const int Concurrency = 32;
    private const int WritePercent = 10;

    [Fact]
    public async Task Mixed_load_loses_no_acknowledged_write()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("BOOKS_SOAK_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 10;
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: new Dictionary<string, string> { [RateLimitSettings.EnabledKey] = "false", [QueryLimitSettings.MaxConcurrentListingsKey] = "64" });
        api.StartOnKestrel();
        using var seeder = api.CreateWriterClient();
        var known = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            known.Add((await seeder.CreateAsync(TestBooks.Body(), TestContext.Current.CancellationToken)).Id());
        }

        var acknowledged = new ConcurrentBag<string>();
        var latencies = new ConcurrentBag<double>();
        var statuses = new ConcurrentDictionary<int, int>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        var clock = Stopwatch.StartNew();

        var workers = Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
        {
            using var client = api.CreateWriterClient();
            client.Timeout = TimeSpan.FromSeconds(30);
            var random = new Random(worker);
            while (!deadline.IsCancellationRequested)
            {
                var roll = random.Next(100);
                var started = Stopwatch.GetTimestamp();
                HttpResponseMessage response;
                try
                {
                    response = roll < WritePercent
                        ? await client.PostAsJsonAsync("/api/books", TestBooks.Body(), CancellationToken.None)
                        : roll < 55
                            ? await client.GetAsync($"/api/books/{known[random.Next(known.Count)]}", CancellationToken.None)
                            : await client.GetAsync("/api/books?limit=20", CancellationToken.None);
                }
                catch (TaskCanceledException)
                {
                    statuses.AddOrUpdate(-1, 1, (_, n) => n + 1); // a client-side timeout: a hang
                    continue;
                }

                using (response)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).Id());
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;

        var lost = new List<string>();
        foreach (var id in acknowledged)
        {
            using var check = await seeder.GetAsync($"/api/books/{id}", TestContext.Current.CancellationToken);
            if (check.StatusCode != HttpStatusCode.OK)
            {
                lost.Add(id);
            }
        }

        var sorted = latencies.Order().ToArray();
        double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
        Reports.Write("soak",
            $"soak: {elapsed.TotalSeconds:0} s at concurrency {Concurrency}, {WritePercent}% writes, Kestrel on loopback, rate limits off, 64 listing slots, stand-in MongoDB: " +
            $"{sorted.Length} requests, {sorted.Length / elapsed.TotalSeconds:0} req/s, p50 {Percentile(50):0.0} ms, p99 {Percentile(99):0.0} ms; " +
            $"by status {string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"))}; " +
            $"{acknowledged.Count} acknowledged writes, {lost.Count} lost");

        Assert.DoesNotContain(statuses.Keys, status => status >= 500 || status < 0);
        Assert.Empty(lost);
        Assert.NotEmpty(acknowledged);
    }
}
