using Books.Api.Database;
using Microsoft.Extensions.Logging.Testing;

namespace Books.Tests.Api;

/// <summary>books-api started before its database exists: it is not ready, then becomes ready on its own.</summary>
[Collection(MongodStandInCollection.Name)]
public sealed class LateMongoDBTests(MongodStandInFixture mongod)
{
    [Fact]
    public async Task Late_mongodb_gets_its_indexes()
    {
        // The longest the index retry loop can be asleep, plus two attempts' server selection, plus slack. An attempt
        // gives up after 1 s rather than the default 5 s: the first one has to fail, and the time is all wait.
        var serverSelection = TimeSpan.FromSeconds(1);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(BookIndexBuilder.MaxRetryDelay + serverSelection * 2 + TimeSpan.FromSeconds(10));
        await using var late = new GatedTcpProxy(mongod.Port);
        await using var api = BooksApiHost.Create(
            $"mongodb://127.0.0.1:{late.Port}/books_{Guid.NewGuid():N}?serverSelectionTimeoutMS={serverSelection.TotalMilliseconds}",
            services => services.AddFakeLogging());
        using var client = api.CreateWriterClient();
        var logs = api.Services.GetFakeLogCollector();

        using var before = await client.GetAsync("/health", timeout.Token);
        var checksBefore = (await before.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("checks");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Equal("Unhealthy", checksBefore.GetProperty(BookIndexesHealthCheck.Name).GetProperty("status").GetString());
        Assert.StartsWith("Writes wait for the unique ISBN index.", checksBefore.GetProperty(BookIndexesHealthCheck.Name).GetProperty("description").GetString());

        // Let an attempt fail first, so that what is tested is the retry, not a first attempt that outwaits the gap.
        await Eventually.TrueAsync(
            () => logs.GetSnapshot().Any(r => r.Message.StartsWith("Could not ensure ", StringComparison.Ordinal)),
            "an index attempt failed", timeout.Token);
        late.Open();
        await Eventually.StatusAsync(client, "/health", HttpStatusCode.OK, timeout.Token); // the unique ISBN index: ready
        await Eventually.TrueAsync(() => logs.GetSnapshot().Any(r => r.Message == $"Books indexes ensured ({BookIndexModels.Models.Count + 1})."),
            "every index ensured", timeout.Token);

        // Ready means indexed: the unique ISBN index is there, so a duplicate is refused.
        var book = TestBooks.Body();
        await client.CreateAsync(book, timeout.Token);
        using var duplicate = await client.PostAsJsonAsync("/api/books", book, timeout.Token);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }
}
