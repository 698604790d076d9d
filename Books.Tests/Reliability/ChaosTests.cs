using Books.Settings;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Books.Api.Security;
using System.Text.Json;
using Books.Api.Books;
using Books.Tests.Infrastructure;
using MongoDB.Bson;
using MongoDB.Driver;

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

    /// <summary>One answer a real MongoDB gives that the stand-in never gives by itself, injected for one request.</summary>
    public sealed record InjectedAnswer(string Injected, string FailPoint, string Collection, BsonDocument Data, string Request, string Title);

    private static BsonDocument Fail(string command, int code, params string[] labels) => new()
    {
        ["failCommands"] = new BsonArray { command }, ["errorCode"] = code, ["errorLabels"] = new BsonArray(labels),
    };

    private const string Books = BooksServiceCollectionExtensions.CollectionName;
    private const string Logs = WriteLog.CollectionName;

    // Each row: MongoDB's answer (the manual's code and labels), the request that meets it, the problem it must become.
    // RFC 9110 15.6.4: a server temporarily unable to handle a request answers 503, and 10.2.3: Retry-After says when.
    private static readonly InjectedAnswer[] s_answers =
    [
        new("maxTimeMS ran out (50), on the write limiter's findAndModify", "maxTimeAlwaysTimeOut", Logs, [], "POST", "Query took too long"),
        new("maxTimeMS ran out (50), on a listing", "maxTimeAlwaysTimeOut", Books, [], "GET list", "Query took too long"),
        new("no majority reachable: insert waits for w:majority", "majorityUnreachable", Books, [], "POST", "Write not confirmed"),
        new("no majority reachable: findAndModify", "majorityUnreachable", Books, [], "PATCH", "Write not confirmed"),
        new("no majority reachable: delete", "majorityUnreachable", Books, [], "DELETE", "Write not confirmed"),
        new("no majority reachable: the seed's bulk upsert", "majorityUnreachable", Books, [], "POST seed", "Write not confirmed"),
        new("no majority reachable: the write limiter's writes", "majorityUnreachable", Logs, [], "POST", "Write not confirmed"),
        new("write-concern error 64 on a delete", "failCommand", Books,
            new BsonDocument { ["failCommands"] = new BsonArray { "delete" }, ["writeConcernError"] = new BsonDocument { ["code"] = 64, ["codeName"] = "WriteConcernFailed", ["errmsg"] = "waiting for replication timed out", ["errInfo"] = new BsonDocument("wtimeout", true) } },
            "DELETE", "Write not confirmed"),
        new("ingress request rate limit (462) on find", "failCommand", Books, Fail("find", 462, "SystemOverloadedError", "RetryableError"), "GET list", "Database overloaded"),
        new("ingress operation rate limit (463) on insert", "failCommand", Books, Fail("insert", 463, "SystemOverloadedError", "RetryableError", "NoWritesPerformed"), "POST", "Database overloaded"),
        new("overloaded (462), not retryable, on findAndModify", "failCommand", Books, Fail("findAndModify", 462, "SystemOverloadedError"), "PATCH", "Database overloaded"),
        new("shutdown in progress (91) on find", "failCommand", Books, Fail("find", 91), "GET one", "Database unavailable"),
    ];

    public static TheoryData<string> Answers => new(s_answers.Select(answer => answer.Injected));

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Each_injected_mongodb_answer_reaches_the_caller_as_a_503_that_says_what_happened(string injected)
    {
        var row = s_answers.Single(answer => answer.Injected == injected);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var connectionString = mongod.NewDatabase();
        await using var api = BooksApiHost.Create(connectionString, settings: new Dictionary<string, string>
        {
            [QueryLimitSettings.TimeLimitMillisecondsKey] = TimeLimitMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var writer = api.CreateWriterClient();
        using var admin = api.CreateAdminClient();
        writer.Timeout = admin.Timeout = TimeSpan.FromSeconds(20); // a write that waits for good fails the test, not the run
        var book = await writer.CreateAsync(TestBooks.Body(), timeout.Token);
        var body = TestBooks.Body();
        using var request = row.Request switch
        {
            "POST" => new HttpRequestMessage(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(body) },
            "POST seed" => new HttpRequestMessage(HttpMethod.Post, "/api/admin/books/seed"),
            "GET list" => new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=5"),
            "GET one" => new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}"),
            _ => TestBooks.Write(row.Request, book.Id()),
        };

        var data = new BsonDocument(row.Data) { ["namespace"] = $"{MongoUrl.Create(connectionString).DatabaseName}.{row.Collection}" };
        await mongod.ConfigureFailPointAsync(row.FailPoint, "alwaysOn", data, timeout.Token);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = await (row.Request == "POST seed" ? admin : writer).SendAsync(request, timeout.Token);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync(row.FailPoint, "off", data, CancellationToken.None);
        }

        using (response)
        {
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? await response.ProblemAsync(timeout.Token) : default;
            var title = problem.ValueKind == JsonValueKind.Object ? problem.GetProperty("title").GetString() : null;
            s_table[row.Injected] = $"{row.Injected} | {row.Request} | {(int)response.StatusCode} {title} | {response.Headers.RetryAfter} | {clock.ElapsedMilliseconds} ms";
            Reports.Write("chaos-answers", $"chaos, injected answers ({s_table.Count} rows so far; time limit {TimeLimitMs} ms):\n"
                + "injected answer | request | caller got | Retry-After | time\n"
                + string.Join("\n", s_table.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => entry.Value)));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            Assert.Equal(row.Title, title);
            if (row.Title == "Write not confirmed")
            {
                Assert.Contains("may stand or be rolled back", problem.GetProperty("detail").GetString());
            }
        }

        if (row is { FailPoint: "majorityUnreachable", Collection: Books, Request: "POST" })
        {
            // The write was applied, as the detail warned: the book is there.
            using var stored = await writer.GetAsync($"/api/books/by-isbn/{body["isbn"]}", timeout.Token);
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }
    }

    private const int TimeLimitMs = 500;
    private static readonly ConcurrentDictionary<string, string> s_table = new(StringComparer.Ordinal);
}
