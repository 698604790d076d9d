using Books.Api.Limits;
using Books.Api.Security;

namespace Books.Tests.Api;

/// <summary>If-Match and If-None-Match in each form a client can send them (RFC 9110 section 13).</summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class ConditionalRequestTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("PUT", "*", HttpStatusCode.OK)]
    [InlineData("PATCH", "*", HttpStatusCode.OK)]
    [InlineData("DELETE", "*", HttpStatusCode.NoContent)]
    [InlineData("PUT", "\"7\", \"1\"", HttpStatusCode.OK)] // one of several tags names the current version
    [InlineData("PATCH", "\"7\", \"8\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("DELETE", "not-an-etag", HttpStatusCode.PreconditionFailed)] // unparseable: matches nothing
    [InlineData("PUT", "W/\"1\"", HttpStatusCode.PreconditionFailed)] // If-Match compares strongly
    public async Task If_match_forms_decide_whether_a_write_applies(string method, string ifMatch, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var putBody = TestBooks.Body();
        putBody["isbn"] = book.GetProperty("isbn").GetString();
        using var request = TestBooks.Write(method, book.Id(), putBody);
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(expected, response.StatusCode);
        using var after = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
        if (expected == HttpStatusCode.PreconditionFailed)
        {
            // Nothing changed: same version, same title.
            var stored = await after.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal(1, stored.GetProperty("version").GetInt64());
            Assert.Equal(book.GetProperty("title").GetString(), stored.GetProperty("title").GetString());
        }
        else
        {
            Assert.Equal(method == "DELETE" ? HttpStatusCode.NotFound : HttpStatusCode.OK, after.StatusCode);
        }
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task If_match_on_a_missing_book_is_404_not_412(string method)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        using var request = TestBooks.Write(method, "65a1b2c3d4e5f60718293a4b");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("*", HttpStatusCode.NotModified)]
    [InlineData("W/\"1\"", HttpStatusCode.NotModified)] // If-None-Match compares weakly
    [InlineData("\"0\", \"1\"", HttpStatusCode.NotModified)]
    [InlineData("\"2\"", HttpStatusCode.OK)]
    public async Task If_none_match_forms_decide_whether_a_read_is_304(string ifNoneMatch, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}");
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
    }

    private static readonly string[] s_writes = ["PUT", "PATCH", "DELETE"];

    // Each row: a field value and whether a write carrying it applies to the book at version 1 (ETag "1").
    // If-Match (RFC 9110 13.1.1): "*" or a listed tag strongly equal to "1" (8.8.3.2) makes it true; anything else,
    // an invalid field value included, makes it false, and a false condition is 412 with nothing written.
    private static readonly (string Value, bool Applies)[] s_ifMatchTable =
    [
        ("\"1\"", true), ("*", true), ("\"2\", \"1\"", true), ("\"1\",,\"2\"", true),
        ("\"2\"", false), ("\"-1\"", false), ("\"01\"", false), ("\"+1\"", false), ("\" 1\"", false),
        ("1", false), ("W/\"1\"", false), ("w/\"1\"", false), ("\"1\", x", false), ("\"1\", *", false),
        ("*, \"1\"", false), ("\"1\" \"2\"", false), ("\"\"", false), ("\"1", false),
    ];

    // If-None-Match (RFC 9110 13.1.2): "*", or a listed tag weakly equal to "1" (8.8.3.2), makes it false: 412 on a
    // write. Anything else is true, an invalid field value included ("Otherwise, the condition is true").
    private static readonly (string Value, bool Applies)[] s_ifNoneMatchTable =
    [
        ("*", false), ("\"1\"", false), ("W/\"1\"", false), ("\"2\", W/\"1\"", false),
        ("\"2\"", true), ("\"-1\"", true), ("\"01\"", true), ("\"1\", x", true), ("\"2\", *", true),
    ];

    [Theory]
    [InlineData("If-Match")]
    [InlineData("If-None-Match")]
    public async Task Each_field_value_gets_its_rfc_9110_answer(string field)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: s_noWriteLimit);
        using var client = api.CreateWriterClient();
        var table = field == "If-Match" ? s_ifMatchTable : s_ifNoneMatchTable;
        var wrong = new List<string>();

        foreach (var method in s_writes)
        {
            JsonElement? unchanged = null; // a refused write leaves the book at version 1, so the next row can use it
            foreach (var (value, applies) in table)
            {
                var book = unchanged ?? await client.CreateAsync(TestBooks.Body(), Cancellation);
                using var request = TestBooks.Write(method, book.Id(), SameIsbn(book));
                request.Headers.TryAddWithoutValidation(field, value);
                using var response = await client.SendAsync(request, Cancellation);

                var expected = !applies ? HttpStatusCode.PreconditionFailed
                    : method == "DELETE" ? HttpStatusCode.NoContent : HttpStatusCode.OK;
                var stored = await StoredVersionAsync(client, book.Id());
                var expectedVersion = !applies ? 1 : method == "DELETE" ? (long?)null : 2;
                unchanged = stored == 1 ? book : null;
                if (response.StatusCode != expected || stored != expectedVersion)
                {
                    wrong.Add($"{method} {field}: {value} answered {(int)response.StatusCode} leaving version {stored?.ToString() ?? "none"}; expected {(int)expected} leaving {expectedVersion?.ToString() ?? "none"}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Any_precondition_on_a_missing_book_is_404()
    {
        // RFC 9110 13.2.1: preconditions are ignored when the answer without them would not be 2xx or 412.
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: s_noWriteLimit);
        using var client = api.CreateWriterClient();
        var wrong = new List<string>();
        foreach (var method in s_writes)
        {
            foreach (var (field, value) in s_ifMatchTable.Select(row => ("If-Match", row.Value)).Concat(s_ifNoneMatchTable.Select(row => ("If-None-Match", row.Value))))
            {
                using var request = TestBooks.Write(method, "65a1b2c3d4e5f60718293a4b");
                request.Headers.TryAddWithoutValidation(field, value);
                using var response = await client.SendAsync(request, Cancellation);
                if (response.StatusCode != HttpStatusCode.NotFound)
                {
                    wrong.Add($"{method} {field}: {value} answered {(int)response.StatusCode}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Theory]
    [InlineData("\"1\"", "\"1\"", HttpStatusCode.PreconditionFailed)] // If-Match true, If-None-Match false
    [InlineData("\"2\"", "\"2\"", HttpStatusCode.PreconditionFailed)] // If-Match false decides first (13.2.2 step 1)
    [InlineData("\"1\"", "\"2\"", HttpStatusCode.OK)]
    public async Task Both_preconditions_must_hold(string ifMatch, string ifNoneMatch, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        using var request = TestBooks.Write("PATCH", book.Id());
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("If-Match", "\"2\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("If-Match", "\"1\", x", HttpStatusCode.PreconditionFailed)]
    [InlineData("If-Match", "*", HttpStatusCode.OK)]
    [InlineData("If-None-Match", "\"01\"", HttpStatusCode.OK)]            // weakly equal only when the same characters
    [InlineData("If-None-Match", "\"1\", x", HttpStatusCode.OK)]          // 13.1.2: an invalid value is true
    public async Task Preconditions_on_a_read_follow_the_same_rules(string field, string value, HttpStatusCode expected)
    {
        // RFC 9110 13.1.1 applies to any method: a false If-Match on GET is 412, not the book.
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}");
        request.Headers.TryAddWithoutValidation(field, value);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(expected, response.StatusCode);
    }

    public enum Body { Valid, Invalid, Malformed, WrongMediaType, TooLarge }

    // The order of answers for a write: 415/413, then 404, then 412 (RFC 9110 13.2.1: preconditions are evaluated
    // before the request content is processed, and ignored when the book is missing), then 400, then 409.
    [Theory]
    [InlineData("PUT", Body.Invalid, true, "\"2\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("PUT", Body.Malformed, true, "\"2\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("PATCH", Body.Invalid, true, "\"2\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("PATCH", Body.Malformed, true, "\"2\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("PUT", Body.Invalid, true, "\"1\"", HttpStatusCode.BadRequest)]
    [InlineData("PATCH", Body.Malformed, true, "\"1\"", HttpStatusCode.BadRequest)]
    [InlineData("PUT", Body.Invalid, true, null, HttpStatusCode.BadRequest)]
    [InlineData("PUT", Body.Invalid, false, "\"1\"", HttpStatusCode.NotFound)]
    [InlineData("PUT", Body.Malformed, false, null, HttpStatusCode.NotFound)]
    [InlineData("PATCH", Body.Invalid, false, null, HttpStatusCode.NotFound)]
    [InlineData("PUT", Body.WrongMediaType, false, "\"2\"", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("PATCH", Body.WrongMediaType, false, "\"2\"", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("PUT", Body.TooLarge, false, "\"2\"", HttpStatusCode.RequestEntityTooLarge)]
    [InlineData("PATCH", Body.TooLarge, false, "\"2\"", HttpStatusCode.RequestEntityTooLarge)]
    [InlineData("PUT", Body.Valid, true, "\"2\"", HttpStatusCode.PreconditionFailed)]
    public async Task A_write_answers_in_the_order_of_rfc_9110_13_2(string method, Body body, bool bookExists, string? ifMatch, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        api.StartOnKestrel(); // Kestrel enforces the body size limit; the in-memory test server does not
        using var client = api.CreateWriterClient();
        var id = bookExists ? (await client.CreateAsync(TestBooks.Body(), Cancellation)).Id() : "65a1b2c3d4e5f60718293a4b";
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/books/{id}")
        {
            Content = (method, body) switch
            {
                (_, Body.Malformed) => TestBooks.Json("{ \"title\": ", method == "PUT" ? "application/json" : "application/merge-patch+json"),
                (_, Body.WrongMediaType) => TestBooks.Json("{}", "text/plain"),
                (_, Body.TooLarge) => TestBooks.Json($$"""{ "title": "{{new string('x', BooksLimits.MaxBodyBytes)}}" }""", method == "PUT" ? "application/json" : "application/merge-patch+json"),
                ("PUT", Body.Invalid) => TestBooks.Json("""{ "title": "no isbn, no authors" }"""),
                ("PATCH", Body.Invalid) => TestBooks.Json("""{ "title": "" }""", "application/merge-patch+json"),
                ("PUT", _) => JsonContent.Create(TestBooks.Body()),
                _ => TestBooks.Json("""{ "title": "x" }""", "application/merge-patch+json"),
            },
        };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (bookExists)
        {
            Assert.Equal(1, await StoredVersionAsync(client, id));
        }
    }

    [Fact]
    public async Task A_stale_precondition_is_412_before_a_taken_isbn_is_409()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var taken = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var body = TestBooks.Body();
        body["isbn"] = taken.GetProperty("isbn").GetString();

        using var stale = TestBooks.Write("PUT", book.Id(), body);
        stale.Headers.TryAddWithoutValidation("If-Match", "\"2\"");
        using var current = TestBooks.Write("PUT", book.Id(), body);
        current.Headers.TryAddWithoutValidation("If-Match", "\"1\"");

        Assert.Equal(HttpStatusCode.PreconditionFailed, (await client.SendAsync(stale, Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.SendAsync(current, Cancellation)).StatusCode);
    }

    private static readonly Dictionary<string, string> s_noWriteLimit = new() { [RateLimitSettings.EnabledKey] = "false" };

    private static Dictionary<string, object?> SameIsbn(JsonElement book)
    {
        var body = TestBooks.Body();
        body["isbn"] = book.GetProperty("isbn").GetString();
        return body;
    }

    private static async Task<long?> StoredVersionAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/api/books/{id}", Cancellation);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("version").GetInt64();
    }
}

/// <summary>
/// A write with no precondition (RFC 9110 13.1: none sent, so none can fail) on a book that exists never answers 404
/// (15.5.5: only when there is no current representation). A write that sets the ISBN reads the book first; when other
/// writes change it between every read and write, the answer is a 503 with Retry-After (15.6.4), nothing written.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class ContendedWriteTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("PUT", null)]
    [InlineData("PATCH", """{ "isbn": "{isbn}" }""")]
    public async Task Write_losing_every_race_is_503(string method, string? patch)
    {
        var racer = new RacingCollection();
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), services =>
        {
            var real = services.Single(s => s.ServiceType == typeof(MongoDB.Driver.IMongoCollection<Book>));
            services.Remove(real);
            services.AddSingleton(provider => racer.Around((MongoDB.Driver.IMongoCollection<Book>)real.ImplementationFactory!(provider)));
        });
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var isbn = TestBooks.NewIsbn();
        var putBody = TestBooks.Body();
        putBody["isbn"] = isbn;
        using var request = TestBooks.Write(method, book.Id(), putBody, patch?.Replace("{isbn}", isbn) ?? "{}");

        racer.Racing = true;
        using var response = await client.SendAsync(request, Cancellation);
        racer.Racing = false;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        Assert.Equal("Book busy", (await response.ProblemAsync(Cancellation)).GetProperty("title").GetString());
        Assert.Equal(BooksApi.IsbnWriteAttempts, racer.Raced);
        var stored = await client.GetFromJsonAsync<JsonElement>($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(book.GetProperty("isbn").GetString(), stored.GetProperty("isbn").GetString()); // nothing written
    }

    /// <summary>The books collection, with another writer's version bump landing just before each findAndModify while <see cref="Racing"/>.</summary>
    public class RacingCollection : System.Reflection.DispatchProxy
    {
        private MongoDB.Driver.IMongoCollection<Book> _inner = null!;
        private RacingCollection _owner = null!;

        public bool Racing { get; set; }

        public int Raced { get; private set; }

        public MongoDB.Driver.IMongoCollection<Book> Around(MongoDB.Driver.IMongoCollection<Book> inner)
        {
            var proxy = Create<MongoDB.Driver.IMongoCollection<Book>, RacingCollection>();
            ((RacingCollection)(object)proxy)._inner = inner;
            ((RacingCollection)(object)proxy)._owner = this;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (_owner.Racing && targetMethod!.Name == nameof(MongoDB.Driver.IMongoCollection<Book>.FindOneAndUpdateAsync))
            {
                _owner.Raced++;
                _inner.UpdateMany(MongoDB.Driver.FilterDefinition<Book>.Empty, MongoDB.Driver.Builders<Book>.Update.Inc(b => b.Version, 1));
            }

            return targetMethod!.Invoke(_inner, args);
        }
    }
}
