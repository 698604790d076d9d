using Books.Api.Limits;

namespace Books.Tests.Api;

/// <summary>
/// The statuses the framework answers by itself (no handler of ours ran) still say what was wrong, over real
/// HTTP (Kestrel enforces the body limit; the in-memory test server does not); a detail of our own is kept.
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class ProblemDetailsTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Framework_statuses_get_a_detail()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        api.StartOnKestrel();
        using var anonymous = api.CreateClient();
        using var reader = api.CreateClientOf(TestClients.Reader, "books.read");
        using var writer = api.CreateWriterClient();
        var missing = "0123456789abcdef01234567";

        var cases = new (HttpClient Client, Func<HttpRequestMessage> Request, HttpStatusCode Status, string Says)[]
        {
            (anonymous, () => new(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) }, HttpStatusCode.Unauthorized, "bearer token"),
            (reader, () => new(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) }, HttpStatusCode.Forbidden, "books.write scope"),
            (anonymous, () => new(HttpMethod.Get, "/nowhere"), HttpStatusCode.NotFound, "nothing at this address"),
            (writer, () => new(HttpMethod.Put, "/api/books"), HttpStatusCode.MethodNotAllowed, "PUT is not allowed here"),
            (writer, () => new(HttpMethod.Post, "/api/books") { Content = TestBooks.Json(new string(' ', BooksLimits.MaxBodyBytes + 1)) },
                HttpStatusCode.RequestEntityTooLarge, $"larger than the {BooksLimits.MaxBodyBytes} bytes"),
            (writer, () => new(HttpMethod.Post, "/api/books") { Content = new StringContent("{}", new MediaTypeHeaderValue("text/plain")) },
                HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json"),
            // A detail of our own (a missing book's 404) is not replaced by the generic sentence.
            (anonymous, () => new(HttpMethod.Get, $"/api/books/{missing}"), HttpStatusCode.NotFound, $"No book has the id '{missing}'."),
        };

        foreach (var (client, build, status, says) in cases)
        {
            using var request = build();
            using var response = await client.SendAsync(request, Cancellation);
            Assert.Equal(status, response.StatusCode);
            var detail = (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString();
            Assert.Contains(says, detail);
        }
    }

    [Fact]
    public async Task Each_refusal_has_its_title_and_detail()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var writer = api.CreateWriterClient();
        var book = await writer.CreateAsync(TestBooks.Body(), Cancellation);
        var other = await writer.CreateAsync(TestBooks.Body(), Cancellation);
        var otherIsbn = other.GetProperty("isbn").GetString()!;
        var unknownIsbn = TestBooks.NewIsbn();
        var missing = "0123456789abcdef01234567";
        HttpRequestMessage Patch(string id, string json, string mediaType = BooksApi.MergePatchMediaType) =>
            new(HttpMethod.Patch, $"/api/books/{id}") { Content = TestBooks.Json(json, mediaType) };

        var cases = new (Func<HttpRequestMessage> Request, HttpStatusCode Status, string Title, string Says)[]
        {
            (() => new(HttpMethod.Get, $"/api/books/by-isbn/{unknownIsbn}"), HttpStatusCode.NotFound, "Book not found", $"No book has the ISBN {unknownIsbn}."),
            (() => new(HttpMethod.Put, $"/api/books/{missing}") { Content = JsonContent.Create(TestBooks.Body()) }, HttpStatusCode.NotFound, "Book not found", $"No book has the id '{missing}'."),
            // No Content-Type at all passes routing (which refuses the wrong one itself); the handler refuses it.
            (() => new(HttpMethod.Patch, $"/api/books/{book.Id()}"), HttpStatusCode.UnsupportedMediaType, "Unsupported Media Type",
                $"PATCH takes a JSON merge patch: send Content-Type: {BooksApi.MergePatchMediaType}."),
            (() => Patch(book.Id(), """{ "title": """), HttpStatusCode.BadRequest, "Malformed request body", "not valid JSON"),
            (() => Patch(book.Id(), $$"""{ "title": "Renamed", "isbn": "{{otherIsbn}}" }"""), HttpStatusCode.Conflict, "Duplicate ISBN", $"Another book already has the ISBN {otherIsbn}."),
            (() =>
            {
                var stale = Patch(book.Id(), """{ "title": "x" }""");
                stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));
                return stale;
            }, HttpStatusCode.PreconditionFailed, "The book has changed", "If-Match does not name the current version"),
            // A query value the endpoint cannot bind is answered by the framework; the detail still names it.
            (() => new(HttpMethod.Get, "/api/books?limit=abc"), HttpStatusCode.BadRequest, "Bad Request", "\"abc\""),
        };

        foreach (var (build, status, title, says) in cases)
        {
            using var request = build();
            using var response = await writer.SendAsync(request, Cancellation);
            Assert.Equal(status, response.StatusCode);
            var problem = await response.ProblemAsync(Cancellation);
            Assert.Equal(title, problem.GetProperty("title").GetString());
            Assert.Contains(says, problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Unbindable_input_gets_a_problem_in_production()
    {
        // Outside Development the framework answers a binding failure with an empty 400 of its own, unless the
        // API asks it to throw (ThrowOnBadRequest), so that the exception handler can say what was wrong.
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), environment: "Production");
        using var writer = api.CreateWriterClient();

        using var query = await writer.GetAsync("/api/books?limit=abc", Cancellation);
        using var body = await writer.PostAsync("/api/books", TestBooks.Json("""{ "title": """), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        Assert.Contains("\"abc\"", (await query.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, body.StatusCode);
        var problem = await body.ProblemAsync(Cancellation);
        Assert.Equal("Malformed request body", problem.GetProperty("title").GetString());
        Assert.StartsWith("The body is not valid JSON", problem.GetProperty("detail").GetString());
    }
}
