using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Books.Tests.Infrastructure;

namespace Books.Tests.Deployment;

/// <summary>The Compose deployment under load: the limits off, since every client of the test shares one address.</summary>
public sealed class UnlimitedDeployment : ComposeDeployment
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["BOOKS_RATE_LIMIT_ENABLED"] = "false",
    };
}

/// <summary>
/// A rolling replacement as an orchestrator does it: each replica in turn gets SIGTERM (docker stop), exits, and is
/// started again, while 32 clients read and write through the proxy. What a client must see (RFC 9110 9.2.2: the
/// proxy may retry idempotent requests; a POST it has sent it must not): no 5xx, no reset connection, no timeout,
/// and every book it was told was stored still readable afterwards. Right after SIGTERM a replica's readiness probe
/// fails and it refuses idempotent requests (503, for the proxy to retry) while still listening; it exits, with 0,
/// within 5 s.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class ReplicaReplacementTests(UnlimitedDeployment deployment) : IClassFixture<UnlimitedDeployment>
{
    private const int Clients = 32;
    private static readonly TimeSpan s_minimumLoad = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_exitBound = TimeSpan.FromSeconds(5);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replacing_each_replica_under_load_fails_no_request()
    {
        ContainerEngine.Require(deployment.EngineUnavailable);
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var load = new Load(client);
        await load.SeedAsync(20, Cancellation);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var started = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(() => load.RunAsync(stop.Token))).ToArray();

        var exits = new List<string>();
        using var replacing = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        replacing.CancelAfter(TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(5), replacing.Token);
        foreach (var replica in ComposeDeployment.Replicas)
        {
            var container = deployment.Container(replica);
            var stopping = Stopwatch.StartNew();
            await ContainerEngine.RunAsync("kill", "--signal", "SIGTERM", container);
            var drain = await ObserveDrainAsync(replica, replacing.Token);
            await Eventually.TrueAsync(async () => (await ContainerEngine.RunAsync("inspect", "--format", "{{.State.Running}}", container)).Trim() == "false",
                $"{replica} exits", replacing.Token);
            var exitCode = (await ContainerEngine.RunAsync("inspect", "--format", "{{.State.ExitCode}}", container)).Trim();
            exits.Add($"{replica} exited {exitCode} within {stopping.Elapsed.TotalSeconds:0.0} s of SIGTERM ({drain})");
            Assert.True(stopping.Elapsed < s_exitBound, exits[^1]);
            Assert.Equal("0", exitCode);
            Assert.StartsWith("/health 503 while GET /api/books 503 Shutting down", drain);

            var restarting = Stopwatch.StartNew();
            await ContainerEngine.RunAsync("start", container);
            await deployment.WaitHealthyAsync(replica, replacing.Token);
            exits[^1] += $", healthy {restarting.Elapsed.TotalSeconds:0.0} s after docker start";
            await Task.Delay(TimeSpan.FromSeconds(3), replacing.Token);
        }

        var remaining = s_minimumLoad - started.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, replacing.Token);
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60), Cancellation);
        var lost = await load.LostWritesAsync(Cancellation);

        var summary = $"replacement: {Clients} clients for {started.Elapsed.TotalSeconds:0} s through the proxy, each replica stopped " +
            $"(SIGTERM) and started again: {load.Summary()}; {load.Created.Count} acknowledged creates, {lost.Count} lost; {string.Join("; ", exits)}";
        Reports.Write("deployment-replacement", summary);
        if (!load.Failures.IsEmpty)
        {
            var proxyLog = await ContainerEngine.TryRunAsync("logs", "--tail", "20", deployment.Container("proxy"));
            summary += $"\nproxy: {proxyLog.Error}";
        }

        Assert.True(load.Failures.IsEmpty, $"{summary}\nfailures: {string.Join("\n", load.Failures.Take(10))}");
        Assert.Empty(lost);
        Assert.True(load.Total > 1000, summary);
    }

    /// <summary>
    /// What the proxy meets right after SIGTERM, during the drain: readiness failing, and an idempotent request refused
    /// unprocessed (so nginx retries it elsewhere and leaves the replica out) while the replica still listens.
    /// </summary>
    private async Task<string> ObserveDrainAsync(string replica, CancellationToken cancellationToken)
    {
        using var probe = deployment.CreateReplicaClient(replica);
        probe.Timeout = TimeSpan.FromSeconds(2);
        try
        {
            // The signal reaches the process a moment after docker kill returns.
            var health = HttpStatusCode.OK;
            for (var i = 0; i < 10 && health == HttpStatusCode.OK; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                using var answer = await probe.GetAsync("/health", cancellationToken);
                health = answer.StatusCode;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=1");
            request.Headers.Host = ComposeDeployment.ApiHost;
            using var read = await probe.SendAsync(request, cancellationToken);
            var title = read.Content.Headers.ContentType?.MediaType == "application/problem+json"
                ? (await read.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("title").GetString()
                : "";
            return $"/health {(int)health} while GET /api/books {(int)read.StatusCode} {title}";
        }
        catch (HttpRequestException ex)
        {
            return $"no answer right after SIGTERM: {ex.Message}";
        }
    }

    /// <summary>What 32 clients do: reads by id and of a listing page, creates and merge patches (one in ten is a write).</summary>
    private sealed class Load(HttpClient client)
    {
        private readonly List<string> _seeded = [];
        private readonly ConcurrentDictionary<string, int> _byStatus = new();

        public ConcurrentQueue<string> Created { get; } = new();
        public ConcurrentQueue<string> Failures { get; } = new();
        public int Total => _byStatus.Values.Sum();

        public async Task SeedAsync(int count, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                _seeded.Add((await client.CreateAsync(TestBooks.Body(), cancellationToken)).Id());
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var pick = Random.Shared.Next(100);
                var id = _seeded[Random.Shared.Next(_seeded.Count)];
                using var request = pick switch
                {
                    < 70 => new HttpRequestMessage(HttpMethod.Get, $"/api/books/{id}"),
                    < 90 => new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=10"),
                    < 95 => new HttpRequestMessage(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) },
                    _ => TestBooks.Write("PATCH", id, patch: $$"""{ "summary": "{{Guid.NewGuid():N}}" }"""),
                };
                try
                {
                    // Not the stop token: a request in flight when the load ends still counts, with its own bound.
                    using var response = await client.SendAsync(request, CancellationToken.None);
                    _byStatus.AddOrUpdate($"{(int)response.StatusCode}", 1, (_, n) => n + 1);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        Created.Enqueue((await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).Id());
                    }
                    else if (!response.IsSuccessStatusCode)
                    {
                        Failures.Enqueue($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    _byStatus.AddOrUpdate("exception", 1, (_, n) => n + 1);
                    Failures.Enqueue($"{request.Method} {request.RequestUri}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }

        /// <summary>The acknowledged creates that cannot be read back.</summary>
        public async Task<List<string>> LostWritesAsync(CancellationToken cancellationToken)
        {
            var lost = new List<string>();
            foreach (var id in Created)
            {
                using var response = await client.GetAsync($"/api/books/{id}", cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    lost.Add($"{id}: {(int)response.StatusCode}");
                }
            }

            return lost;
        }

        public string Summary() =>
            $"{Total} requests, by status {string.Join(", ", _byStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}, {Failures.Count} failed";
    }
}
