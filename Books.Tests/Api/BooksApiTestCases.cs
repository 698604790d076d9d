namespace Books.Tests.Api;

/// <summary>
/// Closed-box tests of each endpoint and status code, over HTTP. They run twice: against books-api started by
/// the real AppHost (<see cref="Distributed.BooksApiTests"/>), and in process against the stand-in
/// (<see cref="InProcessBooksApiTests"/>), where they are quick enough for the mutation run.
/// </summary>
public abstract class BooksApiTestCases
{
    private HttpClient? _client;

    /// <summary>A writer's client; the first call creates it.</summary>
    protected abstract HttpClient CreateApiClient();

    private HttpClient Api => _client ??= CreateApiClient();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Post_is_201_with_location_and_etag()
    {
        var body = TestBooks.Body();
        var isbn = (string)body["isbn"]!;
        body["isbn"] = $"{isbn[..3]}-{isbn[3]}-{isbn[4..]}"; // hyphens allowed on input

        using var created = await Api.PostAsJsonAsync("/api/books", body, Cancellation);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var book = await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal($"/api/books/{book.Id()}", created.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", created.Headers.ETag?.Tag);
        Assert.Equal(1, book.GetProperty("version").GetInt64());
        Assert.Equal(isbn, book.GetProperty("isbn").GetString());

        using var fetched = await Api.GetAsync(created.Headers.Location, Cancellation);

        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal(created.Headers.ETag, fetched.Headers.ETag);
        Assert.Equal(book.ToString(), (await fetched.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).ToString());
    }

    [Fact]
    public async Task Get_with_current_etag_is_304()
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);

