using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Books.Tests.Infrastructure;

namespace Books.Tests.Api;

/// <summary>If-Match and If-None-Match in each form a client can send them (RFC 9110 section 13).</summary>
[Collection(MongodStandInCollection.Name)]
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
}
