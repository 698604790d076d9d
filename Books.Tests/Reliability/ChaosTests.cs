using Books.Api.Limits;
using System.Collections.Concurrent;
using Books.Api.Security;

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
    public async Task Three_outages_under_load_give_only_503s()
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
        Reports.Write("chaos", $"chaos: {outcomes.Count} requests from {Callers} callers through {Outages} outages in {clock.Elapsed.TotalSeconds:0.0} s (rate limits off, {new QueryLimitSettings().MaxConcurrentListings} listing slots); " +
            $"by status {string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}"))}");
        Assert.All(outcomes, o => Assert.True(o.Status is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable,
            $"a {(o.Write ? "write" : "read")} at {o.At.TotalSeconds:0.0} s answered {(int)o.Status}"));
        // 5 s for "Database unavailable"; 1 s for "Too many listings at once", when listings queue behind ones that wait on MongoDB.
        Assert.All(outcomes.Where(o => o.Status == HttpStatusCode.ServiceUnavailable), o => Assert.Contains(o.RetryAfter, new[] { "5", "1" }));
        Assert.Contains(outcomes, o => o.Write && o.Status == HttpStatusCode.ServiceUnavailable);
        Assert.Contains(outcomes, o => !o.Write && o.Status == HttpStatusCode.ServiceUnavailable);
    }

    /// <summary>
    /// One answer a real MongoDB gives that the stand-in never gives by itself, injected for one request, and the server
    /// source that says MongoDB answers so (mongodb/mongo unless named; error_codes.yml is src/mongo/base/error_codes.yml).
    /// </summary>
    public sealed record InjectedAnswer(string Injected, string FailPoint, string Collection, BsonDocument Data, string Request, string Title, string Source);

    private static BsonDocument Fail(string command, int code, params string[] labels) => new()
    {
        ["failCommands"] = new BsonArray { command }, ["errorCode"] = code, ["errorLabels"] = new BsonArray(labels),
    };

    private static BsonDocument WriteConcernError(string command, int code, string codeName, string errmsg) => new()
    {
        ["failCommands"] = new BsonArray { command },
        ["writeConcernError"] = new BsonDocument { ["code"] = code, ["codeName"] = codeName, ["errmsg"] = errmsg },
    };

    private const string Books = BooksServiceCollectionExtensions.CollectionName;
    private const string Logs = WriteLog.CollectionName;
    private const string AwaitReplication = "jstests/replsets/await_replication_timeout.js";
    private const string MaxTime = "src/mongo/db/operation_context.cpp (maxTimeAlwaysTimeOut)";
    private const string Backpressure = "error_codes.yml; mongodb/specifications source/client-backpressure";

    // Each row: MongoDB's answer, the request that meets it, the problem it must become, and where the answer comes from.
    // RFC 9110 15.6.4: a server temporarily unable to handle a request answers 503, and 10.2.3: Retry-After says when.
    private static readonly InjectedAnswer[] s_answers =
    [
        new("maxTimeMS ran out (50), on the write limiter's findAndModify", "maxTimeAlwaysTimeOut", Logs, [], "POST", "Query took too long", MaxTime),
        new("maxTimeMS ran out (50), on a listing", "maxTimeAlwaysTimeOut", Books, [], "GET list", "Query took too long", MaxTime),
        new("no majority reachable: insert, wtimeout ends the wait (wc error 64)", "majorityUnreachable", Books, [], "POST", "Write not confirmed", AwaitReplication),
        new("no majority reachable: findAndModify, maxTimeMS ends the wait (wc error 50)", "majorityUnreachable", Books, [], "PATCH", "Write not confirmed", AwaitReplication),
        new("no majority reachable: DELETE's findAndModify, maxTimeMS ends the wait (wc error 50)", "majorityUnreachable", Books, [], "DELETE", "Write not confirmed", AwaitReplication),
        new("no majority reachable: the seed's bulk upsert (wc error 64)", "majorityUnreachable", Books, [], "POST seed", "Write not confirmed", AwaitReplication),
        new("no majority reachable: the write limiter's findAndModify (wc error 50)", "majorityUnreachable", Logs, [], "POST", "Write not confirmed", AwaitReplication),
        new("write-concern error 64 on a DELETE's findAndModify", "failCommand", Books, WriteConcernError("findAndModify", 64, "WriteConcernTimeout", "waiting for replication timed out"),
            "DELETE", "Write not confirmed", "jstests/core/failcommand_failpoint.js"),
        new("write-concern error 100 (unsatisfiable) on an insert", "failCommand", Books, WriteConcernError("insert", 100, "UnsatisfiableWriteConcern", "Not enough data-bearing nodes"),
            "POST", "Write not confirmed", "error_codes.yml WriteConcernError; jstests/core/failcommand_failpoint.js"),
        new("SystemOverloadedError + RetryableError: ingress request rate limit (462) on find", "failCommand", Books,
            Fail("find", 462, "SystemOverloadedError", "RetryableError"), "GET list", "Database overloaded", Backpressure),
        new("SystemOverloadedError + RetryableError + NoWritesPerformed (463) on insert", "failCommand", Books,
            Fail("insert", 463, "SystemOverloadedError", "RetryableError", "NoWritesPerformed"), "POST", "Database overloaded", Backpressure),
        new("SystemOverloadedError label only (462) on findAndModify", "failCommand", Books, Fail("findAndModify", 462, "SystemOverloadedError"),
            "PATCH", "Database overloaded", Backpressure),
        new("SystemOverloadedError, no label: AdmissionQueueOverflow (433) on find", "failCommand", Books, Fail("find", 433), "GET list", "Database overloaded",
            "error_codes.yml SystemOverloadedError"),
        new("ShutdownError: ShutdownInProgress (91) on find", "failCommand", Books, Fail("find", 91), "GET one", "Database unavailable", "error_codes.yml ShutdownError"),
        new("RetriableError: ReadConcernMajorityNotAvailableYet (134) on find", "failCommand", Books, Fail("find", 134), "GET list", "Database unavailable",
            "error_codes.yml RetriableError"),
        new("NotPrimaryError: NotWritablePrimary (10107) on findAndModify", "failCommand", Books, Fail("findAndModify", 10107), "PATCH", "Database unavailable",
            "error_codes.yml NotPrimaryError; mongodb/specifications source/connections-survive-step-down"),
        new("Interruption: Interrupted (11601) on findAndModify", "failCommand", Books, Fail("findAndModify", 11601), "PATCH", "Database unavailable",
            "error_codes.yml Interruption"),
        new("NetworkTimeoutError: NetworkTimeout (89) on find", "failCommand", Books, Fail("find", 89), "GET one", "Database unavailable",
            "error_codes.yml NetworkTimeoutError"),
        new("ExceededTimeLimitError + NetworkTimeoutError (202, from mongos) on find", "failCommand", Books, Fail("find", 202), "GET list", "Query took too long",
            "error_codes.yml ExceededTimeLimitError"),
        new("ExceededTimeLimitError + RetriableError (262) on insert", "failCommand", Books, Fail("insert", 262), "POST", "Query took too long",
            "error_codes.yml ExceededTimeLimitError"),
        new("CursorInvalidatedError: QueryPlanKilled (175) on find", "failCommand", Books, Fail("find", 175), "GET list", "Database unavailable",
            "error_codes.yml CursorInvalidatedError"),
        new("no category: FailedToSatisfyReadPreference (133, from mongos) on find", "failCommand", Books, Fail("find", 133), "GET one", "Database unavailable",
            "error_codes.yml (uncategorised)"),
        new("no category: WriteConflict (112) on findAndModify", "failCommand", Books, Fail("findAndModify", 112), "PATCH", "Database unavailable",
            "error_codes.yml (uncategorised)"),
    ];

    public static TheoryData<string> Answers => new(s_answers.Select(answer => answer.Injected));

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Each_mongodb_answer_is_a_503_saying_what(string injected)
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
            s_table[row.Injected] = $"{row.Injected} | {row.Request} | {(int)response.StatusCode} {title} | {response.Headers.RetryAfter} | {clock.ElapsedMilliseconds} ms | {row.Source}";
            Reports.Write("chaos-answers", $"chaos, injected answers ({s_table.Count} rows so far; time limit {TimeLimitMs} ms):\n"
                + "injected answer | request | caller got | Retry-After | time | source\n"
                + string.Join("\n", s_table.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => entry.Value)));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            Assert.Equal(row.Title, title);
            if (row.Title == "Write not confirmed")
            {
                Assert.Contains("may stand or be rolled back", problem.GetProperty("detail").GetString());
            }
        }

        if (row is { Title: "Write not confirmed", Collection: Books, Request: "POST" })
        {
            // The write was applied, as the detail warned: the book is there.
            using var stored = await writer.GetAsync($"/api/books/by-isbn/{body["isbn"]}", timeout.Token);
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }
    }

    private const int TimeLimitMs = 500;
    private static readonly ConcurrentDictionary<string, string> s_table = new(StringComparer.Ordinal);
}
