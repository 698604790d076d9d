using Aspire.MongoDB.Driver;
using Books.Api.Security;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Books.Tests.Distributed;

/// <summary>
/// Stops and starts the mongo resource, so it does not share the AppHost of <see cref="BooksAppCollection"/>; it
/// shares the replicated one (whose other tests stop MongoDB too), with books-api at two replicas behind the proxy.
/// </summary>
[Collection(ReplicatedAppCollection.Name)]
public sealed class MongoOutageTests(ReplicatedAppFixture fixture)
{
    private static readonly TimeSpan s_transitionTimeout = TimeSpan.FromSeconds(90);

    // How long an answer may take beyond the setting that bounds it: two shared cores, loopback HTTP, polling.
    private static readonly TimeSpan s_slack = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_healthCheckTimeout = TimeSpan.FromMilliseconds(MongoDBSettings.DefaultHealthCheckTimeoutMilliseconds);

    [Fact]
    public async Task Dashboard_commands_seed_and_delete()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_transitionTimeout);
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("books-api", timeout.Token);
        var samples = Books.Api.Books.BookSamples.Load().Count;

        var replica = (await fixture.ReplicasAsync(timeout.Token)).Keys.First(); // a command runs on one replica

        var seeded = await commands.ExecuteCommandAsync(replica, "seed-sample-books", timeout.Token);
        var again = await commands.ExecuteCommandAsync(replica, "seed-sample-books", timeout.Token);

        Assert.True(seeded.Success, seeded.Message);
        Assert.Contains("sample books", seeded.Message);
        Assert.True(again.Success, again.Message);
        Assert.Equal($"Inserted 0 sample books; {samples} were already there.", again.Message);

        var api = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "books-api"); // the model has one resource for both replicas
        var delete = Assert.Single(api.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "delete-all-books");
        Assert.False(string.IsNullOrEmpty(delete.ConfirmationMessage));

        var deleted = await commands.ExecuteCommandAsync(replica, "delete-all-books", timeout.Token);

        Assert.True(deleted.Success, deleted.Message);
        Assert.Matches("^Deleted [0-9]+ books\\.$", deleted.Message);
        using var client = fixture.CreateApiClient();
        var page = await client.GetFromJsonAsync<JsonElement>("/api/books?limit=1", timeout.Token);
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Outage_under_traffic_recovers_without_restart()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_transitionTimeout * 2);
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = fixture.App.ResourceNotifications;
        using var api = fixture.CreateApiClient();
        await Eventually.StatusAsync(api, "/health", HttpStatusCode.OK, timeout.Token);
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<(HttpStatusCode Status, TimeSpan Latency, bool Write, TimeSpan StartedAt)>();
        var clock = Stopwatch.StartNew();
        using var stopTraffic = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        int Seen(TimeSpan since, bool write, params HttpStatusCode[] statuses) =>
            outcomes.Count(o => o.StartedAt >= since && o.Write == write && statuses.Contains(o.Status));

        // Four callers (each token has a subject of its own, so a write budget of its own), each alternating a
        // write and a read on a fixed beat that spends half the fixture's budget: however fast answers come, the
        // rate limit never speaks; a slow machine only sends less.
        var beat = ReplicatedAppFixture.Window / ReplicatedAppFixture.WritesPerWindow;
        var traffic = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = fixture.CreateApiClient();
            using var ticks = new PeriodicTimer(beat);
            for (var i = 0; !stopTraffic.IsCancellationRequested; i++)
            {
                var write = i % 2 == 0;
                var startedAt = clock.Elapsed;
                var started = Stopwatch.StartNew();
                try
                {
                    using var response = write
                        ? await client.PostAsJsonAsync("/api/books", TestBooks.Body(), stopTraffic.Token)
                        : await client.GetAsync("/api/books?limit=5", stopTraffic.Token);
                    outcomes.Enqueue((response.StatusCode, started.Elapsed, write, startedAt));
                    await ticks.WaitForNextTickAsync(stopTraffic.Token);
                }
                catch (OperationCanceledException) when (stopTraffic.IsCancellationRequested)
                {
                    return;
                }
            }
        })).ToList();

        // Each phase lasts until the traffic has shown it, not for a fixed time: served, then refused, then served again.
        await Eventually.TrueAsync(() => Seen(TimeSpan.Zero, write: true, HttpStatusCode.Created) >= 4 && Seen(TimeSpan.Zero, write: false, HttpStatusCode.OK) >= 4,
            "writes and reads served before the outage", timeout.Token);
        Assert.True((await commands.ExecuteCommandAsync("mongo", KnownResourceCommands.StopCommand, timeout.Token)).Success);
        var stoppedAt = clock.Elapsed;

        // The API's own view, which the AppHost's probe of books-api reads (the AppHost re-probes a healthy
        // resource only every 30 s or so, so waiting for its view would cost that much). /alive does not depend on MongoDB.
        await Eventually.StatusAsync(api, "/health", HttpStatusCode.ServiceUnavailable, timeout.Token);
        var healthFailedAfter = clock.Elapsed - stoppedAt;
        using (var report = await api.GetAsync("/health", timeout.Token))
        {
            var failing = (await report.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("checks").GetProperty("MongoDB.Driver");
            Assert.Equal("Unhealthy", failing.GetProperty("status").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/alive", timeout.Token)).StatusCode);
        using (var during = await api.GetAsync("/api/books?limit=1", timeout.Token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.Equal("Database unavailable", (await during.ProblemAsync(timeout.Token)).GetProperty("title").GetString());
        }

        Assert.True(healthFailedAfter < s_healthCheckTimeout + s_slack, $"/health took {healthFailedAfter} to notice");
        await Eventually.TrueAsync(() => Seen(stoppedAt, write: true, HttpStatusCode.ServiceUnavailable) >= 2 && Seen(stoppedAt, write: false, HttpStatusCode.ServiceUnavailable) >= 2,
            "writes and reads refused with 503 during the outage", timeout.Token);
        var refused = outcomes.First(o => o.StartedAt >= stoppedAt && o.Status == HttpStatusCode.ServiceUnavailable);

        Assert.True((await commands.ExecuteCommandAsync("mongo", KnownResourceCommands.StartCommand, timeout.Token)).Success);
        await notifications.WaitForResourceHealthyAsync("mongo", timeout.Token);
        await notifications.WaitForResourceAsync("books-api", e => e.Snapshot.HealthStatus == HealthStatus.Healthy, timeout.Token);
        await Eventually.StatusAsync(api, "/health", HttpStatusCode.OK, timeout.Token);
        var recoveredAt = clock.Elapsed;
        await Eventually.TrueAsync(() => Seen(recoveredAt, write: true, HttpStatusCode.Created) >= 4 && Seen(recoveredAt, write: false, HttpStatusCode.OK) >= 4,
            "writes and reads served after recovery", timeout.Token);
        await stopTraffic.CancelAsync();
        await Task.WhenAll(traffic);
        TestContext.Current.SendDiagnosticMessage($"/health 503 after {healthFailedAfter.TotalSeconds:0.0} s; the first refused request took {refused.Latency.TotalSeconds:0.0} s");

        var afterRecovery = outcomes.Where(o => o.StartedAt >= recoveredAt).ToList();
        var byStatus = outcomes.GroupBy(o => (int)o.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        var slowest = outcomes.Max(o => o.Latency);
        Reports.Write("outage-under-traffic",
            $"outage under traffic: {outcomes.Count} requests; by status {string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}"))}; " +
            $"slowest answer {slowest.TotalSeconds:0.0} s; {afterRecovery.Count} sent after recovery, " +
            $"{outcomes.Count(o => o.Status is HttpStatusCode.Created or HttpStatusCode.OK)} succeeded in all");

        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.ServiceUnavailable }));
        Assert.True(byStatus.GetValueOrDefault(503) > 0, "the outage was never seen");
        Assert.True(slowest < MongoDBSettings.DefaultServerSelectionTimeout + s_slack, $"an answer took {slowest}");
        Assert.True(afterRecovery.Count > 0, "no traffic after recovery");
        // Recovered means served: every request sent once /health was back succeeded, reads and writes alike.
        Assert.All(afterRecovery, o => Assert.Contains(o.Status, new[] { HttpStatusCode.OK, HttpStatusCode.Created }));
        Assert.Contains(afterRecovery, o => o.Write);
    }
}
