using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Books.Tests.Infrastructure;

namespace Books.Tests.Distributed;

/// <summary>Closed-box tests: HTTP to books-api, started by the real AppHost with MongoDB behind it.</summary>
[Collection(BooksAppCollection.Name)]
public sealed class BooksApiTests(BooksAppFixture fixture)
{
    private readonly HttpClient _api = fixture.CreateApiClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Post_then_get_round_trips_a_book()
    {
        var title = $"The Left Hand of Darkness {Guid.NewGuid():N}";

        var created = await _api.PostAsJsonAsync("/api/books", new { title, author = "Ursula K. Le Guin" }, Cancellation);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = Assert.IsType<Uri>(created.Headers.Location, exactMatch: false);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var id = body.GetProperty("id").GetString();
        Assert.Equal($"/api/books/{id}", location.OriginalString);

        var fetched = await _api.GetAsync(location, Cancellation);

        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        var book = await fetched.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(id, book.GetProperty("id").GetString());
        Assert.Equal(title, book.GetProperty("title").GetString());
        Assert.Equal("Ursula K. Le Guin", book.GetProperty("author").GetString());
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset(), book.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("mongo")]
    [InlineData("booksdb")]
    [InlineData("books-api")]
    public async Task AppHost_reports_each_resource_healthy(string resourceName)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(BooksAppFixture.RequestTimeout);

        var resourceEvent = await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resourceName, timeout.Token);

        Assert.Equal("Running", resourceEvent.Snapshot.State?.Text);
        Assert.NotEmpty(resourceEvent.Snapshot.HealthReports);
    }

    [Theory]
    [InlineData("65a1b2c3d4e5f60718293a4b")] // well-formed, never issued
    [InlineData("not-an-object-id")]
    public async Task Get_unknown_or_malformed_id_returns_404_problem(string id)
    {
        var response = await _api.GetAsync($"/api/books/{id}", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Contains(id, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_without_title_returns_validation_problem_naming_the_field()
    {
        var response = await _api.PostAsJsonAsync("/api/books", new { title = "  ", author = "Anonymous" }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Title", out _), problem.ToString());
    }
}
