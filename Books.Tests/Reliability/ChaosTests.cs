using Books.Settings;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Books.Api.Security;
using Books.Tests.Infrastructure;

namespace Books.Tests.Reliability;

/// <summary>
/// MongoDB goes away and comes back three times under 32 callers (reads and writes). RFC 9110 15.6.4: a server
/// that is temporarily unable to handle a request answers 503, so while it is away every failure is a 503 with
/// Retry-After; no other 5xx, no hang; and after each return the same process serves again. Stopping and starting
/// is a gate in front of the stand-in that drops every open connection and refuses new ones, as a dead host does.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class ChaosTests(MongodStandInFixture mongod)
{
    private const int Callers = 32;
    private const int Outages = 3;

    [Fact]
    public async Task Mongodb_stopped_and_started_three_times_under_32_callers_gives_503s_and_no_other_5xx()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        await using var gate = new GatedTcpProxy(mongod.Port);
        gate.Open();
        var database = new Uri(mongod.NewDatabase()).AbsolutePath;
        await using var api = BooksApiHost.Create(
            $"mongodb://127.0.0.1:{gate.Port}{database}?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000",
            settings: new Dictionary<string, string> { [RateLimitSettings.EnabledKey] = "false" });
        api.StartOnKestrel();
        var clock = Stopwatch.StartNew();
        var outcomes = new ConcurrentQueue<(TimeSpan At, bool Write, HttpStatusCode Status, string? RetryAfter)>();
        int Seen(TimeSpan since, params HttpStatusCode[] statuses) =>
            outcomes.Count(o => o.At >= since && statuses.Contains(o.Status));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var callers = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            using var client = api.CreateWriterClient();
            client.Timeout = TimeSpan.FromSeconds(20); // a hang fails the test instead of stalling it
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var write = (i + caller) % 2 == 0;
                try
                {
                    using var response = write
                        ? await client.PostAsJsonAsync("/api/books", TestBooks.Body(), stop.Token)
                        : await client.GetAsync("/api/books?limit=5", stop.Token);
                    outcomes.Enqueue((clock.Elapsed, write, response.StatusCode, response.Headers.RetryAfter?.ToString()));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(20, CancellationToken.None);
            }
        })).ToList();

        for (var outage = 0; outage < Outages; outage++)
        {
            var up = clock.Elapsed;
            await Eventually.TrueAsync(() => Seen(up, HttpStatusCode.OK, HttpStatusCode.Created) >= Callers, $"served before outage {outage + 1}", timeout.Token);
            gate.Close();
            var down = clock.Elapsed;
            await Eventually.TrueAsync(() => Seen(down, HttpStatusCode.ServiceUnavailable) >= Callers, $"503s during outage {outage + 1}", timeout.Token);
            gate.Open();
        }

        var recovered = clock.Elapsed;
        await Eventually.TrueAsync(() => Seen(recovered, HttpStatusCode.OK, HttpStatusCode.Created) >= Callers, "served after the last outage", timeout.Token);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        var byStatus = outcomes.GroupBy(o => (int)o.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        Reports.Write("chaos", $"chaos: {outcomes.Count} requests from {Callers} callers through {Outages} outages in {clock.Elapsed.TotalSeconds:0.0} s; " +
            $"by status {string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}"))}");
        Assert.All(outcomes, o => Assert.True(o.Status is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable,
            $"a {(o.Write ? "write" : "read")} at {o.At.TotalSeconds:0.0} s answered {(int)o.Status}"));
        // 5 s for "Database unavailable"; 1 s for "Too many listings at once", when listings queue behind ones that wait on MongoDB.
        Assert.All(outcomes.Where(o => o.Status == HttpStatusCode.ServiceUnavailable), o => Assert.Contains(o.RetryAfter, new[] { "5", "1" }));
        Assert.Contains(outcomes, o => o.Write && o.Status == HttpStatusCode.ServiceUnavailable);
        Assert.Contains(outcomes, o => !o.Write && o.Status == HttpStatusCode.ServiceUnavailable);
    }
}
