using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Books.Api.Books;
using Books.Tests.Infrastructure;

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
    public async Task Framework_statuses_get_a_detail_that_names_the_fix_and_our_own_details_are_kept()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        api.UseKestrel(0);
        api.StartServer();
        using var anonymous = api.CreateClient();
        using var reader = api.CreateClient();
        reader.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Reader(BooksApiHost.SigningKey));
        using var writer = api.CreateWriterClient();
        var missing = "0123456789abcdef01234567";

        var cases = new (HttpClient Client, Func<HttpRequestMessage> Request, HttpStatusCode Status, string Says)[]
        {
            (anonymous, () => new(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) }, HttpStatusCode.Unauthorized, "bearer token"),
            (reader, () => new(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) }, HttpStatusCode.Forbidden, "books.write scope"),
            (anonymous, () => new(HttpMethod.Get, "/nowhere"), HttpStatusCode.NotFound, "nothing at this address"),
            (writer, () => new(HttpMethod.Put, "/api/books"), HttpStatusCode.MethodNotAllowed, "PUT is not allowed here"),
            (writer, () => new(HttpMethod.Post, "/api/books") { Content = TestBooks.Json(new string(' ', BooksApi.MaxBodyBytes + 1)) },
                HttpStatusCode.RequestEntityTooLarge, $"larger than the {BooksApi.MaxBodyBytes} bytes"),
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
}