        using var notModified = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}");
        notModified.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"1\""));
        using var response304 = await Api.SendAsync(notModified, Cancellation);
        using var modified = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}");
        modified.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0\""));
        using var response200 = await Api.SendAsync(modified, Cancellation);

        Assert.Equal(HttpStatusCode.NotModified, response304.StatusCode);
        Assert.Equal("\"1\"", response304.Headers.ETag?.Tag);
        Assert.Empty(await response304.Content.ReadAsByteArrayAsync(Cancellation));
        Assert.Equal(HttpStatusCode.OK, response200.StatusCode);
    }

    [Theory]
    [InlineData("65a1b2c3d4e5f60718293a4b")] // well-formed, never issued
    [InlineData("not-an-object-id")]
    [InlineData("%7B%22%24gt%22%3A%22%22%7D")] // {"$gt":""}
    public async Task Get_unknown_or_malformed_id_returns_404_problem(string id)
    {
        using var response = await Api.GetAsync($"/api/books/{id}", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No book has the id", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Get_by_isbn_finds_the_book_in_any_isbn_form()
    {
        // 979 prefixes have no ISBN-10; build a 978 ISBN and derive its ISBN-10.
        var isbn13 = TestBooks.NewIsbn();
        var body = TestBooks.Body();
        body["isbn"] = isbn13;
        var book = await Api.CreateAsync(body, Cancellation);
        var isbn10 = Isbn10Of(isbn13);

        foreach (var form in new[] { isbn13, $"{isbn13[..3]}-{isbn13[3..]}", isbn10, $"{isbn10[..1]} {isbn10[1..]}" })
        {
            using var response = await Api.GetAsync($"/api/books/by-isbn/{Uri.EscapeDataString(form)}", Cancellation);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(book.Id(), (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).Id());
        }
    }

    [Fact]
    public async Task Get_by_unknown_isbn_is_404()
    {
        using var unknown = await Api.GetAsync($"/api/books/by-isbn/{TestBooks.NewIsbn()}", Cancellation);
        using var malformed = await Api.GetAsync("/api/books/by-isbn/978-0-000-00000-1", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("check digit", (await malformed.ProblemAsync(Cancellation)).GetProperty("errors").GetProperty("isbn")[0].GetString());
    }

    [Theory]
    [InlineData("hyphens and spaces")]
    [InlineData("isbn-10")]
    public async Task Post_of_an_isbn_already_stored_returns_409_in_any_form(string form)
    {
        var first = TestBooks.Body();
        var isbn13 = (string)first["isbn"]!;
        await Api.CreateAsync(first, Cancellation);
        var again = TestBooks.Body();
        again["isbn"] = form == "isbn-10" ? Isbn10Of(isbn13) : $" {isbn13[..3]}-{isbn13[3..]} ";

        using var response = await Api.PostAsJsonAsync("/api/books", again, Cancellation);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(isbn13, (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    /// <summary>The ISBN-10 of a 978 ISBN-13: its nine middle digits and their mod-11 check digit.</summary>
    private static string Isbn10Of(string isbn13)
    {
        var digits = isbn13[3..12];
        var check = (11 - digits.Select((d, i) => (d - '0') * (10 - i)).Sum() % 11) % 11;
        return digits + (check == 10 ? "X" : check.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Post_with_invalid_fields_names_each()
    {
        using var response = await Api.PostAsync("/api/books", TestBooks.Json(
            """{ "isbn": "9780262033847", "title": "  ", "authors": [], "publishedYear": 1000, "pageCount": 0, "tags": ["\u0001"], "language": "english" }"""),
            Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ProblemAsync(Cancellation)).GetProperty("errors");
        Assert.Equal(
            ["authors", "isbn", "language", "pageCount", "publishedYear", "tags[0]", "title"],
            errors.EnumerateObject().Select(e => e.Name).Order());
    }

    [Theory]
    [InlineData("""{ "isbn": "9780262033848", "title": "T", "authors": ["A"], "colour": "red" }""", "'colour' is not a field")]
    [InlineData("""{ "id": "65a1b2c3d4e5f60718293a4b", "isbn": "9780262033848", "title": "T", "authors": ["A"] }""", "'id' is set by the server")]
    [InlineData("""{ "version": 7, "isbn": "9780262033848", "title": "T", "authors": ["A"] }""", "'version' is set by the server")]
    [InlineData("""{ "isbn": "9780262033848", "title": "T", "authors": ["A"], "createdAt": "2020-01-01" }""", "'createdAt' is set by the server")]
    [InlineData("""{ "isbn": "9780262033848", "title": 5, "authors": ["A"] }""", "'title' has the wrong type")]
    [InlineData("""{ "isbn": "9780262033848", "title": {"$gt": ""}, "authors": ["A"] }""", "'title' has the wrong type")]
    [InlineData("""{ "isbn": "9780262033848", "title": "T", "title": "U", "authors": ["A"] }""", "more than once")]
    [InlineData("""{ "isbn": "9780262033848", "title": "T", """, "not valid JSON")]
    [InlineData("", "")]
    public async Task Post_of_a_non_book_is_400(string json, string reason)
    {
        using var response = await Api.PostAsync("/api/books", TestBooks.Json(json), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_with_a_wrong_content_type_returns_415()
    {
        using var response = await Api.PostAsync("/api/books", TestBooks.Json("""{ "title": "T" }""", "text/plain"), Cancellation);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_over_64_KiB_is_413()
    {
        var body = TestBooks.Body();
        body["summary"] = new string('s', 70_000);

        using var response = await Api.PostAsJsonAsync("/api/books", body, Cancellation);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("65536 bytes", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
        using var lookup = await Api.GetAsync($"/api/books/by-isbn/{body["isbn"]}", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Put_replaces_the_book()
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);
        var replacement = TestBooks.Body(title: "Replaced title", year: null);
        replacement["isbn"] = book.GetProperty("isbn").GetString();
        replacement["publisher"] = "New Publisher";

        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/books/{book.Id()}") { Content = JsonContent.Create(replacement) };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        using var response = await Api.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        var updated = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("Replaced title", updated.GetProperty("title").GetString());
        Assert.Equal("New Publisher", updated.GetProperty("publisher").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("publishedYear").ValueKind); // full replacement removes it
        Assert.Equal(2, updated.GetProperty("version").GetInt64());
        Assert.Equal(book.GetProperty("createdAt").GetDateTimeOffset(), updated.GetProperty("createdAt").GetDateTimeOffset());
        Assert.True(updated.GetProperty("updatedAt").GetDateTimeOffset() >= book.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task Write_with_a_stale_etag_is_412(string method)
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);
        var replacement = TestBooks.Body(title: "Should not be stored");
        replacement["isbn"] = book.GetProperty("isbn").GetString();
        using var request = TestBooks.Write(method, book.Id(), replacement, """{ "title": "Should not be stored" }""");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));

        using var response = await Api.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Contains("\"1\"", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
        var current = await Api.GetFromJsonAsync<JsonElement>($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(book.ToString(), current.ToString());
    }

    [Fact]
    public async Task Weak_etag_never_satisfies_if_match()
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/books/{book.Id()}");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\"", isWeak: true));

        using var response = await Api.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    }

    [Fact]
    public async Task Put_onto_another_books_isbn_returns_409()
    {
        var first = await Api.CreateAsync(TestBooks.Body(), Cancellation);
        var second = await Api.CreateAsync(TestBooks.Body(), Cancellation);
        var replacement = TestBooks.Body();
        replacement["isbn"] = first.GetProperty("isbn").GetString();

        using var response = await Api.PutAsJsonAsync($"/api/books/{second.Id()}", replacement, Cancellation);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(1, (await Api.GetFromJsonAsync<JsonElement>($"/api/books/{second.Id()}", Cancellation)).GetProperty("version").GetInt64());
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task Write_to_an_unknown_book_returns_404(string method)
    {
        using var request = TestBooks.Write(method, "65a1b2c3d4e5f60718293a4b");

        using var response = await Api.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await response.ProblemAsync(Cancellation);
    }

    [Fact]
    public async Task Patch_removes_nulled_fields()
    {
        var body = TestBooks.Body(year: 1999);
        body["publisher"] = "Old Publisher";
        var book = await Api.CreateAsync(body, Cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/books/{book.Id()}")
        {
            Content = TestBooks.Json("""{ "publisher": null, "pageCount": 321, "tags": ["Patched", "patched"] }""", "application/merge-patch+json"),
        };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));

        using var response = await Api.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var patched = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(JsonValueKind.Null, patched.GetProperty("publisher").ValueKind);
        Assert.Equal(321, patched.GetProperty("pageCount").GetInt32());
        Assert.Equal(["patched"], patched.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(1999, patched.GetProperty("publishedYear").GetInt32()); // untouched
        Assert.Equal(book.GetProperty("title").GetString(), patched.GetProperty("title").GetString());
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Patch_requires_the_merge_patch_media_type()
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);

        using var response = await Api.PatchAsync($"/api/books/{book.Id()}", TestBooks.Json("""{ "title": "x" }"""), Cancellation);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/merge-patch+json", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("""{ "version": 5 }""", "version")]
    [InlineData("""{ "title": null }""", "title")]
    [InlineData("""{ "nope": 1 }""", "nope")]
    public async Task Patch_with_bad_fields_is_a_validation_problem(string patch, string field)
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);

        using var response = await Api.PatchAsync($"/api/books/{book.Id()}", TestBooks.Json(patch, "application/merge-patch+json"), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync(Cancellation)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Patch_with_malformed_json_returns_400()
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);

        using var response = await Api.PatchAsync($"/api/books/{book.Id()}", TestBooks.Json("""{ "title": """, "application/merge-patch+json"), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid JSON", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Delete_returns_204_then_the_book_is_gone()
    {
        var book = await Api.CreateAsync(TestBooks.Body(), Cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/books/{book.Id()}");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));

        using var deleted = await Api.SendAsync(request, Cancellation);
        using var fetched = await Api.GetAsync($"/api/books/{book.Id()}", Cancellation);
        using var again = await Api.DeleteAsync($"/api/books/{book.Id()}", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, fetched.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }
}

[Collection(MongodStandInCollection.Name)]
public sealed class InProcessBooksApiTests(InProcessBooksApi api) : BooksApiTestCases, IClassFixture<InProcessBooksApi>
{
    protected override HttpClient CreateApiClient() => api.CreateWriterClient();
}
