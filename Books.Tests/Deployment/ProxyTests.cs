using System.Text.RegularExpressions;

namespace Books.Tests.Deployment;

/// <summary>The Compose deployment of <see cref="ProxyTests"/>: limits off, MongoDB published on 127.0.0.1 for its fail points.</summary>
public sealed class ProxyDeployment : ComposeDeployment
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["BOOKS_RATE_LIMIT_ENABLED"] = "false",
    };

    protected override Task<string?> OverrideAsync(Images images) => Task.FromResult<string?>($"services:\n  {PublishMongo}\n");

    /// <summary>Sets a fail point of the deployment's MongoDB (the stand-in image: tools/mongo-stand-in/relay.js).</summary>
    public async Task ConfigureFailPointAsync(string name, BsonValue mode, BsonDocument data, CancellationToken cancellationToken)
    {
        using var client = CreateMongoClient();
        await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(
            new BsonDocument { ["configureFailPoint"] = name, ["mode"] = mode, ["data"] = data }, cancellationToken: cancellationToken);
    }
}

/// <summary>
/// The proxy (deploy/haproxy.cfg) between callers and the replicas, each row a guard of its configuration:
///
/// | rule                                                                                  | shown by                                  |
/// |---------------------------------------------------------------------------------------|-------------------------------------------|
/// | books-api's own 503s reach the caller as they are (RFC 9110 15.6.4: Retry-After, the  | 503s from both replicas, then both serve: |
/// | problem) and take no replica out: only readiness (/health) does                       | the access log names each                 |
/// | a request that reached a replica is never sent again (RFC 9110 9.2.2: a proxy may     | a DELETE applied but answered 503 "Write  |
/// | retry an idempotent request, but one whose write was applied must not be run twice)   | not confirmed" is answered so, not 404    |
/// | HTTP/1.1 to the replicas: a POST without a body (curl -X POST, the seed) is accepted  | the seed through the proxy: 200           |
/// | OpenTelemetry (OTLP export, W3C Trace Context): a request's trace reaches the          | the dashboard's telemetry API, asked for  |
/// | deployment's sink, the dashboard, with books-api's server span and its MongoDB span;  | the problem's traceId; without its key    |
/// | the dashboard, reached through the proxy, answers nobody without its own login or key | 401; its UI sends to its https login page |
/// | least privilege (OWASP API8; the MongoDB manual, "Role-Based Access Control"): books-api | its connection string names books-api in   |
/// | logs in as a user of its own database, created at MongoDB's first start, not as root  | booksdb; that login works, in admin it is unknown |
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class ProxyTests(ProxyDeployment deployment) : IClassFixture<ProxyDeployment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private static readonly BsonDocument s_books = new() { ["namespace"] = "booksdb.books" };

    [Fact]
    public async Task Replica_503s_reach_the_caller_and_take_no_replica_out()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);

        // Every find on the books fails with 50 (MaxTimeMSExpired): books-api answers 503 "Query took too long".
        await deployment.ConfigureFailPointAsync("failCommand", "alwaysOn",
            new BsonDocument(s_books) { ["failCommands"] = new BsonArray { "find" }, ["errorCode"] = 50 }, Cancellation);
        var refused = new List<string>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                using var response = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
                var title = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                    ? (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("title").GetString()
                    : await response.Content.ReadAsStringAsync(Cancellation);
                refused.Add($"{(int)response.StatusCode} {title} (Retry-After {response.Headers.RetryAfter})");
            }
        }
        finally
        {
            await deployment.ConfigureFailPointAsync("failCommand", "off", [], Cancellation);
        }

        Assert.All(refused, answer => Assert.StartsWith("503 Query took too long (Retry-After ", answer));
        Assert.DoesNotContain(refused, answer => answer.EndsWith("(Retry-After )", StringComparison.Ordinal));

        // Right after: every request served, by both replicas.
        var marker = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync($"/api/books/{book.Id()}?after503={marker}", Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The access log names the server (books_api/books-api1 ... books-api8, one per address the name books-api has).
        var log = (await ContainerEngine.TryRunAsync("logs", deployment.Container("proxy"))).Output.Split('\n').Where(line => line.Contains(marker)).ToList();
        var servers = log.Select(line => Regex.Match(line, @" books_api/(\S+) ").Groups[1].Value).Distinct().ToList();
        Assert.True(servers.Count == ComposeDeployment.Replicas.Length,
            $"the 10 reads after the 503s reached {servers.Count} replicas, not {ComposeDeployment.Replicas.Length}: one was taken out. The proxy's log of them:\n{string.Join('\n', log)}");
    }

    [Fact]
    public async Task A_write_that_reached_a_replica_is_not_sent_again()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);

        // The DELETE's findAndModify is applied, then answered with a write-concern error (64): books-api answers 503
        // "Write not confirmed". Sent again, to either replica, it would find no book: 404.
        await deployment.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), new BsonDocument(s_books)
        {
            ["failCommands"] = new BsonArray { "findAndModify" },
            ["writeConcernError"] = new BsonDocument { ["code"] = 64, ["codeName"] = "WriteConcernTimeout", ["errmsg"] = "waiting for replication timed out" },
        }, Cancellation);
        using var response = await client.DeleteAsync($"/api/books/{book.Id()}", Cancellation);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Write not confirmed", problem.GetProperty("title").GetString());
        using var read = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode); // it was applied, once
    }

    /// <summary>README's seed command as curl sends it (no body, no Content-Length), through the proxy.</summary>
    [Fact]
    public async Task A_post_without_a_body_reaches_books_api()
    {
        deployment.Require();
        var token = await deployment.TokenAsync("books.write books.admin", Cancellation);

        var curl = await ProcessRunner.RunAsync("curl", [
            "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", deployment.AuthorityFile,
            "--resolve", $"{ComposeDeployment.ApiHost}:{deployment.HttpsPort}:127.0.0.1", "-H", $"Authorization: Bearer {token}",
            "-X", "POST", $"https://{ComposeDeployment.ApiHost}:{deployment.HttpsPort}/api/admin/books/seed"],
            TimeSpan.FromSeconds(30), null, new Dictionary<string, string>());

        Assert.True(curl.Text == "200", $"curl exited {curl.ExitCode}, status {curl.Text}: {curl.Error}");
    }

    [Fact]
    public async Task A_request_s_trace_reaches_the_dashboard_with_its_MongoDB_span()
    {
        deployment.Require();
        using var api = deployment.CreateClient();
        // The deployment keeps one trace in ten, and every trace its caller sampled (W3C Trace Context 3.2.2.5, flags 01).
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{ObjectId.GenerateNewId()}");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var missing = await api.SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        // The problem's traceId is the W3C traceparent of books-api's span: 00-<trace id>-<span id>-<flags>.
        Assert.Equal(traceId, (await missing.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("traceId").GetString()!.Split('-')[1]);

        using var dashboard = deployment.CreateClient(ComposeDeployment.DashboardHost);
        using (var anonymous = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // Its UI sends a visitor without the login's cookie to the login page, through the proxy (https, not the http
        // the dashboard itself is reached by).
        using (var page = await dashboard.GetAsync("/traces", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal($"https://{ComposeDeployment.DashboardHost}:{deployment.HttpsPort}/login",
                page.RequestMessage!.RequestUri!.GetLeftPart(UriPartial.Path));
        }

        // The exporter sends in batches (every 5 s): the spans arrive within seconds.
        dashboard.DefaultRequestHeaders.Add("x-api-key", deployment.Secret("dashboard-api-key"));
        var spans = new List<(string Service, string Name, string? Parent, string Id, string? DbSystem)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () =>
        {
            using var response = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false; // not arrived yet
            }

            var trace = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
            spans = [.. trace.GetProperty("data").GetProperty("resourceSpans").EnumerateArray().SelectMany(resource =>
                resource.GetProperty("scopeSpans").EnumerateArray().SelectMany(scope => scope.GetProperty("spans").EnumerateArray()).Select(span => (
                    Service: Attribute(resource.GetProperty("resource"), "service.name") ?? "",
                    Name: span.GetProperty("name").GetString()!,
                    Parent: span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() : null,
                    Id: span.GetProperty("spanId").GetString()!,
                    DbSystem: Attribute(span, "db.system.name"))))];
            return spans.Any(span => span.DbSystem == "mongodb");
        }, "the trace's MongoDB span is in the dashboard", timeout.Token);

        var server = Assert.Single(spans, span => span.Name == "GET /api/books/{id}");
        Assert.Equal("books-api", server.Service);
        // The MongoDB operation is a child of the request's span (the driver's command span a child of the operation's).
        Assert.Contains(spans, span => span.DbSystem == "mongodb" && span.Parent == server.Id && span.Service == "books-api");
    }

    [Fact]
    public async Task Books_api_logs_in_as_its_own_user_not_as_root()
    {
        deployment.Require();
        var connection = MongoUrl.Create(deployment.ConnectionString);
        Assert.Equal(("books-api", "booksdb", "booksdb"), (connection.Username, connection.AuthenticationSource, connection.DatabaseName));
        Assert.DoesNotContain(deployment.MongoPassword, deployment.ConnectionString);

        // The user deploy/mongo-init/books-api-user.js made at MongoDB's first start, through the port this deployment
        // publishes MongoDB on: it logs in to booksdb, and admin does not know it.
        MongoClient Client(string authSource) => new(new MongoClientSettings
        {
            Server = new MongoServerAddress("127.0.0.1", deployment.MongoPort),
            Credential = MongoCredential.CreateCredential(authSource, connection.Username, connection.Password),
            ServerSelectionTimeout = TimeSpan.FromSeconds(10),
        });
        using var own = Client("booksdb");
        var books = await own.GetDatabase("booksdb").GetCollection<BsonDocument>("books").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Cancellation);
        Assert.True(books >= 0);
        using var asAdmin = Client("admin");
        await Assert.ThrowsAsync<MongoAuthenticationException>(() => // 18, AuthenticationFailed: admin has no such user
            asAdmin.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: Cancellation));
    }

    private static string? Attribute(JsonElement owner, string key) =>
        owner.TryGetProperty("attributes", out var attributes)
            ? attributes.EnumerateArray().Where(attribute => attribute.GetProperty("key").GetString() == key)
                .Select(attribute => attribute.GetProperty("value").TryGetProperty("stringValue", out var value) ? value.GetString() : null).FirstOrDefault()
            : null;
}
