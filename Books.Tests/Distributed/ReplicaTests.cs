using Aspire.MongoDB.Driver;

namespace Books.Tests.Distributed;

/// <summary>books-api at two replicas sharing one database: what holds for one process holds for both.</summary>
[Collection(ReplicatedAppCollection.Name)]
public sealed class ReplicaTests(ReplicatedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Caller_on_both_replicas_gets_one_write_budget()
    {
        using var timeout = Timeout(ReplicatedAppFixture.Window * 3);
        var replicas = await fixture.ReplicaAddressesAsync(timeout.Token);
        Assert.Equal(ReplicatedAppFixture.Replicas, replicas.Distinct().Count());
        var caller = fixture.Tokens.Clients.NextWriter();
        var clients = replicas.Select(r => fixture.CreateReplicaClient(r, caller)).ToList(); // a caller with no writes yet

        var answers = new List<(int Replica, HttpStatusCode Status, TimeSpan? RetryAfter)>();
        for (var i = 0; i < ReplicatedAppFixture.WritesPerWindow + 5; i++)
        {
            var replica = i % clients.Count;
            using var response = await clients[replica].PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
            answers.Add((replica, response.StatusCode, response.Headers.RetryAfter?.Delta));
        }

        clients.ForEach(c => c.Dispose());
        var created = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
        var limited = answers.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(ReplicatedAppFixture.WritesPerWindow, created.Count);
        Assert.Equal(5, limited.Count);
        Assert.Equal(answers.Count, created.Count + limited.Count);
        Assert.All(Enumerable.Range(0, clients.Count), r => Assert.Contains(created, a => a.Replica == r));
        Assert.All(limited, a => Assert.InRange(a.RetryAfter!.Value, TimeSpan.FromSeconds(1), ReplicatedAppFixture.Window));
    }

    [Fact]
    public async Task Racing_updates_on_two_replicas_have_one_winner()
    {
        const int writers = 32;
        using var timeout = Timeout(BooksAppFixture.RequestTimeout * 2);
        var replicas = await fixture.ReplicaAddressesAsync(timeout.Token);
        using var api = fixture.CreateApiClient();
        var book = await api.CreateAsync(TestBooks.Body(), timeout.Token);
        using var start = new SemaphoreSlim(0);

        var racing = Enumerable.Range(0, writers).Select(async i =>
        {
            using var client = fixture.CreateReplicaClient(replicas[i % replicas.Count], fixture.Tokens.Clients.NextWriter());
            var replacement = TestBooks.Body(title: $"Writer {i}");
            replacement["isbn"] = book.GetProperty("isbn").GetString();
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/books/{book.Id()}") { Content = JsonContent.Create(replacement) };
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
            await start.WaitAsync(timeout.Token);
            using var response = await client.SendAsync(request, timeout.Token);
            return response.StatusCode;
        }).ToList();
        start.Release(writers);
        var results = await Task.WhenAll(racing);

        Assert.Equal(1, results.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(writers - 1, results.Count(s => s == HttpStatusCode.PreconditionFailed));
    }

    [Fact]
    public async Task Dashboard_commands_work_whichever_replica_answers()
    {
        using var timeout = Timeout(BooksAppFixture.StartTimeout);
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("books-api", timeout.Token);

        var replicas = await fixture.ReplicasAsync(timeout.Token);

        foreach (var replica in replicas.Keys)
        {
            var seeded = await commands.ExecuteCommandAsync(replica, "seed-sample-books", timeout.Token);
            var again = await commands.ExecuteCommandAsync(replica, "seed-sample-books", timeout.Token);
            var token = await commands.ExecuteCommandAsync(replica, "issue-dev-token", timeout.Token);

            Assert.True(seeded.Success, $"{replica}: {seeded.Message}");
            Assert.True(again.Success, $"{replica}: {again.Message}");
            Assert.StartsWith("Inserted 0 sample books", again.Message);
            Assert.True(token.Success, $"{replica}: {token.Message}");
            foreach (var target in replicas.Values)
            {
                using var client = new HttpClient { BaseAddress = target, Timeout = BooksAppFixture.RequestTimeout };
                client.DefaultRequestHeaders.Authorization = new("Bearer", token.Data?.Value);
                using var created = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
        }
    }

    [Fact]
    public async Task Stopped_mongo_write_is_a_quick_503()
    {
        using var timeout = Timeout(BooksAppFixture.StartTimeout);
        var replicas = await fixture.ReplicaAddressesAsync(timeout.Token);
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        Assert.True((await commands.ExecuteCommandAsync("mongo", KnownResourceCommands.StopCommand, timeout.Token)).Success);
        try
        {
            foreach (var replica in replicas)
            {
                using var client = fixture.CreateReplicaClient(replica, fixture.Tokens.Clients.NextWriter());
                var clock = Stopwatch.StartNew();
                using var response = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);

                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.True(clock.Elapsed < MongoDBSettings.DefaultServerSelectionTimeout + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            }
        }
        finally
        {
            await commands.ExecuteCommandAsync("mongo", KnownResourceCommands.StartCommand, timeout.Token);
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("books-api", timeout.Token);
        }
    }

    /// <summary>Waits, if need be, until the current rate-limit window has most of its length left.</summary>
    private static CancellationTokenSource Timeout(TimeSpan limit)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(limit);
        return timeout;
    }
}
