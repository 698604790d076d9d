namespace Books.Tests.Distributed;

/// <summary>What the running AppHost reports, and the API's operational endpoints.</summary>
[Collection(BooksAppCollection.Name)]
public sealed class AppHostTests(BooksAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("mongo")]
    [InlineData("booksdb")]
    [InlineData("books-api")]
    public async Task Each_resource_turns_healthy(string resourceName)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(BooksAppFixture.RequestTimeout);

        var resourceEvent = await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resourceName, timeout.Token);

        Assert.Equal("Running", resourceEvent.Snapshot.State?.Text);
        Assert.NotEmpty(resourceEvent.Snapshot.HealthReports);
    }

    [Fact]
    public async Task OpenApi_document_describes_every_operation()
    {
        using var api = fixture.CreateApiClient();

        var document = await api.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Cancellation);

        var operations = document.GetProperty("paths").EnumerateObject()
            .Where(path => path.Name.StartsWith("/api/books", StringComparison.Ordinal))
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Path: path.Name, Method: op.Name, Operation: op.Value)))
            .ToList();
        Assert.Equal(7, operations.Count);
        Assert.All(operations, op =>
        {
            Assert.False(string.IsNullOrEmpty(op.Operation.GetProperty("operationId").GetString()), $"{op.Method} {op.Path}");
            Assert.False(string.IsNullOrEmpty(op.Operation.GetProperty("summary").GetString()), $"{op.Method} {op.Path}");
            Assert.True(op.Operation.GetProperty("responses").EnumerateObject().Count() >= 2, $"{op.Method} {op.Path}");
        });

        string[] ResponsesOf(string operationId) => operations.Single(op => op.Operation.GetProperty("operationId").GetString() == operationId)
            .Operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(["200", "400", "401", "403", "404", "409", "412", "413", "415", "429", "503"], ResponsesOf("ReplaceBook"));
        Assert.Equal(["201", "400", "401", "403", "409", "413", "415", "429", "503"], ResponsesOf("CreateBook"));
        Assert.Equal(["200", "304", "404", "412", "429", "503"], ResponsesOf("GetBook"));
    }

    [Fact]
    public async Task Books_api_links_to_its_api_reference()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(BooksAppFixture.RequestTimeout);
        var api = await fixture.App.ResourceNotifications.WaitForResourceAsync(
            "books-api", e => e.Snapshot.Urls.Any(u => u.Url.EndsWith("/openapi/v1.json", StringComparison.Ordinal)), timeout.Token);
        using var client = fixture.CreateApiClient(authorized: false);

        foreach (var (display, path, mediaType) in new[]
        {
            ("API reference (Scalar)", "/scalar/v1", "text/html"),
            ("OpenAPI document", "/openapi/v1.json", "application/json"),
        })
        {
            var link = Assert.Single(api.Snapshot.Urls, u => u.DisplayProperties.DisplayName == display);
            Assert.Equal(new Uri(client.BaseAddress!, path), new Uri(link.Url));
            using var response = await client.GetAsync(link.Url, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public void AppHost_asks_for_no_development_certificate()
    {
        // Without one trusted, the AppHost would warn here and the dashboard would open with an error banner.
        Assert.DoesNotContain(fixture.AppHostWarnings, record => record.Message.Contains("development certificate", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Unknown_route_returns_404_problem()
    {
        using var api = fixture.CreateApiClient();

        using var response = await api.GetAsync("/api/nothing-here", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await response.ProblemAsync(Cancellation);
    }
}
